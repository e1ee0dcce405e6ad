package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalNamedReaders;
import org.kekbit.journal.JournalNamedReaders.NamedReader;
import org.kekbit.journal.JournalReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kekbit readers DIR [--json] [--remove NAME]}: the named readers of a journal, each with its committed
 * position, its lag in bytes and records behind the journal's end, its last commit time, whether a live reader holds
 * it, whether it protects retention and whether it is truncated (its position lies before the oldest segment,
 * which a hard cap of retention or a hand deleted, so it reads on as TRUNCATED); or the removal of one no live reader
 * holds.
 */
@Command(
    name = "readers",
    description = "List the named readers of a journal: position, lag in bytes and records behind the end, last " +
        "commit time, alive or not, whether it protects retention, whether records it had not read were deleted " +
        "(truncated). With --remove, free one that no live reader holds.")
final class ReadersCommand implements Callable<Integer>
{
    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "DIR", description = "Journal folder.")
    private Path folder;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    @Option(
        names = "--remove",
        paramLabel = "NAME",
        description = "Free the named reader NAME: its position, and its protection of retention, go. Refused " +
            "while a live reader holds it.")
    private String remove;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    ReadersCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * List the readers, or remove one.
     *
     * @return {@link KekbitTool#EXIT_OK}; fails with {@link KekbitTool#EXIT_USAGE} for a folder that is not a
     * journal's or a name the journal does not have, and with {@link KekbitTool#EXIT_FAILED} when a live reader
     * holds the name to remove.
     */
    public Integer call()
    {
        AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        final JournalFolder journal = openJournal(folder);
        if (null != remove)
        {
            return remove(journal);
        }

        final long endPosition = journal.endPosition();
        final long firstPosition = journal.isEmpty() ? 0 : journal.bases().getLong(0);
        final List<NamedReader> readers = journal.namedReaders();
        if (json)
        {
            out.println(new Report()
                .add("journal", journal.folder().toString())
                .add("endPosition", endPosition)
                .add("readers", reports(journal, readers, firstPosition, endPosition))
                .toJson());
        }
        else
        {
            printTable(out, journal, readers, firstPosition, endPosition);
        }
        return KekbitTool.EXIT_OK;
    }

    /**
     * Open a journal folder, saying so when the path is a file.
     */
    static JournalFolder openJournal(final Path folder)
    {
        if (!JournalFolder.isFolder(folder))
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "not a journal folder: " + folder +
                (folder.toFile().exists() ? " is a file" : " does not exist"));
        }
        return JournalFolder.open(folder);
    }

    private int remove(final JournalFolder journal)
    {
        final List<NamedReader> readers = journal.namedReaders();
        final boolean isKnown = readers.stream().anyMatch((reader) -> reader.name().equals(remove));
        if (!isKnown)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "unknown reader: name=" + remove + ", journal " +
                journal.folder() + " has " + (readers.isEmpty() ? "no named reader" :
                "readers " + String.join(", ", readers.stream().map(NamedReader::name).toList())));
        }
        final boolean isRemoved;
        try
        {
            isRemoved = JournalNamedReaders.remove(
                journal.folder(), remove, System.currentTimeMillis(), JournalReader.Context.DEFAULT_TIMEOUT_MS);
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.READER_ACTIVE == ex.reason())
            {
                throw new ToolException(KekbitTool.EXIT_FAILED, "reader " + remove + " is alive: stop it first " +
                    "(a reader whose process cannot be seen counts as alive until its heartbeat is " +
                    JournalReader.Context.DEFAULT_TIMEOUT_MS / 1000 + " s old)");
            }
            throw ex;
        }
        if (!isRemoved)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "unknown reader: name=" + remove); // removed meanwhile
        }
        out.println("removed reader " + remove);
        return KekbitTool.EXIT_OK;
    }

    /**
     * The readers as reports, for JSON.
     */
    static List<Report> reports(
        final JournalFolder journal, final List<NamedReader> readers, final long firstPosition, final long endPosition)
    {
        final List<Report> reports = new ArrayList<>();
        for (final NamedReader reader : readers)
        {
            final boolean isCommitted = JournalDescriptor.NULL_POSITION != reader.position();
            final Report report = new Report().add("name", reader.name());
            if (isCommitted)
            {
                final long lagRecords = journal.recordsAfter(reader.position());
                report.add("position", reader.position()).add("lag", Math.max(0, endPosition - reader.position()));
                if (lagRecords >= 0)
                {
                    report.add("lagRecords", lagRecords);
                }
                else
                {
                    report.add("lagRecords", (String)null); // truncated: what it missed is gone
                }
            }
            else
            {
                report.add("position", (String)null).add("lag", (String)null).add("lagRecords", (String)null);
            }
            reports.add(report
                .add("lastCommitTime", 0 == reader.commitTimeMs() ? null : commitTime(reader))
                .add("alive", reader.isAlive())
                .add("ownerPid", reader.ownerPid())
                .add("protectsRetention", reader.protectsRetention())
                .add("truncated", isTruncated(reader, firstPosition)));
        }
        return reports;
    }

    /**
     * The readers as a table, for people.
     */
    static void printTable(
        final PrintStream out,
        final JournalFolder journal,
        final List<NamedReader> readers,
        final long firstPosition,
        final long endPosition)
    {
        if (readers.isEmpty())
        {
            out.println("no named reader");
            return;
        }
        int nameWidth = "reader".length();
        for (final NamedReader reader : readers)
        {
            nameWidth = Math.max(nameWidth, reader.name().length());
        }
        final String format = "%-" + nameWidth + "s %20s %14s %12s  %-24s  %-5s  %-8s  %s%n";
        out.printf(Locale.ROOT, format, "reader", "position", "lag bytes", "lag records", "last commit", "alive",
            "protects", "truncated");
        for (final NamedReader reader : readers)
        {
            final boolean isCommitted = JournalDescriptor.NULL_POSITION != reader.position();
            out.printf(Locale.ROOT, format, reader.name(),
                isCommitted ? Long.toString(reader.position()) : "none",
                isCommitted ? Long.toString(Math.max(0, endPosition - reader.position())) : "-",
                isCommitted && !isTruncated(reader, firstPosition) ?
                    Long.toString(journal.recordsAfter(reader.position())) : "-",
                0 == reader.commitTimeMs() ? "never" : commitTime(reader),
                reader.isAlive() ? "yes" : "no",
                reader.protectsRetention() ? "yes" : "no",
                isTruncated(reader, firstPosition) ? "yes" : "no");
        }
    }

    /**
     * Whether records after a reader's committed position were deleted: it lies before the oldest segment.
     */
    private static boolean isTruncated(final NamedReader reader, final long firstPosition)
    {
        return JournalDescriptor.NULL_POSITION != reader.position() && reader.position() < firstPosition;
    }

    private static String commitTime(final NamedReader reader)
    {
        return Instant.ofEpochMilli(reader.commitTimeMs()).toString();
    }
}
