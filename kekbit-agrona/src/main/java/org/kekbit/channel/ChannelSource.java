package org.kekbit.channel;

import java.nio.file.Path;

import org.agrona.CloseHelper;
import org.agrona.MutableDirectBuffer;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;

/**
 * The committed bytes of a channel as they lie in its file, from any record boundary, for copying the channel
 * elsewhere byte for byte (a replica on another host). It is a reader of the channel, so it runs in the writer's
 * process or in any process beside it, and never slows the writer.
 * <p>
 * {@link #poll(BlockHandler, int)} hands out whole committed records as one byte range, never a partial record,
 * and then the end marker, if the writer left one, as a last block of {@link RecordDescriptor#HEADER_LENGTH} bytes,
 * so a copy ends exactly as the original does. The buffer handed to the handler is the read-only mapping, and
 * committed bytes never change: a caller may keep sending from {@code (buffer, offset)} after the call, until it
 * closes the source.
 * <p>
 * Not threadsafe: one thread polls, seeks and closes.
 */
public final class ChannelSource implements AutoCloseable
{
    private final ChannelReader reader;
    private boolean isEndMarkerSent;

    private ChannelSource(final ChannelReader reader)
    {
        this.reader = reader;
    }

    /**
     * Open a channel as a source, at position 0.
     *
     * @param ctx of the reader under the source.
     * @return the source.
     * @throws ChannelException as {@link ChannelReader#open(ChannelReader.Context)} does.
     */
    public static ChannelSource open(final ChannelReader.Context ctx)
    {
        return new ChannelSource(ChannelReader.open(ctx));
    }

    /**
     * Open a channel file as a source, at position 0.
     *
     * @param file of the channel.
     * @return the source.
     * @throws ChannelException as {@link ChannelReader#open(Path)} does.
     */
    public static ChannelSource open(final Path file)
    {
        return new ChannelSource(ChannelReader.open(file));
    }

    /**
     * Deliver the bytes committed after the position: whole records, at most {@code blockLengthLimit} bytes of them
     * (or the first record alone when it is longer), or the end marker alone once every record before it was
     * delivered. Never blocks, never allocates.
     *
     * @param handler          to call with the block.
     * @param blockLengthLimit most bytes to deliver when the first record is shorter.
     * @return the number of bytes delivered, 0 when nothing new is committed, or when the channel ended and its end
     * marker was delivered, or when it is CORRUPT (see {@link #state()}).
     */
    public int poll(final BlockHandler handler, final int blockLengthLimit)
    {
        final int length = reader.blockPoll(handler, blockLengthLimit);
        if (length > 0 || isEndMarkerSent)
        {
            return length;
        }

        final ChannelState endState = reader.endState();
        if (ChannelState.CLOSED == endState || ChannelState.FULL == endState || ChannelState.ROLLED == endState)
        {
            isEndMarkerSent = true;
            final long position = reader.position();
            handler.onBlock(reader.buffer(), HEADER_LENGTH + (int)position, RecordDescriptor.HEADER_LENGTH, position);
            return RecordDescriptor.HEADER_LENGTH;
        }

        return 0;
    }

    /**
     * Move to the end of a committed record, or 0, or just after the end marker (a copy that holds it already), to
     * deliver from there.
     *
     * @param position to move to.
     * @throws IllegalArgumentException when the position is not the end of a committed record nor of the end marker.
     * @throws IllegalStateException    when the source is closed or the channel CORRUPT.
     */
    public void seek(final long position)
    {
        try
        {
            reader.seek(position);
            isEndMarkerSent = false;
        }
        catch (final IllegalArgumentException ex)
        {
            if (position < RecordDescriptor.HEADER_LENGTH)
            {
                throw ex;
            }
            reader.seek(position - RecordDescriptor.HEADER_LENGTH);
            final ChannelState endState = reader.endState();
            if (ChannelState.CLOSED != endState && ChannelState.FULL != endState && ChannelState.ROLLED != endState)
            {
                throw ex;
            }
            isEndMarkerSent = true;
        }
    }

    /**
     * Position after the bytes delivered so far, the end marker included once delivered.
     *
     * @return the position.
     */
    public long position()
    {
        return reader.position() + (isEndMarkerSent ? RecordDescriptor.HEADER_LENGTH : 0);
    }

