package org.kekbit.channel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channels on a full disk: creation allocates every byte of the file, so a channel larger than the free space fails
 * at creation with IO_ERROR and leaves no file behind, and a channel that was created never meets SIGBUS later, even
 * when the file system fills up under it.
 * <p>
 * The full disk is an 8 MiB tmpfs mounted for the test ({@code mount -t tmpfs -o size=8m}, which needs root or
 * CAP_SYS_ADMIN) and unmounted after it. Where it cannot be mounted, the test says so on stdout and checks the
 * fallback instead: a creator JVM under a file size limit ({@code ulimit -f}, RLIMIT_FSIZE), whose writes past the
 * limit fail with EFBIG as writes to a full disk fail with ENOSPC. That fallback is also checked on its own.
 */
class ChannelFullDiskTest
{
    private static final String FILE_SYSTEM_SIZE = "8m";
    private static final long FILE_SYSTEM_BYTES = 8L << 20;
    private static final long TOO_LARGE_CAPACITY = 16L << 20;
    private static final long FITTING_CAPACITY = 4L << 20;
    private static final long FILE_SIZE_LIMIT_BLOCKS = 8192; // 4 MiB in dash's 512-byte blocks, 8 MiB in bash's
    private static final long CHANNEL_ID = 0x0000_0000_0000_0042L;

    @TempDir
    Path tempDir;

    private Path mountPoint;
    private final List<ChildProcess> children = new ArrayList<>();

    @AfterEach
    void unmount() throws Exception
    {
        children.forEach(ChildProcess::close);
        if (null != mountPoint)
        {
            if (0 != run("umount", mountPoint.toString()).exitCode)
            {
                run("umount", "-l", mountPoint.toString());
            }
            assertFalse(isMountPoint(mountPoint), "still mounted: " + mountPoint);
        }
    }

    @Test
    @Timeout(60)
    void shouldFailCreationWithIoErrorAndLeaveNoFileWhenChannelIsLargerThanFreeSpace() throws Exception
    {
        final String mountError = mountSmallFileSystem();
        if (null != mountError)
        {
            System.out.println("ChannelFullDiskTest: cannot mount a tmpfs here (" + mountError +
                "); checking creation under a file size limit instead");
            assertCreationFailsUnderFileSizeLimit();
            return;
        }

        final long freeBytes = Files.getFileStore(mountPoint).getUsableSpace();
        assertTrue(freeBytes <= FILE_SYSTEM_BYTES && freeBytes > FITTING_CAPACITY, "free=" + freeBytes);
        final ChannelWriter.Context ctx = new ChannelWriter.Context()
            .root(mountPoint).channelId(CHANNEL_ID).capacity(TOO_LARGE_CAPACITY);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.create(ctx));

