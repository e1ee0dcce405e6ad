package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.stage.ChecksumStage;
import org.kekbit.stage.SequenceStage;
import org.kekbit.stage.StagedWriter;
import org.kekbit.stage.TimestampStage;
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
 * What a staged write costs per record on the writer's thread, beside the plain ways to write: a copying
 * {@code write}, a claim filled in place and committed, a {@link StagedWriter} with timestamp and sequence stages, and
 * the same with a {@link ChecksumStage} (CRC-32C of the payload) after them, as the original kekbit's handler chain
 * wrote records; the timestamps come from Agrona's {@link OffsetEpochNanoClock}. No reader. Each invocation writes
 * {@value #RECORDS} records into a fresh channel sized for them, created and pre-touched in the invocation's setup
 * (64 MiB at 4096 B), so the figure is the write path alone on resident pages: a per-record cost for comparing the
 * paths, not a streaming figure.
 * <pre>
 * java -jar kekbit-benchmarks/target/kekbit-benchmarks.jar StagedWriteBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(StagedWriteBenchmark.RECORDS)
@State(Scope.Thread)
public class StagedWriteBenchmark extends BenchmarkDefaults
{
    /**
     * Records written per invocation.
     */
    public static final int RECORDS = 1 << 14;

    /**
     * Bytes the timestamp, sequence and checksum stages put in front of each payload.
     */
    public static final int STAGES_LENGTH = 8 + 8 + 4;

    private static final int MSG_TYPE_ID = BenchmarkConfiguration.MSG_TYPE_ID;

    @Param({ "32", "288", "4096" })
    int payloadLength;

    private final RecordClaim claim = new RecordClaim();
    private final OffsetEpochNanoClock clock = new OffsetEpochNanoClock();
    private Path root;
    private long channelId;
    private UnsafeBuffer payload;
    private ChannelWriter writer;
    private StagedWriter stagedWriter;
    private StagedWriter stagedWriterWithoutChecksum;

    /**
     * Create the folder and the payload.
     */
    @Setup(Level.Trial)
    public void setupTrial()
    {
        root = BenchmarkConfiguration.shmFolder("kekbit-bench-staged-");
        payload = new UnsafeBuffer(new byte[payloadLength]);
        for (int i = 0; i < payloadLength; i++)
        {
            payload.putByte(i, (byte)(i * 31 + 7));
        }
    }

    /**
     * A fresh channel for every invocation, room for {@value #RECORDS} staged records, and the staged writers on it.
     */
    @Setup(Level.Invocation)
    public void setupInvocation()
    {
        writer = Storage.createChannel(root, ++channelId, payloadLength + STAGES_LENGTH, RECORDS);
        stagedWriter = new StagedWriter(writer,
            new TimestampStage(clock), new SequenceStage(0), new ChecksumStage());
        stagedWriterWithoutChecksum = new StagedWriter(writer,
            new TimestampStage(clock), new SequenceStage(0));
    }

    /**
     * Close and delete the invocation's channel.
     */
    @TearDown(Level.Invocation)
    public void tearDownInvocation()
    {
        writer.close();
        Storage.delete(writer.path());
    }

    /**
     * Delete the folder.
     */
    @TearDown(Level.Trial)
    public void tearDownTrial()
    {
        Storage.delete(root);
    }

    /**
     * Copying write of the payload.
     *
     * @return the sum of the positions returned.
     */
    @Benchmark
    public long write()
    {
        final ChannelWriter writer = this.writer;
        final UnsafeBuffer payload = this.payload;
        final int payloadLength = this.payloadLength;
        long sum = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putInt(0, i);
            sum += writer.write(MSG_TYPE_ID, payload, 0, payloadLength);
        }
        return sum;
    }

    /**
     * Claim, copy the payload in place and commit.
     *
     * @return the sum of the positions returned.
     */
    @Benchmark
    public long claimCommit()
    {
        final ChannelWriter writer = this.writer;
        final RecordClaim claim = this.claim;
        final UnsafeBuffer payload = this.payload;
        final int payloadLength = this.payloadLength;
        long sum = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putInt(0, i);
            if (writer.tryClaim(MSG_TYPE_ID, payloadLength, claim) > 0)
            {
                final MutableDirectBuffer buffer = claim.buffer();
                buffer.putBytes(claim.offset(), payload, 0, payloadLength);
                sum += claim.commit();
            }
        }
        return sum;
    }

    /**
     * Staged write with timestamp and sequence stages: the chain's cost without the checksum.
     *
     * @return the sum of the positions returned.
     */
    @Benchmark
    public long stagedWriteWithoutChecksum()
    {
        final StagedWriter stagedWriter = this.stagedWriterWithoutChecksum;
        final UnsafeBuffer payload = this.payload;
        final int payloadLength = this.payloadLength;
        long sum = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putInt(0, i);
            sum += stagedWriter.write(MSG_TYPE_ID, payload, 0, payloadLength);
        }
        return sum;
    }

    /**
     * Staged write with timestamp, sequence and checksum stages.
     *
     * @return the sum of the positions returned.
     */
    @Benchmark
    public long stagedWrite()
    {
        final StagedWriter stagedWriter = this.stagedWriter;
        final UnsafeBuffer payload = this.payload;
        final int payloadLength = this.payloadLength;
        long sum = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putInt(0, i);
            sum += stagedWriter.write(MSG_TYPE_ID, payload, 0, payloadLength);
        }
        return sum;
    }
}
