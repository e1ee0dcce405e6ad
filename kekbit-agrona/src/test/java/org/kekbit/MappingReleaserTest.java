package org.kekbit;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MappingReleaserTest
{
    @TempDir
    Path folder;

    @Test
    void shouldUnmapOnlyWhenAgentRuns() throws IOException
    {
        final MappingReleaser releaser = new MappingReleaser();
        final Path file = folder.resolve("waits");
        releaser.release(IoUtil.mapNewFile(file.toFile(), 1 << 20));

        assertTrue(isMapped(file));
        assertEquals(1, releaser.pending());
        assertEquals(1, releaser.doWork());
        assertFalse(isMapped(file));
        assertEquals(0, releaser.doWork());
    }

    @Test
    void shouldUnmapAtOnceWhenFull() throws IOException
    {
        final MappingReleaser releaser = new MappingReleaser(2);
        final Path first = folder.resolve("first");
        final Path second = folder.resolve("second");
        final Path third = folder.resolve("third");
        releaser.release(IoUtil.mapNewFile(first.toFile(), 4096));
        releaser.release(IoUtil.mapNewFile(second.toFile(), 4096));
        releaser.release(IoUtil.mapNewFile(third.toFile(), 4096));

        assertEquals(2, releaser.pending());
        assertFalse(isMapped(third), "no room: unmapped by the caller");
        assertEquals(2, releaser.doWork());
        assertFalse(isMapped(first));
        assertFalse(isMapped(second));
    }

    @Test
    void shouldUnmapWhatWaitsAndThenAtOnceWhenClosed() throws IOException
    {
        final MappingReleaser releaser = new MappingReleaser();
        final Path waiting = folder.resolve("waiting");
        final Path late = folder.resolve("late");
        releaser.release(IoUtil.mapNewFile(waiting.toFile(), 4096));

        releaser.onClose();
        assertFalse(isMapped(waiting));
        final MappedByteBuffer mapping = IoUtil.mapNewFile(late.toFile(), 4096);
        MappingReleaser.release(releaser, mapping);
        assertFalse(isMapped(late), "a closed releaser's thread no longer runs: the caller unmaps");
        assertEquals(0, releaser.pending());
    }

    private static boolean isMapped(final Path file) throws IOException
    {
        final String name = file.toString();
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch((line) -> line.endsWith(name));
    }
}
