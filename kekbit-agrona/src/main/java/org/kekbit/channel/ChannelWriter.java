package org.kekbit.channel;

import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.AgronaAccess;
import org.kekbit.MappingReleaser;
import org.kekbit.codecs.channel.ChannelHeaderEncoder;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;
import static org.kekbit.channel.RecordDescriptor.CLOSED_MSG_TYPE_ID;
import static org.kekbit.channel.RecordDescriptor.FULL_MSG_TYPE_ID;
import static org.kekbit.channel.RecordDescriptor.ROLLED_MSG_TYPE_ID;

/**
 * The single writer of a channel: it creates the channel file, appends records to it, keeps its heartbeat fresh
 * and leaves an end marker when it closes or when a record does not fit.
 * <pre>{@code
 * try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context().root(root).channelId(42)))
 * {
 *     final long position = writer.write(MSG_TYPE_ID, buffer, 0, length);
 *     if (position < 0)
 *     {
 *         // RECORD_TOO_LONG, CHANNEL_FULL or CHANNEL_CLOSED
 *     }
 *     writer.doWork(); // or let an AgentRunner, AgentInvoker or CompositeAgent run it
 * }
 * }</pre>
 * The writer is an {@link Agent}: its {@link #doWork()} keeps the heartbeat fresh. Readers and resumers that share
 * the writer's pid namespace judge it by its process, so an idle writer that never runs its duty cycle stays alive
 * to them; those in another pid namespace (another container or host) judge it by its heartbeat, so there a writer
 * must run {@code doWork()} at least every {@code timeoutMs / 2}. Run it in the same duty cycle as the code that
 * writes, for example in a {@link org.agrona.concurrent.CompositeAgent} with the producing agent.
 * <p>
 * Not threadsafe: one thread writes, claims, commits, runs the duty cycle and closes.
 */
public final class ChannelWriter implements Agent, AutoCloseable, RecordAppender
{
    /**
     * The record is longer than the channel's maximum record length; the channel is unchanged.
     */
    public static final long RECORD_TOO_LONG = -1;

    /**
     * The record did not fit in what is left of the channel; the channel is now marked FULL and takes no more.
     */
    public static final long CHANNEL_FULL = -2;

    /**
     * The writer was closed.
     */
    public static final long CHANNEL_CLOSED = -3;

    /**
     * Another writer took the channel over, so this one must stop: its heartbeat had gone older than the timeout
     * for a resumer that could not see its process (another pid namespace). Nothing more is written, not even an
     * end marker on close.
     */
    public static final long CHANNEL_TAKEN_OVER = -4;

    /**
     * The heartbeat is stamped this many times per timeout, as Aeron keeps a client alive every 500 ms of a 10 s
     * timeout: often enough that one late duty cycle is not taken for death, rarely enough to let an idle duty cycle
     * back off.
     */
    static final int HEARTBEATS_PER_TIMEOUT = 20;

    /**
     * Creation time meaning "the clock's time now", for {@link #create(Context, long)}.
     */
    static final long NOW = Long.MIN_VALUE;

    private final AtomicBuffer buffer;
    private final MappedByteBuffer mappedBuffer;
    private final EpochClock epochClock;
    private final Path path;
    private MappingReleaser mappingReleaser;
    private boolean isMappingKept;
    private boolean isReleaseHeld;
    private MappedByteBuffer keptMapping;
    private final Object fileKey;
    private final String roleName;
    private final long channelId;
    private final long ownPid;
    private final long heartbeatIntervalMs;
    private final int capacity;
    private final int maxRecordLength;
    // A short fills the gap before the references, so the object keeps its size and every other field its offset.
    private final short recordAlignment;
    private int position;
    /**
     * Whether the bytes after the header word at {@link #position} may be a re-used file's stale ones, which this
     * writer clears record by record ({@link #clearStaleAround(int, int)}) and on release ({@link #zeroRest()}).
     */
    private boolean isStaleAhead;
    private int restEnd;
    private int forcedPosition;
    private boolean isHeaderForced;
    private boolean isClosed;
    private long heartbeatTimeMs;
    private long endCode;
    private RecordClaim claim;
    private boolean isClaimOutstanding;

    ChannelWriter(
        final AtomicBuffer buffer,
        final MappedByteBuffer mappedBuffer,
        final Path path,
        final Object fileKey,
        final EpochClock epochClock,
        final long channelId,
        final long ownPid,
        final int capacity,
        final int maxRecordLength,
        final int recordAlignment,
        final long timeoutMs,
        final int position,
        final long heartbeatTimeMs)
    {
        this.buffer = buffer;
        this.mappedBuffer = mappedBuffer;
        this.path = path;
        this.fileKey = fileKey;
        this.epochClock = epochClock;
        this.channelId = channelId;
        this.ownPid = ownPid;
        this.capacity = capacity;
        this.maxRecordLength = maxRecordLength;
        this.recordAlignment = (short)recordAlignment;
        this.heartbeatIntervalMs = Math.max(1, timeoutMs / HEARTBEATS_PER_TIMEOUT);
        this.position = position;
        this.restEnd = capacity + ChannelDescriptor.TRAILER_LENGTH;
        this.forcedPosition = 0; // a resumed writer cannot know what the dead one forced: its first force covers all
        this.heartbeatTimeMs = heartbeatTimeMs;
        this.roleName = "kekbit-writer-" + Long.toHexString(channelId);
    }

    /**
     * Create a channel and its writer. Creation is exclusive: when a file exists at the channel's path, or another
     * creator wins a race for it, this fails and leaves that file alone. Every byte of the file is allocated here,
     * so a full disk fails here rather than later. Temp files that creators killed mid-creation left beside the
     * channel are deleted first (see {@link #deleteStaleTempFiles(Path)}).
     *
     * @param ctx configuration, concluded by this call.
     * @return the writer of the new channel.
     * @throws ChannelException with {@link ChannelException.Reason#ALREADY_EXISTS} when the channel exists, or
     *                          {@link ChannelException.Reason#IO_ERROR} when the file cannot be created.
     */
    public static ChannelWriter create(final Context ctx)
    {
        return create(ctx, NOW);
    }

    /**
     * Create a channel whose header records the given creation time, or the clock's time when it is {@link #NOW}:
     * a mirror takes its leader's, so that their immutable header fields are identical.
     */
    static ChannelWriter create(final Context ctx, final long creationTimeMsOrNow)
    {
        return create(ctx, creationTimeMsOrNow, null, null, false);
    }

