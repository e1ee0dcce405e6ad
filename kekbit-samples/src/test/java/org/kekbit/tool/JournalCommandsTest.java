package org.kekbit.tool;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalIndexer;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.parseText;
import static org.kekbit.tool.ToolTestSupport.run;
import static org.kekbit.tool.ToolTestSupport.runWithInput;

/**
 * {@code info}, {@code tail}, {@code verify} and {@code write} given a journal folder.
 */
class JournalCommandsTest
{
    static final int SEGMENT_CAPACITY = 512;
    static final int LINES = 100;

    @TempDir
    Path root;

    @Test
    void shouldListSegmentsAndNamedReadersWhenInfoIsGivenJournalFolder()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        try (JournalReader audit = JournalReader.open(new JournalReader.Context().folder(folder).name("audit")))
        {
            audit.seek(positions[29]);
            audit.commit();
        }

        final ToolResult result = run("info", folder.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final String[] parts = result.out().split("\n\n");
        assertEquals(3, parts.length, result.out());
        final Map<String, String> fields = parseText(parts[0]);
        final int segmentCount = Integer.parseInt(fields.get("segmentCount"));
        assertTrue(segmentCount >= 4, result.out());
        assertEquals(Integer.toString(SEGMENT_CAPACITY), fields.get("segmentCapacity"));
        assertEquals("0", fields.get("firstPosition"));
        assertEquals(Long.toString(positions[LINES - 1]), fields.get("endPosition"));
        assertEquals("CLOSED", fields.get("state"));

        final String[] segments = parts[1].split("\n");
        assertEquals(segmentCount + 1, segments.length, parts[1]);
        for (int i = 1; i <= segmentCount; i++)
        {
            final String[] columns = segments[i].trim().split("\\s+");
            assertEquals(JournalDescriptor.segmentFileName((i - 1L) * SEGMENT_CAPACITY), columns[0]);
            assertEquals(Long.toString((i - 1L) * SEGMENT_CAPACITY), columns[1]);
            assertEquals(i < segmentCount ? "ROLLED" : "CLOSED", columns[2], segments[i]);
        }

        final String[] readers = parts[2].split("\n");
        assertEquals(2, readers.length, parts[2]);
        final String[] audit = readers[1].trim().split("\\s+");
        assertEquals("audit", audit[0]);
        assertEquals(Long.toString(positions[29]), audit[1]);
        assertEquals(Long.toString(positions[LINES - 1] - positions[29]), audit[2]);
        assertEquals(Integer.toString(LINES - 30), audit[3], "records after its position, across segments");
        assertEquals("no", audit[5], "closed: nobody holds it");
        assertEquals("yes", audit[6], "protects retention by default");
    }

