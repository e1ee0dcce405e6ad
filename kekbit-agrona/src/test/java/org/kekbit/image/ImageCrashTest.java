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
 * {@code -Dkekbit.imageKills=N} runs N kills (default 4: the CI variant, well under a minute) with a progress line
 * every {@code kekbit.imageKillsProgress} kills (100); {@code -Dkekbit.imageKills=1000} is the long run.
 */
class ImageCrashTest
{
    @TempDir
    Path folder;

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
        final int progressEvery = Integer.getInteger("kekbit.imageKillsProgress", 100);
        final long startNs = System.nanoTime();
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
                    progress(kill, kills, startNs, lastPosition);
                }
                final Child child = Child.start(folder.toString());
                try
                {
                    final String ready = child.awaitLine("READY");
                    final long position = field(ready, "position");
                    final long digest = field(ready, "digest");
                    final long snapshot = field(ready, "snapshot");
                    assertTrue(position >= lastPosition, "recovery lost commands: " + position + " < " + lastPosition);
                    replayTo(replay, replica, position);
                    assertEquals(replica.stateDigest(), digest, "kill " + kill + ": recovered from snapshot " +
                        snapshot + " to " + position + " differs from a fresh replay from zero");
                    recoveredFromSnapshot += snapshot > 0 ? 1 : 0;
                    int complete = 0;
                    long oldestComplete = Long.MAX_VALUE;
                    long oldestFile = Long.MAX_VALUE;
                    for (final SnapshotFile file : ImageFolder.snapshots(folder))
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
                    // No leak: the kept ones (and one the shadow may have linked since, not pruned yet), and nothing
                    // older than the oldest kept; partials a run of kills left after it go once a snapshot passes them.
                    assertTrue(complete <= ctx.snapshotsKept() + 1, "complete snapshots accumulate: " + complete);
                    assertTrue(0 == complete || oldestFile >= oldestComplete, "a file older than the oldest kept " +
                        "snapshot " + oldestComplete + " was not pruned: " + oldestFile);
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
            }
        }
        final long oldestBase = oldestSegmentBase(journalFolder);
        assertTrue(oldestBase > 0, "retention deleted the journal the replica and the snapshots no longer need");
        assertTrue(recoveredFromSnapshot >= kills / 2, "most restarts recovered from a snapshot: " +
            recoveredFromSnapshot + " of " + kills);
        System.out.println("ImageCrashTest: kills=" + kills + ", recovered from a snapshot " + recoveredFromSnapshot +
            " times, partial snapshots left by kills seen " + partialsSeen + " times, journal from " + oldestBase +
            " to " + lastPosition + "+, " + String.format("%.1f", (System.nanoTime() - startNs) / 1e9) + " s");
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
    private void progress(final int kill, final int kills, final long startNs, final long position) throws IOException
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
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        System.out.printf("ImageCrashTest progress: kill %d of %d, %.1f s (%.2f s a kill), position=%d, " +
            "journal %d files %d bytes, snapshots and other %d files %d bytes%n", kill, kills, seconds, seconds / kill,
            position, journalFiles, journalBytes, otherFiles, otherBytes);
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

        void kill() throws InterruptedException
        {
            process.destroyForcibly(); // SIGKILL
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