    /**
     * Create a channel as {@link #create(Context)} does, in the file of a retired channel of the same file length
     * instead of newly allocated memory, as Aeron re-uses its terms: the file is renamed to the new channel's temp
     * name, its header and first record's header word zeroed, the header written, and the file linked under the
     * channel's path. The writer zeroes the header word after each record (and, at the default alignment, the
     * record's padding, and a claim) before the record is published, so readers never see the old channel's bytes;
     * closing zeroes what is left after the end, so a closed channel holds exactly what one in a new file would, but
     * for the padding of records aligned to more than 8, which keeps the old bytes. The retired file's name is
     * gone either way; when it cannot be re-used (missing, another length) the channel is created in new memory.
     *
     * @param ctx         configuration, concluded by this call.
     * @param retiredFile the file of a channel no one maps or will map again.
     * @return the writer of the new channel.
     * @throws ChannelException as {@link #create(Context)} does.
     */
    public static ChannelWriter createReusing(final Context ctx, final Path retiredFile)
    {
        return create(ctx, NOW, retiredFile, null, false);
    }

    /**
     * {@link #createReusing(Context, Path)} through a mapping of the retired file its writer kept
     * ({@link #releaseHeldMapping(boolean)}), so that no page faults.
     *
     * @param ctx             configuration, concluded by this call.
     * @param retiredFile     the file of a channel no one maps or will map again.
     * @param retiredMapping  the whole of that file, mapped read-write; this call owns it from now on, or null.
     * @return the writer of the new channel.
     * @throws ChannelException as {@link #create(Context)} does.
     */
    public static ChannelWriter createReusing(
        final Context ctx, final Path retiredFile, final MappedByteBuffer retiredMapping)
    {
        return create(ctx, NOW, retiredFile, retiredMapping, false);
    }

    /**
     * Create a channel in a given file of the channel's length, through a given mapping of it, for
     * {@link #createReusing(Context, Path, MappedByteBuffer)} and for a mirror that made a spare file ahead of need;
     * a file known to hold only zeros (a spare just allocated) is not zeroed again.
     */
    static ChannelWriter create(
        final Context ctx,
        final long creationTimeMsOrNow,
        final Path retiredFile,
        final MappedByteBuffer retiredMapping,
        final boolean isZero)
    {
        AgronaAccess.check();
        ctx.conclude();
        final Path path = ctx.path();
        if (Files.exists(path))
        {
            throw new ChannelException(ChannelException.Reason.ALREADY_EXISTS, "channel already exists: " + path);
        }
        if (ctx.deleteStaleTempFiles())
        {
            ChannelFiles.deleteStaleTempFilesBeside(path);
        }

        final ProcessIdentity self = ProcessIdentity.CURRENT;
        final Path tempPath = ChannelFiles.tempPath(path, self);
        final long fileLength = ChannelDescriptor.fileLength(ctx.capacity());
        final MappedByteBuffer reused = null == retiredFile ? null : ChannelFiles.reuseAndMapTemp(retiredFile, tempPath,
            fileLength, retiredMapping, isZero ? 0 : HEADER_LENGTH + RecordDescriptor.HEADER_LENGTH);
        final MappedByteBuffer mappedBuffer = null != reused ? reused :
            ChannelFiles.createAndMapTemp(tempPath, fileLength, ctx.filePermissions());
        Object fileKey = null;
        try
        {
            final long creationTimeMs = NOW == creationTimeMsOrNow ? ctx.epochClock().time() : creationTimeMsOrNow;
            fileKey = ChannelFiles.fileKey(tempPath, creationTimeMs); // the link keeps it: registered before it is seen
            WriterLiveness.registerOpenWriter(fileKey);
            final UnsafeBuffer buffer = new UnsafeBuffer(mappedBuffer);
            writeHeader(buffer, ctx, self, creationTimeMs);
            if (ctx.preTouch() && null == reused) // zeroing a re-used file has written every page already
            {
                ChannelFiles.preTouch(mappedBuffer, HEADER_LENGTH, mappedBuffer.capacity(), true);
            }
            // Pre-touching a large channel takes a while: readers must not find the new writer's heartbeat stale.
            final long heartbeatTimeMs = Math.max(creationTimeMs, ctx.epochClock().time());
            ChannelDescriptor.heartbeatTimeMsRelease(buffer, heartbeatTimeMs);
            ChannelFiles.publish(tempPath, path);

            final ChannelWriter writer = new ChannelWriter(buffer, mappedBuffer, path, fileKey, ctx.epochClock(),
                ctx.channelId(), self.pid, (int)ctx.capacity(), ctx.maxRecordLength(), ctx.recordAlignment(),
                ctx.timeoutMs(), 0, heartbeatTimeMs).mappingReleaser(ctx.mappingReleaser());
            writer.isStaleAhead = null != reused && !isZero;
            return writer;
        }
        catch (final RuntimeException ex)
        {
            if (null != fileKey)
            {
                WriterLiveness.unregisterOpenWriter(fileKey);
            }
            IoUtil.unmap(mappedBuffer);
            ChannelFiles.deleteQuietly(tempPath);
            throw ex;
        }
    }

    /**
     * Carry on writing an abandoned channel after its last committed record, for a writer restarted after a crash.
     * The channel keeps its shape: capacity, maximum record length, timeout and writer id come from its header, not
     * from the context, which only says where the channel is, the clock and pre-touch.
     * <p>
     * Resuming never takes a channel from a live writer, judged by the one rule of the format
     * (docs/format.md, "Is the writer alive?"): a writer open in this JVM blocks it; where this process can see the
     * writer's process (same boot and pid namespace), that process must have exited; otherwise the writer's
     * heartbeat must be older than the timeout. Of several resumers racing for the channel exactly one wins, in this
     * process or another: the writer's pid is swapped for minus the resumer's with a compare-and-set, a mark that
     * holds until the resumer publishes its own pid. Whatever a dead writer left past its last committed record (an
     * uncommitted claim) is zeroed before writing resumes, and readers that reported {@link ChannelState#ABANDONED}
     * see the channel {@link ChannelState#OPEN} again.
     *
     * @param ctx where the channel is, the clock and pre-touch; its other fields are not used.
     * @return the writer, positioned after the last committed record.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when the previous writer lives
     *                          or another resumer won, {@link ChannelException.Reason#ENDED} when the channel was
     *                          closed or is full, {@link ChannelException.Reason#CORRUPT} when a record header is
     *                          bad, or any reason {@link ChannelReader#open(Path)} throws.
     */
    public static ChannelWriter resume(final Context ctx)
    {
        AgronaAccess.check();
        return ChannelTakeover.resume(ctx);
    }

