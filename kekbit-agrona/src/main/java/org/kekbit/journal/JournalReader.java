package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.kekbit.channel.BlockHandler;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;
import org.kekbit.channel.RecordView;

/**
 * A reader of a journal: it reads the segments in order, crossing from one to the next at each ROLLED marker by the
 * successor's computed name (it never lists the folder to cross and never waits), and unmaps each segment it
 * leaves. Any number of readers may follow one journal, in any threads or processes.
 * <pre>{@code
 * try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("audit")))
 * {
 *     while (!reader.state().isEnd())
 *     {
 *         final int count = reader.poll(handler, 100);
 *         if (count > 0)
 *         {
 *             reader.commit(); // a named reader resumes after its last commit when it is opened again
 *         }
 *         idleStrategy.idle(count);
 *     }
 * }
 * }</pre>
 * A reader opened with a name is durable: it holds that name's slot in the journal's positions file while it is
 * open (a second open of the name, in this process or another, fails while this one lives), it resumes after the
 * position it last committed, and unless told otherwise it protects retention: the writer never deletes a segment
 * it still needs.
 * <p>
 * Not threadsafe: use one reader per thread.
 */
public final class JournalReader implements AutoCloseable
{
    /**
     * Returned by {@link #commit()} on a reader opened without a name.
     */
    public static final long NOT_NAMED = -1;

    private final Path folder;
    private final Context ctx;
    private final String name;
    private final BlockAdapter blockAdapter = new BlockAdapter();
    private final RecordIterator iterator = new RecordIterator();
    private final long heartbeatIntervalMs;
    private final JournalSegmentPrefetcher.Slot prefetch;
    private JournalReaderPositions positions;
    private JournalReadingSegments readingSegments;
    private long publishedBase = JournalDescriptor.READING_NO_SEGMENT;
    private int slot = -1;
    private long lastHeartbeatMs;
    private long segmentCapacity;
    private ChannelReader segment;
    private long segmentBase;
    private long pendingPosition;
    private Path pendingPath;
    private boolean isTruncated;
    private String corruption;
    private boolean isClosed;

    private JournalReader(final Context ctx)
    {
        this.ctx = ctx;
        this.folder = ctx.folder();
        this.name = ctx.name();
        this.heartbeatIntervalMs = Math.max(1, ctx.timeoutMs() / 20);
        this.prefetch = null == ctx.prefetcher() ? null : ctx.prefetcher().register(folder, ctx);
    }

    /**
     * Open a reader on a journal. Without a name it starts at the oldest segment. With a name it claims the name's
     * slot in the positions file (creating both when missing), then resumes after the name's last committed
     * position, or starts at the oldest segment and commits that position when the name is new. A journal whose
     * first segment does not exist yet is waited for by {@link #poll}, so a reader may start before the writer.
     *
     * @param ctx configuration, concluded by this call.
     * @return the reader.
     * @throws ChannelException with {@link ChannelException.Reason#READER_ACTIVE} when a live reader holds the name,
     *                          {@link ChannelException.Reason#INCOMPATIBLE_VERSION} when the segment it starts in is
     *                          of a later journal format ({@link JournalDescriptor#checkJournalFormatVersion}),
     *                          or {@link ChannelException.Reason#IO_ERROR}, or any reason opening a segment throws.
     * @throws IllegalStateException when the name is new and every slot is bound to another name.
     */
    public static JournalReader open(final Context ctx)
    {
        ctx.conclude();
        final JournalReader reader = new JournalReader(ctx);
        try
        {
            if (null != reader.name)
            {
                reader.claimName();
            }
            else
            {
                if (JournalReadingSegments.isRecycling(reader.folder))
                {
                    throw new ChannelException(ChannelException.Reason.NAMED_READERS_ONLY, "the journal recycles " +
                        "its segments, so only named readers may read it (give the reader a name): " + reader.folder);
                }
                reader.seekToStart();
            }
        }
        catch (final RuntimeException ex)
        {
            reader.close();
            throw ex;
        }
        return reader;
    }

    /**
     * Open one segment of a journal read-only as a channel, for tools that look into a journal's files one by one:
     * as {@link ChannelReader#open(Path)} does, refusing a segment of a later journal format. Cold path.
     *
     * @param segment path of the segment.
     * @return a channel reader of the segment, at position 0.
     * @throws ChannelException as {@link ChannelReader#open(Path)} does, or with
     *                          {@link ChannelException.Reason#INCOMPATIBLE_VERSION} when the segment's journal format
     *                          version is above {@link JournalDescriptor#JOURNAL_FORMAT_VERSION}.
     */
    public static ChannelReader openSegment(final Path segment)
    {
        return JournalFiles.openSegment(segment);
    }

