package org.kekbit.tool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        try (Stream<Path> files = Files.walk(root))
        {
            assertEquals(0, files.filter(Files::isRegularFile).count(), "the channel must be deleted");
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
