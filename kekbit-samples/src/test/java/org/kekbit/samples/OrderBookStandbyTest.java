package org.kekbit.samples;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSource;
import org.kekbit.samples.orderbook.OrderBook;
import org.kekbit.samples.orderbook.ReportRecovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The order book's hot standby on loopback, leader and standby in JVMs of their own: the leader is killed with
 * {@code kill -9} at a random moment while it takes orders, the standby takes over. Its recovered book equals its
 * book at the end of the mirror and a fresh replay of the mirror from zero; the mirror is a byte-identical prefix of
 * the leader's journal; after the takeover it takes new orders, and a fresh replay of its journal builds the book it
 * printed last. Its reports journal (the leader's, mirrored, cut back to the mirrored commands, the gap rebuilt, then
 * its own) holds exactly the reports of that replay, each execId once, and most of them came from the mirror. {@code -Dkekbit.standbyKillSeed=S} replays a run; {@code -Dkekbit.standbyRuns=N} runs N rounds. Each
 * round prints the standby's takeover line, with the takeover's pause ({@code takeover-ms}) and the journal it
 * replayed after its newest snapshot ({@code replayed}): {@code -Dkekbit.standbySnapshotInterval=SIZE} (the standby's,
 * 512k), {@code -Dkekbit.standbySegment=SIZE} (256k) and {@code -Dkekbit.standbyLeaderRate=ORDERS_PER_S} (20000) size
 * it for a measurement; {@code -Dkekbit.standbyHeap=SIZE} (256m) is each service JVM's heap (a 256 MiB snapshot
 * interval needs more).
 */
class OrderBookStandbyTest
{
    static final String LOOPBACK = "127.0.0.1";
    private static final long CONDITION_WAIT_MS = 120_000;
    private static final long SNAPSHOT_INTERVAL = ImageRecoveryTime.parseSize(
        "kekbit.standbySnapshotInterval", System.getProperty("kekbit.standbySnapshotInterval", "512k"));
    private static final String SEGMENT = System.getProperty("kekbit.standbySegment", "256k");
    private static final String LEADER_RATE = System.getProperty("kekbit.standbyLeaderRate", "20000");

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void shouldTakeOverWithMirrorPrefixAndRecoveredBookAfterLeaderKilledAtRandomMoment() throws Exception
    {
        final long seed = Long.getLong("kekbit.standbyKillSeed", System.nanoTime());
        final int runs = Integer.getInteger("kekbit.standbyRuns", 1);
        final Random random = new Random(seed);
        for (int run = 0; run < runs; run++)
        {
            final Path root = dir.resolve("run-" + run);
            takeOverOnce(root, random, "seed=" + seed + " run=" + run);
            deleteFolder(root); // a measuring run's journals are hundreds of MB each: one run's at a time
        }
    }

