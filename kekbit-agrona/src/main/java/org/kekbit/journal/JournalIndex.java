package org.kekbit.journal;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import static org.kekbit.journal.JournalDescriptor.ENTRY_POSITION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.ENTRY_SEQUENCE_OFFSET;
import static org.kekbit.journal.JournalDescriptor.ENTRY_TIMESTAMP_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_ENTRY_COUNT_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_ENTRY_LENGTH;
import static org.kekbit.journal.JournalDescriptor.INDEX_ENTRY_LENGTH_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_FORMAT_VERSION;
import static org.kekbit.journal.JournalDescriptor.INDEX_FORMAT_VERSION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_HEADER_LENGTH;
import static org.kekbit.journal.JournalDescriptor.INDEX_INDEXED_POSITION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_INTERVAL_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_SEQUENCE_OFFSET_OFFSET;
import static org.kekbit.journal.JournalDescriptor.INDEX_SIGNATURE;
import static org.kekbit.journal.JournalDescriptor.INDEX_TIMESTAMP_OFFSET_OFFSET;

/**
 * A read-only view of a journal's index file, mapped as long as it was when opened, for a seek (cold path).
 */
final class JournalIndex implements AutoCloseable
{
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final long entryCount;

    private JournalIndex(final MappedByteBuffer mapped)
    {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        final long visible = (mapped.capacity() - INDEX_HEADER_LENGTH) / INDEX_ENTRY_LENGTH;
        this.entryCount = Math.min(visible, JournalFiles.le(buffer.getLongAcquire(INDEX_ENTRY_COUNT_OFFSET)));
    }

    /**
     * Map a journal's index.
     *
     * @param folder of the journal.
     * @return the index, or null when there is none or the file is not an index of this version.
     */
    static JournalIndex open(final Path folder)
    {
        final Path path = folder.resolve(JournalDescriptor.INDEX_FILE_NAME);
        if (!Files.exists(path))
        {
            return null;
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final long length = channel.size();
            if (length < INDEX_HEADER_LENGTH || length > Integer.MAX_VALUE)
            {
                return null;
            }
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, length);
            final UnsafeBuffer header = new UnsafeBuffer(mapped);
            final byte[] signature = new byte[INDEX_SIGNATURE.length()];
            header.getBytes(0, signature);
            if (INDEX_FORMAT_VERSION != JournalFiles.le(header.getIntAcquire(INDEX_FORMAT_VERSION_OFFSET)) ||
                !INDEX_SIGNATURE.equals(new String(signature, StandardCharsets.US_ASCII)) ||
                INDEX_ENTRY_LENGTH != header.getInt(INDEX_ENTRY_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN))
            {
                IoUtil.unmap(mapped);
                return null;
            }
            return new JournalIndex(mapped);
        }
        catch (final IOException ex)
        {
            return null; // the index is derived: without it a seek scans
        }
    }

    int sequenceOffset()
    {
        return buffer.getInt(INDEX_SEQUENCE_OFFSET_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    int timestampOffset()
    {
        return buffer.getInt(INDEX_TIMESTAMP_OFFSET_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    int intervalBytes()
    {
        return buffer.getInt(INDEX_INTERVAL_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    long entryCount()
    {
        return entryCount;
    }

    long indexedPosition()
    {
        return JournalFiles.le(buffer.getLongAcquire(INDEX_INDEXED_POSITION_OFFSET));
    }

    long position(final long entry)
    {
        return field(entry, ENTRY_POSITION_OFFSET);
    }

    long key(final long entry, final boolean isSequence)
    {
        return field(entry, isSequence ? ENTRY_SEQUENCE_OFFSET : ENTRY_TIMESTAMP_OFFSET);
    }

    /**
     * The last entry whose key is known and less than a key: a binary search, keys not decreasing.
     *
     * @return the entry, or -1 when there is none.
     */
    long lastEntryBefore(final boolean isSequence, final long key)
    {
        long low = 0;
        long high = entryCount - 1;
        long found = -1;
        while (low <= high)
        {
            final long mid = (low + high) >>> 1;
            final long midKey = key(mid, isSequence);
            if (JournalDescriptor.NULL_VALUE == midKey || midKey < key)
            {
                if (JournalDescriptor.NULL_VALUE != midKey)
                {
                    found = mid;
                }
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    public void close()
    {
        buffer.wrap(0, 0);
        IoUtil.unmap(mapped);
    }

    private long field(final long entry, final int fieldOffset)
    {
        return buffer.getLong((int)JournalDescriptor.indexEntryOffset(entry) + fieldOffset, ByteOrder.LITTLE_ENDIAN);
    }
}
