package org.kekbit.benchmarks.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SustainedReportTest
{
    @TempDir
    Path tempDir;

    @Test
    void shouldPrintRowPerJournalSegmentCapacityAndRatiosAgainstPeersWhenJournalsRan() throws IOException
    {
        // 20M records: 2 s is 10M records/s, 4 s is 5M, 1 s is 20M.
        final String report = report(
            result("kekbit", "", 2.0),
            result("journal", "\"segmentCapacity\": \"67108864\", ", 4.0),
            result("journal", "\"segmentCapacity\": \"1073741824\", ", 2.0),
            result("aeron", "", 1.0),
            result("journalReplay", "\"segmentCapacity\": \"67108864\", ", 1.0),
            result("chronicleReplay", "", 4.0));

        assertContains(report, "| Kekbit journal, 64 MiB segments made in the window by the creator agent | 5.00 |");
        assertContains(report, "| Kekbit journal, 1 GiB segments made in the window by the creator agent | 10.00 |");
        assertContains(report,
            "| Aeron IPC exclusive publication, 16 MiB terms | 20.00 | 5.76 | 20.00-20.00 | 0.50x |");
        assertContains(report,
            "| journal / system | kekbit | freshMemory | newMemory | ringBuffer | aeron | chronicle |");
        assertContains(report, "| 64 MiB segments | 0.50x | - | - | - | 0.25x | - |");
        assertContains(report, "| 1 GiB segments | 1.00x | - | - | - | 0.50x | - |");
        assertContains(report,
            "| replay: Kekbit journal, 64 MiB segments, written before | 20.00 | 5.76 | 20.00-20.00 | - |");
        assertContains(report, "| 64 MiB segments | - | - | 4.00x |");
    }

    @Test
    void shouldLeaveKekbitRatioEmptyAndStillNameRecordsWhenChannelsDidNotRun() throws IOException
    {
        final String report = report(
            result("journal", "\"segmentCapacity\": \"67108864\", ", 4.0),
            result("newMemory", "", 5.0),
            result("aeron", "", 1.0));

        assertContains(report, "### /dev/shm, 288 B payload, 20000000 records per measurement");
        assertContains(report, "| Aeron IPC exclusive publication, 16 MiB terms | 20.00 | 5.76 | 20.00-20.00 | - |");
        assertContains(report, "| 64 MiB segments | - | - | 1.25x | - | 0.25x | - |");
        assertFalse(report.contains("NaN"), report);
    }

    @Test
    void shouldNameEachRingCapacityAndGiveJournalRatioAgainstEach() throws IOException
    {
        final String report = report(
            result("journal", "\"segmentCapacity\": \"8388608\", \"retainedSegments\": \"2\", ", 2.0),
            result("ringBuffer", "\"ringCapacity\": \"67108864\", ", 1.0),
            result("ringBuffer", "\"ringCapacity\": \"268435456\", ", 4.0));

        assertContains(report, "| floor and peer: Agrona OneToOneRingBuffer, 64 MiB resident | 20.00 |");
        assertContains(report, "| floor and peer: Agrona OneToOneRingBuffer, 256 MiB resident | 5.00 |");
        assertContains(report,
            "| journal / system | kekbit | freshMemory | newMemory | ringBuffer 64 MiB | ringBuffer 256 MiB | aeron |");
        assertContains(report, "| 8 MiB, keeps 2, recycled segments | - | - | - | 0.50x | 2.00x | - | - |");
    }

    @Test
    void shouldNameWhereTheJournalsHelperAgentsRanWhenNotOnTheSleepingHelperThread() throws IOException
    {
        final String recycled = "\"segmentCapacity\": \"8388608\", \"retainedSegments\": \"2\", ";
        final String report = report(
            result("journal", recycled + "\"helperIdle\": \"SLEEP\", ", 2.0),
            result("journal", recycled + "\"helperIdle\": \"INVOKER\", ", 1.0),
            result("aeron", "", 2.0));

        final String made =
            "| Kekbit journal, 8 MiB, keeps 2, recycled segments made in the window by the creator agent";
        assertContains(report, made + " | 10.00 |");
        assertContains(report, made + ", helper agents on the writer's thread | 20.00 |");
        assertContains(report, "| 8 MiB, keeps 2, recycled segments | - | - | - | - | 1.00x | - |");
        assertContains(report,
            "| 8 MiB, keeps 2, recycled segments, helper agents on the writer's thread | - | - | - | - | 2.00x | - |");
    }

    /**
     * The report on /dev/shm of the given JMH results, as run-sustained.sh prints it.
     */
    private String report(final String... results) throws IOException
    {
        final Path file = tempDir.resolve("results.json");
        Files.writeString(file, "[" + String.join(",", results) + "]");
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        SustainedReport.print("/dev/shm", BenchmarkResult.read(file), out);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void assertContains(final String report, final String expected)
    {
        assertTrue(report.contains(expected), () -> "expected: " + expected + "\nin:\n" + report);
    }

    private static String result(final String method, final String extraParams, final double seconds)
    {
        return "{\"benchmark\": \"org.kekbit.benchmarks.SustainedStreamingBenchmark." + method + "\", " +
            "\"mode\": \"ss\", \"params\": {" + extraParams +
            "\"payloadLength\": \"288\", \"records\": \"20000000\"}, " +
            "\"primaryMetric\": {\"score\": " + seconds + ", \"scoreError\": \"NaN\", \"scoreUnit\": \"s/op\", " +
            "\"scorePercentiles\": {\"0.0\": " + seconds + ", \"50.0\": " + seconds + ", \"100.0\": " + seconds +
            "}}}";
    }
}
