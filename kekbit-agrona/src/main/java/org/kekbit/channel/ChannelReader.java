package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;
import static org.kekbit.channel.RecordDescriptor.CLOSED_MSG_TYPE_ID;
import static org.kekbit.channel.RecordDescriptor.FULL_MSG_TYPE_ID;

/**
 * A reader of a channel: it maps the file read-only, validates the header and delivers the committed records in
 * order, each exactly once, at its own pace. Any number of readers may follow one channel, in any threads or
 * processes.
 * <pre>{@code
 * try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().file(path)))
 * {
 *     while (!reader.state().isEnd())
 *     {
 *         idleStrategy.idle(reader.poll(handler, 100));
 *     }
 * }
 * }</pre>
 * Every read is checked against the mapping before it is made, so a corrupt record header turns the reader
 * {@link ChannelState#CORRUPT} instead of reading outside the file, also with Agrona's bounds checks disabled.
 * <p>
 * Not threadsafe: use one reader per thread.
 */
public final class ChannelReader implements AutoCloseable
{
    private static final int CORRUPT = -1;

    /**
     * How often an idle reader asks the OS whether the writer's process still runs.
     */
    static final long PROCESS_CHECK_INTERVAL_MS = 10;

    private final UnsafeBuffer buffer;
    private final MappedByteBuffer mappedBuffer;
    private final EpochClock epochClock;
    private final Path path;
    private final RecordView view = new RecordView();
    private final RecordIterator iterator = new RecordIterator();
    private final ChannelHeaderDecoder header = new ChannelHeaderDecoder();
    private final boolean checkWriterProcess;
    private final long channelId;
    private final int capacity;
    private final int maxRecordLength;
    private final long timeoutMs;
    private WriterProcess writerProcess;
    private long writerPid;
    private long lastProcessCheckMs = Long.MIN_VALUE / 2;
    private boolean isWriterProcessGone;
    private int position;
    private ChannelState endState = ChannelState.OPEN;
    private String corruption;
    private boolean isClosed;

