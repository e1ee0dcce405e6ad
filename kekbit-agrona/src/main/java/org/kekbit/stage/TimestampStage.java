package org.kekbit.stage;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.EpochNanoClock;

import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Stamps each record with the time it was written: 8 bytes, epoch nanoseconds, little endian.
 * <p>
 * The clock is read once per record, so it must not allocate: Agrona's
 * {@link org.agrona.concurrent.OffsetEpochNanoClock} ({@code System.nanoTime()} plus an offset) does not.
 * {@link org.agrona.concurrent.SystemEpochNanoClock} reads {@code Instant.now()}, which allocated 24 bytes per record
 * on JDK 17 (escape analysis did not remove the {@code Instant}) and costs a call into the VM.
 */
public final class TimestampStage implements RecordStage
{
    private final EpochNanoClock clock;

    /**
     * Stamp with a clock.
     *
     * @param clock to read for each record.
     */
    public TimestampStage(final EpochNanoClock clock)
    {
        this.clock = clock;
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
        buffer.putLong(offset, clock.nanoTime(), ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Read a timestamp this stage wrote.
     *
     * @param buffer holding the record.
     * @param offset of this stage's bytes.
     * @return the timestamp in epoch nanoseconds.
     */
    public static long timestampNs(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }
}
