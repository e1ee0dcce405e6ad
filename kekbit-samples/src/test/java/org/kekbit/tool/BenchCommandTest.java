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
    private static final String PERCENTILES =
        "p50=\\d+\\.\\d\\d p90=\\d+\\.\\d\\d p99=\\d+\\.\\d\\d p99\\.9=\\d+\\.\\d\\d max=\\d+\\.\\d\\d";

    @TempDir
    Path root;

    @Test
    @Timeout(60)
    void shouldPrintRatesAndQueueingDelayAndDeleteChannelWhenThroughputRun() throws Exception
    {
        final ToolResult result = run("bench", "--records", "20000", "--payload", "40", "--root", root.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertEquals("", result.err());
        final String out = result.out();
        assertTrue(out.startsWith("bench: throughput run: 20,000 records of 40 bytes through "), out);
        assertTrue(out.contains("\n  writer thread writes as fast as it can; reader agent on a busy-spinning " +
            "AgentRunner; " + Runtime.getRuntime().availableProcessors() + " cores\n"), out);
        assertTrue(out.matches("(?s).*\nwriter: 20,000 records in \\d+\\.\\d{3} s: [\\d,]+ records/s, " +
            "\\d+\\.\\d MB/s\n.*"), out);
        assertTrue(out.contains("state CLOSED, every record in order"), out);
        assertTrue(out.matches("(?s).*\nqueueing delay us, from write to read behind the flood \\(not latency: " +
            "see --mode latency\\) \\(20,000 records\\): " + PERCENTILES + "\n"), out);
        assertFalse(out.contains("latency us"), out);
        try (Stream<Path> files = Files.list(root))
        {
            assertEquals(List.of(), files.collect(Collectors.toList()),
                "the channel and its folder must be deleted, the root given kept");
        }
    }

    @Test
    @Timeout(60)
    void shouldPrintLatencyFromIntendedSendTimeAfterWarmupWhenLatencyRun()
    {
        // 20,000 records at 200,000/s: 0.1 s.
        final ToolResult result = run("bench", "--mode", "latency", "--rate", "200000", "--warmup", "4000",
            "--records", "20000", "--root", root.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertEquals("", result.err());
        final String out = result.out();
        assertTrue(out.startsWith("bench: latency run: 20,000 records of 32 bytes at 200,000/s through "), out);
        assertTrue(out.contains("\n  writer thread spins until each record's intended send time; reader agent on " +
            "a busy-spinning AgentRunner; " + Runtime.getRuntime().availableProcessors() + " cores; warm-up: the " +
            "first 4,000 records (0.02 s) are not measured\n"), out);
        assertTrue(out.contains("state CLOSED, every record in order"), out);
        assertTrue(out.matches("(?s).*\nlatency us, from intended send time to read \\(16,000 records\\): " +
            PERCENTILES + "\n"), out);
        assertFalse(out.contains("queueing"), out);
    }

    @Test
    @Timeout(60)
    void shouldLeaveOutTenthOfRecordsWhenLatencyRunHasNoWarmupOption()
    {
        final ToolResult result = run("bench", "--mode", "LATENCY", "--rate", "1000000", "--records", "3000",
            "--root", root.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
        assertTrue(result.out().contains("warm-up: the first 300 records (0.00 s) are not measured"), result.out());
        assertTrue(result.out().contains("from intended send time to read (2,700 records)"), result.out());
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
        "--records 2000000000 --payload 1024", "--root", "--mode fast", "--mode", "--rate 1000",
        "--mode throughput --rate 1000", "--warmup 10", "--mode latency --rate 0", "--mode latency --rate -1",
        "--mode latency --rate 2000000000", "--mode latency --rate x", "--mode latency --records 10 --warmup 10",
        "--mode latency --warmup -1"})
    void shouldFailWithOneLineWhenArgumentsAreWrong(final String arguments)
    {
        final String[] args = ("bench " + arguments).split(" ");

        final ToolResult result = run(args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("", result.out());
    }
}