    /**
     * The trap: the two mirrors are replicated apart, so at the leader's death the reports mirror can hold reports of
     * commands the command mirror never received. Forced here: the standby's command sink is paused (a test hook of
     * the sample) while the reports sink runs on, then the leader is killed. The takeover must cut those reports (the
     * new leader numbers its own from its book's lastExecId on) and the output must still be each execId once.
     */
    @Test
    @Timeout(300)
    void shouldCutReportsOfCommandsNeverMirroredWhenReportsMirrorIsAheadAtLeaderDeath() throws Exception
    {
        final Path root = dir.resolve("ahead");
        final Path leaderDir = root.resolve("leader");
        final Path standbyDir = root.resolve("standby");
        final Path leaderReports = leaderDir.resolve(OrderBookService.REPORTS_FOLDER);
        final Path reportsMirror = standbyDir.resolve(OrderBookService.REPORTS_FOLDER);
        final Path pauseFile = root.resolve("pause-commands");
        final String endpoint = LOOPBACK + ":" + freeUdpPort();
        final Child leader = Child.start(List.of(), "--dir", leaderDir.toString(), "--serve", endpoint,
            "--orders", "50000000", "--rate", "20000", "--snapshot-interval", "512k", "--segment", "256k",
            "--aeron-dir", root.resolve("aeron").toString());
        Child standby = null;
        try
        {
            standby = Child.start(List.of("-D" + OrderBookReplication.PAUSE_COMMANDS_FILE_PROPERTY + "=" + pauseFile),
                "--dir", standbyDir.toString(), "--standby-of", endpoint, "--orders", "3000",
                "--snapshot-interval", "512k", "--takeover-after-ms", "1000",
                "--aeron-dir", root.resolve("aeron").toString());
            standby.awaitLine("standby following=");
            awaitAtLeast(standby, () -> newestCompleteSnapshot(standbyDir), 1, "the standby took no snapshot");
            Files.createFile(pauseFile);
            // The command mirror stops within a millisecond; the reports mirror goes on well past its commands'.
            final long reportsTarget = journalEnd(leaderReports) + 256 * 1024;
            awaitAtLeast(standby, () -> journalEnd(reportsMirror), reportsTarget, "the reports mirror did not grow");
            final String[] lines = killLeaderAndAwaitTakeover(leader, standby);
            final String takeover = lines[0];
            final String last = lines[1];

            final long mirrored = field(takeover, "mirrored");
            final long mirroredReports = replay(ImageDescriptor.journalFolder(standbyDir), mirrored, new OrderBook())
                .lastExecId();
            final long reports = assertReportsAreReplay(standbyDir, field(last, "position"), "ahead");
            final long cut = field(takeover, "reports-cut");
            assertTrue(cut > 0, "the reports mirror was ahead: some reports must go: " + takeover);
            assertEquals(0, field(takeover, "reports-rebuilt"), "it held every report of the mirrored commands");
            assertTrue(ReportRecovery.lastWrittenExecId(leaderReports) >= mirroredReports + cut,
                "the reports cut are reports the leader wrote after the mirrored commands' " + mirroredReports);
            System.out.println("OrderBookStandbyTest ahead: " + mirroredReports + " reports of the mirrored " +
                "commands, " + cut + " cut from the reports mirror, " + reports + " after the new orders; " + takeover);
        }
        finally
        {
            leader.kill();
            if (null != standby)
            {
                standby.kill();
            }
        }
    }

