package org.kekbit.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelTestAccess;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.codecs.channel.ChannelHeaderEncoder;

/**
 * Records whose bytes depend on their sequence number and length, so a record read from the wrong place, torn or
 * with the wrong length does not verify; and a collecting handler that checks them in order.
 */
final class JournalTestSupport
{
    static final int MSG_TYPE_ID = 5;
    static final int SEGMENT_CAPACITY = 4096;
    static final int MAX_RECORD_LENGTH = 1000;

    private JournalTestSupport()
    {
    }

    static JournalWriter.Context writerContext(final Path folder)
    {
        return new JournalWriter.Context()
            .folder(folder)
            .segmentCapacity(SEGMENT_CAPACITY)
            .maxRecordLength(MAX_RECORD_LENGTH)
            .timeoutMs(60_000)
            .preTouch(false);
    }

    /**
     * Length of the record of a sequence: from 8 (the sequence alone) up to {@link #MAX_RECORD_LENGTH}, scattered.
     */
    static int length(final long sequence)
    {
        final long mixed = (sequence + 1) * 0x9E3779B97F4A7C15L;
        return 8 + (int)((mixed >>> 40) % (MAX_RECORD_LENGTH - 7));
    }

    static int encode(final MutableDirectBuffer buffer, final long sequence)
    {
        final int length = length(sequence);
        buffer.putLong(0, sequence);
        for (int i = 8; i < length; i++)
        {
            buffer.putByte(i, (byte)(sequence * 31 + i));
        }
        return length;
    }

    static String verify(final DirectBuffer buffer, final int offset, final int length, final long expectedSequence)
    {
        final long sequence = buffer.getLong(offset);
        if (sequence != expectedSequence)
        {
            return "expected sequence=" + expectedSequence + ", actual=" + sequence;
        }
        if (length != length(sequence))
        {
            return "sequence=" + sequence + ": expected length=" + length(sequence) + ", actual=" + length;
        }
        for (int i = 8; i < length; i++)
        {
            if (buffer.getByte(offset + i) != (byte)(sequence * 31 + i))
            {
                return "sequence=" + sequence + ": bad byte at " + i;
            }
        }
        return null;
    }

    static long write(final JournalWriter writer, final MutableDirectBuffer scratch, final long sequence)
    {
        final int length = encode(scratch, sequence);
        return writer.write(MSG_TYPE_ID, scratch, 0, length);
    }

    /**
     * The journal format version in a segment's header, read through the codec.
     */
    static int journalFormatVersion(final Path segment)
    {
        final byte[] bytes = new byte[ChannelDescriptor.HEADER_LENGTH];
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ))
        {
            channel.read(ByteBuffer.wrap(bytes), 0);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return new ChannelHeaderDecoder()
            .wrap(new UnsafeBuffer(bytes), 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION)
            .journalFormatVersion();
    }

    /**
     * Set the journal format version in a header held in a buffer, through the codec.
     */
    static void encodeJournalFormatVersion(final MutableDirectBuffer header, final int journalFormatVersion)
    {
        new ChannelHeaderEncoder().wrap(header, 0).journalFormatVersion(journalFormatVersion);
    }

    /**
     * Patch the journal format version in a segment file's header, through the codec, as a writer of another
     * version would have written it.
     */
    static void patchJournalFormatVersion(final Path segment, final int journalFormatVersion)
    {
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0,
                ChannelDescriptor.HEADER_LENGTH);
            encodeJournalFormatVersion(new UnsafeBuffer(mapping), journalFormatVersion);
            IoUtil.unmap(mapping);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Stop a journal's writer as a killed process stops: no end marker in any segment, nothing deleted.
     */
    static void crash(final JournalWriter writer)
    {
        ChannelTestAccess.crash(writer.currentSegment());
        final ChannelWriter next = writer.nextSegment();
        if (null != next)
        {
            ChannelTestAccess.crash(next);
        }
        writer.positions().close();
    }

    /**
     * Checks each record against the next expected sequence (from the first record read when constructed with -1)
     * and records the reader's position after it.
     */
    static final class Checker implements RecordHandler
    {
        final List<String> errors = new ArrayList<>();
        final List<Long> positions = new ArrayList<>();
        JournalReader reader;
        long next;

        Checker(final long first)
        {
            next = first;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (next < 0)
            {
                next = buffer.getLong(offset); // started with -1: from the first record there is
            }
            final String error = MSG_TYPE_ID != msgTypeId ? "msgTypeId=" + msgTypeId :
                verify(buffer, offset, length, next);
            if (null != error && errors.size() < 10)
            {
                errors.add(error);
            }
            if (null != reader)
            {
                positions.add(reader.position());
            }
            next++;
        }
    }
}
