package org.kekbit.tool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.journal.JournalWriter;
import org.kekbit.stage.SequenceStage;
import org.kekbit.stage.StagedWriter;
import org.kekbit.stage.TimestampStage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.JournalCommandsTest.closedJournal;
import static org.kekbit.tool.JournalCommandsTest.writerContext;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.closedChannel;
import static org.kekbit.tool.ToolTestSupport.run;

/**
 * {@code tail --from-sequence} and {@code --from-time} on a journal written through the library's staged writes,
 * TimestampStage then SequenceStage as the README's example lays them out, across several segments.
 */
class TailFromKeyTest
{
    static final int LINES = 100;
    private static final Instant START = Instant.parse("2026-11-29T14:00:00Z");
    private static final long START_NS = START.getEpochSecond() * 1_000_000_000L;
    private static final long STEP_NS = 1_000_000_000L;
    private static final Pattern LINE = Pattern.compile(".*line-(\\d+)");

    @TempDir
    Path root;

    @Test
    void shouldPrintExactlyTheRecordsFromSequenceAcrossSegments()
    {
        final Path folder = stagedJournal();

        final ToolResult fromMiddle = run("tail", folder.toString(), "--from-sequence", "51");
        final ToolResult fromFirst = run("tail", folder.toString(), "--from-sequence", "1");
        final ToolResult explicitOffset =
            run("tail", folder.toString(), "--from-sequence", "87", "--sequence-offset", "8");
        final ToolResult pastEnd = run("tail", folder.toString(), "--from-sequence", "1000");

        assertLines(fromMiddle, 50);
        assertLines(fromFirst, 0);
        assertLines(explicitOffset, 86);
        assertEquals(KekbitTool.EXIT_OK, pastEnd.exitCode(), pastEnd.err());
        assertEquals("", pastEnd.out());
    }

    @Test
    void shouldPrintExactlyTheRecordsFromTimeAcrossSegments()
    {
        final Path folder = stagedJournal();

        final ToolResult atStamp = run("tail", folder.toString(), "--from-time", "2026-11-29T14:00:40Z");
        final ToolResult betweenStamps = run("tail", folder.toString(), "--from-time", "2026-11-29T14:01:12.5Z");
        final ToolResult beforeAll = run("tail", folder.toString(), "--from-time", "2026-11-29T13:00:00Z",
            "--timestamp-offset", "0");

        assertLines(atStamp, 40);
        assertLines(betweenStamps, 73);
        assertLines(beforeAll, 0);
    }

    @Test
    void shouldCommitNamedReaderWhereSequenceMovedIt()
    {
        final Path folder = stagedJournal();

        assertLines(run("tail", folder.toString(), "--reader", "audit", "--from-sequence", "91"), 90);
        assertEquals("", run("tail", folder.toString(), "--reader", "audit").out(), "resumed after its commit");
        assertLines(run("tail", folder.toString(), "--reader", "audit", "--from-sequence", "96"), 95);
    }

