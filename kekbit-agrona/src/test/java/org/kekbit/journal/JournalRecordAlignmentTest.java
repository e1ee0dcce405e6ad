package org.kekbit.journal;

import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

/**
 * A journal's records keep the alignment its writer was created with, in every segment, new or recycled, and across
 * a resume or reopen whatever the resuming context says.
 */
class JournalRecordAlignmentTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @ParameterizedTest
    @ValueSource(ints = { 16, 64, 128 })
    void shouldAlignEveryRecordAndDeliverEveryRecordInOrderAcrossRecycledSegments(final int recordAlignment)
    {
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).recordAlignment(recordAlignment).retainedSegments(2).recycleSegments(true));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            while (writer.rolls() < 40)
            {
                final long end = write(writer, scratch, sequence++);
                assertTrue(end > 0);
                assertEquals(0, end % recordAlignment, "record " + (sequence - 1) + " ends aligned");
                writer.doWork();
                reader.poll(checker, 100);
                reader.commit();
                assertEquals(recordAlignment, reader.recordAlignment());
            }
            while (reader.poll(checker, 100) > 0)
            {
                reader.commit();
            }

            assertEquals(List.of(), checker.errors);
            assertEquals(sequence, checker.next, "every record, once, in order");
            assertTrue(writer.recycledSegments() >= 30, "recycled=" + writer.recycledSegments());
        }
    }

    @Test
    void shouldKeepAlignmentOfItsSegmentsWhenReopenedOrResumedWithAnotherInContext()
    {
        long sequence = 0;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).recordAlignment(64)))
        {
            while (writer.rolls() < 2)
            {
                write(writer, scratch, sequence++);
            }
        }
        try (JournalWriter reopened = JournalWriter.resume(writerContext(folder))) // a closed journal: a new segment
        {
            assertEquals(64, alignmentOf(JournalDescriptor.segmentPath(folder, reopened.currentSegmentBase())));
            while (reopened.rolls() < 2)
            {
                assertEquals(0, write(reopened, scratch, sequence++) % 64);
            }
            JournalTestSupport.crash(reopened);
        }
        try (JournalWriter resumed = JournalWriter.resume(writerContext(folder).recordAlignment(8)))
        {
            for (int i = 0; i < 20 || resumed.rolls() < 1; i++)
            {
                assertEquals(0, write(resumed, scratch, sequence++) % 64);
            }
            assertEquals(64, alignmentOf(JournalDescriptor.segmentPath(folder, resumed.currentSegmentBase())));
        }

        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next, "every record, once, in order");
        }
    }

    @Test
    void shouldRefuseAlignmentThatIsNotPowerOfTwoFrom8To128()
    {
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> JournalWriter.create(writerContext(folder).recordAlignment(24)));
        assertEquals(ChannelException.Reason.BAD_HEADER, ex.reason());
        assertTrue(ex.getMessage().contains("actual=24"), ex.getMessage());
    }

    private static int alignmentOf(final Path segment)
    {
        try (ChannelReader reader = ChannelReader.open(segment))
        {
            return reader.recordAlignment();
        }
    }
}
