package org.kekbit.channel;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * Records of the concurrency tests: the payload is an 8-byte sequence number, the type id its low 10 bits. A reader
 * checks each record is the next in sequence and folds it into an order-sensitive checksum (FNV-1a over 64-bit
 * words), which must equal the one the writer folded over what it wrote. Not threadsafe: one per reader.
 */
final class SequenceChecksum implements RecordHandler
{
    static final int LENGTH = Long.BYTES;
    private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private long records;
    private long hash = FNV_OFFSET_BASIS;
    private long errors;

    static int msgTypeId(final long sequence)
    {
        return (int)(sequence & 0x3ff);
    }

    /**
     * Fold a written record into the checksum, as the writer does.
     */
    void add(final int msgTypeId, final long sequence)
    {
        hash = ((hash ^ sequence) * FNV_PRIME ^ msgTypeId) * FNV_PRIME;
        records++;
    }

    public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        final long sequence = LENGTH == length ? buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN) : -1;
        if (sequence != records || msgTypeId(sequence) != msgTypeId)
        {
            errors++;
        }
        add(msgTypeId, sequence);
    }

    long records()
    {
        return records;
    }

    long hash()
    {
        return hash;
    }

    long errors()
    {
        return errors;
    }
}
