package org.kekbit.channel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Readers cannot modify a channel: they open the file read-only and map it read-only, so they work on files they
 * may only read, and a handler that writes through the buffer it is handed kills its own process (SIGSEGV) instead
 * of changing a byte. These tests run as root, for whom file permissions deny nothing; the read-only mapping is
 * enforced by the MMU, for root too.
 */
class ChannelReadOnlyTest
{
    private static final int RECORDS = 200;

    @TempDir
    Path root;

    private final List<ChildProcess> children = new ArrayList<>();

    @AfterEach
    void killChildren()
    {
        children.forEach(ChildProcess::close);
    }

    @Test
    @Timeout(30)
    void shouldLeaveEveryByteUnchangedWhenReaderReadsReadOnlyFileToItsEnd() throws Exception
    {
        final Path path = closedChannel();
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("r--r-----"));
        final byte[] before = Files.readAllBytes(path);
        final FileTime modifiedBefore = Files.getLastModifiedTime(path);

        try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path).preTouch(true)))
        {
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            assertEquals(RECORDS, reader.poll(verifier, Integer.MAX_VALUE));
            assertNull(verifier.error());
            assertEquals(ChannelState.CLOSED, reader.state());
            reader.seek(0);
            int iterated = 0;
            while (reader.records().hasNext())
            {
                reader.records().next();
                iterated++;
            }
            assertEquals(RECORDS, iterated);
            assertEquals(reader.position(), reader.seekToEnd());
        }

        assertArrayEquals(before, Files.readAllBytes(path));
        assertEquals(modifiedBefore, Files.getLastModifiedTime(path));
        assertEquals(PosixFilePermissions.fromString("r--r-----"), Files.getPosixFilePermissions(path));
    }

    @Test
    @Timeout(60)
    void shouldKillItsOwnProcessRatherThanModifyChannelWhenHandlerWritesThroughDeliveredBuffer() throws Exception
    {
        final Path path = closedChannel();
        final byte[] before = Files.readAllBytes(path);

        final ChildProcess child = ChildProcess.start("scribbler", List.of(
            "-XX:ErrorFile=" + root.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash"),
            ChildMain.SCRIBBLE, path.toString());
        children.add(child);
        child.awaitLine("POLLING");
        final int exitCode = child.awaitExit();

        assertNotEquals(0, exitCode, child::transcript);
        assertFalse(child.transcript().contains("WROTE"), child::transcript);
        assertTrue(child.transcript().contains("SIGSEGV"), child::transcript);
        assertArrayEquals(before, Files.readAllBytes(path), "the channel is unchanged");
    }

    @Test
    @Timeout(30)
    void shouldThrowIoErrorWhenFileIsNotReadableUnlessRunAsRoot() throws Exception
    {
        final Path path = closedChannel();
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("---------"));
        if (isRoot())
        {
            // Root reads any file: permissions cannot be shown to deny a reader here, only that none are needed.
            try (ChannelReader reader = ChannelReader.open(path))
            {
                assertEquals(RECORDS, reader.poll((msgTypeId, buffer, offset, length) -> {}, Integer.MAX_VALUE));
            }
        }
        else
        {
            final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.open(path));
            assertEquals(ChannelException.Reason.IO_ERROR, ex.reason());
            assertTrue(ex.getMessage().startsWith("no permission to read channel file: "), ex.getMessage());
        }
    }

    private Path closedChannel()
    {
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root).channelId(9).capacity(64 * 1024)))
        {
            final CheckedRecord record = new CheckedRecord();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[CheckedRecord.MAX_LENGTH]);
            for (int i = 0; i < RECORDS; i++)
            {
                assertTrue(writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, record.encode(buffer, 0, i)) > 0);
            }
            return writer.path();
        }
    }

    private static boolean isRoot() throws Exception
    {
        final Process id = new ProcessBuilder("id", "-u").start();
        final String uid = new String(id.getInputStream().readAllBytes()).trim();
        id.waitFor();
        return "0".equals(uid);
    }
}
