package org.kekbit.tool;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.parseJson;
import static org.kekbit.tool.ToolTestSupport.parseText;
import static org.kekbit.tool.ToolTestSupport.run;
import static org.kekbit.tool.ToolTestSupport.writeText;

class InfoCommandTest
{
    private static final List<String> KEYS = List.of(
        "signature", "formatVersion", "headerLength", "channelId", "writerId", "capacity", "maxRecordLength",
        "recordAlignment", "timeoutMs", "creationTimeMs", "writerPid", "writerStartTicks", "heartbeatTimeMs",
        "writerNamespaceId", "journalFormatVersion", "state", "fileSystem", "mountPoint", "hugePages");

    @TempDir
    Path root;

    @Test
    void shouldPrintEveryHeaderFieldWhenChannelIsClosed()
    {
        final long beforeMs = System.currentTimeMillis();
        final Path file = createClosedChannel();
        final long afterMs = System.currentTimeMillis();

        final ToolResult result = run("info", file.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("", result.err());
        assertFields(parseText(result.out()), beforeMs, afterMs, "CLOSED");
    }

    @Test
    void shouldPrintOneJsonObjectWhenJsonIsAsked()
    {
        final long beforeMs = System.currentTimeMillis();
        final Path file = createClosedChannel();
        final long afterMs = System.currentTimeMillis();

        final ToolResult result = run("info", file.toString(), "--json");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals(1, result.out().split("\n").length, result.out());
        assertTrue(result.out().contains("\"signature\":\"*KEKBIT*\""), result.out());
        assertTrue(result.out().contains("\"channelId\":66"), result.out());
        assertFields(parseJson(result.out()), beforeMs, afterMs, "CLOSED");
    }

    @Test
    void shouldReportOpenStateWhenWriterIsAlive()
    {
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            writeText(writer, "one");

            final ToolResult result = run("info", writer.path().toString());

            assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
            assertEquals("OPEN", parseText(result.out()).get("state"));
            assertEquals("1", parseText(result.out()).get("channelId"));
        }
    }

    @Test
    void shouldPrintHeaderThenExitOneWhenChannelIsCorrupt() throws Exception
    {
        final long[] positions;
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            positions = writeText(writer, "one", "two");
            file = writer.path();
        }
        ToolTestSupport.corruptRecordAt(file, positions[0]);

        final ToolResult text = run("info", file.toString());
        final ToolResult json = run("info", file.toString(), "--json");

        assertOneErrorLine(text, KekbitTool.EXIT_FAILED);
        assertTrue(text.err().contains("channel corrupt") && text.err().contains("position=" + positions[0]),
            text.err());
        assertEquals("CORRUPT", parseText(text.out()).get("state"));
        assertOneErrorLine(json, KekbitTool.EXIT_FAILED);
        assertEquals("CORRUPT", parseJson(json.out()).get("state"));
    }

    private Path createClosedChannel()
    {
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root)
            .channelId(66)
            .writerId(7)
            .capacity(4096)
            .maxRecordLength(100)
            .timeoutMs(5000)))
        {
            writeText(writer, "one", "two");
            return writer.path();
        }
    }

    private static void assertFields(
        final Map<String, String> fields, final long beforeMs, final long afterMs, final String state)
    {
        assertEquals(KEYS, List.copyOf(fields.keySet()));
        assertEquals(ChannelDescriptor.SIGNATURE, fields.get("signature"));
        assertEquals(String.valueOf(ChannelDescriptor.FORMAT_VERSION), fields.get("formatVersion"));
        assertEquals(String.valueOf(ChannelDescriptor.HEADER_LENGTH), fields.get("headerLength"));
        assertEquals("66", fields.get("channelId"));
        assertEquals("7", fields.get("writerId"));
        assertEquals("4096", fields.get("capacity"));
        assertEquals("100", fields.get("maxRecordLength"));
        assertEquals(String.valueOf(RecordDescriptor.ALIGNMENT), fields.get("recordAlignment"));
        assertEquals("5000", fields.get("timeoutMs"));
        assertEquals(String.valueOf(ProcessHandle.current().pid()), fields.get("writerPid"));
        final long creationTimeMs = Long.parseLong(fields.get("creationTimeMs"));
        assertTrue(creationTimeMs >= beforeMs && creationTimeMs <= afterMs, fields.toString());
        final long heartbeatTimeMs = Long.parseLong(fields.get("heartbeatTimeMs"));
        assertTrue(heartbeatTimeMs >= creationTimeMs && heartbeatTimeMs <= afterMs, fields.toString());
        final long startTicks = Long.parseLong(fields.get("writerStartTicks"));
        assertTrue(startTicks > 0, fields.toString());
        assertTrue(Long.parseUnsignedLong(fields.get("writerNamespaceId"), 16) != 0, fields.toString());
        assertEquals("0", fields.get("journalFormatVersion"), "a channel that is no journal's segment");
        assertEquals(state, fields.get("state"));
        assertTrue(List.of("always", "within_size", "advise", "never", "no", "unknown").contains(
            fields.get("hugePages")), fields.toString());
        assertTrue(fields.get("mountPoint").startsWith("/"), fields.toString());
    }
}
