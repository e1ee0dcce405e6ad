package org.kekbit.tool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.collections.LongArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.JournalCommandsTest.LINES;
import static org.kekbit.tool.JournalCommandsTest.closedJournal;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.run;

class PruneCommandTest
{
    @TempDir
    Path root;

    @Test
    void shouldDeleteOldestSegmentsBeyondRetainedCountAndPrintEachWithItsBytes() throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        final LongArrayList bases = JournalFolder.open(folder).bases();
        assertTrue(bases.size() >= 4, bases.toString());
        final long segmentBytes = Files.size(JournalDescriptor.segmentPath(folder, bases.getLong(0)));

        final ToolResult result = run("prune", folder.toString(), "--segments", "1");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final String[] lines = result.out().split("\n");
        final int deleted = bases.size() - 2;
        assertEquals(deleted + 1, lines.length, result.out());
        for (int i = 0; i < deleted; i++)
        {
            final long base = bases.getLong(i);
            assertEquals("deleted " + JournalDescriptor.segmentFileName(base) + " base=" + base + " bytes=" +
                segmentBytes, lines[i]);
            assertFalse(Files.exists(JournalDescriptor.segmentPath(folder, base)));
        }
        assertEquals("pruned " + folder + ": deleted " + deleted + " segments, " + deleted * segmentBytes +
            " bytes; kept 2 segments, 0 of them (0 bytes) only for protecting readers", lines[deleted]);
        assertEquals(2, JournalFolder.open(folder).bases().size());
        assertEquals("", result.err());
    }

    @Test
    void shouldKeepWhatProtectingReaderNeedsAndNameItUnlessHardCapSaysOtherwise()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        final LongArrayList bases = JournalFolder.open(folder).bases();
        final long auditPosition = bases.getLong(2) + 8; // inside the third segment
        try (JournalReader audit = JournalReader.open(new JournalReader.Context().folder(folder).name("audit")))
        {
            audit.seek(firstRecordFrom(positions, auditPosition));
            audit.commit();
        }
        final long committed = firstRecordFrom(positions, auditPosition);

        final ToolResult soft = run("prune", folder.toString(), "--segments", "1");

        assertEquals(KekbitTool.EXIT_OK, soft.exitCode(), soft.err());
        final String[] lines = soft.out().split("\n");
        final int held = bases.size() - 2 - 2;
        assertEquals(2 + held + 1, lines.length, soft.out());
        assertTrue(lines[0].startsWith("deleted " + JournalDescriptor.segmentFileName(bases.getLong(0))), lines[0]);
        assertTrue(lines[1].startsWith("deleted " + JournalDescriptor.segmentFileName(bases.getLong(1))), lines[1]);
        for (int i = 0; i < held; i++)
        {
            final long base = bases.getLong(2 + i);
            assertTrue(lines[2 + i].startsWith("kept " + JournalDescriptor.segmentFileName(base) + " base=" + base),
                lines[2 + i]);
            assertTrue(lines[2 + i].endsWith(" needed by audit@" + committed), lines[2 + i]);
        }
        assertTrue(lines[2 + held].contains(": deleted 2 segments, ") &&
            lines[2 + held].contains("kept " + (bases.size() - 2) + " segments, " + held + " of them"),
            lines[2 + held]);
        assertEquals(bases.size() - 2, JournalFolder.open(folder).bases().size());

        final ToolResult hard = run("prune", folder.toString(), "--segments", "1", "--hard-cap-segments", "1");

        assertEquals(KekbitTool.EXIT_OK, hard.exitCode(), hard.err());
        assertEquals(2, JournalFolder.open(folder).bases().size(), hard.out());
        assertTrue(hard.out().contains(": deleted " + held + " segments, "), hard.out());
    }

    @Test
    void shouldDeleteNothingWhenNoSegmentIsOlderThanAgeOrBeyondBytes()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        final int segments = JournalFolder.open(folder).bases().size();

        final ToolResult result = run("prune", folder.toString(), "--age", "1d", "--bytes", "1g");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("pruned " + folder + ": deleted 0 segments, 0 bytes; kept " + segments + " segments, 0 of " +
            "them (0 bytes) only for protecting readers\n", result.out());
        assertEquals(segments, JournalFolder.open(folder).bases().size());
    }

    @Test
    void shouldFailWithOneLineForNonJournalFolderNoLimitAndBadValues() throws IOException
    {
        final Path journal = root.resolve("journal");
        closedJournal(journal, LINES);
        final int segments = JournalFolder.open(journal).bases().size();
        final Path other = Files.createDirectories(root.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "hello");

        final ToolResult notJournal = run("prune", other.toString(), "--segments", "1");
        final ToolResult missing = run("prune", root.resolve("missing").toString(), "--segments", "1");
        final ToolResult noLimit = run("prune", journal.toString());
        final ToolResult badSize = run("prune", journal.toString(), "--bytes", "12x");
        final ToolResult badAge = run("prune", journal.toString(), "--age", "soon");
        final ToolResult negative = run("prune", journal.toString(), "--segments", "-1");

        assertOneErrorLine(notJournal, KekbitTool.EXIT_USAGE);
        assertTrue(notJournal.err().contains("not a journal folder"), notJournal.err());
        assertOneErrorLine(missing, KekbitTool.EXIT_USAGE);
        assertTrue(missing.err().contains("does not exist"), missing.err());
        assertOneErrorLine(noLimit, KekbitTool.EXIT_USAGE);
        assertTrue(noLimit.err().contains("prune needs a limit"), noLimit.err());
        assertOneErrorLine(badSize, KekbitTool.EXIT_USAGE);
        assertTrue(badSize.err().contains("expected a number of bytes"), badSize.err());
        assertOneErrorLine(badAge, KekbitTool.EXIT_USAGE);
        assertTrue(badAge.err().contains("expected a duration"), badAge.err());
        assertOneErrorLine(negative, KekbitTool.EXIT_USAGE);
        assertTrue(negative.err().contains("must not be negative"), negative.err());
        assertEquals(segments, JournalFolder.open(journal).bases().size());
    }

    /**
     * The start of the first record at or after a position: the end of the record before it.
     */
    private static long firstRecordFrom(final long[] positionsAfter, final long position)
    {
        long start = 0;
        for (final long after : positionsAfter)
        {
            if (start >= position)
            {
                return start;
            }
            start = after;
        }
        return start;
    }
}
