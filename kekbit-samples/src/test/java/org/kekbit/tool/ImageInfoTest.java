package org.kekbit.tool;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.samples.OrderBookService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.run;

/**
 * {@code kekbit info DIR} on a system image's folder.
 */
class ImageInfoTest
{
    @TempDir
    Path dir;

    @Test
    void shouldListSnapshotsAndJournalAfterNewest() throws IOException
    {
        final String line = OrderBookService.run(dir, 60_000);
        final long position = Long.parseLong(line.replaceAll(".*position=", ""));
        final List<SnapshotFile> snapshots = ImageFolder.snapshots(dir);
        final long newest = snapshots.get(snapshots.size() - 1).position();
        Files.write(ImageDescriptor.snapshotsFolder(dir).resolve(
            ImageDescriptor.incompleteFileName(ImageDescriptor.PARTIAL_PREFIX, position, 5)), new byte[100]);

        final ToolResult result = run("info", dir.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final List<String> lines = result.out().lines().toList();
        assertEquals("image: " + dir, lines.get(0));
        assertEquals(snapshots.size() + 3, lines.size(), result.out());
        assertTrue(lines.get(1).startsWith("snapshot: position=" + snapshots.get(0).position() + " size="),
            result.out());
        assertTrue(lines.get(snapshots.size()).contains("status=COMPLETE records="), result.out());
        assertTrue(lines.get(snapshots.size() + 1).startsWith("snapshot: position=" + position + " size=100 "),
            result.out());
        assertTrue(lines.get(snapshots.size() + 1).contains("status=INCOMPLETE"), result.out());
        assertTrue(lines.get(snapshots.size() + 2).startsWith(
            "journal after newest snapshot: from=" + newest + " to=" + position + " records="), result.out());
        assertTrue(lines.get(snapshots.size() + 2).endsWith("state=ABANDONED"), result.out());
    }

    @Test
    void shouldPrintOneJsonObjectAndReportDamagedSnapshot() throws IOException
    {
        OrderBookService.run(dir, 60_000);
        final SnapshotFile first = ImageFolder.snapshots(dir).get(0);
        try (RandomAccessFile file = new RandomAccessFile(first.path().toFile(), "rw"))
        {
            file.seek(128 + 40 + 8 + 3);
            file.write(0x77);
        }

        final ToolResult result = run("info", dir.toString(), "--json");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals(1, result.out().split("\n").length, result.out());
        assertTrue(result.out().startsWith("{\"image\":"), result.out());
        assertTrue(result.out().contains("\"position\":" + first.position() + ","), result.out());
        assertTrue(result.out().contains("\"status\":\"DAMAGED\""), result.out());
        assertTrue(result.out().contains("checksum mismatch"), result.out());
        assertTrue(result.out().contains("\"journalAfterNewest\":{\"from\":"), result.out());
    }

    @Test
    void shouldSayNoSnapshotsOnFreshImage()
    {
        OrderBookService.run(dir, 10);

        final ToolResult result = run("info", dir.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertTrue(result.out().contains("snapshots: none (recovery replays the journal from 0)"), result.out());
        assertTrue(result.out().contains("journal after newest snapshot: from=0 to=800 records=10 "),
            result.out());
    }
}
