package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelReaderTest
{
    private static final int CAPACITY = 1024;
    private static final int MAX_RECORD_LENGTH = CAPACITY - RecordDescriptor.HEADER_LENGTH;
    private static final int RECORD_COUNT = 10;

    @TempDir
    Path root;

    private ChannelWriter writer;
    private ChannelReader reader;
    private final long[] positions = new long[RECORD_COUNT];

    @BeforeEach
    void before()
    {
        writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        reader = ChannelReader.open(writer.path());
    }

    @AfterEach
    void after()
    {
        reader.close();
        writer.close();
    }

    @Test
    void shouldDeliverFromSeekPositionWhenSeekingForward()
    {
        writeRecords();

        reader.seek(positions[5]);

        final RecordCollector collector = new RecordCollector(reader);
        assertEquals(positions[5], reader.position());
        assertEquals(RECORD_COUNT - 6, reader.poll(collector, Integer.MAX_VALUE));
        assertEquals(6, collector.get(0).msgTypeId());
        assertEquals(positions[6], collector.get(0).position());
        assertEquals(RECORD_COUNT - 1, collector.get(RECORD_COUNT - 7).msgTypeId());
    }

    @Test
    void shouldDeliverAgainFromSeekPositionWhenSeekingBackward()
    {
        writeRecords();
        final RecordCollector collector = new RecordCollector(reader);
        assertEquals(RECORD_COUNT, reader.poll(collector, Integer.MAX_VALUE));

        reader.seek(positions[2]);
        assertEquals(RECORD_COUNT - 3, reader.poll(collector, Integer.MAX_VALUE));
        assertEquals(3, collector.get(RECORD_COUNT).msgTypeId());
        assertArrayEquals(collector.get(3).payload(), collector.get(RECORD_COUNT).payload());

        reader.seek(0);
        assertEquals(RECORD_COUNT, reader.poll(collector, Integer.MAX_VALUE));
        assertEquals(0, collector.get(2 * RECORD_COUNT - 3).msgTypeId());
    }

    @Test
    void shouldSeekToCurrentPositionWhenItIsTheWriterPosition()
    {
        writeRecords();
        reader.poll(new RecordCollector(), 3);

        reader.seek(positions[2]);
        assertEquals(positions[2], reader.position());
        reader.seek(positions[RECORD_COUNT - 1]);
        assertEquals(positions[RECORD_COUNT - 1], reader.position());
        assertEquals(0, reader.poll(new RecordCollector(), 10));
    }

    @Test
    void shouldReadAgainAfterEndMarkerWhenSeekingBackward()
    {
        writeRecords();
        writer.close();
        assertEquals(RECORD_COUNT, reader.poll(new RecordCollector(), Integer.MAX_VALUE));
        assertEquals(ChannelState.CLOSED, reader.state());

        reader.seek(positions[7]);

        assertEquals(ChannelState.OPEN, reader.state());
        final RecordCollector collector = new RecordCollector(reader);
        assertEquals(2, reader.poll(collector, Integer.MAX_VALUE));
        assertEquals(8, collector.get(0).msgTypeId());
        assertEquals(ChannelState.CLOSED, reader.state());
    }

    @ParameterizedTest
    @ValueSource(longs = { -8, -1, 1, 4, 7, 12, CAPACITY + 8, Long.MAX_VALUE, Long.MIN_VALUE })
    void shouldThrowIllegalArgumentWhenSeekingOutOfRangeOrMisaligned(final long position)
    {
        writeRecords();
        reader.poll(new RecordCollector(), 2);

        assertThrows(IllegalArgumentException.class, () -> reader.seek(position));

        assertEquals(positions[1], reader.position());
        final RecordCollector collector = new RecordCollector();
        assertEquals(RECORD_COUNT - 2, reader.poll(collector, Integer.MAX_VALUE));
        assertEquals(2, collector.get(0).msgTypeId());
    }

    @Test
    void shouldThrowIllegalArgumentWhenSeekingInsideRecord()
    {
        writeRecords();
        reader.poll(new RecordCollector(), 5);

        final IllegalArgumentException forward = assertThrows(
            IllegalArgumentException.class, () -> reader.seek(positions[7] + RecordDescriptor.ALIGNMENT));
        final IllegalArgumentException backward = assertThrows(
            IllegalArgumentException.class, () -> reader.seek(positions[1] + RecordDescriptor.ALIGNMENT));

        assertTrue(forward.getMessage().contains("position=" + (positions[7] + RecordDescriptor.ALIGNMENT)));
        assertTrue(backward.getMessage().contains("position=" + (positions[1] + RecordDescriptor.ALIGNMENT)));
        assertEquals(positions[4], reader.position());
    }

    @Test
    void shouldThrowIllegalArgumentWhenSeekingPastLastCommittedRecord()
    {
        writeRecords();

        assertThrows(IllegalArgumentException.class,
            () -> reader.seek(positions[RECORD_COUNT - 1] + RecordDescriptor.ALIGNMENT));
        assertThrows(IllegalArgumentException.class, () -> reader.seek(CAPACITY));

        assertEquals(0, reader.position());
    }

    @Test
    void shouldThrowIllegalStateWhenSeekingClosedReader()
    {
        writeRecords();
        reader.close();

        assertThrows(IllegalStateException.class, () -> reader.seek(0));
        assertThrows(IllegalStateException.class, () -> reader.seekToEnd());
    }

    @Test
    void shouldDeliverOnlyNewRecordsWhenSeekingToEnd()
    {
        writeRecords();

        assertEquals(positions[RECORD_COUNT - 1], reader.seekToEnd());
        assertEquals(positions[RECORD_COUNT - 1], reader.position());
        assertEquals(0, reader.poll(new RecordCollector(), 10));

        final long first = writer.write(100, payload(3, 100), 0, 3);
        final long second = writer.write(101, payload(50, 101), 0, 50);
        final RecordCollector collector = new RecordCollector(reader);
        assertEquals(2, reader.poll(collector, 10));
        assertEquals(100, collector.get(0).msgTypeId());
        assertEquals(first, collector.get(0).position());
        assertEquals(101, collector.get(1).msgTypeId());
        assertEquals(second, collector.get(1).position());
    }

    @Test
    void shouldStopBeforeEndMarkerWhenSeekingToEnd()
    {
        writeRecords();
        writer.close();

        assertEquals(positions[RECORD_COUNT - 1], reader.seekToEnd());

        assertEquals(0, reader.poll(new RecordCollector(), 10));
        assertEquals(ChannelState.CLOSED, reader.state());
        assertEquals(positions[RECORD_COUNT - 1], reader.position());
    }

    @Test
    void shouldStayAtZeroWhenSeekingToEndOfEmptyChannel()
    {
        assertEquals(0, reader.seekToEnd());
        final long position = writer.write(1, payload(1, 1), 0, 1);

        final RecordCollector collector = new RecordCollector(reader);
        assertEquals(1, reader.poll(collector, 10));
        assertEquals(position, collector.get(0).position());
    }

    @Test
    void shouldIterateCommittedRecordsWhenTheyAreWritten()
    {
        final Iterator<RecordView> records = reader.records();
        assertFalse(records.hasNext());
        assertThrows(NoSuchElementException.class, records::next);

        final UnsafeBuffer expected = payload(21, 4);
        final long position = writer.write(4, expected, 0, 21);

        assertTrue(records.hasNext());
        assertTrue(records.hasNext(), "hasNext does not consume");
        final RecordView view = records.next();
        assertEquals(4, view.msgTypeId());
        assertEquals(21, view.length());
        assertEquals(position, view.position());
        assertArrayEquals(bytes(expected, 0, 21), bytes(view.buffer(), view.offset(), view.length()));
        assertFalse(records.hasNext());
        assertThrows(NoSuchElementException.class, records::next);
        assertSame(records, reader.records());
        assertEquals(position, reader.position());
    }

    @Test
    void shouldIterateEveryRecordThenStopWhenChannelCloses()
    {
        writeRecords();
        writer.close();

        int count = 0;
        final Iterator<RecordView> records = reader.records();
        while (records.hasNext())
        {
            final RecordView view = records.next();
            assertEquals(count, view.msgTypeId());
            assertEquals(positions[count], view.position());
            count++;
        }

        assertEquals(RECORD_COUNT, count);
        assertEquals(ChannelState.CLOSED, reader.state());
        assertThrows(NoSuchElementException.class, records::next);
    }

    @Test
    void shouldReportPositionAfterRecordWhenAskedInsideHandler()
    {
        writeRecords();

        final RecordCollector collector = new RecordCollector(reader);
        reader.poll(collector, Integer.MAX_VALUE);

        for (int i = 0; i < RECORD_COUNT; i++)
        {
            assertEquals(positions[i], collector.get(i).position());
        }
    }

    @Test
    void shouldDeliverRecordOnceWhenHandlerThrows()
    {
        writeRecords();
        final RecordHandler failing = (msgTypeId, buffer, offset, length) ->
        {
            throw new IllegalStateException("handler failed on " + msgTypeId);
        };

        assertThrows(IllegalStateException.class, () -> reader.poll(failing, 10));

        assertEquals(positions[0], reader.position());
        final RecordCollector collector = new RecordCollector();
        assertEquals(RECORD_COUNT - 1, reader.poll(collector, Integer.MAX_VALUE));
        assertEquals(1, collector.get(0).msgTypeId());
    }

    @Test
    void shouldRespectLimitWhenPolling()
    {
        writeRecords();
        final RecordCollector collector = new RecordCollector();

        assertEquals(0, reader.poll(collector, 0));
        assertEquals(3, reader.poll(collector, 3));
        assertEquals(positions[2], reader.position());
        assertEquals(3, reader.poll(collector, 3));
        assertEquals(3, reader.poll(collector, 3));
        assertEquals(1, reader.poll(collector, 3));
        assertEquals(0, reader.poll(collector, 3));
        assertEquals(RECORD_COUNT, collector.size());
        for (int i = 0; i < RECORD_COUNT; i++)
        {
            assertEquals(i, collector.get(i).msgTypeId());
        }
    }

    @Test
    void shouldDeliverNothingWhenPollingClosedReader()
    {
        writeRecords();
        reader.close();
        reader.close();

        final RecordCollector collector = new RecordCollector();
        assertEquals(0, reader.poll(collector, 10));
        assertEquals(0, collector.size());
        assertFalse(reader.records().hasNext());
        assertThrows(IllegalStateException.class, reader::state, "a closed reader reports nothing of the channel");
    }

    @Test
    void shouldExposeChannelPropertiesWhenOpened()
    {
        assertEquals(CAPACITY, reader.capacity());
        assertEquals(MAX_RECORD_LENGTH, reader.maxRecordLength());
        assertEquals(ChannelTestSupport.CHANNEL_ID, reader.channelId());
        assertEquals(writer.path(), reader.path());
        assertEquals(ChannelTestSupport.CHANNEL_ID, reader.header().channelId());
        assertEquals(ChannelTestSupport.LONG_TIMEOUT_MS, reader.header().timeoutMs());
        assertNull(reader.corruption());
    }

    @Test
    void shouldOpenByRootAndChannelIdWhenNoFileIsGiven()
    {
        writeRecords();

        try (ChannelReader byId = ChannelReader.open(
            new ChannelReader.Context().root(root).channelId(ChannelTestSupport.CHANNEL_ID)))
        {
            assertEquals(writer.path(), byId.path());
            assertEquals(RECORD_COUNT, byId.poll(new RecordCollector(), Integer.MAX_VALUE));
        }
    }

    @ParameterizedTest
    @CsvSource({
        "2147483647, 1",
        "2048, 1",
        "1025, 1",
        "1024, 1",
        "-1, 1",
        "-2147483648, 1",
        "3, 1",
        "7, 1",
        "8, -4",
        "8, -2147483648",
        "16, -1",
        "16, -2",
        "-1, -1" })
    void shouldTurnCorruptAtBadRecordWhenRecordHeaderIsNotOneWriterWrites(
        final int frameLength, final int msgTypeId) throws IOException
    {
        writeRecords();
        writer.close();
        final Path copy = root.resolve("copy.kekbit");
        Files.copy(writer.path(), copy);
        ChannelTestSupport.putRecordHeader(copy, positions[0], frameLength, msgTypeId);

        try (ChannelReader corrupt = ChannelReader.open(copy))
        {
            final RecordCollector collector = new RecordCollector();
            assertEquals(1, corrupt.poll(collector, Integer.MAX_VALUE));
            assertEquals(0, collector.get(0).msgTypeId());

            assertEquals(ChannelState.CORRUPT, corrupt.state());
            assertEquals(positions[0], corrupt.position());
            assertNotNull(corrupt.corruption());
            assertTrue(corrupt.corruption().contains("position=" + positions[0]), corrupt.corruption());
            assertTrue(corrupt.corruption().contains("frameLength=" + frameLength), corrupt.corruption());
            assertEquals(0, corrupt.poll(collector, Integer.MAX_VALUE));
            assertEquals(1, collector.size());
            assertFalse(corrupt.records().hasNext());
            assertThrows(IllegalStateException.class, () -> corrupt.seek(0));
            assertThrows(IllegalStateException.class, corrupt::seekToEnd);
            assertEquals(ChannelState.CORRUPT, corrupt.state());
        }
    }

    @Test
    void shouldTurnCorruptAtZeroWhenFirstRecordHeaderIsBad() throws IOException
    {
        writeRecords();
        final Path copy = root.resolve("copy.kekbit");
        Files.copy(writer.path(), copy);
        ChannelTestSupport.putRecordHeader(copy, 0, 4096, 0);

        try (ChannelReader corrupt = ChannelReader.open(copy))
        {
            assertFalse(corrupt.records().hasNext());
            assertEquals(ChannelState.CORRUPT, corrupt.state());
            assertEquals(0, corrupt.position());
            assertEquals(0, corrupt.poll(new RecordCollector(), 10));
            assertTrue(corrupt.corruption().contains("frameLength=4096"), corrupt.corruption());
        }
    }

    @Test
    void shouldStopBeforeBadRecordWhenSeekingToEndOrPastIt() throws IOException
    {
        writeRecords();
        final Path copy = root.resolve("copy.kekbit");
        Files.copy(writer.path(), copy);
        ChannelTestSupport.putRecordHeader(copy, positions[4], 3, 0);

        try (ChannelReader corrupt = ChannelReader.open(copy))
        {
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> corrupt.seek(positions[7]));
            assertTrue(ex.getMessage().contains("bad record header at position=" + positions[4]), ex.getMessage());
            assertEquals(0, corrupt.position());

            assertEquals(positions[4], corrupt.seekToEnd());
            assertEquals(ChannelState.OPEN, corrupt.state(), "seekToEnd leaves reporting the bad record to poll");
            assertEquals(0, corrupt.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CORRUPT, corrupt.state());
            assertEquals(positions[4], corrupt.position());
        }
    }

    @Test
    @Timeout(30)
    void shouldDeliverEveryRecordToEveryReaderWhenOneWriterWritesConcurrently() throws Exception
    {
        final int recordCount = 100_000;
        final int readerCount = 4;
        final ChannelWriter.Context ctx = ChannelTestSupport.writerContext(root, 4 * 1024 * 1024, 64)
            .channelId(ChannelTestSupport.CHANNEL_ID + 1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch start = new CountDownLatch(1);
        final CountDownLatch finished = new CountDownLatch(readerCount + 1);
        final SequenceChecker[] checkers = new SequenceChecker[readerCount];
        final ChannelState[] endStates = new ChannelState[readerCount];
        final long[] writerSum = new long[1];

        try (ChannelWriter concurrentWriter = ChannelWriter.create(ctx))
        {
            for (int r = 0; r < readerCount; r++)
            {
                final int index = r;
                final ChannelReader concurrentReader = ChannelReader.open(concurrentWriter.path());
                checkers[index] = new SequenceChecker();
                startThread("reader-" + index, start, finished, failure, () ->
                {
                    try (ChannelReader ownReader = concurrentReader)
                    {
                        endStates[index] = readToEnd(ownReader, checkers[index]);
                    }
                });
            }
            startThread("writer", start, finished, failure, () ->
            {
                try (ChannelWriter ownWriter = concurrentWriter)
                {
                    writerSum[0] = writeSequence(ownWriter, recordCount);
                }
            });

            start.countDown();
            finished.await();
        }

        assertNull(failure.get());
        for (int r = 0; r < readerCount; r++)
        {
            assertEquals(ChannelState.CLOSED, endStates[r], "reader " + r);
            assertEquals(recordCount, checkers[r].count, "reader " + r);
            assertEquals(writerSum[0], checkers[r].sum, "reader " + r);
            assertEquals(0, checkers[r].errors, "reader " + r);
            assertEquals(recordCount, checkers[r].nextSequence, "reader " + r);
        }
    }

    private void writeRecords()
    {
        for (int i = 0; i < RECORD_COUNT; i++)
        {
            final int length = 16 + i;
            positions[i] = writer.write(i, payload(length, i), 0, length);
            assertTrue(positions[i] > 0);
        }
    }

    private static long writeSequence(final ChannelWriter writer, final int recordCount)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        long sum = 0;
        for (int i = 0; i < recordCount; i++)
        {
            final int length = SequenceChecker.length(i);
            buffer.putLong(0, i, ByteOrder.LITTLE_ENDIAN);
            buffer.setMemory(Long.BYTES, length - Long.BYTES, (byte)i);
            if (writer.write(7, buffer, 0, length) < 0)
            {
                throw new IllegalStateException("write failed at sequence " + i);
            }
            sum += i;
            if ((i & 1023) == 0)
            {
                writer.doWork();
            }
        }

        return sum;
    }

    private static ChannelState readToEnd(final ChannelReader reader, final RecordHandler handler)
    {
        final YieldingIdleStrategy idleStrategy = new YieldingIdleStrategy();
        while (true)
        {
            final int count = reader.poll(handler, 256);
            if (0 == count)
            {
                final ChannelState state = reader.state();
                if (state.isEndOrAbandoned())
                {
                    return state;
                }
            }
            idleStrategy.idle(count);
        }
    }

    private static void startThread(
        final String name,
        final CountDownLatch start,
        final CountDownLatch finished,
        final AtomicReference<Throwable> failure,
        final Runnable task)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                start.await();
                task.run();
            }
            catch (final Throwable t)
            {
                failure.compareAndSet(null, t);
            }
            finally
            {
                finished.countDown();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Checks records carry consecutive sequences, with the payload length and filler the writer chose for each.
     */
    private static final class SequenceChecker implements RecordHandler
    {
        long count;
        long sum;
        long nextSequence;
        long errors;

        static int length(final long sequence)
        {
            return Long.BYTES + (int)(sequence % 13);
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long sequence = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
            if (sequence != nextSequence || length != length(sequence) || 7 != msgTypeId ||
                (length > Long.BYTES && buffer.getByte(offset + length - 1) != (byte)sequence))
            {
                errors++;
            }
            nextSequence = sequence + 1;
            sum += sequence;
            count++;
        }
    }
}