        assertEquals(ChannelException.Reason.IO_ERROR, ex.reason());
        assertTrue(ex.getMessage().startsWith("cannot allocate " + ChannelDescriptor.fileLength(TOO_LARGE_CAPACITY) +
            " bytes for channel file "), ex.getMessage());
        assertTrue(ex.getMessage().contains("No space left on device"), ex.getMessage());
        assertFalse(Files.exists(ctx.path()));
        assertEquals(List.of(), list(ctx.path().getParent()), "no temp file is left behind");
        assertEquals(freeBytes, Files.getFileStore(mountPoint).getUsableSpace(), "the space is given back");
    }

    @Test
    @Timeout(60)
    void shouldWriteUntilFullWithoutSigbusWhenFileSystemFillsUpAfterCreation() throws Exception
    {
        final String mountError = mountSmallFileSystem();
        if (null != mountError)
        {
            System.out.println("ChannelFullDiskTest: cannot mount a tmpfs here (" + mountError +
                "); checking creation under a file size limit instead");
            assertCreationFailsUnderFileSizeLimit();
            return;
        }

        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(mountPoint).channelId(CHANNEL_ID).capacity(FITTING_CAPACITY).preTouch(false)))
        {
            final Path filler = mountPoint.resolve("filler");
            final long fillerBytes = fillUp(filler);
            assertTrue(fillerBytes > 0, "filled " + fillerBytes + " bytes");
            assertEquals(0, Files.getFileStore(mountPoint).getUsableSpace(), "the file system is full");

            // Every page of the channel was allocated at creation: writing into the mapping needs no more space.
            final CheckedRecord record = new CheckedRecord();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[CheckedRecord.MAX_LENGTH]);
            long written = 0;
            long result;
            while ((result = writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, record.encode(buffer, 0, written))) > 0)
            {
                written++;
            }
            assertEquals(ChannelWriter.CHANNEL_FULL, result);
            writer.force();

            try (ChannelReader reader = ChannelReader.open(writer.path()))
            {
                final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
                while (reader.poll(verifier, Integer.MAX_VALUE) > 0)
                {
                    Thread.onSpinWait();
                }
                assertEquals(written, verifier.records());
                assertEquals(null, verifier.error());
                assertEquals(ChannelState.FULL, reader.state());
            }
            Files.delete(filler);
        }
    }

    @Test
    @Timeout(60)
    void shouldFailCreationWithIoErrorAndLeaveNoFileWhenFileSizeLimitIsExceeded() throws Exception
    {
        assertCreationFailsUnderFileSizeLimit();
    }

    private void assertCreationFailsUnderFileSizeLimit() throws Exception
    {
        final Path root = tempDir.resolve("limited");
        final Path path = ChannelDescriptor.channelPath(root, CHANNEL_ID);
        final ChildProcess tooLarge = start("too-large-creator", ChildMain.CREATE_ONE, root.toString(),
            String.valueOf(CHANNEL_ID), String.valueOf(TOO_LARGE_CAPACITY));
        final String failed = tooLarge.awaitLine("FAILED ");
        assertTrue(failed.startsWith("FAILED IO_ERROR cannot allocate " +
            ChannelDescriptor.fileLength(TOO_LARGE_CAPACITY) + " bytes for channel file "), tooLarge::transcript);
        assertTrue(failed.contains("File too large"), tooLarge::transcript);
        assertEquals(0, tooLarge.awaitExit(), tooLarge::transcript);
        assertFalse(Files.exists(path));
        assertEquals(List.of(), list(path.getParent()), "no temp file is left behind");

        // The limit, not something else, made it fail: a channel within it is created.
        final ChildProcess fitting = start("fitting-creator", ChildMain.CREATE_ONE, root.toString(),
            String.valueOf(CHANNEL_ID), String.valueOf(1L << 20));
        assertEquals("CREATED " + path, fitting.awaitLine("CREATED "), fitting::transcript);
        assertEquals(0, fitting.awaitExit(), fitting::transcript);
        assertEquals(List.of(path), list(path.getParent()));
    }

    /**
     * Mount a small tmpfs on a folder of the test's temp folder.
     *
     * @return null when mounted, otherwise why not.
     */
    private String mountSmallFileSystem() throws Exception
    {
        final Path folder = Files.createDirectories(tempDir.resolve("small-fs"));
        final Result result = run("mount", "-t", "tmpfs", "-o", "size=" + FILE_SYSTEM_SIZE, "tmpfs", folder.toString());
        if (0 != result.exitCode)
        {
            return "mount exit code " + result.exitCode + ": " + result.output.trim();
        }
        mountPoint = folder;
        assertTrue(isMountPoint(folder), "mounted: " + folder);
        return null;
    }

    private static long fillUp(final Path file) throws IOException
    {
        final byte[] chunk = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(file))
        {
            while (true)
            {
                out.write(chunk);
                written += chunk.length;
            }
        }
        catch (final IOException ex)
        {
            assertTrue(ex.getMessage().contains("No space left on device"), ex.toString());
        }
        return written;
    }

    private static boolean isMountPoint(final Path folder) throws IOException
    {
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mounts"), StandardCharsets.UTF_8))
        {
            return mounts.anyMatch((line) -> line.split(" ")[1].equals(folder.toString()));
        }
    }

    private static List<Path> list(final Path folder) throws IOException
    {
        if (!Files.isDirectory(folder))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder))
        {
            return files.sorted().toList();
        }
    }

    private static Result run(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return new Result(-1, "timed out: " + output);
        }
        return new Result(process.exitValue(), output);
    }

    private ChildProcess start(final String name, final String... args)
    {
        final ChildProcess child = ChildProcess.startWithFileSizeLimit(name, FILE_SIZE_LIMIT_BLOCKS, args);
        children.add(child);
        return child;
    }

    /**
     * Exit code and output of a command.
     */
    record Result(int exitCode, String output)
    {
    }
}
