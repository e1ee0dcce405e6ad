package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A rolling journal replicated between two hosts on one machine (two network namespaces joined by a veth pair, made
 * and deleted by {@link TwoHostNamespaces}), leader and follower JVMs each with its own media driver. The follower's
 * driver drops a random 0-20 % of the data frames (Aeron's debug loss generator), and the link is cut with
 * {@code ip link set down} for a random 1-5 s several times while the leader writes and rolls. A
 * {@link JournalReader} in this JVM tails the mirror's segments the whole time and checks every record's sequence
 * number and bytes; at the end the segments are byte-identical and the chain digests agree. A second test kills the
 * source (SIGKILL, in the leader's namespace) at random moments while the writer rolls, and restarts it, under the
 * same loss.
 * <p>
 * Short by default; the long run is {@code -Dkekbit.replication.records=10000000 -Dkekbit.replication.batch=100
 * -Dkekbit.replication.cuts=20} (see docs/replication.md). {@code kekbit.replication.lossRate} and
 * {@code kekbit.replication.seed} replay a run.
 */
@Timeout(120)
class ReplicationJournalNetnsTest
{
    private static final long RECORDS = Long.getLong("kekbit.replication.records", 40_000);
    private static final int BATCH = Integer.getInteger("kekbit.replication.batch", 10);
    private static final int CUTS = Integer.getInteger("kekbit.replication.cuts", 2);
    private static final int KILLS = Integer.getInteger("kekbit.replication.kills", 2);
    private static final long SEGMENT_CAPACITY = 128 * 1024;
    private static final long STALL_MS = 60_000;
    private static final Pattern NAKS = Pattern.compile("naks=(\\d+)");

    @RegisterExtension
    final ReplicationFixture fx = ReplicationFixture.twoHosts();

    private Supplier<String> mirrorState = () -> "not open";

    @Test
    void shouldMirrorARollingJournalAcrossTwoHostsThroughLossAndLinkCuts() throws Exception
    {
        final long seed = Long.getLong("kekbit.replication.seed", System.nanoTime());
        final Random random = new Random(seed);
        final double lossRate = Double.parseDouble(
            System.getProperty("kekbit.replication.lossRate", Double.toString(0.2 * random.nextDouble())));
        final String run = "seed=" + seed + ", lossRate=" + lossRate + ", records=" + RECORDS + ", cuts=" + CUTS;
        System.out.println(getClass().getSimpleName() + ": " + run);

        final String control = TwoHostNamespaces.LEADER_ADDRESS + ":40124";
        final Path leaderDir = fx.tmp.resolve("leader");
        final Path mirrorDir = fx.tmp.resolve("mirror");
        final Process leader = fx.hosts.startIn(fx.hosts.leaderNs, fx.tmp.resolve("leader.log"),
            JournalLeaderMain.class.getName(), fx.tmp.resolve("aeron-leader").toString(), leaderDir.toString(), control,
            Long.toString(RECORDS), Long.toString(SEGMENT_CAPACITY), Integer.toString(BATCH));
        final Process follower = fx.hosts.startIn(fx.hosts.followerNs, fx.tmp.resolve("follower.log"),
            SinkMain.class.getName(), fx.tmp.resolve("aeron-follower").toString(), control, mirrorDir.toString(),
            TwoHostNamespaces.FOLLOWER_ADDRESS + ":0", Double.toString(lossRate), Long.toString(seed));

        final ReplicationTestSupport.RecordChecker checker =
            new ReplicationTestSupport.RecordChecker(ReplicationTestSupport.LONG_RECORD_LENGTH);
        JournalReader mirrorReader = null;
        try
        {
            // A guard on progress, not on the whole run: the long run's mirror catches up at a few MB/s under loss
            // for many minutes after the leader has written everything (it failed a fixed budget while moving).
            long checkedBefore = -1;
            long movedAtNs = System.nanoTime();
            int cuts = 0;
            while (follower.isAlive() || leader.isAlive())
            {
                if (checker.nextSeq != checkedBefore)
                {
                    checkedBefore = checker.nextSeq;
                    movedAtNs = System.nanoTime();
                }
                else if (System.nanoTime() - movedAtNs > TimeUnit.MILLISECONDS.toNanos(STALL_MS))
                {
                    fx.hosts.dumpThreads();
                    fail("replication stalled: the mirror's reader has not moved for " + STALL_MS + " ms, checked=" +
                        checker.nextSeq + ", " + run + "\n" + logs());
                }
                if (null == mirrorReader && Files.isDirectory(mirrorDir) &&
                    !ReplicationJournalLoopbackTest.segments(mirrorDir).isEmpty())
                {
                    mirrorReader = JournalReader.open(new JournalReader.Context().folder(mirrorDir));
                }
                if (null != mirrorReader)
                {
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                }
                if (cuts < CUTS && checker.nextSeq > RECORDS * (cuts + 1) / (CUTS + 2))
                {
                    cuts++;
                    cutFor(1000 + random.nextInt(4001), mirrorReader, checker, leader, run);
                }
                LockSupport.parkNanos(1_000_000);
            }
            assertEquals(0, leader.exitValue(), this::logs);
            assertEquals(0, follower.exitValue(), this::logs);
            assertEquals(CUTS, cuts, "the link was cut");

            mirrorReader.poll(checker, Integer.MAX_VALUE);
            assertEquals(RECORDS, checker.nextSeq, run);
            assertEquals(JournalState.CLOSED, mirrorReader.state());
            final String log = logs();
            assertTrue(log.contains("rolls "), log);
            final Matcher naks = NAKS.matcher(log);
            assertTrue(naks.find(), log);
            if (lossRate > 0.01)
            {
                assertTrue(Long.parseLong(naks.group(1)) > 0, "frames were lost and repaired: " + run);
            }
            ReplicationJournalLoopbackTest.assertJournalsIdentical(leaderDir, mirrorDir);
        }
        finally
        {
            CloseHelper.close(mirrorReader);
        }
    }

    @Test
    void shouldResumeARollingJournalAcrossTwoHostsWhenTheSourceIsKilledAtRandomMoments() throws Exception
    {
        final long seed = Long.getLong("kekbit.replication.seed", System.nanoTime());
        final Random random = new Random(seed);
        final double lossRate = Double.parseDouble(
            System.getProperty("kekbit.replication.lossRate", Double.toString(0.2 * random.nextDouble())));
        final long records = Long.getLong("kekbit.replication.records", 12_000);
        final String run = "seed=" + seed + ", lossRate=" + lossRate + ", records=" + records + ", kills=" + KILLS;
        System.out.println(getClass().getSimpleName() + " (source kills): " + run);

        final String control = TwoHostNamespaces.LEADER_ADDRESS + ":40125";
        final Path leaderDir = fx.tmp.resolve("leader");
        final Path mirrorDir = fx.tmp.resolve("mirror");
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[ReplicationTestSupport.LONG_RECORD_LENGTH]);
        final ReplicationTestSupport.RecordChecker checker =
            new ReplicationTestSupport.RecordChecker(ReplicationTestSupport.LONG_RECORD_LENGTH);
        final long[] seq = new long[1];
        // The writer in this JVM (it needs no network), the source killed and restarted in the leader's namespace,
        // the sink in the follower's, its driver dropping data frames and giving up a silent image after 2 s.
        try (JournalWriter writer = JournalWriter.create(
            ReplicationJournalLoopbackTest.journalContext(leaderDir).segmentCapacity(SEGMENT_CAPACITY));
            JournalReader mirrorReader = JournalReader.open(new JournalReader.Context().folder(mirrorDir)))
        {
            final Process follower = fx.hosts.startIn(fx.hosts.followerNs, fx.tmp.resolve("follower.log"),
                SinkMain.class.getName(), fx.tmp.resolve("aeron-follower").toString(), control, mirrorDir.toString(),
                TwoHostNamespaces.FOLLOWER_ADDRESS + ":0", Double.toString(lossRate), Long.toString(seed), "2000");
            final ReplicationTestSupport.Pumped cycle = () ->
                (writer.isClosed() ? 0 : writer.doWork()) + mirrorReader.poll(checker, 1000);
            mirrorState = () -> "position=" + mirrorReader.position() + " state=" + mirrorReader.state() +
                ", leader writer position=" + writer.position();
            final long perRound = records / (KILLS + 1);
            Process source = null;
            for (int kill = 0; kill <= KILLS; kill++)
            {
                source = fx.hosts.startIn(fx.hosts.leaderNs, fx.tmp.resolve("source-" + kill + ".log"),
                    SourceMain.class.getName(), fx.tmp.resolve("aeron-source-" + kill).toString(), control,
                    leaderDir.toString());
                if (kill == KILLS)
                {
                    break;
                }
                final long target = checker.nextSeq + perRound / 4 + (long)(random.nextDouble() * perRound / 2);
                writeGated(writer, scratch, seq, checker, () -> checker.nextSeq >= target, cycle, run);
                source.destroyForcibly(); // SIGKILL of the source, mid-stream, at a random moment
                assertTrue(source.waitFor(10, TimeUnit.SECONDS));
                final long rollsBefore = writer.rolls();
                final long afterKill = seq[0] + perRound / 3;
                pump(() ->
                {
                    if (seq[0] < afterKill)
                    {
                        ReplicationJournalLoopbackTest.write(writer, scratch, seq[0]++);
                    }
                    return seq[0] >= afterKill;
                }, 30_000, "the writer to go on alone", cycle);
                assertTrue(writer.rolls() > rollsBefore, "the leader rolled while no source ran");
            }
            final long last = Math.max(records, seq[0] + perRound / 2);
            writeGated(writer, scratch, seq, checker, () -> seq[0] >= last, cycle, run);
            writer.close();
            final Process lastSource = source;
            pump(() -> !follower.isAlive() && !lastSource.isAlive(), 60_000 + records / 10,
                "the follower and the last source to end", cycle);
            assertEquals(0, lastSource.exitValue(), () -> run + "\n" + logs());
            assertEquals(0, follower.exitValue(), () -> run + "\n" + logs());

            mirrorReader.poll(checker, Integer.MAX_VALUE);
            assertEquals(seq[0], checker.nextSeq, run);
            assertEquals(JournalState.CLOSED, mirrorReader.state());
            ReplicationJournalLoopbackTest.assertJournalsIdentical(leaderDir, mirrorDir);
        }
    }

    /**
     * Write while the condition does not hold, at most 3000 records ahead of the mirror's reader; fail when the
     * mirror's reader has not moved for {@link #STALL_MS}. The guard is on progress, not on the whole phase: the last
     * phase moves most of the records (4.4M of the long run's 10M), so a fixed budget failed a run that was moving.
     */
    private void writeGated(
        final JournalWriter writer,
        final UnsafeBuffer scratch,
        final long[] seq,
        final ReplicationTestSupport.RecordChecker checker,
        final BooleanSupplier condition,
        final ReplicationTestSupport.Pumped cycle,
        final String run)
    {
        try
        {
            final long[] progress = { checker.nextSeq, System.nanoTime() };
            pump(() ->
            {
                if (seq[0] - checker.nextSeq < 3000)
                {
                    ReplicationJournalLoopbackTest.write(writer, scratch, seq[0]++);
                }
                final long nowNs = System.nanoTime();
                if (checker.nextSeq != progress[0])
                {
                    progress[0] = checker.nextSeq;
                    progress[1] = nowNs;
                }
                else if (nowNs - progress[1] > TimeUnit.MILLISECONDS.toNanos(STALL_MS))
                {
                    fail("the mirror did not move for " + STALL_MS + " ms");
                }
                return condition.getAsBoolean();
            }, TimeUnit.DAYS.toMillis(1), "the mirror to move", cycle);
        }
        catch (final AssertionError ex)
        {
            fx.hosts.dumpThreads();
            throw new AssertionError(ex.getMessage() + ": seq=" + seq[0] + ", checked=" + checker.nextSeq + ", " +
                run + ", mirror reader: " + mirrorState.get() + "\n" + logs(), ex);
        }
    }

    private static void pump(
        final BooleanSupplier step, final long timeoutMs, final String what, final ReplicationTestSupport.Pumped cycle)
    {
        final boolean[] isDone = new boolean[1];
        ReplicationTestSupport.pump(() -> isDone[0], timeoutMs, what, () ->
        {
            isDone[0] = step.getAsBoolean();
            return 1 + cycle.doWork();
        });
    }

    private void cutFor(
        final long cutMs,
        final JournalReader mirrorReader,
        final ReplicationTestSupport.RecordChecker checker,
        final Process leader,
        final String run) throws InterruptedException
    {
        assertTrue(leader.isAlive(), "the cut happens while the leader still writes: " + run);
        fx.hosts.cutLink();
        try
        {
            // Let what was in flight land, then nothing may arrive until the link is back.
            Thread.sleep(500);
            mirrorReader.poll(checker, Integer.MAX_VALUE);
            final long duringCut = checker.nextSeq;
            Thread.sleep(cutMs - 500);
            mirrorReader.poll(checker, Integer.MAX_VALUE);
            assertEquals(duringCut, checker.nextSeq, "nothing arrives while the link is down: " + run);
        }
        finally
        {
            fx.hosts.restoreLink();
        }
    }

    private String logs()
    {
        final StringBuilder text = new StringBuilder();
        final List<String> names = new ArrayList<>(List.of("leader", "follower"));
        for (int kill = Math.max(0, KILLS - 3); kill <= KILLS; kill++)
        {
            names.add("source-" + kill); // the last sources: the first ones only say they served
        }
        for (final String name : names)
        {
            if (!Files.exists(fx.tmp.resolve(name + ".log")))
            {
                continue;
            }
            try
            {
                text.append("--- ").append(name).append(":\n").append(Files.readString(fx.tmp.resolve(name + ".log")));
            }
            catch (final IOException ex)
            {
                text.append(ex).append('\n');
            }
        }
        return text.toString();
    }
}
