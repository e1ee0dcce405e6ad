package org.kekbit.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.BlockHandler;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
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

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;
import static org.kekbit.benchmarks.BenchmarkConfiguration.POLL_LIMIT;

/**
 * Scenario 5, replay: a late reader reads a pre-filled stream of {@value #RECORDS} records of 32 or 288 bytes from
 * its start and copies every payload, one after the other, into a destination in memory (what rebuilding state from
 * a journal does); in records per second. Files on /dev/shm, filled once per trial.
 * <ul>
 *     <li><b>Kekbit</b>: a channel holding exactly {@value #RECORDS} records (40 MiB and 296 MiB of data region);
 *     each invocation opens a new reader in its setup, outside the measured time, with {@code preTouch} true (pages
 *     mapped in at open) or false (the reader takes the page faults as it goes). {@code kekbit} polls record by
 *     record and copies each payload; {@code kekbitBlock} takes blocks of whole records of up to
 *     {@value #BLOCK_LENGTH_LIMIT} bytes with {@link ChannelReader#blockPoll} and copies each block, headers
 *     included, as an archiver or a replica would.</li>
 *     <li><b>Chronicle Queue</b>: a queue of the same records; each invocation reads with a new tailer from the
 *     start.</li>
 *     <li><b>Raw copy</b>, the floor: one {@code putBytes} of the channel's whole data region (headers and padding
 *     included, so more bytes than the payloads) from a read-only mapping, made in the invocation's setup and
 *     touched like a pre-touched reader's, into a destination of the same length.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ReplayBenchmark.RECORDS)
public class ReplayBenchmark extends BenchmarkDefaults
{
    /**
     * Records in the pre-filled stream, all read by each invocation.
     */
    public static final int RECORDS = 1 << 20;

    /**
     * Most bytes {@link #kekbitBlock} takes per {@link ChannelReader#blockPoll}.
     */
    public static final int BLOCK_LENGTH_LIMIT = 64 * 1024;

    /**
     * Kekbit: a pre-filled channel, a new reader per invocation.
     */
    @State(Scope.Thread)
    public static class KekbitState implements RecordHandler, BlockHandler
    {
        @Param({ "32", "288" })
        int payloadLength;

        @Param({ "true", "false" })
        boolean preTouch;

        Path root;
        Path channel;
        UnsafeBuffer destination;
        ChannelReader reader;
        int destinationOffset;

        /**
         * Fill the channel, allocate and touch the destination.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-replay-");
            channel = fill(root, payloadLength);
            destination = destination((long)RECORDS * BenchmarkConfiguration.kekbitRecordLength(payloadLength));
        }

        /**
         * Open a reader from the start, outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            reader = Storage.openReader(channel, preTouch);
            destinationOffset = 0;
        }

        /**
         * Close the reader.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            reader.close();
        }

        /**
         * Delete the channel.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            Storage.delete(root);
        }

        /**
         * Copy the payload into the destination.
         *
         * @param msgTypeId of the record.
         * @param buffer    holding the record.
         * @param offset    of the payload.
         * @param length    of the payload.
         */
        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            destination.putBytes(destinationOffset, buffer, offset, length);
            destinationOffset += length;
        }

        /**
         * Copy the block, record headers included, into the destination.
         *
         * @param buffer   holding the block.
         * @param offset   of the block.
         * @param length   of the block.
         * @param position of the block in the channel.
         */
        public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
        {
            destination.putBytes(destinationOffset, buffer, offset, length);
            destinationOffset += length;
        }
    }

    /**
     * Chronicle Queue: a pre-filled queue, a new tailer per invocation.
     */
    @State(Scope.Thread)
    public static class ChronicleState
    {
        @Param({ "32", "288" })
        int payloadLength;

        Path root;
        ChronicleQueue queue;
        ExcerptTailer tailer;
        UnsafeBuffer destination;
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);

        /**
         * Fill the queue, allocate and touch the destination.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-replay-chronicle-");
            queue = ChronicleQueues.open(root);
            final BytesStore<?, Void> payload = ChronicleQueues.payload(payloadLength);
            try (ExcerptAppender appender = ChronicleQueues.appender(queue))
            {
                for (int i = 0; i < RECORDS; i++)
                {
                    payload.writeLong(0, i);
                    appender.writeBytes(payload);
                }
            }
            payload.releaseLast();
            destination = destination((long)RECORDS * payloadLength);
        }

        /**
         * A tailer from the start, outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            tailer = ChronicleQueues.tailer(queue);
        }

        /**
         * Close the tailer.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            tailer.close();
        }

        /**
         * Close and delete the queue.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            queue.close();
            Storage.delete(root);
        }
    }

    /**
     * The floor: a pre-filled channel's file mapped read-only per invocation.
     */
    @State(Scope.Thread)
    public static class RawCopyState
    {
        @Param({ "32", "288" })
        int payloadLength;

        Path root;
        Path channel;
        UnsafeBuffer destination;
        MappedByteBuffer mapping;
        UnsafeBuffer source;
        int length;

        /**
         * Fill the channel, allocate and touch the destination.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-replay-raw-");
            channel = fill(root, payloadLength);
            length = RECORDS * BenchmarkConfiguration.kekbitRecordLength(payloadLength);
            destination = destination(length);
        }

        /**
         * Map the file read-only and touch every page, outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            try (FileChannel fileChannel = FileChannel.open(channel, StandardOpenOption.READ))
            {
                mapping = fileChannel.map(FileChannel.MapMode.READ_ONLY, 0, fileChannel.size());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            Storage.preTouchRead(mapping);
            source = new UnsafeBuffer(mapping);
        }

        /**
         * Unmap the file.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            IoUtil.unmap(mapping);
        }

        /**
         * Delete the channel.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            Storage.delete(root);
        }
    }

    /**
     * Kekbit: read the whole channel from its start.
     *
     * @param state of the trial.
     * @return bytes copied.
     */
    @Benchmark
    public int kekbit(final KekbitState state)
    {
        final ChannelReader reader = state.reader;
        int received = 0;
        while (received < RECORDS)
        {
            final int count = reader.poll(state, POLL_LIMIT);
            if (0 == count)
            {
                throw new IllegalStateException("channel ended early: received=" + received);
            }
            received += count;
        }

        return state.destinationOffset;
    }

    /**
     * Kekbit: read the whole channel from its start in blocks of whole records, as an archiver or a replicator
     * would, copying each block with its record headers.
     *
     * @param state of the trial.
     * @return bytes copied.
     */
    @Benchmark
    public int kekbitBlock(final KekbitState state)
    {
        final ChannelReader reader = state.reader;
        final long end = (long)RECORDS * BenchmarkConfiguration.kekbitRecordLength(state.payloadLength);
        while (reader.position() < end)
        {
            if (0 == reader.blockPoll(state, BLOCK_LENGTH_LIMIT))
            {
                throw new IllegalStateException("channel ended early: position=" + reader.position());
            }
        }

        return state.destinationOffset;
    }

    /**
     * Chronicle Queue: read the whole queue from its start.
     *
     * @param state of the trial.
     * @return bytes copied.
     */
    @Benchmark
    public int chronicle(final ChronicleState state)
    {
        final ExcerptTailer tailer = state.tailer;
        final UnsafeBuffer destination = state.destination;
        final UnsafeBuffer view = state.view;
        int destinationOffset = 0;
        for (int i = 0; i < RECORDS; i++)
        {
            try (DocumentContext dc = tailer.readingDocument())
            {
                if (!dc.isPresent())
                {
                    throw new IllegalStateException("queue ended early: received=" + i);
                }
                final Bytes<?> bytes = dc.wire().bytes();
                final int length = (int)bytes.readRemaining();
                view.wrap(bytes.addressForRead(bytes.readPosition()), length);
                destination.putBytes(destinationOffset, view, 0, length);
                destinationOffset += length;
            }
        }

        return destinationOffset;
    }

    /**
     * The floor: copy the channel's data region in one go.
     *
     * @param state of the trial.
     * @return bytes copied.
     */
    @Benchmark
    public int rawCopy(final RawCopyState state)
    {
        state.destination.putBytes(0, state.source, ChannelDescriptor.HEADER_LENGTH, state.length);
        return state.length;
    }

    static Path fill(final Path root, final int payloadLength)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[payloadLength]);
        try (ChannelWriter writer = Storage.createChannel(root, 1, payloadLength, RECORDS))
        {
            for (int i = 0; i < RECORDS; i++)
            {
                payload.putLong(0, i);
                if (writer.write(MSG_TYPE_ID, payload, 0, payloadLength) < 0)
                {
                    throw new IllegalStateException("fill failed at record " + i);
                }
            }
            return writer.path();
        }
    }

    static UnsafeBuffer destination(final long length)
    {
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.toIntExact(length)));
        destination.setMemory(0, destination.capacity(), (byte)0);
        return destination;
    }
}
