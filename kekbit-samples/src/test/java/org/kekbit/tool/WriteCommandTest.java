package org.kekbit.tool;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;
import org.kekbit.channel.RecordView;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.run;
import static org.kekbit.tool.ToolTestSupport.runWithInput;

class WriteCommandTest
{
    @TempDir
    Path root;

    @Test
    void shouldWriteOneRecordPerLineWhenInputEnds()
    {
        final ToolResult result = runWithInput("alpha\nwörld\n\ncrlf\r\nlast without newline",
            "write", "--root", root.toString(), "--channel", "42", "--capacity", "64k");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("", result.err());
        final Path file = ChannelDescriptor.channelPath(root, 42);
        assertEquals(file + "\n", result.out());
        assertEquals(List.of("alpha", "wörld", "", "crlf", "last without newline"), readRecords(file));

        final ToolResult verify = run("verify", file.toString());
        assertEquals(KekbitTool.EXIT_OK, verify.exitCode());
        assertEquals("CLOSED", ToolTestSupport.parseText(verify.out()).get("state"));
    }

    @Test
    void shouldApplySettingsWhenGivenAsOptions()
    {
        final ToolResult result = runWithInput("one\n", "write", "--root", root.toString(),
            "--channel", "0x0000_0001_0000_002A", "--capacity", "8k", "--max-record", "100", "--timeout-ms", "2500");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final Path file = root.resolve("0000_0001").resolve("0000_002a.kekbit");
        assertEquals(file + "\n", result.out());
        try (ChannelReader reader = ChannelReader.open(file))
        {
            assertEquals(0x1_0000_002AL, reader.channelId());
            assertEquals(8192, reader.capacity());
            assertEquals(100, reader.maxRecordLength());
            assertEquals(2500, reader.header().timeoutMs());
        }
    }

    @Test
    void shouldCreateEmptyClosedChannelWhenInputIsEmpty()
    {
        final ToolResult result = runWithInput("",
            "write", "--root", root.toString(), "--channel", "1", "--capacity", "64k");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final Path file = ChannelDescriptor.channelPath(root, 1);
        assertEquals(List.of(), readRecords(file));
        assertEquals("CLOSED", ToolTestSupport.parseText(run("info", file.toString()).out()).get("state"));
    }

    @Test
    void shouldFailWithOneLineAndCloseChannelWhenLineIsTooLong()
    {
        final ToolResult result = runWithInput("short\n" + "x".repeat(17) + "\nnever\n",
            "write", "--root", root.toString(), "--channel", "1", "--capacity", "64k", "--max-record", "16");

        assertOneErrorLine(result, KekbitTool.EXIT_FAILED);
        assertTrue(result.err().contains("line 2") && result.err().contains("maxRecordLength=16"), result.err());
        final Path file = ChannelDescriptor.channelPath(root, 1);
        assertEquals(file + "\n", result.out());
        assertEquals(List.of("short"), readRecords(file));
        assertEquals("CLOSED", ToolTestSupport.parseText(run("verify", file.toString()).out()).get("state"));
    }