    private void claimName()
    {
        try
        {
            Files.createDirectories(folder);
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot create journal folder " + folder + ": " + ex, ex);
        }
        positions = JournalReaderPositions.openOrCreate(folder);
        final int boundSlot = positions.bind(name, ctx.protectRetention());
        if (boundSlot < 0)
        {
            throw new IllegalStateException("every reader slot is bound to another name: slots=" +
                JournalDescriptor.SLOT_COUNT + ", file=" + positions.path());
        }
        final long nowMs = ctx.epochClock().time();
        if (!positions.claim(boundSlot, nowMs, ctx.timeoutMs()))
        {
            throw new ChannelException(ChannelException.Reason.READER_ACTIVE,
                "named reader is held by a live reader: name=" + name + ", file=" + positions.path());
        }
        slot = boundSlot;
        lastHeartbeatMs = nowMs;
        readingSegments = JournalReadingSegments.openExisting(folder);
        publishBase(JournalDescriptor.READING_ANY_SEGMENT);

        final long committed = positions.position(slot);
        if (committed >= 0)
        {
            seek(committed);
        }
        else
        {
            seekToStart();
            commit();
        }
    }

    /**
     * Deliver the records committed after this reader's position, at most {@code limit} of them, crossing into the
     * next segment at a ROLLED marker. Never blocks. The position moves past a record before the handler is called,
     * so {@link #position()} within the handler is the journal position after the record. On an open segment this
     * allocates nothing; crossing opens the next segment and unmaps the last.
     *
     * @param handler to call for each record.
     * @param limit   of records to deliver in this call.
     * @return the number of records delivered.
     */
    public int poll(final RecordHandler handler, final int limit)
    {
        ChannelReader segment = readableSegment();
        int count = 0;
        while (null != segment && count < limit)
        {
            count += segment.poll(handler, limit - count);
            final ChannelReader next = crossIfRolled(segment);
            if (next == segment)
            {
                break;
            }
            segment = next;
        }
        heartbeat();

        return count;
    }

    /**
     * Deliver the records committed after this reader's position as one block of whole records of the current
     * segment, as {@link ChannelReader#blockPoll(BlockHandler, int)} does; the position the handler gets is a
     * journal position. A block never spans two segments: at a ROLLED marker this crosses into the next segment and
     * the next call delivers from there.
     *
     * @param handler          to call with the block.
     * @param blockLengthLimit most bytes to deliver when the first record is shorter.
     * @return the number of bytes delivered.
     */
    public int blockPoll(final BlockHandler handler, final int blockLengthLimit)
    {
        final ChannelReader segment = readableSegment();
        if (null == segment)
        {
            return 0;
        }

        blockAdapter.delegate = handler;
        blockAdapter.base = segmentBase;
        final int length = segment.blockPoll(blockAdapter, blockLengthLimit);
        blockAdapter.delegate = null;
        crossIfRolled(segment);
        heartbeat();

        return length;
    }

    /**
     * Commit this named reader's position: a plain store of the commit time, then one release store of the
     * position in the positions file. When the reader is opened with its name again, in this process or after a
     * crash in another, it resumes here. Allocates nothing, throws nothing.
     *
     * @return the committed journal position, or {@link #NOT_NAMED} for a reader without a name.
     */
    public long commit()
    {
        if (slot < 0 || isClosed)
        {
            return NOT_NAMED;
        }
        final long position = position();
        final long nowMs = ctx.epochClock().time();
        positions.commit(slot, position, nowMs);
        heartbeat(nowMs); // a reader that commits is alive, whether or not it polls: one clock read for both
        return position;
    }

