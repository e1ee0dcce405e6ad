package org.kekbit.replication;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness as a smoke, so CI proves it runs: a tiny volume through every mode, both sides, and the ratios printed.
 * Its figures mean nothing.
 */
@Timeout(90)
class ReplicationHarnessTest
{
    @TempDir
    Path tmp;

    @Test
    void shouldRunEveryModeOnBothSidesAndPrintTheRatiosWhenGivenATinyVolume()
    {
        final String report = new ReplicationHarness(ReplicationHarness.parse(new String[] {
            "bytes=" + 2 * 1024 * 1024, "messages=2000", "warmup=200", "rate=20000", "segment=" + 1024 * 1024,
            "rolls=2", "dir=" + tmp })).run();

        assertTrue(report.matches("(?s).*latency one-way.*raw aeron.*replicated.*leader.*ratio.*"), report);
        assertTrue(report.matches("(?s).*throughput, 7281 messages of 288 B.*raw aeron.*replicated.*ratio.*"),
            report);
        assertTrue(report.matches("(?s).*the sink's duty cycle took over 5 ms \\d+ times.*rolls [1-9]\\d*\\).*"),
            report); // 2 MiB through 1 MiB segments: the throughput run rolls
        assertTrue(report.matches("(?s).*mirror segment at a roll, 2 segments of 1048576 B.*" +
            "without a spare.*max.*from the spare made ahead.*max.*"), report);
        assertFalse(report.contains("NaN") || report.contains("Infinity"), report);
    }

    @Test
    void shouldAlternateTheSidesOverRoundsWithTheLeadersSegmentsMadeOnItsDutyCycle()
    {
        final String report = new ReplicationHarness(ReplicationHarness.parse(new String[] {
            "mode=latency", "messages=500", "warmup=100", "rate=20000", "segment=" + 1024 * 1024, "rounds=2",
            "creator=dutycycle", "dir=" + tmp })).run();

        assertTrue(report.contains("creator=dutycycle rounds=2"), report);
        assertTrue(report.matches("(?s).*round 0 \\(raw first\\).*round 1 \\(replicated first\\).*" +
            "latency one-way, 500 messages at 20000/s after 100 warm-up, 2 round\\(s\\).*"), report);
        assertFalse(report.contains("NaN") || report.contains("Infinity"), report);
    }

    @Test
    void shouldRefuseAnUnknownSettingWithOneLine()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new ReplicationHarness(ReplicationHarness.parse(new String[] { "byts=1" })));
        assertTrue(ex.getMessage().contains("unknown settings: [byts]"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReplicationHarness.parse(new String[] { "bytes" }));
        assertThrows(IllegalArgumentException.class, () -> new ReplicationHarness(Map.of("length", "8")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReplicationHarness(
            Map.of("creator", "agent"))).getMessage().contains("creator must be thread or dutycycle: actual=agent"));
        assertThrows(IllegalArgumentException.class, () -> new ReplicationHarness(Map.of("rounds", "0")));
    }
}
