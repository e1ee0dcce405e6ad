package org.kekbit.journal;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordHandler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;

/**
 * Seals and seeks: records carry a timestamp at payload offset 0 and a sequence at offset 8, as a
 * {@code StagedWriter} with a {@code TimestampStage} and a {@code SequenceStage} writes them; sequences go up by 2 so
 * a seek can ask for one between two records.
 */
class JournalSeekTest
{
    private static final int TIMESTAMP_OFFSET = 0;
    private static final int SEQUENCE_OFFSET = 8;
    private static final long FIRST_TIMESTAMP_NS = 1_000_000_000L;

    @TempDir
    Path folder;

    private final UnsafeBuffer payload = new UnsafeBuffer(new byte[200]);
    private final CachedEpochClock clock = new CachedEpochClock();
    private long written;

    @ParameterizedTest(name = "duty cycle run after each record: {0}")
    @ValueSource(booleans = { false, true })
    void shouldSealEverySegmentWithItsCountKeysAndRollTimeWhenRolling(final boolean isDutyCycleRun)
    {
        clock.update(42_000);
        final RecordClaim claim = new RecordClaim();
        try (JournalWriter writer = JournalWriter.create(writerContext()))
        {
            long index = 0;
            while (writer.rolls() < 8)
            {
                if (0 == index % 3)
                {
                    final int length = encode(index);
                    assertTrue(writer.tryClaim(1, length, claim) > 0);
                    claim.buffer().putBytes(0, payload, 0, length);
                    claim.commit();
                    final long aborted = writer.tryClaim(1, 40, claim);
                    assertTrue(aborted > 0);
                    claim.abort(); // not a record: the seal must not count it
                }
                else
                {
                    assertTrue(writer.write(1, payload, 0, encode(index)) > 0);
                }
                if (isDutyCycleRun)
                {
                    writer.doWork(); // near a segment's end it reads the seal's first keys ahead of the roll
                }
                index++;
            }

            final JournalSeal seal = new JournalSeal();
            long expectedFirst = 0;
            for (long base = 0; base < writer.currentSegmentBase(); base += SEGMENT_CAPACITY)
            {
                final Path path = JournalDescriptor.segmentPath(folder, base);
                assertTrue(seal.read(path), "sealed: " + path);
                final List<long[]> records = readSegment(path);
                assertEquals(records.size(), seal.recordCount());
                assertEquals(2 * expectedFirst, seal.firstSequence());
                assertEquals(records.get(records.size() - 1)[1], seal.lastSequence());
                assertEquals(records.get(0)[0], seal.firstTimestampNs());
                assertEquals(records.get(records.size() - 1)[0], seal.lastTimestampNs());
                assertEquals(42_000, seal.rollTimeMs());
                expectedFirst += records.size();
            }
            assertFalse(seal.read(JournalDescriptor.segmentPath(folder, writer.currentSegmentBase())),
                "the segment being written has no seal");
            assertEquals(JournalDescriptor.NULL_VALUE, seal.recordCount());
        }
    }

