package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kekbit info FILE [--json]}: every field of a channel's header, named as in the SBE schema, and the state of
 * the channel after its last record. Exits {@link KekbitTool#EXIT_FAILED} after printing when the channel is
 * CORRUPT.
 */
@Command(
    name = "info",
    description = "Print every header field of a channel, named as in its SBE schema, and its state; exit 1 when " +
        "the channel is corrupt.")
final class InfoCommand implements Callable<Integer>
{
    private static final int POLL_LIMIT = 4096;
    private static final RecordHandler SKIP = (msgTypeId, buffer, offset, length) -> {};

    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "FILE", description = "Channel file.")
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
                .add("state", state.name());

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
