package org.kekbit.tool;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;
import org.kekbit.AgronaAccess;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalNamedReaders.NamedReader;
import org.kekbit.journal.JournalWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kekbit prune DIR [--segments N] [--bytes SIZE] [--age DURATION] [--hard-cap-segments N]
 * [--hard-cap-bytes SIZE]}: apply retention to a journal from outside its writer, by the library's rule
 * ({@link JournalWriter#prune(JournalWriter.Context, java.util.function.LongConsumer,
 * java.util.function.LongConsumer)}), and print each segment deleted, each segment kept only because a named reader
 * that protects retention still needs it, and a summary line.
 */
@Command(
    name = "prune",
    description = "Apply retention to a journal from outside its writer: delete whole sealed segments, oldest " +
        "first, while a limit says so, never the last one and never one a protecting named reader still needs " +
        "(unless a hard cap says so). Prints what it deleted and what it kept for a reader.")
final class PruneCommand implements Callable<Integer>
{
    private final PrintStream out;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Journal folder.")
    private Path folder;

    @Option(names = "--segments", paramLabel = "N", description = "Keep at most N sealed segments besides the last.")
    private int retainedSegments;

    @Option(
        names = "--bytes",
        paramLabel = "SIZE",
        converter = Converters.ByteSize.class,
        description = "Keep at most SIZE bytes of segment files, the last included (k, m, g suffixes).")
    private long retainedBytes;

    @Option(
        names = "--age",
        paramLabel = "DURATION",
        converter = Converters.Duration.class,
        description = "Delete sealed segments rolled longer ago than DURATION (30s, 15m, 2h, 1d).")
    private long retentionMs;

    @Option(
        names = "--hard-cap-segments",
        paramLabel = "N",
        description = "Keep at most N sealed segments even when a protecting reader still needs older ones (it then " +
            "finds its segment gone: TRUNCATED).")
    private int hardCapSegments;

    @Option(
        names = "--hard-cap-bytes",
        paramLabel = "SIZE",
        converter = Converters.ByteSize.class,
        description = "Keep at most SIZE bytes of segment files even when a protecting reader still needs them.")
    private long hardCapBytes;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    PruneCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * Prune and report.
     *
     * @return {@link KekbitTool#EXIT_OK}; fails with {@link KekbitTool#EXIT_USAGE} for no limit, a negative one or a
     * folder that is not a journal's.
     */
    public Integer call()
    {
        checkLimits();
        AgronaAccess.check();
        final JournalFolder journal = ReadersCommand.openJournal(folder);
        final LongArrayList bases = journal.bases();
        final Long2LongHashMap sizes = new Long2LongHashMap(-1);
        for (int i = 0; i < bases.size(); i++)
        {
            sizes.put(bases.getLong(i), fileSize(journal.segmentPath(bases.getLong(i))));
        }

        final LongArrayList deleted = new LongArrayList();
        final LongArrayList held = new LongArrayList();
        JournalWriter.prune(new JournalWriter.Context().folder(journal.folder())
            .retainedSegments(retainedSegments).retainedBytes(retainedBytes).retentionMs(retentionMs)
            .hardCapSegments(hardCapSegments).hardCapBytes(hardCapBytes), deleted::addLong, held::addLong);

        long deletedBytes = 0;
        for (int i = 0; i < deleted.size(); i++)
        {
            final long base = deleted.getLong(i);
            deletedBytes += Math.max(0, sizes.get(base));
            out.println("deleted " + JournalDescriptor.segmentFileName(base) + " base=" + base + " bytes=" +
                sizes.get(base));
        }
        final List<NamedReader> readers = held.isEmpty() ? List.of() : journal.namedReaders();
        long heldBytes = 0;
        for (int i = 0; i < held.size(); i++)
        {
            final long base = held.getLong(i);
            heldBytes += Math.max(0, sizes.get(base));
            out.println("kept " + JournalDescriptor.segmentFileName(base) + " base=" + base + " bytes=" +
                sizes.get(base) + " needed by " + needing(readers, base, nextBase(bases, base)));
        }
        final int kept = bases.size() - deleted.size();
        out.println("pruned " + journal.folder() + ": deleted " + deleted.size() + " segments, " + deletedBytes +
            " bytes; kept " + kept + " segments, " + held.size() + " of them (" + heldBytes + " bytes) only for " +
            "protecting readers");
        return KekbitTool.EXIT_OK;
    }

    private void checkLimits()
    {
        if (retainedSegments < 0 || retainedBytes < 0 || hardCapSegments < 0 || hardCapBytes < 0)
        {
            throw new ParameterException(spec.commandLine(), "limits must not be negative: --segments=" +
                retainedSegments + ", --bytes=" + retainedBytes + ", --hard-cap-segments=" + hardCapSegments +
                ", --hard-cap-bytes=" + hardCapBytes);
        }
        if (0 == retainedSegments && 0 == retainedBytes && 0 == retentionMs && 0 == hardCapSegments &&
            0 == hardCapBytes)
        {
            throw new ParameterException(spec.commandLine(), "prune needs a limit: --segments, --bytes, --age, " +
                "--hard-cap-segments or --hard-cap-bytes");
        }
    }

    private static long nextBase(final LongArrayList bases, final long base)
    {
        final int index = bases.indexOf(base);
        return index + 1 < bases.size() ? bases.getLong(index + 1) : Long.MAX_VALUE;
    }

    /**
     * The protecting readers whose committed position is before a segment's end.
     */
    private static String needing(final List<NamedReader> readers, final long base, final long endPosition)
    {
        final List<String> names = new ArrayList<>();
        for (final NamedReader reader : readers)
        {
            if (reader.protectsRetention() && reader.position() < endPosition)
            {
                names.add(reader.name() + "@" + reader.position());
            }
        }
        return names.isEmpty() ? "a protecting reader" : String.join(", ", names);
    }

    private static long fileSize(final Path path)
    {
        try
        {
            return Files.size(path);
        }
        catch (final IOException ex)
        {
            return -1; // gone already: another prune or the writer's retention
        }
    }
}
