package org.kekbit.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RollLatency at a toy size (a smoke run, no figure): it rolls, the reader takes every record, every measured write
 * lands in exactly one of the two histograms, and bad arguments get one-line messages.
 */
class RollLatencyTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldClassifyEveryWriteAndDeleteJournalWhenRunBriefly() throws java.io.IOException
    {
        final Path dir = tempDir.resolve("journal");
        final RollLatency.Settings settings = RollLatency.Settings.parse(new String[]{
            "--dir", dir.toString(), "--records", "60000", "--warmup-records", "5000", "--payload", "32",
            "--rate", "200000", "--segment-capacity", "262144", "--window-us", "100", "--warm-up-rolls", "20" });

        final RollLatency.Result result = RollLatency.run(settings);

        final long window = settings.windowRecords();
        final long aroundRolls = result.callAroundRoll.getTotalCount();
        assertEquals(20, window);
        assertTrue(result.rolls >= 8, () -> "rolls=" + result.rolls); // 65,000 records of 40 B in 256 KiB segments
        assertEquals(65_000, result.readRecords);
        assertEquals(60_000, aroundRolls + result.callSteady.getTotalCount());
        assertEquals(aroundRolls, result.scheduleAroundRoll.getTotalCount());
        assertTrue(aroundRolls > 0 && aroundRolls <= result.rolls * (2 * window + 1), () -> "around=" + aroundRolls);
        final long rollingWrites = result.rollingWrite.getTotalCount();
        assertTrue(rollingWrites > 0 && rollingWrites <= result.rolls, () -> "rolling writes=" + rollingWrites);
        assertFalse(Files.exists(dir));

        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        result.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final String report = bytes.toString(StandardCharsets.UTF_8);
        final String row = "| around rolls | " + String.format(Locale.ROOT, "%,d", aroundRolls) + " |";
        assertTrue(report.contains(row), report);
        assertTrue(report.contains("| around / steady |"), report);
        assertTrue(report.contains("The rolling write alone (the call that rolled, counted above too), ns: " +
            String.format(Locale.ROOT, "%,d", rollingWrites) + " writes"), report);
        assertTrue(report.contains("Warm-up before the run (JournalWriter.warmUp): 20 rolls in "), report);
        try (java.util.stream.Stream<Path> left = Files.list(tempDir))
        {
            assertEquals(0, left.count(), "neither the journal nor its warm-up is left");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCountRollsTheDutyCycleMadeAheadAsRollsButNotAsRollingWrites()
    {
        final Path dir = tempDir.resolve("journal");
        final RollLatency.Settings settings = RollLatency.Settings.parse(new String[]{
            "--dir", dir.toString(), "--records", "60000", "--warmup-records", "0", "--payload", "32",
            "--rate", "200000", "--segment-capacity", "262144", "--window-us", "100", "--roll-ahead-bytes", "65536" });

        final RollLatency.Result result = RollLatency.run(settings);

        assertTrue(result.rolls >= 8, () -> "rolls=" + result.rolls);
        assertTrue(result.rollsAhead > 0, () -> "rolls ahead=" + result.rollsAhead); // a duty cycle per 40 KB
        assertEquals(result.rolls, result.rollsAhead + result.rollingWrite.getTotalCount(), "each roll once");
        assertEquals(60_000, result.readRecords);
        assertTrue(result.callAroundRoll.getTotalCount() > 0);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        result.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains(String.format(Locale.ROOT,
            "%,d by the duty cycle ahead of need (roll-ahead 65,536 B)", result.rollsAhead)));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldReuseRetiredFilesWhenBounded()
    {
        final RollLatency.Settings settings = RollLatency.Settings.parse(new String[]{
            "--dir", tempDir.resolve("journal").toString(), "--records", "60000", "--warmup-records", "0",
            "--payload", "32", "--rate", "200000", "--segment-capacity", "65536", "--window-us", "100",
            "--retained-segments", "2" });

        final RollLatency.Result result = RollLatency.run(settings);

        assertTrue(result.rolls >= 30, () -> "rolls=" + result.rolls); // 60,000 records of 40 B in 64 KiB segments
        assertTrue(result.recycledSegments > 0, () -> "re-used=" + result.recycledSegments); // keeping all: 0
        assertEquals(60_000, result.readRecords);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        result.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final String report = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(report.contains(String.format(Locale.ROOT, "(keeps 2, %,d retired file(s) re-used)",
            result.recycledSegments)), report);
    }

    @Test
    void shouldRefuseBadArgumentsWithOneLineMessages()
    {
        assertMessage("--dir is required", "--records", "10");
        assertMessage("--rate must be positive: 0", "--dir", "x", "--rate", "0");
        assertMessage("--records must be a number: ten", "--dir", "x", "--records", "ten");
        assertMessage("--segment-capacity must be a power of two from 64 to 1073741824: 1000",
            "--dir", "x", "--segment-capacity", "1000");
        assertMessage("--segment-capacity must be a power of two from 64 to 1073741824: 2147483648",
            "--dir", "x", "--segment-capacity", "2147483648");
        assertMessage("--reader must be spin, backoff or none: yes", "--dir", "x", "--reader", "yes");
        assertMessage("--warm-up-rolls must be positive: -1", "--dir", "x", "--warm-up-rolls", "-1");
        assertMessage("--roll-ahead-bytes must be positive: 0", "--dir", "x", "--roll-ahead-bytes", "0");
        assertMessage("--payload must be at least 8 (a sequence): 4", "--dir", "x", "--payload", "4");
        assertMessage("missing value after --rate", "--dir", "x", "--rate");
        assertMessage("--retained-segments must be positive: -2", "--dir", "x", "--retained-segments", "-2");
        assertMessage("--retained-segments needs a reader: its commits let retention retire the segments that are " +
            "re-used", "--dir", "x", "--retained-segments", "2", "--reader", "none");
        assertMessage("unknown option: --speed", "--speed", "1");
        assertMessage("--dir must not exist (it is deleted at the end): " + tempDir, "--dir", tempDir.toString());
    }

    private static void assertMessage(final String message, final String... args)
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> RollLatency.Settings.parse(args));
        assertEquals(message, ex.getMessage());
    }
}
