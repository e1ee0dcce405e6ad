package org.kekbit.samples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelThroughputTest
{
    @TempDir
    Path root;

    @Test
    @Timeout(60)
    void shouldDeliverEveryRecordInOrderWhenRunWithSmallSettings()
    {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final ChannelThroughput.Result result = ChannelThroughput.run(
            new SampleConfiguration(root, 200_000, 40, false), new PrintStream(output, true, StandardCharsets.UTF_8));

        assertEquals(200_000, result.records());
        assertEquals(0, result.gaps());
        assertEquals(ChannelState.CLOSED, result.endState());
        assertTrue(result.isValid());
        final String text = output.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("M records/s"), text);
        assertTrue(text.contains("every record whole and in order"), text);
    }

    @Test
    @Timeout(60)
    void shouldRemoveTheChannelFileWhenNotKept() throws Exception
    {
        ChannelThroughput.run(new SampleConfiguration(root, 1000, 16, false), new PrintStream(
            new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        try (Stream<Path> files = Files.walk(root))
        {
            assertEquals(0, files.filter(Files::isRegularFile).count());
        }
    }

    @Test
    void shouldRejectUnusableSettingsWhenConfigured()
    {
        assertThrows(IllegalArgumentException.class, () -> new SampleConfiguration(root, 0, 32, false));
        assertThrows(IllegalArgumentException.class, () -> new SampleConfiguration(root, 10, 8, false));
        assertThrows(IllegalArgumentException.class, () -> ChannelThroughput.run(
            new SampleConfiguration(root, Integer.MAX_VALUE, 1024, false), System.out));
    }
}
