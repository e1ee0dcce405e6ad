package org.kekbit.stage;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Numbers records consecutively: 8 bytes, little endian. A reader that sees a gap knows records were lost on the
 * way into the channel, and a restarted writer can carry the numbering on.
 */
public final class SequenceStage implements RecordStage
{
    private long nextSequence;

    /**
     * Number records starting from a value.
     *
     * @param initialSequence of the first record.
     */
    public SequenceStage(final long initialSequence)
    {
        this.nextSequence = initialSequence;
    }

    /**
     * {@inheritDoc}
     */
    public int length()
    {
        return SIZE_OF_LONG;
    }

    /**
     * {@inheritDoc}
     */
    public void apply(final MutableDirectBuffer buffer, final int offset, final int payloadOffset, final int length)
    {
        buffer.putLong(offset, nextSequence++, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Sequence the next record will get.
     *
     * @return the next sequence.
     */
    public long nextSequence()
    {
        return nextSequence;
    }

    /**
     * Read a sequence this stage wrote.
     *
     * @param buffer holding the record.
     * @param offset of this stage's bytes.
     * @return the sequence.
     */
    public static long sequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }
}
