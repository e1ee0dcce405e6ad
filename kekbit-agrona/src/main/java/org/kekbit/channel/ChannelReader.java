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
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.AgronaAccess;
import org.kekbit.MappingReleaser;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;
import static org.kekbit.channel.RecordDescriptor.CLOSED_MSG_TYPE_ID;
import static org.kekbit.channel.RecordDescriptor.FULL_MSG_TYPE_ID;
import static org.kekbit.channel.RecordDescriptor.ROLLED_MSG_TYPE_ID;

/**
 * A reader of a channel: it maps the file read-only, validates the header and delivers the committed records in
 * order, each exactly once, at its own pace. Any number of readers may follow one channel, in any threads or
 * processes.
 * <pre>{@code
 * try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path)))
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

    private final UnsafeBuffer buffer;
    private final MappedByteBuffer mappedBuffer;
    private final MappingReleaser mappingReleaser;
    private final Path path;
    private final Object fileKey;
    private final RecordView view = new RecordView();
    private final RecordIterator iterator = new RecordIterator();
    private final ChannelHeaderDecoder header = new ChannelHeaderDecoder();
    // Made at open, so that closing allocates nothing: a journal's reader closes a segment at each roll it crosses.
    private final UnsafeBuffer closedHeader = new UnsafeBuffer(new byte[HEADER_LENGTH]);
    private final WriterLiveness writerLiveness;
    private final long channelId;
    private final int capacity;
    private final int maxRecordLength;
    // A short fills the gap before the references, so the object keeps its size and every other field its offset.
    private final short recordAlignment;
    private int position;
    private int committedHorizon; // committed records never change, so a walk for committedPosition resumes here
    private long stopHeader;
    private ChannelState endState = ChannelState.OPEN;
    private String corruption;
    private boolean isClosed;
    private boolean isMappingReused;

    private ChannelReader(
        final Context ctx, final MappedByteBuffer mappedBuffer, final ChannelHeaderDecoder valid, final Object fileKey)
    {
        this.mappedBuffer = mappedBuffer;
        this.mappingReleaser = ctx.mappingReleaser();
        this.buffer = new UnsafeBuffer(mappedBuffer);
        this.path = ctx.path();
        this.fileKey = fileKey;
        this.channelId = valid.channelId();
        this.capacity = (int)valid.capacity();
        this.maxRecordLength = valid.maxRecordLength();
        this.recordAlignment = (short)valid.recordAlignment();
        this.header.wrap(buffer, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
        this.writerLiveness = new WriterLiveness(buffer, fileKey, valid.timeoutMs(), ctx.epochClock(), ctx.observer());
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
        return open(new Context().path(file));
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
        return open(ctx, null);
    }

    /**
     * Open a channel as {@link #open(Context)} does, through a mapping of the same file kept from an earlier reader
     * of it ({@link #closeKeepingMapping()}) when it has the channel's length: for a journal's reader whose segments
     * re-use retired files, whose pages are then mapped already, so neither a new mapping nor its page faults and
     * later unmap are paid. The caller gives a mapping of this file (same device and inode); one whose header bytes
     * differ from the file's is released and the file mapped afresh.
     *
     * @param ctx     configuration, concluded by this call.
     * @param mapping of the same file, read-only or read-write, owned by this call from now on; or null.
     * @return a reader at position 0.
     * @throws ChannelException as {@link #open(Context)} does.
     */
    public static ChannelReader open(final Context ctx, final MappedByteBuffer mapping)
    {
        AgronaAccess.check();
        ctx.conclude();
        final Path file = ctx.path();
        MappedByteBuffer given = mapping;
        try (FileChannel fileChannel = ChannelFiles.openForRead(file))
        {
            final ByteBuffer headerBytes = ByteBuffer.allocate(HEADER_LENGTH); // read once: no native memory
            final int headerBytesRead = ChannelFiles.readPrefix(fileChannel, headerBytes);
            final long fileLength = fileChannel.size();
            final ChannelHeaderDecoder valid = ChannelDescriptor.checkHeader(
                file, new UnsafeBuffer(headerBytes, 0, headerBytesRead), fileLength, ctx.standbyAccepted());

            final long mappedLength = ChannelDescriptor.fileLength(valid.capacity());
            // The same bytes through the given mapping as through the file, or it is not this file's (an inode
            // number a file system gave again after a deletion): map afresh then.
            final boolean isGivenThisFile = null != given && given.capacity() == mappedLength &&
                isSameHeader(given, headerBytes);
            final MappedByteBuffer mappedBuffer = isGivenThisFile ?
                given : fileChannel.map(FileChannel.MapMode.READ_ONLY, 0, mappedLength);
            if (mappedBuffer == given)
            {
                given = null; // taken: from here on it is this reader's
            }
            if (ctx.preTouch())
            {
                ChannelFiles.preTouch(mappedBuffer, HEADER_LENGTH, mappedBuffer.capacity(), false);
            }

            final Object fileKey;
            try
            {
                fileKey = ChannelFiles.fileKey(file, valid.creationTimeMs());
            }
            catch (final ChannelException ex)
            {
                IoUtil.unmap(mappedBuffer);
                throw ex;
            }

            final ChannelReader reader = new ChannelReader(ctx, mappedBuffer, valid, fileKey);
            reader.isMappingReused = isGivenThisFile;
            return reader;
        }
        catch (final IOException ex)
        {
            throw ChannelFiles.ioError("cannot read channel file " + file + ": " + ex, ex);
        }
        finally
        {
            if (null != given)
            {
                MappingReleaser.release(ctx.mappingReleaser(), given); // not of this channel's length, or it failed
            }
        }
    }

    private static boolean isSameHeader(final MappedByteBuffer mapping, final ByteBuffer headerBytes)
    {
        final UnsafeBuffer mapped = new UnsafeBuffer(mapping);
        final UnsafeBuffer read = new UnsafeBuffer(headerBytes);
        for (int i = 0; i < HEADER_LENGTH; i += Long.BYTES)
        {
            if (mapped.getLong(i) != read.getLong(i))
            {
                return false;
            }
        }
        return true;
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
        ctx.conclude();
        final long startMs = ctx.epochClock().time(); // elapsed time, not a deadline: now + Long.MAX_VALUE overflows
        idleStrategy.reset();
        // Wait without exceptions: a missing or unready file is the expected state here, checked by a plain look.
        while (!ChannelFiles.isReadyToOpen(ctx.path()))
        {
            if (ctx.epochClock().time() - startMs >= timeoutMs)
            {
                try
                {
                    return open(ctx); // once, at the deadline: it names the cause
                }
                catch (final ChannelException ex)
                {
                    final ChannelException.Reason reason = ex.reason();
                    if (reason != ChannelException.Reason.NOT_FOUND && reason != ChannelException.Reason.NOT_READY)
                    {
                        throw ex;
                    }
                    throw new ChannelException(ChannelException.Reason.TIMEOUT,
                        "channel not ready after " + timeoutMs + " ms: " + ex.getMessage(), ex);
                }
            }
            idleStrategy.idle();
        }

        return open(ctx);
    }

    /**
     * Deliver the records committed after this reader's position, at most {@code limit} of them. Never blocks.
     * When it meets an end marker the state becomes {@link ChannelState#CLOSED}, {@link ChannelState#FULL} or
     * {@link ChannelState#ROLLED}; when
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
     * Deliver the records committed after this reader's position that end at or before a position limit, at most
     * {@code limit} of them, as {@link #poll(RecordHandler, int)} does: for a reader that must not run ahead of
     * another position, such as what a replica acknowledged. Never blocks.
     *
     * @param handler       to call for each record.
     * @param limit         of records to deliver in this call.
     * @param positionLimit no record ending after it is delivered; a record end, or the delivery stops before the
     *                      record it falls in.
     * @return the number of records delivered.
     */
    public int poll(final RecordHandler handler, final int limit, final long positionLimit)
    {
        final UnsafeBuffer buffer = this.buffer;
        int count = 0;
        while (count < limit && ChannelState.OPEN == endState)
        {
            final int position = this.position;
            if (position >= positionLimit)
            {
                break;
            }
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
            if (position + alignedLength > positionLimit)
            {
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
        if (ChannelState.OPEN != endState)
        {
            return 0;
        }

        final int startPosition = this.position;
        final int position = walk(startPosition, blockLengthLimit);
        this.position = position;
        if (0 != stopHeader)
        {
            markEnd(stopHeader); // where the end marker or the bad record lies, as poll leaves it
        }

        final int length = position - startPosition;
        if (length > 0)
        {
            handler.onBlock(buffer, HEADER_LENGTH + startPosition, length, startPosition);
        }

        return length;
    }

    /**
     * The records committed after this reader's position, as an iterator that never blocks. At the live end,
     * {@code hasNext()} is false when nothing more is committed yet and turns true once the writer commits again: an
     * iterator that returned false is not finished, so loop over it again later (check {@link #state()} to know
     * whether more can come). {@code hasNext()} is also false at an end marker or a bad record, which it reports in
     * {@link #state()}. The iterator and the view it hands out are reused: this returns the same iterator every
     * time, and a view is valid until the next call to {@code next()}.
     *
     * @return the iterator.
     */
    public Iterator<RecordView> records()
    {
        return iterator;
    }

    /**
     * State of the channel at this reader's position. {@link ChannelState#ABANDONED} is reported only when nothing
     * more is committed after the position and the writer is not alive by the rule of {@code docs/format.md}: where
     * this process can see the writer's process, that process has exited; otherwise its heartbeat is older than the
     * channel's timeout. ABANDONED is not an end: it turns back to OPEN when a writer resumes the channel.
     *
     * @return the state.
     * @throws IllegalStateException when the reader is closed.
     */
    public ChannelState state()
    {
        if (isClosed)
        {
            throw new IllegalStateException("reader is closed");
        }
        if (ChannelState.OPEN != endState)
        {
            return endState;
        }
        if (writerLiveness.isAlive())
        {
            return ChannelState.OPEN;
        }

        // The writer is gone, so nothing can appear after what is committed now: one more look decides.
        return walk(position, 0) == position && 0 == stopHeader ? ChannelState.ABANDONED : ChannelState.OPEN;
    }

    /**
     * How the records ended as far as this reader has polled, without looking at the writer: OPEN until it reaches
     * an end marker or a bad record. Costs one field load, unlike {@link #state()}, which may ask the OS about the
     * writer: for a caller that only needs to know whether the reader stopped at an end marker, as a journal's
     * reader does after each poll.
     *
     * @return OPEN, CLOSED, FULL, ROLLED or CORRUPT.
     */
    public ChannelState endState()
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
     * record boundary (this position when moving forward, otherwise 0) are walked to check it is one. When an end
     * marker lies at the position, the state says so at once ({@link ChannelState#CLOSED} or
     * {@link ChannelState#FULL}).
     *
     * @param position to move to.
     * @throws IllegalArgumentException when the position is not the end of a committed record, naming the end marker
     *                                  or bad record header the walk stopped at.
     * @throws IllegalStateException    when the reader is closed or {@link ChannelState#CORRUPT}.
     */
    public void seek(final long position)
    {
        checkUsable();
        if (position < 0 || position > capacity || (position & (recordAlignment - 1)) != 0)
        {
            throw new IllegalArgumentException(
                "position out of range or misaligned: expected 0.." + capacity + ", actual=" + position);
        }

        final int target = (int)position;
        int boundary = target >= this.position ? this.position : 0;
        stopHeader = 0;
        if (boundary < target)
        {
            boundary = walk(boundary, target - boundary);
        }
        if (boundary != target)
        {
            throw new IllegalArgumentException("not the end of a committed record: position=" + position +
                (0 == stopHeader ? "" : ", the walk stopped at " + describe(stopHeader, boundary)));
        }

        this.position = target;
        this.endState = ChannelState.OPEN;
        final long headerAtTarget = RecordDescriptor.headerAcquire(buffer, HEADER_LENGTH + target);
        if (RecordDescriptor.isEndMarker(headerAtTarget))
        {
            markEnd(headerAtTarget);
        }
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
        position = walk(position, Integer.MAX_VALUE);
        return position;
    }

    /**
     * Move past every committed record and report what lies after them, for a resumer: OPEN when nothing is
     * committed there, otherwise the end marker or bad record found, as poll would report it.
     */
    ChannelState scanToEnd()
    {
        seekToEnd();
        if (0 != stopHeader)
        {
            markEnd(stopHeader);
        }
        return endState;
    }

    /**
     * Copy the seal a journal's writer left with the ROLLED marker
     * ({@link ChannelWriter#roll(DirectBuffer, int, int)}), whatever this reader's position. The bytes at the end of
     * the data region are taken for a seal only when the position stored after them is an aligned position before
     * them holding a ROLLED marker, which the records of a segment without a seal never fake: they reach into those
     * bytes, so the only ROLLED marker lies after them.
     *
     * @param dst        to copy the seal's bytes into.
     * @param dstOffset  in dst.
     * @param sealLength of the seal's bytes, as the writer gave it.
     * @return true when the channel ends with a ROLLED marker and a seal, copied into dst.
     * @throws IllegalStateException when the reader is closed.
     */
    public boolean readRollSeal(final MutableDirectBuffer dst, final int dstOffset, final int sealLength)
    {
        if (isClosed)
        {
            throw new IllegalStateException("reader is closed");
        }
        final int regionLength = sealLength + RecordDescriptor.ALIGNMENT;
        ChannelDescriptor.checkRollSealLength(regionLength);
        if (regionLength > capacity)
        {
            return false;
        }
        final int sealPosition = (int)ChannelDescriptor.rollSealPosition(capacity, regionLength);
        final int sealOffsetInFile = HEADER_LENGTH + sealPosition;
        // The marker is loaded with acquire below: a seal position read before it is re-checked by that load.
        final long marker = RecordDescriptor.littleEndian(buffer.getLongVolatile(sealOffsetInFile + sealLength));
        if (marker < 0 || marker + RecordDescriptor.HEADER_LENGTH > sealPosition ||
            (marker & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            return false;
        }
        final long header = RecordDescriptor.headerAcquire(buffer, HEADER_LENGTH + (int)marker);
        if (RecordDescriptor.HEADER_LENGTH != RecordDescriptor.headerFrameLength(header) ||
            ROLLED_MSG_TYPE_ID != RecordDescriptor.headerMsgTypeId(header))
        {
            return false;
        }
        dst.putBytes(dstOffset, buffer, sealOffsetInFile, sealLength);
        return true;
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
     * Decoder over the channel's header, to read fields such as the writer id or creation time. Once the reader is
     * closed it decodes a copy of the header as it was at close.
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
     * Alignment of the channel's records, as its writer chose it: each takes its frame length rounded up to it.
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
     * Unmap the file. Polling a closed reader delivers nothing; {@link #state()} and seeking throw
     * {@link IllegalStateException}. Idempotent.
     */
    public void close()
    {
        final MappedByteBuffer mapping = closeKeepingMapping();
        if (null != mapping)
        {
            MappingReleaser.release(mappingReleaser, mapping); // the buffer and the decoder no longer view it
        }
    }

    /**
     * Whether the channel is on standby: created by a writer with {@link ChannelWriter.Context#standby(boolean)} and
     * not activated yet. One acquire load of the header.
     *
     * @return true while the channel is on standby.
     */
    public boolean isOnStandby()
    {
        return 0 == ChannelDescriptor.formatVersionAcquire(buffer);
    }

    /**
     * Whether a file holds a channel on standby ({@link ChannelWriter.Context#standby(boolean)}): its signature is
     * a channel's and its format version still 0. Reads the file's first bytes, no mapping: for listings that must
     * leave a journal's next segment out until its roll activates it.
     *
     * @param file to look at.
     * @return true when the file is a channel on standby; false when it is ready, missing, or not a channel.
     */
    public static boolean isOnStandby(final Path file)
    {
        try (FileChannel fileChannel = ChannelFiles.openForRead(file))
        {
            final ByteBuffer headerBytes = ByteBuffer.allocate(HEADER_LENGTH);
            final int read = ChannelFiles.readPrefix(fileChannel, headerBytes);
            final UnsafeBuffer header = new UnsafeBuffer(headerBytes, 0, read);
            ChannelDescriptor.checkHeader(file, header, fileChannel.size(), true);
            return 0 == ChannelDescriptor.formatVersionAcquire(header);
        }
        catch (final IOException | ChannelException ex)
        {
            return false; // gone or unreadable: whoever opens it reports why
        }
    }

    /**
     * Whether {@link #open(Context, MappedByteBuffer)} read through the mapping it was given rather than a new one.
     *
     * @return true when the given mapping was taken.
     */
    public boolean isMappingReused()
    {
        return isMappingReused;
    }

    /**
     * Close as {@link #close()} does, but hand the mapping to the caller instead of releasing it, for a journal
     * reader whose file may come back as a later segment ({@link #open(Context, MappedByteBuffer)}). The caller
     * must release it, or hand it on.
     *
     * @return the mapping, or null when this reader was closed already.
     */
    public MappedByteBuffer closeKeepingMapping()
    {
        if (!isClosed)
        {
            isClosed = true;
            endState = ChannelState.CLOSED; // poll and the iterator stop here; state() throws for a closed reader
            // The header decoder must not read unmapped memory: it keeps decoding a copy.
            closedHeader.putBytes(0, buffer, 0, HEADER_LENGTH);
            header.wrap(closedHeader, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
            buffer.wrap(0, 0);
            CloseHelper.quietClose(writerLiveness);
            return mappedBuffer;
        }
        return null;
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

        final int alignedLength = RecordDescriptor.alignedLength(frameLength, recordAlignment);
        return alignedLength > capacity - position ? CORRUPT : alignedLength;
    }

    /**
     * The one header walk, behind blockPoll, the iterator, seek, seekToEnd and state (poll keeps an inline copy of
     * its loop body, measured faster at 32 B): from a record boundary over whole committed and checked records, at
     * most {@code maxBytes} of them but always the first. Sets {@link #stopHeader} to the header it stopped at when
     * that is an end marker or a bad header, otherwise to 0 (nothing committed there yet, or the limit).
     *
     * @return the position it stopped at.
     */
    private int walk(final int from, final int maxBytes)
    {
        final UnsafeBuffer buffer = this.buffer;
        int position = from;
        while (true)
        {
            final long header = RecordDescriptor.headerAcquire(buffer, HEADER_LENGTH + position);
            final int frameLength = RecordDescriptor.headerFrameLength(header);
            if (0 == frameLength)
            {
                stopHeader = 0;
                return position;
            }

            final int msgTypeId = RecordDescriptor.headerMsgTypeId(header);
            final int alignedLength = checkedAlignedLength(position, frameLength, msgTypeId);
            if (CORRUPT == alignedLength)
            {
                stopHeader = header;
                return position;
            }
            if (position > from && position - from + alignedLength > maxBytes)
            {
                stopHeader = 0;
                return position;
            }
            position += alignedLength;
        }
    }

    private void markEnd(final long header)
    {
        markEnd(RecordDescriptor.headerFrameLength(header), RecordDescriptor.headerMsgTypeId(header));
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
        else if (RecordDescriptor.HEADER_LENGTH == frameLength && ROLLED_MSG_TYPE_ID == msgTypeId)
        {
            endState = ChannelState.ROLLED;
        }
        else
        {
            endState = ChannelState.CORRUPT;
            corruption = "bad record header at position=" + position + ": frameLength=" + frameLength +
                ", msgTypeId=" + msgTypeId + ", maxRecordLength=" + maxRecordLength + ", capacity=" + capacity;
        }
    }

    private String describe(final long header, final int position)
    {
        if (RecordDescriptor.isEndMarker(header))
        {
            return "end marker " + RecordDescriptor.endMarkerState(RecordDescriptor.headerMsgTypeId(header)) +
                " at position=" + position;
        }
        return "bad record header at position=" + position + ": frameLength=" +
            RecordDescriptor.headerFrameLength(header) + ", msgTypeId=" + RecordDescriptor.headerMsgTypeId(header);
    }

    /**
     * End of the records committed after this reader's position, found by a walk that does not move the reader:
     * for a replication source's lag. Each call walks only what was committed since the last one.
     */
    long committedPosition()
    {
        if (ChannelState.OPEN != endState)
        {
            return position;
        }
        final long stopped = stopHeader; // the walk below must not change what poll found
        committedHorizon = walk(Math.max(position, committedHorizon), Integer.MAX_VALUE);
        stopHeader = stopped;
        return committedHorizon;
    }

    /**
     * The read-only view over the mapping, for {@link ChannelSource} to hand out the end marker.
     */
    UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * Identity of the channel file, shared by all its links.
     */
    Object fileKey()
    {
        return fileKey;
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
            if (walk(position, 0) > position)
            {
                return true;
            }
            if (0 != stopHeader)
            {
                markEnd(stopHeader);
            }

            return false;
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
     * Configuration of a reader: the shared fields of {@link ChannelContext}; readers do not pre-touch by default.
     */
    public static final class Context extends ChannelContext<Context>
    {
        private boolean standbyAccepted;

        /**
         * A context with the defaults.
         */
        public Context()
        {
            super(false);
        }

        /**
         * Validate the configuration; called by {@link ChannelReader#open(Context)}.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException when neither a path nor a channel id was set.
         */
        public Context conclude()
        {
            concludePath();
            return this;
        }

        /**
         * Whether {@link ChannelReader#open(Context)} opens a channel on standby
         * ({@link ChannelWriter.Context#standby(boolean)}) instead of refusing it as not ready: for a journal's
         * segment prefetcher, which maps and pre-touches the next segment before the roll activates it. Such a reader
         * reads nothing until the writer activates the channel and writes. Off by default.
         *
         * @param standbyAccepted true to open a channel on standby.
         * @return this for a fluent API.
         */
        public Context standbyAccepted(final boolean standbyAccepted)
        {
            this.standbyAccepted = standbyAccepted;
            return this;
        }

        /**
         * Whether a channel on standby is opened.
         *
         * @return true when it is.
         */
        public boolean standbyAccepted()
        {
            return standbyAccepted;
        }
    }
}
