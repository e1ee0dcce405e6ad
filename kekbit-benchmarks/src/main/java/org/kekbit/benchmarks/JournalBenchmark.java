package org.kekbit.benchmarks;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalIndexer;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;
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
 * Journals: seeking by sequence and by time through the derived index, and streaming through rolls.
 * <p>
 * {@code seekBySequence} and {@code seekByTime} build a journal of {@code journalBytes} of 32-byte records (a
 * timestamp at payload offset 0 and a sequence at 8, as a {@code StagedWriter} with a {@code TimestampStage} and a
 * {@code SequenceStage} writes them) in segments of {@code segmentCapacity}, index it with a {@link JournalIndexer},
 * then time one seek to a random record and the poll of that record. The figure is on a 10 GiB journal:
 * <pre>
 * java -jar kekbit-benchmarks/target/kekbit-benchmarks.jar 'JournalBenchmark.seek.*' -p journalBytes=10737418240 \
 *     -p segmentCapacity=67108864 -f 1 -wi 3 -i 5
 * </pre>
 * (on a /dev/shm of at least 11 GiB; set {@code KEKBIT_BENCH_SHM_DIR} to put the journal elsewhere.)
 * <p>
 * {@code streamThroughRolls} writes and polls records on one thread through segments of {@code segmentCapacity}
 * with the writer's duty cycle creating each next segment ahead of need and retention keeping four: the per-record
 * cost including rolls. A one-thread figure for profiling, not the streaming headline (see docs/benchmarks.md).
 * <pre>
 * java -jar kekbit-benchmarks/target/kekbit-benchmarks.jar JournalBenchmark.streamThroughRolls -f 1 -wi 3 -i 5
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JournalBenchmark extends BenchmarkDefaults
{
    /**
     * Records written and polled per invocation of {@code streamThroughRolls}.
     */
    public static final int BATCH = 1 << 14;

    private static final int RECORD_LENGTH = 32;
    private static final int TIMESTAMP_OFFSET = 0;
    private static final int SEQUENCE_OFFSET = 8;
    private static final long FIRST_TIMESTAMP_NS = 1_700_000_000_000_000_000L;

    /**
     * A journal built and indexed once per trial, and a reader to seek in it.
     */
    @State(Scope.Thread)
    public static class SeekState
    {
        @Param({ "67108864" })
        long journalBytes;

        @Param({ "1048576" })
        long segmentCapacity;

        Path folder;
        JournalReader reader;
        long records;
        long lastKey;
        final RecordHandler handler = (msgTypeId, buffer, offset, length) ->
            lastKey = buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);

        /**
         * Write and index the journal, open the reader.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            folder = BenchmarkConfiguration.shmFolder("kekbit-bench-journal-seek-");
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[RECORD_LENGTH]);
            try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context().folder(folder)
                .segmentCapacity(segmentCapacity).sequenceOffset(SEQUENCE_OFFSET).timestampOffset(TIMESTAMP_OFFSET)))
            {
                while (writer.position() < journalBytes)
                {
                    payload.putLong(TIMESTAMP_OFFSET, timestampNs(records), ByteOrder.LITTLE_ENDIAN);
                    payload.putLong(SEQUENCE_OFFSET, records, ByteOrder.LITTLE_ENDIAN);
                    if (writer.write(BenchmarkConfiguration.MSG_TYPE_ID, payload, 0, RECORD_LENGTH) < 0)
                    {
                        throw new IllegalStateException("write failed at record " + records);
                    }
                    records++;
                    writer.doWork();
                }
            }
            JournalIndexer.rebuild(new JournalIndexer.Context().folder(folder).sequenceOffset(SEQUENCE_OFFSET)
                .timestampOffset(TIMESTAMP_OFFSET));
            reader = JournalReader.open(new JournalReader.Context().folder(folder).sequenceOffset(SEQUENCE_OFFSET)
                .timestampOffset(TIMESTAMP_OFFSET));
        }

        /**
         * Close the reader and delete the journal.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            reader.close();
            IoUtil.delete(folder.toFile(), true);
        }
    }

    /**
     * A writer and a reader following it on one thread through small segments.
     */
    @State(Scope.Thread)
    public static class StreamState
    {
        @Param({ "1048576" })
        long segmentCapacity;

        Path folder;
        JournalWriter writer;
        JournalReader reader;
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[RECORD_LENGTH]);
        long sum;
        final RecordHandler handler = (msgTypeId, buffer, offset, length) -> sum += length;

        /**
         * Create the journal, its writer and reader.
         */
        @Setup(Level.Trial)
        public void setup()
        {
            folder = BenchmarkConfiguration.shmFolder("kekbit-bench-journal-stream-");
            writer = JournalWriter.create(new JournalWriter.Context().folder(folder)
                .segmentCapacity(segmentCapacity).retainedSegments(4));
            reader = JournalReader.open(new JournalReader.Context().folder(folder));
        }

        /**
         * Close and delete the journal.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            reader.close();
            writer.close();
            IoUtil.delete(folder.toFile(), true);
        }
    }

    /**
     * Seek to a random sequence and poll the record there.
     *
     * @param state the journal.
     * @return the sequence read.
     */
    @Benchmark
    public long seekBySequence(final SeekState state)
    {
        final long target = ThreadLocalRandom.current().nextLong(state.records);
        state.reader.seekToSequence(target);
        state.reader.poll(state.handler, 1);
        if (state.lastKey != target)
        {
            throw new IllegalStateException("seek to " + target + " read " + state.lastKey);
        }
        return state.lastKey;
    }

    /**
     * Seek to a random record's time and poll the record there.
     *
     * @param state the journal.
     * @return the sequence read.
     */
    @Benchmark
    public long seekByTime(final SeekState state)
    {
        final long target = ThreadLocalRandom.current().nextLong(state.records);
        state.reader.seekToTimestamp(timestampNs(target));
        state.reader.poll(state.handler, 1);
        if (state.lastKey != target)
        {
            throw new IllegalStateException("seek to time of " + target + " read " + state.lastKey);
        }
        return state.lastKey;
    }

    /**
     * Write and poll {@value #BATCH} records, rolling as segments fill.
     *
     * @param state the writer and reader.
     * @return what the reader saw.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long streamThroughRolls(final StreamState state)
    {
        final JournalWriter writer = state.writer;
        final JournalReader reader = state.reader;
        for (int i = 0; i < BATCH; i++)
        {
            if (writer.write(BenchmarkConfiguration.MSG_TYPE_ID, state.payload, 0, RECORD_LENGTH) < 0)
            {
                throw new IllegalStateException("write failed: " + writer.lastRollFailure());
            }
            reader.poll(state.handler, 1);
            if ((i & 255) == 0)
            {
                writer.doWork();
            }
        }
        return state.sum;
    }

    private static long timestampNs(final long record)
    {
        return FIRST_TIMESTAMP_NS + record * 100;
    }
}
