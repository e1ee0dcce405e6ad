package org.kekbit.channel;

import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;

/**
 * The writer of a mirror: a byte-identical copy of another channel (its leader), fed with the leader's bytes at
 * their positions, as a {@link ChannelSource} hands them out, in pieces of any size that are multiples of
 * {@link RecordDescriptor#ALIGNMENT}. Ordinary {@link ChannelReader}s tail a mirror live: each record is committed
 * with the same single release store of its header as {@link ChannelWriter} commits it, after its whole body is in,
 * so they never see a torn record, even if the mirror's process is killed mid-record.
 * <pre>{@code
 * try (ChannelMirror mirror = Files.exists(path) ? ChannelMirror.open(path) :
 *     ChannelMirror.create(path, leaderHeader, 0))
 * {
 *     final long received = mirror.write(chunkPosition, chunk, 0, chunkLength);
 *     if (received < 0)
 *     {
 *         // GAP: ask the leader to resume from mirror.receivedPosition(); BAD_DATA, TAKEN_OVER or CLOSED: stop
 *     }
 *     mirror.force();
 *     mirror.doWork(); // heartbeat, as a writer's
 * }
 * }</pre>
 * The mirror's process is the mirror's writer for liveness (docs/format.md, "Is the writer alive?"): its readers
 * report ABANDONED once it is gone, and a standby may then {@link ChannelWriter#resume} the mirror to become the
 * writer. Writes are idempotent: bytes before {@link #receivedPosition()} are skipped, so duplicate and overlapping
 * pieces after a resume are harmless. An end marker in the bytes ends the mirror as it ended the leader. Closing a
 * mirror leaves no end marker: only the leader ends a channel.
 * <p>
 * Not threadsafe: one thread writes, forces, runs the duty cycle and closes.
 */
public final class ChannelMirror implements AutoCloseable
{
    /**
     * The bytes start after {@link #receivedPosition()}: some are missing; resume from the received position.
     */
    public static final long GAP = -1;

    /**
     * The bytes hold a record header no writer of this channel writes, or are not aligned: nothing of them was
     * committed.
     */
    public static final long BAD_DATA = -2;

    /**
     * The mirror was closed, or taken over by a resumed writer.
     */
    public static final long CLOSED = -3;

    private final ChannelWriter writer;
    private final AtomicBuffer buffer;
    private final Path path;
    private final int capacity;
    private final int maxRecordLength;
    private final int recordAlignment;
    private final long headerDigest;
    private final long channelId;
    private final int journalFormatVersion;
    private long committedPosition;
    private long receivedPosition;
    private long pendingHeader;
    private long forcedPosition;
    private boolean isEnded;
    private int endMsgTypeId;
    private boolean isClosed;

    private ChannelMirror(
        final ChannelWriter writer, final Path path, final long channelId, final long headerDigest, final int capacity,
        final int maxRecordLength, final int recordAlignment, final long position, final boolean isEnded,
        final int journalFormatVersion)
    {
        this.writer = writer;
        this.buffer = null == writer ? null : writer.buffer();
        this.path = path;
        this.capacity = capacity;
        this.maxRecordLength = maxRecordLength;
        this.recordAlignment = recordAlignment;
        this.headerDigest = headerDigest;
        this.channelId = channelId;
        this.committedPosition = position;
        this.receivedPosition = position;
        this.isEnded = isEnded;
        this.journalFormatVersion = journalFormatVersion;
    }

    private static ChannelMirror of(final ChannelWriter writer)
    {
        return new ChannelMirror(writer, writer.path(), writer.channelId(),
            ChannelDigest.headerDigest(writer.buffer(), 0), writer.capacity(), writer.maxRecordLength(),
            writer.recordAlignment(), writer.position(), false,
            ChannelDescriptor.journalFormatVersion(writer.buffer(), 0));
    }

