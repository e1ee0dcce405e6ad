package org.kekbit.tool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelDescriptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertNoStackTrace;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.closedChannel;
import static org.kekbit.tool.ToolTestSupport.run;

class KekbitToolTest
{
    @TempDir
    Path root;

    static Stream<Arguments> readingCommandsAndBadFiles()
    {
        final String[][] commands = {
            {"info"}, {"info", "--json"}, {"tail"}, {"tail", "--follow"}, {"tail", "--format", "hex"},
            {"tail", "--format", "sbe"}, {"verify"}, {"verify", "--json"}};
        final String[] badFiles = {"missing", "directory", "random bytes", "empty", "truncated channel",
            "truncated header"};
        final Stream.Builder<Arguments> arguments = Stream.builder();
        for (final String[] command : commands)
        {
            for (final String badFile : badFiles)
            {
                arguments.add(Arguments.of(String.join(" ", command), badFile));
            }
        }
        return arguments.build();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("readingCommandsAndBadFiles")
    void shouldPrintOneLineAndExitTwoWhenFileIsNotAChannel(final String command, final String badFile)
        throws IOException
    {
        final Path file = badFile(badFile);
        final String[] args = (command + " " + file).split(" ");

        final ToolResult result = run(args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("", result.out());
        assertTrue(result.err().contains(file.toString()), result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "frob", "--bogus", "info", "info a b", "info --bogus FILE", "tail",
        "tail --format xml FILE", "tail --from", "verify --json", "verify FILE --yaml", "help nosuchcommand"})
    void shouldPrintOneLineAndExitTwoWhenArgumentsAreWrong(final String arguments)
    {
        final Path file = closedChannel(root, 1, "one");
        final String[] args = arguments.isEmpty() ? new String[0] : arguments.replace("FILE", file.toString())
            .split(" ");

        final ToolResult result = run(args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("", result.out());
    }

    @Test
    void shouldNameCommandsWhenCommandIsUnknown()
    {
        final ToolResult result = run("frob");

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("unknown command: 'frob'"), result.err());
        assertTrue(result.err().contains("info, tail, verify, write, readers, prune, cut, bench or replicate"),
            result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "help", "help tail", "info --help", "tail -h", "verify --help",
        "write --help", "bench --help"})
    void shouldPrintUsageAndExitZeroWhenHelpIsAsked(final String arguments)
    {
        final ToolResult result = run(arguments.split(" "));

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertTrue(result.out().startsWith("Usage: kekbit"), result.out());
        assertEquals("", result.err());
        assertNoStackTrace(result);
    }

    @ParameterizedTest
    @ValueSource(strings = {"info", "tail", "verify", "bench --records 10", "write --root ROOT --channel 9"})
    @Timeout(60)
    void shouldNameTheJvmFlagInOneLineWhenJvmLacksIt(final String command) throws Exception
    {
        final Path file = closedChannel(root, 1, "one");
        final List<String> args = new ArrayList<>(List.of(command.replace("ROOT", root.toString()).split(" ")));
        if (!command.contains("--"))
        {
            args.add(file.toString());
        }
        final Process tool = ToolTestSupport.startToolProcess(List.of(), args.toArray(new String[0]));
        tool.getOutputStream().close();

        final String out = new String(tool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(tool.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tool.waitFor(30, TimeUnit.SECONDS));

        final ToolResult result = new ToolResult(tool.exitValue(), out, err);
        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(err.contains(AgronaAccess.JVM_FLAG), err);
        assertEquals("", out);
    }

    @Test
    @Timeout(60)
    void shouldPrintHelpWhenJvmLacksTheFlag() throws Exception
    {
        final Process tool = ToolTestSupport.startToolProcess(List.of(), "tail", "--help");

        final String out = new String(tool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tool.waitFor(30, TimeUnit.SECONDS));

        assertEquals(KekbitTool.EXIT_OK, tool.exitValue());
        assertTrue(out.startsWith("Usage: kekbit tail"), out);
    }

    private Path badFile(final String kind) throws IOException
    {
        final Path file = root.resolve("bad.kekbit");
        switch (kind)
        {
            case "missing":
                return file;
            case "directory":
                return Files.createDirectory(file);
            case "random bytes":
                final byte[] bytes = new byte[4096];
                new Random(42).nextBytes(bytes);
                return Files.write(file, bytes);
            case "empty":
                return Files.write(file, new byte[0]);
            case "truncated channel":
                return truncatedCopy(file, ChannelDescriptor.fileLength(64 * 1024) - 1);
            case "truncated header":
                return truncatedCopy(file, ChannelDescriptor.HEADER_LENGTH - 1);
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    private Path truncatedCopy(final Path file, final long length) throws IOException
    {
        final Path channel = closedChannel(root.resolve("channels"), 1, "one", "two");
        Files.copy(channel, file, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel fileChannel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            fileChannel.truncate(length);
        }
        return file;
    }
}
