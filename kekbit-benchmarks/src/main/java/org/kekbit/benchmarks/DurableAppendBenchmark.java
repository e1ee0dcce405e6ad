package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
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
 * Scenario 4, durable append: one thread appends {@value #RECORDS} records of 32 bytes per invocation and forces
 * them to storage every 1, 64 or 4096 records, on the real disk ({@link BenchmarkConfiguration#diskFolder}) and on
 * /dev/shm; the score is the time per record, force included.
 * <ul>
 *     <li><b>Kekbit</b>: {@link ChannelWriter#force()}, which msyncs the header page and the records written since
 *     the last force plus the 8 bytes after them. A fresh channel per invocation, sized for exactly
 *     {@value #RECORDS} records (160 KiB), writer pre-touched, then fsynced in the invocation's setup so the
 *     measured forces flush only what the records dirty.</li>
 *     <li><b>Raw msync</b>, the floor: the same bytes (an 8-byte header and the payload per record) written at the
 *     same offsets of a file of the same length, created, touched and fsynced the same way, and
 *     {@link MappedByteBuffer#force(int, int)} of the same data ranges Kekbit forces, without the header page;
 *     and the same with the header page forced too, to price Kekbit's second msync.</li>
 *     <li><b>Chronicle Queue</b>: {@code writeBytes} and {@code ExcerptAppender.sync()}, one queue per trial, opened
 *     with {@code SyncMode.SYNC} so that {@code sync()} waits for the msync as {@code force()} does (Chronicle's
 *     default {@code ASYNC} only schedules the writeback and would not be durable when it returns).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(DurableAppendBenchmark.RECORDS)
public class DurableAppendBenchmark extends BenchmarkDefaults
{
    /**
     * Records appended per invocation.
     */
    public static final int RECORDS = 4096;

    /**
     * Where the files live, how often to force and what is written; each state below extends it with its system.
     */
    @State(Scope.Thread)
    public abstract static class Setting
    {
        @Param({ "1", "64", "4096" })
        int forceEvery;

        @Param({ "disk", "shm" })
        String storage;

        @Param({ "32" })
        int payloadLength;

        Path root;
        UnsafeBuffer payload;

        void openSetting()
        {
            root = "disk".equals(storage) ?
                BenchmarkConfiguration.diskFolder("kekbit-bench-durable-") :
                BenchmarkConfiguration.shmFolder("kekbit-bench-durable-");
            payload = new UnsafeBuffer(new byte[payloadLength]);
        }

        void closeSetting()
        {
            Storage.delete(root);
        }
    }

    /**
     * Kekbit: a fresh, pre-touched, fsynced channel per invocation.
     */
    @State(Scope.Thread)
    public static class KekbitState extends Setting
    {
        long channelId;
        ChannelWriter writer;

        /**
         * Folder and payload.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            openSetting();
        }

        /**
         * Delete the folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            closeSetting();
        }

        /**
         * Create the channel and flush its creation outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            writer = Storage.createChannel(root, ++channelId, payloadLength, RECORDS);
            Storage.fsync(writer.path());
        }

        /**
         * Close and delete the channel.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            writer.close();
            Storage.delete(writer.path());
        }
    }

    /**
     * The floor: a plain mapped file of the channel's length, touched and fsynced per invocation.
     */
    @State(Scope.Thread)
    public static class RawState extends Setting
    {
        long fileId;
        Path file;
        MappedByteBuffer mapping;
        UnsafeBuffer buffer;

        /**
         * Folder and payload.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            openSetting();
        }

        /**
         * Delete the folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            closeSetting();
        }

        /**
         * Create, touch and fsync the file outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            file = root.resolve("raw-" + (++fileId));
            mapping = Storage.mapNewFile(file, ChannelDescriptor.fileLength(
                (long)RECORDS * BenchmarkConfiguration.kekbitRecordLength(payloadLength)));
            buffer = new UnsafeBuffer(mapping);
            Storage.fsync(file);
        }

        /**
         * Unmap and delete the file.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            IoUtil.unmap(mapping);
            Storage.delete(file);
        }
    }

    /**
     * Chronicle Queue: one queue per trial.
     */
    @State(Scope.Thread)
    public static class ChronicleState extends Setting
    {
        ChronicleQueue queue;
        ExcerptAppender appender;
        BytesStore<?, Void> chroniclePayload;

        /**
         * Folder, payload and queue.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            openSetting();
            queue = ChronicleQueues.openSynced(root.resolve("queue"));
            appender = ChronicleQueues.appender(queue);
            chroniclePayload = ChronicleQueues.payload(payloadLength);
        }

        /**
         * Close the queue, delete the folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            appender.close();
            queue.close();
            chroniclePayload.releaseLast();
            closeSetting();
        }
    }

    /**
     * Kekbit: write and force every {@code forceEvery} records.
     *
     * @param state of the trial.
     * @return the writer's position.
     */
    @Benchmark
    public long kekbit(final KekbitState state)
    {
        final ChannelWriter writer = state.writer;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int forceEvery = state.forceEvery;
        int untilForce = forceEvery;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            if (writer.write(MSG_TYPE_ID, payload, 0, length) < 0)
            {
                throw new IllegalStateException("write failed at record " + i);
            }
            if (0 == --untilForce)
            {
                writer.force();
                untilForce = forceEvery;
            }
        }

        return writer.position();
    }

    /**
     * The floor: write the same bytes and msync the same data ranges.
     *
     * @param state of the trial.
     * @return the position reached.
     */
    @Benchmark
    public long rawMsync(final RawState state)
    {
        return rawAppend(state, false);
    }

    /**
     * The floor plus an msync of the header page before each data range, as {@link ChannelWriter#force()} does:
     * the difference to {@link #rawMsync(RawState)} is the price of that second msync.
     *
     * @param state of the trial.
     * @return the position reached.
     */
    @Benchmark
    public long rawMsyncHeaderAndData(final RawState state)
    {
        return rawAppend(state, true);
    }

    /**
     * Chronicle Queue: append and sync every {@code forceEvery} records.
     *
     * @param state of the trial.
     * @return the last index appended.
     */
    @Benchmark
    public long chronicle(final ChronicleState state)
    {
        final ExcerptAppender appender = state.appender;
        final BytesStore<?, Void> payload = state.chroniclePayload;
        final int forceEvery = state.forceEvery;
        int untilForce = forceEvery;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.writeLong(0, i);
            appender.writeBytes(payload);
            if (0 == --untilForce)
            {
                appender.sync();
                untilForce = forceEvery;
            }
        }

        return appender.lastIndexAppended();
    }

    private static long rawAppend(final RawState state, final boolean forceHeader)
    {
        final MappedByteBuffer mapping = state.mapping;
        final UnsafeBuffer buffer = state.buffer;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int recordLength = BenchmarkConfiguration.kekbitRecordLength(length);
        final int frameLength = RecordDescriptor.frameLength(length);
        final int forceEvery = state.forceEvery;
        final int base = ChannelDescriptor.HEADER_LENGTH;
        int untilForce = forceEvery;
        int position = 0;
        int forcedPosition = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            buffer.putInt(base + position + RecordDescriptor.MSG_TYPE_ID_OFFSET, MSG_TYPE_ID);
            buffer.putBytes(base + position + RecordDescriptor.HEADER_LENGTH, payload, 0, length);
            buffer.putIntRelease(base + position, frameLength);
            position += recordLength;
            if (0 == --untilForce)
            {
                if (forceHeader)
                {
                    mapping.force(0, base);
                }
                mapping.force(base + forcedPosition, position + RecordDescriptor.HEADER_LENGTH - forcedPosition);
                forcedPosition = position;
                untilForce = forceEvery;
            }
        }

        return position;
    }
}