    /**
     * State of the journal at this reader's position.
     *
     * @return OPEN, CLOSED, ABANDONED, CORRUPT or TRUNCATED.
     * @throws IllegalStateException when the reader is closed.
     */
    public JournalState state()
    {
        checkNotClosed();
        if (isTruncated)
        {
            return JournalState.TRUNCATED;
        }
        if (null != corruption)
        {
            return JournalState.CORRUPT;
        }
        if (null == segment)
        {
            return JournalState.OPEN; // waiting for the first segment
        }

        if (ChannelState.CLOSED == segment.endState())
        {
            segment.seek(segment.position()); // reopened since: ROLLED, and the next poll crosses
        }
        switch (segment.state())
        {
            case CLOSED:
                return JournalState.CLOSED;
            case ABANDONED:
                return JournalState.ABANDONED;
            case CORRUPT:
                return JournalState.CORRUPT;
            case FULL:
                return JournalState.CORRUPT; // a journal's writer never fills a segment: it rolls
            default:
                return JournalState.OPEN; // OPEN, or ROLLED: the next poll crosses into the next segment
        }
    }

    /**
     * Why the reader is {@link JournalState#CORRUPT}: for a segment of a later journal format, the
     * {@link ChannelException.Reason#INCOMPATIBLE_VERSION} message naming the version found and the highest known.
     *
     * @return a description, or null when not corrupt.
     */
    public String corruption()
    {
        if (null != corruption)
        {
            return corruption;
        }
        if (null != segment && ChannelState.FULL == segment.endState())
        {
            return "segment is FULL, which a journal's writer never leaves: " + segmentPath();
        }
        return null == segment ? null : segment.corruption();
    }

    /**
     * Journal position of the next record to read.
     *
     * @return the position.
     */
    public long position()
    {
        final ChannelReader segment = this.segment;
        return null != segment ? segmentBase + segment.position() : pendingPosition;
    }

    /**
     * Move to a journal position a writer returned for a committed record, or a segment's base. When the segment
     * holding it was deleted, the state becomes {@link JournalState#TRUNCATED} at that position.
     *
     * @param position to move to.
     * @throws IllegalArgumentException when the position is negative, beyond the journal, or not the end of a
     *                                  committed record.
     * @throws IllegalStateException    when the reader is closed.
     */
    public void seek(final long position)
    {
        checkNotClosed();
        if (position < 0)
        {
            throw new IllegalArgumentException("position must not be negative: position=" + position);
        }
        isTruncated = false;
        corruption = null;
        if (0 == segmentCapacity)
        {
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            if (bases.isEmpty())
            {
                if (0 == position)
                {
                    setPending(0);
                    return;
                }
                setTruncated(position);
                return;
            }
            switchTo(bases.getLong(bases.size() - 1)); // learns the capacity: retention never deletes the last
        }

        final long base = JournalDescriptor.segmentBase(position, segmentCapacity);
        final int offset = JournalDescriptor.segmentOffset(position, segmentCapacity);
        if (null != segment && base == segmentBase)
        {
            segment.seek(offset);
        }
        else if (isReadySegment(JournalDescriptor.segmentPath(folder, base)))
        {
            if (switchToUnlessRetired(base, position))
            {
                segment.seek(offset);
            }
        }
        else if (0 == offset && position > 0 &&
            Files.exists(JournalDescriptor.segmentPath(folder, base - segmentCapacity)))
        {
            // the end of a full segment whose successor is not there yet, or only on standby
            if (switchToUnlessRetired(base - segmentCapacity, position))
            {
                segment.seek(segmentCapacity);
            }
        }
        else
        {
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            if (bases.isEmpty() || position < bases.getLong(0))
            {
                setTruncated(position);
            }
            else
            {
                throw new IllegalArgumentException("position beyond the journal's last segment: position=" +
                    position + ", lastSegmentBase=" + bases.getLong(bases.size() - 1));
            }
        }
    }

    /**
     * Whether a segment file exists and is no standby successor (linked ahead of its roll, holding nothing yet).
     */
    private static boolean isReadySegment(final Path path)
    {
        return Files.exists(path) && !ChannelReader.isOnStandby(path);
    }

    /**
     * Move to the start of the oldest segment there is. Lists the folder.
     *
     * @return the new position.
     * @throws IllegalStateException when the reader is closed.
     */
    public long seekToStart()
    {
        final LongArrayList bases = resetForSeek();
        if (!bases.isEmpty())
        {
            switchToOldest(bases);
        }
        return position();
    }

    /**
     * Move past every record committed so far, to read only what comes next. Lists the folder.
     *
     * @return the new position.
     * @throws IllegalStateException when the reader is closed.
     */
    public long seekToEnd()
    {
        final LongArrayList bases = resetForSeek();
        if (!bases.isEmpty())
        {
            switchTo(bases.getLong(bases.size() - 1));
            segment.seekToEnd();
        }
        return position();
    }

