package org.kekbit.channel;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.codecs.channel.ChannelHeaderEncoder;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;
import static org.kekbit.channel.RecordDescriptor.CLOSED_MSG_TYPE_ID;
import static org.kekbit.channel.RecordDescriptor.FULL_MSG_TYPE_ID;

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
 * The writer is an {@link Agent}: its {@link #doWork()} keeps the heartbeat fresh so readers can tell an idle writer
 * from a dead one. Run it in the same duty cycle as the code that writes, for example in a
 * {@link org.agrona.concurrent.CompositeAgent} with the producing agent.
 * <p>
 * Not threadsafe: one thread writes, claims, commits, runs the duty cycle and closes.
 */
public final class ChannelWriter implements Agent, AutoCloseable
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

    private final UnsafeBuffer buffer;
    private final MappedByteBuffer mappedBuffer;
    private final EpochClock epochClock;
    private final Path path;
    private final String roleName;
    private final long channelId;
    private final int capacity;
    private final int maxRecordLength;
    private int position;
    private int forcedPosition;
    private boolean isHeaderForced;
    private long heartbeatTimeMs;
    private long endCode;
    private RecordClaim claim;
    private boolean isClaimOutstanding;

    private ChannelWriter(
        final Context ctx,
        final MappedByteBuffer mappedBuffer,
        final int capacity,
        final int maxRecordLength,
        final int position,
        final long heartbeatTimeMs)
    {
        this.mappedBuffer = mappedBuffer;
        this.buffer = new UnsafeBuffer(mappedBuffer);
        this.epochClock = ctx.epochClock();
        this.path = ctx.path();
        this.channelId = ctx.channelId();
        this.capacity = capacity;
        this.maxRecordLength = maxRecordLength;
        this.position = position;
        this.forcedPosition = 0; // a resumed writer cannot know what the dead one forced: its first force covers all
        this.heartbeatTimeMs = heartbeatTimeMs;
        this.roleName = "kekbit-writer-" + Long.toHexString(channelId);
    }

    /**
     * Create a channel and its writer. Creation is exclusive: when a file exists at the channel's path, or another
     * creator wins a race for it, this fails and leaves that file alone. Every byte of the file is allocated here,
     * so a full disk fails here rather than later.
     *
     * @param ctx configuration, concluded by this call.
     * @return the writer of the new channel.
     * @throws ChannelException with {@link ChannelException.Reason#ALREADY_EXISTS} when the channel exists, or
     *                          {@link ChannelException.Reason#IO_ERROR} when the file cannot be created.
     */
    public static ChannelWriter create(final Context ctx)
    {
        ctx.conclude();
        final Path path = ctx.path();
        if (Files.exists(path))
        {
            throw new ChannelException(ChannelException.Reason.ALREADY_EXISTS, "channel already exists: " + path);
        }

        final long pid = WriterProcess.currentPid();
        final Path tempPath = ChannelFiles.tempPath(path, pid);
        final MappedByteBuffer mappedBuffer = ChannelFiles.createAndMapTemp(
            tempPath, ChannelDescriptor.fileLength(ctx.capacity()), ctx.filePermissions());
        try
        {
            final long creationTimeMs = ctx.epochClock().time();
            final UnsafeBuffer buffer = new UnsafeBuffer(mappedBuffer);
            writeHeader(buffer, ctx, pid, creationTimeMs);
            if (ctx.preTouch())
            {
                ChannelFiles.preTouch(mappedBuffer, HEADER_LENGTH, true);
            }
            // Pre-touching a large channel takes a while: readers must not find the new writer's heartbeat stale.
            final long heartbeatTimeMs = Math.max(creationTimeMs, ctx.epochClock().time());
            ChannelDescriptor.heartbeatTimeMsRelease(buffer, heartbeatTimeMs);
            ChannelFiles.publish(tempPath, path);

            return new ChannelWriter(
                ctx, mappedBuffer, (int)ctx.capacity(), ctx.maxRecordLength(), 0, heartbeatTimeMs);
        }
        catch (final RuntimeException ex)
        {
            IoUtil.unmap(mappedBuffer);
            ChannelFiles.deleteQuietly(tempPath);
            throw ex;
        }
    }

    /**
     * Carry on writing an abandoned channel after its last committed record, for a writer restarted after a crash.
     * The channel keeps its shape: capacity, maximum record length, timeout and writer id come from its header, not
     * from the context. Resuming succeeds only when the previous writer is gone: its process has exited (or, when
     * it was this process, its heartbeat is older than the timeout). Of several resumers racing for the channel,
     * exactly one wins, in this process or another: the writer's pid is swapped for minus the resumer's with a
     * compare-and-set on the shared mapping, which marks the channel as being taken over until the resumer's own
     * pid is stored (a resumer that dies meanwhile is taken over from in turn). Whatever a dead
     * writer left past its last committed record (an uncommitted claim) is zeroed before writing resumes, and readers
     * that reported {@link ChannelState#ABANDONED} see the channel {@link ChannelState#OPEN} again.
     *
     * @param ctx configuration: the channel's root and id (or path), clock and pre-touch.
     * @return the writer, positioned after the last committed record.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when the previous writer lives
     *                          or another resumer won, {@link ChannelException.Reason#ENDED} when the channel was
     *                          closed or is full, {@link ChannelException.Reason#CORRUPT} when a record header is
     *                          bad, or any reason {@link ChannelReader#open(Path)} throws.
     */
    public static ChannelWriter resume(final Context ctx)
    {
        ctx.conclude();
        final Path path = ctx.path();
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().file(path).checkWriterProcess(false));
            FileChannel fileChannel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ChannelHeaderDecoder header = reader.header();
            final long fileLength = ChannelDescriptor.fileLength(reader.capacity());
            final MappedByteBuffer mappedBuffer = fileChannel.map(FileChannel.MapMode.READ_WRITE, 0, fileLength);
            final UnsafeBuffer buffer = new UnsafeBuffer(mappedBuffer);
            final long currentPid = WriterProcess.currentPid();
            long previousPid = 0;
            boolean isTakenOver = false;
            try
            {
                final long nowMs = ctx.epochClock().time();
                previousPid = takeOver(buffer, header, currentPid, nowMs, path);
                isTakenOver = true;
                final int position = (int)reader.seekToEnd();
                checkResumable(reader, path);

                // Only one claim is ever outstanding, so a dead writer's leftovers lie within one maximum record.
                final int leftoverEnd = (int)Math.min(ChannelDescriptor.fileLength(reader.capacity()),
                    (long)HEADER_LENGTH + position + RecordDescriptor.alignedLength(
                    RecordDescriptor.frameLength(reader.maxRecordLength())));
                buffer.setMemory(HEADER_LENGTH + position, leftoverEnd - HEADER_LENGTH - position, (byte)0);
                if (ctx.preTouch())
                {
                    ChannelFiles.preTouch(mappedBuffer, HEADER_LENGTH + position, true);
                }

                // Clearing and pre-touching take a while: readers must not find the new writer's heartbeat stale.
                final long heartbeatTimeMs = Math.max(
                    Math.max(nowMs, ctx.epochClock().time()), ChannelDescriptor.heartbeatTimeMsAcquire(buffer) + 1);
                ChannelDescriptor.heartbeatTimeMsRelease(buffer, heartbeatTimeMs);
                new ChannelHeaderEncoder().wrap(buffer, 0).writerStartTimeMs(WriterProcess.currentStartTimeMs());
                ChannelDescriptor.writerPidRelease(buffer, currentPid); // ends the take-over

                return new ChannelWriter(
                    ctx, mappedBuffer, reader.capacity(), reader.maxRecordLength(), position, heartbeatTimeMs);
            }
            catch (final RuntimeException ex)
            {
                if (isTakenOver)
                {
                    // Give the channel back as it was, so that the next resumer is told why, not WRITER_ACTIVE.
                    ChannelDescriptor.writerPidCompareAndSet(buffer, -currentPid, previousPid);
                }
                IoUtil.unmap(mappedBuffer);
                throw ex;
            }
        }
        catch (final IOException ex)
        {
            throw ChannelFiles.ioError("cannot resume channel " + path + ": " + ex, ex);
        }
    }

    /**
     * Delete the temp files that creators left under a root when they died before publishing their channel, as a
     * creator killed while allocating a large channel does. Such a file, named
     * {@code <channel file>.<pid>.<counter>.<nanoTime>.tmp} beside the channel's path, never becomes a channel and
     * blocks no later creation, but holds its disk space. It is deleted only when the process its name records no
     * longer runs, so a creation in progress is left alone.
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
     * Append a record by copying its payload.
     *
     * @param msgTypeId of the record, not negative.
     * @param src       holding the payload.
     * @param srcOffset of the payload in src.
     * @param length    of the payload.
     * @return the position after the record, or {@link #RECORD_TOO_LONG}, {@link #CHANNEL_FULL} or
     * {@link #CHANNEL_CLOSED}.
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
     * {@link #CHANNEL_FULL} or {@link #CHANNEL_CLOSED}.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding.
     */
    public long tryClaim(final int msgTypeId, final int length, final RecordClaim claim)
    {
        final long result = reserve(msgTypeId, length);
        if (result < 0)
        {
            return result;
        }

        // Nothing is stored in the record until commit: the header goes in last, in one store.
        final int recordOffset = (int)result;
        final int frameLength = RecordDescriptor.frameLength(length);
        claim.wrap(this, buffer.addressOffset(), recordOffset, frameLength, msgTypeId);
        // A reference store into an old object costs G1 a fence: store only when the caller changes claims.
        if (this.claim != claim)
        {
            this.claim = claim;
        }
        isClaimOutstanding = true;

        return position + RecordDescriptor.alignedLength(frameLength);
    }

    /**
     * Keep the heartbeat fresh: readers take a writer whose heartbeat is older than the channel's timeout for dead.
     *
     * @return 1 when the heartbeat was updated, otherwise 0.
     */
    public int doWork()
    {
        final long nowMs = epochClock.time();
        if (nowMs != heartbeatTimeMs && CHANNEL_CLOSED != endCode)
        {
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
        if (CHANNEL_CLOSED == endCode)
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
     * Leave the CLOSED marker, unless the channel is FULL, and unmap the file. Readers reaching the end then see
     * {@link ChannelState#CLOSED}. Idempotent.
     */
    public void close()
    {
        if (CHANNEL_CLOSED != endCode)
        {
            if (0 == endCode)
            {
                RecordDescriptor.headerRelease(
                    buffer, recordOffset(position), RecordDescriptor.HEADER_LENGTH, CLOSED_MSG_TYPE_ID);
            }
            endCode = CHANNEL_CLOSED;
            if (isClaimOutstanding)
            {
                claim.release(); // its view must not outlive the mapping
                isClaimOutstanding = false;
            }
            buffer.wrap(0, 0);
            IoUtil.unmap(mappedBuffer);
        }
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
        return CHANNEL_CLOSED == endCode;
    }

    /**
     * Whether a record did not fit and the channel was marked FULL.
     *
     * @return true once full.
     */
    public boolean isFull()
    {
        return CHANNEL_FULL == endCode;
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

    long commit(final int recordOffset, final int claimedFrameLength, final int frameLength, final int msgTypeId)
    {
        if (!isClaimOutstanding)
        {
            throw new IllegalStateException("claim does not belong to an open writer");
        }
        isClaimOutstanding = false;

        final int unusedFrom = RecordDescriptor.alignedLength(frameLength);
        final int unusedTo = RecordDescriptor.alignedLength(claimedFrameLength);
        if (unusedTo > unusedFrom)
        {
            // The next record starts in the unused tail: it must be zeros, or stale bytes could pass for a commit.
            buffer.setMemory(recordOffset + unusedFrom, unusedTo - unusedFrom, (byte)0);
        }

        return publish(recordOffset, frameLength, msgTypeId);
    }

    void abort(final int recordOffset, final int frameLength)
    {
        if (!isClaimOutstanding)
        {
            throw new IllegalStateException("claim does not belong to an open writer");
        }
        isClaimOutstanding = false;
        // Leave only zeros behind: a later, shorter record must not expose stale bytes as a frame length.
        buffer.setMemory(recordOffset, RecordDescriptor.alignedLength(frameLength), (byte)0);
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
        if (0 != endCode)
        {
            return endCode;
        }
        if (length > maxRecordLength)
        {
            return RECORD_TOO_LONG;
        }

        final int alignedLength = RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length));
        if (alignedLength > capacity - position)
        {
            markFull();
            return CHANNEL_FULL;
        }

        return recordOffset(position);
    }

    private long publish(final int recordOffset, final int frameLength, final int msgTypeId)
    {
        RecordDescriptor.headerRelease(buffer, recordOffset, frameLength, msgTypeId);
        position += RecordDescriptor.alignedLength(frameLength);
        return position;
    }

    private void markFull()
    {
        RecordDescriptor.headerRelease(
            buffer, recordOffset(position), RecordDescriptor.HEADER_LENGTH, FULL_MSG_TYPE_ID);
        endCode = CHANNEL_FULL;
    }

    /**
     * Take the channel over from a dead writer: exactly one resumer swaps the pid it read for minus its own, which
     * marks the channel as being taken over until resume stores the new writer's start time and pid. A resumer that
     * finds the mark refuses while the marking process runs, and takes over from it when it died taking over.
     *
     * @return the pid it replaced, to put back should resuming fail.
     */
    private static long takeOver(
        final UnsafeBuffer buffer,
        final ChannelHeaderDecoder header,
        final long currentPid,
        final long nowMs,
        final Path path)
    {
        final long pid = ChannelDescriptor.writerPidAcquire(buffer);
        if (pid < 0)
        {
            if (isRunning(-pid, 0))
            {
                throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                    "another writer is taking the channel over: pid=" + -pid + ", file=" + path);
            }
        }
        else
        {
            final long heartbeatTimeMs = ChannelDescriptor.heartbeatTimeMsAcquire(buffer);
            final boolean isHeartbeatStale = nowMs - heartbeatTimeMs > header.timeoutMs();
            final boolean isWriterAlive = currentPid == pid ?
                !isHeartbeatStale : isRunning(pid, header.writerStartTimeMs());
            if (isWriterAlive)
            {
                throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE, "channel's writer is alive: pid=" +
                    pid + ", heartbeat " + (nowMs - heartbeatTimeMs) + " ms ago, timeoutMs=" + header.timeoutMs() +
                    ", file=" + path);
            }
        }

        if (!ChannelDescriptor.writerPidCompareAndSet(buffer, pid, -currentPid))
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "another writer took the channel over first: file=" + path);
        }

        return pid;
    }

    private static boolean isRunning(final long pid, final long startTimeMs)
    {
        try (WriterProcess process = WriterProcess.find(pid, startTimeMs))
        {
            return null != process;
        }
    }

    private static void checkResumable(final ChannelReader reader, final Path path)
    {
        reader.poll((msgTypeId, buffer, offset, length) -> {}, 1); // reports a marker or a bad header at the end
        final ChannelState state = reader.endState();
        if (ChannelState.CLOSED == state || ChannelState.FULL == state)
        {
            throw new ChannelException(ChannelException.Reason.ENDED,
                "channel is " + state + " and takes no more records: position=" + reader.position() + ", file=" + path);
        }
        if (ChannelState.CORRUPT == state)
        {
            throw new ChannelException(ChannelException.Reason.CORRUPT,
                "cannot resume after a bad record: " + reader.corruption() + ", file=" + path);
        }
    }

    private static int recordOffset(final int position)
    {
        return HEADER_LENGTH + position;
    }

    private static void writeHeader(
        final UnsafeBuffer buffer, final Context ctx, final long pid, final long creationTimeMs)
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
            .recordAlignment(RecordDescriptor.ALIGNMENT)
            .timeoutMs(ctx.timeoutMs())
            .creationTimeMs(creationTimeMs)
            .writerPid(pid)
            .writerStartTimeMs(WriterProcess.currentStartTimeMs())
            .heartbeatTimeMs(creationTimeMs);

        ChannelDescriptor.formatVersionRelease(buffer, ChannelDescriptor.FORMAT_VERSION);
    }

    /**
     * Configuration of a writer, validated once by {@link #conclude()}.
     */
    public static final class Context
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

        private Path root;
        private long channelId;
        private boolean isChannelIdSet;
        private long writerId;
        private long capacity = DEFAULT_CAPACITY;
        private int maxRecordLength = -1;
        private long timeoutMs = DEFAULT_TIMEOUT_MS;
        private EpochClock epochClock = SystemEpochClock.INSTANCE;
        private Set<PosixFilePermission> filePermissions =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        private boolean preTouch = true;
        private Path path;

        /**
         * Validate the configuration and fill in defaults. Called by {@link ChannelWriter#create(Context)}.
         *
         * @return this for a fluent API.
         * @throws ChannelException         when capacity, maximum record length or timeout are out of range.
         * @throws IllegalArgumentException when no channel id was set.
         */
        public Context conclude()
        {
            if (!isChannelIdSet)
            {
                throw new IllegalArgumentException("channelId must be set");
            }
            if (null == root)
            {
                root = defaultRoot();
            }
            if (null == epochClock)
            {
                throw new IllegalArgumentException("epochClock must not be null");
            }
            ChannelDescriptor.checkCapacity(capacity);
            if (maxRecordLength < 0)
            {
                maxRecordLength = (int)Math.min(
                    DEFAULT_MAX_RECORD_LENGTH, ChannelDescriptor.maxRecordLengthLimit(capacity));
            }
            ChannelDescriptor.checkMaxRecordLength(maxRecordLength, capacity);
            ChannelDescriptor.checkTimeout(timeoutMs);
            path = ChannelDescriptor.channelPath(root, channelId);

            return this;
        }

        /**
         * Folder used when no root is set: /dev/shm/kekbit where there is a /dev/shm, so channels run at memory
         * speed, otherwise kekbit in the temp folder.
         *
         * @return the default root.
         */
        public static Path defaultRoot()
        {
            final File shm = new File("/dev/shm");
            if (shm.isDirectory() && shm.canWrite())
            {
                return shm.toPath().resolve("kekbit");
            }

            return Paths.get(IoUtil.tmpDirName(), "kekbit");
        }

        /**
         * Folder holding the channels.
         *
         * @param root folder.
         * @return this for a fluent API.
         */
        public Context root(final Path root)
        {
            this.root = root;
            return this;
        }

        /**
         * Folder holding the channels.
         *
         * @return the root folder, or null before {@link #conclude()} when none was set.
         */
        public Path root()
        {
            return root;
        }

        /**
         * Id of the channel: it decides the file's path under the root.
         *
         * @param channelId of the channel.
         * @return this for a fluent API.
         */
        public Context channelId(final long channelId)
        {
            this.channelId = channelId;
            this.isChannelIdSet = true;
            return this;
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
         * Capacity of the data region in bytes, a multiple of {@link RecordDescriptor#ALIGNMENT} between
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
         * Time after which readers take a writer whose heartbeat has not moved for dead.
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
         * Clock for the creation time and the heartbeat.
         *
         * @param epochClock to use.
         * @return this for a fluent API.
         */
        public Context epochClock(final EpochClock epochClock)
        {
            this.epochClock = epochClock;
            return this;
        }

        /**
         * Clock for the creation time and the heartbeat.
         *
         * @return the clock.
         */
        public EpochClock epochClock()
        {
            return epochClock;
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
         * Whether to map every page of the data region in at creation, so that writing never stalls on a page
         * fault. On by default; it costs one touch per page when the channel is created.
         *
         * @param preTouch true to touch every page at creation.
         * @return this for a fluent API.
         */
        public Context preTouch(final boolean preTouch)
        {
            this.preTouch = preTouch;
            return this;
        }

        /**
         * Whether every page is touched at creation.
         *
         * @return true when pages are touched at creation.
         */
        public boolean preTouch()
        {
            return preTouch;
        }

        /**
         * Path of the channel's file, known once concluded.
         *
         * @return the path, or null before {@link #conclude()}.
         */
        public Path path()
        {
            return path;
        }
    }
}
