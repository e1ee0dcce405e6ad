package org.kekbit.journal;

import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.Agent;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordDescriptor;

/**
 * The single writer of a journal: an unbounded stream of records in a folder of channel files of one capacity
 * (segments, laid out as {@link JournalDescriptor} says), rolling from one to the next as they fill.
 * <pre>{@code
 * try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
 *     .folder(folder).segmentCapacity(64 * 1024 * 1024).retainedSegments(16)))
 * {
 *     final long position = writer.write(MSG_TYPE_ID, buffer, 0, length);
 *     if (position < 0)
 *     {
 *         // RECORD_TOO_LONG, JOURNAL_CLOSED, JOURNAL_TAKEN_OVER or ROLL_FAILED
 *     }
 *     writer.doWork(); // heartbeat, next segment ahead of need, retention: run it in the writer's duty cycle
 * }
 * }</pre>
 * The writer is an {@link Agent}. Its {@link #doWork()} keeps the current segment's heartbeat fresh (the channel's
 * liveness rule), creates the next segment ahead of need under a name no reader takes for a segment
 * ({@link JournalDescriptor#NEXT_SEGMENT_PREFIX}), fully allocated and pre-touched, and deletes old sealed segments
 * beyond {@link Context#retainedSegments(int)}, never one a protecting named reader still needs. A write that does
 * not fit the current segment rolls: it links the next segment into place, and only then leaves the ROLLED marker in
 * the current one, so a reader that meets ROLLED can always open the successor. When {@code doWork()} has not run
 * since the last roll, the roll creates the next segment itself, a file write inline.
 * <p>
 * Positions are journal positions, 64-bit: a segment's base plus the position inside it. {@link RecordClaim#commit()}
 * returns the position inside the segment; {@link #position()} after it is the journal position.
 * <p>
 * Not threadsafe: one thread writes, claims, commits, runs the duty cycle and closes.
 */
public final class JournalWriter implements Agent, AutoCloseable
{
    /**
     * The record is longer than the journal's maximum record length; nothing was written.
     */
    public static final long RECORD_TOO_LONG = -1;

    /**
     * The writer was closed.
     */
    public static final long JOURNAL_CLOSED = -2;

    /**
     * Another writer took the current segment over (possible only where it could not see this one's process and its
     * heartbeat was stale): this writer must stop, and writes nothing more.
     */
    public static final long JOURNAL_TAKEN_OVER = -3;

    /**
     * The record needed a new segment and it could not be created or linked (no space, no permission): nothing was
     * written and the current segment is unchanged, so a later write may try again.
     */
    public static final long ROLL_FAILED = -4;

    private final Path folder;
    private final Context ctx;
    private final long segmentCapacity;
    private final int maxRecordLength;
    private final int retainedSegments;
    private final JournalReaderPositions positions;
    private ChannelWriter current;
    private long currentBase;
    private ChannelWriter next;
    private long oldestBase;
    private long forcedBase;
    private boolean isClosed;
    private boolean isTakenOver;
    private long rolls;
    private long inlineSegmentCreations;
    private ChannelException lastRollFailure;

    private JournalWriter(
        final Context ctx,
        final JournalReaderPositions positions,
        final ChannelWriter current,
        final long currentBase,
        final long oldestBase)
    {
        this.ctx = ctx;
        this.folder = ctx.folder();
        this.segmentCapacity = current.capacity();
        this.maxRecordLength = current.maxRecordLength();
        this.retainedSegments = ctx.retainedSegments();
        this.positions = positions;
        this.current = current;
        this.currentBase = currentBase;
        this.oldestBase = oldestBase;
        this.forcedBase = oldestBase; // a resumed writer cannot know what the dead one forced
    }

