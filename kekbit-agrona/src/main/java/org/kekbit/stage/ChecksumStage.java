package org.kekbit.stage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static org.agrona.BitUtil.SIZE_OF_INT;

/**
 * Guards each payload with a CRC-32C: 4 bytes, little endian. Readers check a record with
 * {@link #matches(DirectBuffer, int, int, int)} on a stage they keep, to catch payloads damaged after they were
 * committed:
 * <pre>{@code
 * final ChecksumStage checksum = new ChecksumStage(); // one per reading thread, reused for every record
 * reader.poll((msgTypeId, buffer, offset, length) ->
 * {
 *     final boolean isIntact = checksum.matches(buffer, offset + stagedWriter.stageOffset(CHECKSUM_STAGE),
 *         offset + stagedWriter.stagesLength(), length - stagedWriter.stagesLength());
 * }, 10);
 * }</pre>
 * The JDK's {@link CRC32C} computes it, not Agrona's {@code Crc32c}, which would need a second JVM flag
 * ({@code --add-opens java.base/java.util.zip}). The JDK's is an intrinsic over a byte array or a direct
 * {@link ByteBuffer}, so the stage reads the bytes in place when the buffer has either: the records a
 * {@link StagedWriter} writes and a {@link org.kekbit.channel.ChannelReader} delivers, or copies on the heap. A buffer
 * that wraps only a raw address ({@link org.kekbit.channel.RecordClaim#buffer()}, for one) is copied through a
 * scratch array of {@value #SCRATCH_LENGTH} bytes, allocated on first need, a chunk at a time; a direct buffer's
 * position and limit are borrowed for the call and put back.
 * <p>
 * Not threadsafe: one instance per thread. There is no static check because {@link CRC32C} holds its running value:
 * a shared one would mix the bytes of concurrent callers, and a new one per call would allocate.
 */
public final class ChecksumStage implements RecordStage
{
    /**
     * Bytes copied at a time out of a buffer that wraps only an address.
     */
    public static final int SCRATCH_LENGTH = 4096;

    private final CRC32C crc = new CRC32C();
    private byte[] scratch;

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
        return buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN) == checksum(buffer, payloadOffset, payloadLength);
    }

    private int checksum(final DirectBuffer buffer, final int payloadOffset, final int payloadLength)
    {
        final CRC32C crc = this.crc;
        crc.reset();
        final byte[] array = buffer.byteArray();
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (null != array)
        {
            crc.update(array, buffer.wrapAdjustment() + payloadOffset, payloadLength);
        }
        else if (null != byteBuffer)
        {
            // Channels use only absolute access to their mappings; a StagedWriter's view belongs to its own claim.
            final int index = buffer.wrapAdjustment() + payloadOffset;
            final int position = byteBuffer.position();
            final int limit = byteBuffer.limit();
            byteBuffer.limit(index + payloadLength).position(index);
            crc.update(byteBuffer);
            byteBuffer.limit(limit).position(position);
        }
        else
        {
            updateByCopy(crc, buffer, payloadOffset, payloadLength);
        }

        return (int)crc.getValue();
    }

    private void updateByCopy(
        final CRC32C crc, final DirectBuffer buffer, final int payloadOffset, final int payloadLength)
    {
        byte[] scratch = this.scratch;
        if (null == scratch)
        {
            scratch = new byte[SCRATCH_LENGTH];
            this.scratch = scratch;
        }

        int index = payloadOffset;
        int remaining = payloadLength;
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