    @Test
    void shouldFailWithOneLineAndMarkFullWhenChannelHasNoRoom()
    {
        final StringBuilder input = new StringBuilder();
        for (int i = 0; i < 10; i++)
        {
            input.append("record-").append(i).append('\n');
        }

        final ToolResult result = runWithInput(input.toString(),
            "write", "--root", root.toString(), "--channel", "1", "--capacity", "64");

        assertOneErrorLine(result, KekbitTool.EXIT_FAILED);
        assertTrue(result.err().contains("channel full at line 5"), result.err());
        final Path file = ChannelDescriptor.channelPath(root, 1);
        assertEquals(List.of("record-0", "record-1", "record-2", "record-3"), readRecords(file));
        assertEquals("FULL", ToolTestSupport.parseText(run("verify", file.toString()).out()).get("state"));
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldKeepHeartbeatFreshWhenInputIsIdle() throws Exception
    {
        final long timeoutMs = 250;
        final PipedOutputStream stdin = new PipedOutputStream();
        final PipedInputStream in = new PipedInputStream(stdin);
        final ToolTestSupport.WatchedOutput output = new ToolTestSupport.WatchedOutput("\n");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final AtomicInteger exitCode = new AtomicInteger(-1);
        final Thread write = new Thread(() -> exitCode.set(KekbitTool.run(
            new String[]{ "write", "--root", root.toString(), "--channel", "1", "--capacity", "64k",
                "--timeout-ms", String.valueOf(timeoutMs) },
            in,
            new PrintStream(output, false, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8))));
        write.setDaemon(true);
        write.start();

        final Path file;
        try
        {
            output.awaitText(); // the path: the channel exists
            file = Path.of(output.text().trim());
            stdin.write("one\n".getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            try (ChannelReader reader = ChannelReader.open(file))
            {
                final long creationTimeMs = reader.header().creationTimeMs();
                final RecordHandler skip = (msgTypeId, buffer, offset, length) -> {};
                // Several timeouts go by with no input after the line: with everything read, the state depends on
                // the heartbeat alone, which only a writer that runs its duty cycle moves.
                while (reader.header().heartbeatTimeMs() < creationTimeMs + 4 * timeoutMs)
                {
                    reader.poll(skip, 10);
                    assertEquals(ChannelState.OPEN, reader.state());
                    Thread.yield();
                }
                reader.poll(skip, 10);
                assertEquals(
                    RecordDescriptor.alignedLength(RecordDescriptor.frameLength(3), RecordDescriptor.ALIGNMENT),
                    reader.position(), "the line was read");
                assertEquals(ChannelState.OPEN, reader.state());
            }
        }
        finally
        {
            stdin.close();
        }

        write.join();
        assertEquals(KekbitTool.EXIT_OK, exitCode.get(), err.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("one"), readRecords(file));
    }

    @Test
    void shouldFailWithOneLineWhenChannelExists()
    {
        final String[] args = {"write", "--root", root.toString(), "--channel", "1", "--capacity", "64k"};
        assertEquals(KekbitTool.EXIT_OK, runWithInput("one\n", args).exitCode());

        final ToolResult result = runWithInput("two\n", args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("already exists"), result.err());
        assertEquals(List.of("one"), readRecords(ChannelDescriptor.channelPath(root, 1)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--channel 1",
        "--root ROOT",
        "--root ROOT --channel xyz",
        "--root ROOT --channel 0xg1",
        "--root ROOT --channel 1 --capacity 100",
        "--root ROOT --channel 1 --capacity 32",
        "--root ROOT --channel 1 --capacity lots",
        "--root ROOT --channel 1 --capacity 9999999999999999999",
        "--root ROOT --channel 1 --capacity 4096 --max-record 4096",
        "--root ROOT --channel 1 --max-record 3g",
        "--root ROOT --channel 1 --timeout-ms 0",
        "--root ROOT --channel 1 --timeout-ms soon",
        "--root ROOT --channel 1 extra",
    })
    void shouldFailWithOneLineWhenArgumentsAreWrong(final String arguments) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("write"));
        for (final String argument : arguments.split(" "))
        {
            args.add(argument.replace("ROOT", root.toString()));
        }

        final ToolResult result = runWithInput("one\n", args.toArray(new String[0]));

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("", result.out());
        try (Stream<Path> files = Files.walk(root))
        {
            assertFalse(files.anyMatch(Files::isRegularFile), "no channel must be left behind");
        }
    }

    private static List<String> readRecords(final Path file)
    {
        final List<String> records = new ArrayList<>();
        try (ChannelReader reader = ChannelReader.open(file))
        {
            while (reader.records().hasNext())
            {
                final RecordView record = reader.records().next();
                assertEquals(WriteCommand.TEXT_MSG_TYPE_ID, record.msgTypeId());
                final byte[] bytes = new byte[record.length()];
                record.buffer().getBytes(record.offset(), bytes);
                records.add(new String(bytes, StandardCharsets.UTF_8));
            }
        }
        return records;
    }
}
