package org.kekbit.channel;

import java.nio.file.Path;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.alignedRecordLength;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelEndStatesTest
{
    private static final int CAPACITY = 256;
    private static final int MAX_RECORD_LENGTH = CAPACITY - RecordDescriptor.HEADER_LENGTH;

    @TempDir
    Path root;

    @ParameterizedTest
    @MethodSource("exactFills")
    void shouldMarkFullAtCapacityWhenRecordsFillChannelExactly(final int[] lengths)
    {
        assertEquals(CAPACITY, IntStream.of(lengths).map(ChannelTestSupport::alignedRecordLength).sum());
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            long expectedPosition = 0;
            for (int i = 0; i < lengths.length; i++)
            {
                expectedPosition += alignedRecordLength(lengths[i]);
                assertEquals(expectedPosition, writer.write(i, payload(lengths[i], i), 0, lengths[i]));
            }
            assertEquals(CAPACITY, writer.position());
            assertEquals(0, writer.remaining());
            assertFalse(writer.isFull());

            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(lengths.length, reader.poll(collector, Integer.MAX_VALUE));
            assertEquals(ChannelState.OPEN, reader.state(), "not FULL until a write does not fit");

            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(0, payload(0, 0), 0, 0));
            assertTrue(writer.isFull());
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(0, payload(0, 0), 0, 0));

            assertEquals(0, reader.poll(collector, Integer.MAX_VALUE));
            assertEquals(ChannelState.FULL, reader.state());
            assertEquals(CAPACITY, reader.position());
            for (int i = 0; i < lengths.length; i++)
            {
                assertEquals(i, collector.get(i).msgTypeId());
                assertArrayEquals(bytes(payload(lengths[i], i), 0, lengths[i]), collector.get(i).payload());
            }
        }
    }

    @Test
    void shouldDeliverEverythingThenFullWhenReaderOpensAfterChannelFilledExactly()
    {
        final Path path;
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH))
        {
            path = writer.path();
            for (int i = 0; i < 8; i++)
            {
                writer.write(i, payload(24, i), 0, 24);
            }
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(9, payload(0, 0), 0, 0));
        }

        try (ChannelReader reader = ChannelReader.open(path))
        {
            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(8, reader.poll(collector, Integer.MAX_VALUE));
            assertEquals(ChannelState.FULL, reader.state(), "close must not turn a FULL channel into CLOSED");
            assertEquals(CAPACITY, reader.position());
            assertEquals(CAPACITY, collector.get(7).position());
        }
    }

    @Test
    void shouldReportClosedAtCapacityWhenChannelFilledExactlyIsClosed()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            writer.write(1, payload(MAX_RECORD_LENGTH, 1), 0, MAX_RECORD_LENGTH);
            writer.close();

            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(ChannelState.CLOSED, reader.state());
            assertEquals(CAPACITY, reader.position());
            assertEquals(MAX_RECORD_LENGTH, collector.get(0).payload().length);
        }
    }

    @Test
    void shouldForceAndSeekToCapacityWhenChannelIsFilledExactly()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            for (int i = 0; i < 4; i++)
            {
                writer.write(i, payload(56, i), 0, 56);
                writer.force();
            }
            assertEquals(CAPACITY, writer.position());
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(4, payload(0, 4), 0, 0));
            writer.force();

            reader.seek(CAPACITY);
            assertEquals(CAPACITY, reader.position());
            assertEquals(0, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.FULL, reader.state());
            reader.seek(3 * CAPACITY / 4);
            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(3, collector.get(0).msgTypeId());
            assertEquals(CAPACITY, collector.get(0).position());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 49, 55, 100, MAX_RECORD_LENGTH })
    void shouldReturnChannelFullWhenRecordDoesNotFitRemainingCapacity(final int tooLong)
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final RecordClaim claim = new RecordClaim();
            assertEquals(200, writer.write(1, payload(192, 1), 0, 192));
            assertEquals(56, writer.remaining());

            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(2, payload(tooLong, 2), 0, tooLong));
            assertTrue(writer.isFull());
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(3, payload(0, 3), 0, 0), "an 8-byte record fits");
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.tryClaim(4, 0, claim));
            assertEquals(200, writer.position());

            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(0, reader.poll(collector, 10));
            assertEquals(ChannelState.FULL, reader.state());
            assertEquals(200, reader.position());
            assertEquals(1, collector.get(0).msgTypeId());
        }
    }

    @Test
    void shouldReturnChannelFullWhenClaimDoesNotFit()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final RecordClaim claim = new RecordClaim();
            writer.write(1, payload(192, 1), 0, 192);

            assertEquals(ChannelWriter.CHANNEL_FULL, writer.tryClaim(2, 49, claim));
            assertThrows(IllegalStateException.class, claim::commit, "a failed claim is not outstanding");
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(3, payload(0, 3), 0, 0));

            assertEquals(1, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.FULL, reader.state());
        }
    }

    @Test
    void shouldNotMarkFullWhenRecordIsTooLong()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 100);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final RecordClaim claim = new RecordClaim();

            assertEquals(ChannelWriter.RECORD_TOO_LONG, writer.write(1, payload(101, 1), 0, 101));
            assertEquals(ChannelWriter.RECORD_TOO_LONG, writer.tryClaim(1, Integer.MAX_VALUE, claim));
            assertFalse(writer.isFull());
            assertEquals(0, writer.position());
            assertEquals(0, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.OPEN, reader.state());

            assertEquals(alignedRecordLength(100), writer.write(2, payload(100, 2), 0, 100));
            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(2, collector.get(0).msgTypeId());
            assertEquals(ChannelState.OPEN, reader.state());
        }
    }

    @Test
    void shouldReportClosedAfterLastRecordWhenWriterCloses()
    {
        final ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        try (ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final RecordCollector collector = new RecordCollector(reader);
            writer.write(1, payload(10, 1), 0, 10);
            writer.write(2, payload(20, 2), 0, 20);
            assertEquals(2, reader.poll(collector, 10));
            final long lastPosition = writer.write(3, payload(0, 3), 0, 0);
            assertEquals(ChannelState.OPEN, reader.state());

            writer.close();

            assertTrue(writer.isClosed());
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(0, reader.poll(collector, 10));
            assertEquals(ChannelState.CLOSED, reader.state());
            assertEquals(lastPosition, reader.position());
            assertEquals(3, collector.get(2).msgTypeId());
        }

        try (ChannelReader lateReader = ChannelReader.open(writer.path()))
        {
            assertEquals(3, lateReader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, lateReader.state());
        }
    }

    @Test
    void shouldReportClosedAtZeroWhenEmptyChannelIsClosed()
    {
        final ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        writer.close();

        try (ChannelReader reader = ChannelReader.open(writer.path()))
        {
            assertEquals(0, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, reader.state());
            assertTrue(reader.state().isEnd());
            assertEquals(0, reader.position());
        }
    }

    @Test
    void shouldReturnChannelClosedWhenWritingAfterClose()
    {
        final ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        writer.write(1, payload(8, 1), 0, 8);
        writer.close();
        writer.close();

        final RecordClaim claim = new RecordClaim();
        assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.write(1, payload(8, 1), 0, 8));
        assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.tryClaim(1, 8, claim));
        assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.write(1, payload(0, 1), 0, 0));
        assertEquals(0, writer.doWork());
        writer.force();
        assertTrue(writer.isClosed());
        assertFalse(writer.isFull());

        try (ChannelReader reader = ChannelReader.open(writer.path()))
        {
            assertEquals(1, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldReturnChannelClosedWhenFullChannelIsClosed()
    {
        final ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        writer.write(1, payload(MAX_RECORD_LENGTH, 1), 0, MAX_RECORD_LENGTH);
        assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(1, payload(0, 1), 0, 0));

        writer.close();

        assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.write(1, payload(0, 1), 0, 0));
        assertTrue(writer.isClosed());
    }

    @ParameterizedTest
    @ValueSource(ints = { -1, -2, -3, Integer.MIN_VALUE })
    void shouldThrowIllegalArgumentWhenMsgTypeIdIsNegative(final int msgTypeId)
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final UnsafeBuffer src = payload(8, 1);

            assertThrows(IllegalArgumentException.class, () -> writer.write(msgTypeId, src, 0, 8));
            assertThrows(IllegalArgumentException.class, () -> writer.tryClaim(msgTypeId, 8, new RecordClaim()));

            assertEquals(0, writer.position());
            assertEquals(0, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.OPEN, reader.state());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { -1, -8, Integer.MIN_VALUE })
    void shouldThrowIllegalArgumentWhenLengthIsNegative(final int length)
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH))
        {
            final UnsafeBuffer src = payload(8, 1);

            assertThrows(IllegalArgumentException.class, () -> writer.write(1, src, 0, length));
            assertThrows(IllegalArgumentException.class, () -> writer.tryClaim(1, length, new RecordClaim()));

            assertEquals(0, writer.position());
            assertFalse(writer.isFull());
        }
    }

    @Test
    void shouldThrowIllegalStateWhenWritingWhileClaimIsOutstanding()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final RecordClaim claim = new RecordClaim();
            final UnsafeBuffer src = payload(4, 1);
            writer.tryClaim(1, 4, claim);

            assertThrows(IllegalStateException.class, () -> writer.write(2, src, 0, 4));
            assertThrows(IllegalStateException.class, () -> writer.tryClaim(3, 4, new RecordClaim()));

            claim.buffer().putBytes(0, src, 0, 4);
            assertEquals(16, claim.commit());
            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(1, collector.get(0).msgTypeId());
            assertEquals(32, writer.write(2, src, 0, 4), "the writer works again once the claim is committed");
        }
    }

    @Test
    void shouldThrowIllegalStateWhenClaimIsCommittedOrAbortedTwice()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH))
        {
            final RecordClaim claim = new RecordClaim();
            assertThrows(IllegalStateException.class, claim::commit, "never claimed");
            assertThrows(IllegalStateException.class, claim::abort, "never claimed");

            writer.tryClaim(1, 4, claim);
            claim.commit();
            assertThrows(IllegalStateException.class, claim::commit);
            assertThrows(IllegalStateException.class, claim::abort);

            writer.tryClaim(1, 4, claim);
            claim.abort();
            assertThrows(IllegalStateException.class, claim::abort);
            assertThrows(IllegalStateException.class, claim::commit);
            assertEquals(0, claim.length());
            assertEquals(16, writer.position());
        }
    }

    @Test
    void shouldThrowIllegalStateWhenClaimIsCommittedAfterWriterClosed()
    {
        final ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        final RecordClaim claim = new RecordClaim();
        writer.tryClaim(1, 4, claim);

        writer.close();

        assertEquals(0, claim.buffer().capacity(), "the claim's view must not outlive the mapping");
        assertThrows(IllegalStateException.class, claim::commit);
        try (ChannelReader reader = ChannelReader.open(writer.path()))
        {
            assertEquals(0, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    private static Stream<int[]> exactFills()
    {
        return Stream.of(
            new int[]{ MAX_RECORD_LENGTH },
            IntStream.generate(() -> 0).limit(32).toArray(),
            IntStream.generate(() -> 24).limit(8).toArray(),
            IntStream.generate(() -> 17).limit(8).toArray(),
            new int[]{ 1, 9, 17, 176 },
            new int[]{ 120, 120 },
            new int[]{ 0, 239 },
            new int[]{ 225, 0, 0 });
    }
}