    private void takeOverOnce(final Path root, final Random random, final String what) throws Exception
    {
        final Path leaderDir = root.resolve("leader");
        final Path standbyDir = root.resolve("standby");
        final String endpoint = LOOPBACK + ":" + freeUdpPort();
        final Child leader = Child.start(List.of(), "--dir", leaderDir.toString(), "--serve", endpoint,
            "--orders", "50000000",
            "--rate", LEADER_RATE, "--snapshot-interval", "512k", "--segment", SEGMENT,
            "--aeron-dir", root.resolve("aeron").toString());
        Child standby = null;
        try
        {
            standby = Child.start(List.of(), "--dir", standbyDir.toString(), "--standby-of", endpoint,
                "--orders", "3000",
                "--snapshot-interval", Long.toString(SNAPSHOT_INTERVAL), "--takeover-after-ms", "1000",
                "--aeron-dir", root.resolve("aeron").toString());
            standby.awaitLine("standby following=");
            // The kill lands at a random moment: once the standby took a snapshot and its mirror grew by a random
            // part of an interval past it (a file state, not a delay: a JVM slow to start under load cannot move it
            // before either), so the journal a takeover replays after the standby's newest snapshot is uniform in
            // [0, interval).
            final Path mirror = ImageDescriptor.journalFolder(standbyDir);
            awaitAtLeast(standby, () -> newestCompleteSnapshot(standbyDir), 1, what + ": the standby took no snapshot");
            final long target = newestCompleteSnapshot(standbyDir) + (long)(random.nextDouble() * SNAPSHOT_INTERVAL);
            awaitAtLeast(standby, () -> journalEnd(mirror), target, what + ": the mirror did not grow");
            // The reports mirror moves about 3.5 times the commands' bytes, so after a start it catches up later:
            // the kill waits until it holds what the leader's reports held then.
            final Path reportsMirror = standbyDir.resolve(OrderBookService.REPORTS_FOLDER);
            final long reportsTarget = journalEnd(leaderDir.resolve(OrderBookService.REPORTS_FOLDER));
            awaitAtLeast(standby, () -> journalEnd(reportsMirror), reportsTarget,
                what + ": the reports mirror did not catch up");
            final long reportsEndAtKill = journalEnd(reportsMirror);
            final String[] lines = killLeaderAndAwaitTakeover(leader, standby);
            final String takeover = lines[0];
            final String last = lines[1];

            final long mirrored = field(takeover, "mirrored");
            final long recovered = field(takeover, "position");
            final long snapshot = field(takeover, "snapshot");
            // One place, maybe two names: the standby may have stopped at the last record of a segment whose roll
            // the mirror had not finished, which the launch's resume completes, writing on at the next base.
            final Path standbyJournal = ImageDescriptor.journalFolder(standbyDir);
            assertEquals(recovered, ImageFolder.nextBaseWhenRolledAt(standbyJournal, mirrored),
                what + ": the launch resumed at the mirror's end: " + takeover);
            assertEquals(hexField(takeover, "standby-digest"), hexField(takeover, "state-digest"),
                what + ": the standby's book at the mirror's end is the book recovered at takeover: " + takeover);
            assertTrue(snapshot > 0 && snapshot <= mirrored,
                what + ": recovered from a snapshot the standby took: " + takeover);

            // The recovered book is a fresh replay of the mirror from zero.
            assertEquals(hexField(takeover, "state-digest"), replayDigest(standbyJournal, mirrored),
                what + ": recovered book differs from a fresh replay of the mirror");

            // The mirror is a byte-identical prefix of what the leader journaled.
            final Path leaderJournal = ImageDescriptor.journalFolder(leaderDir);
            final long leaderEnd = journalEnd(leaderJournal);
            assertTrue(leaderEnd >= mirrored, what + ": the mirror is ahead of the leader: " + mirrored + " > " +
                leaderEnd);
            final JournalDigest leaderDigest = JournalDigest.digest(leaderJournal, -1, mirrored);
            final JournalDigest mirrorDigest = JournalDigest.digest(standbyJournal, -1, mirrored);
            assertEquals(mirrored, mirrorDigest.position());
            assertEquals(leaderDigest.digest(), mirrorDigest.digest(), what + ": mirror differs from the leader's " +
                "journal up to " + mirrored);

            // After the takeover the new leader took new orders, journaled after the mirror.
            final long position = field(last, "position");
            assertTrue(position > mirrored, what + ": no order after the takeover: " + last);
            assertEquals(hexField(last, "state-digest"), replayDigest(standbyJournal, position),
                what + ": the new leader's book differs from a fresh replay of its journal");
            for (final SnapshotFile file : ImageFolder.snapshots(standbyDir))
            {
                assertEquals(SnapshotFile.Status.COMPLETE, file.status(), file.toString());
            }

            final String reports = assertTakeoverReports(standbyDir, mirrored, position, reportsEndAtKill, takeover,
                what);
            System.out.println("OrderBookStandbyTest " + what + ": leader journaled " + leaderEnd + ", standby had " +
                mirrored + " (lost on failover: " + (leaderEnd - mirrored) + " bytes), recovered from snapshot " +
                snapshot + ", journal " + position + " after the new orders, " + reports + "; " + takeover);
        }
        finally
        {
            leader.kill();
            if (null != standby)
            {
                standby.kill();
            }
        }
    }

    static String replayDigest(final Path journal, final long to)
    {
        return String.format("%016x", replay(journal, to, new OrderBook()).stateDigest());
    }