    /**
     * Create a journal and its writer: the folder when missing, the positions file and the first segment, at
     * position 0. Creation is exclusive: it fails when the folder holds a segment, and of two racing creators the one
     * whose first segment is linked second fails.
     *
     * @param ctx configuration, concluded by this call.
     * @return the writer, at position 0.
     * @throws ChannelException with {@link ChannelException.Reason#ALREADY_EXISTS} when the journal exists, or
     *                          {@link ChannelException.Reason#IO_ERROR}.
     */
    public static JournalWriter create(final Context ctx)
    {
        ctx.conclude();
        final Path folder = ctx.folder();
        try
        {
            Files.createDirectories(folder);
        }
        catch (final java.io.IOException ex)
        {
            throw JournalFiles.ioError("cannot create journal folder " + folder + ": " + ex, ex);
        }
        if (!JournalFiles.segmentBases(folder).isEmpty())
        {
            throw new ChannelException(ChannelException.Reason.ALREADY_EXISTS, "journal already exists: " + folder);
        }

        final JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder);
        try
        {
            final ChannelWriter first = ChannelWriter.create(segmentContext(ctx, 0)
                .path(JournalDescriptor.segmentPath(folder, 0)));
            return new JournalWriter(ctx, positions, first, 0, 0);
        }
        catch (final RuntimeException ex)
        {
            positions.close();
            throw ex;
        }
    }

    /**
     * Carry on writing a journal after its writer died: resume its last segment as
     * {@link ChannelWriter#resume(ChannelWriter.Context)} does, which never takes a segment from a live writer (the
     * channel's liveness rule), then repair what a crash can leave: when the writer died between linking the last
     * segment and leaving the ROLLED marker in the one before, the marker is written now (idempotent), and a next
     * segment created ahead of need is deleted. The journal keeps its segment capacity and maximum record length.
     *
     * @param ctx the folder, the clock, pre-touch and retention; its capacity and record length are not used.
     * @return the writer, positioned after the last committed record.
     * @throws ChannelException with {@link ChannelException.Reason#NOT_FOUND} when the folder holds no segment,
     *                          {@link ChannelException.Reason#WRITER_ACTIVE} when the writer lives,
     *                          {@link ChannelException.Reason#ENDED} when the journal was closed, or any reason
     *                          {@link ChannelWriter#resume(ChannelWriter.Context)} throws.
     */
    public static JournalWriter resume(final Context ctx)
    {
        ctx.conclude();
        final Path folder = ctx.folder();
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        if (bases.isEmpty())
        {
            throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no journal segment in " + folder);
        }
        final long lastBase = bases.getLong(bases.size() - 1);
        final ChannelWriter last = ChannelWriter.resume(new ChannelWriter.Context()
            .path(JournalDescriptor.segmentPath(folder, lastBase))
            .epochClock(ctx.epochClock())
            .preTouch(ctx.preTouch()));
        final JournalReaderPositions positions;
        try
        {
            final long capacity = last.capacity();
            JournalDescriptor.checkSegmentCapacity(capacity);
            // This process now owns the last segment: the writer that linked it is dead, so what it left is ours.
            JournalFiles.deleteQuietly(JournalDescriptor.nextSegmentPath(folder, lastBase + capacity));
            JournalFiles.deleteQuietly(JournalDescriptor.nextSegmentPath(folder, lastBase));
            if (lastBase > 0 && bases.containsLong(lastBase - capacity))
            {
                sealIfUnmarked(ctx, JournalDescriptor.segmentPath(folder, lastBase - capacity));
            }
            positions = JournalReaderPositions.openOrCreate(folder);
        }
        catch (final RuntimeException ex)
        {
            last.close();
            throw ex;
        }

        return new JournalWriter(ctx, positions, last, lastBase, bases.getLong(0));
    }

    /**
     * Leave the ROLLED marker in a segment whose successor is linked but whose writer died before marking it.
     */
    private static void sealIfUnmarked(final Context ctx, final Path path)
    {
        final ChannelState endState;
        try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path)))
        {
            reader.seekToEnd();
            reader.poll(JournalWriter::ignoreRecord, 1);
            endState = reader.endState();
        }
        if (ChannelState.OPEN == endState)
        {
            ChannelWriter.resume(new ChannelWriter.Context().path(path).epochClock(ctx.epochClock()).preTouch(false))
                .roll();
        }
    }

    private static void ignoreRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        // sealIfUnmarked looks for the end marker only
    }

    /**
     * Append a record by copying its payload, rolling to the next segment when it does not fit the current one.
     *
     * @param msgTypeId of the record, not negative.
     * @param src       holding the payload.
     * @param srcOffset of the payload in src.
     * @param length    of the payload.
     * @return the journal position after the record, or {@link #RECORD_TOO_LONG}, {@link #JOURNAL_CLOSED},
     * {@link #JOURNAL_TAKEN_OVER} or {@link #ROLL_FAILED}.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding.
     */
    public long write(final int msgTypeId, final DirectBuffer src, final int srcOffset, final int length)
    {
        final long reserved = reserve(msgTypeId, length);
        if (reserved < 0)
        {
            return reserved;
        }
        final long result = current.write(msgTypeId, src, srcOffset, length);
        return result < 0 ? channelCode(result) : currentBase + result;
    }

    /**
     * Claim room for a record to encode in place, rolling first when it does not fit the current segment; then
     * {@link RecordClaim#commit()} or {@link RecordClaim#abort()} it before the next write or claim.
     *
     * @param msgTypeId of the record, not negative.
     * @param length    of the payload to claim.
     * @param claim     to wrap around the claimed payload.
     * @return the journal position the record will end at once committed, or {@link #RECORD_TOO_LONG},
     * {@link #JOURNAL_CLOSED}, {@link #JOURNAL_TAKEN_OVER} or {@link #ROLL_FAILED}.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding.
     */
    public long tryClaim(final int msgTypeId, final int length, final RecordClaim claim)
    {
        final long reserved = reserve(msgTypeId, length);
        if (reserved < 0)
        {
            return reserved;
        }
        final long result = current.tryClaim(msgTypeId, length, claim);
        return result < 0 ? channelCode(result) : currentBase + result;
    }

    /**
     * The duty cycle: the heartbeat of the current segment (and of the next one), the next segment created ahead of
     * need, and retention, at most one segment deleted per call.
     *
     * @return the amount of work done.
     */
    public int doWork()
    {
        if (isClosed || isTakenOver)
        {
            return 0;
        }
        int workCount = current.doWork();
        if (current.isTakenOver())
        {
            isTakenOver = true;
            return workCount;
        }
        if (null != next)
        {
            workCount += next.doWork();
        }
        else if (null == lastRollFailure)
        {
            workCount += createNext() ? 1 : 0;
        }
        workCount += enforceRetention();

        return workCount;
    }

    /**
     * Leave the CLOSED marker in the current segment, delete the next segment created ahead of need, and unmap.
     * Readers reaching the end then see {@link JournalState#CLOSED}. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            current.close();
            if (null != next)
            {
                final Path nextPath = next.path();
                next.close();
                JournalFiles.deleteQuietly(nextPath);
                next = null;
            }
            positions.close();
        }
    }

    /**
     * Flush the records written since the last call to storage, those of segments rolled from since then included:
     * once it returns they survive a power loss (they survive a crash of the process without it). The first call on a
     * resumed writer forces every segment there is, once. On a disk each call waits for the storage: call it once per
     * batch of records (group commit), not per record.
     *
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when a rolled segment cannot be forced.
     */
    public void force()
    {
        if (isClosed || isTakenOver)
        {
            return;
        }
        while (forcedBase < currentBase)
        {
            JournalFiles.force(JournalDescriptor.segmentPath(folder, forcedBase)); // unmapped once rolled from
            forcedBase += segmentCapacity;
        }
        current.force();
    }

    /**
     * Stop writing without the CLOSED marker, for a service that stops and carries on later with
     * {@link #resume(Context)}, in this process or another: the current segment is detached as
     * {@link ChannelWriter#detach()} does, the next segment created ahead of need is deleted and the positions file
     * unmapped. Force first where the records must survive a power loss. Idempotent, and a no-op once closed.
     */
    public void detach()
    {
        if (!isClosed)
        {
            isClosed = true;
            current.detach();
            if (null != next)
            {
                final Path nextPath = next.path();
                next.close();
                JournalFiles.deleteQuietly(nextPath);
                next = null;
            }
            positions.close();
        }
    }

    /**
     * Close the journal when the agent running the writer closes.
     */
    public void onClose()
    {
        close();
    }

    /**
     * Role name of the writer's agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-journal-writer";
    }

    /**
     * Journal position after the last committed record.
     *
     * @return the position.
     */
    public long position()
    {
        return currentBase + current.position();
    }

    /**
     * Capacity of every segment.
     *
     * @return the capacity in bytes, a power of two.
     */
    public long segmentCapacity()
    {
        return segmentCapacity;
    }

    /**
     * Longest payload a record may have.
     *
     * @return the maximum record length in bytes.
     */
    public int maxRecordLength()
    {
        return maxRecordLength;
    }

    /**
     * Folder of the journal.
     *
     * @return the folder.
     */
    public Path folder()
    {
        return folder;
    }

    /**
     * Base position of the segment being written.
     *
     * @return the base position.
     */
    public long currentSegmentBase()
    {
        return currentBase;
    }

    /**
     * Base position of the oldest segment not deleted by this writer's retention.
     *
     * @return the base position.
     */
    public long oldestSegmentBase()
    {
        return oldestBase;
    }

    /**
     * Rolls from one segment to the next since this writer was created or resumed.
     *
     * @return the number of rolls.
     */
    public long rolls()
    {
        return rolls;
    }

    /**
     * Rolls that had to create the next segment inline because {@link #doWork()} had not created it ahead of need.
     *
     * @return the number of such rolls.
     */
    public long inlineSegmentCreations()
    {
        return inlineSegmentCreations;
    }

    /**
     * Slowest committed position of the named readers that protect retention, alive or not.
     *
     * @return the position, or {@link JournalDescriptor#NULL_POSITION} when no reader protects retention.
     */
    public long slowestProtectingPosition()
    {
        return positions.slowestProtectingPosition();
    }

    /**
     * Why the last roll or creation of the next segment failed, for the application's log.
     *
     * @return the failure, or null when the last attempt succeeded.
     */
    public ChannelException lastRollFailure()
    {
        return lastRollFailure;
    }

    /**
     * Whether the writer was closed.
     *
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return isClosed;
    }

    private long reserve(final int msgTypeId, final int length)
    {
        RecordDescriptor.checkMsgTypeId(msgTypeId);
        if (length < 0)
        {
            throw new IllegalArgumentException("length must not be negative: length=" + length);
        }
        if (current.isClaimOutstanding())
        {
            throw new IllegalStateException("a claim is outstanding: commit or abort it first");
        }
        if (isClosed)
        {
            return JOURNAL_CLOSED;
        }
        if (isTakenOver)
        {
            return JOURNAL_TAKEN_OVER;
        }
        if (length > maxRecordLength)
        {
            return RECORD_TOO_LONG;
        }
        if (RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length)) > current.remaining())
        {
            return roll();
        }
        return 0;
    }

    private long channelCode(final long channelCode)
    {
        if (ChannelWriter.CHANNEL_TAKEN_OVER == channelCode)
        {
            isTakenOver = true;
            return JOURNAL_TAKEN_OVER;
        }
        return ChannelWriter.RECORD_TOO_LONG == channelCode ? RECORD_TOO_LONG : JOURNAL_CLOSED;
    }

    /**
     * Roll to the next segment: link it into place, then seal the current one with ROLLED.
     */
    private long roll()
    {
        if (null == next)
        {
            inlineSegmentCreations++;
            if (!createNext())
            {
                return ROLL_FAILED;
            }
        }
        if (!linkNext())
        {
            return ROLL_FAILED;
        }
        sealCurrent();
        return 0;
    }

    /**
     * First half of a roll: make the next segment visible under its name. A crash after this and before
     * {@link #sealCurrent()} leaves a segment without an end marker before a linked one, which resume repairs.
     *
     * @return true when linked.
     */
    boolean linkNext()
    {
        final long nextBase = currentBase + segmentCapacity;
        final Path nextPath = JournalDescriptor.nextSegmentPath(folder, nextBase);
        try
        {
            JournalFiles.link(nextPath, JournalDescriptor.segmentPath(folder, nextBase));
        }
        catch (final ChannelException ex)
        {
            lastRollFailure = ex;
            return false;
        }
        JournalFiles.deleteQuietly(nextPath);
        return true;
    }

    /**
     * Second half of a roll: leave ROLLED in the current segment and write on in the next.
     */
    void sealCurrent()
    {
        current.roll();
        current = next;
        currentBase += segmentCapacity;
        next = null;
        rolls++;
        current.doWork(); // the successor's heartbeat was stamped by the duty cycle; make sure it is fresh now
    }

    private boolean createNext()
    {
        final long nextBase = currentBase + segmentCapacity;
        try
        {
            next = ChannelWriter.create(segmentContext(ctx, nextBase)
                .capacity(segmentCapacity)
                .maxRecordLength(maxRecordLength)
                .path(JournalDescriptor.nextSegmentPath(folder, nextBase)));
            lastRollFailure = null;
            return true;
        }
        catch (final ChannelException ex)
        {
            lastRollFailure = ex;
            return false;
        }
    }

    private int enforceRetention()
    {
        if (retainedSegments <= 0 || ((currentBase - oldestBase) / segmentCapacity) <= retainedSegments)
        {
            return 0;
        }
        final long slowest = positions.slowestProtectingPosition();
        if (JournalDescriptor.NULL_POSITION != slowest && slowest < oldestBase + segmentCapacity)
        {
            return 0; // a protecting reader still needs the oldest segment
        }
        try
        {
            ChannelWriter.delete(JournalDescriptor.segmentPath(folder, oldestBase));
        }
        catch (final ChannelException ex)
        {
            return 0; // a segment that is not a channel or cannot be deleted stays: retention is best effort
        }
        oldestBase += segmentCapacity;
        return 1;
    }

    private static ChannelWriter.Context segmentContext(final Context ctx, final long base)
    {
        return new ChannelWriter.Context()
            .channelId(base)
            .capacity(ctx.segmentCapacity())
            .maxRecordLength(ctx.maxRecordLength())
            .timeoutMs(ctx.timeoutMs())
            .epochClock(ctx.epochClock())
            .preTouch(ctx.preTouch());
    }

    /**
     * The segment being written, for tests.
     */
    ChannelWriter currentSegment()
    {
        return current;
    }

    /**
     * The positions file, for tests.
     */
    JournalReaderPositions positions()
    {
        return positions;
    }

    /**
     * The next segment created ahead of need, for tests.
     */
    ChannelWriter nextSegment()
    {
        return next;
    }

    /**
     * Configuration of a journal's writer, validated once by {@link #conclude()}.
     */
    public static final class Context extends JournalContext<Context>
    {
        /**
         * Default segment capacity: 64 MiB.
         */
        public static final long DEFAULT_SEGMENT_CAPACITY = 64L * 1024 * 1024;

        private long segmentCapacity = DEFAULT_SEGMENT_CAPACITY;
        private int maxRecordLength = -1;
        private long timeoutMs = ChannelWriter.Context.DEFAULT_TIMEOUT_MS;
        private boolean preTouch = true;
        private int retainedSegments;

        /**
         * Validate the configuration and fill in defaults.
         *
         * @return this for a fluent API.
         * @throws ChannelException         when the capacity is not a power of two in range, or a record of the
         *                                  maximum length would not fit a segment, or the timeout is not positive.
         * @throws IllegalArgumentException when the folder is not set or retention is negative.
         */
        public Context conclude()
        {
            concludeShared();
            JournalDescriptor.checkSegmentCapacity(segmentCapacity);
            if (maxRecordLength < 0)
            {
                maxRecordLength = (int)Math.min(ChannelWriter.Context.DEFAULT_MAX_RECORD_LENGTH,
                    ChannelDescriptor.maxRecordLengthLimit(segmentCapacity));
            }
            JournalDescriptor.checkMaxRecordLength(maxRecordLength, segmentCapacity);
            if (timeoutMs <= 0)
            {
                throw new ChannelException(ChannelException.Reason.BAD_HEADER,
                    "timeoutMs must be positive: timeoutMs=" + timeoutMs);
            }
            if (retainedSegments < 0)
            {
                throw new IllegalArgumentException("retainedSegments must not be negative: " + retainedSegments);
            }
            return this;
        }

        /**
         * Capacity of every segment, a power of two from {@link JournalDescriptor#MIN_SEGMENT_CAPACITY} to
         * {@link JournalDescriptor#MAX_SEGMENT_CAPACITY}, fixed for the journal's life.
         *
         * @param segmentCapacity in bytes.
         * @return this for a fluent API.
         */
        public Context segmentCapacity(final long segmentCapacity)
        {
            this.segmentCapacity = segmentCapacity;
            return this;
        }

        /**
         * Capacity of every segment.
         *
         * @return the capacity in bytes.
         */
        public long segmentCapacity()
        {
            return segmentCapacity;
        }

        /**
         * Longest payload a record may have; by default the smaller of 16 MiB and what a segment holds.
         *
         * @param maxRecordLength in bytes.
         * @return this for a fluent API.
         */
        public Context maxRecordLength(final int maxRecordLength)
        {
            this.maxRecordLength = maxRecordLength;
            return this;
        }

        /**
         * Longest payload a record may have.
         *
         * @return the length, or -1 before {@link #conclude()} when none was set.
         */
        public int maxRecordLength()
        {
            return maxRecordLength;
        }

        /**
         * Writer timeout recorded in every segment: see {@link ChannelWriter.Context#timeoutMs(long)}.
         *
         * @param timeoutMs in milliseconds.
         * @return this for a fluent API.
         */
        public Context timeoutMs(final long timeoutMs)
        {
            this.timeoutMs = timeoutMs;
            return this;
        }

        /**
         * Writer timeout.
         *
         * @return the timeout in milliseconds.
         */
        public long timeoutMs()
        {
            return timeoutMs;
        }

        /**
         * Whether to touch every page of a segment when it is created (ahead of need, in the duty cycle). On by
         * default.
         *
         * @param preTouch true to touch every page.
         * @return this for a fluent API.
         */
        public Context preTouch(final boolean preTouch)
        {
            this.preTouch = preTouch;
            return this;
        }

        /**
         * Whether segments are pre-touched.
         *
         * @return true when they are.
         */
        public boolean preTouch()
        {
            return preTouch;
        }

        /**
         * How many sealed segments to keep besides the one being written; older ones are deleted by
         * {@link JournalWriter#doWork()}, oldest first, unless a protecting named reader still needs them. 0, the
         * default, keeps every segment.
         *
         * @param retainedSegments to keep.
         * @return this for a fluent API.
         */
        public Context retainedSegments(final int retainedSegments)
        {
            this.retainedSegments = retainedSegments;
            return this;
        }

        /**
         * How many sealed segments are kept.
         *
         * @return the count, 0 for all.
         */
        public int retainedSegments()
        {
            return retainedSegments;
        }
    }
}