    @Test
    void shouldShowJournalFormatVersionOfJournalAndEachSegmentWhenInfoIsGivenJournalFolder() throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        ToolTestSupport.patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, 0), 0); // an older segment

        final ToolResult text = run("info", folder.toString());
        final ToolResult json = run("info", folder.toString(), "--json");

        assertEquals(KekbitTool.EXIT_OK, text.exitCode(), text.err());
        final String[] parts = text.out().split("\n\n");
        assertEquals(Integer.toString(JournalDescriptor.JOURNAL_FORMAT_VERSION),
            parseText(parts[0]).get("journalFormatVersion"), "the last segment's");
        assertEquals("8", parseText(parts[0]).get("recordAlignment"), "the last segment's record alignment");
        final String[] segments = parts[1].split("\n");
        assertTrue(segments.length > 3, parts[1]);
        for (int i = 1; i < segments.length; i++)
        {
            final String[] columns = segments[i].trim().split("\\s+");
            assertEquals(1 == i ? "0" : Integer.toString(JournalDescriptor.JOURNAL_FORMAT_VERSION),
                columns[columns.length - 1], segments[i]);
        }
        assertEquals(KekbitTool.EXIT_OK, json.exitCode(), json.err());
        assertTrue(json.out().contains("\"segmentCount\":" + (segments.length - 1) + ",\"journalFormatVersion\":" +
            JournalDescriptor.JOURNAL_FORMAT_VERSION + ","), json.out());
        assertTrue(json.out().contains("\"fileLength\":" + ChannelDescriptor.fileLength(SEGMENT_CAPACITY) +
            ",\"journalFormatVersion\":0}"), json.out());
    }

    @ParameterizedTest
    @ValueSource(strings = { "info", "tail", "verify", "readers" })
    void shouldFailWithOneLineWhenFirstSegmentIsOfLaterJournalFormat(final String command) throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        JournalReader.open(new JournalReader.Context().folder(folder).name("audit")).close();
        final int later = JournalDescriptor.JOURNAL_FORMAT_VERSION + 1;
        ToolTestSupport.patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, 0), later);

        final ToolResult result = run(command, folder.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("incompatible journal format version: expected 0.." +
            JournalDescriptor.JOURNAL_FORMAT_VERSION + ", actual=" + later), result.err());
    }

    @Test
    void shouldPrintRecordsBeforeThenFailWithOneLineWhenTailCrossesIntoSegmentOfLaterJournalFormat()
        throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        final int later = JournalDescriptor.JOURNAL_FORMAT_VERSION + 1;
        ToolTestSupport.patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY), later);

        final ToolResult tail = run("tail", folder.toString());

        assertOneErrorLine(tail, KekbitTool.EXIT_FAILED);
        assertTrue(tail.err().contains("incompatible journal format version: expected 0.." +
            JournalDescriptor.JOURNAL_FORMAT_VERSION + ", actual=" + later), tail.err());
        assertTrue(!tail.out().isEmpty() && lines(0, LINES).startsWith(tail.out()) &&
            tail.out().length() < lines(0, LINES).length(), "the first segment's records, no more: " + tail.out());
    }

    @Test
    void shouldPrintSegmentsAndReadersAsJsonArraysWhenInfoIsGivenJson()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        JournalReader.open(new JournalReader.Context().folder(folder).name("audit")).close();

        final ToolResult result = run("info", folder.toString(), "--json");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final String json = result.out().trim();
        assertTrue(json.startsWith("{\"journal\":"), json);
        assertTrue(json.contains("\"segments\":[{\"file\":\"00000000000000000000.kekbit\",\"base\":0," +
            "\"state\":\"ROLLED\",\"records\":"), json);
        assertTrue(json.contains("\"readers\":[{\"name\":\"audit\",\"position\":0,\"lag\":"), json);
        assertTrue(json.contains("\"alive\":false"), json);
        assertTrue(json.endsWith("}]}"), json);
    }

    @Test
    void shouldPrintEveryRecordAcrossSegmentsWhenTailIsGivenJournalFolder()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);

        final ToolResult result = run("tail", folder.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals(lines(0, LINES), result.out());
        assertEquals("", result.err());
    }

    @Test
    void shouldStartAtJournalPositionWhenFromIsGiven()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);

        final ToolResult fromPosition = run("tail", folder.toString(), "--from", Long.toString(positions[49]));
        final ToolResult fromEnd = run("tail", folder.toString(), "--from", "end");
        final ToolResult hex = run(
            "tail", folder.toString(), "--from", Long.toString(positions[89]), "--format", "hex");

        assertEquals(lines(50, LINES), fromPosition.out(), fromPosition.err());
        assertEquals("", fromEnd.out(), fromEnd.err());
        assertEquals(KekbitTool.EXIT_OK, fromEnd.exitCode());
        assertTrue(hex.out().startsWith("position="), hex.out());
        final long firstPosition = Long.parseLong(hex.out().substring("position=".length(), hex.out().indexOf(' ')));
        assertEquals(JournalDescriptor.segmentBase(positions[89], SEGMENT_CAPACITY) == JournalDescriptor.segmentBase(
            positions[90], SEGMENT_CAPACITY) ? positions[89] : JournalDescriptor.segmentBase(positions[90],
            SEGMENT_CAPACITY), firstPosition, "a journal position: where record 90 starts");
        assertEquals(10, hex.out().split("position=").length - 1, hex.out());
    }

    @Test
    void shouldResumeAfterLastCommitAndCommitWhenTailReadsAsNamedReader()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("ops")))
        {
            reader.seek(positions[29]);
            reader.commit();
        }

        final ToolResult first = run("tail", folder.toString(), "--reader", "ops");
        final ToolResult second = run("tail", folder.toString(), "--reader", "ops");
        final ToolResult fromStart = run("tail", folder.toString(), "--reader", "ops", "--from", "start");

        assertEquals(lines(30, LINES), first.out(), first.err());
        assertEquals("", second.out(), "resumed after the commit of the first tail");
        assertEquals(KekbitTool.EXIT_OK, second.exitCode(), second.err());
        assertEquals(lines(0, LINES), fromStart.out(), fromStart.err());
        final ToolResult readers = run("readers", folder.toString(), "--json");
        assertTrue(readers.out().contains("{\"name\":\"ops\",\"position\":" + positions[LINES - 1] + ",\"lag\":0,"),
            readers.out());
    }

    @Test
    @Timeout(30)
    void shouldFollowAcrossSegmentsUntilJournalIsClosed() throws Exception
    {
        final Path folder = root.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writeLines(writer, 0, 1);
            final ToolTestSupport.WatchedOutput output = new ToolTestSupport.WatchedOutput("line-0\n");
            final AtomicInteger exitCode = new AtomicInteger(-1);
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final Thread tail = new Thread(() -> exitCode.set(KekbitTool.run(
                new String[]{ "tail", "--follow", folder.toString() },
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(output, false, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))));
            tail.setDaemon(true); // a tail that never ends must not keep the test JVM alive
            tail.start();

            output.awaitText(); // the tail has printed what was there and is now waiting for more
            for (int i = 1; i < LINES; i++)
            {
                writeLines(writer, i, i + 1);
                writer.doWork();
            }
            assertTrue(writer.rolls() >= 3, "rolls=" + writer.rolls());
            writer.close();
            tail.join();

            assertEquals(KekbitTool.EXIT_OK, exitCode.get(), err.toString(StandardCharsets.UTF_8));
            assertEquals(lines(0, LINES), output.text());
            assertEquals("tail: stopped at position=" + writer.position() + ": journal CLOSED\n",
                err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldReportRecordsSegmentsAndStateWhenVerifyIsGivenJournalFolder()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);

        final ToolResult result = run("verify", folder.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final Map<String, String> fields = parseText(result.out());
        assertEquals(Integer.toString(LINES), fields.get("records"));
        assertEquals(Long.toString(lines(0, LINES).length() - LINES), fields.get("bytes"));
        assertEquals(Long.toString(positions[LINES - 1]), fields.get("position"));
        assertEquals(Long.toString(1 + positions[LINES - 1] / SEGMENT_CAPACITY), fields.get("segments"));
        assertEquals("CLOSED", fields.get("state"));
        assertEquals(null, fields.get("corruption"));
    }

    @Test
    void shouldFailEachCommandWhenSegmentIsMissingFromChain() throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        final String missing = JournalDescriptor.segmentFileName(2L * SEGMENT_CAPACITY);
        Files.delete(folder.resolve(missing));

        final ToolResult verify = run("verify", folder.toString());
        final ToolResult info = run("info", folder.toString());
        final ToolResult tail = run("tail", folder.toString());

        assertEquals(KekbitTool.EXIT_FAILED, verify.exitCode(), verify.toString());
        assertEquals("CORRUPT", parseText(verify.out()).get("state"));
        assertTrue(parseText(verify.out()).get("corruption").startsWith("missing segment in the chain: " + missing),
            verify.out());
        assertOneErrorLine(info, KekbitTool.EXIT_FAILED);
        assertTrue(info.err().startsWith("kekbit: missing segment in the chain: " + missing), info.err());
        assertOneErrorLine(tail, KekbitTool.EXIT_FAILED);
        assertTrue(tail.err().startsWith("kekbit: missing segment in the chain: " + missing), tail.err());
        assertTrue(tail.out().startsWith(lines(0, 5)), "the records before the gap are printed: " + tail.out());
    }

    @Test
    void shouldFailVerifyWhenSegmentIsCorrupt() throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        final Path segment = folder.resolve(JournalDescriptor.segmentFileName(SEGMENT_CAPACITY));
        ToolTestSupport.corruptRecordAt(segment, 0);

        final ToolResult verify = run("verify", folder.toString());

        assertEquals(KekbitTool.EXIT_FAILED, verify.exitCode(), verify.toString());
        assertTrue(parseText(verify.out()).get("corruption").startsWith(
            "segment " + segment.getFileName() + " corrupt: "), verify.out());
    }

    @ParameterizedTest
    @ValueSource(strings = { "info", "tail", "verify", "readers" })
    void shouldFailWithOneLineWhenFolderIsNotAJournal(final String command) throws IOException
    {
        final Path empty = Files.createDirectories(root.resolve("empty"));

        final ToolResult result = run(command, empty.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().startsWith("kekbit: not a journal folder: " + empty + " holds no segment"),
            result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = { "info", "tail", "verify", "readers" })
    void shouldFailWithOneLineWhenJournalFolderHoldsForeignFile(final String command) throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, 10);
        Files.writeString(folder.resolve("notes.txt"), "not a segment");

        final ToolResult result = run(command, folder.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().startsWith("kekbit: foreign file in journal folder " + folder + ": notes.txt"),
            result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = { "12x", "-", "0x10" })
    void shouldFailWithOneLineWhenFromIsNotAPositionOfJournal(final String from)
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, 10);

        final ToolResult result = run("tail", folder.toString(), "--from", from);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("expected start, end or a position, actual='" + from + "'"), result.err());
    }

    @Test
    void shouldFailWithOneLineWhenFromIsBeyondJournalOrNotARecordBoundary()
    {
        final Path folder = root.resolve("journal");
        final long[] positions = closedJournal(folder, LINES);

        final ToolResult beyond = run("tail", folder.toString(), "--from", Long.toString(100L * SEGMENT_CAPACITY));
        final ToolResult inside = run("tail", folder.toString(), "--from", Long.toString(positions[40] - 8));

        assertOneErrorLine(beyond, KekbitTool.EXIT_USAGE);
        assertTrue(beyond.err().startsWith("kekbit: cannot start at --from " + 100L * SEGMENT_CAPACITY + ": "),
            beyond.err());
        assertOneErrorLine(inside, KekbitTool.EXIT_USAGE);
        assertTrue(inside.err().startsWith("kekbit: cannot start at --from "), inside.err());
    }

    @Test
    void shouldFailWithOneLineWhenReaderIsGivenForChannelFile()
    {
        final Path file = ToolTestSupport.closedChannel(root, 1, "one");

        final ToolResult result = run("tail", file.toString(), "--reader", "ops");

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("--reader needs a journal folder"), result.err());
    }

    @Test
    void shouldWriteLinesIntoJournalRollingAsNeeded()
    {
        final Path folder = root.resolve("written");

        final ToolResult write = runWithInput(lines(0, LINES), "write", "--journal", folder.toString(),
            "--segment-capacity", "256");

        assertEquals(KekbitTool.EXIT_OK, write.exitCode(), write.err());
        assertEquals(folder + "\n", write.out());
        final Map<String, String> verify = parseText(run("verify", folder.toString()).out());
        assertEquals(Integer.toString(LINES), verify.get("records"));
        assertEquals("256", verify.get("segmentCapacity"));
        assertTrue(Integer.parseInt(verify.get("segments")) >= 6, verify.toString());
        assertEquals("CLOSED", verify.get("state"));
        assertEquals(lines(0, LINES), run("tail", folder.toString()).out());
        try (var files = Files.list(folder))
        {
            assertTrue(files.noneMatch((file) -> file.getFileName().toString().startsWith("next-")),
                "closing deletes the next segment created ahead of need");
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void shouldAppendToClosedJournalWhenWrittenAgain()
    {
        final Path folder = root.resolve("journal");
        final ToolResult first = runWithInput(lines(0, LINES), "write", "--journal", folder.toString(),
            "--segment-capacity", "256");
        assertEquals(KekbitTool.EXIT_OK, first.exitCode(), first.err());

        final ToolResult second = runWithInput(lines(LINES, 2 * LINES), "write", "--journal", folder.toString());
        final ToolResult third = runWithInput(lines(2 * LINES, 2 * LINES + 3), "write", "--journal",
            folder.toString(), "--segment-capacity", "256");

        assertEquals(KekbitTool.EXIT_OK, second.exitCode(), second.err());
        assertEquals(folder + "\n", second.out());
        assertEquals(KekbitTool.EXIT_OK, third.exitCode(), third.err());
        final Map<String, String> verify = parseText(run("verify", folder.toString()).out());
        assertEquals(Integer.toString(2 * LINES + 3), verify.get("records"), verify.toString());
        assertEquals("CLOSED", verify.get("state"));
        assertEquals("256", verify.get("segmentCapacity"));
        assertEquals(lines(0, 2 * LINES + 3), run("tail", folder.toString()).out());
    }

    @Test
    void shouldAppendAfterLastCommittedRecordWhenWriterStoppedWithoutClosing()
    {
        final Path folder = root.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writeLines(writer, 0, LINES);
            writer.detach(); // as a writer that died: no end marker
        }

        final ToolResult result = runWithInput(lines(LINES, LINES + 5), "write", "--journal", folder.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals(lines(0, LINES + 5), run("tail", folder.toString()).out());
        assertEquals("CLOSED", parseText(run("verify", folder.toString()).out()).get("state"));
    }

    @Test
    void shouldFailWithOneLineWhenAppendingToJournalWithLiveWriter()
    {
        final Path folder = root.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            final long[] positions = writeLines(writer, 0, 3);

            final ToolResult result = runWithInput("more\n", "write", "--journal", folder.toString());

            assertOneErrorLine(result, KekbitTool.EXIT_FAILED);
            assertTrue(result.err().contains("has a live writer"), result.err());
            assertEquals(positions[2], writer.position(), "the live writer is untouched");
            assertTrue(writer.write(0, new UnsafeBuffer(new byte[4]), 0, 4) > 0);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "--segment-capacity 1024", "--max-record 100", "--timeout-ms 1234" })
    void shouldFailWithOneLineAndLeaveJournalAsItWasWhenAppendOptionsDifferFromJournal(final String options)
        throws IOException
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        final long segments;
        try (var files = Files.list(folder))
        {
            segments = files.count();
        }

        final String[] args = ("write --journal " + folder + " " + options).split(" ");
        final ToolResult result = runWithInput("more\n", args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("fixed for its life"), result.err());
        assertTrue(result.err().contains(options.split(" ")[0]), result.err());
        try (var files = Files.list(folder))
        {
            assertEquals(segments, files.count(), "no segment added");
        }
        assertEquals(lines(0, LINES), run("tail", folder.toString()).out());
    }

    @Test
    void shouldAcceptIndexFilesInJournalFolder()
    {
        final Path folder = root.resolve("journal");
        closedJournal(folder, LINES);
        assertTrue(JournalIndexer.rebuild(new JournalIndexer.Context().folder(folder).timestampOffset(0)) >= 0);
        assertTrue(Files.exists(folder.resolve(JournalDescriptor.INDEX_FILE_NAME)));
        assertTrue(Files.exists(folder.resolve(JournalDescriptor.INDEX_LOCK_FILE_NAME)));

        final ToolResult verify = run("verify", folder.toString());
        final ToolResult info = run("info", folder.toString());

        assertEquals(KekbitTool.EXIT_OK, verify.exitCode(), verify.err());
        assertEquals(KekbitTool.EXIT_OK, info.exitCode(), info.err());
        assertEquals(lines(0, LINES), run("tail", folder.toString()).out());
    }

    @ParameterizedTest
    @ValueSource(strings = { "info", "readers" })
    void shouldAcceptTheFilesOfARecyclingWriterAndItsStandbyInJournalFolder(final String command)
    {
        final Path folder = root.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).retainedSegments(1)
            .recycleSegments(true)))
        {
            int line = 0;
            while (writer.rolls() < 4)
            {
                writeLines(writer, line, line + 1);
                line++;
                writer.doWork();
            }
            assertTrue(Files.exists(folder.resolve(JournalDescriptor.READING_SEGMENTS_FILE_NAME)));
            assertTrue(ChannelReader.isOnStandby(
                JournalDescriptor.segmentPath(folder, writer.currentSegmentBase() + SEGMENT_CAPACITY)));

            final ToolResult result = run(command, folder.toString());

            assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
            assertEquals("", result.err());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--journal J --root R", "--journal J --channel 1", "--journal J --capacity 4096",
        "--journal J --segment-capacity 100", "--root R --channel 1 --segment-capacity 4096", "--root R" })
    void shouldFailWithOneLineWhenWriteOptionsMixChannelAndJournal(final String options)
    {
        final String[] args = ("write " + options).replace(" J", " " + root.resolve("j"))
            .replace(" R", " " + root.resolve("r")).split(" ");

        final ToolResult result = runWithInput("line\n", args);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
    }

    /**
     * Lines {@code line-from} up to {@code line-(to - 1)}, each ended by a newline.
     */
    static String lines(final int from, final int to)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = from; i < to; i++)
        {
            text.append("line-").append(i).append('\n');
        }
        return text.toString();
    }

    static JournalWriter.Context writerContext(final Path folder)
    {
        return new JournalWriter.Context().folder(folder).segmentCapacity(SEGMENT_CAPACITY).preTouch(false);
    }

    /**
     * Write lines {@code line-from} up to {@code line-(to - 1)}, one record of type 0 each.
     *
     * @return the journal position after each record.
     */
    static long[] writeLines(final JournalWriter writer, final int from, final int to)
    {
        final long[] positions = new long[to - from];
        for (int i = from; i < to; i++)
        {
            final byte[] bytes = ("line-" + i).getBytes(StandardCharsets.UTF_8);
            positions[i - from] = writer.write(0, new UnsafeBuffer(bytes), 0, bytes.length);
            assertTrue(positions[i - from] > 0, "write returned " + positions[i - from]);
        }
        return positions;
    }

    /**
     * A closed journal of {@code lines} text records in segments of {@link #SEGMENT_CAPACITY} bytes.
     *
     * @return the journal position after each record.
     */
    static long[] closedJournal(final Path folder, final int lines)
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            return writeLines(writer, 0, lines);
        }
    }
}
