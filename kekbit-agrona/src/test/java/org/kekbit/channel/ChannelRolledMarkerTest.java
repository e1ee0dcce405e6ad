package org.kekbit.channel;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.payload;

/**
 * The ROLLED end marker a journal's writer leaves through {@link ChannelWriter#roll()}: an end for a channel reader,
 * one release store like any commit, in the trailer when records fill the channel exactly.
 */
class ChannelRolledMarkerTest
{
    private static final int CAPACITY = 256;

    @TempDir
    Path root;

    @Test
    void shouldReportRolledAfterLastRecordWhenWriterRolls()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 64);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            writer.write(1, payload(20, 1), 0, 20);
            final long end = writer.position();
            assertTrue(writer.roll());
            assertTrue(writer.isClosed());
            assertFalse(writer.roll(), "idempotent");
            assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.write(1, payload(1, 1), 0, 1));

            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(0, reader.poll(collector, 10));
            assertEquals(ChannelState.ROLLED, reader.state());
            assertEquals(ChannelState.ROLLED, reader.endState());
            assertTrue(ChannelState.ROLLED.isEnd());
            assertEquals(end, reader.position(), "the reader stays before the marker");
            reader.seek(0);
            reader.seek(end);
            assertEquals(ChannelState.ROLLED, reader.state(), "seek onto the marker reports it at once");
        }
    }

    @Test
    void shouldPutRolledMarkerInTrailerWhenRecordsFillChannelExactly()
    {
        final int length = CAPACITY - RecordDescriptor.HEADER_LENGTH;
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, length);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            assertEquals(CAPACITY, writer.write(1, payload(length, 1), 0, length));
            assertTrue(writer.roll());
            assertEquals(1, reader.poll(new RecordCollector(reader), 10));
            assertEquals(0, reader.poll(new RecordCollector(reader), 10));
            assertEquals(ChannelState.ROLLED, reader.state());
            assertEquals(CAPACITY, reader.position());
        }
    }

    @Test
    void shouldRefuseResumeWithEndedWhenChannelRolled()
    {
        final ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 64);
        final Path path = writer.path();
        writer.roll();
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> ChannelWriter.resume(new ChannelWriter.Context().path(path)));
        assertEquals(ChannelException.Reason.ENDED, ex.reason());
    }
}
