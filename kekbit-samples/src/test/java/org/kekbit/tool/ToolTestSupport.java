package org.kekbit.tool;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the tool in-process with captured streams, and makes channels to run it on.
 */
final class ToolTestSupport
{
    private static final Pattern JSON_MEMBER = Pattern.compile("\"(\\w+)\":(\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+|null)");

    private ToolTestSupport()
    {
    }

    /**
     * What one run of the tool printed and returned.
     */
    record ToolResult(int exitCode, String out, String err)
    {
    }

    static ToolResult run(final String... args)
    {
        return run(new ByteArrayInputStream(new byte[0]), args);
    }

    static ToolResult runWithInput(final String input, final String... args)
    {
        return run(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), args);
    }

    static ToolResult run(final InputStream in, final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = KekbitTool.run(args, in,
            new PrintStream(out, false, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new ToolResult(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Assert a run failed the way the tool promises: the exit code, one line on standard error with the tool's
     * prefix, and no stack trace anywhere.
     */
    static void assertOneErrorLine(final ToolResult result, final int exitCode)
    {
        assertEquals(exitCode, result.exitCode(), result.toString());
        assertTrue(result.err().startsWith("kekbit: "), result.err());
        assertTrue(result.err().endsWith("\n"), result.err());
        assertEquals(1, result.err().split("\n", -1).length - 1, result.err());
        assertNoStackTrace(result);
    }

    static void assertNoStackTrace(final ToolResult result)
    {
        for (final String text : new String[]{ result.out(), result.err() })
        {
            assertFalse(text.contains("Exception"), text);
            assertFalse(text.contains("at org."), text);
            assertFalse(text.contains("at java."), text);
        }
    }

    /**
     * Parse {@code name: value} lines.
     */
    static Map<String, String> parseText(final String text)
    {
        final Map<String, String> fields = new LinkedHashMap<>();
        for (final String line : text.split("\n"))
        {
            final int colon = line.indexOf(": ");
            assertTrue(colon > 0, line);
            fields.put(line.substring(0, colon), line.substring(colon + 2));
        }
        return fields;
    }

    /**
     * Parse a flat JSON object whose values are numbers, strings or null; strings are returned unquoted with their
     * escapes as written.
     */
    static Map<String, String> parseJson(final String text)
    {
        final String json = text.trim();
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        assertFalse(json.contains("\n"), json);

        final Map<String, String> fields = new LinkedHashMap<>();
        final Matcher matcher = JSON_MEMBER.matcher(json);
        int end = 1;
        while (matcher.find())
        {
            assertEquals(end, matcher.start(), "unexpected text in " + json);
            final String value = matcher.group(2);
            fields.put(matcher.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
            end = matcher.end() + 1; // past the comma or the closing brace
        }
        assertEquals(json.length(), end, "unexpected text in " + json);
        return fields;
    }

    static ChannelWriter.Context context(final Path root, final long channelId)
    {
        return new ChannelWriter.Context().root(root).channelId(channelId).capacity(64 * 1024).preTouch(false);
    }

    /**
     * Write UTF-8 text records of type 0.
     *
     * @return the position after each record.
     */
    static long[] writeText(final ChannelWriter writer, final String... payloads)
    {
        final long[] positions = new long[payloads.length];
        for (int i = 0; i < payloads.length; i++)
        {
            final byte[] bytes = payloads[i].getBytes(StandardCharsets.UTF_8);
            positions[i] = writer.write(0, new UnsafeBuffer(bytes), 0, bytes.length);
            assertTrue(positions[i] > 0, "write returned " + positions[i]);
        }
        return positions;
    }

    /**
     * Create a channel holding text records and close it.
     */
    static Path closedChannel(final Path root, final long channelId, final String... payloads)
    {
        try (ChannelWriter writer = ChannelWriter.create(context(root, channelId)))
        {
            writeText(writer, payloads);
            return writer.path();
        }
    }

    /**
     * Overwrite the frame length of the record at a position with a value no writer writes.
     */
    static void corruptRecordAt(final Path file, final long position) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer frameLength = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            frameLength.putInt(0, RecordDescriptor.HEADER_LENGTH - 1);
            final long fileOffset = ChannelDescriptor.HEADER_LENGTH + position + RecordDescriptor.FRAME_LENGTH_OFFSET;
            channel.write(frameLength, fileOffset);
        }
    }

    /**
     * Write a journal format version into a segment's header at the codec's offset, as a writer of another version
     * would have.
     */
    static void patchJournalFormatVersion(final Path segment, final int journalFormatVersion) throws IOException
    {
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE))
        {
            final ByteBuffer version = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            version.putInt(0, journalFormatVersion);
            channel.write(version, ChannelHeaderDecoder.journalFormatVersionEncodingOffset());
        }
    }

    /**
     * Make the channel's writer look as if it ran in another pid namespace (another container), where the tool cannot
     * look its process up and must judge it by its heartbeat alone.
     */
    static void moveWriterToAnotherNamespace(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer namespaceId = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            namespaceId.putLong(0, 1);
            channel.write(namespaceId, ChannelHeaderDecoder.writerNamespaceIdEncodingOffset());
        }
    }

    /**
     * Start the tool's {@code main} in a JVM of its own, with the flags of {@code kekbit.jar}'s manifest, its
     * standard output a pipe to this process: {@link Process#getInputStream()}.
     */
    static Process startToolProcess(final String... args) throws IOException
    {
        final List<String> manifestFlags = List.of(
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        return startToolProcess(manifestFlags, args);
    }

    /**
     * Start the tool's {@code main} in a JVM of its own with the given JVM flags.
     */
    static Process startToolProcess(final List<String> jvmFlags, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", testClassPath(), KekbitTool.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    /**
     * The class path of the classes under test and their dependencies. Surefire starts its JVM from a manifest-only
     * jar, then sets both surefire.test.class.path and java.class.path to the real entries; elsewhere
     * java.class.path is the real one.
     */
    static String testClassPath()
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        assertTrue(classPath.contains(File.pathSeparator) || classPath.endsWith(".jar"), classPath);
        return classPath;
    }

    /**
     * An output whose reader has gone: every write fails, as on a pipe whose reader has closed it. Counts the
     * attempts.
     */
    static final class ClosedOutput extends OutputStream
    {
        private final AtomicLong writes = new AtomicLong();

        public void write(final int b) throws IOException
        {
            writes.incrementAndGet();
            throw new IOException("Broken pipe");
        }

        public void write(final byte[] b, final int off, final int len) throws IOException
        {
            writes.incrementAndGet();
            throw new IOException("Broken pipe");
        }

        long writes()
        {
            return writes.get();
        }
    }

    /**
     * Collects what a command prints from another thread and lets a test wait until a given text has appeared.
     */
    static final class WatchedOutput extends OutputStream
    {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final String awaited;
        private final CountDownLatch seen = new CountDownLatch(1);

        WatchedOutput(final String awaited)
        {
            this.awaited = awaited;
        }

        public synchronized void write(final int b)
        {
            bytes.write(b);
            check();
        }

        public synchronized void write(final byte[] b, final int off, final int len)
        {
            bytes.write(b, off, len);
            check();
        }

        synchronized String text()
        {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        void awaitText() throws InterruptedException
        {
            seen.await();
        }

        private void check()
        {
            if (seen.getCount() > 0 && text().contains(awaited))
            {
                seen.countDown();
            }
        }
    }
}
