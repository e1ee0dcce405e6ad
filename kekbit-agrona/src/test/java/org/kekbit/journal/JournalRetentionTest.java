package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalRetentionTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldKeepNewestSealedSegmentsWhenRetainingByCount()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(2)))
        {
            long sequence = 0;
            while (writer.rolls() < 20)
            {
                write(writer, scratch, sequence++);
                writer.doWork();
            }
            writer.doWork();
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(3, bases.size(), "two sealed segments and the current one: " + bases);
            assertEquals(writer.currentSegmentBase(), bases.getLong(2));
            assertEquals(writer.currentSegmentBase() - 2L * SEGMENT_CAPACITY, writer.oldestSegmentBase());

            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
            {
                assertEquals(writer.oldestSegmentBase(), reader.position(), "the start is the oldest segment left");
            }
        }
    }

    @Test
    void shouldNotDeleteSegmentWhenProtectingNamedReaderStillNeedsIt()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(1));
            JournalReader protecting = JournalReader.open(new JournalReader.Context().folder(folder).name("slow"));
            JournalReader careless = JournalReader.open(
                new JournalReader.Context().folder(folder).name("fast").protectRetention(false)))
        {
            long sequence = 0;
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (writer.rolls() < 10)
            {
                write(writer, scratch, sequence++);
                writer.doWork();
                careless.poll(checker, 10);
                careless.commit();
            }
            assertEquals(0, writer.slowestProtectingPosition());
            assertTrue(Files.exists(JournalDescriptor.segmentPath(folder, 0)), "protected by the slow reader");
            assertEquals(11, JournalFiles.segmentBases(folder).size());

            final JournalTestSupport.Checker slowChecker = new JournalTestSupport.Checker(0);
            slowChecker.reader = protecting;
            while (protecting.segmentPath().equals(JournalDescriptor.segmentPath(folder, 0)) ||
                protecting.position() < 4L * SEGMENT_CAPACITY)
            {
                assertTrue(protecting.poll(slowChecker, 1) > 0);
            }
            protecting.commit();
            final long committed = protecting.position();
            for (int i = 0; i < 20; i++)
            {
                writer.doWork();
            }
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(JournalDescriptor.segmentBase(committed, SEGMENT_CAPACITY), bases.getLong(0),
                "deleted up to the slow reader's segment: " + bases);
            assertEquals(List.of(), slowChecker.errors);
        }
    }

    @Test
    void shouldReportTruncatedWhenNextSegmentWasDeletedUnderReader()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(1));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            long sequence = 0;
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            assertEquals(1, reader.poll(checker, 0) + 1, "opened the first segment");
            while (writer.rolls() < 6)
            {
                write(writer, scratch, sequence++);
                writer.doWork();
            }
            writer.doWork();
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(JournalState.TRUNCATED, reader.state());
            assertEquals(SEGMENT_CAPACITY, reader.position(), "at the missing segment, nothing skipped silently");
            assertEquals(0, reader.poll(checker, 100));

            final long start = reader.seekToStart();
            assertEquals(writer.oldestSegmentBase(), start);
            assertEquals(JournalState.OPEN, reader.state());
        }
    }

    @Test
    void shouldKeepSegmentsWithinBytesWhenRetainingByBytes()
    {
        final long fileLength = ChannelDescriptor.fileLength(SEGMENT_CAPACITY);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedBytes(4 * fileLength + 1)))
        {
            writeUntilRolls(writer, 12);
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(4, bases.size(), "at most 4 files of " + fileLength + " bytes: " + bases);
            assertEquals(writer.currentSegmentBase(), bases.getLong(3));
        }
    }

    @Test
    void shouldDeleteSegmentOnlyOnceItsRollIsOlderThanRetentionWhenRetainingByAge()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_000_000);
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).retentionMs(60_000).epochClock(clock)))
        {
            writeUntilRolls(writer, 6);
            assertEquals(7, JournalFiles.segmentBases(folder).size(), "nothing is older than a minute yet");

            clock.advance(60_000);
            runDutyCycle(writer);
            assertEquals(7, JournalFiles.segmentBases(folder).size(), "exactly a minute old is kept");

            clock.advance(1);
            runDutyCycle(writer);
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(1, bases.size(), "every sealed segment was rolled more than a minute ago: " + bases);
            assertEquals(writer.oldestSegmentBase(), bases.getLong(0));
        }
    }

    @Test
    void shouldDeletePastProtectingReaderOnlyWhenHardCapSaysSoAndThenReportTruncated()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(1).hardCapSegments(3)))
        {
            try (JournalReader protecting = JournalReader.open(
                new JournalReader.Context().folder(folder).name("slow")))
            {
                assertEquals(0, protecting.commit());
            }
            writeUntilRolls(writer, 3);
            assertEquals(4, JournalFiles.segmentBases(folder).size(), "the soft limit stops at the protecting reader");

            writeUntilRolls(writer, 8);
            final LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(4, bases.size(), "the hard cap keeps three sealed segments and the writer's: " + bases);
            assertEquals(writer.oldestSegmentBase(), bases.getLong(0));

            try (JournalReader protecting = JournalReader.open(
                new JournalReader.Context().folder(folder).name("slow")))
            {
                assertEquals(JournalState.TRUNCATED, protecting.state(), "its position was deleted under it");
                assertEquals(0, protecting.position(), "at the committed position, nothing skipped silently");
                assertEquals(0, protecting.poll(new JournalTestSupport.Checker(0), 10));
                assertEquals(bases.getLong(0), protecting.seekToStart());
                assertEquals(JournalState.OPEN, protecting.state());
            }
        }
    }

    @Test
    void shouldPruneFromOutsideWriterWithoutDeletingWhatProtectingReaderNeeds()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writeUntilRolls(writer, 10);
            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("r")))
            {
                final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
                while (reader.position() < 4L * SEGMENT_CAPACITY)
                {
                    assertEquals(1, reader.poll(checker, 1));
                }
                reader.commit();
                assertEquals(List.of(), checker.errors);
            }
            final long protectedBase = JournalDescriptor.segmentBase(writer.slowestProtectingPosition(),
                SEGMENT_CAPACITY);

            final LongArrayList deletedBases = new LongArrayList();
            final LongArrayList heldBases = new LongArrayList();
            final int deleted = JournalWriter.prune(new JournalWriter.Context().folder(folder).retainedSegments(2),
                deletedBases::addLong, heldBases::addLong);
            LongArrayList bases = JournalFiles.segmentBases(folder);
            assertEquals(protectedBase / SEGMENT_CAPACITY, deleted);
            assertEquals(protectedBase, bases.getLong(0), "stopped at the protecting reader: " + bases);
            final LongArrayList expectedDeleted = new LongArrayList();
            for (long base = 0; base < protectedBase; base += SEGMENT_CAPACITY)
            {
                expectedDeleted.addLong(base);
            }
            final LongArrayList expectedHeld = new LongArrayList();
            for (long base = protectedBase; base < writer.currentSegmentBase() - 2 * SEGMENT_CAPACITY;
                base += SEGMENT_CAPACITY)
            {
                expectedHeld.addLong(base);
            }
            assertEquals(expectedDeleted, deletedBases);
            assertEquals(expectedHeld, heldBases, "what retainedSegments(2) would delete but the reader needs");
            assertTrue(heldBases.size() > 0, "the journal is long enough for the reader to hold some: " + bases);

            assertEquals(0, JournalWriter.prune(new JournalWriter.Context().folder(folder).retainedSegments(2)));
            final int capped = JournalWriter.prune(new JournalWriter.Context().folder(folder).hardCapSegments(2));
            bases = JournalFiles.segmentBases(folder);
            assertEquals(3, bases.size(), "a hard cap passes the reader: " + bases);
            assertEquals(writer.currentSegmentBase(), bases.getLong(2), "never the writer's segment");
            assertTrue(capped > 0);

            writer.doWork(); // the writer notices segments pruned under it and writes on
            assertTrue(write(writer, scratch, 1_000_000) > 0);
        }
    }

    @Test
    void shouldHoldNoMappingOfSegmentsBehindItWhenReaderFollowsRetention() throws IOException
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(1));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            while (writer.rolls() < 30)
            {
                write(writer, scratch, sequence++);
                writer.doWork();
                reader.poll(checker, 100);
                reader.commit();
            }
            assertEquals(List.of(), checker.errors);
            assertEquals(sequence, checker.next);
            final String folderName = folder.toString();
            // The writer maps each segment under the temp name it created it with: those lines are the writer's.
            final List<String> mappedByReader = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter((line) -> line.contains(folderName) && line.contains(JournalDescriptor.SEGMENT_SUFFIX) &&
                    !line.contains(JournalDescriptor.NEXT_SEGMENT_PREFIX))
                .map((line) -> line.substring(line.indexOf(folderName)))
                .distinct()
                .toList();
            assertEquals(List.of(JournalDescriptor.segmentPath(folder, writer.currentSegmentBase()).toString()),
                mappedByReader, "the reader maps only the segment it reads, none it left or retention deleted");
            assertTrue(JournalFiles.segmentBases(folder).size() <= 3);
        }
    }

    private void writeUntilRolls(final JournalWriter writer, final int rolls)
    {
        long sequence = 0;
        while (writer.rolls() < rolls)
        {
            assertTrue(write(writer, scratch, sequence++) > 0);
            writer.doWork();
        }
        runDutyCycle(writer);
    }

    private static void runDutyCycle(final JournalWriter writer)
    {
        for (int i = 0; i < 100; i++)
        {
            writer.doWork();
        }
    }
}
