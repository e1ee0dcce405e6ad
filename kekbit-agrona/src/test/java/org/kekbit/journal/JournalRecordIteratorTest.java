package org.kekbit.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.RecordView;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.MSG_TYPE_ID;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

/**
 * {@link JournalReader#records()}: the channel iterator's contract, across segments.
 */
class JournalRecordIteratorTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);
    private final List<Long> written = new ArrayList<>();
    private long sequence;

    @Test
    void shouldIterateEveryRecordOnceWithJournalPositionsWhenCrossingRolls()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final Iterator<RecordView> records = reader.records();
            assertFalse(records.hasNext());
            assertThrows(NoSuchElementException.class, records::next);

            writeUntilRolls(writer, 6);
            iterateAll(reader, 0, written.size());
            assertSame(records, reader.records(), "one iterator per reader");
            assertEquals(writer.position(), reader.position());
            assertEquals(JournalState.OPEN, reader.state());

            // At the live end, one record at a time until a write rolls: the iterator crosses at the live end.
            final long rolls = writer.rolls();
            while (writer.rolls() == rolls)
            {
                written.add(write(writer, scratch, sequence++));
                assertTrue(records.hasNext(), "turns true once the writer commits again");
                assertTrue(records.hasNext(), "hasNext does not consume");
                final RecordView view = records.next();
                assertEquals(written.get(written.size() - 1), view.position());
                assertNull(JournalTestSupport.verify(view.buffer(), view.offset(), view.length(), sequence - 1));
                assertFalse(records.hasNext());
                assertThrows(NoSuchElementException.class, records::next);
            }
            assertEquals(writer.currentSegmentBase(), JournalDescriptor.segmentBase(reader.position(),
                JournalTestSupport.SEGMENT_CAPACITY), "crossed into the writer's segment");
        }
    }

    @Test
    void shouldStopAtClosedAndMixWithPollAndResumeNamedReaderAfterCommit()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writeUntilRolls(writer, 4);
        }
        final int half = written.size() / 2;
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("it")))
        {
            final Iterator<RecordView> records = reader.records();
            for (int i = 0; i < half; i++)
            {
                assertTrue(records.hasNext());
                assertEquals(written.get(i), records.next().position());
            }
            assertEquals(written.get(half - 1), reader.commit());
        }
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("it")))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(half);
            assertEquals(10, reader.poll(checker, 10), "resumed after the commit");
            assertEquals(List.of(), checker.errors);
            iterateAll(reader, half + 10, written.size());
            assertFalse(reader.records().hasNext());
            assertEquals(JournalState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldReportTruncatedAndIterateNothingWhenNextSegmentIsDeleted() throws Exception
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writeUntilRolls(writer, 3);
            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
            {
                Files.delete(JournalDescriptor.segmentPath(folder, JournalTestSupport.SEGMENT_CAPACITY));
                int count = 0;
                final Iterator<RecordView> records = reader.records();
                while (records.hasNext())
                {
                    assertEquals(written.get(count++), records.next().position());
                }
                assertTrue(count > 0);
                assertEquals(JournalState.TRUNCATED, reader.state());
                assertEquals(JournalTestSupport.SEGMENT_CAPACITY, reader.position());
                assertFalse(records.hasNext());
            }
        }
    }

    private void writeUntilRolls(final JournalWriter writer, final int rolls)
    {
        while (writer.rolls() < rolls)
        {
            final long position = write(writer, scratch, sequence++);
            assertTrue(position > 0);
            written.add(position);
            writer.doWork();
        }
    }

    /**
     * Iterate to the live end, checking each record is the next one written and each view is the same object.
     */
    private void iterateAll(final JournalReader reader, final int from, final int to)
    {
        final Iterator<RecordView> records = reader.records();
        RecordView first = null;
        int index = from;
        while (records.hasNext())
        {
            final RecordView view = records.next();
            first = null == first ? view : first;
            assertSame(first, view, "one reused view");
            assertTrue(index < to, "more records than written");
            assertEquals(MSG_TYPE_ID, view.msgTypeId());
            assertEquals(written.get(index), view.position(), "record " + index);
            assertNull(JournalTestSupport.verify(view.buffer(), view.offset(), view.length(), index));
            index++;
        }
        assertEquals(to, index);
    }
}
