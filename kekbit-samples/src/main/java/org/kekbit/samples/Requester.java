package org.kekbit.samples;

import java.io.PrintStream;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelReaderAgent;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;

import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Sends requests on one channel and takes the {@link Replier}'s replies from another, one request in flight at a
 * time, and prints the round-trip times (p50, p90, p99, p99.9, max). Each side writes only its own channel; start
 * them in either order.
 * <pre>
 * bin/sample Replier
 * bin/sample -Dkekbit.sample.records=100000 Requester
 * </pre>
 * Settings are those of {@link SampleChannels}: the requests go on channel {@value #DEFAULT_CHANNEL_ID} (or
 * {@value SampleChannels#CHANNEL_PROPERTY}), the replies on the next id; {@code kekbit.sample.records} is the number
 * of requests, {@value #DEFAULT_REQUESTS} by default. A request carries a sequence number and the time it was sent;
 * the reply is a copy of it, so the requester measures on its own clock. Once every reply is in, the requester
 * closes its channel, the replier closes its own on seeing that, and the requester, the last to finish, deletes both
 * channels (unless {@code kekbit.sample.keep=true}).
 * <p>
 * Each side is one duty cycle on one thread: the channel writer (its heartbeat), the sending or echoing, and a
 * {@link ChannelReaderAgent} on the peer's channel, composed in a {@link CompositeAgent} and run by an
 * {@link org.agrona.concurrent.AgentInvoker} with a backoff idle strategy by default, so two sides on a two-core
 * machine leave room for each other.
 */
public final class Requester
{
    /**
     * Id of the requests channel when {@value SampleChannels#CHANNEL_PROPERTY} is not set; replies use the next id.
     */
    public static final long DEFAULT_CHANNEL_ID = 2;

    /**
     * Requests to send when {@code kekbit.sample.records} is not set.
     */
    public static final long DEFAULT_REQUESTS = 100_000;

    /**
     * System property holding the number of requests.
     */
    public static final String REQUESTS_PROPERTY = "kekbit.sample.records";

    /**
     * Type id of a request record.
     */
    static final int REQUEST_MSG_TYPE_ID = 1;

    /**
     * Type id of a reply record.
     */
    static final int REPLY_MSG_TYPE_ID = 2;

    /**
     * Offset of the sequence number in a request or reply (8 bytes, little endian).
     */
    static final int SEQUENCE_OFFSET = 0;

    /**
     * Offset of the time the request was sent, in nanoseconds of the requester's clock (8 bytes, little endian).
     */
    static final int SEND_TIME_OFFSET = SEQUENCE_OFFSET + SIZE_OF_LONG;

    /**
     * Length of a request or reply.
     */
    static final int MESSAGE_LENGTH = SEND_TIME_OFFSET + SIZE_OF_LONG;

    private static final long MAX_RECORDED_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int POLL_LIMIT = 64;

    private Requester()
    {
    }

    /**
     * Send the requests with the settings of the system properties.
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
     * @return the exit status: 0 when every request got its reply, 1 when not, 2 on bad input.
     */
    public static int launch(
        final Properties properties, final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            SampleMain.checkNoArguments(args);
            final SampleChannels channels = SampleChannels.fromProperties(properties, DEFAULT_CHANNEL_ID, "backoff");
            final long requests = SampleChannels.longProperty(properties, REQUESTS_PROPERTY, DEFAULT_REQUESTS);
            return run(channels, requests, out).isValid() ? SampleMain.EXIT_OK : SampleMain.EXIT_FAILED;
        });
    }

    /**
     * Id of the replies channel that goes with a requests channel.
     *
     * @param requestsChannelId id of the requests channel.
     * @return the id of the replies channel.
     */
    public static long repliesChannelId(final long requestsChannelId)
    {
        return requestsChannelId + 1;
    }

    /**
     * Create the requests channel, wait for the replies channel, exchange the requests and replies, print the
     * round-trip times and delete both channels.
     *
     * @param channels settings: root, requests channel id, timeout, idle strategy and keep.
     * @param requests to send, one at a time.
     * @param out      for the figures.
     * @return what came back.
     * @throws IllegalArgumentException            when the number of requests is out of range.
     * @throws org.kekbit.channel.ChannelException when the requests channel exists, or the replies channel did not
     *                                             appear in time (the requests channel is then deleted).
     */
    public static Result run(final SampleChannels channels, final long requests, final PrintStream out)
    {
        final long capacity = capacityFor(requests);
        final ChannelWriter requestsWriter = ChannelWriter.create(channels.writerContext(channels.channelId())
            .capacity(capacity)
            .maxRecordLength(MESSAGE_LENGTH));
        final ChannelReader replies;
        try
        {
            // The requests channel must look alive to a replier that starts later: keep its heartbeat while waiting.
            replies = ChannelReader.awaitOpen(
                channels.readerContext(repliesChannelId(channels.channelId())),
                new HeartbeatIdleStrategy(requestsWriter, new SleepingMillisIdleStrategy(SampleChannels.AWAIT_IDLE_MS)),
                channels.timeoutMs());
        }
        catch (final RuntimeException ex)
        {
            requestsWriter.close();
            SampleMain.deleteChannel(requestsWriter.path()); // nobody answered: leave nothing behind
            throw ex;
        }

        out.printf(Locale.ROOT, "requester: %,d requests to %s, replies from %s%n",
            requests, requestsWriter.path(), replies.path());
        out.flush();

        final RoundTrips roundTrips = new RoundTrips(requestsWriter, requests);
        final ChannelReaderAgent repliesAgent = new ChannelReaderAgent(
            replies, roundTrips, POLL_LIMIT, SystemEpochClock.INSTANCE);
        SampleMain.runOnThisThread(
            new CompositeAgent(requestsWriter, roundTrips, repliesAgent), channels.newIdleStrategy());

        final Result result = new Result(
            roundTrips.sent, roundTrips.received, roundTrips.mismatches, roundTrips.histogram, repliesAgent.endState());
        printFigures(result, out);
        if (!channels.keep())
        {
            SampleMain.deleteChannel(requestsWriter.path());
            SampleMain.deleteChannel(replies.path());
        }

        return result;
    }

    private static long capacityFor(final long requests)
    {
        final long recordLength = RecordDescriptor.alignedLength(RecordDescriptor.frameLength(MESSAGE_LENGTH),
            RecordDescriptor.ALIGNMENT);
        final long maxRequests = ChannelDescriptor.MAX_CAPACITY / recordLength;
        if (requests <= 0 || requests > maxRequests)
        {
            throw new IllegalArgumentException(
                REQUESTS_PROPERTY + " out of range: expected 1.." + maxRequests + ", actual=" + requests);
        }

        return Math.max(ChannelDescriptor.MIN_CAPACITY, requests * recordLength);
    }

    private static void printFigures(final Result result, final PrintStream out)
    {
        final Histogram histogram = result.histogram();
        out.printf(Locale.ROOT, "requester: %,d replies to %,d requests, %d mismatched, replies channel %s%n",
            result.replies(), result.requests(), result.mismatches(), result.repliesEndState());
        out.printf(Locale.ROOT, "requester: round trip in us: p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f%n",
            histogram.getValueAtPercentile(50) / 1e3,
            histogram.getValueAtPercentile(90) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3,
            histogram.getValueAtPercentile(99.9) / 1e3,
            histogram.getMaxValue() / 1e3);
    }

    /**
     * What came back.
     *
     * @param requests        sent.
     * @param replies         received.
     * @param mismatches      replies whose type, length or sequence was not the one expected.
     * @param histogram       of the round-trip times in nanoseconds, one value per reply.
     * @param repliesEndState how the replies channel ended.
     */
    public record Result(
        long requests, long replies, long mismatches, Histogram histogram, ChannelState repliesEndState)
    {
        /**
         * Whether every request got its own reply and both sides closed their channels.
         *
         * @return true when valid.
         */
        public boolean isValid()
        {
            return requests == replies && 0 == mismatches && ChannelState.CLOSED == repliesEndState;
        }
    }

    /**
     * Sends a request when none is in flight and measures the round trip when its reply comes back.
     */
    private static final class RoundTrips implements Agent, RecordHandler
    {
        private final ChannelWriter requests;
        private final UnsafeBuffer message = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
        private final Histogram histogram = new Histogram(MAX_RECORDED_NS, 3);
        private final long count;
        private long sent;
        private long received;
        private long mismatches;
        private boolean isInFlight;

        RoundTrips(final ChannelWriter requests, final long count)
        {
            this.requests = requests;
            this.count = count;
        }

        public int doWork()
        {
            if (isInFlight || sent == count)
            {
                return 0;
            }

            message.putLong(SEQUENCE_OFFSET, sent, ByteOrder.LITTLE_ENDIAN);
            message.putLong(SEND_TIME_OFFSET, System.nanoTime(), ByteOrder.LITTLE_ENDIAN);
            final long result = requests.write(REQUEST_MSG_TYPE_ID, message, 0, MESSAGE_LENGTH);
            if (result < 0)
            {
                throw new IllegalStateException("request " + sent + " not written: code=" + result);
            }
            sent++;
            isInFlight = true;

            return 1;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long nowNs = System.nanoTime();
            if (REPLY_MSG_TYPE_ID != msgTypeId || MESSAGE_LENGTH != length ||
                buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN) != received)
            {
                mismatches++;
            }
            else
            {
                final long sendTimeNs = buffer.getLong(offset + SEND_TIME_OFFSET, ByteOrder.LITTLE_ENDIAN);
                histogram.recordValue(Math.min(nowNs - sendTimeNs, MAX_RECORDED_NS));
            }
            received++;
            isInFlight = false;

            if (received == count)
            {
                requests.close(); // the replier sees CLOSED and closes the replies, which ends this side too
            }
        }

        public String roleName()
        {
            return "kekbit-requester";
        }
    }

    /**
     * Runs the writer's duty cycle each time it idles, so a thread waiting for something else, here
     * {@link ChannelReader#awaitOpen}, keeps the writer's heartbeat fresh.
     */
    private static final class HeartbeatIdleStrategy implements IdleStrategy
    {
        private final ChannelWriter writer;
        private final IdleStrategy delegate;

        HeartbeatIdleStrategy(final ChannelWriter writer, final IdleStrategy delegate)
        {
            this.writer = writer;
            this.delegate = delegate;
        }

        public void idle(final int workCount)
        {
            delegate.idle(workCount + writer.doWork());
        }

        public void idle()
        {
            writer.doWork();
            delegate.idle();
        }

        public void reset()
        {
            delegate.reset();
        }
    }
}