    /**
     * The reports journal of an image folder holds, record for record and byte for byte, the reports a fresh replay of
     * its command journal up to a position emits: every execId from 1 on, in order, once; none twice, none missing,
     * none of another history.
     *
     * @return the replay's lastExecId, the number of reports.
     */
    static long assertReportsAreReplay(final Path imageDir, final long to, final String what)
    {
        final OrderBook book = new OrderBook();
        final long[] count = {0};
        try (JournalReader reports = JournalReader.open(new JournalReader.Context()
            .folder(imageDir.resolve(OrderBookService.REPORTS_FOLDER))))
        {
            book.reportSink((buffer, offset, length) ->
            {
                final long execId = ++count[0];
                final byte[] expected = new byte[length];
                buffer.getBytes(offset, expected);
                final int polled = reports.poll((msgTypeId, actualBuffer, actualOffset, actualLength) ->
                {
                    final byte[] actual = new byte[actualLength];
                    actualBuffer.getBytes(actualOffset, actual);
                    assertArrayEquals(expected, actual, what + ": report " + execId + " is not a fresh replay's");
                }, 1);
                assertEquals(1, polled, what + ": the reports journal ends before execId " + execId);
            });
            replay(ImageDescriptor.journalFolder(imageDir), to, book);
            assertEquals(0, reports.poll((msgTypeId, buffer, offset, length) -> {}, 1),
                what + ": the reports journal holds more than the " + count[0] + " reports of its commands");
        }
        assertEquals(count[0], book.lastExecId());
        return book.lastExecId();
    }

    /**
     * The new leader's outputs: the reports mirror cut back to the mirrored commands, the gap rebuilt, then its own;
     * exactly the reports of its journal, each once. Only the gap is rebuilt: at most the reports of the mirrored
     * commands that the reports mirror did not hold when the leader died (it only gained since), where a takeover
     * without the reports mirror rebuilt them all.
     *
     * @return what the reports journal holds, for the run's line.
     */
    private static String assertTakeoverReports(
        final Path standbyDir,
        final long mirrored,
        final long position,
        final long reportsEndAtKill,
        final String takeover,
        final String what)
    {
        final long reports = assertReportsAreReplay(standbyDir, position, what);
        final long mirroredReports = replay(ImageDescriptor.journalFolder(standbyDir), mirrored, new OrderBook())
            .lastExecId();
        final long reportsAtKill = recordsUpTo(standbyDir.resolve(OrderBookService.REPORTS_FOLDER), reportsEndAtKill);
        final long rebuilt = field(takeover, "reports-rebuilt");
        assertTrue(rebuilt <= Math.max(0, mirroredReports - reportsAtKill), what + ": rebuilt " + rebuilt +
            " of the " + mirroredReports + " reports of the mirrored commands, the reports mirror held " +
            reportsAtKill + " at the kill: " + takeover);
        return reports + " reports (" + mirroredReports + " of the mirrored commands, " + reportsAtKill +
            " in the reports mirror at the kill, " + field(takeover, "reports-cut") + " cut, " + rebuilt + " rebuilt)";
    }

