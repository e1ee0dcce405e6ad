package org.kekbit.journal;

import java.nio.ByteOrder;
import java.nio.file.Path;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;

import static org.kekbit.journal.JournalDescriptor.NULL_VALUE;
import static org.kekbit.journal.JournalDescriptor.SEAL_FIRST_SEQUENCE_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_FIRST_TIMESTAMP_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_LAST_SEQUENCE_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_LAST_TIMESTAMP_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_LENGTH;
import static org.kekbit.journal.JournalDescriptor.SEAL_LENGTH_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_RECORD_COUNT_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_ROLL_TIME_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SEAL_VERSION;
import static org.kekbit.journal.JournalDescriptor.SEAL_VERSION_OFFSET;

/**
 * The seal of a sealed segment (layout in {@link JournalDescriptor}): its record count, the first and last record's
 * sequence and timestamp (when the journal's records carry them at the offsets its writer was given) and the time it
 * was rolled, so a segment can be searched or aged without being scanned. Optional: a segment rolled by an earlier
 * version, rolled by a record that left no room, or still being written has none.
 * <pre>{@code
 * final JournalSeal seal = new JournalSeal();
 * if (seal.read(JournalDescriptor.segmentPath(folder, base)))
 * {
 *     System.out.println(seal.recordCount() + " records, sequences " + seal.firstSequence() + ".." +
 *         seal.lastSequence());
 * }
 * }</pre>
 * Not threadsafe: one per thread, reused for any number of segments.
 */
public final class JournalSeal
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SEAL_LENGTH]);
    private boolean isSealed;

    /**
     * Read the seal of a segment file. Cold path: opens and maps the file read-only, reads 64 bytes, unmaps.
     *
     * @param segment path of the segment.
     * @return true when the segment is sealed; its fields are then available.
     */
    public boolean read(final Path segment)
    {
        try (ChannelReader reader = JournalFiles.openSegment(segment))
        {
            return read(reader);
        }
        catch (final ChannelException ex)
        {
            isSealed = false;
            return false;
        }
    }

    /**
     * Read the seal of a segment an open reader maps, whatever the reader's position.
     *
     * @param segment reader of the segment.
     * @return true when the segment is sealed.
     */
    public boolean read(final ChannelReader segment)
    {
        isSealed = segment.readRollSeal(buffer, 0, SEAL_LENGTH) &&
            buffer.getInt(SEAL_VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN) >= SEAL_VERSION &&
            buffer.getInt(SEAL_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) >= SEAL_LENGTH;
        return isSealed;
    }

    /**
     * Whether the last read found a seal.
     *
     * @return true when sealed.
     */
    public boolean isSealed()
    {
        return isSealed;
    }

    /**
     * Records in the segment.
     *
     * @return the count, or {@link JournalDescriptor#NULL_VALUE} when not sealed.
     */
    public long recordCount()
    {
        return field(SEAL_RECORD_COUNT_OFFSET);
    }

    /**
     * Sequence of the segment's first record.
     *
     * @return the sequence, or {@link JournalDescriptor#NULL_VALUE} when not known.
     */
    public long firstSequence()
    {
        return field(SEAL_FIRST_SEQUENCE_OFFSET);
    }

    /**
     * Sequence of the segment's last record.
     *
     * @return the sequence, or {@link JournalDescriptor#NULL_VALUE} when not known.
     */
    public long lastSequence()
    {
        return field(SEAL_LAST_SEQUENCE_OFFSET);
    }

    /**
     * Timestamp of the segment's first record, epoch ns.
     *
     * @return the timestamp, or {@link JournalDescriptor#NULL_VALUE} when not known.
     */
    public long firstTimestampNs()
    {
        return field(SEAL_FIRST_TIMESTAMP_OFFSET);
    }

    /**
     * Timestamp of the segment's last record, epoch ns.
     *
     * @return the timestamp, or {@link JournalDescriptor#NULL_VALUE} when not known.
     */
    public long lastTimestampNs()
    {
        return field(SEAL_LAST_TIMESTAMP_OFFSET);
    }

    /**
     * Time the segment was rolled, epoch ms of the writer's clock.
     *
     * @return the time, or {@link JournalDescriptor#NULL_VALUE} when not sealed.
     */
    public long rollTimeMs()
    {
        return field(SEAL_ROLL_TIME_OFFSET);
    }

    /**
     * Last value of one of the two keys a journal can be searched by.
     *
     * @param isSequence true for the sequence, false for the timestamp.
     * @return the value, or {@link JournalDescriptor#NULL_VALUE} when not known.
     */
    long lastKey(final boolean isSequence)
    {
        return isSequence ? lastSequence() : lastTimestampNs();
    }

    private long field(final int offset)
    {
        return isSealed ? buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN) : NULL_VALUE;
    }

    /**
     * Encode a seal.
     */
    static void encode(
        final MutableDirectBuffer buffer,
        final long recordCount,
        final long firstSequence,
        final long lastSequence,
        final long firstTimestampNs,
        final long lastTimestampNs,
        final long rollTimeMs)
    {
        buffer.putInt(SEAL_VERSION_OFFSET, SEAL_VERSION, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(SEAL_LENGTH_OFFSET, SEAL_LENGTH, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SEAL_RECORD_COUNT_OFFSET, recordCount, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SEAL_FIRST_SEQUENCE_OFFSET, firstSequence, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SEAL_LAST_SEQUENCE_OFFSET, lastSequence, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SEAL_FIRST_TIMESTAMP_OFFSET, firstTimestampNs, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SEAL_LAST_TIMESTAMP_OFFSET, lastTimestampNs, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SEAL_ROLL_TIME_OFFSET, rollTimeMs, ByteOrder.LITTLE_ENDIAN);
    }
}