    /**
     * Clear a TRUNCATED or CORRUPT state and list the segments, waiting for the first when there is none.
     */
    private LongArrayList resetForSeek()
    {
        checkNotClosed();
        isTruncated = false;
        corruption = null;
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        if (bases.isEmpty())
        {
            setPending(0);
        }
        return bases;
    }

    /**
     * Move to the first record whose sequence, at {@link JournalContext#sequenceOffset(int)} in its payload, is at
     * least the given one, or to the end when there is none yet. Cold path: finds the segment by a binary search
     * over the segments' first records, skips a sealed segment whose seal says it ends before the sequence, narrows
     * with the index when a {@link JournalIndexer} keeps one, then scans at most one index interval (or one segment
     * without an index). When the records before the oldest segment were deleted and the oldest record's sequence
     * is already past the one sought, the state becomes {@link JournalState#TRUNCATED} at the oldest segment's base.
     *
     * @param sequence to find.
     * @return the new position.
     * @throws IllegalStateException when the reader is closed or its context has no sequence offset.
     */
    public long seekToSequence(final long sequence)
    {
        return seekToKey(true, sequence);
    }

    /**
     * Move to the first record whose timestamp, at {@link JournalContext#timestampOffset(int)} in its payload, is at
     * or after the given time, or to the end when there is none yet; as {@link #seekToSequence(long)} does.
     *
     * @param timestampNs epoch nanoseconds to find.
     * @return the new position.
     * @throws IllegalStateException when the reader is closed or its context has no timestamp offset.
     */
    public long seekToTimestamp(final long timestampNs)
    {
        return seekToKey(false, timestampNs);
    }

    private long seekToKey(final boolean isSequence, final long key)
    {
        checkNotClosed();
        final int keyOffset = isSequence ? ctx.sequenceOffset() : ctx.timestampOffset();
        if (keyOffset < 0)
        {
            throw new IllegalStateException("the reader's context has no " +
                (isSequence ? "sequenceOffset" : "timestampOffset"));
        }
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        if (bases.isEmpty())
        {
            return seekToStart();
        }

        // The index's last entry with a smaller key, in a segment still there: when an entry follows it, the record
        // sought lies before that entry, so the scan starts here without opening any other segment.
        final long oldestBase = bases.getLong(0);
        long indexed = -1;
        boolean isBoundedByIndex = false;
        try (JournalIndex index = JournalIndex.open(folder))
        {
            if (null != index && keyOffset == (isSequence ? index.sequenceOffset() : index.timestampOffset()))
            {
                final long entry = index.lastEntryBefore(isSequence, key);
                if (entry >= 0 && index.position(entry) >= oldestBase)
                {
                    indexed = index.position(entry);
                    isBoundedByIndex = entry + 1 < index.entryCount();
                }
            }
        }

        long start = indexed;
        if (!isBoundedByIndex)
        {
            // The last segment whose first record's key is known and less than the key, from the index's segment
            // on: the record sought is in it or is the first of the next one. An empty or keyless segment counts
            // as not less, so the search errs early.
            final int from = indexed >= 0 ?
                Math.max(0, bases.indexOf(JournalDescriptor.segmentBase(indexed, segmentCapacity(bases)))) : 0;
            int low = from;
            int high = bases.size() - 1;
            int found = -1;
            while (low <= high)
            {
                final int mid = (low + high) >>> 1;
                final long firstKey = firstKey(bases.getLong(mid), keyOffset);
                if (JournalDescriptor.NULL_VALUE != firstKey && firstKey < key)
                {
                    found = mid;
                    low = mid + 1;
                }
                else
                {
                    high = mid - 1;
                }
            }
            if (-1 == found && indexed < 0)
            {
                final long oldestKey = firstKey(oldestBase, keyOffset);
                if (oldestBase > 0 && JournalDescriptor.NULL_VALUE != oldestKey && oldestKey > key)
                {
                    isTruncated = false;
                    corruption = null;
                    setTruncated(oldestBase); // what came before the oldest record may have matched: it is gone
                    return oldestBase;
                }
                return seekToStart();
            }
            if (-1 != found)
            {
                final long base = bases.getLong(found);
                start = Math.max(base, indexed);
                final JournalSeal seal = new JournalSeal();
                if (found + 1 < bases.size() && seal.read(JournalDescriptor.segmentPath(folder, base)) &&
                    JournalDescriptor.NULL_VALUE != seal.lastKey(isSequence) && seal.lastKey(isSequence) < key)
                {
                    seek(bases.getLong(found + 1));
                    return position();
                }
            }
        }

        seek(start);
        final KeyScanner scanner = new KeyScanner(keyOffset, key);
        while (!scanner.isFound && poll(scanner, 1) > 0)
        {
            // one record at a time, so the reader stops just past the one found
        }
        if (scanner.isFound)
        {
            seek(scanner.recordPosition);
        }
        return position();
    }

