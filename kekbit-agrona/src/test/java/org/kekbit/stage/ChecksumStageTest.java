package org.kekbit.stage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checksum a {@link StagedWriter} writes is the JDK's CRC-32C of the payload, wherever the record lies, and
 * {@link ChecksumStage#matches} catches damage on every kind of buffer: the channel's mapping, a heap copy and a
 * buffer wrapping only an address.
 */
class ChecksumStageTest
{
    private static final int MAX_RECORD_LENGTH = 128 * 1024;
    private static final int CHECKSUM_STAGE = 2;
    private static final int MSG_TYPE_ID = 7;

    @TempDir
    Path root;

    private final ChecksumStage checksumStage = new ChecksumStage();
    private final ChecksumStage checker = new ChecksumStage();
    private ChannelWriter channelWriter;
    private ChannelReader reader;
    private StagedWriter writer;
    private byte[] received;
    private int receivedChecksum;
    private boolean isMatchOnMapping;

    @AfterEach
    void after()
    {
        if (null != reader)
        {
            reader.close();
        }
        if (null != channelWriter)
        {
            channelWriter.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 7, 8, 4095, 4096, 65536 })
    void shouldWriteCrc32cOfPayloadWhenStagedWriterWritesRecord(final int length)
    {
        open(1024 * 1024);
        final UnsafeBuffer payload = payload(length, 3);

        assertTrue(writer.write(MSG_TYPE_ID, payload, 0, length) > 0);
        assertEquals(1, reader.poll(this::onRecord, 10));

        assertEquals(crc32c(payload, length), receivedChecksum);
        assertArrayEquals(bytes(payload, 0, length), payloadOf(received));
        assertTrue(isMatchOnMapping, "matches on the reader's mapping");
        assertTrue(checker.matches(new UnsafeBuffer(received), writer.stageOffset(CHECKSUM_STAGE),
            writer.stagesLength(), length), "matches on a heap copy");
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 4096, 65536 })
    void shouldWriteCrc32cOfPayloadWhenRecordEndsAtEndOfLargeChannel(final int length)
    {
        final int capacity = 16 * 1024 * 1024;
        open(capacity);
        final int recordLength = RecordDescriptor.alignedLength(
            RecordDescriptor.frameLength(writer.stagesLength() + length), RecordDescriptor.ALIGNMENT);
        final UnsafeBuffer filler = new UnsafeBuffer(new byte[MAX_RECORD_LENGTH]);
        while (channelWriter.remaining() > recordLength)
        {
            final long gap = channelWriter.remaining() - recordLength;
            final int fillerLength = (int)Math.min(gap - RecordDescriptor.HEADER_LENGTH, MAX_RECORD_LENGTH);
            assertTrue(channelWriter.write(MSG_TYPE_ID + 1, filler, 0, fillerLength) > 0);
        }
        assertEquals(recordLength, channelWriter.remaining());
        final UnsafeBuffer payload = payload(length, 11);

        assertEquals(capacity, writer.write(MSG_TYPE_ID, payload, 0, length));
        for (int polls = 0; polls < 1000 && reader.position() < capacity; polls++)
        {
            reader.poll(this::onRecord, 100);
        }
        assertEquals(capacity, reader.position());

        assertEquals(crc32c(payload, length), receivedChecksum);
        assertArrayEquals(bytes(payload, 0, length), payloadOf(received));
        assertTrue(isMatchOnMapping, "matches on the reader's mapping");
    }

    @Test
    void shouldFailMatchesWhenPayloadIsDamagedInChannelFile() throws IOException
    {
        open(1024 * 1024);
        final int length = 4096;
        writer.write(MSG_TYPE_ID, payload(length, 5), 0, length);
        final long payloadFileOffset = RecordDescriptor.payloadOffset(ChannelDescriptor.HEADER_LENGTH) +
            writer.stagesLength();
        final int[] damagedIndexes = { 0, 1, 2047, length - 1 };

        for (final int damagedIndex : damagedIndexes)
        {
            final byte original = readByte(payloadFileOffset + damagedIndex);
            writeByte(payloadFileOffset + damagedIndex, (byte)(original ^ 0x40));

            reader.seek(0);
            assertEquals(1, reader.poll(this::onRecord, 10));
            assertFalse(isMatchOnMapping, "damaged payload byte " + damagedIndex + " on the mapping");
            assertFalse(checker.matches(new UnsafeBuffer(received), writer.stageOffset(CHECKSUM_STAGE),
                writer.stagesLength(), length), "damaged payload byte " + damagedIndex + " in a heap copy");

            writeByte(payloadFileOffset + damagedIndex, original);
            reader.seek(0);
            assertEquals(1, reader.poll(this::onRecord, 10));
            assertTrue(isMatchOnMapping, "repaired payload byte " + damagedIndex);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 7, 4095, 4096, 4097, 3 * ChecksumStage.SCRATCH_LENGTH + 5 })
    void shouldComputeCrc32cWhenBufferWrapsOnlyAnAddress(final int length)
    {
        final int stageOffset = 3;
        final int payloadOffset = 16;
        final ByteBuffer memory = ByteBuffer.allocateDirect(payloadOffset + length + 8);
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.address(memory), memory.capacity());
        assertNull(buffer.byteBuffer());
        assertNull(buffer.byteArray());
        final UnsafeBuffer payload = payload(length, 17);
        buffer.putBytes(payloadOffset, payload, 0, length);

        checksumStage.apply(buffer, stageOffset, payloadOffset, length);

        assertEquals(crc32c(payload, length), buffer.getInt(stageOffset, ByteOrder.LITTLE_ENDIAN));
        assertTrue(checker.matches(buffer, stageOffset, payloadOffset, length));
        if (length > 0)
        {
            final int last = payloadOffset + length - 1;
            buffer.putByte(last, (byte)~buffer.getByte(last));
            assertFalse(checker.matches(buffer, stageOffset, payloadOffset, length));
        }
    }

    @Test
    void shouldLeavePositionAndLimitOfDirectBufferWhenComputing()
    {
        final ByteBuffer memory = ByteBuffer.allocateDirect(256);
        for (int i = 0; i < memory.capacity(); i++)
        {
            memory.put(i, (byte)(i * 7 + 3));
        }
        memory.limit(200).position(30);
        final UnsafeBuffer buffer = new UnsafeBuffer(memory, 8, 240);

        checksumStage.apply(buffer, 0, 4, 100);

        final UnsafeBuffer expected = new UnsafeBuffer(new byte[100]);
        buffer.getBytes(4, expected, 0, 100);
        assertEquals(crc32c(expected, 100), buffer.getInt(0, ByteOrder.LITTLE_ENDIAN));
        assertEquals(30, memory.position());
        assertEquals(200, memory.limit());
    }

    @Test
    void shouldHandStagesBufferBackedByDirectByteBufferWhenWriting()
    {
        open(64 * 1024);
        final ByteBuffer[] seen = new ByteBuffer[1];
        final StagedWriter probed = new StagedWriter(channelWriter, new RecordStage()
        {
            public int length()
            {
                return 0;
            }

            public void apply(
                final MutableDirectBuffer buffer, final int offset, final int payloadOffset, final int payloadLength)
            {
                seen[0] = buffer.byteBuffer();
            }
        });

        probed.write(MSG_TYPE_ID, payload(10, 1), 0, 10);
        final ByteBuffer first = seen[0];
        probed.write(MSG_TYPE_ID, payload(10, 2), 0, 10);

        assertNotNull(first);
        assertTrue(first.isDirect());
        assertTrue(first == seen[0], "one view for every record");
    }

    private void open(final long capacity)
    {
        channelWriter = ChannelWriter.create(new ChannelWriter.Context()
            .root(root)
            .channelId(capacity)
            .capacity(capacity)
            .maxRecordLength((int)Math.min(MAX_RECORD_LENGTH, ChannelDescriptor.maxRecordLengthLimit(capacity)))
            .preTouch(false));
        reader = ChannelReader.open(channelWriter.path());
        writer = new StagedWriter(
            channelWriter, new TimestampStage(() -> 42L), new SequenceStage(1), checksumStage);
    }

    private void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (MSG_TYPE_ID == msgTypeId)
        {
            received = bytes(buffer, offset, length);
            receivedChecksum = buffer.getInt(offset + writer.stageOffset(CHECKSUM_STAGE), ByteOrder.LITTLE_ENDIAN);
            isMatchOnMapping = checker.matches(buffer, offset + writer.stageOffset(CHECKSUM_STAGE),
                offset + writer.stagesLength(), length - writer.stagesLength());
        }
    }

    private byte[] payloadOf(final byte[] record)
    {
        return bytes(new UnsafeBuffer(record), writer.stagesLength(), record.length - writer.stagesLength());
    }

    private byte readByte(final long fileOffset) throws IOException
    {
        try (FileChannel file = FileChannel.open(channelWriter.path(), StandardOpenOption.READ))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            assertEquals(1, file.read(one, fileOffset));
            return one.get(0);
        }
    }

    private void writeByte(final long fileOffset, final byte value) throws IOException
    {
        try (FileChannel file = FileChannel.open(channelWriter.path(), StandardOpenOption.WRITE))
        {
            assertEquals(1, file.write(ByteBuffer.wrap(new byte[]{ value }), fileOffset));
        }
    }

    private static int crc32c(final DirectBuffer payload, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes(payload, 0, length));
        return (int)crc.getValue();
    }

    private static UnsafeBuffer payload(final int length, final int seed)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[length]);
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(i, (byte)(seed * 13 + i * 5 + (i >>> 8) + 1));
        }
        return buffer;
    }

    private static byte[] bytes(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }
}
