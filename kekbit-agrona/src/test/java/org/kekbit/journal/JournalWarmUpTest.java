package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalWarmUpTest
{
    @TempDir
    Path root;

    @Test
    void shouldRollAScratchJournalBesideTheFolderAndLeaveNothingBehind() throws IOException
    {
        final Path folder = root.resolve("orders");
        final JournalWriter.Context ctx = new JournalWriter.Context().folder(folder).segmentCapacity(1024 * 1024)
            .rollAheadBytes(256 * 1024) // more than the scratch journal's small segments allow: scaled down there
            .preTouch(false);

        assertEquals(50, JournalWriter.warmUp(ctx, 50));
        assertEquals(256 * 1024, ctx.rollAheadBytes(), "the caller's context is not changed");

        assertFalse(Files.exists(folder), "the journal itself is not made");
        assertEquals(List.of(), list(root), "the scratch journal is deleted");
        assertEquals(1024 * 1024, ctx.segmentCapacity(), "the caller's context is not changed");
        try (JournalWriter writer = JournalWriter.create(ctx))
        {
            assertEquals(0, writer.position(), "the context still makes the journal");
        }
    }

    @Test
    void shouldWarmUpWithTheSegmentCreatorRunOnTheCallersThread() throws IOException
    {
        final Path folder = root.resolve("quotes");
        assertEquals(30, JournalWriter.warmUp(new JournalWriter.Context().folder(folder).createSegmentsOnAgent(true)
            .sequenceOffset(0).timestampOffset(8).preTouch(false), 30));
        assertEquals(List.of(), list(root));
    }

    @Test
    void shouldDeleteTheScratchJournalsOfDeadProcessesAndNothingElse() throws IOException
    {
        final Path folder = root.resolve("orders");
        final Path dead = Files.createDirectories(root.resolve("orders.warm-up-" + Long.MAX_VALUE));
        Files.writeString(dead.resolve("00000000000000000000.kekbit"), "left by a killed warm-up");
        final Path alive = Files.createDirectories(root.resolve("orders.warm-up-" + ProcessHandle.current().parent()
            .map(ProcessHandle::pid).orElseThrow()));
        final Path other = Files.createDirectories(root.resolve("orders.warm-up-notes"));

        JournalWriter.warmUp(new JournalWriter.Context().folder(folder).preTouch(false), 3);

        assertFalse(Files.exists(dead), "its process is gone");
        assertTrue(Files.exists(alive), "its process may still be warming up");
        assertTrue(Files.exists(other), "not a warm-up's name");
    }

    @Test
    void shouldFailWithOneLineWhenTheScratchJournalCannotBeMade() throws IOException
    {
        final Path file = Files.writeString(root.resolve("not-a-folder"), "x");
        final ChannelException ex = assertThrows(ChannelException.class, () -> JournalWriter.warmUp(
            new JournalWriter.Context().folder(file.resolve("orders")).preTouch(false), 3));
        assertEquals(ChannelException.Reason.IO_ERROR, ex.reason());
        assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
    }

    private static List<String> list(final Path folder) throws IOException
    {
        try (Stream<Path> files = Files.list(folder))
        {
            return files.map((file) -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