    private ChannelReader(final Context ctx, final MappedByteBuffer mappedBuffer, final ChannelHeaderDecoder valid)
    {
        this.mappedBuffer = mappedBuffer;
        this.buffer = new UnsafeBuffer(mappedBuffer);
        this.epochClock = ctx.epochClock();
        this.path = ctx.file();
        this.checkWriterProcess = ctx.checkWriterProcess();
        this.channelId = valid.channelId();
        this.capacity = (int)valid.capacity();
        this.maxRecordLength = valid.maxRecordLength();
        this.timeoutMs = valid.timeoutMs();
        this.header.wrap(buffer, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
    }

    /**
     * Open a channel file read-only and validate its header.
     *
     * @param file of the channel.
     * @return a reader at position 0.
     * @throws ChannelException naming the cause when the file is missing, not a channel, not ready, of another
     *                          version, inconsistent or truncated.
     */
    public static ChannelReader open(final Path file)
    {
        return open(new Context().file(file));
    }

    /**
     * Open a channel read-only and validate its header.
     *
     * @param ctx configuration, concluded by this call.
     * @return a reader at position 0.
     * @throws ChannelException naming the cause when the file is missing, not a channel, not ready, of another
     *                          version, inconsistent or truncated.
     */
    public static ChannelReader open(final Context ctx)
    {
        ctx.conclude();
        final Path file = ctx.file();
        try (FileChannel fileChannel = ChannelFiles.openForRead(file))
        {
            final ByteBuffer headerBytes = ByteBuffer.allocateDirect(HEADER_LENGTH);
            final int headerBytesRead = ChannelFiles.readPrefix(fileChannel, headerBytes);
            final long fileLength = fileChannel.size();
            final ChannelHeaderDecoder valid = ChannelDescriptor.checkHeader(
                file, new UnsafeBuffer(headerBytes, 0, headerBytesRead), fileLength);

            final long mappedLength = ChannelDescriptor.fileLength(valid.capacity());
            final MappedByteBuffer mappedBuffer = fileChannel.map(FileChannel.MapMode.READ_ONLY, 0, mappedLength);
            if (ctx.preTouch())
            {
                ChannelFiles.preTouch(mappedBuffer, HEADER_LENGTH, false);
            }

            final ChannelReader reader = new ChannelReader(ctx, mappedBuffer, valid);
            reader.findWriterProcess();
            return reader;
        }
        catch (final IOException ex)
        {
            throw ChannelFiles.ioError("cannot read channel file " + file + ": " + ex, ex);
        }
    }

    /**
     * Open a channel, waiting for it to appear and become ready: for a reader started before its writer.
     *
     * @param ctx          configuration.
     * @param idleStrategy to wait with between attempts.
     * @param timeoutMs    to give up after, measured on the context's clock.
     * @return a reader at position 0.
     * @throws ChannelException with {@link ChannelException.Reason#TIMEOUT} when the channel did not appear or
     *                          become ready in time, or with any other reason {@link #open(Context)} throws.
     */
    public static ChannelReader awaitOpen(final Context ctx, final IdleStrategy idleStrategy, final long timeoutMs)
    {
        final long startMs = ctx.epochClock().time(); // elapsed time, not a deadline: now + Long.MAX_VALUE overflows
        idleStrategy.reset();
        while (true)
        {
            try
            {
                return open(ctx);
            }
            catch (final ChannelException ex)
            {
                final ChannelException.Reason reason = ex.reason();
                if (reason != ChannelException.Reason.NOT_FOUND && reason != ChannelException.Reason.NOT_READY)
                {
                    throw ex;
                }
                if (ctx.epochClock().time() - startMs >= timeoutMs)
                {
                    throw new ChannelException(ChannelException.Reason.TIMEOUT,
                        "channel not ready after " + timeoutMs + " ms: " + ex.getMessage(), ex);
                }
            }
            idleStrategy.idle();
        }
    }

    /**
     * Deliver the records committed after this reader's position, at most {@code limit} of them. Never blocks.
     * When it meets an end marker the state becomes {@link ChannelState#CLOSED} or {@link ChannelState#FULL}; when
     * it meets a record header no writer writes it becomes {@link ChannelState#CORRUPT}; either way it stays
     * before the marker or the bad record and delivers nothing more.
     * <p>
     * The position moves past a record before the handler is called, so a record is delivered once even when the
     * handler throws, and {@link #position()} within the handler is the position after the record.
     *
     * @param handler to call for each record.
     * @param limit   of records to deliver in this call.
     * @return the number of records delivered.
     */
    public int poll(final RecordHandler handler, final int limit)
    {
        final UnsafeBuffer buffer = this.buffer;
        int count = 0;
        while (count < limit && ChannelState.OPEN == endState)
        {
            final int position = this.position;
            final int recordOffset = HEADER_LENGTH + position;
            final long header = RecordDescriptor.headerAcquire(buffer, recordOffset);
            final int frameLength = RecordDescriptor.headerFrameLength(header);
            if (0 == frameLength)
            {
                break;
            }

            final int msgTypeId = RecordDescriptor.headerMsgTypeId(header);
            final int alignedLength = checkedAlignedLength(position, frameLength, msgTypeId);
            if (CORRUPT == alignedLength)
            {
                markEnd(frameLength, msgTypeId);
                break;
            }

            this.position = position + alignedLength;
            count++;
            handler.onRecord(
                msgTypeId,
                buffer,
                RecordDescriptor.payloadOffset(recordOffset),
                frameLength - RecordDescriptor.HEADER_LENGTH);
        }

        return count;
    }

    /**
     * Deliver the records committed after this reader's position as one block of whole records, headers included,
     * of at most {@code blockLengthLimit} bytes (or the first record alone, when it is longer). Never blocks. Every
     * record header in the block is checked as {@link #poll(RecordHandler, int)} checks it, and the block stops
     * before an end marker or a bad header, which set the state as {@code poll} does. The position moves past the
     * block before the handler is called.
     *
     * @param handler          to call with the block, unless nothing new is committed.
     * @param blockLengthLimit most bytes to deliver when the first record is shorter.
     * @return the number of bytes delivered.
     */
    public int blockPoll(final BlockHandler handler, final int blockLengthLimit)
    {
        final int startPosition = this.position;
        int position = startPosition;
        // The header walk repeats poll's rather than calling peekRecordLength: that measured 5-10% slower at 32 B.
        while (ChannelState.OPEN == endState)
        {
            final int recordOffset = HEADER_LENGTH + position;
            final long header = RecordDescriptor.headerAcquire(buffer, recordOffset);
            final int frameLength = RecordDescriptor.headerFrameLength(header);
            if (0 == frameLength)
            {
                break;
            }

            final int msgTypeId = RecordDescriptor.headerMsgTypeId(header);
            final int alignedLength = checkedAlignedLength(position, frameLength, msgTypeId);
            if (CORRUPT == alignedLength)
            {
                this.position = position; // where the end marker or the bad record lies, as poll leaves it
                markEnd(frameLength, msgTypeId);
                break;
            }
            if (position > startPosition && position - startPosition + alignedLength > blockLengthLimit)
            {
                break;
            }
            position += alignedLength;
        }

        final int length = position - startPosition;
        this.position = position;
        if (length > 0)
        {
            handler.onBlock(buffer, HEADER_LENGTH + startPosition, length, startPosition);
        }

        return length;
    }

    /**
     * The records committed after this reader's position, as an iterator that never blocks: {@code hasNext()} is
     * false when nothing more is committed yet, and may turn true later. The iterator and the view it hands out are
     * reused: this returns the same iterator every time.
     *
     * @return the iterator.
     */
    public Iterator<RecordView> records()
    {
        return iterator;
    }

    /**
     * State of the channel at this reader's position. {@link ChannelState#ABANDONED} is reported only when nothing
     * more is committed after the position and the writer is gone: its process has exited, or its heartbeat is
     * older than the channel's timeout.
     *
     * @return the state.
     */
    public ChannelState state()
    {
        if (ChannelState.OPEN != endState)
        {
            return endState;
        }

        if (!isWriterGone())
        {
            return ChannelState.OPEN;
        }

        // The writer is gone, so nothing can appear after what is committed now: one more look decides.
        return 0 == RecordDescriptor.frameLengthAcquire(buffer, HEADER_LENGTH + position) ?
            ChannelState.ABANDONED : ChannelState.OPEN;
    }

    /**
     * How the records ended as far as this reader has polled, without looking at the writer: OPEN until it reaches
     * an end marker or a bad record.
     *
     * @return OPEN, CLOSED, FULL or CORRUPT.
     */
    ChannelState endState()
    {
        return endState;
    }

    /**
     * Position of the next record to read; when {@link ChannelState#CORRUPT}, the position of the bad record.
     *
     * @return the position, from 0 to {@link #capacity()}.
     */
    public long position()
    {
        return position;
    }

    /**
     * Move to a position the writer returned for a committed record, or 0. The records from the nearest known
     * record boundary (this position when moving forward, otherwise 0) are walked to check it is one.
     *
     * @param position to move to.
     * @throws IllegalArgumentException when the position is not the end of a committed record.
     * @throws IllegalStateException    when the reader is {@link ChannelState#CORRUPT}.
     */
    public void seek(final long position)
    {
        checkUsable();
        if (position < 0 || position > capacity || (position & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException(
                "position out of range or misaligned: expected 0.." + capacity + ", actual=" + position);
        }

        int boundary = position >= this.position ? this.position : 0;
        int alignedLength = 0;
        while (boundary < position && (alignedLength = peekRecordLength(boundary)) > 0)
        {
            boundary += alignedLength;
        }

        if (boundary != position)
        {
            throw new IllegalArgumentException("not the end of a committed record: position=" + position +
                (CORRUPT == alignedLength ? ", bad record header at position=" + boundary : ""));
        }

        this.position = boundary;
        this.endState = ChannelState.OPEN;
    }

    /**
     * Move past every record committed so far, to read only what comes next. Stops before an end marker or a bad
     * record, which the next poll reports.
     *
     * @return the new position.
     * @throws IllegalStateException when the reader is closed or {@link ChannelState#CORRUPT}.
     */
    public long seekToEnd()
    {
        checkUsable();
        int alignedLength;
        while ((alignedLength = peekRecordLength(position)) > 0)
        {
            position += alignedLength;
        }

        return position;
    }

    /**
     * Why the reader is {@link ChannelState#CORRUPT}.
     *
     * @return a description of the bad record, or null when not corrupt.
     */
    public String corruption()
    {
        return corruption;
    }

    /**
     * Decoder over the channel's header, to read fields such as the writer id or creation time.
     *
     * @return the decoder, reused.
     */
    public ChannelHeaderDecoder header()
    {
        return header;
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
     * Unmap the file. Polling a closed reader delivers nothing. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (ChannelState.OPEN == endState)
            {
                endState = ChannelState.CLOSED; // so no read of the unmapped memory can follow
            }
            buffer.wrap(0, 0);
            IoUtil.unmap(mappedBuffer);
            CloseHelper.quietClose(writerProcess);
        }
    }

    /**
     * Check a committed record header against everything a writer guarantees before any of it is trusted.
     *
     * @return the aligned length of the record, or {@link #CORRUPT} for anything a writer would not have written,
     * end markers included.
     */
    private int checkedAlignedLength(final int position, final int frameLength, final int msgTypeId)
    {
        final int payloadLength = frameLength - RecordDescriptor.HEADER_LENGTH;
        if (msgTypeId < 0 || payloadLength < 0 || payloadLength > maxRecordLength)
        {
            return CORRUPT;
        }

        final int alignedLength = RecordDescriptor.alignedLength(frameLength);
        return alignedLength > capacity - position ? CORRUPT : alignedLength;
    }

    /**
     * Length of the committed record at a position, without changing state.
     *
     * @return the aligned length, 0 when nothing is committed, {@link #CORRUPT} for an end marker or a bad header.
     */
    private int peekRecordLength(final int position)
    {
        final long header = RecordDescriptor.headerAcquire(buffer, HEADER_LENGTH + position);
        final int frameLength = RecordDescriptor.headerFrameLength(header);
        return 0 == frameLength ?
            0 : checkedAlignedLength(position, frameLength, RecordDescriptor.headerMsgTypeId(header));
    }

    private void markEnd(final int frameLength, final int msgTypeId)
    {
        if (RecordDescriptor.HEADER_LENGTH == frameLength && CLOSED_MSG_TYPE_ID == msgTypeId)
        {
            endState = ChannelState.CLOSED;
        }
        else if (RecordDescriptor.HEADER_LENGTH == frameLength && FULL_MSG_TYPE_ID == msgTypeId)
        {
            endState = ChannelState.FULL;
        }
        else
        {
            endState = ChannelState.CORRUPT;
            corruption = "bad record header at position=" + position + ": frameLength=" + frameLength +
                ", msgTypeId=" + msgTypeId + ", maxRecordLength=" + maxRecordLength + ", capacity=" + capacity;
        }
    }

    private boolean isWriterGone()
    {
        final long nowMs = epochClock.time();
        if (nowMs - ChannelDescriptor.heartbeatTimeMsAcquire(buffer) > timeoutMs)
        {
            return true;
        }

        if (!checkWriterProcess)
        {
            return false;
        }

        // Asking the OS costs system calls: an idle reader polling in a loop asks at most once per interval.
        if (nowMs - lastProcessCheckMs >= PROCESS_CHECK_INTERVAL_MS || nowMs < lastProcessCheckMs)
        {
            lastProcessCheckMs = nowMs;
            if (header.writerPid() != writerPid)
            {
                findWriterProcess(); // a new writer took the channel over
            }
            isWriterProcessGone = null == writerProcess || !writerProcess.isAlive();
        }

        return isWriterProcessGone;
    }

    private void findWriterProcess()
    {
        CloseHelper.quietClose(writerProcess);
        writerPid = header.writerPid();
        writerProcess = checkWriterProcess ? WriterProcess.find(writerPid, header.writerStartTimeMs()) : null;
    }

    private void checkUsable()
    {
        if (isClosed)
        {
            throw new IllegalStateException("reader is closed");
        }
        if (ChannelState.CORRUPT == endState)
        {
            throw new IllegalStateException("reader is corrupt: " + corruption);
        }
    }

    private final class RecordIterator implements Iterator<RecordView>, RecordHandler
    {
        public boolean hasNext()
        {
            if (ChannelState.OPEN != endState)
            {
                return false;
            }

            final int recordOffset = HEADER_LENGTH + position;
            final long header = RecordDescriptor.headerAcquire(buffer, recordOffset);
            final int frameLength = RecordDescriptor.headerFrameLength(header);
            if (0 == frameLength)
            {
                return false;
            }

            final int msgTypeId = RecordDescriptor.headerMsgTypeId(header);
            if (CORRUPT == checkedAlignedLength(position, frameLength, msgTypeId))
            {
                markEnd(frameLength, msgTypeId);
                return false;
            }

            return true;
        }

        public RecordView next()
        {
            if (1 != poll(this, 1))
            {
                throw new NoSuchElementException("no committed record at position=" + position);
            }

            return view;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            view.set(msgTypeId, buffer, offset, length, position);
        }
    }

    /**
     * Configuration of a reader.
     */
    public static final class Context
    {
        private Path file;
        private Path root;
        private long channelId;
        private boolean isChannelIdSet;
        private EpochClock epochClock = SystemEpochClock.INSTANCE;
        private boolean checkWriterProcess = true;
        private boolean preTouch;

        /**
         * Validate the configuration; called by {@link ChannelReader#open(Context)}.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException when neither a file nor a channel id was set.
         */
        public Context conclude()
        {
            if (null == file)
            {
                if (!isChannelIdSet)
                {
                    throw new IllegalArgumentException("either file or channelId must be set");
                }
                file = ChannelDescriptor.channelPath(
                    null == root ? ChannelWriter.Context.defaultRoot() : root, channelId);
            }
            if (null == epochClock)
            {
                throw new IllegalArgumentException("epochClock must not be null");
            }

            return this;
        }

        /**
         * File of the channel; takes precedence over root and channel id.
         *
         * @param file of the channel.
         * @return this for a fluent API.
         */
        public Context file(final Path file)
        {
            this.file = file;
            return this;
        }

        /**
         * File of the channel.
         *
         * @return the file, or null before {@link #conclude()} when none was set.
         */
        public Path file()
        {
            return file;
        }

        /**
         * Folder holding the channels, used with {@link #channelId(long)}; the writer's default when not set.
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
         * Id of the channel, used with {@link #root(Path)} to find its file.
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
         * Clock to judge the writer's heartbeat by.
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
         * Clock to judge the writer's heartbeat by.
         *
         * @return the clock.
         */
        public EpochClock epochClock()
        {
            return epochClock;
        }

        /**
         * Whether to take the writer for gone as soon as its process has exited, before its heartbeat times out.
         * On by default; turn it off when the writer runs in another pid namespace (another container or host).
         *
         * @param checkWriterProcess true to check the writer's process.
         * @return this for a fluent API.
         */
        public Context checkWriterProcess(final boolean checkWriterProcess)
        {
            this.checkWriterProcess = checkWriterProcess;
            return this;
        }

        /**
         * Whether the writer's process is checked.
         *
         * @return true when checked.
         */
        public boolean checkWriterProcess()
        {
            return checkWriterProcess;
        }

        /**
         * Whether to map every page of the channel in at open, so that reading never stalls on a page fault.
         * Off by default.
         *
         * @param preTouch true to touch every page at open.
         * @return this for a fluent API.
         */
        public Context preTouch(final boolean preTouch)
        {
            this.preTouch = preTouch;
            return this;
        }

        /**
         * Whether every page is touched at open.
         *
         * @return true when pages are touched at open.
         */
        public boolean preTouch()
        {
            return preTouch;
        }
    }
}