    @Test
    void shouldEndSealedSegmentWithPlainRolledMarkerWhenReadByChannelReader()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext()))
        {
            writeUntilRolls(writer, 2);
            try (ChannelReader reader = ChannelReader.open(JournalDescriptor.segmentPath(folder, 0)))
            {
                final List<long[]> records = new ArrayList<>();
                while (reader.poll((msgTypeId, buffer, offset, length) -> records.add(new long[]{ 0 }), 100) > 0)
                {
                    assertTrue(records.size() < 1000);
                }
                assertEquals(ChannelState.ROLLED, reader.state(), "a reader that knows no seal stops at the marker");
                assertTrue(reader.position() <= SEGMENT_CAPACITY - JournalDescriptor.SEAL_REGION_LENGTH);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({ "0, 8", "64, 8", "4096, 8", "0, 64", "64, 64", "4096, 128" })
    void shouldSeekToFirstRecordAtOrAfterEverySequenceAndTimeWithOrWithoutIndex(
        final int intervalBytes, final int recordAlignment)
    {
        try (JournalWriter writer = JournalWriter.create(writerContext().recordAlignment(recordAlignment)))
        {
            final long records = writeUntilRolls(writer, 12);
            if (intervalBytes > 0)
            {
                assertTrue(JournalIndexer.rebuild(indexerContext().intervalBytes(intervalBytes)) > 12);
            }
            for (int i = 0; i < 10; i++)
            {
                writer.write(1, payload, 0, encode(records + i)); // past the index: found by the scan
            }
            final long total = records + 10;

            try (JournalReader reader = JournalReader.open(readerContext()))
            {
                final KeyCollector collector = new KeyCollector();
                for (long target = -3; target <= 2 * total + 2; target++)
                {
                    final long position = reader.seekToSequence(target);
                    collector.clear();
                    reader.poll(collector, 1);
                    final long expectedIndex = Math.max(0, (target + 1) / 2);
                    if (expectedIndex >= total)
                    {
                        assertEquals(writer.position(), position, "past the last sequence: the end");
                        assertEquals(0, collector.sequences.size());
                    }
                    else
                    {
                        assertEquals(List.of(2 * expectedIndex), collector.sequences, "target=" + target);
                    }
                }
                for (long index = 0; index < total; index += 7)
                {
                    reader.seekToTimestamp(timestampNs(index) - 1);
                    collector.clear();
                    reader.poll(collector, 1);
                    assertEquals(List.of(2 * index), collector.sequences, "at or after the time");
                }
            }
        }
    }

    @Test
    void shouldReportTruncatedWhenSeekingToSequenceBeforeOldestRetainedRecord()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext().retainedSegments(2)))
        {
            writeUntilRolls(writer, 8);
            final long oldest = JournalFiles.segmentBases(folder).getLong(0);
            assertTrue(oldest > 0);
            try (JournalReader reader = JournalReader.open(readerContext()))
            {
                assertEquals(oldest, reader.seekToSequence(0));
                assertEquals(JournalState.TRUNCATED, reader.state(), "the records sought were deleted");
                assertEquals(oldest, reader.seekToStart());
                final KeyCollector collector = new KeyCollector();
                reader.poll(collector, 1);
                final long firstKept = collector.sequences.getLong(0);
                reader.seekToSequence(firstKept);
                assertEquals(JournalState.OPEN, reader.state(), "the oldest record itself is there");
                assertEquals(oldest, reader.position());
            }
        }
    }

    @Test
    void shouldResumeIndexWhereItStoppedAndRebuildWhenDeleted()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext()))
        {
            writeUntilRolls(writer, 3);
            final long firstPass;
            try (JournalIndexer indexer = JournalIndexer.open(indexerContext().intervalBytes(256)))
            {
                while (indexer.doWork() > 0)
                {
                    assertTrue(indexer.entryCount() > 0);
                }
                firstPass = indexer.entryCount();
                assertEquals(writer.position(), indexer.indexedPosition());
            }
            writeUntilRolls(writer, 6);
            final long resumed;
            try (JournalIndexer indexer = JournalIndexer.open(indexerContext().intervalBytes(256)))
            {
                assertEquals(firstPass, indexer.entryCount(), "resumed, not rebuilt");
                while (indexer.doWork() > 0)
                {
                    assertTrue(indexer.entryCount() >= firstPass);
                }
                resumed = indexer.entryCount();
            }
            Files.deleteIfExists(folder.resolve(JournalDescriptor.INDEX_FILE_NAME));
            assertEquals(resumed, JournalIndexer.rebuild(indexerContext().intervalBytes(256)),
                "a rebuilt index has the same entries");
            try (JournalIndex index = JournalIndex.open(folder))
            {
                for (long entry = 1; entry < index.entryCount(); entry++)
                {
                    assertTrue(index.position(entry) > index.position(entry - 1), "entry " + entry + ": " +
                        index.position(entry) + " after " + index.position(entry - 1));
                    assertTrue(index.key(entry, true) > index.key(entry - 1, true));
                }
            }
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void shouldDropEntriesOfSegmentsRetentionDeletedWhenIndexerCrossesNextSegment()
    {
        final int intervalBytes = 256;
        try (JournalWriter writer = JournalWriter.create(writerContext().retainedSegments(2));
            JournalIndexer indexer = JournalIndexer.open(indexerContext().intervalBytes(intervalBytes)))
        {
            writeUntilRolls(writer, indexer, 20, true);
            final long rolls = writer.rolls();
            // The last roll without the writer's duty cycle, so retention deletes nothing the indexer has not seen.
            writeUntilRolls(writer, indexer, (int)rolls + 1, false);
            while (indexer.doWork() > 0)
            {
                assertTrue(indexer.entryCount() > 0);
            }

            final LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(4, bases.size(), "two sealed segments kept, the one rolled last and the writer's");
            try (JournalIndex index = JournalIndex.open(folder))
            {
                assertEquals(bases.getLong(0), index.position(0), "the first entry is the oldest segment's start");
                assertEquals(indexer.entryCount(), index.entryCount());
                assertTrue(index.entryCount() <= bases.size() * (SEGMENT_CAPACITY / intervalBytes + 1),
                    "entries of deleted segments dropped: " + index.entryCount());
                for (long entry = 1; entry < index.entryCount(); entry++)
                {
                    assertTrue(index.position(entry) > index.position(entry - 1));
                }
            }
            assertSeeksFindEveryRetainedRecord(writer);
        }
    }

    @Test
    void shouldDropEntriesOfPrunedSegmentsWhenIndexerResumes()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext()))
        {
            writeUntilRolls(writer, 10);
            final long entries = JournalIndexer.rebuild(indexerContext().intervalBytes(256));
            assertEquals(7, JournalWriter.prune(new JournalWriter.Context().folder(folder).retainedSegments(3)));
            final long oldest = JournalFiles.segmentBases(folder).getLong(0);
            final JournalIndex stale = JournalIndex.open(folder);
            assertEquals(entries, stale.entryCount());
            assertEquals(0, stale.position(0), "kept until an indexer runs");
            try (JournalIndexer indexer = JournalIndexer.open(indexerContext().intervalBytes(256)))
            {
                assertEquals(0, indexer.doWork(), "nothing new to index");
                assertTrue(indexer.entryCount() < entries);
                try (JournalIndex compacted = JournalIndex.open(folder))
                {
                    assertEquals(oldest, compacted.position(0));
                    assertEquals(indexer.entryCount(), compacted.entryCount());
                }
                assertEquals(0, stale.position(0), "a seek that mapped the old file still reads it whole");
                assertEquals(entries, stale.entryCount());
                writeUntilRolls(writer, 12);
                while (indexer.doWork() > 0)
                {
                    assertTrue(indexer.entryCount() > 0);
                }
            }
            finally
            {
                stale.close();
            }
            assertFalse(Files.exists(folder.resolve(JournalDescriptor.INDEX_TEMP_FILE_NAME)));
            assertSeeksFindEveryRetainedRecord(writer);
        }
    }

    @Test
    void shouldRefuseSecondIndexerAndRebuildWhileOneHoldsTheIndex()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext()))
        {
            writeUntilRolls(writer, 2);
            try (JournalIndexer indexer = JournalIndexer.open(indexerContext()))
            {
                assertTrue(indexer.doWork() > 0);
                final ChannelException second =
                    assertThrows(ChannelException.class, () -> JournalIndexer.open(indexerContext()));
                assertEquals(ChannelException.Reason.WRITER_ACTIVE, second.reason());
                assertTrue(second.getMessage().contains(JournalDescriptor.INDEX_LOCK_FILE_NAME), second.getMessage());
                final ChannelException rebuild =
                    assertThrows(ChannelException.class, () -> JournalIndexer.rebuild(indexerContext()));
                assertEquals(ChannelException.Reason.WRITER_ACTIVE, rebuild.reason());
                assertTrue(indexer.doWork() >= 0, "the holder runs on");
                assertTrue(Files.exists(folder.resolve(JournalDescriptor.INDEX_FILE_NAME)), "not deleted");
            }
            assertTrue(JournalIndexer.rebuild(indexerContext()) > 0, "free once the holder closed");
        }
    }

    private void assertSeeksFindEveryRetainedRecord(final JournalWriter writer)
    {
        try (JournalReader reader = JournalReader.open(readerContext()))
        {
            final KeyCollector collector = new KeyCollector();
            reader.poll(collector, 1);
            final long firstKept = collector.sequences.getLong(0);
            for (long sequence = firstKept; sequence < 2 * written; sequence += 2)
            {
                reader.seekToSequence(sequence);
                assertEquals(JournalState.OPEN, reader.state(), "sequence=" + sequence);
                collector.clear();
                assertEquals(1, reader.poll(collector, 1), "sequence=" + sequence);
                assertEquals(List.of(sequence), collector.sequences);
            }
            assertEquals(writer.position(), reader.seekToSequence(2 * written));
        }
    }

    private void writeUntilRolls(
        final JournalWriter writer, final JournalIndexer indexer, final int rolls, final boolean isDutyCycle)
    {
        while (writer.rolls() < rolls)
        {
            assertTrue(writer.write(1, payload, 0, encode(written++)) > 0);
            if (isDutyCycle)
            {
                writer.doWork();
            }
            indexer.doWork();
        }
    }

    private JournalWriter.Context writerContext()
    {
        return JournalTestSupport.writerContext(folder)
            .epochClock(clock)
            .sequenceOffset(SEQUENCE_OFFSET)
            .timestampOffset(TIMESTAMP_OFFSET);
    }

    private JournalReader.Context readerContext()
    {
        return new JournalReader.Context().folder(folder).sequenceOffset(SEQUENCE_OFFSET)
            .timestampOffset(TIMESTAMP_OFFSET);
    }

    private JournalIndexer.Context indexerContext()
    {
        return new JournalIndexer.Context().folder(folder).sequenceOffset(SEQUENCE_OFFSET)
            .timestampOffset(TIMESTAMP_OFFSET);
    }

    /**
     * Write records numbered on from the last call until the writer has rolled so many times.
     *
     * @return the number of records written so far.
     */
    private long writeUntilRolls(final JournalWriter writer, final int rolls)
    {
        while (writer.rolls() < rolls)
        {
            assertTrue(writer.write(1, payload, 0, encode(written++)) > 0);
            writer.doWork();
        }
        return written;
    }

    private int encode(final long index)
    {
        payload.putLong(TIMESTAMP_OFFSET, timestampNs(index), ByteOrder.LITTLE_ENDIAN);
        payload.putLong(SEQUENCE_OFFSET, 2 * index, ByteOrder.LITTLE_ENDIAN);
        return 16 + (int)(index * 37 % 150);
    }

    private static long timestampNs(final long index)
    {
        return FIRST_TIMESTAMP_NS + index * 1_000;
    }

    private static List<long[]> readSegment(final Path path)
    {
        final List<long[]> records = new ArrayList<>();
        try (ChannelReader reader = ChannelReader.open(path))
        {
            while (reader.poll((msgTypeId, buffer, offset, length) -> records.add(new long[]{
                buffer.getLong(offset + TIMESTAMP_OFFSET, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN) }), 100) > 0)
            {
                assertTrue(records.size() < 10_000);
            }
        }
        return records;
    }

    private static final class KeyCollector implements RecordHandler
    {
        final LongArrayList sequences = new LongArrayList();

        void clear()
        {
            sequences.clear();
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            sequences.addLong(buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN));
        }
    }
}
