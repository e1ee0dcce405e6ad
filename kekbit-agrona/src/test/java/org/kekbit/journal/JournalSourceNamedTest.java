package org.kekbit.journal;

import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;
import org.mockito.ArgumentCaptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.MAX_RECORD_LENGTH;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

class JournalSourceNamedTest
{
    private static final String NAME = "copy";

    @TempDir
    Path tmp;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[MAX_RECORD_LENGTH]);
    private final JournalSource.Handler handler = mock(JournalSource.Handler.class);

    @Test
    void shouldCommitWhatTheCopyAcknowledgedButNeverBeyondWhatWasDelivered()
    {
        final Path folder = tmp.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            final long first = write(writer, scratch, 0);
            final long second = write(writer, scratch, 1);
            try (JournalSource source = JournalSource.open(named(folder)))
            {
                assertEquals(NAME, source.readerName());
                assertEquals(0, source.commit(second), "nothing delivered yet");
                assertTrue(source.poll(handler, 8) > 0); // the first record alone
                assertEquals(first, source.position());
                assertEquals(first, source.commit(second), "not beyond what was delivered");
                source.poll(handler, 1 << 20);
                assertEquals(JournalSource.NOT_A_RECORD_END, source.commit(first + 8), "inside the second record");
                assertEquals(second, source.commit(second));
            }
            try (JournalReader reader = JournalReader.open(named(folder)))
            {
                assertEquals(second, reader.position(), "the name resumes where the copy was");
            }
        }
    }

    @Test
    void shouldCommitTheNextSegmentsBaseOnlyOnceTheRollWasDelivered()
    {
        final Path folder = tmp.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            long sequence = 0;
            while (writer.rolls() < 2)
            {
                write(writer, scratch, sequence++);
            }
            final long nextBase = JournalTestSupport.SEGMENT_CAPACITY;
            try (JournalSource source = JournalSource.open(named(folder)))
            {
                while (source.position() < nextBase)
                {
                    final long before = source.position();
                    assertTrue(source.poll(handler, 1 << 20) > 0);
                    if (source.position() < nextBase)
                    {
                        assertEquals(source.position(), source.commit(Long.MAX_VALUE), "from " + before);
                    }
                }
                final ArgumentCaptor<Long> marker = ArgumentCaptor.forClass(Long.class);
                verify(handler).onRoll(marker.capture(), any(), anyInt(), anyInt(), eq(nextBase), any(), anyInt());
                assertEquals(marker.getValue(), source.commit(marker.getValue()),
                    "the records' end, before the ROLLED marker");
                assertEquals(nextBase, source.commit(nextBase), "the copy rolled");
            }
        }
    }

    @Test
    void shouldCommitNothingForASourceWithoutAName()
    {
        final Path folder = tmp.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            final long first = write(writer, scratch, 0);
            try (JournalSource source = JournalSource.open(folder))
            {
                assertNull(source.readerName());
                source.poll(handler, 1 << 20);
                assertEquals(JournalReader.NOT_NAMED, source.commit(first));
            }
        }
    }

    @Test
    void shouldServeARecyclingJournalOnlyWithAName()
    {
        final Path folder = tmp.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).recycleSegments(true)
            .retainedSegments(1)))
        {
            final long first = write(writer, scratch, 0);
            final ChannelException ex = assertThrows(ChannelException.class, () -> JournalSource.open(folder));
            assertEquals(ChannelException.Reason.NAMED_READERS_ONLY, ex.reason());
            try (JournalSource source = JournalSource.open(named(folder)))
            {
                source.poll(handler, 1 << 20);
                assertEquals(first, source.commit(first));
            }
        }
    }

    private static JournalReader.Context named(final Path folder)
    {
        return new JournalReader.Context().folder(folder).name(NAME);
    }
}
