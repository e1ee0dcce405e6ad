package org.kekbit.tool;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.corruptRecordAt;
import static org.kekbit.tool.ToolTestSupport.parseJson;
import static org.kekbit.tool.ToolTestSupport.parseText;
import static org.kekbit.tool.ToolTestSupport.run;
import static org.kekbit.tool.ToolTestSupport.writeText;

class VerifyCommandTest
{
    @TempDir
    Path root;

    @Test
    void shouldReportOpenAndExitZeroWhenWriterIsAlive()
    {
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            final long[] positions = writeText(writer, "one", "three");

            assertReport(writer.path(), KekbitTool.EXIT_OK, 2, 8, positions[1], "OPEN");
        }
    }

    @Test
    void shouldReportClosedAndExitZeroWhenWriterClosed()
    {
        final long[] positions;
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            positions = writeText(writer, "one", "two", "three");
            file = writer.path();
        }

        final Map<String, String> report = assertReport(file, KekbitTool.EXIT_OK, 3, 11, positions[2], "CLOSED");
        assertEquals("null", report.get("corruption"));
    }

    @Test
    void shouldReportEmptyChannelWhenNothingWasWritten()
    {
        final Path file = ToolTestSupport.closedChannel(root, 1);

        assertReport(file, KekbitTool.EXIT_OK, 0, 0, 0, "CLOSED");
    }

    @Test
    void shouldReportFullAndExitZeroWhenRecordDidNotFit()
    {
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1).capacity(64)))
        {
            writeText(writer, "0123456789abcdef0123", "0123456789abcdef0123");
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(0, new UnsafeBuffer(new byte[8]), 0, 8));

            assertReport(writer.path(), KekbitTool.EXIT_OK, 2, 40, 64, "FULL");
        }
    }

    @Test
    void shouldReportAbandonedAndExitZeroWhenHeartbeatOfWriterInAnotherNamespaceIsStale() throws Exception
    {
        final CachedEpochClock stoppedClock = new CachedEpochClock(); // the heartbeat stays at 1970
        try (ChannelWriter writer = ChannelWriter.create(
            ToolTestSupport.context(root, 1).epochClock(stoppedClock).timeoutMs(1000)))
        {
            final long[] positions = writeText(writer, "one");
            assertReport(writer.path(), KekbitTool.EXIT_OK, 1, 3, positions[0], "OPEN"); // its process runs here
            ToolTestSupport.moveWriterToAnotherNamespace(writer.path());

            assertReport(writer.path(), KekbitTool.EXIT_OK, 1, 3, positions[0], "ABANDONED");
        }
    }

    @Test
    void shouldReportCorruptAndExitOneWhenRecordHeaderIsBad() throws Exception
    {
        final long[] positions;
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            positions = writeText(writer, "one", "two", "three");
            file = writer.path();
        }
        corruptRecordAt(file, positions[1]);

        final Map<String, String> report = assertReport(file, KekbitTool.EXIT_FAILED, 2, 6, positions[1], "CORRUPT");
        assertTrue(report.get("corruption").contains("position=" + positions[1]), report.toString());
    }

    /**
     * Run verify as text and as JSON and check both report the same.
     *
     * @return the JSON report.
     */
    private static Map<String, String> assertReport(
        final Path file,
        final int exitCode,
        final long records,
        final long bytes,
        final long position,
        final String state)
    {
        final ToolResult text = run("verify", file.toString());
        assertEquals(exitCode, text.exitCode(), text.toString());
        assertEquals("", text.err());
        final Map<String, String> textReport = parseText(text.out());

        final ToolResult json = run("verify", "--json", file.toString());
        assertEquals(exitCode, json.exitCode(), json.toString());
        assertEquals("", json.err());
        final Map<String, String> jsonReport = parseJson(json.out());

        for (final Map<String, String> report : List.of(textReport, jsonReport))
        {
            assertEquals(String.valueOf(records), report.get("records"), report.toString());
            assertEquals(String.valueOf(bytes), report.get("bytes"), report.toString());
            assertEquals(String.valueOf(position), report.get("position"), report.toString());
            assertEquals(state, report.get("state"), report.toString());
        }
        if (!"CORRUPT".equals(state))
        {
            assertNull(textReport.get("corruption"), textReport.toString());
        }
        else
        {
            assertEquals(textReport.get("corruption"), jsonReport.get("corruption"));
        }

        return jsonReport;
    }
}
