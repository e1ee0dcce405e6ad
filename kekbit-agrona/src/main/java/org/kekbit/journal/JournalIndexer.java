package org.kekbit.journal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;

import static org.kekbit.journal.JournalDescriptor.ENTRY_POSITION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.ENTRY_SEQUENCE_OFFSET;
import static org.kekbit.journal.JournalDescriptor.ENTRY_TIMESTAMP_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_ENTRY_COUNT_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_ENTRY_LENGTH;
import static org.kekbit.journal.JournalDescriptor.INDEX_ENTRY_LENGTH_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_FORMAT_VERSION;
import static org.kekbit.journal.JournalDescriptor.INDEX_FORMAT_VERSION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_HEADER_LENGTH;
import static org.kekbit.journal.JournalDescriptor.INDEX_INDEXED_POSITION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_INTERVAL_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_SEGMENT_CAPACITY_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_SEQUENCE_OFFSET_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_SIGNATURE;
import static org.kekbit.journal.JournalDescriptor.INDEX_TIMESTAMP_OFFSET_OFFSET;

/**
 * Builds a journal's sparse index ({@link JournalDescriptor#INDEX_FILE_NAME}) by reading the journal as any other
 * reader does, so the writer's hot path stays a channel's (Aeron's {@code IndexedReplicatedRecording} pattern): one
 * entry (position, sequence, timestamp) for the first record of each segment and for the first record at or after
 * each {@link Context#intervalBytes(int)} boundary inside a segment. {@link JournalReader#seekToSequence(long)} and
 * {@link JournalReader#seekToTimestamp(long)} search it, then scan at most one interval.
 * <pre>{@code
 * try (JournalIndexer indexer = JournalIndexer.open(new JournalIndexer.Context().folder(folder)
 *     .sequenceOffset(stagedWriter.stageOffset(1)).timestampOffset(stagedWriter.stageOffset(0))))
 * {
 *     indexer.doWork(); // in a duty cycle of its own, or beside the writer in a CompositeAgent
 * }
 * }</pre>
 * The index is derived: delete it, or call {@link #rebuild(Context)}, at any time. An indexer resumes after the
 * position it last indexed; one whose configuration differs from the file's starts the file again. One indexer runs
 * per journal: it holds the lock of {@link JournalDescriptor#INDEX_LOCK_FILE_NAME} while open, and a second one, in
 * this process or another, is refused. Entries of segments retention deleted are dropped when the indexer next
 * crosses a segment: it writes the entries left to {@link JournalDescriptor#INDEX_TEMP_FILE_NAME} and renames that
 * over the index, so a seek that mapped the old file reads it whole and skips the entries of deleted segments.
 * <p>
 * Not threadsafe: one thread runs the duty cycle.
 */
public final class JournalIndexer implements Agent, AutoCloseable
{
    private static final int INITIAL_ENTRIES = 1024;

    private final Context ctx;
    private final Path path;
    private final JournalReader reader;
    private final EntryHandler handler = new EntryHandler();
    private final int pollLimit;
    private RandomAccessFile file;
    private FileChannel lockChannel;
    private long checkedSegmentBase = -1;
    private MappedByteBuffer mapped;
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private long entryCount;
    private long capacityEntries;
    private long lastEntryPosition = -1;
    private boolean isClosed;

    private JournalIndexer(final Context ctx, final JournalReader reader)
    {
        this.ctx = ctx;
        this.path = ctx.folder().resolve(JournalDescriptor.INDEX_FILE_NAME);
        this.reader = reader;
        this.pollLimit = ctx.pollLimit();
    }

    /**
     * Open an indexer on a journal, resuming its index file or starting one.
     *
     * @param ctx configuration, concluded by this call.
     * @return the indexer.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when another indexer, in this
     *                          process or another, holds the journal's index, or with
     *                          {@link ChannelException.Reason#IO_ERROR} when the index file cannot be written.
     */
    public static JournalIndexer open(final Context ctx)
    {
        return open(ctx, false);
    }

