package org.kekbit.samples;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.samples.SampleTestSupport.Output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smoke run of the submit latency harness: tiny volumes, no figure asserted.
 */
class ImageSubmitLatencyTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldPrintBothRunsAndRatioWithSnapshotsTakenInSecondRun()
    {
        final Output out = runSmoke();
        final List<String> lines = out.lines();
        assertEquals(6, lines.size(), out.text());
        assertTrue(lines.get(1).startsWith("warm-up run, not counted: without snapshots:"), out.text());
        assertTrue(lines.get(2).startsWith("warm-up run, not counted: with shadow snapshots:"), out.text());
        assertTrue(lines.get(3).startsWith("without snapshots:") && lines.get(3).endsWith("snapshots=0"), out.text());
        assertTrue(lines.get(4).startsWith("with shadow snapshots:") && !lines.get(4).endsWith("snapshots=0"),
            out.text());
        assertTrue(lines.get(5).startsWith("p99.9 ratio with/without shadow snapshot: "), out.text());
    }

    @Test
    @Timeout(120)
    void shouldAlternateWhichRunGoesFirstAndPoolTheRounds()
    {
        final Output out = runSmoke("--rounds", "2");
        final List<String> lines = out.lines();
        assertEquals(9, lines.size(), out.text());
        assertTrue(lines.get(1).startsWith("warm-up run, not counted: "), out.text());
        assertTrue(lines.get(2).startsWith("warm-up run, not counted: "), out.text());
        assertTrue(lines.get(3).startsWith("without snapshots:"), out.text());
        assertTrue(lines.get(4).startsWith("with shadow snapshots:"), out.text());
        assertTrue(lines.get(5).startsWith("with shadow snapshots:"), "the second round starts with the shadow");
        assertTrue(lines.get(6).startsWith("without snapshots:"), out.text());
        assertTrue(lines.get(7).startsWith("all 2 rounds: without p99.9="), out.text());
        assertTrue(lines.get(8).startsWith("p99.9 ratio with/without shadow snapshot: "), out.text());
    }

    @Test
    @Timeout(60)
    void shouldRunShadowAtPriorityGiven()
    {
        final Output out = runSmoke("--shadow-priority", "1");
        final List<String> lines = out.lines();
        assertTrue(lines.get(0).contains("shadow-priority=1,"), out.text());
        assertTrue(lines.get(4).startsWith("with shadow snapshots:") && !lines.get(4).endsWith("snapshots=0"),
            out.text());

        final Output err = new Output();
        assertEquals(2, ImageSubmitLatency.launch(new String[]{"--dir", dir.toString(), "--shadow-priority", "11"},
            new Output().stream, err.stream), err.text());
        assertTrue(err.text().contains("--shadow-priority must be from 1 to 10: 11"), err.text());
    }

    @Test
    @Timeout(60)
    void shouldRunSegmentCreatorOnShadowsThreadWhenAsked()
    {
        final Output out = runSmoke("--commands", "40000", "--segment-mb", "1", "--helper-thread", "shadow");
        final List<String> lines = out.lines();
        assertTrue(lines.get(0).contains("helpers=SHADOW_THREAD,"), out.text());
        assertTrue(lines.get(4).startsWith("with shadow snapshots:") && !lines.get(4).endsWith("snapshots=0"),
            out.text());
        assertTrue(!lines.get(4).contains(" rolls=0 "), "segments of 1 MiB roll: " + out.text());

        final Output err = new Output();
        assertEquals(2, ImageSubmitLatency.launch(new String[]{"--dir", dir.toString(), "--helper-thread", "maybe"},
            new Output().stream, err.stream), err.text());
        assertTrue(err.text().contains("--helper-thread must be true, false or shadow: maybe"), err.text());
    }

    @Test
    void shouldRefuseRoundsBelowOneInOneLine()
    {
        final Output err = new Output();
        assertEquals(2, ImageSubmitLatency.launch(new String[]{"--dir", dir.toString(), "--rounds", "0"},
            new Output().stream, err.stream), err.text());
        assertTrue(err.text().contains("--rounds must be positive: 0"), err.text());
    }

    /**
     * A smoke run at toy volume; later arguments override these.
     */
    private Output runSmoke(final String... args)
    {
        final List<String> all = new java.util.ArrayList<>(List.of(
            "--dir", dir.toString(), "--book", "2000", "--commands", "20000", "--rate", "50000"));
        all.addAll(List.of(args));
        final Output out = new Output();
        assertEquals(0, ImageSubmitLatency.launch(all.toArray(new String[0]), out.stream, new Output().stream),
            out.text());
        return out;
    }
}
