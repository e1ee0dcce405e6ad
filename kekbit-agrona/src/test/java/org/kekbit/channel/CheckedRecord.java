package org.kekbit.channel;

import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Payload of the records the multi-process tests write and verify: a sequence number, a body whose length varies
 * with the sequence so records take every padding, and a CRC32C over both.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     Sequence (8 bytes)                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                Body (0..MAX_BODY_LENGTH bytes)               ...
 *  +---------------------------------------------------------------+
 *  |                CRC32C of sequence and body                    |
 *  +---------------------------------------------------------------+
 * </pre>
 * All fields are little endian. Not threadsafe: one instance per writer or reader, it reuses a scratch array.
 */
final class CheckedRecord
{
    static final int MSG_TYPE_ID = 7;
    static final int SEQUENCE_OFFSET = 0;
    static final int BODY_OFFSET = SEQUENCE_OFFSET + SIZE_OF_LONG;
    static final int MAX_BODY_LENGTH = 61;
    static final int MAX_LENGTH = BODY_OFFSET + MAX_BODY_LENGTH + SIZE_OF_INT;

    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[MAX_LENGTH];

    static int length(final long sequence)
    {
        return BODY_OFFSET + bodyLength(sequence) + SIZE_OF_INT;
    }

    /**
     * Encode the record of a sequence number.
     *
     * @return the length of the payload.
     */
    int encode(final MutableDirectBuffer buffer, final int offset, final long sequence)
    {
        final int bodyLength = bodyLength(sequence);
        final int checksumOffset = BODY_OFFSET + bodyLength;
        for (int i = 0; i < SIZE_OF_LONG; i++)
        {
            scratch[SEQUENCE_OFFSET + i] = (byte)(sequence >>> (8 * i));
        }
        for (int i = 0; i < bodyLength; i++)
        {
            scratch[BODY_OFFSET + i] = (byte)(sequence * 31 + i * 13);
        }
        crc.reset();
        crc.update(scratch, 0, checksumOffset);

        buffer.putBytes(offset, scratch, 0, checksumOffset);
        buffer.putInt(offset + checksumOffset, (int)crc.getValue(), ByteOrder.LITTLE_ENDIAN);
        return checksumOffset + SIZE_OF_INT;
    }

    /**
     * Check a payload is the intact record of the expected sequence number.
     *
     * @return null when it is, otherwise what is wrong with it.
     */
    String verify(final DirectBuffer buffer, final int offset, final int length, final long expectedSequence)
    {
        if (length < BODY_OFFSET + SIZE_OF_INT || length > MAX_LENGTH)
        {
            return "bad length=" + length + " for expected sequence=" + expectedSequence;
        }

        final long sequence = buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (sequence != expectedSequence)
        {
            return "out of order: expected sequence=" + expectedSequence + ", actual=" + sequence;
        }
        if (length != length(sequence))
        {
            return "bad length: expected=" + length(sequence) + ", actual=" + length + ", sequence=" + sequence;
        }

        final int checksumOffset = length - SIZE_OF_INT;
        buffer.getBytes(offset, scratch, 0, checksumOffset);
        crc.reset();
        crc.update(scratch, 0, checksumOffset);
        final int checksum = buffer.getInt(offset + checksumOffset, ByteOrder.LITTLE_ENDIAN);
        if (checksum != (int)crc.getValue())
        {
            return "bad checksum: expected=" + (int)crc.getValue() + ", actual=" + checksum + ", sequence=" + sequence;
        }

        return null;
    }

    private static int bodyLength(final long sequence)
    {
        return (int)((sequence * 7) % (MAX_BODY_LENGTH + 1));
    }

    /**
     * Verifies every record it is handed against the next expected sequence number, counting from 0, and keeps the
     * first error. Not threadsafe.
     */
    static final class Verifier implements RecordHandler
    {
        private final CheckedRecord record = new CheckedRecord();
        private long records;
        private long lastSequence = -1;
        private String error;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final String recordError = MSG_TYPE_ID != msgTypeId ?
                "bad msgTypeId: expected=" + MSG_TYPE_ID + ", actual=" + msgTypeId + ", record=" + records :
                record.verify(buffer, offset, length, records);
            if (null != recordError && null == error)
            {
                error = recordError;
            }
            if (length >= BODY_OFFSET)
            {
                lastSequence = buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
            }
            records++;
        }

        long records()
        {
            return records;
        }

        long lastSequence()
        {
            return lastSequence;
        }

        String error()
        {
            return error;
        }
    }
}
