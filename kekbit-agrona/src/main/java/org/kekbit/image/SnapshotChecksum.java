package org.kekbit.image;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;

/**
 * The running CRC-32C of a snapshot (see {@link ImageDescriptor}), over buffers of any kind without allocating after
 * the first use: the JDK's intrinsic straight over a byte array or a direct {@link ByteBuffer}, through a scratch array
 * for a buffer that wraps only an address. Not threadsafe.
 */
final class SnapshotChecksum
{
    private static final int SCRATCH_LENGTH = 4096;

    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[SCRATCH_LENGTH];

    void reset()
    {
        crc.reset();
    }

    int value()
    {
        return (int)crc.getValue();
    }

    void updateRecordHeader(final int msgTypeId, final int length)
    {
        final byte[] scratch = this.scratch;
        putIntLittleEndian(scratch, 0, msgTypeId);
        putIntLittleEndian(scratch, 4, length);
        crc.update(scratch, 0, 8);
    }

    void update(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] array = buffer.byteArray();
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (null != array)
        {
            crc.update(array, buffer.wrapAdjustment() + offset, length);
        }
        else if (null != byteBuffer && byteBuffer.isDirect())
        {
            // Channels use only absolute access to their mappings: position and limit are borrowed, then put back.
            final int index = buffer.wrapAdjustment() + offset;
            final int position = byteBuffer.position();
            final int limit = byteBuffer.limit();
            byteBuffer.limit(index + length).position(index);
            crc.update(byteBuffer);
            byteBuffer.limit(limit).position(position);
        }
        else
        {
            int index = offset;
            int remaining = length;
            while (remaining > 0)
            {
                final int chunkLength = Math.min(remaining, SCRATCH_LENGTH);
                buffer.getBytes(index, scratch, 0, chunkLength);
                crc.update(scratch, 0, chunkLength);
                index += chunkLength;
                remaining -= chunkLength;
            }
        }
    }

    /**
     * Count the bytes from a buffer's position to its limit, which it leaves at its limit.
     */
    void update(final ByteBuffer byteBuffer)
    {
        crc.update(byteBuffer);
    }

    private static void putIntLittleEndian(final byte[] bytes, final int index, final int value)
    {
        bytes[index] = (byte)value;
        bytes[index + 1] = (byte)(value >>> 8);
        bytes[index + 2] = (byte)(value >>> 16);
        bytes[index + 3] = (byte)(value >>> 24);
    }
}
