package org.kekbit.tool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.run;

class BenchCommandTest
{
    @TempDir
    Path root;

    @Test
    @Timeout(60)
    void shouldPrintRatesAndLatencyAndDeleteChannelWhenRunWithFewRecords() throws Exception
    {
        final ToolResult result = run("bench", "--records", "20000", "--payload", "40", "--root", root.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertEquals("", result.err());
        final String out = result.out();
        assertTrue(out.contains("20,000 records of 40 bytes"), out);
        assertTrue(out.contains("records/s") && out.contains("MB/s"), out);
        assertTrue(out.contains("state CLOSED, every record in order"), out);
        assertTrue(out.matches("(?s).*latency ns: p50=\\d+ p90=\\d+ p99=\\d+ p99\\.9=\\d+ max=\\d+\n"), out);
        try (Stream<Path> files = Files.list(root))
        {
            assertEquals(List.of(), files.collect(Collectors.toList()),
                "the channel and its folder must be deleted, the root given kept");
        }
    }

    @Test
    @Timeout(60)
    void shouldLeaveNoFolderWhenRootDidNotExist()
    {
        final Path newRoot = root.resolve("made-by-bench");

        final ToolResult result = run("bench", "--records", "1000", "--root", newRoot.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertFalse(Files.exists(newRoot), "bench made the root, so it must remove it");
    }

    @Test
    @Timeout(60)
    void shouldKeepOtherChannelsAndTheirFolderWhenSharingRoot() throws Exception
    {
        final Path other = root.resolve("6265_6e63").resolve("other.kekbit");
        Files.createDirectories(other.getParent());
        Files.write(other, new byte[]{ 1 });

        final ToolResult result = run("bench", "--records", "1000", "--root", root.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertTrue(Files.exists(other), "a folder in use is not bench's to delete");
        try (Stream<Path> files = Files.list(other.getParent()))
        {
            assertEquals(List.of(other), files.collect(Collectors.toList()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"--records 0", "--records -5", "--records many", "--payload 8", "--payload x",
        "--records 2000000000 --payload 1024", "--root"})
    void shouldFailWithOneLineWhenArgumentsAreWrong(final String arguments)
    {
        final String[] args = ("bench " + arguments).split(" ");

        final ToolResult result = run(args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("", result.out());
    }
}
