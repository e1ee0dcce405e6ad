package org.kekbit.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill -9 of a system image in a child JVM at random moments (mid-command, mid-snapshot, mid-roll: the shadow writes
 * a snapshot of a ~640 KB state every 48 KiB of journal and segments roll every 32 KiB, so most moments are inside
 * one), restarted each time: the digest the child recovers equals a fresh replay of the journal from zero, every
 * time, and no snapshot a kill cut short is ever loaded. The journal keeps 4 sealed segments beyond what the oldest
 * kept snapshot and the test's replica need, so the folder stays bounded however many kills run (without retention
 * a long run kept every segment and replayed all of them at each kill: gigabytes and quadratic time).
 * Each restart's replay is bounded whatever the kill rate: a launch that replays more than the recovery snapshot
 * threshold writes a snapshot before it serves, so a restart replays at most that threshold plus what the previous
 * child journaled after its own recovery (without it, the children of a 1,000-kill run replayed ever more, since they
 * were killed before their shadows caught up).
 * {@code -Dkekbit.imageKills=N} runs N kills (default 4: the CI variant, well under a minute) with a progress line
 * every {@code kekbit.imageKillsProgress} kills (100); {@code -Dkekbit.imageKills=1000} is the long run.
 */
class ImageCrashTest
{
    @TempDir
    Path folder;

    private long lastProgressNs;
    private int lastProgressKill;

    @Test
    @Timeout(3600)
    void shouldRecoverDigestOfFreshReplayAfterEveryKill() throws Exception
    {
        final int kills = Integer.getInteger("kekbit.imageKills", 4);
        final Random random = new Random(Long.getLong("kekbit.imageKillSeed", 12));
        final SystemImage.Context ctx = ImageChildMain.context(folder).conclude();
        final Path journalFolder = ImageDescriptor.journalFolder(folder);
        long lastPosition = 0;
        int recoveredFromSnapshot = 0;
        int partialsSeen = 0;
        int recoverySnapshots = 0;
        long maxReplayed = 0;
        long windowMaxReplayed = 0;
        final long threshold = ctx.recoverySnapshotThresholdBytes();
        final int progressEvery = Integer.getInteger("kekbit.imageKillsProgress", 100);
        final long startNs = System.nanoTime();
        lastProgressNs = startNs;
        // The replay from zero, kept across kills: a named reader fed this replica every record once, in order, and
        // protects from retention what it has not read yet, so the child's retention (behind the oldest kept snapshot
        // and this reader) keeps the journal bounded while the replica still starts at position 0.
        final LedgerStateMachine replica = new LedgerStateMachine();
        try (JournalReader replay = JournalReader.open(new JournalReader.Context()
            .folder(journalFolder).name("crash-test-replay").protectRetention(true)))
        {
            for (int kill = 0; kill <= kills; kill++)
            {
                if (kill > 0 && 0 == kill % progressEvery)
                {
                    progress(kill, kills, startNs, lastPosition, recoverySnapshots, windowMaxReplayed);
                    windowMaxReplayed = 0;
                }
                final Child child = Child.start(folder.toString());
                try
                {
                    final String ready = child.awaitLine("READY");
                    final long position = field(ready, "position");
                    final long digest = field(ready, "digest");
                    final long snapshot = field(ready, "snapshot");
                    final long replayed = field(ready, "replayed");
                    final long recoverySnapshot = field(ready, "recoverySnapshot");
                    // The newest snapshot is at least where the last child's replay ended, or within the threshold
                    // of it: a restart replays what that child journaled after its recovery, plus the threshold.
                    assertTrue(replayed <= position - lastPosition + threshold, "kill " + kill + ": replayed " +
                        replayed + " bytes, more than the " + (position - lastPosition) + " journaled since the last " +
                        "recovery plus the threshold " + threshold);
                    assertEquals(replayed > threshold ? position : -1, recoverySnapshot,
                        "a recovery snapshot after, and only after, a replay above the threshold");
                    recoverySnapshots += recoverySnapshot >= 0 ? 1 : 0;
                    maxReplayed = Math.max(maxReplayed, replayed);
                    windowMaxReplayed = Math.max(windowMaxReplayed, replayed);
                    assertTrue(position >= lastPosition, "recovery lost commands: " + position + " < " + lastPosition);
                    replayTo(replay, replica, position);
                    assertEquals(replica.stateDigest(), digest, "kill " + kill + ": recovered from snapshot " +
                        snapshot + " to " + position + " differs from a fresh replay from zero");
                    recoveredFromSnapshot += snapshot > 0 ? 1 : 0;
                    partialsSeen += checkSnapshotFiles(ctx);
                    lastPosition = position;
                    // The kill lands at a random moment, the last one's too, so that it journals after its recovery.
                    TimeUnit.MILLISECONDS.sleep(200 + random.nextInt(600));
                }
                finally
                {
                    child.kill();
                }
            }

            // One more recovery in this JVM after the last kill, against the replica fed everything journaled.
            try (SystemImage image = SystemImage.launch(ctx))
            {
                replayTo(replay, replica, image.position());
                assertEquals(replica.stateDigest(), image.stateMachine().stateDigest());
                // Not lost: what the last child journaled after its recovery (on a loaded machine it may be nothing).
                assertTrue(image.position() >= lastPosition, "recovery lost what the last child recovered to");
                assertTrue(image.position() - Math.max(0, image.recoveredSnapshotPosition()) <=
                    image.position() - lastPosition + threshold, "the last recovery's replay is bounded");
            }
        }
        final long oldestBase = oldestSegmentBase(journalFolder);
        assertTrue(oldestBase > 0, "retention deleted the journal the replica and the snapshots no longer need");
        assertTrue(recoveredFromSnapshot >= kills / 2, "most restarts recovered from a snapshot: " +
            recoveredFromSnapshot + " of " + kills);
        System.out.println("ImageCrashTest: kills=" + kills + ", recovered from a snapshot " + recoveredFromSnapshot +
            " times, partial snapshots left by kills seen " + partialsSeen + " times, recovery snapshots " +
            recoverySnapshots + ", longest replay " + maxReplayed + " bytes, journal from " + oldestBase +
            " to " + lastPosition + "+, " + String.format("%.1f", (System.nanoTime() - startNs) / 1e9) + " s");
    }

