package org.kekbit.journal;

import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.MappingReleaser;
import org.kekbit.StorageInfo;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordAppender;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;

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
 * liveness rule), creates the next segment ahead of need, fully allocated and pre-touched, and links it under its
 * segment name on standby (header complete, format version 0: readers and listings take it for no part of the journal
 * yet), and applies retention (by count, bytes and age, with hard caps: see {@link Context#retainedSegments(int)} and
 * {@link #prune(Context)}). A write that does not fit the current segment (less room for the marker and its seal)
 * rolls: it activates the standby (one release store, no system call), and only then leaves the seal and the ROLLED
 * marker in the current one, so a reader that meets ROLLED can always open the successor; the mapping of the segment
 * rolled from is released by the next {@code doWork()}, off the write call. When {@code doWork()} has not
 * run since the last roll, the roll creates and links the next segment itself, file writes inline. With {@link
 * Context#createSegmentsOnAgent(boolean)} the next segment is made on another thread by the {@link #segmentCreator()}
 * agent instead, so the writer's thread never allocates a segment (while the agent is still making it, a roll returns
 * {@link #ROLL_FAILED} with a NOT_READY failure: retry). With {@link JournalContext#sequenceOffset(int)} and {@link
 * JournalContext#timestampOffset(int)} set, each seal records the first and last record's keys.
 * <p>
 * Positions are journal positions, 64-bit: a segment's base plus the position inside it. {@link RecordClaim#commit()}
 * returns the position inside the segment; {@link #position()} after it is the journal position.
 * <p>
 * Not threadsafe: one thread writes, claims, commits, runs the duty cycle and closes.
 */
public final class JournalWriter implements Agent, AutoCloseable, RecordAppender
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

    /**
     * Most mappings of sealed segments a recycling writer keeps for re-use.
     */
    private static final int MAX_KEPT_MAPPINGS = 16;
    /**
     * Retired files a recycling writer holds for its next segments. More than one: retention waits for a lagging
     * named reader, then retires two segments in one go, and a writer holding one file had to delete the second and
     * make a later segment in new memory (about one segment in eight at full speed on two cores, session 10).
     */
    private static final int MAX_RETIRED_FILES = 2;
    private static final long NO_STANDBY = -1;

    private final Path folder;
    private final Context ctx;
    private final long segmentCapacity;
    private final int maxRecordLength;
    // A short fills the gap before the references, so the object keeps its size and every other field its offset.
    private final short recordAlignment;
    private final JournalRetention retention;
    private final boolean isFolderSyncNeeded;
    private final JournalReaderPositions positions;
    private final JournalSegmentCreator creator;
    private final ChannelException creatorBusy;
    private final JournalReadingSegments readingSegments;
    private final long[] keptBases;
    private final MappedByteBuffer[] keptMappings;
    private final RetiringNames retiringNames;
    private boolean isCreatorWakeDue;
    private final Path[] retiredFiles = new Path[MAX_RETIRED_FILES];
    private final MappedByteBuffer[] retiredMappings = new MappedByteBuffer[MAX_RETIRED_FILES];
    private int retiredCount;
    private long recycledSegments;
    private ChannelWriter current;
    private long currentBase;
    private ChannelWriter next;
    private long oldestBase;
    private long forcedBase;
    private boolean isClosed;
    private boolean isTakenOver;
    private long rolls;
    private ChannelWriter rolledFrom; // its mapping is released by the next duty cycle: see finishRoll
    private long rolledFromBase;
    private long inlineSegmentCreations;
    private ChannelException lastRollFailure;
    private long nextRequestedAtMs;
    private final int sequenceOffset;
    private final int timestampOffset;
    private final UnsafeBuffer sealBuffer = new UnsafeBuffer(new byte[JournalDescriptor.SEAL_LENGTH]);
    private final long prepareToRollRemaining;
    private final long rollAheadBytes;
    private long rollsAhead;
    private boolean hasFirstKeys;
    private long firstSequence;
    private long firstTimestamp;
    private long segmentRecords;
    private long lastRecordStart = -1;
    private long claimStart = -1;

    private JournalWriter(
        final Context ctx,
        final JournalReaderPositions positions,
        final ChannelWriter current,
        final long currentBase,
        final long oldestBase,
        final SegmentScan currentScan,
        final JournalReadingSegments readingSegments)
    {
        this.ctx = ctx;
        this.folder = ctx.folder();
        this.segmentCapacity = current.capacity();
        this.maxRecordLength = current.maxRecordLength();
        this.recordAlignment = (short)current.recordAlignment();
        this.retention = new JournalRetention(ctx);
        this.isFolderSyncNeeded = StorageInfo.isFolderSyncNeeded(folder);
        this.positions = positions;
        this.current = current;
        this.currentBase = currentBase;
        this.oldestBase = oldestBase;
        this.sequenceOffset = ctx.sequenceOffset();
        this.timestampOffset = ctx.timestampOffset();
        this.rollAheadBytes = ctx.rollAheadBytes();
        this.prepareToRollRemaining = Math.max(ctx.segmentCapacity() >> PREPARE_TO_ROLL_SHIFT, rollAheadBytes);
        if (null != currentScan)
        {
            this.segmentRecords = currentScan.count;
            this.lastRecordStart = currentScan.lastStart;
        }
        this.creator = ctx.createSegmentsOnAgent() ?
            new JournalSegmentCreator(ctx, segmentCapacity, maxRecordLength, recordAlignment, isFolderSyncNeeded) :
            null;
        this.creatorBusy = null == creator ? null : new ChannelException(ChannelException.Reason.NOT_READY,
            "the next segment is still being created by the segment creator agent: " + folder);
        this.forcedBase = oldestBase; // a resumed writer cannot know what the dead one forced
        this.readingSegments = readingSegments;
        positions.recycling(null != readingSegments); // after the file is made; a stop deleted it just before
        // A recycling writer keeps its mappings of the sealed segments it may re-use, so re-using one takes no fault.
        final int kept = null == readingSegments ? 0 :
            Math.min(MAX_KEPT_MAPPINGS, ctx.retainedSegments() > 0 ? ctx.retainedSegments() + 2 : MAX_KEPT_MAPPINGS);
        this.keptBases = new long[kept];
        this.keptMappings = new MappedByteBuffer[kept];
        this.retiringNames = new RetiringNames(folder, segmentCapacity, null == readingSegments ? 0 : kept + 2);
    }

    /**
     * What the context says about recycling, made so in the folder before the writer retires anything: the reading
     * segments file created (unnamed readers then refuse the journal), or deleted; and a retired file a crashed
     * writer left deleted.
     */
    private static JournalReadingSegments openRecycling(final Context ctx)
    {
        JournalFiles.deleteRetiredFiles(ctx.folder());
        if (!ctx.recycleSegments())
        {
            JournalReadingSegments.stopRecycling(ctx.folder());
            return null;
        }
        return JournalReadingSegments.openOrCreate(ctx.folder());
    }

    /**
     * Rolls a {@link #warmUp(Context, int)} makes by default: enough for HotSpot's default tiered thresholds to compile
     * every method of the roll with the optimising compiler (6,000 rolls left some at the profiling tier).
     */
    public static final int DEFAULT_WARM_UP_ROLLS = 20_000;

    private static final long WARM_UP_SEGMENT_CAPACITY = 64 * 1024;
    private static final int WARM_UP_RECORD_LENGTH = 4096;
    private static final String WARM_UP_FOLDER_INFIX = ".warm-up-";
    private static final String WARM_UP_READER_NAME = "warm-up";

    /**
     * The duty cycle prepares the roll in the last eighth of a segment ({@link #prepareToRoll()}).
     */
    private static final int PREPARE_TO_ROLL_SHIFT = 3;

    /**
     * Run the write path through {@code rolls} rolls on a scratch journal made with the context's settings (but small
     * segments, recycled, so it takes little memory) in a folder beside the context's, deleted afterwards; call it at
     * start-up, before {@link #create(Context)} or {@link #resume(Context)}. A roll runs once per segment, too rarely for
     * the JIT to compile it, so without a warm-up every roll runs interpreted on cold code: tens of microseconds
     * (docs/benchmarks.md, "Write latency around a roll"). The same settings, and rolls that find the next segment
     * taken, not taken, not made yet and still asked for, take the branches the journal's rolls take, and a named
     * reader follows the scratch journal so that the classes a journal's readers load are loaded before the roll is
     * compiled, not after (loading them later threw the compiled roll away: class hierarchy dependencies). So the
     * code compiled here is not thrown away at the first real roll. Scratch folders a killed warm-up left are
     * deleted first.
     * Cold path: it creates files and takes about as long as that many rolls of 64 KiB segments.
     *
     * @param ctx   the settings of the journal to come; not changed (a copy is used).
     * @param rolls how many rolls to make, {@link #DEFAULT_WARM_UP_ROLLS} for the default thresholds.
     * @return the number of rolls made.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the scratch journal cannot be made
     *                          or deleted.
     */
    public static long warmUp(final Context ctx, final int rolls)
    {
        final Path folder = ctx.clone().conclude().folder().toAbsolutePath();
        final Path scratch = folder.resolveSibling(
            folder.getFileName() + WARM_UP_FOLDER_INFIX + ProcessHandle.current().pid());
        deleteAbandonedWarmUps(folder);
        final Context scratchCtx = ctx.clone()
            .folder(scratch)
            .segmentCapacity(WARM_UP_SEGMENT_CAPACITY)
            .maxRecordLength(WARM_UP_RECORD_LENGTH)
            .retainedSegments(1)
            .recycleSegments(true) // little memory, and no new memory per roll: a third of the time
            .rollAheadBytes(Math.min(ctx.rollAheadBytes(), WARM_UP_SEGMENT_CAPACITY / 4)); // both kinds of roll
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[WARM_UP_RECORD_LENGTH]);
        final RecordHandler ignore = (msgTypeId, buffer, offset, length) -> {};
        try
        {
            try (JournalWriter writer = create(scratchCtx);
                JournalReader reader = JournalReader.open(new JournalReader.Context()
                    .folder(scratch)
                    .name(WARM_UP_READER_NAME)
                    .protectRetention(true)
                    .epochClock(scratchCtx.epochClock())))
            {
                // The reader loads the classes a journal's readers load (read-only mappings, the reader's contexts):
                // loaded only after the warm-up, they would invalidate the roll's compiled code (class hierarchy).
                final JournalSegmentCreator creator = writer.creator;
                while (writer.rolls() < rolls)
                {
                    reader.poll(ignore, Integer.MAX_VALUE);
                    // Every way a roll can go, so that the JIT keeps each branch: the next segment taken ahead by
                    // the duty cycle (half the segments), taken by the roll itself, and not made yet (a retry).
                    final long way = writer.rolls() & 3;
                    final long result = writer.write(1, payload, 0, WARM_UP_RECORD_LENGTH);
                    final ChannelException failure = writer.lastRollFailure();
                    if (ROLL_FAILED == result && null != failure &&
                        ChannelException.Reason.NOT_READY != failure.reason())
                    {
                        throw failure; // the next segment cannot be made: no point in trying again
                    }
                    if (result < 0 && ROLL_FAILED != result)
                    {
                        throw new ChannelException(ChannelException.Reason.IO_ERROR,
                            "warm-up journal " + scratch + " stopped writing: " + result);
                    }
                    if (way < 2 || ROLL_FAILED == result)
                    {
                        if (0 == way)
                        {
                            writer.doWork(); // asks while the request is still pending, as with a helper thread
                        }
                        if (null != creator)
                        {
                            creator.doWork(); // on this thread: the scratch journal has no helper thread
                        }
                        writer.doWork();
                    }
                    else if (2 == way && null != creator)
                    {
                        creator.doWork();
                    }
                }
                return writer.rolls();
            }
        }
        finally
        {
            deleteWarmUp(scratch);
        }
    }

    private static void deleteWarmUp(final Path scratch)
    {
        try
        {
            IoUtil.delete(scratch.toFile(), false);
        }
        catch (final RuntimeException ex)
        {
            throw JournalFiles.ioError("cannot delete warm-up journal " + scratch + ": " + ex, ex);
        }
    }

    private static void deleteAbandonedWarmUps(final Path folder)
    {
        final String prefix = folder.getFileName() + WARM_UP_FOLDER_INFIX;
        try (java.util.stream.Stream<Path> siblings = Files.list(folder.getParent()))
        {
            siblings.filter((sibling) -> sibling.getFileName().toString().startsWith(prefix))
                .filter((sibling) -> isAbandoned(sibling.getFileName().toString().substring(prefix.length())))
                .forEach(JournalWriter::deleteWarmUp);
        }
        catch (final java.nio.file.NoSuchFileException ex)
        {
            // no parent folder yet: nothing was left there
        }
        catch (final java.io.IOException ex)
        {
            throw JournalFiles.ioError("cannot list " + folder.getParent() + ": " + ex, ex);
        }
    }

    private static boolean isAbandoned(final String pid)
    {
        try
        {
            return ProcessHandle.of(Long.parseLong(pid)).isEmpty();
        }
        catch (final NumberFormatException ex)
        {
            return false; // not a warm-up's folder: leave it
        }
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

        final JournalReadingSegments readingSegments = openRecycling(ctx);
        final JournalReaderPositions positions;
        try
        {
            positions = JournalReaderPositions.openOrCreate(folder);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(readingSegments);
            throw ex;
        }
        try
        {
            final ChannelWriter first = ChannelWriter.create(segmentContext(ctx, 0)
                .deleteStaleTempFiles(true)
                .path(JournalDescriptor.segmentPath(folder, 0)));
            return new JournalWriter(ctx, positions, first, 0, 0, null, readingSegments);
        }
        catch (final RuntimeException ex)
        {
            positions.close();
            closeQuietly(readingSegments);
            throw ex;
        }
    }

    /**
     * Carry on writing a journal, after its writer died or after it closed it.
     * <p>
     * After a crash: resume its last segment as {@link ChannelWriter#resume(ChannelWriter.Context)} does, which never
     * takes a segment from a live writer (the channel's liveness rule), then repair what a crash can leave: when the
     * writer died between linking the last segment and leaving the ROLLED marker in the one before, the marker (and a
     * seal) is written now (idempotent), and a next segment created ahead of need is deleted.
     * <p>
     * After a clean close (as Chronicle Queue appends to a queue again and Aeron Archive extends a stopped recording):
     * write on in a new segment after the closed one, created exclusively, then turn the closed segment's CLOSED
     * marker into ROLLED, so readers that reached CLOSED and poll again read on, and new readers read straight
     * through. The journal keeps its segment capacity, maximum record length and timeout.
     *
     * @param ctx the folder, the clock, pre-touch, retention and key offsets; its capacity, record length and
     *            timeout are not used.
     * @return the writer, positioned after the last committed record (after a clean close: at the new segment).
     * @throws ChannelException with {@link ChannelException.Reason#NOT_FOUND} when the folder holds no segment,
     *                          {@link ChannelException.Reason#WRITER_ACTIVE} when the writer lives,
     *                          {@link ChannelException.Reason#ALREADY_EXISTS} when another writer reopened the closed
     *                          journal first, {@link ChannelException.Reason#ENDED} when the last segment is FULL
     *                          (no journal's writer leaves one), {@link ChannelException.Reason#TRUNCATED} when the
     *                          last segment is ROLLED and the one after it is missing (nothing is written), {@link ChannelException.Reason#INCOMPATIBLE_VERSION}
     *                          when the last segment is of a later journal format (checked before anything is
     *                          written), or any reason
     *                          {@link ChannelWriter#resume(ChannelWriter.Context)} throws.
     */
    public static JournalWriter resume(final Context ctx)
    {
        ctx.conclude();
        final Path folder = ctx.folder();
        final LongArrayList bases = JournalFiles.allSegmentBases(folder);
        if (bases.isEmpty())
        {
            throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no journal segment in " + folder);
        }
        long standbyBase = NO_STANDBY;
        if (bases.size() > 1 &&
            ChannelReader.isOnStandby(JournalDescriptor.segmentPath(folder, bases.getLong(bases.size() - 1))))
        {
            standbyBase = bases.removeAt(bases.size() - 1); // the dead writer's successor: deleted once this owns
        }
        final long lastBase = bases.getLong(bases.size() - 1);
        final Path lastPath = JournalDescriptor.segmentPath(folder, lastBase);
        ChannelWriter.deleteStaleTempFilesBeside(lastPath); // segments are created without, not to list per roll
        final ChannelState lastEndState = endStateOf(lastPath);
        if (ChannelState.CLOSED == lastEndState)
        {
            return reopen(ctx, bases.getLong(0), lastBase);
        }
        if (ChannelState.ROLLED == lastEndState)
        {
            checkSuccessorPresent(folder, lastBase, lastPath);
        }
        final ChannelWriter last = ChannelWriter.resume(new ChannelWriter.Context()
            .path(JournalDescriptor.segmentPath(folder, lastBase))
            .epochClock(ctx.epochClock())
            .preTouch(ctx.preTouch())
            .mappingReleaser(ctx.mappingReleaser()));
        JournalReadingSegments readingSegments = null;
        final JournalReaderPositions positions;
        final SegmentScan scan = new SegmentScan(ctx);
        try
        {
            scan.scan(lastPath);
            final long capacity = last.capacity();
            JournalDescriptor.checkSegmentCapacity(capacity);
            // This process now owns the last segment: the writer that linked it is dead, so what it left is ours.
            if (NO_STANDBY != standbyBase)
            {
                JournalFiles.deleteQuietly(JournalDescriptor.segmentPath(folder, standbyBase));
            }
            JournalFiles.deleteQuietly(JournalDescriptor.nextSegmentPath(folder, lastBase + capacity));
            JournalFiles.deleteQuietly(JournalDescriptor.nextSegmentPath(folder, lastBase));
            if (lastBase > 0 && bases.containsLong(lastBase - capacity))
            {
                sealIfUnmarked(ctx, JournalDescriptor.segmentPath(folder, lastBase - capacity));
            }
            readingSegments = openRecycling(ctx); // once this process owns the last segment: no live writer retires
            positions = JournalReaderPositions.openOrCreate(folder);
        }
        catch (final RuntimeException ex)
        {
            last.close();
            closeQuietly(readingSegments);
            throw ex;
        }

        return new JournalWriter(ctx, positions, last, lastBase, bases.getLong(0), scan, readingSegments);
    }

    /**
     * Reopen a journal whose writer closed it: a new segment after the closed one, created exclusively (of racing
     * reopeners one wins, the others fail with ALREADY_EXISTS), then the CLOSED marker of the closed one turned into
     * ROLLED with a seal, so readers that stopped there go on. A crash between the two is repaired by the next
     * resume, as a crash between link and marker is.
     */
    private static JournalWriter reopen(final Context ctx, final long oldestBase, final long lastBase)
    {
        final Path folder = ctx.folder();
        final Path lastPath = JournalDescriptor.segmentPath(folder, lastBase);
        final long capacity;
        final int maxRecordLength;
        final int recordAlignment;
        final long timeoutMs;
        try (ChannelReader reader = JournalFiles.openSegment(lastPath))
        {
            capacity = reader.capacity();
            maxRecordLength = reader.maxRecordLength();
            recordAlignment = reader.recordAlignment();
            timeoutMs = reader.header().timeoutMs();
        }
        JournalDescriptor.checkSegmentCapacity(capacity);
        final long base = lastBase + capacity;
        final ChannelWriter created = ChannelWriter.create(segmentContext(ctx, base)
            .capacity(capacity)
            .maxRecordLength(maxRecordLength)
            .recordAlignment(recordAlignment)
            .timeoutMs(timeoutMs)
            .path(JournalDescriptor.segmentPath(folder, base)));
        JournalReadingSegments readingSegments = null;
        try
        {
            sealIfUnmarked(ctx, lastPath);
            readingSegments = openRecycling(ctx);
            return new JournalWriter(ctx, JournalReaderPositions.openOrCreate(folder), created, base, oldestBase, null,
                readingSegments);
        }
        catch (final RuntimeException ex)
        {
            created.close();
            closeQuietly(readingSegments);
            throw ex;
        }
    }

    /**
     * End state of a segment, refusing one of a later journal format before resume or repair writes anything.
     */
    /**
     * A ROLLED segment's successor is linked before its marker is written, so a ROLLED last segment means the newest
     * segment went (deleted, or not copied with the folder): its records may be lost, and writing on would hide that.
     * When the successor is there after all, a live writer rolled while the folder was listed: resuming the segment
     * then finds that writer alive.
     */
    private static void checkSuccessorPresent(final Path folder, final long lastBase, final Path lastPath)
    {
        final long capacity;
        try (ChannelReader reader = JournalFiles.openSegment(lastPath))
        {
            capacity = reader.capacity();
        }
        final Path successor = JournalDescriptor.segmentPath(folder, lastBase + capacity);
        if (!Files.exists(successor))
        {
            throw new ChannelException(ChannelException.Reason.TRUNCATED, "the last segment is ROLLED but the " +
                "segment after it is missing (deleted, or not copied with the folder), so its records may be lost: " +
                "restore " + successor.getFileName() + " to resume, file=" + lastPath);
        }
    }

    private static ChannelState endStateOf(final Path path)
    {
        try (ChannelReader reader = JournalFiles.openSegment(path))
        {
            reader.seekToEnd();
            reader.poll(JournalWriter::ignoreRecord, 1); // reports the end marker after the records
            return reader.endState();
        }
    }

    /**
     * Leave the ROLLED marker, and a seal, in a segment whose successor is linked but whose writer died before
     * marking it (OPEN), or whose journal was reopened by a writer that died before turning its CLOSED marker into
     * ROLLED.
     */
    private static void sealIfUnmarked(final Context ctx, final Path path)
    {
        final ChannelState endState = endStateOf(path);
        if (ChannelState.OPEN == endState || ChannelState.CLOSED == endState)
        {
            final SegmentScan scan = new SegmentScan(ctx);
            scan.scan(path);
            final UnsafeBuffer seal = new UnsafeBuffer(new byte[JournalDescriptor.SEAL_LENGTH]);
            JournalSeal.encode(seal, scan.count, scan.firstSequence, scan.lastSequence, scan.firstTimestampNs,
                scan.lastTimestampNs, ctx.epochClock().time());
            if (ChannelState.OPEN == endState)
            {
                ChannelWriter.resume(new ChannelWriter.Context().path(path).epochClock(ctx.epochClock())
                    .preTouch(false)).roll(seal, 0, JournalDescriptor.SEAL_LENGTH);
            }
            else
            {
                ChannelWriter.reopenAsRolled(path, seal, 0, JournalDescriptor.SEAL_LENGTH);
            }
        }
    }

    private static void ignoreRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        // sealIfUnmarked looks for the end marker only
    }

    /**
     * Apply a context's retention to a journal from outside its writer, for a tool or a cron job: delete whole sealed
     * segments, oldest first, while a limit says so, never the last segment (the writer's) and never one a named
     * reader that protects retention still needs, unless a hard cap says so. The writer's own duty cycle applies the
     * same rule; running both is safe.
     *
     * @param ctx the folder, the clock and the limits: {@link Context#retainedSegments(int)},
     *            {@link Context#retainedBytes(long)}, {@link Context#retentionMs(long)},
     *            {@link Context#hardCapSegments(int)} and {@link Context#hardCapBytes(long)}; the segment capacity
     *            is read from the journal.
     * @return the number of segments deleted.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the folder cannot be listed, or
     *                          when the last segment or the positions file cannot be read.
     */
    public static int prune(final Context ctx)
    {
        return prune(ctx, (base) -> {}, (base) -> {});
    }

    /**
     * Apply a context's retention from outside the writer as {@link #prune(Context)} does, telling which segments it
     * deleted and which it kept only because a named reader that protects retention still needs them.
     *
     * @param ctx       the folder, the clock and the limits, as for {@link #prune(Context)}.
     * @param onDeleted given the base position of each segment deleted, oldest first.
     * @param onHeld    given the base position of each sealed segment a soft limit would delete but a protecting
     *                  reader still needs, oldest first.
     * @return the number of segments deleted.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the folder cannot be listed, or
     *                          when the last segment or the positions file cannot be read.
     */
    public static int prune(final Context ctx, final LongConsumer onDeleted, final LongConsumer onHeld)
    {
        ctx.conclude();
        return JournalRetention.prune(ctx, onDeleted, onHeld);
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
        final long start = current.position();
        final long result = current.write(msgTypeId, src, srcOffset, length);
        if (result < 0)
        {
            return channelCode(result);
        }
        segmentRecords++;
        lastRecordStart = start;
        return currentBase + result;
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
        final long start = current.position();
        final long result = current.tryClaim(msgTypeId, length, claim);
        if (result < 0)
        {
            return channelCode(result);
        }
        claimStart = start; // counted for the seal once committed: see resolveClaim
        return currentBase + result;
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
        int workCount = null == rolledFrom ? 0 : finishRoll();
        if (current.remaining() < prepareToRollRemaining)
        {
            workCount += rollAheadOrPrepareToRoll();
        }
        workCount += current.doWork();
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
            workCount += prepareNext();
        }
        workCount += enforceRetention();
        if (isCreatorWakeDue)
        {
            // Here rather than in the rolling write that asked: waking a parked thread is a system call.
            isCreatorWakeDue = false;
            creator.wake();
        }

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
            dropNext(); // first: a CLOSED segment is always the journal's last, with no standby after it
            current.close();
            releaseRolledFrom();
            releaseAllButCurrent();
        }
    }

    /**
     * The helper agent that creates the next segment on a thread of its own, for a writer whose context said
     * {@link Context#createSegmentsOnAgent(boolean)}: run it on another thread, for example with an
     * {@link org.agrona.concurrent.AgentRunner} under a parking idle strategy.
     *
     * @return the agent.
     * @throws IllegalStateException when the context did not ask for it.
     */
    public Agent segmentCreator()
    {
        if (null == creator)
        {
            throw new IllegalStateException("segments are created by the writer's duty cycle: set " +
                "Context.createSegmentsOnAgent(true) to create them on an agent");
        }
        return creator;
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
            dropNext();
            current.detach();
            releaseRolledFrom();
            releaseAllButCurrent();
        }
    }

    /**
     * Delete the standby successor, taken or still with the segment creator (no reader reads one), and stop the
     * creator: once this returns no standby follows the current segment.
     */
    private void dropNext()
    {
        if (null != creator)
        {
            creator.close();
        }
        if (null != next)
        {
            next.close();
            JournalFiles.deleteQuietly(JournalDescriptor.segmentPath(folder, currentBase + segmentCapacity));
            next = null;
        }
    }

    /**
     * Delete a retired file kept for re-use, release the kept mappings and unmap the positions file: what closing
     * and detaching share, after {@link #dropNext()}.
     */
    private void releaseAllButCurrent()
    {
        while (retiredCount > 0)
        {
            final int top = --retiredCount;
            JournalFiles.deleteQuietly(retiredFiles[top]);
            retiredFiles[top] = null;
            if (null != retiredMappings[top])
            {
                MappingReleaser.release(ctx.mappingReleaser(), retiredMappings[top]);
                retiredMappings[top] = null;
            }
        }
        for (int i = 0; i < keptMappings.length; i++)
        {
            releaseKeptMapping(i);
        }
        closeQuietly(readingSegments);
        positions.close();
    }

    private void releaseRolledFrom()
    {
        if (null != rolledFrom)
        {
            rolledFrom.releaseHeldMapping(false);
            rolledFrom = null;
        }
    }

    private static void closeQuietly(final JournalReadingSegments readingSegments)
    {
        if (null != readingSegments)
        {
            readingSegments.close();
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
     * Rolls the duty cycle made ahead of need ({@link Context#rollAheadBytes(long)}), counted in {@link #rolls()}
     * too.
     *
     * @return the number of such rolls.
     */
    public long rollsAhead()
    {
        return rollsAhead;
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
        if (claimStart >= 0)
        {
            resolveClaim();
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
        // Rolls leave room for the marker and the seal, except after a record alone in its segment.
        final int alignedLength = RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length), recordAlignment);
        final long remaining = current.remaining();
        if (alignedLength > remaining ||
            (alignedLength > remaining - JournalDescriptor.ROLL_RESERVE_LENGTH && current.position() > 0))
        {
            return roll();
        }
        return 0;
    }

    /**
     * Count the last claim once it is committed or aborted: the claim commits on the channel's writer, not here.
     */
    private void resolveClaim()
    {
        if (current.position() > claimStart)
        {
            segmentRecords++;
            lastRecordStart = claimStart;
        }
        claimStart = -1;
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
        if (null == next && null != creator)
        {
            if (creator.isRequested() && ctx.epochClock().time() - nextRequestedAtMs < ctx.segmentCreatorTimeoutMs())
            {
                // The agent has not taken the request up yet: making the segment here would stall this thread
                // for as long as the agent takes to make it; a later write rolls once it is handed over.
                lastRollFailure = creatorBusy;
                return ROLL_FAILED;
            }
            next = takeCreated(currentBase + segmentCapacity);
            if (null == next)
            {
                if (creator.isBusy())
                {
                    lastRollFailure = creatorBusy; // transient: a later write takes the segment once handed over
                    return ROLL_FAILED;
                }
                next = takeCreated(currentBase + segmentCapacity); // it may have been handed over between looks
            }
            lastRollFailure = null != next ? null : lastRollFailure;
        }
        if (null == next)
        {
            inlineSegmentCreations++;
            if (!createNext())
            {
                return ROLL_FAILED;
            }
        }
        activateNext();
        sealCurrent();
        return 0;
    }

    /**
     * First half of a roll: make the standby successor, linked under its name since it was created, ready for
     * readers: one release store, no system call on the writing thread. A crash after this and before
     * {@link #sealCurrent()} leaves a segment without an end marker before a ready one, which resume repairs.
     */
    void activateNext()
    {
        next.activate();
    }

    /**
     * Second half of a roll: leave ROLLED in the current segment and write on in the next.
     */
    void sealCurrent()
    {
        final long missing = JournalDescriptor.NULL_VALUE;
        final boolean hasRecords = segmentRecords > 0;
        final long lastStart = lastRecordStart;
        final ChannelWriter current = this.current;
        final long nowMs = ctx.epochClock().time();
        JournalSeal.encode(
            sealBuffer,
            segmentRecords,
            hasFirstKeys ? firstSequence : firstKey(hasRecords, sequenceOffset),
            hasRecords && sequenceOffset >= 0 ? current.readPayloadLong(lastStart, sequenceOffset, missing) : missing,
            hasFirstKeys ? firstTimestamp : firstKey(hasRecords, timestampOffset),
            hasRecords && timestampOffset >= 0 ? current.readPayloadLong(lastStart, timestampOffset, missing) : missing,
            nowMs);
        if (null != rolledFrom)
        {
            finishRoll(); // rolled again before a duty cycle ran
        }
        current.rollHoldingMapping(sealBuffer, 0, JournalDescriptor.SEAL_LENGTH);
        rolledFrom = current;
        rolledFromBase = currentBase;
        segmentRecords = 0;
        lastRecordStart = -1;
        hasFirstKeys = false;
        this.current = next;
        currentBase += segmentCapacity;
        rolls++;
        next.doWork(); // the successor's heartbeat was stamped by the duty cycle; make sure it is fresh now
        next = null;
        if (null != creator)
        {
            requestNext(currentBase + segmentCapacity, nowMs); // now: every microsecond of head start counts
        }
    }

    /**
     * Near the end of a segment, from the duty cycle: roll ahead of need when {@link Context#rollAheadBytes(long)}
     * asks and the successor is ready (not while a claim is outstanding, nor in a segment with no record), or else
     * prepare the rolling write.
     */
    private int rollAheadOrPrepareToRoll()
    {
        if (current.remaining() < rollAheadBytes && null != next && current.position() > 0 &&
            !current.isClaimOutstanding())
        {
            if (claimStart >= 0)
            {
                resolveClaim(); // committed or aborted: counted for the seal before it is written
            }
            activateNext();
            sealCurrent();
            rollsAhead++;
            return 1;
        }
        prepareToRoll();
        return 0;
    }

    /**
     * Near the end of a segment, from the duty cycle: what the rolling write will touch, brought into this thread's
     * caches and TLB (both segments' headers, the seal's buffer), and the seal's first keys read, so that the roll
     * finds them warm instead of taking a page walk and a cache miss for each (docs/benchmarks.md, "Write latency
     * around a roll"). Changes nothing a reader sees.
     */
    private void prepareToRoll()
    {
        current.prepareToRoll();
        if (null != next)
        {
            next.prepareToRoll();
        }
        if (!hasFirstKeys && segmentRecords > 0)
        {
            firstSequence = firstKey(true, sequenceOffset);
            firstTimestamp = firstKey(true, timestampOffset);
            hasFirstKeys = true;
        }
        sealBuffer.putLong(0, 0L); // its line, for the seal's encoding
    }

    private long firstKey(final boolean hasRecords, final int keyOffset)
    {
        return hasRecords && keyOffset >= 0 ?
            current.readPayloadLong(0, keyOffset, JournalDescriptor.NULL_VALUE) : JournalDescriptor.NULL_VALUE;
    }

    /**
     * What a roll leaves to the duty cycle, off the write call that rolled: release (or keep, to recycle) the
     * mapping of the segment rolled from, and tell retention.
     */
    private int finishRoll()
    {
        final ChannelWriter rolled = rolledFrom;
        rolledFrom = null;
        final MappedByteBuffer mapping = rolled.releaseHeldMapping(keptMappings.length > 0);
        if (null != mapping)
        {
            keepMapping(rolledFromBase, mapping);
        }
        retention.onRoll();
        return 1;
    }

    private void requestNext(final long nextBase, final long nowMs)
    {
        final int top = retiredCount - 1;
        if (creator.request(nextBase, top < 0 ? null : retiredFiles[top], top < 0 ? null : retiredMappings[top]))
        {
            nextRequestedAtMs = nowMs;
            isCreatorWakeDue = true;
            if (top >= 0)
            {
                takeRetired(); // the creator's now: it re-uses it, or deletes it when the request is cancelled
            }
        }
    }

    /**
     * The next segment ahead of need: created here, or asked for from the segment creator agent and taken once it
     * has made it.
     */
    private int prepareNext()
    {
        if (null == creator)
        {
            return createNext() ? 1 : 0;
        }
        final long nextBase = currentBase + segmentCapacity;
        final ChannelException failure = creator.takeFailure();
        if (null != failure)
        {
            lastRollFailure = failure; // the next roll creates the segment itself, and reports if it fails too
            return 0;
        }
        if (JournalSegmentCreator.READY == creator.state.get())
        {
            next = takeCreated(nextBase);
            return null == next ? 0 : 1;
        }
        requestNext(nextBase, ctx.epochClock().time());
        return 0;
    }

    /**
     * Take the segment the creator agent made for a base, keeping the names it made for it.
     */
    private ChannelWriter takeCreated(final long base)
    {
        final ChannelWriter created = creator.take(base);
        if (null != created)
        {
            retiringNames.put(base, creator.takenSegmentPath(), creator.takenRecyclePath());
        }
        return created;
    }

    /**
     * Create a segment on standby under its temporary name, for the writer or its segment creator agent; then
     * {@link #linkStandby(ChannelWriter, Path, boolean)} links it under its segment name.
     */
    static ChannelWriter createSegment(
        final Context ctx,
        final long base,
        final long segmentCapacity,
        final int maxRecordLength,
        final int recordAlignment,
        final Path path,
        final Path retiredFile,
        final MappedByteBuffer retiredMapping)
    {
        final ChannelWriter.Context segmentContext = segmentContext(ctx, base)
            .capacity(segmentCapacity)
            .maxRecordLength(maxRecordLength)
            .recordAlignment(recordAlignment)
            .standby(true)
            .path(path);
        return null == retiredFile ? ChannelWriter.create(segmentContext) :
            ChannelWriter.createReusing(segmentContext, retiredFile, retiredMapping);
    }

    /**
     * Link a segment created on standby under its segment name, ahead of the roll that activates it, and delete its
     * temporary name: readers and listings take a standby for no part of the journal (it is not ready), so the roll
     * itself needs no system call. Exclusive: fails when the name exists.
     *
     * @throws ChannelException with {@link ChannelException.Reason#ALREADY_EXISTS} or
     *                          {@link ChannelException.Reason#IO_ERROR}.
     */
    static void linkStandby(final ChannelWriter standby, final Path segmentPath, final boolean isFolderSyncNeeded)
    {
        JournalFiles.link(standby.path(), segmentPath, isFolderSyncNeeded);
        JournalFiles.deleteQuietly(standby.path());
    }

    private boolean createNext()
    {
        final long nextBase = currentBase + segmentCapacity;
        try
        {
            final int top = retiredCount - 1;
            final Path retired = top < 0 ? null : retiredFiles[top];
            final MappedByteBuffer mapping = top < 0 ? null : retiredMappings[top];
            if (top >= 0)
            {
                takeRetired(); // re-used or deleted by the creation, even a failed one
            }
            final ChannelWriter created = createSegment(ctx, nextBase, segmentCapacity, maxRecordLength,
                recordAlignment, JournalDescriptor.nextSegmentPath(folder, nextBase), retired, mapping);
            final Path segmentPath = JournalDescriptor.segmentPath(folder, nextBase);
            try
            {
                linkStandby(created, segmentPath, isFolderSyncNeeded);
            }
            catch (final ChannelException ex)
            {
                created.close();
                JournalFiles.deleteQuietly(created.path());
                throw ex;
            }
            next = created;
            retiringNames.made(nextBase, segmentPath);
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
        if (!retention.isEnabled() ||
            !retention.mayDeleteOldest(oldestBase, currentBase, segmentCapacity, positions, ctx.epochClock().time()))
        {
            return 0;
        }
        if (null == readingSegments || MAX_RETIRED_FILES == retiredCount)
        {
            if (keptMappings.length > 0 && keptBases[keptIndex(oldestBase)] == oldestBase)
            {
                releaseKeptMapping(keptIndex(oldestBase));
            }
            JournalRetention.delete(folder, oldestBase); // gone already (pruned from outside, by hand): move on
        }
        else
        {
            retire(oldestBase);
        }
        oldestBase += segmentCapacity;
        return 1;
    }

    /**
     * Rename the oldest segment away from its name, then keep its file for the next segment when no live named
     * reader may map it (the writer's half of {@link JournalReadingSegments}' protocol), else delete it.
     */
    private void retire(final long base)
    {
        final Path retired = retiringNames.recyclePath(base);
        if (!JournalFiles.renameQuietly(retiringNames.segmentPath(base), retired))
        {
            JournalRetention.delete(folder, base); // gone already (pruned from outside, by hand): move on
            return;
        }
        final int keptIndex = keptIndex(base);
        final MappedByteBuffer mapping = keptBases[keptIndex] == base ? keptMappings[keptIndex] : null;
        keptMappings[keptIndex] = null;
        if (readingSegments.mayRecycle(positions, base, ctx.epochClock().time(), ctx.timeoutMs()))
        {
            retiredFiles[retiredCount] = retired;
            retiredMappings[retiredCount] = mapping;
            retiredCount++;
            recycledSegments++;
        }
        else
        {
            JournalFiles.deleteQuietly(retired); // a reader may map it: a deleted file stays intact for it
            if (null != mapping)
            {
                MappingReleaser.release(ctx.mappingReleaser(), mapping);
            }
        }
    }

    /**
     * Keep the mapping of a segment rolled from, for a recycling writer, in place of the oldest one kept.
     */
    private void keepMapping(final long base, final MappedByteBuffer mapping)
    {
        final int index = keptIndex(base);
        releaseKeptMapping(index);
        keptBases[index] = base;
        keptMappings[index] = mapping;
    }

    private int keptIndex(final long base)
    {
        return (int)((base / segmentCapacity) % keptMappings.length);
    }

    private void releaseKeptMapping(final int index)
    {
        if (null != keptMappings[index])
        {
            MappingReleaser.release(ctx.mappingReleaser(), keptMappings[index]);
            keptMappings[index] = null;
        }
    }

    /**
     * Hand the most recently retired file (and its mapping) over: the caller owns both from now on.
     */
    private void takeRetired()
    {
        final int top = --retiredCount;
        retiredFiles[top] = null;
        retiredMappings[top] = null;
    }

    private static ChannelWriter.Context segmentContext(final Context ctx, final long base)
    {
        return new ChannelWriter.Context()
            .channelId(base)
            .capacity(ctx.segmentCapacity())
            .maxRecordLength(ctx.maxRecordLength())
            .recordAlignment(ctx.recordAlignment())
            .timeoutMs(ctx.timeoutMs())
            .epochClock(ctx.epochClock())
            .preTouch(ctx.preTouch())
            .mappingReleaser(ctx.mappingReleaser())
            .journalFormatVersion(JournalDescriptor.JOURNAL_FORMAT_VERSION)
            .deleteStaleTempFiles(false); // once per create or resume, not once per roll: the folder may be large
    }

    /**
     * How many retired segments the writer kept for re-use as later segments, for a writer that recycles.
     *
     * @return the count since this writer was created or resumed.
     */
    public long recycledSegments()
    {
        return recycledSegments;
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
     * Counts the records of a segment and takes the keys of its first and last, on cold paths (resume, repair).
     */
    static final class SegmentScan implements RecordHandler
    {
        private final int sequenceOffset;
        private final int timestampOffset;
        private ChannelReader reader;
        long count;
        long lastStart = -1;
        long firstSequence = JournalDescriptor.NULL_VALUE;
        long lastSequence = JournalDescriptor.NULL_VALUE;
        long firstTimestampNs = JournalDescriptor.NULL_VALUE;
        long lastTimestampNs = JournalDescriptor.NULL_VALUE;

        SegmentScan(final JournalContext<?> ctx)
        {
            this.sequenceOffset = ctx.sequenceOffset();
            this.timestampOffset = ctx.timestampOffset();
        }

        void scan(final Path path)
        {
            try (ChannelReader reader = JournalFiles.openSegment(path))
            {
                this.reader = reader;
                while (reader.poll(this, Integer.MAX_VALUE) > 0)
                {
                    // every committed record, up to the live end or an end marker
                }
            }
            finally
            {
                reader = null;
            }
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            lastStart = RecordDescriptor.recordStart(reader.position(), length, reader.recordAlignment());
            final long sequence = key(buffer, offset, length, sequenceOffset);
            final long timestampNs = key(buffer, offset, length, timestampOffset);
            if (0 == count++)
            {
                firstSequence = sequence;
                firstTimestampNs = timestampNs;
            }
            lastSequence = sequence;
            lastTimestampNs = timestampNs;
        }

        static long key(final DirectBuffer buffer, final int offset, final int length, final int keyOffset)
        {
            return keyOffset >= 0 && keyOffset <= length - Long.BYTES ?
                buffer.getLong(offset + keyOffset, ByteOrder.LITTLE_ENDIAN) : JournalDescriptor.NULL_VALUE;
        }
    }

    /**
     * Configuration of a journal's writer, validated once by {@link #conclude()}.
     */
    public static final class Context extends JournalContext<Context> implements Cloneable
    {
        /**
         * Default of {@link #segmentCreatorTimeoutMs(long)}.
         */
        public static final long DEFAULT_SEGMENT_CREATOR_TIMEOUT_MS = 1_000;

        /**
         * A context with the defaults; a journal's writer pre-touches each segment it creates ahead of need.
         */
        public Context()
        {
            super(true);
        }

        /**
         * Default segment capacity: 64 MiB.
         */
        public static final long DEFAULT_SEGMENT_CAPACITY = 64L * 1024 * 1024;

        private long segmentCapacity = DEFAULT_SEGMENT_CAPACITY;
        private int maxRecordLength = -1;
        private int recordAlignment = RecordDescriptor.ALIGNMENT;
        private int retainedSegments;
        private long retainedBytes;
        private long retentionMs;
        private int hardCapSegments;
        private long hardCapBytes;
        private boolean createSegmentsOnAgent;
        private boolean recycleSegments;
        private long segmentCreatorTimeoutMs = DEFAULT_SEGMENT_CREATOR_TIMEOUT_MS;
        private long rollAheadBytes;

        /**
         * A copy of every setting, as Aeron's contexts clone: the clock and the mapping releaser are shared, not
         * copied. A writer keeps its context and reads it again while it runs, so give each writer its own.
         *
         * @return the copy.
         */
        public Context clone()
        {
            try
            {
                return (Context)super.clone();
            }
            catch (final CloneNotSupportedException ex)
            {
                throw new IllegalStateException(ex); // cannot happen: Cloneable
            }
        }

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
            ChannelDescriptor.checkRecordAlignment(recordAlignment, segmentCapacity);
            if (segmentCreatorTimeoutMs < 0)
            {
                throw new IllegalArgumentException(
                    "segmentCreatorTimeoutMs must not be negative: actual=" + segmentCreatorTimeoutMs);
            }
            if (rollAheadBytes < 0 || rollAheadBytes > segmentCapacity / 2)
            {
                throw new IllegalArgumentException("rollAheadBytes must be from 0 to half the segment capacity: " +
                    "rollAheadBytes=" + rollAheadBytes + ", segmentCapacity=" + segmentCapacity);
            }
            if (retainedSegments < 0 || retainedBytes < 0 || retentionMs < 0 || hardCapSegments < 0 ||
                hardCapBytes < 0)
            {
                throw new IllegalArgumentException("retention limits must not be negative: retainedSegments=" +
                    retainedSegments + ", retainedBytes=" + retainedBytes + ", retentionMs=" + retentionMs +
                    ", hardCapSegments=" + hardCapSegments + ", hardCapBytes=" + hardCapBytes);
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
         * Alignment of the records in every segment, a power of two from {@link RecordDescriptor#ALIGNMENT} (the
         * default) to {@link RecordDescriptor#MAX_RECORD_ALIGNMENT} ({@link ChannelWriter.Context#recordAlignment(int)}:
         * 64 streams small records faster, for more memory), fixed for the journal's life: a writer that resumes or
         * reopens a journal keeps the alignment its segments have.
         *
         * @param recordAlignment in bytes.
         * @return this for a fluent API.
         */
        public Context recordAlignment(final int recordAlignment)
        {
            this.recordAlignment = recordAlignment;
            return this;
        }

        /**
         * Alignment of the records in every segment.
         *
         * @return the record alignment in bytes.
         */
        public int recordAlignment()
        {
            return recordAlignment;
        }

        /**
         * How many sealed segments to keep besides the one being written; older ones are deleted by
         * {@link JournalWriter#doWork()} (at most one per call) or {@link JournalWriter#prune(Context)}, oldest first,
         * unless a protecting named reader still needs them (see {@link #hardCapSegments(int)}). 0, the default, sets
         * no limit; with no limit set every segment is kept.
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
         * Whether the next segment is created on the writer's {@link JournalWriter#segmentCreator()} agent, run on
         * a thread of its own, instead of in the writer's duty cycle. Off by default.
         *
         * @param createSegmentsOnAgent true to create segments on the agent.
         * @return this for a fluent API.
         */
        public Context createSegmentsOnAgent(final boolean createSegmentsOnAgent)
        {
            this.createSegmentsOnAgent = createSegmentsOnAgent;
            return this;
        }

        /**
         * Whether the next segment is created on the writer's segment creator agent.
         *
         * @return true when it is.
         */
        public boolean createSegmentsOnAgent()
        {
            return createSegmentsOnAgent;
        }

        /**
         * Whether segments retention retires are re-used as later segments (renamed, zeroed, given a new header) rather
         * than deleted, as Aeron re-uses its terms: a journal of bounded retention (keep the last N segments) then
         * streams through a bounded set of files whose memory is resident, instead of allocating new memory per
         * segment. Off by default.
         * <p>
         * A recycling journal may be read by named readers only (an unnamed reader fails to open with
         * {@link ChannelException.Reason#NAMED_READERS_ONLY}): each says which segments it may map, and a retired
         * segment one of them may map is deleted instead of re-used, so no reader ever sees a segment change under
         * it. A writer without recycling makes the journal readable by unnamed readers again. Without a retention
         * limit nothing is retired, so nothing is recycled.
         *
         * @param recycleSegments true to re-use retired segments.
         * @return this for a fluent API.
         */
        public Context recycleSegments(final boolean recycleSegments)
        {
            this.recycleSegments = recycleSegments;
            return this;
        }

        /**
         * Whether retired segments are re-used as later segments.
         *
         * @return true when they are.
         */
        public boolean recycleSegments()
        {
            return recycleSegments;
        }

        /**
         * Roll from the duty cycle, ahead of need, once fewer than this many bytes are left in the segment and the
         * next one is ready: the roll (activation, seal, marker: stores into pages the writing thread has not touched
         * for a whole segment, microseconds on cold caches) then runs in {@link JournalWriter#doWork()} between
         * writes instead of inside the write that does not fit. A write still rolls when no duty cycle rolled in
         * time (a writer streaming without one, a segment creator agent late). The bytes left unwritten are skipped,
         * as after any ROLLED marker, so up to this many bytes of each segment go unused. 0 (the default) rolls only
         * when a record does not fit; at most half the segment capacity.
         *
         * @param rollAheadBytes room left at which the duty cycle rolls, in bytes.
         * @return this for a fluent API.
         */
        public Context rollAheadBytes(final long rollAheadBytes)
        {
            this.rollAheadBytes = rollAheadBytes;
            return this;
        }

        /**
         * Room left in a segment at which the duty cycle rolls ahead of need, 0 when it does not.
         *
         * @return the room in bytes.
         */
        public long rollAheadBytes()
        {
            return rollAheadBytes;
        }

        /**
         * With {@link #createSegmentsOnAgent(boolean)}: how long a roll waits, returning
         * {@link JournalWriter#ROLL_FAILED} with a {@link ChannelException.Reason#NOT_READY} failure (a later write
         * succeeds), for the segment creator agent to take up its request before the writer creates the segment
         * itself. {@value #DEFAULT_SEGMENT_CREATOR_TIMEOUT_MS} ms by default: an agent that is run takes a request
         * up within its idle strategy's park, and creating a large segment inline would stall the writer longer.
         *
         * @param segmentCreatorTimeoutMs milliseconds, 0 or more.
         * @return this for a fluent API.
         */
        public Context segmentCreatorTimeoutMs(final long segmentCreatorTimeoutMs)
        {
            this.segmentCreatorTimeoutMs = segmentCreatorTimeoutMs;
            return this;
        }

        /**
         * How long a roll waits for the segment creator agent to take up its request.
         *
         * @return milliseconds.
         */
        public long segmentCreatorTimeoutMs()
        {
            return segmentCreatorTimeoutMs;
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

        /**
         * Most bytes of segment files to keep, the one being written included (the next one, created ahead of need,
         * is not counted); older sealed segments are deleted as {@link #retainedSegments(int)} says. The one being
         * written is always kept. 0, the default, sets no limit.
         *
         * @param retainedBytes to keep.
         * @return this for a fluent API.
         */
        public Context retainedBytes(final long retainedBytes)
        {
            this.retainedBytes = retainedBytes;
            return this;
        }

        /**
         * Most bytes of segment files kept.
         *
         * @return the bytes, 0 for no limit.
         */
        public long retainedBytes()
        {
            return retainedBytes;
        }

        /**
         * How long to keep a sealed segment after it was rolled; older ones are deleted as
         * {@link #retainedSegments(int)} says. 0, the default, sets no limit.
         *
         * @param retentionMs in milliseconds of the context's clock.
         * @return this for a fluent API.
         */
        public Context retentionMs(final long retentionMs)
        {
            this.retentionMs = retentionMs;
            return this;
        }

        /**
         * How long a sealed segment is kept.
         *
         * @return milliseconds, 0 for no limit.
         */
        public long retentionMs()
        {
            return retentionMs;
        }

        /**
         * Hard cap on the sealed segments kept besides the one being written: beyond it the oldest is deleted even
         * when a protecting named reader still needs it, which then reports {@link JournalState#TRUNCATED}. For a
         * disk that must not fill whatever a reader does. 0, the default, sets no cap.
         *
         * @param hardCapSegments most sealed segments.
         * @return this for a fluent API.
         */
        public Context hardCapSegments(final int hardCapSegments)
        {
            this.hardCapSegments = hardCapSegments;
            return this;
        }

        /**
         * Hard cap on the sealed segments kept.
         *
         * @return the count, 0 for no cap.
         */
        public int hardCapSegments()
        {
            return hardCapSegments;
        }

        /**
         * Hard cap on the bytes of segment files, counted as {@link #retainedBytes(long)} counts them: beyond it the
         * oldest sealed segment is deleted even when a protecting named reader still needs it, which then reports
         * {@link JournalState#TRUNCATED}. 0, the default, sets no cap.
         *
         * @param hardCapBytes most bytes.
         * @return this for a fluent API.
         */
        public Context hardCapBytes(final long hardCapBytes)
        {
            this.hardCapBytes = hardCapBytes;
            return this;
        }

        /**
         * Hard cap on the bytes of segment files.
         *
         * @return the bytes, 0 for no cap.
         */
        public long hardCapBytes()
        {
            return hardCapBytes;
        }
    }
}
