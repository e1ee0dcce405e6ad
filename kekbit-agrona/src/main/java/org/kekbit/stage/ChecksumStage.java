package org.kekbit.stage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static org.agrona.BitUtil.SIZE_OF_INT;

/**
 * Guards each payload with a CRC-32C: 4 bytes, little endian. Readers check it with
 * {@link #matches(DirectBuffer, int, int, int)} on a reused stage (no allocation) or the static
 * {@link #isValid(DirectBuffer, int, int, int)}, to catch payloads damaged after they were committed.
 * <p>
 * The JDK's {@link CRC32C} computes it (an intrinsic), not Agrona's {@code Crc32c}, which would need a second JVM
 * flag ({@code --add-opens java.base/java.util.zip}). Not threadsafe: one instance per thread.
 */
public final class ChecksumStage implements RecordStage
{
    private final CRC32C crc = new CRC32C();

    /**
     * {@inheritDoc}
     */
    public int length()
    {
        return SIZE_OF_INT;
    }

    /**
     * {@inheritDoc}
     */
    public void apply(
        final MutableDirectBuffer buffer, final int offset, final int payloadOffset, final int payloadLength)
    {
        buffer.putInt(offset, checksum(crc, buffer, payloadOffset, payloadLength), ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Whether a payload still matches the checksum this stage wrote for it, without allocating.
     *
     * @param buffer        holding the record.
     * @param offset        of this stage's bytes.
     * @param payloadOffset of the payload.
     * @param payloadLength of the payload.
     * @return true when it matches.
     */
    public boolean matches(
        final DirectBuffer buffer, final int offset, final int payloadOffset, final int payloadLength)
    {
        return buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN) == checksum(crc, buffer, payloadOffset, payloadLength);
    }

    /**
     * Whether a payload still matches the checksum this stage wrote for it.
     *
     * @param buffer        holding the record.
     * @param offset        of this stage's bytes.
     * @param payloadOffset of the payload.
     * @param payloadLength of the payload.
     * @return true when it matches.
     */
    public static boolean isValid(
        final DirectBuffer buffer, final int offset, final int payloadOffset, final int payloadLength)
    {
        return new ChecksumStage().matches(buffer, offset, payloadOffset, payloadLength);
    }

    private static int checksum(
        final CRC32C crc, final DirectBuffer buffer, final int payloadOffset, final int payloadLength)
    {
        crc.reset();
        final byte[] array = buffer.byteArray();
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (null != array)
        {
            crc.update(array, buffer.wrapAdjustment() + payloadOffset, payloadLength);
        }
        else if (null != byteBuffer)
        {
            // Channels only ever use absolute access to their mapping, so its position and limit are free to borrow.
            final int index = buffer.wrapAdjustment() + payloadOffset;
            final int position = byteBuffer.position();
            final int limit = byteBuffer.limit();
            byteBuffer.limit(index + payloadLength).position(index);
            crc.update(byteBuffer);
            byteBuffer.limit(limit).position(position);
        }
        else
        {
            final int end = payloadOffset + payloadLength;
            for (int i = payloadOffset; i < end; i++)
            {
                crc.update(buffer.getByte(i));
            }
        }

        return (int)crc.getValue();
    }
}