    @Test
    @Timeout(120)
    void shouldIgnorePartialRecoverySnapshotOfLaunchKilledWhileWritingIt() throws Exception
    {
        // A journal well past the recovery threshold and no snapshot, written by a child that never snapshots.
        final SystemImage.Context ctx = ImageChildMain.context(folder).conclude();
        final LedgerStateMachine replica = new LedgerStateMachine();
        // The replica's named reader protects the journal from the children's retention until it has read it.
        try (JournalReader replay = JournalReader.open(new JournalReader.Context()
            .folder(ImageDescriptor.journalFolder(folder)).name("crash-test-replay").protectRetention(true)))
        {
            final Child filler = Child.start(folder.toString(), ImageChildMain.FILL);
            final long end = field(filler.awaitLine("FILLED"), "position");
            assertTrue(filler.awaitExit() != 0, "the filler halted");
            assertTrue(end > 3 * ctx.recoverySnapshotThresholdBytes());
            replayTo(replay, replica, end);

            // Dies inside the recovery snapshot, as a kill -9 would: before its END marker, never linked.
            final Child halted = Child.start(folder.toString(), ImageChildMain.HALT_IN_SNAPSHOT);
            assertEquals(end, field(halted.awaitLine("HALT"), "snapshot"));
            assertTrue(halted.awaitExit() != 0, "the child halted");
            final List<SnapshotFile> left = ImageFolder.snapshots(folder);
            assertEquals(1, left.size(), left.toString());
            assertEquals(SnapshotFile.Status.INCOMPLETE, left.get(0).status());
            assertEquals(end, left.get(0).position());

            // The next launch ignores the partial, replays from zero again, and this time writes the recovery
            // snapshot.
            final Child child = Child.start(folder.toString());
            try
            {
                final String ready = child.awaitLine("READY");
                assertEquals(end, field(ready, "position"));
                assertEquals(-1, field(ready, "snapshot"));
                assertEquals(end, field(ready, "recoverySnapshot"));
                assertEquals(replica.stateDigest(), field(ready, "digest"));
            }
            finally
            {
                child.kill();
            }

            // And the launch after that starts from it (or a newer one the killed child's shadow wrote).
            try (SystemImage image = SystemImage.launch(ctx))
            {
                assertTrue(image.recoveredSnapshotPosition() >= end, "recovered from " +
                    image.recoveredSnapshotPosition());
                replayTo(replay, replica, image.position());
                assertEquals(replica.stateDigest(), image.stateMachine().stateDigest());
            }
            boolean isPartialKept = false;
            for (final SnapshotFile file : ImageFolder.snapshots(folder))
            {
                assertTrue(SnapshotFile.Status.DAMAGED != file.status(), file.toString());
                isPartialKept |= SnapshotFile.Status.INCOMPLETE == file.status() && end == file.position();
            }
            assertTrue(isPartialKept || ImageFolder.snapshots(folder).get(0).position() > end,
                "the partial is kept for inspection until a newer snapshot passes it");
        }
    }

