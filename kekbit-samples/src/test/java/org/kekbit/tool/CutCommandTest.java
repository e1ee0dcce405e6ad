package org.kekbit.tool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.JournalCommandsTest.LINES;
import static org.kekbit.tool.JournalCommandsTest.closedJournal;
import static org.kekbit.tool.JournalCommandsTest.writerContext;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.run;

class CutCommandTest
{
    @TempDir
    Path root;

    @Test
    void shouldCutAtRecordEndReportWhatWentAndLetWriterResumeThere()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        final int keep = LINES / 3;
        final long position = positions[keep - 1];

        final ToolResult result = run("cut", folder.toString(), "--at", Long.toString(position));

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertTrue(result.out().startsWith("cut " + folder + " at " + position + ": " + (LINES - keep) +
            " records ("), result.out());
        assertTrue(result.out().endsWith("; the journal ended at " + positions[LINES - 1] + " before\n"),
            result.out());
        assertEquals(keep, recordsIn(folder), "the records before the position, and no other");
        try (JournalWriter writer = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(position, writer.position(), "the writer resumes at the cut");
        }
    }

    @Test
    void shouldDropCorruptTailSoWriterCanResumeAtLastGoodRecord() throws IOException
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        final long badRecord = positions[LINES - 5]; // a record header in the newest segment, overwritten
        final long base = JournalFolder.open(folder).bases().getLong(JournalFolder.open(folder).bases().size() - 1);
        assertTrue(badRecord > base, "the bad record is in the newest segment");
        try (FileChannel channel = FileChannel.open(JournalDescriptor.segmentPath(folder, base),
            StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[] {-1, -1, -1, 127, 1, 0, 0, 0}),
                ChannelDescriptor.HEADER_LENGTH + badRecord - base);
        }
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll((msgTypeId, buffer, offset, length) -> assertTrue(length >= 0), 100) > 0)
            {
                assertTrue(reader.position() <= badRecord);
            }
            assertEquals(JournalState.CORRUPT, reader.state());
            assertEquals(badRecord, reader.position(), "readers stop at the last good record's end");
        }

        final ToolResult result = run("cut", folder.toString(), "--at", Long.toString(badRecord));

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        try (JournalWriter writer = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(badRecord, writer.position());
            JournalCommandsTest.writeLines(writer, LINES - 4, LINES);
        }
        assertEquals(LINES, recordsIn(folder), "the good records, then the ones written after the cut");
    }

    @Test
    void shouldRefuseInOneLineAndChangeNothingForPositionInsideRecord()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        final String before = JournalDigest.digest(folder, -1, -1).digest();

        final ToolResult result = run("cut", folder.toString(), "--at", Long.toString(positions[10] + 8));

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("cannot cut " + folder + " at " + (positions[10] + 8)), result.err());
        assertEquals(before, JournalDigest.digest(folder, -1, -1).digest());
        assertEquals(LINES, recordsIn(folder));
    }

    @Test
    void shouldRefuseInOneLineWhileWriterIsAlive()
    {
        final Path folder = root.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            final long[] positions = JournalCommandsTest.writeLines(writer, 0, LINES);

            final ToolResult result = run("cut", folder.toString(), "--at", Long.toString(positions[5]));

            assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
            assertTrue(result.err().contains("alive"), result.err());
            assertEquals(positions[LINES - 1], writer.position());
        }
        assertEquals(LINES, recordsIn(folder));
    }

    @Test
    void shouldRefuseInOneLineWhenFolderIsNoJournalOrPositionMissing()
    {
        assertOneErrorLine(run("cut", root.resolve("nothing").toString(), "--at", "8"), KekbitTool.EXIT_USAGE);
        assertOneErrorLine(run("cut", root.toString()), KekbitTool.EXIT_USAGE);
    }

    private static int recordsIn(final Path folder)
    {
        final int[] records = new int[1];
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll((msgTypeId, buffer, offset, length) -> records[0]++, 100) > 0)
            {
                assertTrue(records[0] <= LINES);
            }
        }
        return records[0];
    }
}
