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
 * A smoke run of the recovery time harness: a tiny journal, no figure asserted, only that each case recovers from
 * the snapshot it should and replays what lies after it.
 */
class ImageRecoveryTimeTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void shouldPrintOneLinePerIntervalWithReplayBoundedByInterval()
    {
        final Output out = new Output();
        final Output err = new Output();
        assertEquals(0, ImageRecoveryTime.launch(new String[]{"--dir", dir.toString(), "--journal", "1m",
            "--intervals", "0,128k,2m", "--book", "100", "--segment", "256k", "--runs", "1"}, out.stream, err.stream),
            out.text() + err.text());
        final List<String> lines = out.lines();
        assertEquals(4, lines.size(), out.text());
        assertTrue(lines.get(0).startsWith("recovery time, launch to ready: journal=1048576 bytes"), out.text());

        assertEquals(-1, field(lines.get(1), "snapshot-position"), "no snapshots: replay from 0");
        assertTrue(field(lines.get(1), "replayed-bytes") >= 1 << 20, lines.get(1));

        final long snapshot = field(lines.get(2), "snapshot-position");
        final long replayed = field(lines.get(2), "replayed-bytes");
        assertTrue(snapshot > 0 && field(lines.get(2), "snapshot-bytes") > 0, lines.get(2));
        assertTrue(replayed > 0 && replayed <= 128 * 1024 + 512, "the newest snapshot one interval before the end: " +
            lines.get(2));
        assertTrue(field(lines.get(2), "replayed-records") > 0, lines.get(2));

        assertEquals(-1, field(lines.get(3), "snapshot-position"), "an interval longer than the journal: none");
        assertTrue(lines.get(3).contains(" fresh-jvm-ms=") && lines.get(3).contains(" same-jvm-ms="), lines.get(3));
    }

    @Test
    void shouldRefuseFolderThatIsNotAnImageInOneLine()
    {
        final Output err = new Output();
        assertEquals(2, ImageRecoveryTime.launch(new String[]{"--recover", dir.toString()}, new Output().stream,
            err.stream));
        assertEquals(List.of("kekbit: not an image folder (no journal/ in it): " + dir), err.lines());
    }

    private static long field(final String line, final String name)
    {
        for (final String field : line.split(" "))
        {
            if (field.startsWith(name + "="))
            {
                return Long.parseLong(field.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no " + name + " in " + line);
    }
}
