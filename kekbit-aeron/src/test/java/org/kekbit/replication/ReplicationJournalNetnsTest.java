package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A rolling journal replicated between two hosts on one machine (two network namespaces joined by a veth pair, made
 * and deleted by {@link TwoHostNamespaces}), leader and follower JVMs each with its own media driver. The follower's
 * driver drops a random 0-20 % of the data frames (Aeron's debug loss generator), and the link is cut with
 * {@code ip link set down} for a random 1-5 s several times while the leader writes and rolls. A
 * {@link JournalReader} in this JVM tails the mirror's segments the whole time and checks every record's sequence
 * number and bytes; at the end the segments are byte-identical and the chain digests agree.
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
    private static final long SEGMENT_CAPACITY = 128 * 1024;
    private static final Pattern NAKS = Pattern.compile("naks=(\\d+)");

    @TempDir
    Path tmp;

    private final TwoHostNamespaces hosts = new TwoHostNamespaces();

    @BeforeEach
    void before()
    {
        final String why = TwoHostNamespaces.whyNot();
        Assumptions.assumeTrue(null == why, () -> "two-host test skipped: " + why);
        hosts.create();
    }

    @AfterEach
    void after()
    {
        hosts.close();
    }

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
        final Path leaderDir = tmp.resolve("leader");
        final Path mirrorDir = tmp.resolve("mirror");
        final Process leader = hosts.startIn(hosts.leaderNs, tmp.resolve("leader.log"),
            JournalLeaderMain.class.getName(), tmp.resolve("aeron-leader").toString(), leaderDir.toString(), control,
            Long.toString(RECORDS), Long.toString(SEGMENT_CAPACITY), Integer.toString(BATCH));
        final Process follower = hosts.startIn(hosts.followerNs, tmp.resolve("follower.log"),
            SinkMain.class.getName(), tmp.resolve("aeron-follower").toString(), control, mirrorDir.toString(),
            TwoHostNamespaces.FOLLOWER_ADDRESS + ":0", Double.toString(lossRate), Long.toString(seed));

        final ReplicationTestSupport.RecordChecker checker =
            new ReplicationTestSupport.RecordChecker(ReplicationJournalLoopbackTest.LONG_RECORD_LENGTH);
        JournalReader mirrorReader = null;
        try
        {
            final long timeoutNs = TimeUnit.SECONDS.toNanos(100) + TimeUnit.MILLISECONDS.toNanos(RECORDS / 10);
            final long deadlineNs = System.nanoTime() + timeoutNs;
            int cuts = 0;
            while (follower.isAlive() || leader.isAlive())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("replication did not finish: checked=" + checker.nextSeq + ", " + run + "\n" + logs());
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

    private void cutFor(
        final long cutMs,
        final JournalReader mirrorReader,
        final ReplicationTestSupport.RecordChecker checker,
        final Process leader,
        final String run) throws InterruptedException
    {
        assertTrue(leader.isAlive(), "the cut happens while the leader still writes: " + run);
        hosts.cutLink();
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
            hosts.restoreLink();
        }
    }

    private String logs()
    {
        final StringBuilder text = new StringBuilder();
        for (final String name : List.of("leader", "follower"))
        {
            try
            {
                text.append("--- ").append(name).append(":\n").append(Files.readString(tmp.resolve(name + ".log")));
            }
            catch (final IOException ex)
            {
                text.append(ex).append('\n');
            }
        }
        return text.toString();
    }
}
