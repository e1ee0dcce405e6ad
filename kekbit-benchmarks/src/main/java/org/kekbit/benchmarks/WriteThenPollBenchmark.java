package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordHandler;
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

/**
 * The record protocol on one thread, the cost of the hot paths alone: write a record, then poll it, 2^20 times per
 * invocation, for a Kekbit channel (copying write and claim/commit) and, as the floor for the protocol, Agrona's
 * {@link OneToOneRingBuffer} over a file mapped from /dev/shm; time per record. Each invocation starts on a fresh
 * channel of exactly {@value #RECORDS} records (40 MiB for 32-byte payloads) whose pages the writer's and the
 * reader's pre-touch made resident and mapped, outside the measured time, so this measures the hot paths and not page
 * faults. With {@code -prof gc} it is also the allocation check of write, claim/commit and poll.
 * <pre>
 * java -jar kekbit-benchmarks/target/kekbit-benchmarks.jar WriteThenPollBenchmark -foe true -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(WriteThenPollBenchmark.RECORDS)
@State(Scope.Thread)
public class WriteThenPollBenchmark extends BenchmarkDefaults
{
    /**
     * Records written and polled per invocation.
     */
    public static final int RECORDS = 1 << 20;

    private static final int MSG_TYPE_ID = BenchmarkConfiguration.MSG_TYPE_ID;
    private static final int RING_CAPACITY = BenchmarkConfiguration.RING_CAPACITY;

    @Param({ "32" })
    int payloadLength;

    private final CountingHandler handler = new CountingHandler();
    private final RecordClaim claim = new RecordClaim();
    private Path root;
    private long channelId;
    private ChannelWriter writer;
    private ChannelReader reader;
    private UnsafeBuffer payload;
    private MappedRingBuffer ring;
    private OneToOneRingBuffer ringBuffer;

    /**
     * Create the folder, the payload and the ring buffer, its pages touched.
     */
    @Setup(Level.Trial)
    public void setupTrial()
    {
        root = BenchmarkConfiguration.shmFolder("kekbit-bench-wtp-");
        payload = new UnsafeBuffer(new byte[payloadLength]);
        ring = new MappedRingBuffer(root.resolve("ring"));
        ringBuffer = ring.ringBuffer();
    }

    /**
     * A fresh channel for every invocation: a channel never reuses memory.
     */
    @Setup(Level.Invocation)
    public void setupInvocation()
    {
        writer = Storage.createChannel(root, ++channelId, payloadLength, RECORDS);
        reader = Storage.openReader(writer.path(), true);
    }

    /**
     * Close and delete the invocation's channel.
     */
    @TearDown(Level.Invocation)
    public void tearDownInvocation()
    {
        reader.close();
        writer.close();
        Storage.delete(writer.path());
    }

    /**
     * Delete the folder.
     */
    @TearDown(Level.Trial)
    public void tearDownTrial()
    {
        ring.close();
        Storage.delete(root);
    }

    /**
     * Copying write then poll on a channel.
     *
     * @return records delivered.
     */
    @Benchmark
    public long channelWriteThenPoll()
    {
        final ChannelWriter writer = this.writer;
        final ChannelReader reader = this.reader;
        final CountingHandler handler = this.handler;
        final UnsafeBuffer payload = this.payload;
        long delivered = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            writer.write(MSG_TYPE_ID, payload, 0, payloadLength);
            delivered += reader.poll(handler, 1);
        }
        return delivered + handler.sum;
    }

    /**
     * Claim, fill in place (the sequence, then the rest of the payload) and commit, then poll, on a channel.
     *
     * @return records delivered.
     */
    @Benchmark
    public long channelClaimThenPoll()
    {
        final ChannelWriter writer = this.writer;
        final ChannelReader reader = this.reader;
        final CountingHandler handler = this.handler;
        final RecordClaim claim = this.claim;
        final UnsafeBuffer payload = this.payload;
        long delivered = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            if (writer.tryClaim(MSG_TYPE_ID, payloadLength, claim) > 0)
            {
                final MutableDirectBuffer buffer = claim.buffer();
                final int offset = claim.offset();
                buffer.putLong(offset, i);
                buffer.putBytes(offset + 8, payload, 8, payloadLength - 8);
                claim.commit();
            }
            delivered += reader.poll(handler, 1);
        }
        return delivered + handler.sum;
    }

    /**
     * Write then read on Agrona's one-to-one ring buffer: the floor for the record protocol.
     *
     * @return records delivered.
     */
    @Benchmark
    public long ringBufferWriteThenRead()
    {
        final OneToOneRingBuffer ringBuffer = this.ringBuffer;
        final CountingHandler handler = this.handler;
        final UnsafeBuffer payload = this.payload;
        long delivered = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            ringBuffer.write(MSG_TYPE_ID, payload, 0, payloadLength);
            delivered += ringBuffer.read(handler, 1);
        }
        return delivered + handler.sum;
    }

    /**
     * Claim, fill in place and commit, then read, on Agrona's one-to-one ring buffer.
     *
     * @return records delivered.
     */
    @Benchmark
    public long ringBufferClaimThenRead()
    {
        final OneToOneRingBuffer ringBuffer = this.ringBuffer;
        final MutableDirectBuffer buffer = ringBuffer.buffer();
        final CountingHandler handler = this.handler;
        final UnsafeBuffer payload = this.payload;
        long delivered = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            final int index = ringBuffer.tryClaim(MSG_TYPE_ID, payloadLength);
            if (index > 0)
            {
                buffer.putLong(index, i);
                buffer.putBytes(index + 8, payload, 8, payloadLength - 8);
                ringBuffer.commit(index);
            }
            delivered += ringBuffer.read(handler, 1);
        }
        return delivered + handler.sum;
    }

    static final class CountingHandler implements RecordHandler, MessageHandler
    {
        long sum;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            sum += buffer.getLong(offset);
        }

        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            sum += buffer.getLong(index);
        }
    }
}
