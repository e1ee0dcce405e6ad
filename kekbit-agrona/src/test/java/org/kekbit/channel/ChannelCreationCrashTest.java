package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.kekbit.channel.ChannelTestSupport.payload;

/**
 * Channels whose creation never finished: a creator killed while it allocates a large channel leaves only its temp
 * file, never a file at the channel's path, so waiting readers time out, a new writer can create the channel, and
 * {@link ChannelWriter#deleteStaleTempFiles(Path)} removes the leftover. A file at the channel's path whose header
 * never becomes ready is reported NOT_READY and waited on only until the timeout.
 */
class ChannelCreationCrashTest
{
    private static final long CHANNEL_ID = 0x0000_0003_0000_0007L;
    private static final long LARGE_CAPACITY = 1L << 30;
    private static final long KILL_AT_BYTES = 16L << 20;
    private static final long AWAIT_MS = 300;
    private static final long PROMPT_MS = 5_000;
    /**
     * awaitOpen measures on the epoch clock in whole milliseconds, the test on the nano clock.
     */
    private static final long CLOCK_SLACK_MS = 5;

    @TempDir
    Path root;

    private final List<ChildProcess> children = new ArrayList<>();
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop()
    {
        children.forEach(ChildProcess::close);
        executor.shutdownNow();
    }

    @Test
    @Timeout(60)
    void shouldLeaveOnlyStaleTempFileAndTimeOutReadersWhenCreatorIsKilledDuringAllocation() throws Exception
    {
        final Path path = ChannelDescriptor.channelPath(root, CHANNEL_ID);
        final ChildProcess creator = start("creator", ChildMain.CREATE_ONE, root.toString(),
            String.valueOf(CHANNEL_ID), String.valueOf(LARGE_CAPACITY));
        creator.awaitLine("CREATING");
        final Future<ChannelException> waitingReader = executor.submit(() -> assertThrows(ChannelException.class,
            () -> ChannelReader.awaitOpen(new ChannelReader.Context().path(path), new SleepingMillisIdleStrategy(1),
            3 * AWAIT_MS).close()));

        final Path tempFile = awaitTempFileOfAtLeast(path.getParent(), KILL_AT_BYTES, creator);
        final long creatorStartTicks = ProcessIdentity.startTicks(creator.pid());
        creator.kill();

        assertFalse(Files.exists(path), "no channel appears at the path of a creation that did not finish");
        assertEquals(List.of(tempFile), list(path.getParent()));
        assertTrue(Files.size(tempFile) < ChannelDescriptor.fileLength(LARGE_CAPACITY), "killed mid-allocation");
        final String tempName = tempFile.getFileName().toString();
        final ProcessIdentity named = ChannelFiles.tempFileCreator(tempName);
        assertEquals(creator.pid(), named.pid, "the leftover names its creator: " + tempName);
        assertEquals(creatorStartTicks, named.startTicks, tempName);
        assertEquals(ProcessIdentity.CURRENT.namespaceId, named.namespaceId, tempName);

        final ChannelException waited = waitingReader.get(PROMPT_MS, TimeUnit.MILLISECONDS);
        assertEquals(ChannelException.Reason.TIMEOUT, waited.reason(), waited::getMessage);
        assertEquals(ChannelException.Reason.NOT_FOUND, ((ChannelException)waited.getCause()).reason());

        final long startNs = System.nanoTime();
        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.awaitOpen(
            new ChannelReader.Context().path(path), new SleepingMillisIdleStrategy(1), AWAIT_MS).close());
        final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertEquals(ChannelException.Reason.TIMEOUT, ex.reason());
        assertTrue(ex.getMessage().startsWith("channel not ready after " + AWAIT_MS + " ms: no channel file: " + path),
            ex.getMessage());
        assertTrue(waitedMs >= AWAIT_MS - CLOCK_SLACK_MS && waitedMs < PROMPT_MS, "waited " + waitedMs + " ms");

