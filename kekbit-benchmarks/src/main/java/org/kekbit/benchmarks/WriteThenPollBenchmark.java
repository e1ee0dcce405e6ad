package org.kekbit.benchmarks;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A first smoke benchmark of the record protocol on one thread: write a record, then poll it, a million times,
 * for a Kekbit channel (copying write and claim/commit) and, as the floor for the protocol, Agrona's
 * {@link OneToOneRingBuffer} over a file mapped from the same folder. Each invocation starts on a fresh channel
 * whose pages the writer's and the reader's pre-touch made resident and mapped, outside the measured time, so this
 * measures the hot paths and not page faults. Cross-thread throughput and latency against Aeron and Chronicle
 * Queue come later.
 * <pre>
 * java -jar kekbit-benchmarks/target/kekbit-benchmarks.jar WriteThenPollBenchmark -foe true
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(WriteThenPollBenchmark.RECORDS)
@Warmup(iterations = 10, batchSize = 1)
@Measurement(iterations = 20, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED")
@State(Scope.Thread)
public class WriteThenPollBenchmark
{
    /**
     * Records written and polled per invocation.
     */
    public static final int RECORDS = 1 << 20;

    private static final int MSG_TYPE_ID = 1;
    private static final int RING_CAPACITY = 64 * 1024 * 1024;

    @Param({ "32" })
    int payloadLength;

    private final CountingHandler handler = new CountingHandler();
    private final RecordClaim claim = new RecordClaim();
    private Path root;
    private long channelId;
    private ChannelWriter writer;
    private ChannelReader reader;
    private UnsafeBuffer payload;
    private MappedByteBuffer ringMapping;
    private OneToOneRingBuffer ringBuffer;

    /**
     * Create the folder, the payload and the ring buffer.
     *
     * @throws IOException if the folder cannot be created.
     */
    @Setup(Level.Trial)
    public void setupTrial() throws IOException
    {
        root = Files.createTempDirectory(ChannelWriter.Context.defaultRoot().getParent(), "kekbit-bench");
        payload = new UnsafeBuffer(new byte[payloadLength]);
        final File ringFile = root.resolve("ring.dat").toFile();
        ringMapping = IoUtil.mapNewFile(ringFile, RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH);
        ringBuffer = new OneToOneRingBuffer(new UnsafeBuffer(ringMapping));
    }

    /**
     * A fresh channel for every invocation: a channel never reuses memory.
     */
    @Setup(Level.Invocation)
    public void setupInvocation()
    {
        writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root)
            .channelId(++channelId)
            .capacity(((long)RECORDS + 1) * (payloadLength + 16))
            .maxRecordLength(payloadLength));
        reader = ChannelReader.open(new ChannelReader.Context().file(writer.path()).preTouch(true));
    }

    /**
     * Close and delete the invocation's channel.
     *
     * @throws IOException if the file cannot be deleted.
     */
    @TearDown(Level.Invocation)
    public void tearDownInvocation() throws IOException
    {
        reader.close();
        writer.close();
        Files.delete(writer.path());
    }

    /**
     * Delete the folder.
     */
    @TearDown(Level.Trial)
    public void tearDownTrial()
    {
        IoUtil.unmap(ringMapping);
        IoUtil.delete(root.toFile(), true);
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
            payload.putInt(0, i);
            writer.write(MSG_TYPE_ID, payload, 0, payloadLength);
            delivered += reader.poll(handler, 1);
        }
        return delivered + handler.sum;
    }

    /**
     * Claim, encode in place and commit, then poll, on a channel.
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
        long delivered = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            if (writer.tryClaim(MSG_TYPE_ID, payloadLength, claim) > 0)
            {
                final MutableDirectBuffer buffer = claim.buffer();
                buffer.putInt(claim.offset(), i);
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
            payload.putInt(0, i);
            ringBuffer.write(MSG_TYPE_ID, payload, 0, payloadLength);
            delivered += ringBuffer.read(handler, 1);
        }
        return delivered + handler.sum;
    }

    static final class CountingHandler implements RecordHandler, MessageHandler
    {
        long sum;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            sum += buffer.getInt(offset);
        }

        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            sum += buffer.getInt(index);
        }
    }
}
