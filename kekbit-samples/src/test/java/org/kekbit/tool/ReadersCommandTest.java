package org.kekbit.tool;

import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.JournalCommandsTest.LINES;
import static org.kekbit.tool.JournalCommandsTest.closedJournal;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.run;

class ReadersCommandTest
{
    @TempDir
    Path root;

    @Test
    void shouldListEveryNamedReaderWithPositionLagCommitTimeLivenessAndProtection()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        final long beforeMs = System.currentTimeMillis();
        try (JournalReader audit = JournalReader.open(new JournalReader.Context().folder(folder).name("audit")))
        {
            audit.seek(positions[9]);
            audit.commit();
            JournalReader.open(new JournalReader.Context().folder(folder).name("report").protectRetention(false))
                .close();

            final ToolResult text = run("readers", folder.toString());
            final ToolResult json = run("readers", folder.toString(), "--json");

            assertEquals(KekbitTool.EXIT_OK, text.exitCode(), text.err());
            final String[] lines = text.out().split("\n");
            assertEquals(3, lines.length, text.out());
            assertTrue(lines[0].startsWith("reader"), lines[0]);
            final String[] auditColumns = lines[1].trim().split("\\s+");
            assertEquals("audit", auditColumns[0]);
            assertEquals(Long.toString(positions[9]), auditColumns[1]);
            assertEquals(Long.toString(positions[LINES - 1] - positions[9]), auditColumns[2]);
            assertEquals(Integer.toString(LINES - 10), auditColumns[3], "records after its position");
            assertTrue(Instant.parse(auditColumns[4]).toEpochMilli() >= beforeMs, auditColumns[4]);
            assertEquals("yes", auditColumns[5], "held by the open reader");
            assertEquals("yes", auditColumns[6]);
            final String[] reportColumns = lines[2].trim().split("\\s+");
            assertEquals("report", reportColumns[0]);
            assertEquals("0", reportColumns[1]);
            assertEquals(Long.toString(positions[LINES - 1]), reportColumns[2]);
            assertEquals(Integer.toString(LINES), reportColumns[3]);
            assertEquals("no", reportColumns[5]);
            assertEquals("no", reportColumns[6]);
            assertEquals("no", auditColumns[7]);
            assertEquals("no", reportColumns[7]);

            assertEquals(KekbitTool.EXIT_OK, json.exitCode(), json.err());
            final String out = json.out().trim();
            assertTrue(out.startsWith("{\"journal\":\"" + folder + "\",\"endPosition\":" + positions[LINES - 1] +
                ",\"readers\":[{\"name\":\"audit\",\"position\":" + positions[9] + ",\"lag\":" +
                (positions[LINES - 1] - positions[9]) + ",\"lagRecords\":" + (LINES - 10) + ",\"lastCommitTime\":\""),
                out);
            assertTrue(out.contains("\"alive\":true,"), out);
            assertTrue(out.contains("{\"name\":\"report\",\"position\":0,"), out);
            assertTrue(out.endsWith("\"alive\":false,\"ownerPid\":0,\"protectsRetention\":false," +
                "\"truncated\":false}]}"), out);
        }
    }

    @Test
    void shouldFlagReaderTruncatedWhenHardCapDeletedRecordsItHadNotRead()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        JournalReader.open(new JournalReader.Context().folder(folder).name("slow")).close(); // at 0, protecting
        try (JournalReader fast = JournalReader.open(new JournalReader.Context().folder(folder).name("fast")))
        {
            fast.seek(positions[LINES - 1]);
            fast.commit();
        }
        assertTrue(JournalWriter.prune(new JournalWriter.Context().folder(folder).hardCapSegments(1)) > 0);

        final ToolResult text = run("readers", folder.toString());
        final ToolResult json = run("readers", folder.toString(), "--json");

        assertEquals(KekbitTool.EXIT_OK, text.exitCode(), text.err());
        final String[] lines = text.out().split("\n");
        assertTrue(lines[0].endsWith("truncated"), lines[0]);
        assertTrue(lines[1].startsWith("slow ") && lines[1].endsWith(" yes"), text.out());
        assertTrue(lines[2].startsWith("fast ") && lines[2].endsWith(" no"), text.out());
        assertTrue(json.out().contains("\"name\":\"slow\",\"position\":0,"), json.out());
        assertTrue(json.out().contains("\"truncated\":true}"), json.out());
        assertTrue(json.out().trim().endsWith("\"truncated\":false}]}"), json.out());
        try (JournalReader slow = JournalReader.open(new JournalReader.Context().folder(folder).name("slow")))
        {
            assertEquals(JournalState.TRUNCATED, slow.state(), "what the flag says, the reader reports");
        }
    }

    @Test
    void shouldSayNoNamedReaderWhenJournalHasNone()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, 1);

        final ToolResult result = run("readers", folder.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("no named reader\n", result.out());
    }

    @Test
    void shouldRemoveReaderNobodyHoldsAndRefuseLiveOne()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        JournalReader.open(new JournalReader.Context().folder(folder).name("gone")).close();
        try (JournalReader live = JournalReader.open(new JournalReader.Context().folder(folder).name("live")))
        {
            final ToolResult refused = run("readers", folder.toString(), "--remove", "live");
            final ToolResult removed = run("readers", folder.toString(), "--remove", "gone");
            final ToolResult listed = run("readers", folder.toString());

            assertOneErrorLine(refused, KekbitTool.EXIT_FAILED);
            assertTrue(refused.err().startsWith("kekbit: reader live is alive: stop it first"), refused.err());
            assertEquals(KekbitTool.EXIT_OK, removed.exitCode(), removed.err());
            assertEquals("removed reader gone\n", removed.out());
            final String[] lines = listed.out().split("\n");
            assertEquals(2, lines.length, listed.out());
            assertTrue(lines[1].startsWith("live "), listed.out());
            assertEquals(0, live.position(), "the live reader is untouched");
        }
    }

    @Test
    void shouldFailWithOneLineWhenReaderToRemoveIsUnknown()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, 1);
        JournalReader.open(new JournalReader.Context().folder(folder).name("audit")).close();

        final ToolResult result = run("readers", folder.toString(), "--remove", "audti");

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("kekbit: unknown reader: name=audti, journal " + folder + " has readers audit\n", result.err());
    }

    @Test
    void shouldFailWithOneLineWhenGivenChannelFile()
    {
        final Path file = ToolTestSupport.closedChannel(root, 1, "one");

        final ToolResult result = run("readers", file.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertEquals("kekbit: not a journal folder: " + file + " is a file\n", result.err());
    }
}