    /**
     * Delete the temp files that creators left under a root when they died before publishing their channel, as a
     * creator killed while allocating a large channel does. Such a file, named
     * {@code <channel file>.<namespaceId>.<pid>.<startTicks>.<counter>.tmp} beside the channel's path, never becomes
     * a channel and blocks no later creation, but holds its disk space. It is deleted only when its creator is gone
     * by the liveness rule: where this process can see the creator's process, that process must have exited;
     * otherwise the file must not have changed for {@link ChannelFiles#STALE_TEMP_FILE_MS} ms. {@link #create}
     * does the same for the folder it creates in.
     *
     * @param root folder holding the channels.
     * @return the files deleted.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when a folder cannot be listed.
     */
    public static List<Path> deleteStaleTempFiles(final Path root)
    {
        return ChannelFiles.deleteStaleTempFiles(root);
    }

    /**
     * Delete the temp files that dead creators left in the folder of one channel, as {@link #create} does before it
     * creates there (unless told not to): best effort, a folder that cannot be listed is left as it is.
     *
     * @param channelPath path of a channel in the folder to clean.
     */
    public static void deleteStaleTempFilesBeside(final Path channelPath)
    {
        ChannelFiles.deleteStaleTempFilesBeside(channelPath);
    }

    /**
     * Delete a channel's file, for example a finished channel before its id is used again. Readers and a writer that
     * have it mapped keep reading and writing the unlinked file until they close.
     *
     * @param path of the channel's file.
     * @return true when a file was deleted, false when there was none.
     * @throws ChannelException with {@link ChannelException.Reason#NOT_A_CHANNEL} when the file is not a channel,
     *                          {@link ChannelException.Reason#WRITER_ACTIVE} when a writer of this JVM has it open,
     *                          or {@link ChannelException.Reason#IO_ERROR}.
     */
    public static boolean delete(final Path path)
    {
        return ChannelFiles.deleteChannel(path);
    }

    /**
     * Append a record by copying its payload.
     *
     * @param msgTypeId of the record, not negative.
     * @param src       holding the payload.
     * @param srcOffset of the payload in src.
     * @param length    of the payload.
     * @return the position after the record, or {@link #RECORD_TOO_LONG}, {@link #CHANNEL_FULL},
     * {@link #CHANNEL_CLOSED} or {@link #CHANNEL_TAKEN_OVER}.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding.
     */
    public long write(final int msgTypeId, final DirectBuffer src, final int srcOffset, final int length)
    {
        final long result = reserve(msgTypeId, length);
        if (result < 0)
        {
            return result;
        }

        final int recordOffset = (int)result;
        buffer.putBytes(RecordDescriptor.payloadOffset(recordOffset), src, srcOffset, length);

        return publish(recordOffset, RecordDescriptor.frameLength(length), msgTypeId);
    }

    /**
     * Claim room for a record to encode in place; then {@link RecordClaim#commit()} or {@link RecordClaim#abort()}
     * it before the next write or claim.
     *
     * @param msgTypeId of the record, not negative.
     * @param length    of the payload to claim.
     * @param claim     to wrap around the claimed payload.
     * @return the position the record will end at once committed, or {@link #RECORD_TOO_LONG},
     * {@link #CHANNEL_FULL}, {@link #CHANNEL_CLOSED} or {@link #CHANNEL_TAKEN_OVER}.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding on this writer, or the claim is outstanding on
     *                                  another writer.
     */
    public long tryClaim(final int msgTypeId, final int length, final RecordClaim claim)
    {
        if (claim.isOutstanding() && !isClaimOutstanding)
        {
            throw new IllegalStateException("the claim is outstanding on another writer: commit or abort it first");
        }
        final long result = reserve(msgTypeId, length);
        if (result < 0)
        {
            return result;
        }

        // Nothing is stored in the record's header until commit: it goes in last, in one store.
        final int recordOffset = (int)result;
        final int frameLength = RecordDescriptor.frameLength(length);
        if (isStaleAhead) // the claim shows zeros, as in a new file, not a re-used file's stale bytes
        {
            buffer.setMemory(RecordDescriptor.payloadOffset(recordOffset),
                RecordDescriptor.alignedLength(frameLength, recordAlignment) - RecordDescriptor.HEADER_LENGTH, (byte)0);
        }
        claim.wrap(this, buffer.addressOffset(), recordOffset, frameLength, msgTypeId);
        // A reference store into an old object costs G1 a fence: store only when the caller changes claims.
        if (this.claim != claim)
        {
            this.claim = claim;
        }
        isClaimOutstanding = true;

        return position + RecordDescriptor.alignedLength(frameLength, recordAlignment);
    }

    /**
     * Make a channel created on standby ({@link Context#standby(boolean)}) ready for readers: one release store of
     * its format version, no system call. Readers that refused it as not ready open it from then on. A no-op on a
     * channel that is ready.
     */
    public void activate()
    {
        ChannelDescriptor.formatVersionRelease(buffer, ChannelDescriptor.FORMAT_VERSION);
    }

    /**
     * Bring the header into this thread's caches and TLB ahead of a roll, changing nothing in the file: the rolling
     * write checks the owner in the header of the segment it leaves, which the writer last touched a segment's length
     * earlier, and activates the header of the standby it goes on in, which its creator made on another thread. Each
     * is a page walk and a cache miss on the write call otherwise (about a microsecond each on a VM). A journal's
     * writer calls it from its duty cycle near the end of a segment. A take-over seen here ends the channel as
     * {@link #doWork()} does.
     */
    public void prepareToRoll()
    {
        if (isClosed || CHANNEL_TAKEN_OVER == endCode)
        {
            return;
        }
        if (0 == ChannelDescriptor.formatVersionAcquire(buffer))
        {
            ChannelDescriptor.ownStandbyFormatVersionLine(buffer);
        }
        else if (!isOwner())
        {
            endCode = CHANNEL_TAKEN_OVER;
        }
    }

