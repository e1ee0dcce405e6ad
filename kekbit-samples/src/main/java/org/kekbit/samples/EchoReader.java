package org.kekbit.samples;

import java.io.PrintStream;
import java.util.Properties;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;

/**
 * Prints each record of the {@link EchoWriter}'s channel as a line of UTF-8 text, from the first record on, and
 * exits when the channel ends. Started before the writer, it waits for the channel to appear.
 * <pre>
 * bin/sample EchoReader
 * </pre>
 * Its settings are those of {@link SampleChannels}, with the writer's channel id by default. Exits with 0 when the
 * channel was closed; when it ended FULL or ABANDONED (its writer gone without closing it) it prints every record,
 * then one line on stderr, and exits with 1.
 */
public final class EchoReader
{
    private static final int POLL_LIMIT = 256;

    private EchoReader()
    {
    }

    /**
     * Print the channel with the settings of the system properties.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(System.getProperties(), args, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit properties and streams.
     *
     * @param properties to read the settings from.
     * @param args       none.
     * @param out        to print the lines to.
     * @param err        for the one line of an error or of an end other than CLOSED.
     * @return the exit status: 0 when the channel was closed, 1 when it ended otherwise, 2 on bad input.
     */
    public static int launch(
        final Properties properties, final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            SampleMain.checkNoArguments(args);
            final Result result = run(SampleChannels.fromProperties(properties, EchoWriter.DEFAULT_CHANNEL_ID,
                "backoff"), out);
            if (ChannelState.CLOSED != result.endState())
            {
                err.println("kekbit: channel ended " + result.endState() + " after " + result.lines() + " lines");
                return SampleMain.EXIT_FAILED;
            }
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * Wait for the channel, print its records as lines until it ends.
     *
     * @param channels settings: root, channel id, timeout and idle strategy.
     * @param out      to print the lines to; flushed after each batch.
     * @return how many lines and how the channel ended.
     * @throws org.kekbit.channel.ChannelException when the channel did not appear within the timeout or is not a
     *                                             channel.
     */
    public static Result run(final SampleChannels channels, final PrintStream out)
    {
        try (ChannelReader reader = channels.awaitReader(channels.channelId()))
        {
            final IdleStrategy idleStrategy = channels.newIdleStrategy();
            final LinePrinter printer = new LinePrinter(out);

            while (true)
            {
                final int count = reader.poll(printer, POLL_LIMIT);
                if (count > 0)
                {
                    out.flush();
                }
                else
                {
                    final ChannelState state = reader.state();
                    if (state.isEndOrAbandoned())
                    {
                        return new Result(printer.lines, state);
                    }
                }
                idleStrategy.idle(count);
            }
        }
    }

    private static final class LinePrinter implements RecordHandler
    {
        private final PrintStream out;
        private long lines;

        LinePrinter(final PrintStream out)
        {
            this.out = out;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            out.println(buffer.getStringWithoutLengthUtf8(offset, length));
            lines++;
        }
    }

    /**
     * What the reader printed.
     *
     * @param lines    printed.
     * @param endState of the channel: CLOSED, FULL, ABANDONED or CORRUPT.
     */
    public record Result(long lines, ChannelState endState)
    {
    }
}
