package org.kekbit.image;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;

/**
 * Where a {@link StateMachine} writes its state as records, in {@link StateMachine#writeSnapshot(SnapshotWriter)}.
 * The records go into a snapshot file between the image's BEGIN and END markers, each counted into the END marker's
 * checksum. Two ways in, which a snapshot may mix: {@link #write} copies a record from a buffer;
 * {@link #tryClaim(int, int, SnapshotClaim)} claims the room in the snapshot file for the state machine to encode the
 * record in place (SBE encoders straight into the file, no buffer and no copy), then commit it. A snapshot file has a
 * fixed capacity: when a record does not fit, {@link #write} and {@link #tryClaim} return false, the state machine
 * stops, and the image writes the snapshot again into a file twice as large.
 * <p>
 * Not threadsafe: it belongs to the thread taking the snapshot.
 */
public final class SnapshotWriter
{
    private final SnapshotChecksum checksum = new SnapshotChecksum();
    private final UnsafeBuffer markerBuffer = new UnsafeBuffer(new byte[ImageDescriptor.END_LENGTH]);
    private ChannelWriter channel;
    private long position;
    private long recordCount;
    private long payloadBytes;
    private boolean isFull;

    SnapshotWriter()
    {
    }

    /**
     * Append one record of the state.
     *
     * @param msgTypeId of the record, from 0 to below {@link ImageDescriptor#RESERVED_MSG_TYPE_ID_FROM}.
     * @param buffer    holding the payload.
     * @param offset    of the payload in buffer.
     * @param length    of the payload.
     * @return true when written; false when the snapshot file is full, after which nothing more is written: return
     * from {@link StateMachine#writeSnapshot(SnapshotWriter)} and it is called again with a larger file.
     * @throws IllegalArgumentException when the type id is negative or reserved, or the length negative.
     * @throws IllegalStateException    when a claim is outstanding.
     */
    public boolean write(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        checkRecord(msgTypeId);
        if (!hasRoomFor(length))
        {
            return false;
        }
        final long result = channel.write(msgTypeId, buffer, offset, length);
        if (result < 0)
        {
            isFull = true;
            return false;
        }
        checksum.updateRecordHeader(msgTypeId, length);
        checksum.update(buffer, offset, length);
        recordCount++;
        payloadBytes += length;
        return true;
    }

    /**
     * Claim room for one record of the state, to encode in place and then {@link SnapshotClaim#commit()} (which counts
     * it into the checksum as {@link #write} does) or {@link SnapshotClaim#abort()}, before the next write or claim.
     *
     * @param msgTypeId of the record, from 0 to below {@link ImageDescriptor#RESERVED_MSG_TYPE_ID_FROM}.
     * @param length    of the payload to claim: the most the record can take, when it is committed shorter.
     * @param claim     to wrap around the claimed payload.
     * @return true when claimed; false when the snapshot file is full, after which nothing more is written: return
     * from {@link StateMachine#writeSnapshot(SnapshotWriter)} and it is called again with a larger file.
     * @throws IllegalArgumentException when the type id is negative or reserved, or the length negative.
     * @throws IllegalStateException    when a claim is outstanding.
     */
    public boolean tryClaim(final int msgTypeId, final int length, final SnapshotClaim claim)
    {
        checkRecord(msgTypeId);
        if (length < 0)
        {
            throw new IllegalArgumentException("snapshot record length must not be negative: " + length);
        }
        if (!hasRoomFor(length))
        {
            return false;
        }
        final long result = channel.tryClaim(msgTypeId, length, claim.recordClaim);
        if (result < 0)
        {
            isFull = true;
            return false;
        }
        // A reference store into an old object costs G1 a fence: store only when the claim changes writers.
        if (claim.writer != this)
        {
            claim.writer = this;
        }
        claim.msgTypeId = msgTypeId;
        return true;
    }

