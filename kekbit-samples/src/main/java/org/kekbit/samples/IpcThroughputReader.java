package org.kekbit.samples;

import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelReaderAgent;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;

/**
 * The reading half of a throughput run between two processes: waits for the {@link IpcThroughputWriter}'s channel,
 * reads it to its end checking that the sequence numbers follow each other, prints records/s and MB/s of payload
 * from its first record to the end of the channel, then deletes the channel (unless
 * {@code kekbit.sample.keep=true}) so the pair can run again.
 * <pre>
 * bin/sample IpcThroughputReader
 * </pre>
 * Settings are those of {@link SampleChannels}, with the writer's channel id by default. It polls with a yielding
 * idle strategy by default: one spinning thread that leaves the core to the writer when both want it. Exits with 0
 * when every record arrived whole and in order and the channel was closed, 1 when not, 2 on bad input.
 */
public final class IpcThroughputReader
{
    private static final int POLL_LIMIT = 4096;

    private IpcThroughputReader()
    {
    }

    /**
     * Read the channel with the settings of the system properties.
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
     * @param out        for the figures.
     * @param err        for the one line of an error.
     * @return the exit status: 0 when every record arrived whole and in order, 1 when not, 2 on bad input.
     */
    public static int launch(
        final Properties properties, final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            SampleMain.checkNoArguments(args);
            final Result result = run(
                SampleChannels.fromProperties(properties, IpcThroughputWriter.DEFAULT_CHANNEL_ID, "yielding"), out);
            return result.isValid() ? SampleMain.EXIT_OK : SampleMain.EXIT_FAILED;
        });
    }

    /**
     * Wait for the channel, read it to its end, print the figures and delete the channel.
     *
     * @param channels settings: root, channel id, timeout, idle strategy and keep.
     * @param out      for the figures.
     * @return what the reader saw.
     * @throws org.kekbit.channel.ChannelException when the channel did not appear within the timeout or is not a
     *                                             channel.
     */
    public static Result run(final SampleChannels channels, final PrintStream out)
    {
        // Mapping every page in at open keeps page faults out of the figures, as the writer does at creation.
        final ChannelReader reader = ChannelReader.awaitOpen(
            channels.readerContext(channels.channelId()).preTouch(true),
            new SleepingMillisIdleStrategy(SampleChannels.AWAIT_IDLE_MS),
            channels.timeoutMs());
        final Path path = reader.path();
        out.println("reader: reading " + path);
        out.flush();

        final SequenceChecker checker = new SequenceChecker();
        final ChannelReaderAgent agent = new ChannelReaderAgent(
            reader, checker, POLL_LIMIT, SystemEpochClock.INSTANCE);
        SampleMain.runOnThisThread(agent, channels.newIdleStrategy());
        final long elapsedNs = 0 == checker.count ? 0 : System.nanoTime() - checker.firstRecordNs;

        final Result result = new Result(checker.count, checker.gaps, checker.bytes, agent.endState());
        out.printf(Locale.ROOT, "reader: %,d records in %.3f s from the first record to the end: %s%n",
            result.records(), elapsedNs / 1e9, IpcThroughputWriter.rates(result.records(), result.bytes(), elapsedNs));
        out.printf(Locale.ROOT, "reader: channel %s, sequence gaps %d: %s%n", result.endState(), result.gaps(),
            result.isValid() ? "every record whole and in order" : "FAILED");

        if (!channels.keep() && ChannelState.CORRUPT != result.endState())
        {
            SampleMain.deleteChannel(path);
        }

        return result;
    }

    /**
     * What the reader saw.
     *
     * @param records  read.
     * @param gaps     records whose sequence number was not the one expected.
     * @param bytes    of payload read.
     * @param endState of the channel.
     */
    public record Result(long records, long gaps, long bytes, ChannelState endState)
    {
        /**
         * Whether every record arrived whole and in order and the channel was closed.
         *
         * @return true when valid.
         */
        public boolean isValid()
        {
            return records > 0 && 0 == gaps && ChannelState.CLOSED == endState;
        }
    }

    /**
     * Checks each record's sequence number against its position in the channel.
     */
    private static final class SequenceChecker implements RecordHandler
    {
        private long count;
        private long gaps;
        private long bytes;
        private long firstRecordNs;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (0 == count)
            {
                firstRecordNs = System.nanoTime();
            }
            if (IpcThroughputWriter.MSG_TYPE_ID != msgTypeId || length < IpcThroughputWriter.MIN_PAYLOAD_LENGTH ||
                buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN) != count)
            {
                gaps++;
            }
            bytes += length;
            count++;
        }
    }
}