    /**
     * Create a mirror from its leader's header: the same channel id, writer id, capacity, maximum record length,
     * record alignment, timeout, creation time and journal format version, so the immutable header fields are
     * identical; the process fields name this process.
     * Creation is exclusive, as {@link ChannelWriter#create} is.
     *
     * @param path         of the mirror's file.
     * @param leaderHeader holding the leader's header.
     * @param offset       of the header in the buffer.
     * @return the mirror, at position 0.
     * @throws ChannelException when the header is not a valid channel header, or as {@link ChannelWriter#create}.
     */
    public static ChannelMirror create(final Path path, final DirectBuffer leaderHeader, final int offset)
    {
        return create(path, leaderHeader, offset, null, null);
    }

    /**
     * Create a mirror as {@link #create(Path, DirectBuffer, int)} does, in a spare file made ahead of need (allocated,
     * all zeros, of the channel's file length) through the given mapping of it: the spare is renamed and gets the
     * leader's header, so the mirror's thread neither allocates nor faults.
     *
     * @param path         of the mirror's file.
     * @param leaderHeader the leader's header bytes.
     * @param offset       of the header in the buffer.
     * @param spare        the spare file, all zeros, or null to allocate.
     * @param spareMapping the whole spare mapped read-write, owned by this call from now on; or null.
     * @return the mirror, at position 0.
     * @throws ChannelException as {@link #create(Path, DirectBuffer, int)} does.
     */
    public static ChannelMirror create(
        final Path path,
        final DirectBuffer leaderHeader,
        final int offset,
        final Path spare,
        final MappedByteBuffer spareMapping)
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER_LENGTH]);
        header.putBytes(0, leaderHeader, offset, HEADER_LENGTH);
        final ChannelHeaderDecoder leader = ChannelDescriptor.checkHeader(path, header, Long.MAX_VALUE);
        final ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .path(path)
            .channelId(leader.channelId())
            .writerId(leader.writerId())
            .capacity(leader.capacity())
            .maxRecordLength(leader.maxRecordLength())
            .recordAlignment(leader.recordAlignment())
            .timeoutMs(leader.timeoutMs())
            .journalFormatVersion(leader.journalFormatVersion()), leader.creationTimeMs(), spare, spareMapping, true);

        final ChannelMirror mirror = of(writer);
        if (mirror.headerDigest != ChannelDigest.headerDigest(header, 0))
        {
            writer.crash();
            ChannelFiles.deleteQuietly(path);
            throw new ChannelException(ChannelException.Reason.BAD_HEADER,
                "leader header has fields this version does not copy (reserved bytes not zero): file=" + path);
        }

        return mirror;
    }

    /**
     * Reopen a mirror after its process stopped or was killed, as {@link ChannelWriter#resume} reopens a channel:
     * the last committed record is found and what a killed mirror left after it is zeroed. A mirror that had ended
     * (its leader closed, filled or rolled the channel) opens ended.
     *
     * @param path of the mirror's file.
     * @return the mirror, positioned after its last committed record.
     * @throws ChannelException as {@link ChannelWriter#resume} throws it, except for an ended channel.
     */
    public static ChannelMirror open(final Path path)
    {
        try
        {
            final ChannelWriter writer = ChannelWriter.resume(new ChannelWriter.Context().path(path).preTouch(false));
            return of(writer);
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.ENDED != ex.reason())
            {
                throw ex;
            }
        }

        // Ended: nothing will be written, but the mirror still answers its positions and digest.
        try (ChannelReader reader = ChannelReader.open(path))
        {
            final ChannelState endState = reader.scanToEnd();
            final long endPosition = reader.position() + RecordDescriptor.HEADER_LENGTH;
            final ChannelMirror mirror = new ChannelMirror(null, path, reader.channelId(),
                ChannelDigest.headerDigest(reader.buffer(), 0), reader.capacity(), reader.maxRecordLength(),
                reader.recordAlignment(), endPosition, true,
                ChannelDescriptor.journalFormatVersion(reader.buffer(), 0));
            mirror.endMsgTypeId = endMsgTypeId(endState);
            mirror.forcedPosition = endPosition; // resume forced nothing, but an ended mirror is taken as it lies
            return mirror;
        }
    }

    /**
     * Whether a file exists at a mirror's path, to choose between {@link #create} and {@link #open}.
     *
     * @param path of the mirror's file.
     * @return true when a file exists there.
     */
    public static boolean exists(final Path path)
    {
        return Files.exists(path);
    }

    /**
     * Write the leader's bytes at their position and commit every record they complete. Bytes before
     * {@link #receivedPosition()} are skipped, as duplicates. Never allocates.
     *
     * @param position of the first byte in the leader's channel, a multiple of {@link RecordDescriptor#ALIGNMENT}.
     * @param src      holding the bytes.
     * @param offset   of the bytes in src.
     * @param length   of the bytes, a multiple of {@link RecordDescriptor#ALIGNMENT}.
     * @return the received position after the write, or {@link #GAP}, {@link #BAD_DATA} or {@link #CLOSED}.
     */
    public long write(final long position, final DirectBuffer src, final int offset, final int length)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        if (((position | length) & (RecordDescriptor.ALIGNMENT - 1)) != 0 || position < 0 || length < 0)
        {
            return BAD_DATA;
        }

        final long end = position + length;
        long received = receivedPosition;
        if (end <= received)
        {
            return received;
        }
        if (position > received)
        {
            return GAP;
        }
        if (isEnded)
        {
            return BAD_DATA; // bytes past an end marker: not this leader's channel
        }

        final AtomicBuffer buffer = this.buffer;
        long committed = committedPosition;
        while (received < end)
        {
            final int srcIndex = offset + (int)(received - position);
            if (received == committed)
            {
                // A record header: kept aside, stored last, when the record's body is all in.
                final long header = RecordDescriptor.littleEndian(src.getLong(srcIndex));
                if (!isValid(header, committed))
                {
                    receivedPosition = received;
                    return BAD_DATA;
                }
                pendingHeader = header;
                received += RecordDescriptor.HEADER_LENGTH;
            }
            else
            {
                final long recordEnd = committed + spanLength(pendingHeader);
                final int bodyLength = (int)(Math.min(end, recordEnd) - received);
                buffer.putBytes(HEADER_LENGTH + (int)received, src, srcIndex, bodyLength);
                received += bodyLength;
            }

            final int frameLength = RecordDescriptor.headerFrameLength(pendingHeader);
            if (received == committed + spanLength(pendingHeader))
            {
                final int msgTypeId = RecordDescriptor.headerMsgTypeId(pendingHeader);
                if (writer.commitMirrored(frameLength, msgTypeId) < 0)
                {
                    receivedPosition = committed;
                    close();
                    return CLOSED;
                }
                if (msgTypeId < 0)
                {
                    isEnded = true;
                    endMsgTypeId = msgTypeId;
                }
                committed = received;
                committedPosition = committed;
                if (isEnded && received < end)
                {
                    receivedPosition = received;
                    return BAD_DATA;
                }
            }
        }

        receivedPosition = received;
        return received;
    }

    /**
     * End the mirror as its leader's journal writer rolled the leader ({@link ChannelWriter#roll(DirectBuffer, int,
     * int)}): the seal, when the leader left one, at the end of the data region, then the ROLLED marker after the last
     * record with the single release store that publishes both. When the mirror already ended with CLOSED at that
     * place (the leader's journal was closed, then reopened), the CLOSED marker is turned into ROLLED as
     * {@link ChannelWriter#reopenAsRolled} turned the leader's. Idempotent: a mirror already ROLLED is left as it is.
     * The writer's mapping is released: nothing more is written to a rolled mirror. Cold path, once per segment.
     *
     * @param markerPosition position of the leader's ROLLED marker.
     * @param seal           holding the seal's bytes, as {@link ChannelSource#readRollSeal} copied them.
     * @param sealOffset     of the bytes in seal.
     * @param sealLength     of the seal's bytes, a multiple of 8, or 0 when the leader's channel has no seal.
     * @return the position after the marker, or {@link #GAP} when records before the marker are missing,
     * {@link #BAD_DATA} when the mirror ended otherwise or holds more than the leader, or {@link #CLOSED}.
     */
    public long roll(final long markerPosition, final DirectBuffer seal, final int sealOffset, final int sealLength)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        if (isEnded)
        {
            if (committedPosition != markerPosition + RecordDescriptor.HEADER_LENGTH)
            {
                return BAD_DATA;
            }
            if (RecordDescriptor.CLOSED_MSG_TYPE_ID == endMsgTypeId)
            {
                if (null != writer)
                {
                    writer.crash(); // the CLOSED marker is in place: unmap as it lies, then change it
                }
                final boolean isRolled = sealLength > 0 ?
                    ChannelWriter.reopenAsRolled(path, seal, sealOffset, sealLength) :
                    ChannelWriter.reopenAsRolledWithSeal(path, null, 0, 0);
                if (!isRolled)
                {
                    return BAD_DATA;
                }
                endMsgTypeId = RecordDescriptor.ROLLED_MSG_TYPE_ID;
            }
            return RecordDescriptor.ROLLED_MSG_TYPE_ID == endMsgTypeId ? committedPosition : BAD_DATA;
        }
        if (markerPosition > receivedPosition || receivedPosition != committedPosition)
        {
            return GAP;
        }
        if (markerPosition < committedPosition)
        {
            return BAD_DATA;
        }

        if (sealLength > 0)
        {
            writer.roll(seal, sealOffset, sealLength);
        }
        else
        {
            writer.roll();
        }
        if (!writer.isClosed() || writer.isTakenOver())
        {
            close();
            return CLOSED;
        }
        isEnded = true;
        endMsgTypeId = RecordDescriptor.ROLLED_MSG_TYPE_ID;
        committedPosition += RecordDescriptor.HEADER_LENGTH;
        receivedPosition = committedPosition;
        return committedPosition;
    }

    /**
     * How the mirror ended: OPEN until it holds an end marker, then CLOSED, FULL or ROLLED as the marker says.
     *
     * @return the state.
     */
    public ChannelState endState()
    {
        switch (endMsgTypeId)
        {
            case RecordDescriptor.CLOSED_MSG_TYPE_ID:
                return ChannelState.CLOSED;
            case RecordDescriptor.FULL_MSG_TYPE_ID:
                return ChannelState.FULL;
            case RecordDescriptor.ROLLED_MSG_TYPE_ID:
                return ChannelState.ROLLED;
            default:
                return ChannelState.OPEN;
        }
    }

    private static int endMsgTypeId(final ChannelState endState)
    {
        switch (endState)
        {
            case CLOSED:
                return RecordDescriptor.CLOSED_MSG_TYPE_ID;
            case FULL:
                return RecordDescriptor.FULL_MSG_TYPE_ID;
            case ROLLED:
                return RecordDescriptor.ROLLED_MSG_TYPE_ID;
            default:
                return 0;
        }
    }

    /**
     * Flush the committed records to storage, as {@link ChannelWriter#force()} does.
     *
     * @return the durable position: the end of the last committed record forced, the end marker included.
     */
    public long force()
    {
        if (!isClosed && null != writer && forcedPosition < committedPosition)
        {
            writer.force();
            forcedPosition = committedPosition;
        }
        return forcedPosition;
    }

    /**
     * Keep the mirror's heartbeat fresh, as {@link ChannelWriter#doWork()} does for a writer.
     *
     * @return work done.
     */
    public int doWork()
    {
        return isClosed || null == writer ? 0 : writer.doWork();
    }

    /**
     * End of the last record committed to the mirror, visible to its readers; the end marker included once the
     * mirror ended.
     *
     * @return the position.
     */
    public long position()
    {
        return committedPosition;
    }

    /**
     * End of the bytes received: the committed position, or past it inside a record whose body is not all in.
     *
     * @return the position.
     */
    public long receivedPosition()
    {
        return receivedPosition;
    }

    /**
     * End of what the last {@link #force()} flushed.
     *
     * @return the durable position.
     */
    public long forcedPosition()
    {
        return forcedPosition;
    }

    /**
     * Whether the mirror holds its leader's end marker: nothing more will come.
     *
     * @return true once ended.
     */
    public boolean isEnded()
    {
        return isEnded;
    }

    /**
     * Digest of the mirror's immutable header fields, as {@link ChannelDigest#headerDigest} computes it.
     *
     * @return the digest.
     */
    public long headerDigest()
    {
        return headerDigest;
    }

    /**
     * Digest of the mirror's data region from its start up to {@link #position()}, as
     * {@link ChannelDigest#dataDigest} computes it: what a follower says in its hello, for the leader to compare with
     * its own bytes. Cold path: reads every byte before the position; an ended mirror, whose writer's mapping is
     * released, is mapped read-only for the call.
     *
     * @return the digest.
     * @throws IllegalStateException when the mirror is closed.
     * @throws ChannelException      when an ended mirror's file cannot be opened.
     */
    public long dataDigest()
    {
        if (isClosed)
        {
            throw new IllegalStateException("mirror closed: " + path);
        }
        if (null != writer && !writer.isClosed())
        {
            return ChannelDigest.dataDigest(buffer, committedPosition);
        }
        try (ChannelReader reader = ChannelReader.open(path))
        {
            return ChannelDigest.dataDigest(reader.buffer(), committedPosition);
        }
    }

    /**
     * Journal format version in the mirror's header, its leader's: 0 unless the mirror is a journal's segment.
     *
     * @return the version.
     */
    public int journalFormatVersion()
    {
        return journalFormatVersion;
    }

    /**
     * Id of the mirrored channel.
     *
     * @return the channel id.
     */
    public long channelId()
    {
        return channelId;
    }

    /**
     * Capacity of the mirrored channel.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * Path of the mirror's file.
     *
     * @return the path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Unmap the file, leaving no end marker: the mirror's readers report ABANDONED once they reach its end, and it
     * can be reopened or resumed. Records are not forced here; call {@link #force()} first where they must be.
     * Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (null != writer)
            {
                writer.crash();
            }
        }
    }

    /**
     * Whether a record header at a position is one the leader's writer could have committed.
     */
    private boolean isValid(final long header, final long position)
    {
        final int frameLength = RecordDescriptor.headerFrameLength(header);
        final int msgTypeId = RecordDescriptor.headerMsgTypeId(header);
        if (msgTypeId < 0)
        {
            return RecordDescriptor.HEADER_LENGTH == frameLength && msgTypeId >= RecordDescriptor.ROLLED_MSG_TYPE_ID &&
                position <= capacity;
        }

        final int payloadLength = frameLength - RecordDescriptor.HEADER_LENGTH;
        return payloadLength >= 0 && payloadLength <= maxRecordLength &&
            RecordDescriptor.alignedLength(frameLength, recordAlignment) <= capacity - position;
    }

    /**
     * Bytes a valid header's record takes: its aligned length, or a header's alone for an end marker, which is never
     * padded (the trailer after a full channel holds one header).
     */
    private int spanLength(final long header)
    {
        return RecordDescriptor.headerMsgTypeId(header) < 0 ? RecordDescriptor.HEADER_LENGTH :
            RecordDescriptor.alignedLength(RecordDescriptor.headerFrameLength(header), recordAlignment);
    }
}
