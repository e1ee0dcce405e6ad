package org.kekbit.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

/**
 * {@link JournalWriter#detach()} and {@link JournalWriter#force()}: a service that stops without closing its journal
 * carries on after a resume, and forcing covers the segments rolled from.
 */
class JournalDetachTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldResumeAfterDetachWithoutEndMarkerAndDeliverEveryRecordOnce()
    {
        long sequence = 0;
        final long detachedAt;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writer.doWork();
            while (writer.rolls() < 3)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
            }
            writer.doWork(); // a next segment exists: detach deletes it
            detachedAt = writer.position();
            writer.detach();
            assertTrue(writer.isClosed());
            assertEquals(JournalWriter.JOURNAL_CLOSED, write(writer, scratch, sequence));
        }
        assertFalse(Files.exists(JournalDescriptor.nextSegmentPath(folder,
            JournalDescriptor.segmentBase(detachedAt, SEGMENT_CAPACITY) + SEGMENT_CAPACITY)));

        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(detachedAt, reader.position());
            assertEquals(JournalState.ABANDONED, reader.state(), "no end marker, no writer open in this JVM");

            try (JournalWriter resumed = JournalWriter.resume(writerContext(folder)))
            {
                assertEquals(detachedAt, resumed.position());
                for (int i = 0; i < 50; i++)
                {
                    assertTrue(write(resumed, scratch, sequence++) > 0);
                }
                resumed.force();
                while (reader.poll(checker, 100) > 0)
                {
                    assertEquals(List.of(), checker.errors);
                }
                assertEquals(sequence, checker.next, "every record once, in order, across the detach");
            }
        }
    }

    @Test
    void shouldForceAcrossRollsAndIgnoreSegmentsDeletedByRetention()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(1)))
        {
            long sequence = 0;
            while (writer.rolls() < 5)
            {
                write(writer, scratch, sequence++);
                writer.doWork();
            }
            assertTrue(writer.oldestSegmentBase() > 0, "retention deleted segments never forced");
            writer.force();
            writer.force(); // nothing new: idempotent
        }
    }
}
