package org.kekbit.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
