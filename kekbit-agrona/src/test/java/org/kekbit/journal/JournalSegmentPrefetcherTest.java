package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalSegmentPrefetcherTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);
    private final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();

    @Test
    void shouldCrossEveryRollIntoThePreparedSegmentWhenThePrefetcherRunsBetweenRolls()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader reader = JournalReader.open(readerContext()))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            while (writer.rolls() < 20)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork(); // creates the next segment under its temporary name
                prefetcher.doWork(); // maps it for the reader
                reader.poll(checker, 100);
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next, "every record once, in order");
            assertEquals(writer.rolls(), reader.prefetchedSegments(), "every crossing took its prepared segment");
            assertEquals(JournalDescriptor.segmentPath(folder, 20L * SEGMENT_CAPACITY), reader.segmentPath(),
                "named by the segment, not by the temporary name it was mapped under");
        }
        finally
        {
            prefetcher.onClose();
        }
    }

    @Test
    void shouldOpenTheLinkedSegmentWhenThePreparedStandbyWasDeletedByTheResumedWriter() throws IOException
    {
        final JournalWriter crashed = JournalWriter.create(writerContext(folder));
        final JournalReader reader = JournalReader.open(readerContext());
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        long sequence = 0;
        assertTrue(write(crashed, scratch, sequence++) > 0);
        crashed.doWork();
        final Path next = JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY);
        assertTrue(ChannelReader.isOnStandby(next), "the next segment waits on standby under its name");
        reader.poll(checker, 100);
        assertEquals(1, prefetcher.doWork(), "prepared from the standby");
        JournalTestSupport.crash(crashed);

        // The resumed writer deletes the standby and makes another: the prepared mapping is of an orphan.
        try (JournalWriter writer = JournalWriter.resume(writerContext(folder)))
        {
            while (writer.rolls() < 1)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
            }
            assertTrue(write(writer, scratch, sequence++) > 0, "one record in the linked successor");
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next, "read from the linked file, not the orphan");
            assertEquals(0, reader.prefetchedSegments());
        }
        finally
        {
            reader.close();
            prefetcher.onClose();
        }
    }

    @Test
    void shouldUnmapThePreparedSegmentWhenTheReaderOrThePrefetcherCloses() throws IOException
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            assertTrue(write(writer, scratch, 0) > 0);
            writer.doWork();
            final String nextName =
                JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY).getFileName().toString(); // on standby

            final JournalReader closedReader = JournalReader.open(readerContext());
            assertEquals(1, prefetcher.doWork());
            assertTrue(JournalRoundTripTest.mapsContain(nextName), "mapped ahead of the roll");
            closedReader.close();
            assertFalse(JournalRoundTripTest.mapsContain(nextName), "unmapped when the reader closes");
            assertEquals(0, prefetcher.doWork(), "and forgotten");

            final JournalReader reader = JournalReader.open(readerContext());
            assertEquals(1, prefetcher.doWork());
            assertTrue(JournalRoundTripTest.mapsContain(nextName));
            prefetcher.onClose();
            assertFalse(JournalRoundTripTest.mapsContain(nextName), "unmapped when the prefetcher closes");

            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 1;
            while (writer.rolls() < 3)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
                prefetcher.doWork();
                reader.poll(checker, 100);
            }
            assertEquals(List.of(), checker.errors);
            assertEquals(sequence, checker.next, "the reader opens its segments itself");
            assertEquals(0, reader.prefetchedSegments());
            reader.close();
        }
    }

    private JournalReader.Context readerContext()
    {
        return new JournalReader.Context().folder(folder).prefetcher(prefetcher);
    }
}
