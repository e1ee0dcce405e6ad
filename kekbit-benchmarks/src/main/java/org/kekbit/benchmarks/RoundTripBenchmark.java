package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;
import static org.kekbit.benchmarks.BenchmarkConfiguration.POLL_LIMIT;

/**
 * Scenario 1, burst round trip: the benchmark thread writes a burst of 1 or 100 records of 32 or 288 bytes on a
 * ping stream, an echo thread ({@link DutyThread}, busy spinning) copies each onto a pong stream, and the
 * invocation ends when the benchmark thread has read the whole burst back. JMH's sample mode times every
 * invocation, so the result is the distribution of burst round-trip times, with p50, p99 and p99.9.
 * <ul>
 *     <li><b>Kekbit</b>: two {@link ChannelRotation}s of channels sized for 16 MiB of records each (419,430 records
 *     of 32 bytes, 56,680 of 288 bytes). Before every iteration, outside the measured time, twice as many channels
 *     are created as the previous iteration used, plus two (at most 64, 1 GiB per direction), with the writer's
 *     pre-touch and readers opened with pre-touch; a writer that runs out creates one itself, which the iteration's
 *     teardown reports. Channels are deleted after each iteration.</li>
 *     <li><b>Agrona</b>: two {@link OneToOneRingBuffer}s of {@link BenchmarkConfiguration#RING_CAPACITY} mapped from
 *     /dev/shm, pages touched at setup.</li>
 *     <li><b>Aeron</b>: two exclusive IPC publications ({@link EmbeddedAeron}); the driver runs in the benchmark
 *     thread's duty cycle when a publication's window falls below a quarter of a term, when an offer is
 *     back-pressured, and after 65,536 idle spins waiting for replies.</li>
 *     <li><b>Chronicle Queue</b>: two queues on /dev/shm.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoundTripBenchmark extends BenchmarkDefaults
{
    /**
     * Bytes of records in each channel of a Kekbit rotation.
     */
    public static final int CHANNEL_BYTES = 16 * 1024 * 1024;

    /**
     * Most channels prepared ahead per direction and iteration.
     */
    public static final int MAX_CHANNELS_AHEAD = 64;

    private static final int STREAM_PING = 1001;
    private static final int STREAM_PONG = 1002;
    private static final long PONG_CHANNEL_ID_BASE = 1L << 32;

    /**
     * What every system's state shares: the burst and payload, the echo thread, the reply sum.
     */
    @State(Scope.Thread)
    public abstract static class EchoState extends ThreadedState
    {
        @Param({ "1", "100" })
        int burst;

        @Param({ "32", "288" })
        int payloadLength;

        long sequence;
        long sum;
    }

    /**
     * Kekbit: a ping and a pong rotation of pre-created, pre-touched channels.
     */
    @State(Scope.Thread)
    public static class KekbitState extends EchoState implements RecordHandler
    {
        Path root;
        ChannelRotation ping;
        ChannelRotation pong;
        ChannelWriter pingWriter;
        ChannelReader pongReader;
        UnsafeBuffer payload;
        KekbitEcho echo;
        long channelsAtIterationStart;
        int channelsAhead = 4;

        DutyThread.Duty openTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-rtt-");
            final long recordsPerChannel = CHANNEL_BYTES / BenchmarkConfiguration.kekbitRecordLength(payloadLength);
            ping = new ChannelRotation(root, 1, payloadLength, recordsPerChannel);
            pong = new ChannelRotation(root, PONG_CHANNEL_ID_BASE, payloadLength, recordsPerChannel);
            pingWriter = ping.writer();
            pongReader = pong.reader();
            payload = new UnsafeBuffer(new byte[payloadLength]);
            echo = new KekbitEcho(ping, pong);
            return echo;
        }

        void beforeIteration()
        {
            ping.prepare(channelsAhead);
            pong.prepare(channelsAhead);
            channelsAtIterationStart = ping.writerIndex();
        }

        void afterIteration()
        {
            final long used = ping.writerIndex() - channelsAtIterationStart;
            channelsAhead = (int)Math.min(MAX_CHANNELS_AHEAD, 2 * used + 2);
            if (ping.inlineCreations() + pong.inlineCreations() > 0)
            {
                System.out.println("channels created inside the measured time so far: ping=" +
                    ping.inlineCreations() + ", pong=" + pong.inlineCreations());
            }
            ping.recycle();
            pong.recycle();
        }

        void closeTrial()
        {
            ping.close();
            pong.close();
            Storage.delete(root);
        }

        /**
         * A reply.
         *
         * @param msgTypeId of the reply.
         * @param buffer    holding the reply.
         * @param offset    of the payload.
         * @param length    of the payload.
         */
        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            sum += buffer.getLong(offset);
        }
    }

    /**
     * Copies each ping record onto the pong rotation, following both rotations.
     */
    static final class KekbitEcho implements DutyThread.Duty, RecordHandler
    {
        private final ChannelRotation ping;
        private final ChannelRotation pong;
        private ChannelReader pingReader;
        private ChannelWriter pongWriter;

        KekbitEcho(final ChannelRotation ping, final ChannelRotation pong)
        {
            this.ping = ping;
            this.pong = pong;
            this.pingReader = ping.reader();
            this.pongWriter = pong.writer();
        }

        public int doWork()
        {
            final int count = pingReader.poll(this, POLL_LIMIT);
            if (0 == count && pingReader.position() == pingReader.capacity())
            {
                pingReader = ping.nextReader();
            }

            return count;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            long result = pongWriter.write(msgTypeId, buffer, offset, length);
            if (ChannelWriter.CHANNEL_FULL == result)
            {
                pongWriter = pong.nextWriter();
                result = pongWriter.write(msgTypeId, buffer, offset, length);
            }
            if (result < 0)
            {
                throw new IllegalStateException("pong write failed: " + result);
            }
        }
    }

    /**
     * Agrona: a ping and a pong ring buffer mapped from /dev/shm.
     */
    @State(Scope.Thread)
    public static class RingBufferState extends EchoState implements MessageHandler
    {
        Path root;
        MappedRingBuffer pingRing;
        MappedRingBuffer pongRing;
        RingBuffer ping;
        RingBuffer pong;
        UnsafeBuffer payload;

        DutyThread.Duty openTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-rtt-ring-");
            pingRing = new MappedRingBuffer(root.resolve("ping"));
            pongRing = new MappedRingBuffer(root.resolve("pong"));
            ping = pingRing.ringBuffer();
            pong = pongRing.ringBuffer();
            payload = new UnsafeBuffer(new byte[payloadLength]);
            final RingBuffer ping = this.ping;
            final RingBuffer pong = this.pong;
            final MessageHandler echo = (msgTypeId, buffer, index, messageLength) ->
            {
                while (!pong.write(msgTypeId, buffer, index, messageLength))
                {
                    Thread.onSpinWait();
                }
            };
            return () -> ping.read(echo, POLL_LIMIT);
        }

        void closeTrial()
        {
            pingRing.close();
            pongRing.close();
            Storage.delete(root);
        }

        /**
         * A reply.
         *
         * @param msgTypeId of the reply.
         * @param buffer    holding the reply.
         * @param index     of the payload.
         * @param length    of the payload.
         */
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            sum += buffer.getLong(index);
        }
    }

    /**
     * Aeron: a ping and a pong exclusive IPC publication.
     */
    @State(Scope.Thread)
    public static class AeronState extends EchoState implements FragmentHandler
    {
        EmbeddedAeron aeron;
        ExclusivePublication ping;
        ExclusivePublication pong;
        Subscription pongSubscription;
        UnsafeBuffer payload;
        long lowWindow;

        DutyThread.Duty openTrial()
        {
            aeron = new EmbeddedAeron();
            final Subscription pingSubscription = aeron.addSubscription(STREAM_PING);
            pongSubscription = aeron.addSubscription(STREAM_PONG);
            ping = aeron.addPublication(STREAM_PING);
            pong = aeron.addPublication(STREAM_PONG);
            aeron.awaitConnected(ping, pingSubscription);
            aeron.awaitConnected(pong, pongSubscription);
            lowWindow = BenchmarkConfiguration.AERON_TERM_LENGTH / 4;
            payload = new UnsafeBuffer(new byte[payloadLength]);
            final ExclusivePublication pong = this.pong;
            final FragmentHandler echo = (buffer, offset, length, header) ->
            {
                long result;
                while ((result = pong.offer(buffer, offset, length)) < 0)
                {
                    EmbeddedAeron.checkOfferResult(result);
                    Thread.onSpinWait();
                }
            };
            return () -> pingSubscription.poll(echo, POLL_LIMIT);
        }

        void beforeIteration()
        {
            aeron.doWork();
        }

        void afterIteration()
        {
            aeron.doWork();
        }

        void closeTrial()
        {
            aeron.close();
        }

        /**
         * A reply.
         *
         * @param buffer holding the reply.
         * @param offset of the payload.
         * @param length of the payload.
         * @param header of the fragment.
         */
        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            sum += buffer.getLong(offset);
        }
    }

    /**
     * Chronicle Queue: a ping and a pong queue on /dev/shm.
     */
    @State(Scope.Thread)
    public static class ChronicleState extends EchoState
    {
        Path root;
        ChronicleQueue pingQueue;
        ChronicleQueue pongQueue;
        ExcerptAppender ping;
        ExcerptTailer pong;
        BytesStore<?, Void> payload;

        DutyThread.Duty openTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-rtt-chronicle-");
            pingQueue = ChronicleQueues.open(root.resolve("ping"));
            pongQueue = ChronicleQueues.open(root.resolve("pong"));
            ping = ChronicleQueues.appender(pingQueue);
            pong = ChronicleQueues.tailer(pongQueue);
            payload = ChronicleQueues.payload(payloadLength);
            final ExcerptTailer pingTailer = ChronicleQueues.tailer(pingQueue);
            final ExcerptAppender pongAppender = ChronicleQueues.appender(pongQueue);
            return () ->
            {
                int count = 0;
                while (count < POLL_LIMIT)
                {
                    try (DocumentContext in = pingTailer.readingDocument())
                    {
                        if (!in.isPresent())
                        {
                            break;
                        }
                        final Bytes<?> bytes = in.wire().bytes();
                        try (DocumentContext out = pongAppender.writingDocument())
                        {
                            out.wire().bytes().write(bytes, bytes.readPosition(), bytes.readRemaining());
                        }
                        count++;
                    }
                }
                return count;
            };
        }

        void closeTrial()
        {
            ping.close();
            pong.close();
            pingQueue.close();
            pongQueue.close();
            payload.releaseLast();
            Storage.delete(root);
        }
    }

    /**
     * Kekbit: one burst there and back.
     *
     * @param state of the trial.
     * @return sum of the replies' sequences.
     */
    @Benchmark
    public long kekbit(final KekbitState state)
    {
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int burst = state.burst;
        ChannelWriter writer = state.pingWriter;
        for (int i = 0; i < burst; i++)
        {
            payload.putLong(0, state.sequence++);
            long result = writer.write(MSG_TYPE_ID, payload, 0, length);
            if (ChannelWriter.CHANNEL_FULL == result)
            {
                writer = state.ping.nextWriter();
                state.pingWriter = writer;
                result = writer.write(MSG_TYPE_ID, payload, 0, length);
            }
            if (result < 0)
            {
                throw new IllegalStateException("ping write failed: " + result);
            }
        }

        ChannelReader reader = state.pongReader;
        int received = 0;
        long spins = 0;
        while (received < burst)
        {
            final int count = reader.poll(state, burst - received);
            if (0 == count)
            {
                if (reader.position() == reader.capacity())
                {
                    reader = state.pong.nextReader();
                    state.pongReader = reader;
                }
                else
                {
                    state.thread.waiting(++spins);
                }
            }
            received += count;
        }

        return state.sum;
    }

    /**
     * Agrona ring buffers: one burst there and back.
     *
     * @param state of the trial.
     * @return sum of the replies' sequences.
     */
    @Benchmark
    public long ringBuffer(final RingBufferState state)
    {
        final RingBuffer ping = state.ping;
        final RingBuffer pong = state.pong;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int burst = state.burst;
        long spins = 0;
        for (int i = 0; i < burst; i++)
        {
            payload.putLong(0, state.sequence++);
            while (!ping.write(MSG_TYPE_ID, payload, 0, length))
            {
                state.thread.waiting(++spins);
            }
        }

        int received = 0;
        while (received < burst)
        {
            final int count = pong.read(state, burst - received);
            if (0 == count)
            {
                state.thread.waiting(++spins);
            }
            received += count;
        }

        return state.sum;
    }

    /**
     * Aeron IPC: one burst there and back.
     *
     * @param state of the trial.
     * @return sum of the replies' sequences.
     */
    @Benchmark
    public long aeron(final AeronState state)
    {
        final ExclusivePublication ping = state.ping;
        final EmbeddedAeron aeron = state.aeron;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int burst = state.burst;
        if (ping.availableWindow() < state.lowWindow || state.pong.availableWindow() < state.lowWindow)
        {
            aeron.doWork();
        }

        long spins = 0;
        for (int i = 0; i < burst; i++)
        {
            payload.putLong(0, state.sequence++);
            long result;
            while ((result = ping.offer(payload, 0, length)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                aeron.doWork();
                state.thread.waiting(++spins);
            }
        }

        final Subscription pong = state.pongSubscription;
        int received = 0;
        while (received < burst)
        {
            final int count = pong.poll(state, burst - received);
            if (0 == count)
            {
                if (0 == (++spins & 0xFFFF))
                {
                    aeron.doWork(); // a back-pressured echo waits for the driver, which only this thread runs
                }
                state.thread.waiting(spins);
            }
            received += count;
        }

        return state.sum;
    }

    /**
     * Chronicle Queue: one burst there and back.
     *
     * @param state of the trial.
     * @return sum of the replies' sequences.
     */
    @Benchmark
    public long chronicle(final ChronicleState state)
    {
        final ExcerptAppender ping = state.ping;
        final ExcerptTailer pong = state.pong;
        final BytesStore<?, Void> payload = state.payload;
        final int burst = state.burst;
        for (int i = 0; i < burst; i++)
        {
            payload.writeLong(0, state.sequence++);
            ping.writeBytes(payload);
        }

        int received = 0;
        long spins = 0;
        while (received < burst)
        {
            try (DocumentContext dc = pong.readingDocument())
            {
                if (dc.isPresent())
                {
                    final Bytes<?> bytes = dc.wire().bytes();
                    state.sum += bytes.readLong(bytes.readPosition());
                    received++;
                    continue;
                }
            }
            state.thread.waiting(++spins);
        }

        return state.sum;
    }
}
