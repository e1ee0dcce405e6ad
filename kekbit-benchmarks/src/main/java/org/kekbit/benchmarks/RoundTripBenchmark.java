package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
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
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

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
     * Kekbit: a ping and a pong rotation of pre-created, pre-touched channels.
     */
    @State(Scope.Thread)
    public static class KekbitState implements RecordHandler
    {
        @Param({ "1", "100" })
        int burst;

        @Param({ "32", "288" })
        int payloadLength;

        Path root;
        ChannelRotation ping;
        ChannelRotation pong;
        ChannelWriter pingWriter;
        ChannelReader pongReader;
        UnsafeBuffer payload;
        KekbitEcho echo;
        DutyThread echoThread;
        long sequence;
        long sum;
        long channelsAtIterationStart;
        int channelsAhead = 4;

        /**
         * Folder, rotations, payload and echo thread.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-rtt-");
            final long recordsPerChannel = CHANNEL_BYTES / BenchmarkConfiguration.kekbitRecordLength(payloadLength);
            ping = new ChannelRotation(root, 1, payloadLength, recordsPerChannel);
            pong = new ChannelRotation(root, PONG_CHANNEL_ID_BASE, payloadLength, recordsPerChannel);
            pingWriter = ping.writer();
            pongReader = pong.reader();
            payload = new UnsafeBuffer(new byte[payloadLength]);
            echo = new KekbitEcho(ping, pong);
            echoThread = new DutyThread("kekbit-echo", echo, new BusySpinIdleStrategy());
        }

        /**
         * Create the iteration's channels ahead, then start the echo.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            ping.prepare(channelsAhead);
            pong.prepare(channelsAhead);
            channelsAtIterationStart = ping.writerIndex();
            echoThread.resume();
        }

        /**
         * Park the echo, size the next iteration's channels from this one's, delete the channels left behind.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            echoThread.pause();
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

        /**
         * End the echo, delete every channel.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            echoThread.close();
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
    public static class RingBufferState implements MessageHandler
    {
        @Param({ "1", "100" })
        int burst;

        @Param({ "32", "288" })
        int payloadLength;

        Path root;
        MappedByteBuffer pingMapping;
        MappedByteBuffer pongMapping;
        RingBuffer ping;
        RingBuffer pong;
        UnsafeBuffer payload;
        DutyThread echoThread;
        long sequence;
        long sum;

        /**
         * Map the rings, start the echo thread parked.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-rtt-ring-");
            final long length = BenchmarkConfiguration.RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH;
            pingMapping = Storage.mapNewFile(root.resolve("ping"), length);
            pongMapping = Storage.mapNewFile(root.resolve("pong"), length);
            ping = new OneToOneRingBuffer(new UnsafeBuffer(pingMapping));
            pong = new OneToOneRingBuffer(new UnsafeBuffer(pongMapping));
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
            echoThread = new DutyThread("ring-echo", () -> ping.read(echo, POLL_LIMIT), new BusySpinIdleStrategy());
        }

        /**
         * Start the echo.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            echoThread.resume();
        }

        /**
         * Park the echo.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            echoThread.pause();
        }

        /**
         * End the echo, unmap and delete the rings.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            echoThread.close();
            IoUtil.unmap(pingMapping);
            IoUtil.unmap(pongMapping);
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
    public static class AeronState implements FragmentHandler
    {
        @Param({ "1", "100" })
        int burst;

        @Param({ "32", "288" })
        int payloadLength;

        EmbeddedAeron aeron;
        ExclusivePublication ping;
        ExclusivePublication pong;
        Subscription pongSubscription;
        UnsafeBuffer payload;
        DutyThread echoThread;
        long lowWindow;
        long sequence;
        long sum;

        /**
         * Launch the driver, connect both streams, start the echo thread parked.
         */
        @Setup(Level.Trial)
        public void setupTrial()
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
            echoThread = new DutyThread(
                "aeron-echo", () -> pingSubscription.poll(echo, POLL_LIMIT), new BusySpinIdleStrategy());
        }

        /**
         * Start the echo.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            aeron.doWork();
            echoThread.resume();
        }

        /**
         * Park the echo.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            echoThread.pause();
            aeron.doWork();
        }

        /**
         * End the echo, close Aeron.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            echoThread.close();
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
    public static class ChronicleState
    {
        @Param({ "1", "100" })
        int burst;

        @Param({ "32", "288" })
        int payloadLength;

        Path root;
        ChronicleQueue pingQueue;
        ChronicleQueue pongQueue;
        ExcerptAppender ping;
        ExcerptTailer pong;
        BytesStore<?, Void> payload;
        DutyThread echoThread;
        long sequence;
        long sum;

        /**
         * Open both queues, start the echo thread parked.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-rtt-chronicle-");
            pingQueue = ChronicleQueues.open(root.resolve("ping"));
            pongQueue = ChronicleQueues.open(root.resolve("pong"));
            ping = ChronicleQueues.appender(pingQueue);
            pong = ChronicleQueues.tailer(pongQueue);
            payload = ChronicleQueues.payload(payloadLength);
            final ExcerptTailer pingTailer = ChronicleQueues.tailer(pingQueue);
            final ExcerptAppender pongAppender = ChronicleQueues.appender(pongQueue);
            echoThread = new DutyThread("chronicle-echo", () ->
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
            }, new BusySpinIdleStrategy());
        }

        /**
         * Start the echo.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            echoThread.resume();
        }

        /**
         * Park the echo.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            echoThread.pause();
        }

        /**
         * End the echo, close and delete the queues.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            echoThread.close();
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
                    state.echoThread.waiting(++spins);
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
                state.echoThread.waiting(++spins);
            }
        }

        int received = 0;
        while (received < burst)
        {
            final int count = pong.read(state, burst - received);
            if (0 == count)
            {
                state.echoThread.waiting(++spins);
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
                state.echoThread.waiting(++spins);
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
                state.echoThread.waiting(spins);
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
            state.echoThread.waiting(++spins);
        }

        return state.sum;
    }
}