    /**
     * Keep the heartbeat fresh: where a reader or resumer cannot see this writer's process (another pid namespace,
     * another host), it takes a writer whose heartbeat is older than the channel's timeout for dead. The heartbeat
     * is stamped once per {@code timeoutMs / 20} (500 ms of the default 10 s), so an idle duty cycle can back off.
     *
     * @return 1 when the heartbeat was stamped, otherwise 0.
     */
    public int doWork()
    {
        final long nowMs = epochClock.time();
        // A clock stepped back stamps at once: a heartbeat left in the future would read as too new, not fresh.
        if ((nowMs - heartbeatTimeMs >= heartbeatIntervalMs || nowMs < heartbeatTimeMs) &&
            !isClosed && CHANNEL_TAKEN_OVER != endCode)
        {
            if (!isOwner())
            {
                endCode = CHANNEL_TAKEN_OVER;
                return 0;
            }
            heartbeatTimeMs = nowMs;
            ChannelDescriptor.heartbeatTimeMsRelease(buffer, nowMs);
            return 1;
        }

        return 0;
    }

    /**
     * Flush what was written since the last call to storage. On tmpfs this is cheap; on a disk it is what makes
     * records survive a power loss. Records survive a crash of the process without it. The first call on a resumed
     * writer also flushes the records of the writer it took over from, which may never have forced them.
     */
    public void force()
    {
        if (isClosed || null == mappedBuffer)
        {
            return;
        }

        // The records and the end marker after them. The header changes after creation or resume only in its
        // heartbeat, which is worthless after a power loss: it goes with the first force alone, in the same msync.
        final int from = isHeaderForced ? HEADER_LENGTH + forcedPosition : 0;
        final int to = HEADER_LENGTH + position + RecordDescriptor.HEADER_LENGTH;
        mappedBuffer.force(from, to - from);
        isHeaderForced = true;
        forcedPosition = position;
    }

    /**
     * Leave the CLOSED marker, unless the channel is FULL or was taken over, and unmap the file. Readers reaching
     * the end then see {@link ChannelState#CLOSED}. Idempotent.
     */
    public void close()
    {
        close(CLOSED_MSG_TYPE_ID);
    }

    /**
     * Close as a journal's writer closes a segment it rolls over from: leave the ROLLED marker instead of CLOSED,
     * unless the channel is FULL or was taken over, and unmap the file. Readers reaching the end then see
     * {@link ChannelState#ROLLED}, which tells a journal's reader to go on in the next segment, so the journal's
     * writer must have made that segment visible first. A plain channel reader takes ROLLED for an end, as it takes
     * CLOSED. The marker is one release store of a record header, the same commit as any record. Idempotent, and a
     * no-op once closed.
     *
     * @return true when the ROLLED marker was written.
     */
    public boolean roll()
    {
        return close(ROLLED_MSG_TYPE_ID);
    }

    /**
     * Roll as {@link #roll()} does, first leaving a seal: when the records end early enough that the marker and the
     * seal fit, the seal's bytes go to the end of the data region with the marker's position after them
     * ({@link ChannelDescriptor#rollSealPosition(long, int)}), before the marker's release store publishes both. A
     * reader checks and copies it with {@link ChannelReader#readRollSeal(org.agrona.MutableDirectBuffer, int, int)};
     * a reader that knows nothing of seals never reads past the marker. Idempotent, and a no-op once closed.
     *
     * @param seal       holding the seal's bytes.
     * @param sealOffset of the bytes in seal.
     * @param sealLength of the seal's bytes, a multiple of 8: the seal takes 8 more, for the marker's position.
     * @return true when the ROLLED marker and the seal were written; false when the marker was written without the
     * seal (no room) or nothing was written (closed, full or taken over): {@link #isClosed()} tells which.
     */
    public boolean roll(final DirectBuffer seal, final int sealOffset, final int sealLength)
    {
        final boolean wasOpen = !isClosed;
        final boolean isMarked = markRolled(seal, sealOffset, sealLength);
        if (wasOpen)
        {
            release();
        }
        return isMarked;
    }

    /**
     * Leave the seal, when there is room, and the ROLLED marker, and close; release nothing. Shared by the two rolls
     * so that the one a journal's write call makes has no branch on how the mapping is released: a branch the JIT
     * saw one way only while warming up would deoptimise the roll the first time it went the other way.
     */
    private boolean markRolled(final DirectBuffer seal, final int sealOffset, final int sealLength)
    {
        final int regionLength = sealLength + RecordDescriptor.ALIGNMENT;
        ChannelDescriptor.checkRollSealLength(regionLength);
        final int sealPosition = (int)ChannelDescriptor.rollSealPosition(capacity, regionLength);
        final boolean isRoom = position + RecordDescriptor.HEADER_LENGTH <= sealPosition;
        final boolean isWritable = !isClosed && 0 == endCode && isOwner();
        if (isWritable && isRoom)
        {
            final int sealOffsetInFile = recordOffset(sealPosition);
            buffer.putBytes(sealOffsetInFile, seal, sealOffset, sealLength);
            buffer.putLong(sealOffsetInFile + sealLength, position, ByteOrder.LITTLE_ENDIAN);
            if (isStaleAhead)
            {
                buffer.putLong(recordOffset(capacity), 0L); // the trailer; the bytes before the seal go on release
                restEnd = sealPosition;
            }
            return markEnd(ROLLED_MSG_TYPE_ID); // the marker's release store publishes the seal too
        }
        if (isWritable && isStaleAhead)
        {
            // No room for a seal, so the marker is near the end: a re-used file's stale seal must not stay where a
            // reader looks for this one. At most a seal region and the trailer.
            final int from = position + RecordDescriptor.HEADER_LENGTH;
            buffer.setMemory(recordOffset(from), restEnd - from, (byte)0);
            isStaleAhead = false;
        }
        markEnd(ROLLED_MSG_TYPE_ID);
        return false;
    }

    /**
     * Roll as {@link #roll(DirectBuffer, int, int)} does, but hold this writer's mapping until
     * {@link #releaseHeldMapping(boolean)}: for a journal's writer, which rolls on the write call that does not fit
     * and releases the mapping later, from its duty cycle, so that the rolling write does no more than the seal and the
     * marker (handing the mapping over and leaving the process's registry of open writers is cold code, run once per
     * segment). Nothing can be written once the marker is, so only the release waits.
     *
     * @param seal       holding the seal's bytes.
     * @param sealOffset of the bytes in seal.
     * @param sealLength of the seal's bytes, a multiple of 8.
     * @return as {@link #roll(DirectBuffer, int, int)}.
     */
    public boolean rollHoldingMapping(final DirectBuffer seal, final int sealOffset, final int sealLength)
    {
        final boolean wasOpen = !isClosed;
        final boolean isMarked = markRolled(seal, sealOffset, sealLength);
        if (wasOpen)
        {
            isReleaseHeld = true;
            releaseClaim();
        }
        return isMarked;
    }

