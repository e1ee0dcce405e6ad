package org.kekbit.channel;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelReaderPositionLimitTest
{
    @TempDir
    Path root;

    @Test
    void shouldDeliverOnlyRecordsEndingAtOrBeforeThePositionLimit()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, 64 * 1024, 1024);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final long first = writer.write(1, payload(10, 1), 0, 10);
            final long second = writer.write(2, payload(100, 2), 0, 100);
            final long third = writer.write(3, payload(5, 3), 0, 5);
            final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();

            assertEquals(0, reader.poll(seen, 10, 0));
            assertEquals(0, reader.poll(seen, 10, first - 8), "the limit falls inside the first record");
            assertEquals(1, reader.poll(seen, 10, first));
            assertEquals(first, reader.position());
            assertEquals(1, reader.poll(seen, 10, second + 8), "stops before a record ending past the limit");
            assertEquals(second, reader.position());
            assertEquals(1, reader.poll(seen, 10, Long.MAX_VALUE));
            assertEquals(third, reader.position());
            assertEquals(3, seen.size());
            assertEquals(ChannelState.OPEN, reader.state());
        }
    }
}
