package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Helpers shared by the channel tests: contexts for small channels, deterministic payloads, a collecting handler
 * and raw little endian patches of channel files at {@link ChannelDescriptor} and {@link RecordDescriptor} offsets.
 */
final class ChannelTestSupport
{
    static final long CHANNEL_ID = 0x0000_0001_0000_002AL;
    static final long LONG_TIMEOUT_MS = 60_000;

    private ChannelTestSupport()
    {
    }

    static ChannelWriter.Context writerContext(final Path root, final long capacity, final int maxRecordLength)
    {
        return new ChannelWriter.Context()
            .root(root)
            .channelId(CHANNEL_ID)
            .capacity(capacity)
            .maxRecordLength(maxRecordLength)
            .timeoutMs(LONG_TIMEOUT_MS);
    }

    static ChannelWriter createWriter(final Path root, final long capacity, final int maxRecordLength)
    {
        return ChannelWriter.create(writerContext(root, capacity, maxRecordLength));
    }

    /**
     * A payload whose bytes depend on both its length and a seed, so that a record read back from the wrong place
     * or with the wrong length does not match.
     */
    static UnsafeBuffer payload(final int length, final int seed)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[length]);
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(i, (byte)(seed * 31 + i * 7 + length + 1));
        }
        return buffer;
    }

    static byte[] bytes(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }

    static int alignedRecordLength(final int payloadLength)
    {
        return RecordDescriptor.alignedLength(RecordDescriptor.frameLength(payloadLength), RecordDescriptor.ALIGNMENT);
    }

    static long recordFileOffset(final long position)
    {
        return ChannelDescriptor.HEADER_LENGTH + position;
    }

    static void putInt(final Path file, final long offset, final int value) throws IOException
    {
        write(file, offset, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
    }

    static void putLong(final Path file, final long offset, final long value) throws IOException
    {
        write(file, offset, ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    static void putRecordHeader(final Path file, final long position, final int frameLength, final int msgTypeId)
        throws IOException
    {
        putInt(file, recordFileOffset(position) + RecordDescriptor.MSG_TYPE_ID_OFFSET, msgTypeId);
        putInt(file, recordFileOffset(position) + RecordDescriptor.FRAME_LENGTH_OFFSET, frameLength);
    }

    static void truncate(final Path file, final long length) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(length);
        }
    }

    private static void write(final Path file, final long offset, final ByteBuffer bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            while (bytes.hasRemaining())
            {
                channel.write(bytes, offset + bytes.position());
            }
        }
    }

    /**
     * A record as a handler saw it, payload copied out of the mapping.
     */
    record Received(int msgTypeId, byte[] payload, long position)
    {
    }

    /**
     * Copies every record it is handed, with the reader's position at the time of the call.
     */
    static final class RecordCollector implements RecordHandler
    {
        final List<Received> records = new ArrayList<>();
        private ChannelReader reader;

        RecordCollector()
        {
        }

        RecordCollector(final ChannelReader reader)
        {
            this.reader = reader;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long position = null == reader ? -1 : reader.position();
            records.add(new Received(msgTypeId, bytes(buffer, offset, length), position));
        }

        Received get(final int index)
        {
            return records.get(index);
        }

        int size()
        {
            return records.size();
        }
    }
}
