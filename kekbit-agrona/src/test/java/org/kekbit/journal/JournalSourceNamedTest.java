package org.kekbit.journal;

import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.MAX_RECORD_LENGTH;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalSourceNamedTest
{
    private static final String NAME = "copy";

    @TempDir
    Path tmp;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[MAX_RECORD_LENGTH]);
    private final Handler handler = new Handler();

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
            try (JournalSource source = JournalSource.open(named(folder)))
            {
                while (0 == handler.rolls)
                {
                    final long before = source.position();
                    assertTrue(source.poll(handler, 1 << 20) > 0);
                    if (0 == handler.rolls)
                    {
                        assertEquals(source.position(), source.commit(Long.MAX_VALUE), "from " + before);
                    }
                }
                final long nextBase = JournalTestSupport.SEGMENT_CAPACITY;
                assertEquals(nextBase, source.position());
                assertEquals(handler.markerPosition, source.commit(handler.markerPosition),
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

    private static final class Handler implements JournalSource.Handler
    {
        int rolls;
        long markerPosition;

        public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
        {
        }

        public void onRoll(
            final long markerPosition,
            final DirectBuffer seal,
            final int sealOffset,
            final int sealLength,
            final long nextBase,
            final DirectBuffer nextHeader,
            final int headerOffset)
        {
            rolls++;
            this.markerPosition = markerPosition;
        }
    }
}
