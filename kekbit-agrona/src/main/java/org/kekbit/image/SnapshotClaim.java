package org.kekbit.image;

import java.nio.ByteBuffer;

import org.agrona.MutableDirectBuffer;
import org.kekbit.channel.RecordClaim;

/**
 * A record of the state claimed in a snapshot with {@link SnapshotWriter#tryClaim(int, int, SnapshotClaim)}, to encode
 * in place (an SBE encoder straight into the snapshot file): encode into {@link #buffer()} from {@link #offset()},
 * then {@link #commit()}, which counts the record into the END marker's checksum and publishes it, or
 * {@link #abort()}. Committed and written records are the same thing in the file: a snapshot may mix them.
 * <pre>{@code
 * public void writeSnapshot(final SnapshotWriter writer)
 * {
 *     if (writer.tryClaim(ACCOUNT_TYPE_ID, encoder.sbeBlockLength(), claim)) // a claim held by the state machine
 *     {
 *         encoder.wrap(claim.buffer(), claim.offset()).id(id).balance(balance);
 *         claim.commit();
 *     }
 * }
 * }</pre>
 * One claim can be reused for any number of records and snapshots; it holds no memory of its own. Commit or abort
 * it before the next write or claim, and before returning from {@link StateMachine#writeSnapshot(SnapshotWriter)}.
 * <p>
 * Not threadsafe: it belongs to the thread taking the snapshot.
 */
public final class SnapshotClaim
{
    final RecordClaim recordClaim = new RecordClaim();
    SnapshotWriter writer;
    int msgTypeId;

    /**
     * Buffer to encode the record into; it spans exactly the claimed payload.
     *
     * @return the buffer.
     */
    public MutableDirectBuffer buffer()
    {
        return recordClaim.buffer();
    }

    /**
     * Offset of the payload in {@link #buffer()}.
     *
     * @return the offset, always 0.
     */
    public int offset()
    {
        return recordClaim.offset();
    }

    /**
     * Length of the claimed payload.
     *
     * @return the length in bytes.
     */
    public int length()
    {
        return recordClaim.length();
    }

    /**
     * Count the record into the snapshot's checksum and publish it.
     *
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public void commit()
    {
        checkedWriter().commit(this, recordClaim.length());
    }

    /**
     * Count and publish the record with a shorter payload than claimed (SBE groups and var data): the unused tail
     * goes back to the snapshot file.
     *
     * @param length of the payload to publish, from 0 to {@link #length()}.
     * @throws IllegalStateException    if the claim is not outstanding.
     * @throws IllegalArgumentException if the length is negative or more than was claimed.
     */
    public void commit(final int length)
    {
        final SnapshotWriter writer = checkedWriter();
        if (length < 0 || length > recordClaim.length())
        {
            throw new IllegalArgumentException("length out of range: expected 0.." + recordClaim.length() +
                ", actual=" + length);
        }
        writer.commit(this, length);
    }

    /**
     * Give the claimed space back: nothing is written or counted.
     *
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public void abort()
    {
        checkedWriter();
        recordClaim.abort();
    }

    /**
     * Whether the claim is outstanding.
     *
     * @return true while claimed and neither committed nor aborted.
     */
    public boolean isOutstanding()
    {
        return null != writer && recordClaim.isOutstanding();
    }

    /**
     * The claimed payload as a direct view for the checksum: the JDK's CRC-32C intrinsic reads it in place.
     */
    ByteBuffer payloadView(final int length)
    {
        final ByteBuffer view = recordClaim.byteBuffer();
        view.limit(view.position() + length);
        return view;
    }

    private SnapshotWriter checkedWriter()
    {
        if (!isOutstanding())
        {
            throw new IllegalStateException("no outstanding claim: it was committed, aborted or its snapshot ended");
        }
        return writer;
    }
}