        // The leftover blocks nobody: a new writer creates the channel beside it, and deletes it first.
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root).channelId(CHANNEL_ID).capacity(64 * 1024)))
        {
            final long position = writer.write(3, payload(20, 3), 0, 20);
            try (ChannelReader reader = ChannelReader.open(path))
            {
                final ChannelTestSupport.RecordCollector collector = new ChannelTestSupport.RecordCollector(reader);
                assertEquals(1, reader.poll(collector, 10));
                assertEquals(position, collector.get(0).position());
            }
        }

        assertEquals(List.of(path), list(path.getParent()));
        assertEquals(List.of(), ChannelWriter.deleteStaleTempFiles(root));
    }

    @Test
    @Timeout(30)
    void shouldThrowNotReadyAndTimeOutWhenHeaderNeverBecomesReady() throws Exception
    {
        final Path path;
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root).channelId(CHANNEL_ID).capacity(4096)))
        {
            path = writer.path();
        }
        ChannelTestSupport.putInt(path, ChannelHeaderDecoder.formatVersionEncodingOffset(), 0);

        final ChannelException notReady = assertThrows(ChannelException.class, () -> ChannelReader.open(path));
        assertEquals(ChannelException.Reason.NOT_READY, notReady.reason());
        assertEquals("channel header not ready yet: formatVersion=0, file=" + path, notReady.getMessage());

        final long startNs = System.nanoTime();
        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.awaitOpen(
            new ChannelReader.Context().path(path), new SleepingMillisIdleStrategy(1), AWAIT_MS).close());
        final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertEquals(ChannelException.Reason.TIMEOUT, ex.reason());
        assertEquals(
            ChannelException.Reason.NOT_READY, assertInstanceOf(ChannelException.class, ex.getCause()).reason());
        assertTrue(ex.getMessage().contains("formatVersion=0"), ex.getMessage());
        assertTrue(waitedMs >= AWAIT_MS - CLOCK_SLACK_MS && waitedMs < PROMPT_MS, "waited " + waitedMs + " ms");
    }

    @Test
    @Timeout(30)
    void shouldDeleteOnlyTempFilesOfDeadCreatorsWhenCleaningUp() throws Exception
    {
        final Process exited = new ProcessBuilder("true").start();
        assertEquals(0, exited.waitFor());
        final ProcessIdentity self = ProcessIdentity.CURRENT;
        final ProcessIdentity dead = new ProcessIdentity(exited.pid(), 0, self.namespaceId);
        final ProcessIdentity reused = new ProcessIdentity(self.pid, self.startTicks + 1, self.namespaceId);
        final ProcessIdentity elsewhere = ProcessIdentities.OTHER_NAMESPACE;
        final Path channel = ChannelDescriptor.channelPath(root, CHANNEL_ID);
        Files.createDirectories(channel.getParent());

        final Path stale = Files.createFile(ChannelFiles.tempPath(channel, dead));
        final Path staleReusedPid = Files.createFile(ChannelFiles.tempPath(channel, reused));
        final Path inProgress = Files.createFile(ChannelFiles.tempPath(channel, self));
        // A creator in another pid namespace cannot be looked up: its file's last change is its heartbeat.
        final Path elsewhereInProgress = Files.createFile(ChannelFiles.tempPath(channel, elsewhere));
        final Path elsewhereStale = Files.createFile(ChannelFiles.tempPath(channel, elsewhere));
        Files.setLastModifiedTime(elsewhereStale,
            FileTime.fromMillis(System.currentTimeMillis() - 2 * ChannelFiles.STALE_TEMP_FILE_MS));
        final Path foreign = Files.createFile(channel.resolveSibling("notes.tmp"));
        final Path badPid = Files.createFile(channel.resolveSibling(channel.getFileName() + ".1.x1.2.3.tmp"));
        final Path channelFile = Files.createFile(channel);

        assertEquals(dead.pid, ChannelFiles.tempFileCreator(stale.getFileName().toString()).pid);
        assertEquals(elsewhere.namespaceId,
            ChannelFiles.tempFileCreator(elsewhereStale.getFileName().toString()).namespaceId);
        assertEquals(null, ChannelFiles.tempFileCreator(foreign.getFileName().toString()));
        assertEquals(null, ChannelFiles.tempFileCreator(badPid.getFileName().toString()));
        assertEquals(null, ChannelFiles.tempFileCreator(channelFile.getFileName().toString()));

        assertEquals(
            Set.of(stale, staleReusedPid, elsewhereStale), Set.copyOf(ChannelWriter.deleteStaleTempFiles(root)));
        assertEquals(Set.of(badPid, channelFile, inProgress, elsewhereInProgress, foreign),
            Set.copyOf(list(channel.getParent())));
        assertEquals(List.of(), ChannelWriter.deleteStaleTempFiles(root.resolve("missing")));
    }

    private static Path awaitTempFileOfAtLeast(final Path folder, final long bytes, final ChildProcess creator)
        throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadlineNs)
        {
            if (Files.isDirectory(folder))
            {
                for (final Path file : list(folder))
                {
                    if (file.getFileName().toString().endsWith(ChannelFiles.TEMP_SUFFIX) && Files.size(file) >= bytes)
                    {
                        return file;
                    }
                }
            }
            assertFalse(creator.transcript().contains("CREATED"), "created before it could be killed");
            Thread.sleep(1);
        }
        fail("no temp file of " + bytes + " bytes\n" + creator.transcript());
        return null;
    }

    private static List<Path> list(final Path folder) throws IOException
    {
        try (Stream<Path> files = Files.list(folder))
        {
            return files.sorted().toList();
        }
    }

    private ChildProcess start(final String name, final String... args)
    {
        final ChildProcess child = ChildProcess.start(name, args);
        children.add(child);
        return child;
    }
}
