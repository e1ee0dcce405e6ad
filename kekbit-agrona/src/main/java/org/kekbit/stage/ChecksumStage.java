package org.kekbit.stage;

import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static org.agrona.BitUtil.SIZE_OF_INT;

/**
 * Guards each payload with a CRC-32C: 4 bytes, little endian. Readers check it with
 * {@link #isValid(DirectBuffer, int, int, int)} to catch payloads damaged after they were committed.
 */
public final class ChecksumStage implements RecordStage
{
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
        buffer.putInt(offset, checksum(buffer, payloadOffset, payloadLength), ByteOrder.LITTLE_ENDIAN);
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
        return buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN) == checksum(buffer, payloadOffset, payloadLength);
    }

    private static int checksum(final DirectBuffer buffer, final int payloadOffset, final int payloadLength)
    {
        final CRC32C crc = new CRC32C();
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            crc.update(array, (int)(buffer.wrapAdjustment() + payloadOffset), payloadLength);
            return (int)crc.getValue();
        }

        // Not Agrona's Crc32c: it needs --add-opens java.base/java.util.zip, a second JVM flag, or it fails with
        // an Error on first use. The byte-wise update of the JDK's CRC32C gives the same value with no flag.
        final int limit = payloadOffset + payloadLength;
        for (int i = payloadOffset; i < limit; i++)
        {
            crc.update(buffer.getByte(i));
        }
        return (int)crc.getValue();
    }
}