    /**
     * Journal position of the state being written: every command up to it is in the snapshot.
     *
     * @return the position.
     */
    public long position()
    {
        return position;
    }

    /**
     * Records written so far.
     *
     * @return the count.
     */
    public long recordCount()
    {
        return recordCount;
    }

    /**
     * Start writing a snapshot into a new channel: its BEGIN marker.
     *
     * @return false when even the BEGIN marker does not fit.
     */
    boolean begin(final ChannelWriter channel, final long position, final long creationTimeMs)
    {
        this.channel = channel;
        this.position = position;
        recordCount = 0;
        payloadBytes = 0;
        isFull = false;
        checksum.reset();
        ImageDescriptor.writeBegin(markerBuffer, 0, position, creationTimeMs);
        checksum.update(markerBuffer, 0, ImageDescriptor.BEGIN_LENGTH);
        final long needed = alignedLength(ImageDescriptor.BEGIN_LENGTH) + alignedLength(ImageDescriptor.END_LENGTH);
        if (needed > channel.remaining())
        {
            isFull = true;
            return false;
        }
        return channel.write(ImageDescriptor.BEGIN_MSG_TYPE_ID, markerBuffer, 0, ImageDescriptor.BEGIN_LENGTH) > 0;
    }

    /**
     * End the snapshot: its END marker, always room for it unless the snapshot is full.
     *
     * @return false when the snapshot is full and must be written again into a larger file.
     */
    boolean end()
    {
        if (isFull)
        {
            return false;
        }
        ImageDescriptor.writeEnd(markerBuffer, 0, position, recordCount, payloadBytes, checksum.value());
        final boolean isWritten =
            channel.write(ImageDescriptor.END_MSG_TYPE_ID, markerBuffer, 0, ImageDescriptor.END_LENGTH) > 0;
        channel = null;
        return isWritten;
    }

    void commit(final SnapshotClaim claim, final int length)
    {
        checksum.updateRecordHeader(claim.msgTypeId, length);
        checksum.update(claim.payloadView(length));
        claim.recordClaim.commit(length);
        recordCount++;
        payloadBytes += length;
    }

    private void checkRecord(final int msgTypeId)
    {
        if (msgTypeId < 0 || msgTypeId >= ImageDescriptor.RESERVED_MSG_TYPE_ID_FROM)
        {
            throw new IllegalArgumentException("snapshot record type id out of range: expected 0.." +
                (ImageDescriptor.RESERVED_MSG_TYPE_ID_FROM - 1) + ", actual=" + msgTypeId);
        }
        if (channel.isClaimOutstanding())
        {
            throw new IllegalStateException("a snapshot claim is outstanding: commit or abort it first");
        }
    }

    private int alignedLength(final int payloadLength)
    {
        return RecordDescriptor.alignedLength(RecordDescriptor.frameLength(payloadLength), channel.recordAlignment());
    }

    /**
     * Whether a record of the length fits with room kept for the END marker after it, so a snapshot that took every
     * record can always end; when not, the snapshot is full from then on.
     */
    private boolean hasRoomFor(final int length)
    {
        if (isFull)
        {
            return false;
        }
        final long needed = alignedLength(length) + alignedLength(ImageDescriptor.END_LENGTH);
        if (length > channel.maxRecordLength() || needed > channel.remaining())
        {
            isFull = true;
            return false;
        }
        return true;
    }

    /**
     * The state machine has returned from writing its state.
     *
     * @return false when the snapshot is full and must be written again into a larger file.
     * @throws IllegalStateException when it left a claim outstanding: a defect in the state machine, never a snapshot.
     */
    boolean finishState()
    {
        if (channel.isClaimOutstanding())
        {
            throw new IllegalStateException("writeSnapshot returned with a snapshot claim outstanding: " +
                "commit or abort it, position=" + position);
        }
        return !isFull;
    }

    long payloadBytes()
    {
        return payloadBytes;
    }
}