    /**
     * Position after every byte committed now, the end marker included: {@link #position()} once all is delivered.
     * Walks the records not yet delivered, so it costs time in proportion to them.
     *
     * @return the position.
     */
    public long committedPosition()
    {
        final long committed = reader.committedPosition();
        final ChannelState endState = reader.endState();
        final boolean isEnded =
            ChannelState.CLOSED == endState || ChannelState.FULL == endState || ChannelState.ROLLED == endState;
        return committed + (isEnded ? RecordDescriptor.HEADER_LENGTH : 0);
    }

    /**
     * Whether the end marker was delivered: nothing more will come.
     *
     * @return true once the end marker was delivered.
     */
    public boolean isEnded()
    {
        return isEndMarkerSent;
    }

    /**
     * How the channel ended as far as this source has delivered: OPEN until an end marker or a bad record, then
     * CLOSED, FULL, ROLLED or CORRUPT, as {@link ChannelReader#endState()} reports it. One field load.
     *
     * @return the state.
     */
    public ChannelState endState()
    {
        return reader.endState();
    }

    /**
     * Look again at a CLOSED end marker already delivered: a journal's writer that reopens a journal turns it into
     * ROLLED ({@link ChannelWriter#reopenAsRolled}). When it did, the next {@link #poll} delivers the marker again,
     * now ROLLED. One header load.
     *
     * @return the end state now.
     */
    public ChannelState recheckEnd()
    {
        if (isEndMarkerSent && ChannelState.CLOSED == reader.endState())
        {
            reader.seek(reader.position());
            if (ChannelState.CLOSED != reader.endState())
            {
                isEndMarkerSent = false;
            }
        }
        return reader.endState();
    }

    /**
     * Copy the seal a journal's writer left with the ROLLED marker, as
     * {@link ChannelReader#readRollSeal(MutableDirectBuffer, int, int)} does.
     *
     * @param dst        to copy into.
     * @param dstOffset  in dst.
     * @param sealLength of the seal's fields, a multiple of 8, without the marker's position after them.
     * @return true when the channel ended with ROLLED and a seal of that length.
     */
    public boolean readRollSeal(final MutableDirectBuffer dst, final int dstOffset, final int sealLength)
    {
        return reader.readRollSeal(dst, dstOffset, sealLength);
    }

    /**
     * State of the channel at the position, as {@link ChannelReader#state()} reports it.
     *
     * @return the state.
     */
    public ChannelState state()
    {
        return reader.state();
    }

    /**
     * Why the channel is CORRUPT at the position.
     *
     * @return the description, or null.
     */
    public String corruption()
    {
        return reader.corruption();
    }

    /**
     * Copy the channel's header bytes, {@link ChannelDescriptor#HEADER_LENGTH} of them.
     *
     * @param dst    to copy into.
     * @param offset in dst.
     */
    public void headerBytes(final MutableDirectBuffer dst, final int offset)
    {
        dst.putBytes(offset, reader.buffer(), 0, HEADER_LENGTH);
    }

    /**
     * Digest of the channel's immutable header fields, as {@link ChannelDigest#headerDigest} computes it.
     *
     * @return the digest.
     */
    public long headerDigest()
    {
        return ChannelDigest.headerDigest(reader.buffer(), 0);
    }

    /**
     * Digest of the channel's data region from its start up to a position, as {@link ChannelDigest#dataDigest}
     * computes it: what a leader compares with the digest a follower says in its hello. Cold path: reads every byte
     * before the position, allocates a view.
     *
     * @param position end of the bytes covered: a position this source can {@link #seek} to (committed bytes never
     *                 change; bytes past the committed ones do).
     * @return the digest.
     * @throws IllegalArgumentException when the position is negative or past the channel.
     */
    public long dataDigest(final long position)
    {
        return ChannelDigest.dataDigest(reader.buffer(), position);
    }

    /**
     * Journal format version in the channel's header: 0 unless the channel is a journal's segment.
     *
     * @return the version.
     */
    public int journalFormatVersion()
    {
        return reader.header().journalFormatVersion();
    }

    /**
     * Id of the channel.
     *
     * @return the channel id.
     */
    public long channelId()
    {
        return reader.channelId();
    }

    /**
     * Capacity of the channel's data region.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return reader.capacity();
    }

    /**
     * Longest payload a record may have.
     *
     * @return the maximum record length.
     */
    public int maxRecordLength()
    {
        return reader.maxRecordLength();
    }

    /**
     * Path of the channel's file.
     *
     * @return the path.
     */
    public Path path()
    {
        return reader.path();
    }

    /**
     * Unmap the file. Idempotent.
     */
    public void close()
    {
        CloseHelper.close(reader);
    }
}