    /**
     * Release the mapping a {@link #rollHoldingMapping(DirectBuffer, int, int)} held, or hand it to the caller
     * instead: for a journal's writer that will re-use the file as a later segment
     * ({@link #createReusing(Context, Path, MappedByteBuffer)}), whose pages are then mapped already, so writing
     * them again takes no page fault. A caller that keeps the mapping must release it, or hand it on.
     *
     * @param isKept true to hand the mapping to the caller.
     * @return the mapping when kept; null when released, or when none was held (never rolled holding, or released).
     */
    public MappedByteBuffer releaseHeldMapping(final boolean isKept)
    {
        if (!isReleaseHeld)
        {
            return null;
        }
        isReleaseHeld = false;
        isMappingKept = isKept;
        release();
        final MappedByteBuffer kept = keptMapping;
        keptMapping = null;
        return kept;
    }

    /**
     * Turn the CLOSED marker a writer left at the end of a channel into ROLLED, leaving a seal first as
     * {@link #roll(DirectBuffer, int, int)} does when there is room, for a journal's writer that reopens a journal
     * closed cleanly once the next segment is linked. The marker changes by one compare-and-set of its header word,
     * so of racing callers one changes it; a reader that stopped at CLOSED and looks again (a journal's reader does
     * on each poll) sees ROLLED and goes on in the next segment. Cold path.
     *
     * @param path       of the channel's file.
     * @param seal       holding the seal's bytes.
     * @param sealOffset of the bytes in seal.
     * @param sealLength of the seal's bytes, a multiple of 8.
     * @return true when the channel now ends with ROLLED (changed now or before: idempotent); false when it ends
     * with no CLOSED marker to change (still open, abandoned, full or corrupt).
     * @throws ChannelException naming the cause when the file is not a readable channel.
     */
    public static boolean reopenAsRolled(
        final Path path, final DirectBuffer seal, final int sealOffset, final int sealLength)
    {
        ChannelDescriptor.checkRollSealLength(sealLength + RecordDescriptor.ALIGNMENT);
        return reopenAsRolledWithSeal(path, seal, sealOffset, sealLength);
    }