    private long segmentCapacity(final LongArrayList bases)
    {
        if (0 == segmentCapacity)
        {
            switchTo(bases.getLong(bases.size() - 1)); // learns the capacity: retention never deletes the last
        }
        return segmentCapacity;
    }

    private long firstKey(final long base, final int keyOffset)
    {
        try (ChannelReader reader = JournalFiles.openSegment(JournalDescriptor.segmentPath(folder, base)))
        {
            final KeyScanner scanner = new KeyScanner(keyOffset, Long.MAX_VALUE);
            return reader.poll(scanner, 1) > 0 ? scanner.lastKey : JournalDescriptor.NULL_VALUE;
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.INCOMPATIBLE_VERSION == ex.reason())
            {
                throw ex; // a later journal format: never searched as if it had no key
            }
            return JournalDescriptor.NULL_VALUE;
        }
    }

    /**
     * Finds the first record whose key is at least the one sought.
     */
    private final class KeyScanner implements RecordHandler
    {
        private final int keyOffset;
        private final long key;
        private boolean isFound;
        private long recordPosition;
        private long lastKey = JournalDescriptor.NULL_VALUE;

        KeyScanner(final int keyOffset, final long key)
        {
            this.keyOffset = keyOffset;
            this.key = key;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            lastKey = JournalWriter.SegmentScan.key(buffer, offset, length, keyOffset);
            if (JournalDescriptor.NULL_VALUE != lastKey && lastKey >= key && null != segment)
            {
                isFound = true;
                recordPosition = RecordDescriptor.recordStart(position(), length, segment.recordAlignment());
            }
        }
    }

    /**
     * Name of the reader.
     *
     * @return the name, or null for a reader without one.
     */
    public String name()
    {
        return name;
    }

    /**
     * Capacity of the journal's segments, known once a segment was opened.
     *
     * @return the capacity, or 0 while no segment was opened.
     */
    public long segmentCapacity()
    {
        return segmentCapacity;
    }

    /**
     * Alignment of the records in the segment being read ({@link JournalWriter.Context#recordAlignment(int)}): with
     * {@link #position()} in {@link RecordHandler#onRecord}, where the record being delivered starts.
     *
     * @return the alignment in bytes, or 0 while no segment is open.
     */
    public int recordAlignment()
    {
        return null == segment ? 0 : segment.recordAlignment();
    }

    /**
     * Path of the segment being read.
     *
     * @return the path, or null while none is open.
     */
    public Path segmentPath()
    {
        // Computed: a segment taken from the prefetcher was opened under its temporary name.
        return null == segment ? null : JournalDescriptor.segmentPath(folder, segmentBase);
    }

    /**
     * Segments this reader took ready from its {@link Context#prefetcher(JournalSegmentPrefetcher) prefetcher} when
     * it crossed a roll, rather than opening them itself.
     *
     * @return the count since the reader opened; 0 without a prefetcher.
     */
    public long prefetchedSegments()
    {
        return null == prefetch ? 0 : prefetch.taken();
    }

    /**
     * Segments the prefetcher opened through a mapping this reader left, because the file came back as a later
     * segment of a journal that recycles its segments: no new mapping, no page fault, no unmap.
     *
     * @return the count so far.
     */
    public long reusedMappings()
    {
        return null == prefetch ? 0 : prefetch.reused();
    }

    /**
     * Whether the prefetcher has the segment after the current one ready, for tests.
     */
    boolean isNextSegmentPrefetched()
    {
        return null != prefetch && prefetch.isReady();
    }

    /**
     * The records committed after this reader's position, as an iterator that never blocks and crosses segments
     * as {@link #poll(RecordHandler, int)} does: the journal's counterpart of {@link ChannelReader#records()}. At
     * the live end {@code hasNext()} is false until the writer commits again, so an iterator that returned false is
     * not finished: loop over it again later, and check {@link #state()} to know whether more can come. The
     * iterator and its view are reused (this returns the same iterator every time, and nothing is allocated per
     * record); a view's {@link RecordView#position()} is a journal position, and the view is valid until the next
     * call to {@code hasNext()} or {@code next()}, either of which may cross into the next segment and unmap the
     * one the view points into. A named reader commits with {@link #commit()} as after a poll.
     * <pre>{@code
     * final Iterator<RecordView> records = reader.records();
     * while (records.hasNext())
     * {
     *     final RecordView record = records.next();
     *     process(record.buffer(), record.offset(), record.length());
     * }
     * reader.commit();
     * }</pre>
     *
     * @return the iterator.
     */
    public Iterator<RecordView> records()
    {
        return iterator;
    }

    /**
     * Unmap the segment, give the name back (its committed position stays) and unmap the positions file.
     * Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (null != prefetch)
            {
                prefetch.close();
            }
            closeSegment();
            if (null != readingSegments)
            {
                publishBase(JournalDescriptor.READING_NO_SEGMENT);
                readingSegments.close();
            }
            if (null != positions)
            {
                if (slot >= 0)
                {
                    positions.release(slot);
                }
                positions.close();
            }
        }
    }

    /**
     * Stop as a killed process stops, for tests in one JVM: the name's slot keeps this process as its owner, but
     * this JVM no longer counts it as held.
     */
    void crash()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (null != prefetch)
            {
                prefetch.close();
            }
            closeSegment();
            if (null != readingSegments)
            {
                readingSegments.close(); // the entry stays, as a killed reader's does
            }
            if (null != positions)
            {
                if (slot >= 0)
                {
                    positions.forget(slot);
                }
                positions.close();
            }
        }
    }

    /**
     * Stamp a named reader's heartbeat when it is due (once per {@code timeoutMs / 20} of the context's clock), as
     * every poll and commit does: for a reader that holds its name but neither polls nor commits for a while, such as
     * a replication source that moves by seeks while its follower is quiet. Without it a writer that cannot see this
     * reader's process (another pid namespace) would take the name for dead after the timeout. Allocation-free; a
     * no-op for an unnamed or closed reader.
     */
    public void keepAlive()
    {
        if (!isClosed)
        {
            heartbeat();
        }
    }

    private void heartbeat()
    {
        if (slot >= 0)
        {
            heartbeat(ctx.epochClock().time());
        }
    }

    private void heartbeat(final long nowMs)
    {
        if (slot >= 0)
        {
            if (nowMs - lastHeartbeatMs >= heartbeatIntervalMs || nowMs < lastHeartbeatMs)
            {
                lastHeartbeatMs = nowMs;
                positions.heartbeat(slot, nowMs);
            }
        }
    }

    private ChannelReader openPending()
    {
        if (isTruncated || null != corruption || isClosed || !Files.exists(pendingPath))
        {
            return null;
        }
        try
        {
            final long base = 0 == segmentCapacity ? 0 :
                JournalDescriptor.segmentBase(pendingPosition, segmentCapacity);
            final ChannelReader opened = openSegment(base);
            if (null != opened && 0 != segmentCapacity)
            {
                opened.seek(JournalDescriptor.segmentOffset(pendingPosition, segmentCapacity));
            }
            return opened;
        }
        catch (final ChannelException ex)
        {
            final ChannelException.Reason reason = ex.reason();
            if (ChannelException.Reason.NOT_FOUND == reason || ChannelException.Reason.NOT_READY == reason)
            {
                return null;
            }
            corruption = ex.getMessage();
            return null;
        }
    }

    /**
     * The segment to read from: the current one, or the one the reader waits for once it exists, crossed into the
     * next one first when it ended with ROLLED.
     *
     * @return the segment, or null when there is none to read yet (or the reader is TRUNCATED or CORRUPT).
     */
    private ChannelReader readableSegment()
    {
        final ChannelReader segment = null != this.segment ? this.segment : openPending();
        return null == segment ? null : crossIfRolled(segment);
    }

    /**
     * Cross into the next segment when this one ended with ROLLED.
     *
     * @return the segment to read on: the same one when it did not end with ROLLED, otherwise the next one, or null
     * when the next one could not be opened.
     */
    private ChannelReader crossIfRolled(final ChannelReader segment)
    {
        final ChannelState endState = segment.endState();
        if (ChannelState.CLOSED == endState)
        {
            // A writer that reopens the journal turns CLOSED into ROLLED: one header load to look again.
            segment.seek(segment.position());
            return ChannelState.ROLLED == segment.endState() ? crossToNext() : segment;
        }
        return ChannelState.ROLLED == endState ? crossToNext() : segment;
    }

    /**
     * Open the segment after the current one, which a ROLLED marker says is linked, then unmap the current one.
     */
    private ChannelReader crossToNext()
    {
        final long nextBase = segmentBase + segmentCapacity;
        try
        {
            return openSegment(nextBase);
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.NOT_FOUND == ex.reason())
            {
                setTruncated(nextBase);
            }
            else
            {
                final long position = position();
                closeSegment();
                pendingPosition = position;
                corruption = ex.getMessage();
            }
            return null;
        }
    }

    private void switchTo(final long base)
    {
        openSegment(base);
    }

    /**
     * Open a segment seen in the folder a moment ago, reporting TRUNCATED at the position when retention retired it
     * meanwhile.
     *
     * @return true when opened.
     */
    private boolean switchToUnlessRetired(final long base, final long position)
    {
        try
        {
            openSegment(base);
            return true;
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.NOT_FOUND != ex.reason())
            {
                throw ex;
            }
            setTruncated(position);
            return false;
        }
    }

    /**
     * Open the oldest segment of a listing, or the next one when retention deleted it after the listing.
     */
    private void switchToOldest(final LongArrayList bases)
    {
        final int last = bases.size() - 1;
        int i = 0;
        while (true)
        {
            try
            {
                switchTo(bases.getLong(i));
                return;
            }
            catch (final ChannelException ex)
            {
                if (ChannelException.Reason.NOT_FOUND != ex.reason() || i == last)
                {
                    throw ex;
                }
                i++;
            }
        }
    }

    /**
     * Open a segment read-only, check it belongs to this journal, make it current and unmap the previous one.
     */
    private ChannelReader openSegment(final long base)
    {
        if (null == readingSegments && slot >= 0 && positions.isRecycling())
        {
            // A writer that recycles started since this reader opened (the positions file's flag: one load). Until
            // this reader publishes, its entry in the new file reads 0, "any segment", and holds recycling back.
            readingSegments = JournalReadingSegments.openExisting(folder);
            publishBase(JournalDescriptor.READING_ANY_SEGMENT);
        }
        if (base < publishedBase)
        {
            publishBase(base); // before the open, for a writer that recycles (see JournalReadingSegments)
        }
        ChannelReader opened = null == prefetch || 0 == segmentCapacity ? null : prefetch.take(base);
        if (null == opened)
        {
            opened = ChannelReader.open(new ChannelReader.Context()
                .path(JournalDescriptor.segmentPath(folder, base))
                .epochClock(ctx.epochClock())
                .preTouch(ctx.preTouch())
                .mappingReleaser(ctx.mappingReleaser()));
        }
        JournalFiles.checkSegment(opened); // a later journal format is refused, never misread
        final long capacity = opened.capacity();
        if (0 == segmentCapacity)
        {
            try
            {
                JournalDescriptor.checkSegmentCapacity(capacity);
            }
            catch (final ChannelException ex)
            {
                opened.close();
                throw ex;
            }
            segmentCapacity = capacity;
        }
        else if (capacity != segmentCapacity)
        {
            opened.close();
            throw new ChannelException(ChannelException.Reason.BAD_CAPACITY, "segment of another capacity: " +
                "expected=" + segmentCapacity + ", actual=" + capacity + ", file=" + opened.path());
        }

        closeSegment();
        segment = opened;
        segmentBase = base;
        publishBase(base); // segments before it are unmapped, or handed to the mapping releaser and never read again
        if (null != prefetch)
        {
            prefetch.want(base + capacity, capacity);
        }
        return opened;
    }

    /**
     * Say which segments this reader may map from now on, where the journal recycles its segments.
     */
    private void publishBase(final long base)
    {
        if (null != readingSegments && base != publishedBase)
        {
            readingSegments.publish(slot, base);
            publishedBase = base;
        }
    }

    private void closeSegment()
    {
        if (null != segment)
        {
            // Only where the files come back: elsewhere a kept mapping would pin a deleted segment's memory.
            if (null == prefetch || null == readingSegments || !prefetch.giveBack(segment))
            {
                segment.close();
            }
            segment = null;
        }
    }

    private void setPending(final long position)
    {
        closeSegment();
        pendingPosition = position;
        pendingPath = JournalDescriptor.segmentPath(folder,
            0 == segmentCapacity ? 0 : JournalDescriptor.segmentBase(position, segmentCapacity));
    }

    private void setTruncated(final long position)
    {
        closeSegment();
        publishBase(JournalDescriptor.READING_NO_SEGMENT); // maps nothing until a seek, which publishes first
        pendingPosition = position;
        isTruncated = true;
    }

    private void checkNotClosed()
    {
        if (isClosed)
        {
            throw new IllegalStateException("reader is closed");
        }
    }

    /**
     * Iteration over {@link #poll(RecordHandler, int)}: one record per {@code next()}, into one reused view.
     */
    private final class RecordIterator implements Iterator<RecordView>, RecordHandler
    {
        private final RecordView view = new RecordView();

        public boolean hasNext()
        {
            ChannelReader segment = readableSegment();
            while (null != segment)
            {
                if (segment.records().hasNext())
                {
                    return true;
                }
                final ChannelReader next = crossIfRolled(segment); // hasNext() marked the end it met
                if (next == segment)
                {
                    break;
                }
                segment = next;
            }
            heartbeat(); // a named reader that only asks at the live end is still alive

            return false;
        }

        public RecordView next()
        {
            if (1 != poll(this, 1))
            {
                throw new NoSuchElementException("no committed record at position=" + position());
            }

            return view;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            view.set(msgTypeId, buffer, offset, length, position());
        }
    }

    private static final class BlockAdapter implements BlockHandler
    {
        private BlockHandler delegate;
        private long base;

        public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
        {
            delegate.onBlock(buffer, offset, length, base + position);
        }
    }

    /**
     * Configuration of a journal's reader, validated once by {@link #conclude()}.
     */
    public static final class Context extends JournalContext<Context>
    {
        /**
         * Default timeout of a named reader's heartbeat, for observers that cannot see its process.
         */
        public static final long DEFAULT_TIMEOUT_MS = JournalContext.DEFAULT_TIMEOUT_MS;

        private String name;
        private boolean protectRetention = true;
        private JournalSegmentPrefetcher prefetcher;

        /**
         * A context with the defaults; readers do not pre-touch segments by default.
         */
        public Context()
        {
            super(false);
        }

        /**
         * Validate the configuration.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException when the folder is not set, or the name is not 1 to
         *                                  {@link JournalDescriptor#MAX_NAME_LENGTH} printable US-ASCII characters.
         * @throws ChannelException         when the timeout is not positive.
         */
        public Context conclude()
        {
            concludeShared();
            if (null != name)
            {
                JournalReaderPositions.nameBytes(name);
            }
            return this;
        }

        /**
         * Name of a durable reader: it resumes after its last committed position when opened again.
         *
         * @param name 1 to {@link JournalDescriptor#MAX_NAME_LENGTH} printable US-ASCII characters, or null.
         * @return this for a fluent API.
         */
        public Context name(final String name)
        {
            this.name = name;
            return this;
        }

        /**
         * Name of a durable reader.
         *
         * @return the name, or null.
         */
        public String name()
        {
            return name;
        }

        /**
         * Whether a named reader new to the journal protects retention: the writer deletes no segment at or after
         * its committed position. On by default; the choice is recorded when the name is first bound.
         *
         * @param protectRetention true to protect.
         * @return this for a fluent API.
         */
        public Context protectRetention(final boolean protectRetention)
        {
            this.protectRetention = protectRetention;
            return this;
        }

        /**
         * Whether a new named reader protects retention.
         *
         * @return true when it does.
         */
        public boolean protectRetention()
        {
            return protectRetention;
        }

        /**
         * The agent that opens and pre-touches this reader's next segment ahead of its roll on another thread, so
         * that crossing a roll maps nothing and faults on no page on the reader's thread. None by default: the
         * reader opens each segment itself when it crosses.
         *
         * @param prefetcher to use, run by an {@link org.agrona.concurrent.AgentRunner}; or null.
         * @return this for a fluent API.
         */
        public Context prefetcher(final JournalSegmentPrefetcher prefetcher)
        {
            this.prefetcher = prefetcher;
            return this;
        }

        /**
         * The agent that opens this reader's next segment ahead of its roll.
         *
         * @return the prefetcher, or null.
         */
        public JournalSegmentPrefetcher prefetcher()
        {
            return prefetcher;
        }
    }
}