    /**
     * No damaged snapshot, and no leak: the kept ones (and one the shadow may have linked since, not pruned yet), and
     * nothing older than the oldest kept; partials a run of kills left after it go once a snapshot passes them. The
     * listing is not atomic against the live child's shadow pruning at the same time (a kept snapshot it deleted
     * just before it was verified, a partial it had not deleted yet: seen as a partial older than the oldest kept, at
     * kill 370 of a long run), so a listing that breaks the rule is taken again, for up to 2 s: a leak stays.
     *
     * @return the partial snapshots seen.
     */
    private int checkSnapshotFiles(final SystemImage.Context ctx) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true)
        {
            int partialsSeen = 0;
            int complete = 0;
            long oldestComplete = Long.MAX_VALUE;
            long oldestFile = Long.MAX_VALUE;
            final List<SnapshotFile> files = ImageFolder.snapshots(folder);
            for (final SnapshotFile file : files)
            {
                assertTrue(SnapshotFile.Status.DAMAGED != file.status(), "a kill damaged " + file);
                partialsSeen += SnapshotFile.Status.INCOMPLETE == file.status() ? 1 : 0;
                if (SnapshotFile.Status.COMPLETE == file.status())
                {
                    complete++;
                    oldestComplete = Math.min(oldestComplete, file.position());
                }
                oldestFile = Math.min(oldestFile, file.position());
            }
            final boolean isBounded = complete <= ctx.snapshotsKept() + 1;
            final boolean isPruned = 0 == complete || oldestFile >= oldestComplete;
            if ((isBounded && isPruned) || System.nanoTime() - deadlineNs > 0)
            {
                assertTrue(isBounded, "complete snapshots accumulate: " + complete + ", " + files);
                assertTrue(isPruned, "a file older than the oldest kept snapshot " + oldestComplete +
                    " was not pruned: " + oldestFile + ", " + files);
                return partialsSeen;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /**
     * Feed the replica the records from the reader's position up to a position, then commit it (which lets the
     * journal's retention go past them).
     */
    private static void replayTo(final JournalReader reader, final LedgerStateMachine replica, final long to)
    {
        final boolean[] isPast = {false};
        final RecordHandler handler = (msgTypeId, buffer, offset, length) ->
        {
            if (reader.position() <= to)
            {
                replica.apply(reader.position(), msgTypeId, buffer, offset, length);
            }
            else
            {
                isPast[0] = true; // the position was a segment's base, the record after it is the child's next one
            }
        };
        int emptyPolls = 0;
        while (reader.position() < to)
        {
            // One at a time: the child journals on past the position. A poll that crosses a ROLLED marker moves the
            // position to the next segment's base and may deliver nothing: only polls that move nothing count.
            final long before = reader.position();
            if (0 == reader.poll(handler, 1) && reader.position() == before && ++emptyPolls > 3)
            {
                throw new AssertionError("journal ends before " + to + ": position=" + reader.position() +
                    ", state=" + reader.state() + ", " + reader.corruption());
            }
        }
        if (isPast[0])
        {
            reader.seek(to);
        }
        assertEquals(to, reader.position(), "a record ends at " + to);
        reader.commit();
    }

    private static long oldestSegmentBase(final Path journalFolder)
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journalFolder)))
        {
            return reader.seekToStart();
        }
    }

    /**
     * One line per {@code kekbit.imageKillsProgress} kills, so a long run shows it is moving and what it keeps on disk.
     */
    private void progress(
        final int kill,
        final int kills,
        final long startNs,
        final long position,
        final int recoverySnapshots,
        final long maxReplayed) throws IOException
    {
        long journalBytes = 0;
        int journalFiles = 0;
        long otherBytes = 0;
        int otherFiles = 0;
        try (Stream<Path> files = Files.walk(folder))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (Files.isRegularFile(file))
                {
                    final long size = Files.size(file);
                    if (file.startsWith(ImageDescriptor.journalFolder(folder)))
                    {
                        journalBytes += size;
                        journalFiles++;
                    }
                    else
                    {
                        otherBytes += size;
                        otherFiles++;
                    }
                }
            }
        }
        final long nowNs = System.nanoTime();
        final double seconds = (nowNs - startNs) / 1e9;
        final double windowSecondsPerKill = (nowNs - lastProgressNs) / 1e9 / (kill - lastProgressKill);
        lastProgressNs = nowNs;
        lastProgressKill = kill;
        System.out.printf("ImageCrashTest progress: kill %d of %d, %.1f s (%.2f s a kill, %.2f s a kill since the " +
            "last line), position=%d, journal %d files %d bytes, snapshots and other %d files %d bytes, recovery " +
            "snapshots %d, longest replay since the last line %d bytes%n", kill, kills, seconds, seconds / kill,
            windowSecondsPerKill, position, journalFiles, journalBytes, otherFiles, otherBytes, recoverySnapshots,
            maxReplayed);
        System.out.flush();
    }

    private static long field(final String line, final String name)
    {
        for (final String part : line.split(" "))
        {
            if (part.startsWith(name + "="))
            {
                return Long.parseLong(part.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no " + name + " in " + line);
    }

    /**
     * A child JVM running {@link ImageChildMain}, its output read line by line.
     */
    static final class Child
    {
        private final Process process;
        private final BufferedReader output;

        private Child(final Process process)
        {
            this.process = process;
            this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(final String... args) throws IOException
        {
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                ImageChildMain.class.getName()));
            command.addAll(List.of(args));
            return new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        String awaitLine(final String prefix) throws IOException
        {
            final StringBuilder transcript = new StringBuilder();
            String line;
            while (null != (line = output.readLine()))
            {
                if (line.startsWith("ERROR"))
                {
                    transcript.append(line).append('\n');
                    while (null != (line = output.readLine()))
                    {
                        transcript.append(line).append('\n');
                    }
                    throw new AssertionError("child failed:\n" + transcript);
                }
                if (line.startsWith(prefix))
                {
                    return line;
                }
                transcript.append(line).append('\n');
            }
            throw new AssertionError("child ended before a line starting with " + prefix + ":\n" + transcript);
        }

        int awaitExit() throws InterruptedException
        {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child did not exit");
            return process.exitValue();
        }

        void kill() throws InterruptedException
        {
            process.destroyForcibly(); // SIGKILL
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
