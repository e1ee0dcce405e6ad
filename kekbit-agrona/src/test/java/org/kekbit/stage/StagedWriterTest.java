package org.kekbit.stage;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StagedWriterTest
{
    private static final long TIMESTAMP_NS = 1_700_000_000_123_456_789L;
    private static final int TIMESTAMP = 0;
    private static final int SEQUENCE = 1;
    private static final int CHECKSUM = 2;
    private static final int CHECKSUM_OFFSET = 8 + 8;
    private static final int STAGES_LENGTH = CHECKSUM_OFFSET + 4;
    private static final ChecksumStage CHECKER = new ChecksumStage(); // tests run on one thread

    @TempDir
    Path root;

    private ChannelWriter channelWriter;
    private ChannelReader reader;
    private SequenceStage sequenceStage;
    private StagedWriter writer;

    @BeforeEach
    void before()
    {
        open(64 * 1024, 1024);
    }

    @AfterEach
    void after()
    {
        reader.close();
        channelWriter.close();
    }

    @Test
    void shouldPlaceStagesInOrderWhenChained()
    {
        assertEquals(0, writer.stageOffset(TIMESTAMP));
        assertEquals(8, writer.stageOffset(SEQUENCE));
        assertEquals(CHECKSUM_OFFSET, writer.stageOffset(CHECKSUM));
        assertEquals(STAGES_LENGTH, writer.stagesLength());

        final StagedWriter reversed = new StagedWriter(
            channelWriter, new ChecksumStage(), new SequenceStage(0), new TimestampStage(() -> TIMESTAMP_NS));
        assertEquals(0, reversed.stageOffset(0));
        assertEquals(4, reversed.stageOffset(1));
        assertEquals(12, reversed.stageOffset(2));
        assertEquals(STAGES_LENGTH, reversed.stagesLength());
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 3, 4, 5, 12, 100, 1024 - STAGES_LENGTH })
    void shouldReadStagesBackInFrontOfPayloadWhenWritten(final int length)
    {
        final List<Staged> records = new ArrayList<>();
        long expectedPosition = 0;
        for (int i = 0; i < 5; i++)
        {
            final UnsafeBuffer payload = payload(length, i);
            expectedPosition += RecordDescriptor.alignedLength(
                RecordDescriptor.frameLength(STAGES_LENGTH + length), RecordDescriptor.ALIGNMENT);
            assertEquals(expectedPosition, writer.write(40 + i, payload, 0, length));
        }

        assertEquals(5, reader.poll((msgTypeId, buffer, offset, recordLength) ->
            records.add(new Staged(msgTypeId, buffer, offset, recordLength)), 10));

        for (int i = 0; i < 5; i++)
        {
            final Staged record = records.get(i);
            assertEquals(40 + i, record.msgTypeId);
            assertEquals(TIMESTAMP_NS, TimestampStage.timestampNs(record.bytes, writer.stageOffset(TIMESTAMP)));
            assertEquals(100 + i, SequenceStage.sequence(record.bytes, writer.stageOffset(SEQUENCE)));
            assertTrue(record.isChecksumValid(writer));
            assertArrayEquals(bytes(payload(length, i), 0, length), record.payload(writer));
            assertTrue(record.isValidOnMapping, "valid when checked on the mapped record");
        }
        assertEquals(105, sequenceStage.nextSequence());
    }

    @Test
    void shouldComputeCrc32cLittleEndianWhenChecksumStageApplies()
    {
        final UnsafeBuffer payload = payload(77, 3);
        writer.write(1, payload, 0, 77);
        final Staged[] record = new Staged[1];

        reader.poll((msgTypeId, buffer, offset, length) ->
            record[0] = new Staged(msgTypeId, buffer, offset, length), 1);

        final CRC32C crc = new CRC32C();
        crc.update(bytes(payload, 0, 77));
        assertEquals((int)crc.getValue(), record[0].bytes.getInt(CHECKSUM_OFFSET, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void shouldDetectDamageWhenPayloadByteIsFlippedInCopy()
    {
        final int length = 33;
        writer.write(1, payload(length, 7), 0, length);
        final Staged[] record = new Staged[1];
        reader.poll((msgTypeId, buffer, offset, recordLength) ->
            record[0] = new Staged(msgTypeId, buffer, offset, recordLength), 1);
        assertTrue(record[0].isChecksumValid(writer));

        for (int i = STAGES_LENGTH; i < STAGES_LENGTH + length; i++)
        {
            final byte original = record[0].bytes.getByte(i);
            record[0].bytes.putByte(i, (byte)(original ^ 0x10));
            assertFalse(record[0].isChecksumValid(writer), "flipped payload byte " + (i - STAGES_LENGTH));
            record[0].bytes.putByte(i, original);
        }
        assertTrue(record[0].isChecksumValid(writer));

        final int checksumByte = CHECKSUM_OFFSET + 3;
        record[0].bytes.putByte(checksumByte, (byte)~record[0].bytes.getByte(checksumByte));
        assertFalse(record[0].isChecksumValid(writer), "flipped checksum byte");
    }

    @Test
    void shouldValidateChecksumWhenCopyIsAtOffsetInLargerArray()
    {
        final int length = 50;
        writer.write(1, payload(length, 9), 0, length);
        final byte[] array = new byte[7 + STAGES_LENGTH + length + 5];
        reader.poll((msgTypeId, buffer, offset, recordLength) -> buffer.getBytes(offset, array, 7, recordLength), 1);

        final UnsafeBuffer copy = new UnsafeBuffer(array, 7, STAGES_LENGTH + length);
        assertTrue(CHECKER.matches(copy, writer.stageOffset(CHECKSUM), STAGES_LENGTH, length));
        array[7 + STAGES_LENGTH + length - 1] ^= 1;
        assertFalse(CHECKER.matches(copy, writer.stageOffset(CHECKSUM), STAGES_LENGTH, length));
    }

    @Test
    void shouldReturnChannelFullAndApplyNoStageWhenRecordDoesNotFit()
    {
        after();
        open(64, 56);
        final UnsafeBuffer payload = payload(12, 1);

        assertEquals(40, writer.write(1, payload, 0, 12));
        assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(2, payload, 0, 12));
        assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(3, payload, 0, 0));

        assertEquals(101, sequenceStage.nextSequence(), "no sequence is used up by a record that did not fit");
        assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) ->
        {
        }, 10));
        assertEquals(ChannelState.FULL, reader.state());
    }

    @Test
    void shouldReturnRecordTooLongWhenStagesAndPayloadExceedMaxRecordLength()
    {
        final int tooLong = 1024 - STAGES_LENGTH + 1;

        assertEquals(ChannelWriter.RECORD_TOO_LONG, writer.write(1, payload(tooLong, 1), 0, tooLong));

        assertEquals(100, sequenceStage.nextSequence());
        assertFalse(channelWriter.isFull());
        assertEquals(0, channelWriter.position());
    }

    @Test
    void shouldReturnChannelClosedWhenChannelWriterIsClosed()
    {
        channelWriter.close();

        assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.write(1, payload(1, 1), 0, 1));
        assertEquals(100, sequenceStage.nextSequence());
    }

    @Test
    void shouldWritePlainRecordWhenThereAreNoStages()
    {
        final StagedWriter plain = new StagedWriter(channelWriter);
        final UnsafeBuffer payload = payload(9, 4);

        assertEquals(24, plain.write(6, payload, 0, 9));

        final byte[][] received = new byte[1][];
        assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) ->
            received[0] = bytes(buffer, offset, length), 10));
        assertEquals(0, plain.stagesLength());
        assertArrayEquals(bytes(payload, 0, 9), received[0]);
    }

    private void open(final long capacity, final int maxRecordLength)
    {
        channelWriter = ChannelWriter.create(new ChannelWriter.Context()
            .root(root)
            .channelId(capacity)
            .capacity(capacity)
            .maxRecordLength(maxRecordLength));
        reader = ChannelReader.open(channelWriter.path());
        sequenceStage = new SequenceStage(100);
        writer = new StagedWriter(
            channelWriter, new TimestampStage(() -> TIMESTAMP_NS), sequenceStage, new ChecksumStage());
    }

    private static UnsafeBuffer payload(final int length, final int seed)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[length]);
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(i, (byte)(seed * 13 + i * 5 + 1));
        }
        return buffer;
    }

    private static byte[] bytes(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return bytes;
    }

    /**
     * A record copied out of the mapping into a heap buffer, and whether its checksum held on the mapping itself.
     */
    private static final class Staged
    {
        final int msgTypeId;
        final UnsafeBuffer bytes;
        final boolean isValidOnMapping;

        Staged(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            this.msgTypeId = msgTypeId;
            this.bytes = new UnsafeBuffer(StagedWriterTest.bytes(buffer, offset, length));
            this.isValidOnMapping = CHECKER.matches(
                buffer, offset + CHECKSUM_OFFSET, offset + STAGES_LENGTH, length - STAGES_LENGTH);
        }

        boolean isChecksumValid(final StagedWriter writer)
        {
            return CHECKER.matches(
                bytes, writer.stageOffset(CHECKSUM), writer.stagesLength(), bytes.capacity() - writer.stagesLength());
        }

        byte[] payload(final StagedWriter writer)
        {
            return StagedWriterTest.bytes(bytes, writer.stagesLength(), bytes.capacity() - writer.stagesLength());
        }
    }
}
