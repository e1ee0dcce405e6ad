package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.agrona.DirectBuffer;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalDigest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kekbit verify FILE [--json]}: read a whole channel with every check a reader makes and report what it
 * holds. Exits {@link KekbitTool#EXIT_OK} for a consistent channel in any state but CORRUPT,
 * {@link KekbitTool#EXIT_FAILED} for a CORRUPT one. With {@code --digest}, print the digest that proves a mirror
 * identical to its leader up to a position; on a journal folder, over the chain of segments ({@link JournalDigest}).
 * <p>
 * {@code kekbit verify DIR [--json]} for a journal folder: every segment as a channel, and the chain they form: one
 * capacity, each segment's channel id its base position, contiguous base positions, every segment but the last
 * sealed with ROLLED, and each segment's seal, where it has one: its record count is the records read, its first
 * sequence and timestamp not after its last, and not before the previous seal's last. Exits {@link KekbitTool#EXIT_FAILED} when any of that fails, naming the first fault.
 */
@Command(
    name = "verify",
    description = "Read a whole channel and report its records, payload bytes, end position and state. Exit 0 " +
        "when consistent (OPEN, CLOSED, FULL, ABANDONED), 1 when CORRUPT, 2 when not a channel. For a journal " +
        "folder, also check the chain of segments: contiguous, each but the last sealed with ROLLED, each seal " +
        "agreeing with the records read.")
final class VerifyCommand implements Callable<Integer>
{
    private static final int POLL_LIMIT = 4096;

    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "FILE|DIR", description = "Channel file, or journal folder.")
    private Path file;

    @Option(names = "--digest", description = "Print a SHA-256 digest of the immutable header fields and the data " +
        "up to a position instead (the same on a leader and its mirror), with that position.")
    private boolean digest;

    @Option(names = "--to", paramLabel = "POSITION", description = "With --digest, the end of a committed record " +
        "to digest up to (a journal position for a journal; a segment starting at or after it is left out); by " +
        "default the end of the last committed record.")
    private long to = -1;

    @Option(names = "--from-segment", paramLabel = "BASE", description = "With --digest on a journal folder, the " +
        "base of the first segment to cover (compare a leader and a mirror from a segment both hold); by default " +
        "the oldest.")
    private long fromSegment = -1;

    @Option(names = "--json", description = "Print one JSON object instead of name: value lines.")
    private boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    VerifyCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * Scan the channel and print the report.
     *
     * @return {@link KekbitTool#EXIT_OK}, or {@link KekbitTool#EXIT_FAILED} when the channel is corrupt.
     */
    public Integer call()
    {
        AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        if (digest)
        {
            return printDigest();
        }
        if (to >= 0)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "--to goes with --digest");
        }
        if (JournalFolder.isFolder(file))
        {
            return verifyJournal(JournalFolder.open(file));
        }
        try (ChannelReader reader = ChannelReader.open(file))
        {
            final RecordCounter counter = new RecordCounter();
            int count;
            do
            {
                count = reader.poll(counter, POLL_LIMIT);
            }
            while (count > 0);

            final ChannelState state = reader.state();
            final Report report = new Report()
                .add("records", counter.records)
                .add("bytes", counter.bytes)
                .add("position", reader.position())
                .add("capacity", reader.capacity())
                .add("state", state.name())
                .add("corruption", reader.corruption());

            if (json)
            {
                out.println(report.toJson());
            }
            else
            {
                out.print(report.toText());
            }

            return ChannelState.CORRUPT == state ? KekbitTool.EXIT_FAILED : KekbitTool.EXIT_OK;
        }
    }

    private Integer printDigest()
    {
        if (JournalFolder.isFolder(file))
        {
            return printJournalDigest();
        }
        if (fromSegment >= 0)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "--from-segment goes with a journal folder");
        }
        final ChannelDigest.Result result;
        try
        {
            result = ChannelDigest.digest(file, to);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot digest up to --to " + to + ": " + ex.getMessage());
        }
        final Report report = new Report()
            .add("channel", String.format("0x%x", result.channelId()))
            .add("position", result.position())
            .add("digest", ChannelDigest.ALGORITHM.toLowerCase(java.util.Locale.ROOT) + ":" + result.digest());
        out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
        return KekbitTool.EXIT_OK;
    }

    private Integer printJournalDigest()
    {
        final JournalDigest result;
        try
        {
            result = JournalDigest.digest(file, fromSegment, to);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot digest up to --to " + to + ": " + ex.getMessage());
        }
        catch (final ChannelException ex)
        {
            throw new ToolException(KekbitTool.EXIT_FAILED, "cannot digest " + file + ": " + ex.getMessage());
        }
        final Report report = new Report()
            .add("journal", file.toString())
            .add("firstSegment", result.firstBase())
            .add("segments", result.segments())
            .add("position", result.position())
            .add("digest", ChannelDigest.ALGORITHM.toLowerCase(java.util.Locale.ROOT) + ":" + result.digest());
        out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
        return KekbitTool.EXIT_OK;
    }

    private Integer verifyJournal(final JournalFolder journal)
    {
        final JournalFolder.Scan scan = journal.scan();
        final Report report = new Report()
            .add("records", scan.records)
            .add("bytes", scan.bytes)
            .add("position", scan.endPosition)
            .add("segments", scan.segments.size())
            .add("sealedSegments", scan.sealedSegments)
            .add("segmentCapacity", scan.segmentCapacity)
            .add("firstPosition", journal.isEmpty() ? 0 : journal.bases().getLong(0))
            .add("state", scan.state())
            .add("corruption", scan.fault);

        if (json)
        {
            out.println(report.toJson());
        }
        else
        {
            out.print(report.toText());
        }

        return null == scan.fault ? KekbitTool.EXIT_OK : KekbitTool.EXIT_FAILED;
    }

    private static final class RecordCounter implements RecordHandler
    {
        private long records;
        private long bytes;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            records++;
            bytes += length;
        }
    }
}