    private static JournalIndexer open(final Context ctx, final boolean isRebuild)
    {
        ctx.conclude();
        final JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(ctx.folder())
            .epochClock(ctx.epochClock())
            .preTouch(ctx.preTouch()));
        final JournalIndexer indexer = new JournalIndexer(ctx, reader);
        try
        {
            indexer.lock();
            if (isRebuild)
            {
                JournalFiles.deleteQuietly(indexer.path);
            }
            indexer.openFile();
        }
        catch (final RuntimeException ex)
        {
            indexer.close();
            throw ex;
        }
        return indexer;
    }

    /**
     * Build the index again from the journal's oldest segment to its end as it is now: delete the file, index every
     * committed record, close.
     *
     * @param ctx configuration.
     * @return the number of entries written.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when an indexer is running.
     */
    public static long rebuild(final Context ctx)
    {
        try (JournalIndexer indexer = open(ctx, true))
        {
            while (indexer.doWork() > 0)
            {
                // to the end as it is now
            }
            return indexer.entryCount();
        }
    }

    /**
     * Index the records committed since the last call, at most the context's poll limit of them.
     *
     * @return the number of records read.
     */
    public int doWork()
    {
        if (isClosed)
        {
            return 0;
        }
        if (JournalState.TRUNCATED == reader.state())
        {
            reader.seekToStart(); // retention deleted what was not indexed yet: entries there would be useless
        }
        final int count = reader.poll(handler, pollLimit);
        if (count > 0)
        {
            buffer.putLongRelease(INDEX_INDEXED_POSITION_OFFSET, JournalFiles.le(reader.position()));
        }
        final long capacity = reader.segmentCapacity();
        if (capacity > 0 && JournalDescriptor.segmentBase(reader.position(), capacity) != checkedSegmentBase)
        {
            checkedSegmentBase = JournalDescriptor.segmentBase(reader.position(), capacity);
            dropDeletedEntries(capacity); // once per segment: retention deletes only behind a roll
        }
        return count;
    }

    /**
     * Role name of the indexer's agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-journal-indexer";
    }

    /**
     * Close the indexer when the agent running it closes.
     */
    public void onClose()
    {
        close();
    }

    /**
     * Entries in the index.
     *
     * @return the count.
     */
    public long entryCount()
    {
        return entryCount;
    }

    /**
     * Journal position up to which the index is complete.
     *
     * @return the position.
     */
    public long indexedPosition()
    {
        return reader.position();
    }

    /**
     * Unmap the index file and close the reader. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            reader.close();
            unmap();
            closeQuietly(file);
            closeQuietly(lockChannel); // releases the lock
        }
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (null != closeable)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ignore)
            {
                // the mapping is gone; nothing was lost
            }
        }
    }

    private void lock()
    {
        final Path lockPath = ctx.folder().resolve(JournalDescriptor.INDEX_LOCK_FILE_NAME);
        FileLock lock;
        try
        {
            Files.createDirectories(ctx.folder());
            lockChannel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            lock = null; // held by another indexer of this JVM
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot lock journal index " + lockPath + ": " + ex, ex);
        }
        if (null == lock)
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "another indexer holds the journal's index: lock=" + lockPath);
        }
    }

    /**
     * Drop the entries before the oldest segment there is, when retention deleted the segment of the first entry:
     * copy the others into a new file and rename it over the index (readers never see a file being rewritten).
     */
    private void dropDeletedEntries(final long capacity)
    {
        if (0 == entryCount || Files.exists(JournalDescriptor.segmentPath(ctx.folder(),
            JournalDescriptor.segmentBase(entryPosition(0), capacity))))
        {
            return;
        }
        final LongArrayList bases = JournalFiles.segmentBases(ctx.folder());
        final long oldestBase = bases.isEmpty() ? Long.MAX_VALUE : bases.getLong(0);
        long kept = entryCount; // first entry at or after the oldest base: positions increase
        long low = 0;
        long high = entryCount - 1;
        while (low <= high)
        {
            final long mid = (low + high) >>> 1;
            if (entryPosition(mid) >= oldestBase)
            {
                kept = mid;
                high = mid - 1;
            }
            else
            {
                low = mid + 1;
            }
        }

        final Path tempPath = ctx.folder().resolve(JournalDescriptor.INDEX_TEMP_FILE_NAME);
        final long keptCount = entryCount - kept;
        long newCapacityEntries = INITIAL_ENTRIES;
        while (newCapacityEntries < keptCount)
        {
            newCapacityEntries *= 2;
        }
        try
        {
            Files.deleteIfExists(tempPath); // left by an indexer that died compacting
            try (RandomAccessFile temp = new RandomAccessFile(tempPath.toFile(), "rw"))
            {
                temp.setLength(JournalDescriptor.indexEntryOffset(newCapacityEntries));
                final MappedByteBuffer tempMapped =
                    temp.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, temp.length());
                final UnsafeBuffer tempBuffer = new UnsafeBuffer(tempMapped);
                tempBuffer.putBytes(0, buffer, 0, INDEX_HEADER_LENGTH);
                tempBuffer.putBytes(INDEX_HEADER_LENGTH, buffer, (int)JournalDescriptor.indexEntryOffset(kept),
                    (int)(keptCount * INDEX_ENTRY_LENGTH));
                tempBuffer.putLong(INDEX_ENTRY_COUNT_OFFSET, keptCount, ByteOrder.LITTLE_ENDIAN);
                IoUtil.unmap(tempMapped);
            }
            Files.move(tempPath, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            unmap();
            file.close();
            file = new RandomAccessFile(path.toFile(), "rw");
            capacityEntries = newCapacityEntries;
            entryCount = keptCount;
            map();
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot compact journal index " + path + ": " + ex, ex);
        }
    }

    private long entryPosition(final long entry)
    {
        return buffer.getLong((int)JournalDescriptor.indexEntryOffset(entry) + ENTRY_POSITION_OFFSET,
            ByteOrder.LITTLE_ENDIAN);
    }

    private void openFile()
    {
        try
        {
            final boolean isResumable = Files.exists(path) && isResumable();
            if (!isResumable)
            {
                JournalFiles.deleteQuietly(path);
            }
            file = new RandomAccessFile(path.toFile(), "rw");
            if (isResumable)
            {
                capacityEntries = (file.length() - INDEX_HEADER_LENGTH) / INDEX_ENTRY_LENGTH;
                map();
                entryCount = JournalFiles.le(buffer.getLongAcquire(INDEX_ENTRY_COUNT_OFFSET));
                final long indexedPosition = JournalFiles.le(buffer.getLongAcquire(INDEX_INDEXED_POSITION_OFFSET));
                if (entryCount > 0)
                {
                    lastEntryPosition = buffer.getLong(
                        (int)JournalDescriptor.indexEntryOffset(entryCount - 1) + ENTRY_POSITION_OFFSET,
                        ByteOrder.LITTLE_ENDIAN);
                }
                if (indexedPosition > 0)
                {
                    reader.seek(indexedPosition);
                }
            }
            else
            {
                capacityEntries = INITIAL_ENTRIES;
                file.setLength(JournalDescriptor.indexEntryOffset(capacityEntries));
                map();
                buffer.putBytes(0, INDEX_SIGNATURE.getBytes(StandardCharsets.US_ASCII));
                buffer.putInt(INDEX_ENTRY_LENGTH_OFFSET, INDEX_ENTRY_LENGTH, ByteOrder.LITTLE_ENDIAN);
                buffer.putInt(INDEX_SEQUENCE_OFFSET_OFFSET, ctx.sequenceOffset(), ByteOrder.LITTLE_ENDIAN);
                buffer.putInt(INDEX_TIMESTAMP_OFFSET_OFFSET, ctx.timestampOffset(), ByteOrder.LITTLE_ENDIAN);
                buffer.putInt(INDEX_INTERVAL_OFFSET, ctx.intervalBytes(), ByteOrder.LITTLE_ENDIAN);
                buffer.putLong(INDEX_SEGMENT_CAPACITY_OFFSET, 0, ByteOrder.LITTLE_ENDIAN);
                buffer.putIntRelease(INDEX_FORMAT_VERSION_OFFSET, JournalFiles.le(INDEX_FORMAT_VERSION));
            }
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot open journal index " + path + ": " + ex, ex);
        }
    }

    private boolean isResumable()
    {
        try (JournalIndex index = JournalIndex.open(ctx.folder()))
        {
            return null != index && index.sequenceOffset() == ctx.sequenceOffset() &&
                index.timestampOffset() == ctx.timestampOffset() && index.intervalBytes() == ctx.intervalBytes();
        }
    }

    private void map() throws IOException
    {
        unmap();
        mapped = file.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, file.length());
        buffer.wrap(mapped);
    }

    private void unmap()
    {
        if (null != mapped)
        {
            buffer.wrap(0, 0);
            IoUtil.unmap(mapped);
            mapped = null;
        }
    }

    private void append(final long position, final long sequence, final long timestampNs)
    {
        if (entryCount == capacityEntries)
        {
            grow();
        }
        final int offset = (int)JournalDescriptor.indexEntryOffset(entryCount);
        buffer.putLong(offset + ENTRY_POSITION_OFFSET, position, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + ENTRY_SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + ENTRY_TIMESTAMP_OFFSET, timestampNs, ByteOrder.LITTLE_ENDIAN);
        entryCount++;
        buffer.putLongRelease(INDEX_ENTRY_COUNT_OFFSET, JournalFiles.le(entryCount));
        lastEntryPosition = position;
    }

    private void grow()
    {
        try
        {
            capacityEntries *= 2;
            if (JournalDescriptor.indexEntryOffset(capacityEntries) > Integer.MAX_VALUE)
            {
                throw new IllegalStateException("journal index full: entries=" + entryCount + ", file=" + path +
                    " (raise intervalBytes)");
            }
            file.setLength(JournalDescriptor.indexEntryOffset(capacityEntries));
            map();
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot grow journal index " + path + ": " + ex, ex);
        }
    }

    private final class EntryHandler implements RecordHandler
    {
        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long end = reader.position();
            final long start = RecordDescriptor.recordStart(end, length, reader.recordAlignment());
            final long capacity = reader.segmentCapacity();
            final long interval = ctx.intervalBytes();
            final boolean isDue = lastEntryPosition < 0 ||
                JournalDescriptor.segmentBase(start, capacity) != JournalDescriptor.segmentBase(lastEntryPosition,
                capacity) || start / interval != lastEntryPosition / interval;
            if (isDue && start > lastEntryPosition)
            {
                final long sequence = JournalWriter.SegmentScan.key(buffer, offset, length, ctx.sequenceOffset());
                final long timestampNs = JournalWriter.SegmentScan.key(buffer, offset, length, ctx.timestampOffset());
                if (JournalDescriptor.NULL_VALUE != sequence || JournalDescriptor.NULL_VALUE != timestampNs)
                {
                    append(start, sequence, timestampNs);
                }
            }
        }
    }

    /**
     * Configuration of an indexer: the journal's folder and clock, the payload offsets of the keys, and the
     * interval between entries.
     */
    public static final class Context extends JournalContext<Context>
    {
        /**
         * Default interval between entries inside a segment: 64 KiB of records, so a seek scans at most that.
         */
        public static final int DEFAULT_INTERVAL_BYTES = 64 * 1024;

        private int intervalBytes = DEFAULT_INTERVAL_BYTES;
        private int pollLimit = 1000;

        /**
         * A context with the defaults; the indexer's reader does not pre-touch segments by default.
         */
        public Context()
        {
            super(false);
        }

        /**
         * Validate the configuration.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException when the folder is not set, neither key offset is set, or the interval
         *                                  or poll limit is not positive.
         */
        public Context conclude()
        {
            concludeShared();
            if (sequenceOffset() < 0 && timestampOffset() < 0)
            {
                throw new IllegalArgumentException("an index needs sequenceOffset or timestampOffset");
            }
            if (intervalBytes <= 0 || pollLimit <= 0)
            {
                throw new IllegalArgumentException("intervalBytes and pollLimit must be positive: intervalBytes=" +
                    intervalBytes + ", pollLimit=" + pollLimit);
            }
            return this;
        }

        /**
         * Bytes of records between entries inside a segment.
         *
         * @param intervalBytes between entries.
         * @return this for a fluent API.
         */
        public Context intervalBytes(final int intervalBytes)
        {
            this.intervalBytes = intervalBytes;
            return this;
        }

        /**
         * Bytes of records between entries inside a segment.
         *
         * @return the interval.
         */
        public int intervalBytes()
        {
            return intervalBytes;
        }

        /**
         * Most records read per duty cycle.
         *
         * @param pollLimit records per {@link JournalIndexer#doWork()}.
         * @return this for a fluent API.
         */
        public Context pollLimit(final int pollLimit)
        {
            this.pollLimit = pollLimit;
            return this;
        }

        /**
         * Most records read per duty cycle.
         *
         * @return the limit.
         */
        public int pollLimit()
        {
            return pollLimit;
        }
    }
}
