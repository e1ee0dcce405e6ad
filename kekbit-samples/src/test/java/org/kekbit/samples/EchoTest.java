package org.kekbit.samples;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.samples.SampleTestSupport.Output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.SampleTestSupport.assertOneLineError;
import static org.kekbit.samples.SampleTestSupport.channels;
import static org.kekbit.samples.SampleTestSupport.properties;

class EchoTest
{
    private static final List<String> LINES = List.of("hello", "", "wörld ✓ ünïcode", "  spaces  ", "last line");

    @TempDir
    Path root;

    @Test
    @Timeout(20)
    void shouldPrintEveryLineInOrderWhenReaderRunsAfterWriterClosed()
    {
        final Output writerOut = new Output();
        final long written = EchoWriter.run(channels(root, 1), input(LINES, "\n"), writerOut.stream);

        final Output readerOut = new Output();
        final EchoReader.Result result = EchoReader.run(channels(root, 1), readerOut.stream);

        assertEquals(LINES.size(), written);
        assertEquals(LINES, readerOut.lines());
        assertEquals(new EchoReader.Result(LINES.size(), ChannelState.CLOSED), result);
        assertTrue(writerOut.text().contains("5 lines written, channel closed"), writerOut.text());
    }

    @Test
    @Timeout(20)
    void shouldPrintEveryLineInOrderWhenReaderStartsBeforeWriter() throws Exception
    {
        final Output readerOut = new Output();
        final FutureTask<EchoReader.Result> reader = SampleTestSupport.startThread(
            "echo-reader", () -> EchoReader.run(channels(root, 7), readerOut.stream));

        EchoWriter.run(channels(root, 7), input(LINES, "\r\n"), new Output().stream);

        assertEquals(new EchoReader.Result(LINES.size(), ChannelState.CLOSED), reader.get(15, TimeUnit.SECONDS));
        assertEquals(LINES, readerOut.lines());
    }

    @Test
    @Timeout(20)
    void shouldExitWithZeroWhenLaunchedWithProperties()
    {
        final Output writerOut = new Output();
        final Output writerErr = new Output();
        assertEquals(0, EchoWriter.launch(properties(root, "channel=0x10"), new String[0], input(LINES, "\n"),
            writerOut.stream, writerErr.stream));

        final Output readerOut = new Output();
        final Output readerErr = new Output();
        assertEquals(0, EchoReader.launch(properties(root, "channel=16"), new String[0], readerOut.stream,
            readerErr.stream));

        assertEquals(LINES, readerOut.lines());
        assertEquals("", writerErr.text());
        assertEquals("", readerErr.text());
    }

    @Test
    @Timeout(20)
    void shouldFailOnBothSidesWithOneLineWhenInputDoesNotFitTheChannel()
    {
        // 20-byte lines take 32 bytes each: two fit a 64-byte channel, the third leaves it FULL.
        final List<String> lines = List.of("a".repeat(20), "b".repeat(20), "c".repeat(20), "d".repeat(20));
        final Output writerErr = new Output();
        assertEquals(1, EchoWriter.launch(properties(root, "capacity=64"), new String[0], input(lines, "\n"),
            new Output().stream, writerErr.stream));

        final Output readerOut = new Output();
        final Output readerErr = new Output();
        assertEquals(1, EchoReader.launch(properties(root), new String[0], readerOut.stream, readerErr.stream));

        assertOneLineError(writerErr.text(), "channel full after 2 lines: capacity=64");
        assertEquals(lines.subList(0, 2), readerOut.lines());
        assertOneLineError(readerErr.text(), "channel ended FULL after 2 lines");
    }

    @Test
    @Timeout(20)
    void shouldFailWithOneLineWhenLineIsLongerThanMaxRecordLength()
    {
        final Output err = new Output();

        assertEquals(1, EchoWriter.launch(properties(root, "capacity=64"), new String[0],
            input(List.of("short", "x".repeat(57)), "\n"), new Output().stream, err.stream));

        assertOneLineError(err.text(), "line 2 too long: expected<=56 bytes, actual=57");
        final Output readerOut = new Output();
        assertEquals(ChannelState.CLOSED, EchoReader.run(channels(root, 1), readerOut.stream).endState());
        assertEquals(List.of("short"), readerOut.lines());
    }

    @Test
    @Timeout(20)
    void shouldPrintOneLineErrorWhenChannelExists()
    {
        try (ChannelWriter ignore = ChannelWriter.create(channels(root, 1).writerContext(1)))
        {
            final Output out = new Output();
            final Output err = new Output();

            assertEquals(2, EchoWriter.launch(properties(root), new String[0], input(LINES, "\n"), out.stream,
                err.stream));

            assertOneLineError(err.text(), "channel already exists: " + root);
            assertEquals("", out.text());
        }
    }

    @Test
    @Timeout(20)
    void shouldPrintOneLineErrorWhenChannelDoesNotAppearInTime()
    {
        final Output err = new Output();

        assertEquals(2, EchoReader.launch(properties(root, "timeout=50"), new String[0], new Output().stream,
            err.stream));

        assertOneLineError(err.text(), "channel not ready after 50 ms: no channel file: " + root);
    }

    @ParameterizedTest
    @Timeout(20)
    @CsvSource(delimiter = '|', value = {
        "channel=one  | -    | kekbit.sample.channel must be a number: actual=one",
        "idle=spin    | -    | kekbit.sample.idle must be backoff, yielding, sleeping or busyspin: actual=spin",
        "capacity=100 | -    | kekbit.sample.capacity: capacity must be a multiple of 8: actual=100",
        "timeout=-1   | -    | kekbit.sample.timeout must be positive: actual=-1",
        "keep=no      | -    | kekbit.sample.keep must be true or false: actual=no",
        "channel=1    | more | unexpected argument: more",
    })
    void shouldPrintOneLineErrorWhenInputIsBad(final String property, final String arg, final String message)
    {
        final String[] args = "-".equals(arg) ? new String[0] : new String[]{ arg };
        final Output writerErr = new Output();
        final Output readerErr = new Output();

        assertEquals(2, EchoWriter.launch(properties(root, property), args, input(LINES, "\n"), new Output().stream,
            writerErr.stream));
        assertEquals(2, EchoReader.launch(properties(root, property), args, new Output().stream, readerErr.stream));

        assertOneLineError(writerErr.text(), message);
        assertOneLineError(readerErr.text(), message);
    }

    private static InputStream input(final List<String> lines, final String separator)
    {
        return new ByteArrayInputStream((String.join(separator, lines) + separator).getBytes(StandardCharsets.UTF_8));
    }
}
