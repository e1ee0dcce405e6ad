package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;

/**
 * Scenario 2, streaming throughput from one writer thread to one reader thread, in messages per second. Each
 * invocation writes {@value #RECORDS} records from the benchmark thread while a {@link DutyThread} reads them, and
 * ends when the reader has taken the last one: the rate is end to end. Payloads of 32, 288 and 1344 bytes; the
 * first 8 bytes carry a sequence number, which the reader adds up.
 * <ul>
 *     <li><b>Kekbit</b>: a fresh channel per invocation, sized for exactly {@value #RECORDS} records (5.0 MiB,
 *     37.0 MiB and 169.0 MiB of data region for the three payloads), created with the writer's pre-touch and read by
 *     a reader opened with pre-touch, both in the invocation's setup, outside the measured time. Copying
 *     {@code write} and {@code tryClaim}/{@code commit}.</li>
 *     <li><b>Agrona</b> {@link OneToOneRingBuffer} of {@link BenchmarkConfiguration#RING_CAPACITY} over a file mapped
 *     from /dev/shm, pages touched at setup: {@code write} and {@code tryClaim}/{@code commit}.</li>
 *     <li><b>Aeron</b> exclusive IPC publication ({@link EmbeddedAeron}): {@code offer} and
 *     {@code tryClaim}/{@code commit}; the driver runs in the writer's duty cycle when back-pressured.</li>
 *     <li><b>Chronicle Queue</b> on /dev/shm: {@code writeBytes} (copy) and {@code writingDocument} (in place).</li>
 *     <li><b>Raw copy</b>: the physical floor, one thread copying the same payloads to the same offsets of a
 *     resident mapped region, with no reader and no protocol.</li>
 * </ul>
 * In the claim variants the writer stores the sequence and copies the rest of the payload into the claimed room,
 * so every variant moves the same bytes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(StreamingBenchmark.RECORDS)
public class StreamingBenchmark extends BenchmarkDefaults
{
    /**
     * Records written per invocation.
     */
    public static final int RECORDS = 1 << 17;

    /**
     * What the states of the systems with a reader share: the payload, and a reader thread that runs the system's
     * {@link Consumer}.
     */
    @State(Scope.Thread)
    public abstract static class ReaderState extends ThreadedState
    {
        @Param({ "32", "288", "1344" })
        int payloadLength;

        UnsafeBuffer payload;
        Consumer consumer;

        final DutyThread.Duty openTrial()
        {
            payload = new UnsafeBuffer(new byte[payloadLength]);
            consumer = openStorage();
            return consumer;
        }

        abstract Consumer openStorage();
    }

    /**
     * Kekbit: a fresh, pre-touched channel per invocation.
     */
    @State(Scope.Thread)
    public static class KekbitState extends ReaderState
    {
        final RecordClaim claim = new RecordClaim();
        final Consumers.KekbitConsumer kekbitConsumer = new Consumers.KekbitConsumer();
        Path root;
        long channelId;
        ChannelWriter writer;
        ChannelReader reader;

        Consumer openStorage()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-stream-");
            return kekbitConsumer;
        }

        /**
         * A fresh channel sized for the invocation, writer and reader pre-touched, outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            writer = Storage.createChannel(root, ++channelId, payloadLength, RECORDS);
            reader = Storage.openReader(writer.path(), true);
            kekbitConsumer.reader(reader);
        }

        /**
         * Close and delete the invocation's channel; the reader has taken every record and polls no more.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            reader.close();
            writer.close();
            Storage.delete(writer.path());
        }

        void closeTrial()
        {
            Storage.delete(root);
        }
    }

    /**
     * Agrona: a one-to-one ring buffer over a file mapped from /dev/shm.
     */
    @State(Scope.Thread)
    public static class RingBufferState extends ReaderState
    {
        Path root;
        MappedRingBuffer ring;
        RingBuffer ringBuffer;

        Consumer openStorage()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-ring-");
            ring = new MappedRingBuffer(root.resolve("ring"));
            ringBuffer = ring.ringBuffer();
            return new Consumers.RingBufferConsumer(ringBuffer);
        }

        void closeTrial()
        {
            ring.close();
            Storage.delete(root);
        }
    }

    /**
     * Aeron: an exclusive IPC publication and a subscription, embedded driver in invoker mode.
     */
    @State(Scope.Thread)
    public static class AeronState extends ReaderState
    {
        final BufferClaim bufferClaim = new BufferClaim();
        EmbeddedAeron aeron;
        ExclusivePublication publication;

        Consumer openStorage()
        {
            aeron = new EmbeddedAeron();
            final EmbeddedAeron.IpcStream stream = aeron.connect(1001);
            publication = stream.publication();
            return new Consumers.AeronConsumer(stream.subscription());
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
    }

    /**
     * Chronicle Queue on /dev/shm.
     */
    @State(Scope.Thread)
    public static class ChronicleState extends ReaderState
    {
        Path root;
        ChronicleQueue queue;
        ExcerptAppender appender;
        BytesStore<?, Void> chroniclePayload;

        Consumer openStorage()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-chronicle-");
            queue = ChronicleQueues.open(root);
            appender = ChronicleQueues.appender(queue);
            chroniclePayload = ChronicleQueues.payload(payloadLength);
            return new Consumers.ChronicleConsumer(ChronicleQueues.tailer(queue));
        }

        void closeTrial()
        {
            appender.close();
            queue.close();
            chroniclePayload.releaseLast();
            Storage.delete(root);
        }
    }

    /**
     * The floor: a resident mapped region the payloads are copied into.
     */
    @State(Scope.Thread)
    public static class RawCopyState
    {
        @Param({ "32", "288", "1344" })
        int payloadLength;

        Path root;
        MappedByteBuffer mapping;
        UnsafeBuffer region;
        UnsafeBuffer payload;

        /**
         * Map and touch a region as large as the invocation's Kekbit channel.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-raw-");
            mapping = Storage.mapNewFile(root.resolve("raw"),
                (long)RECORDS * BenchmarkConfiguration.kekbitRecordLength(payloadLength));
            region = new UnsafeBuffer(mapping);
            payload = new UnsafeBuffer(new byte[payloadLength]);
        }

        /**
         * Unmap and delete.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            IoUtil.unmap(mapping);
            Storage.delete(root);
        }
    }

    /**
     * Kekbit, copying write.
     *
     * @param state of the trial.
     * @return the writer's position.
     */
    @Benchmark
    public long kekbitWrite(final KekbitState state)
    {
        final ChannelWriter writer = state.writer;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            if (writer.write(MSG_TYPE_ID, payload, 0, length) < 0)
            {
                throw new IllegalStateException("write failed at record " + i);
            }
        }
        state.consumer.await(state.thread);
        return writer.position();
    }

    /**
     * Kekbit, claim and commit.
     *
     * @param state of the trial.
     * @return the writer's position.
     */
    @Benchmark
    public long kekbitClaim(final KekbitState state)
    {
        final ChannelWriter writer = state.writer;
        final RecordClaim claim = state.claim;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            if (writer.tryClaim(MSG_TYPE_ID, length, claim) < 0)
            {
                throw new IllegalStateException("claim failed at record " + i);
            }
            final MutableDirectBuffer buffer = claim.buffer();
            final int offset = claim.offset();
            buffer.putLong(offset, i);
            buffer.putBytes(offset + 8, payload, 8, length - 8);
            claim.commit();
        }
        state.consumer.await(state.thread);
        return writer.position();
    }

    /**
     * Agrona ring buffer, copying write.
     *
     * @param state of the trial.
     * @return records consumed so far.
     */
    @Benchmark
    public long ringBufferWrite(final RingBufferState state)
    {
        final RingBuffer ringBuffer = state.ringBuffer;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            while (!ringBuffer.write(MSG_TYPE_ID, payload, 0, length))
            {
                backPressured(state.thread);
            }
        }
        state.consumer.await(state.thread);
        return state.consumer.consumed();
    }

    /**
     * Agrona ring buffer, claim and commit.
     *
     * @param state of the trial.
     * @return records consumed so far.
     */
    @Benchmark
    public long ringBufferClaim(final RingBufferState state)
    {
        final RingBuffer ringBuffer = state.ringBuffer;
        final MutableDirectBuffer buffer = ringBuffer.buffer();
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            int index;
            while ((index = ringBuffer.tryClaim(MSG_TYPE_ID, length)) < 0)
            {
                backPressured(state.thread);
            }
            buffer.putLong(index, i);
            buffer.putBytes(index + 8, payload, 8, length - 8);
            ringBuffer.commit(index);
        }
        state.consumer.await(state.thread);
        return state.consumer.consumed();
    }

    /**
     * Aeron exclusive publication, copying offer.
     *
     * @param state of the trial.
     * @return the publication's position.
     */
    @Benchmark
    public long aeronOffer(final AeronState state)
    {
        final ExclusivePublication publication = state.publication;
        final EmbeddedAeron aeron = state.aeron;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            long result;
            while ((result = publication.offer(payload, 0, length)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                aeron.doWork();
                backPressured(state.thread);
            }
        }
        state.consumer.await(state.thread);
        return publication.position();
    }

    /**
     * Aeron exclusive publication, claim and commit.
     *
     * @param state of the trial.
     * @return the publication's position.
     */
    @Benchmark
    public long aeronClaim(final AeronState state)
    {
        final ExclusivePublication publication = state.publication;
        final EmbeddedAeron aeron = state.aeron;
        final BufferClaim bufferClaim = state.bufferClaim;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            long result;
            while ((result = publication.tryClaim(length, bufferClaim)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                aeron.doWork();
                backPressured(state.thread);
            }
            final MutableDirectBuffer buffer = bufferClaim.buffer();
            final int offset = bufferClaim.offset();
            buffer.putLong(offset, i);
            buffer.putBytes(offset + 8, payload, 8, length - 8);
            bufferClaim.commit();
        }
        state.consumer.await(state.thread);
        return publication.position();
    }

    /**
     * Chronicle Queue, copying write.
     *
     * @param state of the trial.
     * @return records consumed so far.
     */
    @Benchmark
    public long chronicleWrite(final ChronicleState state)
    {
        final ExcerptAppender appender = state.appender;
        final BytesStore<?, Void> payload = state.chroniclePayload;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.writeLong(0, i);
            appender.writeBytes(payload);
        }
        state.consumer.await(state.thread);
        return state.consumer.consumed();
    }

    /**
     * Chronicle Queue, writing the document in place.
     *
     * @param state of the trial.
     * @return records consumed so far.
     */
    @Benchmark
    public long chronicleClaim(final ChronicleState state)
    {
        final ExcerptAppender appender = state.appender;
        final BytesStore<?, Void> payload = state.chroniclePayload;
        final int length = state.payloadLength;
        state.consumer.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            try (DocumentContext dc = appender.writingDocument())
            {
                final Bytes<?> bytes = dc.wire().bytes();
                bytes.writeLong(i);
                bytes.write(payload, 8L, length - 8L);
            }
        }
        state.consumer.await(state.thread);
        return state.consumer.consumed();
    }

    /**
     * The floor: copy the payloads to consecutive aligned offsets of resident memory, one thread, no protocol.
     *
     * @param state of the trial.
     * @return the last offset written.
     */
    @Benchmark
    public long rawCopy(final RawCopyState state)
    {
        final UnsafeBuffer region = state.region;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int stride = BenchmarkConfiguration.kekbitRecordLength(length);
        int offset = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            region.putBytes(offset, payload, 0, length);
            offset += stride;
        }
        return offset;
    }

    private static void backPressured(final DutyThread thread)
    {
        thread.checkError();
        Thread.onSpinWait();
    }
}