    /**
     * {@link #reopenAsRolled(Path, DirectBuffer, int, int)}, or without a seal when seal is null: for a
     * {@link ChannelMirror} whose leader's segment had no room for one.
     */
    static boolean reopenAsRolledWithSeal(
        final Path path, final DirectBuffer seal, final int sealOffset, final int sealLength)
    {
        final int regionLength = sealLength + RecordDescriptor.ALIGNMENT;
        final long markerPosition;
        final int capacity;
        try (ChannelReader reader = ChannelReader.open(path))
        {
            final ChannelState endState = reader.scanToEnd();
            if (ChannelState.ROLLED == endState)
            {
                return true;
            }
            if (ChannelState.CLOSED != endState)
            {
                return false;
            }
            markerPosition = reader.position();
            capacity = reader.capacity();
        }

        final MappedByteBuffer mapped = IoUtil.mapExistingFile(path.toFile(), path.toString());
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final int sealPosition = (int)ChannelDescriptor.rollSealPosition(capacity, regionLength);
            final int markerOffset = recordOffset((int)markerPosition);
            final long closedWord = RecordDescriptor.headerWord(RecordDescriptor.HEADER_LENGTH, CLOSED_MSG_TYPE_ID);
            if (null != seal && markerPosition + RecordDescriptor.HEADER_LENGTH <= sealPosition &&
                closedWord == buffer.getLongVolatile(markerOffset))
            {
                final int sealOffsetInFile = recordOffset(sealPosition);
                buffer.putBytes(sealOffsetInFile, seal, sealOffset, sealLength);
                buffer.putLong(sealOffsetInFile + sealLength, markerPosition, ByteOrder.LITTLE_ENDIAN);
            }
            final long rolledWord = RecordDescriptor.headerWord(RecordDescriptor.HEADER_LENGTH, ROLLED_MSG_TYPE_ID);
            return buffer.compareAndSetLong(markerOffset, closedWord, rolledWord) ||
                rolledWord == buffer.getLongVolatile(markerOffset);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /**
     * Read a little-endian 8-byte field of a record this writer's channel holds, for example the sequence or time a
     * stage wrote, as a journal's writer does to seal a segment. Cold path: no ordering, the writer's own records.
     *
     * @param recordPosition position of the record: what {@link #position()} was before it was written.
     * @param payloadOffset  of the field in the record's payload.
     * @param missingValue   to return when no committed record starts there or its payload is too short.
     * @return the field, or missingValue.
     */
    public long readPayloadLong(final long recordPosition, final int payloadOffset, final long missingValue)
    {
        if (isClosed || recordPosition < 0 || recordPosition >= position || payloadOffset < 0)
        {
            return missingValue;
        }
        final int recordOffset = recordOffset((int)recordPosition);
        final long header = RecordDescriptor.headerAcquire(buffer, recordOffset);
        final int payloadLength = RecordDescriptor.headerFrameLength(header) - RecordDescriptor.HEADER_LENGTH;
        if (RecordDescriptor.headerMsgTypeId(header) < 0 || payloadOffset > payloadLength - Long.BYTES)
        {
            return missingValue;
        }
        return buffer.getLong(RecordDescriptor.payloadOffset(recordOffset) + payloadOffset,
            ByteOrder.LITTLE_ENDIAN);
    }

    private boolean close(final int endMarkerTypeId)
    {
        final boolean wasOpen = !isClosed;
        final boolean isMarked = markEnd(endMarkerTypeId);
        if (wasOpen)
        {
            release();
        }
        return isMarked;
    }

    /**
     * Leave the end marker, unless the channel is FULL or was taken over, and close; release nothing.
     */
    private boolean markEnd(final int endMarkerTypeId)
    {
        boolean isMarked = false;
        if (!isClosed)
        {
            isClosed = true;
            if (0 == endCode && isOwner())
            {
                RecordDescriptor.headerRelease(
                    buffer, recordOffset(position), RecordDescriptor.HEADER_LENGTH, endMarkerTypeId);
                isMarked = true;
            }
        }
        return isMarked;
    }

    /**
     * Close the channel when the agent running the writer closes.
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
        return roleName;
    }

    /**
     * Position after the last committed record.
     *
     * @return the position, from 0 to {@link #capacity()}.
     */
    public long position()
    {
        return position;
    }

    /**
     * Bytes left for records, headers and padding included.
     *
     * @return the remaining capacity.
     */
    public long remaining()
    {
        return capacity - position;
    }

    /**
     * Capacity of the channel's data region.
     *
     * @return the capacity in bytes.
     */
    public int capacity()
    {
        return capacity;
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
     * Alignment of the channel's records: each takes its frame length rounded up to it.
     *
     * @return the record alignment in bytes.
     */
    public int recordAlignment()
    {
        return recordAlignment;
    }

    /**
     * Id of the channel.
     *
     * @return the channel id.
     */
    public long channelId()
    {
        return channelId;
    }

    /**
     * Path of the channel's file.
     *
     * @return the path.
     */
    public Path path()
    {
        return path;
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

    /**
     * Whether a claim is outstanding: claimed and neither committed nor aborted yet.
     *
     * @return true while a claim is outstanding.
     */
    public boolean isClaimOutstanding()
    {
        return isClaimOutstanding;
    }

    /**
     * Whether a record did not fit and the channel was marked FULL; stays true after {@link #close()}.
     *
     * @return true once full.
     */
    public boolean isFull()
    {
        return CHANNEL_FULL == endCode;
    }

    /**
     * Whether another writer took the channel over (see {@link #CHANNEL_TAKEN_OVER}).
     *
     * @return true once this writer has noticed it.
     */
    public boolean isTakenOver()
    {
        return CHANNEL_TAKEN_OVER == endCode;
    }

    /**
     * Position up to which records were forced by this writer; the next {@link #force()} covers what follows.
     *
     * @return the position.
     */
    int forcedPosition()
    {
        return forcedPosition;
    }

    /**
     * The mapping of the channel file, for {@link RecordClaim#byteBuffer()} to take a view of; the writer itself
     * uses only absolute access to it.
     *
     * @return the mapping.
     */
    MappedByteBuffer mappedBuffer()
    {
        return mappedBuffer;
    }

    /**
     * Stop writing without an end marker, for a service that stops and carries on later from where it stopped: the
     * file is unmapped and the writer is no longer open in this JVM, so {@link #resume(Context)} in this process, or
     * in another once this one has exited, carries on after the last committed record. Until then readers see the
     * channel as a killed writer leaves it ({@link ChannelState#ABANDONED} once this process is gone, or at once in
     * this JVM). Force first where the records must survive a power loss. Idempotent, and a no-op once closed.
     * {@link ChannelMirror} stops this way too: it never ends a mirror its leader did not end.
     */
    public void detach()
    {
        if (!isClosed)
        {
            isClosed = true;
            release();
        }
    }

    /**
     * The mapping as an atomic buffer, for {@link ChannelMirror} to copy record bodies into before it commits them
     * with {@link #commitMirrored(int, int)}.
     */
    AtomicBuffer buffer()
    {
        return buffer;
    }

    /**
     * Commit a record whose body a {@link ChannelMirror} copied in after the position, with the same single release
     * store of its header as {@link #write}; an end marker (a negative type id) ends the channel as {@link #close()}
     * or a full channel does, without moving the position.
     *
     * @return the position after the record, or {@link #CHANNEL_TAKEN_OVER} or {@link #CHANNEL_CLOSED}.
     */
    long commitMirrored(final int frameLength, final int msgTypeId)
    {
        if (0 != endCode || isClosed)
        {
            return isClosed ? CHANNEL_CLOSED : endCode;
        }
        if (!isOwner())
        {
            endCode = CHANNEL_TAKEN_OVER;
            return CHANNEL_TAKEN_OVER;
        }
        if (msgTypeId < 0)
        {
            RecordDescriptor.headerRelease(buffer, recordOffset(position), frameLength, msgTypeId);
            endCode = FULL_MSG_TYPE_ID == msgTypeId ? CHANNEL_FULL : CHANNEL_CLOSED;
            return position;
        }

        return publish(recordOffset(position), frameLength, msgTypeId);
    }

    /**
     * Stop as a killed process stops, for tests in one JVM: no end marker, the claim left as it is, the file unmapped
     * and the writer no longer open in this JVM, so the channel can be resumed.
     */
    void crash()
    {
        isStaleAhead = false; // a killed writer leaves a re-used file's stale bytes where they are
        detach();
    }

    boolean isOutstanding(final RecordClaim claim)
    {
        return isClaimOutstanding && this.claim == claim;
    }

    long commit(
        final RecordClaim claim,
        final int recordOffset,
        final int claimedFrameLength,
        final int frameLength,
        final int msgTypeId)
    {
        checkOutstanding(claim);
        isClaimOutstanding = false;
        claim.release();

        final int unusedFrom = RecordDescriptor.alignedLength(frameLength, recordAlignment);
        final int unusedTo = RecordDescriptor.alignedLength(claimedFrameLength, recordAlignment);
        if (unusedTo > unusedFrom)
        {
            // The next record starts in the unused tail: it must be zeros, or stale bytes could pass for a commit.
            buffer.setMemory(recordOffset + unusedFrom, unusedTo - unusedFrom, (byte)0);
        }

        return publish(recordOffset, frameLength, msgTypeId);
    }

    void abort(final RecordClaim claim, final int recordOffset, final int frameLength)
    {
        checkOutstanding(claim);
        isClaimOutstanding = false;
        claim.release();
        // Leave only zeros behind: a later, shorter record must not expose stale bytes as a frame length.
        buffer.setMemory(recordOffset, RecordDescriptor.alignedLength(frameLength, recordAlignment), (byte)0);
    }

    private void checkOutstanding(final RecordClaim claim)
    {
        if (!isOutstanding(claim))
        {
            throw new IllegalStateException("no outstanding claim: it was committed, aborted or its writer closed");
        }
    }

    private long reserve(final int msgTypeId, final int length)
    {
        RecordDescriptor.checkMsgTypeId(msgTypeId);
        if (length < 0)
        {
            throw new IllegalArgumentException("length must not be negative: length=" + length);
        }
        if (isClaimOutstanding)
        {
            throw new IllegalStateException("a claim is outstanding: commit or abort it first");
        }
        if (0 != endCode || isClosed)
        {
            return isClosed ? CHANNEL_CLOSED : endCode;
        }
        if (!isOwner())
        {
            endCode = CHANNEL_TAKEN_OVER;
            return CHANNEL_TAKEN_OVER;
        }
        if (length > maxRecordLength)
        {
            return RECORD_TOO_LONG;
        }

        final int alignedLength =
            RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length), recordAlignment);
        if (alignedLength > capacity - position)
        {
            markFull();
            return CHANNEL_FULL;
        }
        final int recordOffset = recordOffset(position);
        if (isStaleAhead)
        {
            clearStaleAround(recordOffset, length, alignedLength);
        }

        return recordOffset;
    }

    /**
     * In a re-used file, before a record is written: zero the header word after it, which its release store then
     * publishes too, so a reader stops there and never takes the file's stale bytes for a record; and, at the default
     * alignment, the last word of a record whose payload does not fill it, so its padding holds zeros as in a new file
     * (a payload of a multiple of 8 bytes fills its last word itself). Stores to lines the record's own stores take
     * anyway, where zeroing the whole file ahead of the writer moved every line through memory twice.
     * The padding of a record aligned to more than 8 keeps the old bytes (readers never read padding): zeroing it
     * word by word cost a 32 B record aligned to 64 a sixth of its streaming rate, which is what that alignment is for.
     */
    private void clearStaleAround(final int recordOffset, final int length, final int alignedLength)
    {
        buffer.putLong(recordOffset + alignedLength, 0L);
        if (RecordDescriptor.ALIGNMENT == recordAlignment && 0 != (length & (RecordDescriptor.ALIGNMENT - 1)))
        {
            buffer.putLong(recordOffset + alignedLength - RecordDescriptor.HEADER_LENGTH, 0L);
        }
    }

    /**
     * Zero what a re-used file's previous life left after this channel's end (the header word at the position: its
     * marker, or zero) and before {@link #restEnd} (the seal, or the end of the file), so a closed channel in a
     * re-used file holds exactly the bytes one in a new file would (its digests and mirrors match). Reads before it
     * writes: a range that is zero is not dirtied. Cold path: the rest of a channel that filled is less than a record.
     */
    private void zeroRest()
    {
        final int from = position + RecordDescriptor.HEADER_LENGTH;
        if (isStaleAhead && from < restEnd && CHANNEL_TAKEN_OVER != endCode && isOwner())
        {
            ChannelFiles.zeroWhereNotZero(buffer, recordOffset(from), recordOffset(restEnd));
        }
        isStaleAhead = false;
    }

    /**
     * Whether the header still names this writer: one plain load of a line only this writer stores to, so it
     * costs an L1 hit on the write path.
     */
    private boolean isOwner()
    {
        return ChannelDescriptor.writerPid(buffer) == ownPid;
    }

    private long publish(final int recordOffset, final int frameLength, final int msgTypeId)
    {
        RecordDescriptor.headerRelease(buffer, recordOffset, frameLength, msgTypeId);
        position += RecordDescriptor.alignedLength(frameLength, recordAlignment);
        return position;
    }

    private void markFull()
    {
        RecordDescriptor.headerRelease(
            buffer, recordOffset(position), RecordDescriptor.HEADER_LENGTH, FULL_MSG_TYPE_ID);
        endCode = CHANNEL_FULL;
    }

    /**
     * Where this writer's mapping goes when it is done with it: set once, by create and resume, from the context.
     */
    ChannelWriter mappingReleaser(final MappingReleaser mappingReleaser)
    {
        this.mappingReleaser = mappingReleaser;
        return this;
    }

    private void release()
    {
        releaseClaim();
        if (null != mappedBuffer)
        {
            zeroRest();
            buffer.wrap(0, 0);
            if (isMappingKept)
            {
                keptMapping = mappedBuffer; // the caller of releaseHeldMapping owns it now
            }
            else
            {
                MappingReleaser.release(mappingReleaser, mappedBuffer); // no view of it is left
            }
        }
        if (null != fileKey)
        {
            WriterLiveness.unregisterOpenWriter(fileKey);
        }
    }

    private void releaseClaim()
    {
        if (isClaimOutstanding)
        {
            claim.release(); // its view must not outlive the mapping, nor be committed once closed
            isClaimOutstanding = false;
        }
    }

    private static int recordOffset(final int position)
    {
        return HEADER_LENGTH + position;
    }

    private static void writeHeader(
        final UnsafeBuffer buffer, final Context ctx, final ProcessIdentity self, final long creationTimeMs)
    {
        new ChannelHeaderEncoder()
            .wrap(buffer, 0)
            .signature(ChannelDescriptor.SIGNATURE)
            .formatVersion(0)
            .headerLength(HEADER_LENGTH)
            .channelId(ctx.channelId())
            .writerId(ctx.writerId())
            .capacity(ctx.capacity())
            .maxRecordLength(ctx.maxRecordLength())
            .recordAlignment(ctx.recordAlignment())
            .timeoutMs(ctx.timeoutMs())
            .creationTimeMs(creationTimeMs)
            .writerPid(self.pid)
            .writerStartTicks(self.startTicks)
            .heartbeatTimeMs(creationTimeMs)
            .writerNamespaceId(self.namespaceId)
            .journalFormatVersion(ctx.journalFormatVersion())
            .recordAlignmentCheck(ChannelDescriptor.recordAlignmentCheck(ctx.recordAlignment()));

        if (!ctx.standby())
        {
            ChannelDescriptor.formatVersionRelease(buffer, ChannelDescriptor.FORMAT_VERSION);
        }
    }

    /**
     * Configuration of a writer, validated once by {@link #conclude()}: the shared fields of
     * {@link ChannelContext} and the shape of a new channel. {@link ChannelWriter#resume(Context)} uses only the
     * shared fields.
     */
    public static final class Context extends ChannelContext<Context>
    {
        /**
         * Default capacity of a channel's data region: 64 MiB.
         */
        public static final long DEFAULT_CAPACITY = 64L * 1024 * 1024;

        /**
         * Default upper bound of the maximum record length: 16 MiB, or less when the capacity is smaller.
         */
        public static final int DEFAULT_MAX_RECORD_LENGTH = 16 * 1024 * 1024;

        /**
         * Default writer timeout.
         */
        public static final long DEFAULT_TIMEOUT_MS = 10_000;

        private long writerId;
        private long capacity = DEFAULT_CAPACITY;
        private int maxRecordLength = -1;
        private int recordAlignment = RecordDescriptor.ALIGNMENT;
        private long timeoutMs = DEFAULT_TIMEOUT_MS;
        private Set<PosixFilePermission> filePermissions =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        private boolean deleteStaleTempFiles = true;
        private boolean standby;
        private int journalFormatVersion;

        /**
         * A context with the defaults; writers pre-touch by default.
         */
        public Context()
        {
            super(true);
        }

        /**
         * Validate the configuration and fill in defaults. Called by {@link ChannelWriter#create(Context)}.
         *
         * @return this for a fluent API.
         * @throws ChannelException         when capacity, maximum record length or timeout are out of range, or
         *                                  the journal format version is negative.
         * @throws IllegalArgumentException when neither a path nor a channel id was set.
         */
        public Context conclude()
        {
            concludePath();
            ChannelDescriptor.checkCapacity(capacity);
            ChannelDescriptor.checkRecordAlignment(recordAlignment, capacity);
            if (maxRecordLength < 0)
            {
                maxRecordLength = (int)Math.min(
                    DEFAULT_MAX_RECORD_LENGTH, ChannelDescriptor.maxRecordLengthLimit(capacity));
            }
            ChannelDescriptor.checkMaxRecordLength(maxRecordLength, capacity);
            ChannelDescriptor.checkTimeout(timeoutMs);
            if (journalFormatVersion < 0)
            {
                throw new ChannelException(ChannelException.Reason.BAD_HEADER,
                    "journalFormatVersion must not be negative: actual=" + journalFormatVersion);
            }

            return this;
        }

        /**
         * Id of the writer, recorded in the header for the application's own use.
         *
         * @param writerId of the writer.
         * @return this for a fluent API.
         */
        public Context writerId(final long writerId)
        {
            this.writerId = writerId;
            return this;
        }

        /**
         * Id of the writer.
         *
         * @return the writer id.
         */
        public long writerId()
        {
            return writerId;
        }

        /**
         * Capacity of the data region in bytes, a multiple of the record alignment between
         * {@link ChannelDescriptor#MIN_CAPACITY} and {@link ChannelDescriptor#MAX_CAPACITY}.
         *
         * @param capacity in bytes.
         * @return this for a fluent API.
         */
        public Context capacity(final long capacity)
        {
            this.capacity = capacity;
            return this;
        }

        /**
         * Capacity of the data region in bytes.
         *
         * @return the capacity.
         */
        public long capacity()
        {
            return capacity;
        }

        /**
         * Longest payload a record may have; by default the smaller of 16 MiB and what the capacity allows.
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
         * @return the maximum record length, or -1 before {@link #conclude()} when none was set.
         */
        public int maxRecordLength()
        {
            return maxRecordLength;
        }

        /**
         * Alignment of the channel's records, a power of two from {@link RecordDescriptor#ALIGNMENT} (the default)
         * to {@link RecordDescriptor#MAX_RECORD_ALIGNMENT} that divides the capacity. 64 gives each record of up to
         * 56 bytes of payload a cache line of its own, for up to 1.6x the memory: small records may then stream
         * faster to a reader that keeps up; measure yours (docs/format.md, Records, "Alignment"). Readers take it
         * from the header.
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
         * Alignment of the channel's records.
         *
         * @return the record alignment in bytes.
         */
        public int recordAlignment()
        {
            return recordAlignment;
        }

        /**
         * Time after which a writer whose process cannot be seen (another pid namespace or host) and whose
         * heartbeat has not moved is taken for dead. The writer's {@link ChannelWriter#doWork()} stamps the
         * heartbeat 20 times per timeout.
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
         * POSIX permissions of the channel file; owner read and write by default. Ignored where the file system has
         * no POSIX permissions.
         *
         * @param filePermissions of the file.
         * @return this for a fluent API.
         */
        public Context filePermissions(final Set<PosixFilePermission> filePermissions)
        {
            this.filePermissions = filePermissions;
            return this;
        }

        /**
         * POSIX permissions of the channel file.
         *
         * @return the permissions.
         */
        public Set<PosixFilePermission> filePermissions()
        {
            return filePermissions;
        }

        /**
         * Whether {@link ChannelWriter#create(Context)} first deletes the temp files dead creators left in the
         * channel's folder, which lists the folder. On by default; a journal's writer turns it off for each segment,
         * since its folder may hold thousands of them, and cleans up once when it is created or resumed.
         *
         * @param deleteStaleTempFiles true to clean up before creating.
         * @return this for a fluent API.
         */
        public Context deleteStaleTempFiles(final boolean deleteStaleTempFiles)
        {
            this.deleteStaleTempFiles = deleteStaleTempFiles;
            return this;
        }

        /**
         * Whether creation first deletes stale temp files beside the channel.
         *
         * @return true when it does.
         */
        public boolean deleteStaleTempFiles()
        {
            return deleteStaleTempFiles;
        }

        /**
         * Whether {@link ChannelWriter#create(Context)} leaves the new channel on standby: its header complete but its
         * {@code formatVersion} 0, so readers refuse it as not ready ({@link ChannelException.Reason#NOT_READY})
         * until the writer calls {@link ChannelWriter#activate()}, one release store. A journal links its next
         * segment ahead of the roll this way, so that the roll itself makes no system call. Off by default.
         *
         * @param standby true to create the channel on standby.
         * @return this for a fluent API.
         */
        public Context standby(final boolean standby)
        {
            this.standby = standby;
            return this;
        }

        /**
         * Whether creation leaves the channel on standby until {@link ChannelWriter#activate()}.
         *
         * @return true when it does.
         */
        public boolean standby()
        {
            return standby;
        }

        /**
         * Journal format version recorded in the header: a journal's writer gives its own for every segment it
         * creates ({@code org.kekbit.journal.JournalDescriptor#JOURNAL_FORMAT_VERSION}) and a mirror its leader's;
         * 0, the default, for a channel that is no journal's segment. Channel readers ignore it.
         *
         * @param journalFormatVersion to record, not negative.
         * @return this for a fluent API.
         */
        public Context journalFormatVersion(final int journalFormatVersion)
        {
            this.journalFormatVersion = journalFormatVersion;
            return this;
        }

        /**
         * Journal format version recorded in the header.
         *
         * @return the version, 0 for a channel that is no journal's segment.
         */
        public int journalFormatVersion()
        {
            return journalFormatVersion;
        }
    }
}
