package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.kekbit.AgronaAccess;
import org.kekbit.StorageInfo;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.journal.JournalNamedReaders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kekbit info FILE [--json]}: every field of a channel's header, named as in the SBE schema, and the state of
 * the channel after its last record. Exits {@link KekbitTool#EXIT_FAILED} after printing when the channel is
 * CORRUPT.
 * <p>
 * {@code kekbit info DIR [--json]} for a journal folder: its segment capacity, journal format version (its last
 * segment's), end position and state, then each segment (file, base position, state, records, bytes used, file
 * length, journal format version) and each named reader. Exits {@link KekbitTool#EXIT_FAILED} after printing when a
 * segment is corrupt or the chain of segments is broken; a segment of a later journal format fails with one line.
 */
@Command(
    name = "info",
    description = "Print every header field of a channel, named as in its SBE schema, and its state; for a journal " +
        "folder, its segments and named readers. Exit 1 when corrupt.")
final class InfoCommand implements Callable<Integer>
{
    private static final int POLL_LIMIT = 4096;
    private static final RecordHandler SKIP = (msgTypeId, buffer, offset, length) -> {};

    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "FILE|DIR", description = "Channel file, or journal folder.")
    private Path file;

    @Option(names = "--json", description = "Print one JSON object instead of name: value lines.")
    private boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    InfoCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * Print the header and state.
     *
     * @return {@link KekbitTool#EXIT_OK}; after printing, fails with {@link KekbitTool#EXIT_FAILED} when the channel
     * is CORRUPT, as {@code verify} and {@code tail} do; a file that is not a channel fails with a
     * {@code ChannelException}.
     */
    public Integer call()
    {
        AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        if (ImageInfo.isImage(file)) // a system image's folder: its snapshots and the journal after the newest
        {
            return ImageInfo.print(file, json, out);
        }
        if (JournalFolder.isFolder(file))
        {
            return journalInfo(JournalFolder.open(file));
        }
        try (ChannelReader reader = ChannelReader.open(file))
        {
            final ChannelState state = scanToEnd(reader);
            final ChannelHeaderDecoder header = reader.header();
            final Report report = new Report()
                .add("signature", header.signature())
                .add("formatVersion", header.formatVersion())
                .add("headerLength", header.headerLength())
                .add("channelId", header.channelId())
                .add("writerId", header.writerId())
                .add("capacity", header.capacity())
                .add("maxRecordLength", header.maxRecordLength())
                .add("recordAlignment", header.recordAlignment())
                .add("timeoutMs", header.timeoutMs())
                .add("creationTimeMs", header.creationTimeMs())
                .add("writerPid", header.writerPid())
                .add("writerStartTicks", header.writerStartTicks())
                .add("heartbeatTimeMs", header.heartbeatTimeMs())
                .add("writerNamespaceId", Long.toHexString(header.writerNamespaceId()))
                .add("journalFormatVersion", header.journalFormatVersion())
                .add("state", state.name());
            addStorage(report, file);

            if (json)
            {
                out.println(report.toJson());
            }
            else
            {
                out.print(report.toText());
            }

            if (ChannelState.CORRUPT == state)
            {
                // The header is printed all the same: it helps to find out what went wrong.
                throw new ToolException(KekbitTool.EXIT_FAILED, "channel corrupt: " + reader.corruption());
            }
        }

        return KekbitTool.EXIT_OK;
    }

    /**
     * Where the file lives and whether its file system gives it huge pages (docs/benchmarks.md: about 2x on streams
     * through new memory).
     */
    private static void addStorage(final Report report, final Path path)
    {
        final StorageInfo storage = StorageInfo.of(path);
        report
            .add("fileSystem", storage.fileSystemType())
            .add("mountPoint", storage.mountPoint())
            .add("hugePages", storage.hugePages());
    }

    private Integer journalInfo(final JournalFolder journal)
    {
        final JournalFolder.Scan scan = journal.scan();
        final List<JournalNamedReaders.NamedReader> readers = journal.namedReaders();
        final long firstPosition = journal.isEmpty() ? 0 : journal.bases().getLong(0);
        final List<Report> segments = new ArrayList<>();
        for (final JournalFolder.Segment segment : scan.segments)
        {
            segments.add(new Report()
                .add("file", segment.path.getFileName().toString())
                .add("base", segment.base)
                .add("state", segment.state.name())
                .add("records", segment.records)
                .add("used", segment.position)
                .add("fileLength", segment.fileLength)
                .add("journalFormatVersion", segment.journalFormatVersion));
        }
        final Report report = new Report()
            .add("journal", journal.folder().toString())
            .add("segmentCapacity", scan.segmentCapacity)
            .add("segmentCount", scan.segments.size())
            .add("journalFormatVersion", scan.segments.isEmpty() ? 0 : // the last segment's: what is written now
                scan.segments.get(scan.segments.size() - 1).journalFormatVersion)
            .add("recordAlignment", scan.segments.isEmpty() ? 0 :
                scan.segments.get(scan.segments.size() - 1).recordAlignment)
            .add("firstPosition", firstPosition)
            .add("endPosition", scan.endPosition)
            .add("state", scan.state())
            .add("fault", scan.fault);
        addStorage(report, journal.folder());
        report
            .add("segments", segments)
            .add("readers", ReadersCommand.reports(journal, readers, firstPosition, scan.endPosition));

        if (json)
        {
            out.println(report.toJson());
        }
        else
        {
            out.print(report.toText());
            out.println();
            out.printf(Locale.ROOT, "%-28s %20s %-9s %12s %12s %12s %14s%n",
                "segment", "base", "state", "records", "used", "file bytes", "journal format");
            for (final JournalFolder.Segment segment : scan.segments)
            {
                out.printf(Locale.ROOT, "%-28s %20d %-9s %12d %12d %12d %14d%n", segment.path.getFileName(),
                    segment.base, segment.state, segment.records, segment.position, segment.fileLength,
                    segment.journalFormatVersion);
            }
            out.println();
            ReadersCommand.printTable(out, journal, readers, firstPosition, scan.endPosition);
        }

        if (null != scan.fault)
        {
            throw new ToolException(KekbitTool.EXIT_FAILED, scan.fault);
        }
        return KekbitTool.EXIT_OK;
    }

    /**
     * Read past every committed record: only a reader that reached the end knows whether it is CLOSED, FULL,
     * ABANDONED or CORRUPT.
     */
    private static ChannelState scanToEnd(final ChannelReader reader)
    {
        int count;
        do
        {
            count = reader.poll(SKIP, POLL_LIMIT);
        }
        while (count > 0);

        return reader.state();
    }
}
