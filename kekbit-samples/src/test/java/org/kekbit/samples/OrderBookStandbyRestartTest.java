package org.kekbit.samples;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.samples.OrderBookStandbyTest.Child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.OrderBookStandbyTest.awaitAtLeast;
import static org.kekbit.samples.OrderBookStandbyTest.field;
import static org.kekbit.samples.OrderBookStandbyTest.hexField;
import static org.kekbit.samples.OrderBookStandbyTest.journalEnd;
import static org.kekbit.samples.OrderBookStandbyTest.newestCompleteSnapshot;
import static org.kekbit.samples.OrderBookStandbyTest.replayDigest;

/**
 * The order book's hot standby killed with {@code kill -9} at random moments and restarted on the same folder, while
 * the leader (a JVM of its own, on loopback) takes orders: each restart resumes the mirror at or after the end the
 * killed one had committed, recovers the book from the standby's own newest complete snapshot (a fresh replay of the
 * mirror from zero builds the same book), and the mirror stays a byte-identical prefix of the leader's journal. At
 * the end the leader is killed and the restarted standby takes over: the book it had at the mirror's end, the book
 * the launch recovered and a fresh replay of the mirror from zero are the same. Each kill waits for the mirror to grow
 * by a random amount (a file state, not a delay, so a slow JVM start under load cannot move it). The mirror of the
 * leader's reports journal resumes and stays a prefix of the leader's the same way, and after the takeover the new
 * leader's reports are exactly those of a fresh replay of its journal, each execId once.
 * {@code -Dkekbit.standbyKills=N} kills the standby N times (default 2), {@code -Dkekbit.standbyKillSeed=S} replays a
 * run.
 */
class OrderBookStandbyRestartTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(600)
    void shouldResumeMirrorAndBookAfterStandbyKilledAtRandomMomentsThenTakeOver() throws Exception
    {
        final int kills = Integer.getInteger("kekbit.standbyKills", 2);
        final long seed = Long.getLong("kekbit.standbyKillSeed", System.nanoTime());
        final Random random = new Random(seed);
        final Path leaderDir = dir.resolve("leader");
        final Path standbyDir = dir.resolve("standby");
        final Path leaderJournal = ImageDescriptor.journalFolder(leaderDir);
        final Path mirror = ImageDescriptor.journalFolder(standbyDir);
        final Path leaderReports = leaderDir.resolve(OrderBookService.REPORTS_FOLDER);
        final Path reportsMirror = standbyDir.resolve(OrderBookService.REPORTS_FOLDER);
        final String endpoint = OrderBookStandbyTest.LOOPBACK + ":" + OrderBookStandbyTest.freeUdpPort();
        final Child leader = Child.start("--dir", leaderDir.toString(), "--serve", endpoint, "--orders", "50000000",
            "--rate", "20000", "--snapshot-interval", "256k", "--segment", "256k",
            "--aeron-dir", dir.resolve("aeron-leader").toString());
        Child standby = null;
        try
        {
            long endBeforeKill = 0;
            long reportsEndBeforeKill = 0;
            long restartsFromSnapshot = 0;
            for (int start = 0; start <= kills; start++)
            {
                final String what = "seed=" + seed + " start=" + start;
                final long newestBefore = newestCompleteSnapshot(standbyDir);
                standby = Child.start("--dir", standbyDir.toString(), "--standby-of", endpoint, "--orders", "2000",
                    "--snapshot-interval", "256k", "--takeover-after-ms", "1000",
                    "--aeron-dir", dir.resolve("aeron-standby-" + start).toString());
                final String following = standby.awaitLine("standby following=");

                // The restart resumed the mirror where the killed standby left it, and the book from its newest
                // complete snapshot: the book of a fresh replay of the mirror up to there.
                final long resumed = field(following, "resumed");
                final long snapshot = field(following, "snapshot");
                assertTrue(resumed >= endBeforeKill, what + ": the mirror went back: " + following + " < " +
                    endBeforeKill);
                assertTrue(resumed <= journalEnd(mirror), what + ": " + following);
                final long reportsResumed = field(following, "reports-resumed");
                assertTrue(reportsResumed >= reportsEndBeforeKill && reportsResumed <= journalEnd(reportsMirror),
                    what + ": the reports mirror went back: " + following + " < " + reportsEndBeforeKill);
                assertEquals(newestBefore, snapshot, what + ": not the newest complete snapshot: " + following);
                assertEquals(Math.max(0, snapshot), field(following, "applied"), what + ": " + following);
                assertEquals(replayDigest(mirror, Math.max(0, snapshot)), hexField(following, "standby-digest"),
                    what + ": the recovered book differs from a fresh replay of the mirror: " + following);
                if (snapshot > 0)
                {
                    restartsFromSnapshot++;
                }

                // The kill lands at a random moment, once the mirror grew by a random amount past the resumed end
                // (and, every other time, past a snapshot taken by this process): the sink and the book mid-work.
                final long target = resumed + 64 * 1024 + random.nextInt(512 * 1024);
                awaitAtLeast(standby, () -> journalEnd(mirror), target, what + ": the mirror did not grow");
                if (0 == (start & 1) || start == kills)
                {
                    awaitAtLeast(standby, () -> newestCompleteSnapshot(standbyDir), Math.max(1, snapshot + 1),
                        what + ": the standby took no snapshot");
                }
                TimeUnit.MILLISECONDS.sleep(random.nextInt(200));
                if (start == kills)
                {
                    break;
                }
                standby.kill();
                // Compare at record ends: where the mirror has a segment's last record but not yet its seal (a roll
                // cut short by the kill), a digest to the next base would also cover the leader's seal.
                endBeforeKill = lastRecordEnd(mirror, journalEnd(mirror));
                assertMirrorIsPrefix(leaderJournal, mirror, endBeforeKill, what);
                if (journalEnd(reportsMirror) > 0) // its sink may not have heard the leader yet
                {
                    reportsEndBeforeKill = lastRecordEnd(reportsMirror, journalEnd(reportsMirror));
                    assertMirrorIsPrefix(leaderReports, reportsMirror, reportsEndBeforeKill, what + " reports");
                }
            }

            leader.kill();
            final String takeover = assertTakeover(standby, standbyDir, leaderJournal, "seed=" + seed + " takeover");
            System.out.println("OrderBookStandbyRestartTest seed=" + seed + ": " + kills + " standby kills, " +
                restartsFromSnapshot + " restarts from a snapshot; " + takeover);
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

    /**
     * The leader was killed: the standby takes over with the book it had at the mirror's end, the new leader's journal
     * resumes there, and its reports are exactly those of its journal.
     *
     * @return the takeover line.
     */
    private static String assertTakeover(
        final Child standby, final Path standbyDir, final Path leaderJournal, final String what) throws Exception
    {
        final Path mirror = ImageDescriptor.journalFolder(standbyDir);
        final String takeover = standby.awaitLine("takeover ");
        final String last = standby.awaitLine("state-digest=");
        assertTrue(standby.process.waitFor(60, TimeUnit.SECONDS), "standby did not end");
        assertEquals(0, standby.process.exitValue(), standby.transcript.toString());

        final long mirrored = field(takeover, "mirrored");
        // One place, maybe two names: a rolled segment's last record end and the next base (system-images.md).
        assertEquals(field(takeover, "position"), ImageFolder.nextBaseWhenRolledAt(mirror, mirrored),
            what + ": the launch resumed at the mirror's end: " + takeover);
        assertEquals(hexField(takeover, "standby-digest"), hexField(takeover, "state-digest"),
            what + ": the standby's book at the mirror's end is the book recovered at takeover: " + takeover);
        assertEquals(replayDigest(mirror, mirrored), hexField(takeover, "state-digest"),
            what + ": the recovered book differs from a fresh replay of the mirror from zero: " + takeover);
        assertTrue(field(takeover, "snapshot") > 0, what + ": recovered from no snapshot: " + takeover);
        assertMirrorIsPrefix(leaderJournal, mirror, mirrored, what);
        final long position = field(last, "position");
        assertTrue(position > mirrored, what + ": no order after the takeover: " + last);
        assertEquals(replayDigest(mirror, position), hexField(last, "state-digest"),
            what + ": the new leader's book differs from a fresh replay of its journal");
        for (final SnapshotFile file : ImageFolder.snapshots(standbyDir))
        {
            assertTrue(SnapshotFile.Status.DAMAGED != file.status(), file.toString());
        }
        OrderBookStandbyTest.assertReportsAreReplay(standbyDir, position, what);
        return takeover;
    }

    /**
     * The mirror is the leader's journal, byte for byte, up to its last record at or before a position: a record end,
     * never a segment's base, since a digest to a base covers the seal of the segment before it, which the mirror may
     * not have yet (or, after a takeover, wrote itself when its resume completed the roll).
     */
    private static void assertMirrorIsPrefix(
        final Path leaderJournal, final Path mirror, final long end, final String what)
    {
        final long to = lastRecordEnd(mirror, end);
        final JournalDigest mirrorDigest = JournalDigest.digest(mirror, -1, to);
        assertEquals(to, mirrorDigest.position(), what);
        assertEquals(JournalDigest.digest(leaderJournal, -1, to).digest(), mirrorDigest.digest(),
            what + ": the mirror differs from the leader's journal up to " + to);
    }

    private static long lastRecordEnd(final Path journal, final long end)
    {
        final long[] last = {0};
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journal)))
        {
            while (reader.position() < end && reader.poll((msgTypeId, buffer, offset, length) ->
            {
                if (reader.position() <= end)
                {
                    last[0] = reader.position();
                }
            }, 1) > 0)
            {
                // up to the end
            }
        }
        return last[0];
    }
}