    /**
     * Records of a journal that end at or before a position.
     */
    static long recordsUpTo(final Path journal, final long to)
    {
        final long[] count = {0};
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journal)))
        {
            while (reader.poll((msgTypeId, buffer, offset, length) ->
            {
                if (reader.position() <= to)
                {
                    count[0]++;
                }
            }, 4096) > 0)
            {
                // to the end
            }
        }
        return count[0];
    }

    static OrderBook replay(final Path journal, final long to, final OrderBook book)
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journal)))
        {
            while (reader.position() < to)
            {
                if (0 == reader.poll((msgTypeId, buffer, offset, length) ->
                {
                    if (reader.position() <= to) // a position at a segment's base is not a record's end
                    {
                        book.apply(reader.position(), msgTypeId, buffer, offset, length);
                    }
                }, 1))
                {
                    throw new AssertionError("journal ends before " + to + ": " + reader.position() + ", state=" +
                        reader.state());
                }
            }
        }
        return book;
    }

    /**
     * Wait, with a generous bound for a loaded machine, until a value of a child's files reaches a target.
     */
    static void awaitAtLeast(final Child child, final LongSupplier value, final long target, final String what)
        throws InterruptedException, IOException
    {
        final long deadlineMs = System.currentTimeMillis() + CONDITION_WAIT_MS;
        long last;
        while ((last = value.getAsLong()) < target)
        {
            if (!child.process.isAlive())
            {
                throw new AssertionError(what + ": the child ended:\n" + child.rest());
            }
            assertTrue(System.currentTimeMillis() < deadlineMs, what + ": " + last + " < " + target);
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /**
     * Position of an image's newest complete snapshot.
     *
     * @return the position, or -1 when there is none.
     */
    static long newestCompleteSnapshot(final Path imageFolder)
    {
        long newest = -1;
        for (final SnapshotFile file : ImageFolder.snapshots(imageFolder))
        {
            if (SnapshotFile.Status.COMPLETE == file.status())
            {
                newest = Math.max(newest, file.position());
            }
        }
        return newest;
    }

    /**
     * End of what a journal committed, 0 while it has no segment (its writer has not started).
     */
    static long journalEnd(final Path journal)
    {
        if (!JournalSource.isJournal(journal))
        {
            return 0;
        }
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journal)))
        {
            return reader.seekToEnd();
        }
    }

    private static void deleteFolder(final Path folder) throws IOException
    {
        try (Stream<Path> files = Files.walk(folder))
        {
            for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(file);
            }
        }
    }

    static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getByName(LOOPBACK)))
        {
            return socket.getLocalPort();
        }
    }

    static long field(final String line, final String name)
    {
        return Long.parseLong(hexField(line, name));
    }

    static String hexField(final String line, final String name)
    {
        for (final String part : line.split(" "))
        {
            if (part.startsWith(name + "="))
            {
                return part.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + " in " + line);
    }

    /**
     * An {@link OrderBookService} in a JVM of its own, its output read line by line.
     */
    /**
     * Kill the leader and wait for the standby's takeover line and its state line after the new orders, and for it
     * to end cleanly.
     *
     * @return the takeover line and the state line.
     */
    private static String[] killLeaderAndAwaitTakeover(final Child leader, final Child standby) throws Exception
    {
        leader.kill();
        final String takeover = standby.awaitLine("takeover ");
        final String last = standby.awaitLine("state-digest=");
        assertTrue(standby.process.waitFor(60, TimeUnit.SECONDS), "standby did not end");
        assertEquals(0, standby.process.exitValue(), standby.transcript.toString());
        return new String[] {takeover, last};
    }

    static final class Child
    {
        final Process process;
        final StringBuilder transcript = new StringBuilder();
        private final BufferedReader output;

        private Child(final Process process)
        {
            this.process = process;
            this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(final String... args) throws IOException
        {
            return start(List.of(), args);
        }

        static Child start(final List<String> jvmArgs, final String... args) throws IOException
        {
            final String classPath = System.getProperty("surefire.test.class.path",
                System.getProperty("java.class.path"));
            assertTrue(classPath.contains(File.pathSeparator) || classPath.endsWith(".jar"), classPath);
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Xmx" + System.getProperty("kekbit.standbyHeap", "256m")));
            command.addAll(jvmArgs);
            command.addAll(List.of("-cp", classPath, OrderBookService.class.getName()));
            command.addAll(List.of(args));
            return new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        String awaitLine(final String prefix) throws IOException
        {
            String line;
            while (null != (line = output.readLine()))
            {
                transcript.append(line).append('\n');
                if (line.startsWith(prefix))
                {
                    return line;
                }
                assertFalse(line.startsWith("kekbit:"), "child failed:\n" + transcript);
            }
            throw new AssertionError("child ended before a line starting with " + prefix + ":\n" + transcript);
        }

        /**
         * The transcript and the rest of the output of a child that ended.
         */
        String rest() throws IOException
        {
            String line;
            while (null != (line = output.readLine()))
            {
                transcript.append(line).append('\n');
            }
            return transcript.toString();
        }

        void kill() throws InterruptedException
        {
            process.destroyForcibly(); // SIGKILL
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
