package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.CloseHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two hosts on one machine: a leader JVM and a follower JVM, each with its own media driver, in two network
 * namespaces joined by a veth pair that this test creates and deletes. Their addresses exist only inside those
 * namespaces. While the leader writes, the link is cut with {@code ip link set down} for two seconds and restored;
 * the mirror catches up, its reader (in this JVM, over the shared file system) never sees a torn or out-of-order
 * record, and the digests agree. Skips, saying why, where namespaces cannot be made (not root, no iproute2).
 */
@Timeout(120)
class ReplicationNetnsTest
{
    private static final long RECORDS = 20_000;

    @RegisterExtension
    final ReplicationFixture fx = ReplicationFixture.twoHosts();

    @Test
    void shouldMirrorAcrossTwoHostsThroughALinkCut() throws Exception
    {
        final String control = TwoHostNamespaces.LEADER_ADDRESS + ":40123";
        final Path mirrorDir = fx.tmp.resolve("mirror");
        final Path mirrorPath = ChannelDescriptor.channelPath(mirrorDir, LeaderMain.CHANNEL_ID);
        final Process leader = startIn(fx.hosts.leaderNs, "leader", LeaderMain.class.getName(),
            fx.tmp.resolve("aeron-leader").toString(), fx.tmp.resolve("leader").toString(), control,
            Long.toString(RECORDS));
        final Process follower = startIn(fx.hosts.followerNs, "follower", SinkMain.class.getName(),
            fx.tmp.resolve("aeron-follower").toString(), control, mirrorDir.toString(),
            TwoHostNamespaces.FOLLOWER_ADDRESS + ":0");

        final ReplicationTestSupport.RecordChecker checker =
            new ReplicationTestSupport.RecordChecker(LeaderMain.LONG_RECORD_LENGTH);
        ChannelReader mirrorReader = null;
        try
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            boolean isCut = false;
            while (follower.isAlive() || leader.isAlive())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("replication did not finish: checked=" + checker.nextSeq + "\n" + logs());
                }
                if (null == mirrorReader && Files.exists(mirrorPath))
                {
                    mirrorReader = ChannelReader.open(mirrorPath);
                }
                if (null != mirrorReader)
                {
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                }
                if (!isCut && checker.nextSeq > RECORDS / 4)
                {
                    isCut = true;
                    fx.hosts.cutLink();
                    Thread.sleep(2000);
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                    final long duringCut = checker.nextSeq;
                    Thread.sleep(200);
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                    assertEquals(duringCut, checker.nextSeq, "nothing arrives while the link is down");
                    fx.hosts.restoreLink();
                    assertTrue(leader.isAlive(), "the cut happened while the leader still wrote");
                }
                LockSupport.parkNanos(1_000_000);
            }
            assertEquals(0, leader.exitValue(), this::logs);
            assertEquals(0, follower.exitValue(), this::logs);
            assertTrue(isCut, "the link was cut");

            mirrorReader.poll(checker, Integer.MAX_VALUE);
            assertEquals(RECORDS, checker.nextSeq);
            assertEquals(ChannelState.CLOSED, mirrorReader.state());
            final ChannelDigest.Result leaderDigest = ChannelDigest.digest(
                ChannelDescriptor.channelPath(fx.tmp.resolve("leader"), LeaderMain.CHANNEL_ID), -1);
            final ChannelDigest.Result mirrorDigest = ChannelDigest.digest(mirrorPath, -1);
            assertEquals(leaderDigest.position(), mirrorDigest.position());
            assertEquals(leaderDigest.digest(), mirrorDigest.digest());
        }
        finally
        {
            CloseHelper.close(mirrorReader);
        }
    }

    private Process startIn(final String ns, final String name, final String mainClass, final String... args)
        throws IOException
    {
        return fx.hosts.startIn(ns, fx.tmp.resolve(name + ".log"), mainClass, args);
    }

    private String logs()
    {
        final StringBuilder text = new StringBuilder();
        for (final String name : List.of("leader", "follower"))
        {
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
