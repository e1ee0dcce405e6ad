package org.kekbit.tool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import org.agrona.collections.LongArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalSeal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.JournalCommandsTest.SEGMENT_CAPACITY;
import static org.kekbit.tool.JournalCommandsTest.closedJournal;
import static org.kekbit.tool.TailFromKeyTest.LINES;
import static org.kekbit.tool.TailFromKeyTest.stagedJournal;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.parseText;
import static org.kekbit.tool.ToolTestSupport.run;

/**
 * {@code verify DIR} judges each sealed segment's seal against the records it seals and the previous seal.
 */
class VerifySealTest
{
    @TempDir
    Path root;

    @Test
    void shouldPassWhenEverySealAgreesWithItsRecordsAndKeys()
    {
        final Path staged = stagedJournal(root.resolve("staged"));
        final Path plain = root.resolve("plain");
        closedJournal(plain, LINES);

        for (final Path folder : new Path[]{ staged, plain })
        {
            final ToolResult result = run("verify", folder.toString());

            assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.toString());
            final Map<String, String> fields = parseText(result.out());
            assertEquals(Integer.toString(LINES), fields.get("records"));
            final int segments = Integer.parseInt(fields.get("segments"));
            assertTrue(segments >= 4, result.out());
            assertEquals(Integer.toString(segments - 1), fields.get("sealedSegments"), "every rolled segment sealed");
            assertEquals(null, fields.get("corruption"));
        }
    }

    @Test
    void shouldFailNamingSegmentWhenSealRecordCountDisagreesWithRecords() throws IOException
    {
        final Path folder = stagedJournal(root.resolve("staged"));
        final Path segment = JournalDescriptor.segmentPath(folder, JournalFolder.open(folder).bases().getLong(1));
        final JournalSeal seal = new JournalSeal();
        assertTrue(seal.read(segment));
        putSealLong(segment, JournalDescriptor.SEAL_RECORD_COUNT_OFFSET, seal.recordCount() + 1);

        final ToolResult result = run("verify", folder.toString());

        assertEquals(KekbitTool.EXIT_FAILED, result.exitCode(), result.toString());
        final Map<String, String> fields = parseText(result.out());
        assertEquals("CORRUPT", fields.get("state"));
        assertEquals("segment " + segment.getFileName() + " has a seal that disagrees with its records: recordCount=" +
            (seal.recordCount() + 1) + ", read=" + seal.recordCount(), fields.get("corruption"));
    }

    @Test
    void shouldFailWhenSealSequencesGoBackFromPreviousSegment() throws IOException
    {
        final Path folder = stagedJournal(root.resolve("staged"));
        final LongArrayList bases = JournalFolder.open(folder).bases();
        final Path segment = JournalDescriptor.segmentPath(folder, bases.getLong(2));
        putSealLong(segment, JournalDescriptor.SEAL_FIRST_SEQUENCE_OFFSET, 1);

        final ToolResult result = run("verify", folder.toString());

        assertEquals(KekbitTool.EXIT_FAILED, result.exitCode(), result.toString());
        assertTrue(parseText(result.out()).get("corruption").startsWith("segment " + segment.getFileName() +
            " has a seal whose first keys go back from the previous segment's last: sequence "), result.out());
    }

    /**
     * Overwrite a field of a segment's seal, which lies at the end of the data region before the marker's position.
     */
    private static void putSealLong(final Path segment, final int fieldOffset, final long value) throws IOException
    {
        final long sealPosition = ChannelDescriptor.rollSealPosition(
            SEGMENT_CAPACITY, JournalDescriptor.SEAL_LENGTH + RecordDescriptor.ALIGNMENT);
        final ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE))
        {
            channel.write(bytes, ChannelDescriptor.HEADER_LENGTH + sealPosition + fieldOffset);
        }
    }
}
