package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationTestSupport.pump;
import static org.kekbit.replication.ReplicationTestSupport.recordLength;
import static org.kekbit.replication.ReplicationTestSupport.write;

/**
 * The follower in a child JVM with its own media driver, killed with SIGKILL while the leader writes, restarted, and
 * caught up; a reader in this JVM tails the mirror the whole time and must never see a torn or out-of-order record.
 */
@Timeout(90)
class ReplicationFollowerCrashTest
{
    /**
     * Kills of the follower: 3 in CI; more with {@code -Dkekbit.replication.followerKills=N} (and JUnit's timeout
     * off: {@code -Djunit.jupiter.execution.timeout.mode=disabled}).
     */
    private static final int KILLS = Integer.getInteger("kekbit.replication.followerKills", 3);
    // 32 MiB holds about 38 rounds of records; a longer run gets a larger channel.
    private static final int CAPACITY = 32 * 1024 * 1024 * Integer.highestOneBit(Math.max(1, KILLS / 16));

    private static final long CHANNEL_ID = 0x42_0000_0002L;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private ChannelWriter writer;
    private ChannelReader mirrorReader;

    @Test
    void shouldCatchUpWhenTheFollowerIsKilledMidStreamAndRestarted() throws Exception
    {
        fx.launchDriver(fx.tmp.resolve("aeron-leader"), 0, 0);
        writer = fx.own(ChannelWriter.create(new ChannelWriter.Context()
            .root(fx.tmp.resolve("leader")).channelId(CHANNEL_ID).capacity(CAPACITY).maxRecordLength(64 * 1024)
            .preTouch(false)));
        fx.source = new ReplicationSource(fx.sourceContext(writer.path())
            .sessionTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        final Path mirrorDir = fx.tmp.resolve("mirror");
        final Path mirrorPath = ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID);

        for (int round = 1; round <= KILLS; round++)
        {
            startSink("aeron-follower-" + round, mirrorDir, round);
            final long target = fx.checker.nextSeq + 1500;
            writeUntil(() -> fx.checker.nextSeq >= target, mirrorPath, Integer.MAX_VALUE, true);
            fx.child.destroyForcibly(); // SIGKILL, mid-stream: the writer goes on
            assertTrue(fx.child.waitFor(10, TimeUnit.SECONDS));
            final long afterKill = fx.seq + 500;
            writeUntil(() -> fx.seq >= afterKill, mirrorPath, 500, false); // nobody follows: write ahead
        }

        startSink("aeron-follower-last", mirrorDir, KILLS + 1);
        final long last = fx.seq + 2000;
        writeUntil(() -> fx.checker.nextSeq >= last, mirrorPath, 2000, true); // catch up while the writer goes on
        final long written = writer.position();
        writer.close();
        pump(() -> !fx.child.isAlive(), 30_000, "the follower to end", this::cycle);
        assertEquals(0, fx.child.exitValue(), () -> fx.childLog("sink-" + (KILLS + 1)));

        pump(() -> fx.checker.nextSeq == fx.seq, 10_000, "every record on the mirror", this::cycle);
        mirrorReader.poll(fx.checker, Integer.MAX_VALUE);
        assertEquals(ChannelState.CLOSED, mirrorReader.state());
        final ChannelDigest.Result leader = ChannelDigest.digest(writer.path(), -1);
        final ChannelDigest.Result mirror = ChannelDigest.digest(mirrorPath, -1);
        assertEquals(written, leader.position());
        assertEquals(leader.position(), mirror.position());
        assertEquals(leader.digest(), mirror.digest());
    }

    private void writeUntil(
        final java.util.function.BooleanSupplier condition,
        final Path mirrorPath,
        final int maxRecords,
        final boolean isGated)
    {
        final long end = fx.seq + maxRecords;
        final String what = "the mirror to move: followers=" + fx.source.followerCount() + ", sent=" +
            fx.source.sentPosition() + ", received=" + fx.source.receivedPosition() + ", error=" +
            fx.source.lastError();
        try
        {
            pumpWriting(condition, mirrorPath, end, what, isGated);
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + ": " + diagnostics(), ex);
        }
    }

    private void pumpWriting(
        final java.util.function.BooleanSupplier condition,
        final Path mirrorPath,
        final long end,
        final String what,
        final boolean isGated)
    {
        // Gated: the writer stays at most 3000 records ahead of the mirror's reader, so a stalled follower fails
        // the test by its timeout rather than by filling the channel.
        pump(condition, 30_000, what, () ->
        {
            if (fx.seq < end && (!isGated || fx.seq - fx.checker.nextSeq < 3000))
            {
                for (int i = 0; i < 5 && fx.seq < end; i++)
                {
                    write(writer, fx.scratch, fx.seq, recordLength(fx.seq, LONG_RECORD_LENGTH));
                    fx.seq++;
                }
            }
            if (null == mirrorReader && Files.exists(mirrorPath))
            {
                mirrorReader = fx.own(ChannelReader.open(mirrorPath));
            }
            return cycle();
        });
    }

    private String diagnostics()
    {
        final StringBuilder text = new StringBuilder();
        text.append("seq=").append(fx.seq).append(", checked=").append(fx.checker.nextSeq)
            .append(", followers=").append(fx.source.followerCount()).append(", sent=").append(fx.source.sentPosition())
            .append(", received=").append(fx.source.receivedPosition())
            .append(", error=").append(fx.source.lastError());
        for (int round = Math.max(1, KILLS - 2); round <= KILLS + 1; round++)
        {
            text.append("\n").append(fx.childLog("sink-" + round));
        }
        return text.toString();
    }

    private int cycle()
    {
        int work = fx.source.doWork() + writer.doWork();
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(fx.checker, 1000);
        }
        return work;
    }

    private void startSink(final String aeronDir, final Path mirrorDir, final int round) throws IOException
    {
        fx.startChild("sink-" + round, SinkMain.class, fx.tmp.resolve(aeronDir).toString(),
            fx.source.controlEndpoint(), mirrorDir.toString());
    }
}