    @Test
    void shouldFailWithOneLineWhenSequenceWasPrunedOrOptionsClash()
    {
        final Path folder = stagedJournal();
        final Path plain = root.resolve("plain");
        closedJournal(plain, 10);
        final Path channel = closedChannel(root.resolve("channels"), 42, "a");
        JournalWriter.prune(writerContext(folder).retainedSegments(1));

        final ToolResult pruned = run("tail", folder.toString(), "--from-sequence", "1");
        final ToolResult both = run("tail", folder.toString(), "--from", "start", "--from-sequence", "3");
        final ToolResult bothKeys =
            run("tail", folder.toString(), "--from-time", "2026-11-29T14:00:00Z", "--from-sequence", "3");
        final ToolResult badTime = run("tail", folder.toString(), "--from-time", "yesterday");
        final ToolResult badSequence = run("tail", folder.toString(), "--from-sequence", "ten");
        final ToolResult lonelyOffset = run("tail", folder.toString(), "--sequence-offset", "8");
        final ToolResult negativeOffset =
            run("tail", folder.toString(), "--from-time", "2026-11-29T14:00:00Z", "--timestamp-offset", "-4");
        final ToolResult onChannel = run("tail", channel.toString(), "--from-sequence", "1");
        final ToolResult unstamped = run("tail", plain.toString(), "--from-time", "2026-11-29T14:00:00Z");
        final ToolResult wrongOffset = run("tail", root.resolve("staged").toString(), "--from-sequence", "60",
            "--sequence-offset", "16");

        assertOneErrorLine(pruned, KekbitTool.EXIT_USAGE);
        assertTrue(pruned.err().contains("cannot start at --from-sequence 1: the records before the oldest segment"),
            pruned.err());
        assertOneErrorLine(both, KekbitTool.EXIT_USAGE);
        assertTrue(both.err().contains("mutually exclusive"), both.err());
        assertOneErrorLine(bothKeys, KekbitTool.EXIT_USAGE);
        assertTrue(bothKeys.err().contains("mutually exclusive"), bothKeys.err());
        assertOneErrorLine(badTime, KekbitTool.EXIT_USAGE);
        assertTrue(badTime.err().contains("expected an ISO-8601 instant such as 2026-11-29T14:00:00Z, " +
            "actual='yesterday'"), badTime.err());
        assertOneErrorLine(badSequence, KekbitTool.EXIT_USAGE);
        assertOneErrorLine(lonelyOffset, KekbitTool.EXIT_USAGE);
        assertTrue(lonelyOffset.err().contains("--sequence-offset needs --from-sequence"), lonelyOffset.err());
        assertOneErrorLine(negativeOffset, KekbitTool.EXIT_USAGE);
        assertTrue(negativeOffset.err().contains("must not be negative"), negativeOffset.err());
        assertOneErrorLine(onChannel, KekbitTool.EXIT_USAGE);
        assertTrue(onChannel.err().contains("--from-sequence needs a journal folder"), onChannel.err());
        assertOneErrorLine(unstamped, KekbitTool.EXIT_USAGE);
        assertTrue(unstamped.err().contains("too short for an 8-byte key at --timestamp-offset 0"), unstamped.err());
        assertOneErrorLine(wrongOffset, KekbitTool.EXIT_USAGE);
        assertTrue(wrongOffset.err().contains("too short for an 8-byte key at --sequence-offset 16"),
            wrongOffset.err());
    }

    /**
     * Lines {@code line-0} to {@code line-99}, record i stamped START + i seconds with sequence i + 1, in 512-byte
     * segments: several rolls.
     */
    private Path stagedJournal()
    {
        return stagedJournal(root.resolve("staged"));
    }

    /**
     * Lines {@code line-0} to {@code line-99} in a new journal, as {@link #stagedJournal()} writes them.
     */
    static Path stagedJournal(final Path folder)
    {
        final long[] nowNs = {START_NS};
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).timestampOffset(0).sequenceOffset(8)))
        {
            final StagedWriter staged = new StagedWriter(writer, new TimestampStage(() -> nowNs[0]),
                new SequenceStage(1));
            for (int i = 0; i < LINES; i++)
            {
                final byte[] bytes = ("line-" + i).getBytes(StandardCharsets.UTF_8);
                assertTrue(staged.write(0, new UnsafeBuffer(bytes), 0, bytes.length) > 0);
                nowNs[0] += STEP_NS;
            }
        }
        assertTrue(JournalFolder.open(folder).bases().size() >= 4, "rolls");
        return folder;
    }

    /**
     * The run printed exactly lines {@code from} to the last, one per record, in order.
     */
    private static void assertLines(final ToolResult result, final int from)
    {
        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final String[] lines = result.out().split("\n");
        assertEquals(LINES - from, lines.length, result.out());
        for (int i = 0; i < lines.length; i++)
        {
            final Matcher matcher = LINE.matcher(lines[i]);
            assertTrue(matcher.matches(), lines[i]);
            assertEquals(from + i, Integer.parseInt(matcher.group(1)), lines[i]);
        }
    }
}
