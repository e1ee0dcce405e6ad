package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * A journal's follower in a child JVM with its own media driver, killed with SIGKILL three times (or {@code kekbit.replication.followerKills}) while the leader
 * writes and rolls, restarted, and caught up; a {@link JournalReader} in this JVM tails the mirror's segments the
 * whole time and must never see a torn or out-of-order record; at the end the segments are byte-identical.
 */
@Timeout(120)
class ReplicationJournalFollowerCrashTest
{
    /**
     * Kills of the follower: 3 in CI; more with {@code -Dkekbit.replication.followerKills=N} (and JUnit's timeout
     * off: {@code -Djunit.jupiter.execution.timeout.mode=disabled}).
     */
    private static final int KILLS = Integer.getInteger("kekbit.replication.followerKills", 3);

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private JournalWriter writer;
    private JournalReader mirrorReader;
    private int lastSinkRound;

    @Test
    void shouldCatchUpAJournalWhenTheFollowerIsKilledWhileTheLeaderRollsAndRestarted() throws Exception
    {
        fx.launchDriver(fx.tmp.resolve("aeron-leader"), 0, 0);
        writer = fx.own(JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(fx.tmp.resolve("leader"))));
        fx.source = new ReplicationSource(fx.sourceContext(fx.tmp.resolve("leader"))
            .sessionTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        final Path mirrorDir = fx.tmp.resolve("mirror");
        mirrorReader = fx.own(JournalReader.open(new JournalReader.Context().folder(mirrorDir)));

        for (int round = 1; round <= KILLS; round++)
        {
            startSink("aeron-follower-" + round, mirrorDir, round);
            final long target = fx.checker.nextSeq + 1000;
            writeUntil(() -> fx.checker.nextSeq >= target, Integer.MAX_VALUE, true);
            fx.child.destroyForcibly(); // SIGKILL, mid-stream: the writer goes on, and rolls
            assertTrue(fx.child.waitFor(10, TimeUnit.SECONDS));
            final long rollsBefore = writer.rolls();
            final long afterKill = fx.seq + 500;
            writeUntil(() -> fx.seq >= afterKill, 500, false); // nobody follows: write ahead
            assertTrue(writer.rolls() > rollsBefore, "the leader rolled while the follower was dead");
        }

        startSink("aeron-follower-last", mirrorDir, KILLS + 1);
        final long last = fx.seq + 1000;
        writeUntil(() -> fx.checker.nextSeq >= last, 1000, true); // catch up while the writer goes on
        final long written = writer.position();
        writer.close();
        pump(() -> !fx.child.isAlive(), 30_000, "the follower to end", this::cycle);
        assertEquals(0, fx.child.exitValue(), () -> fx.childLog("sink-" + (KILLS + 1)));

        pump(() -> fx.checker.nextSeq == fx.seq, 10_000, "every record on the mirror", this::cycle);
        mirrorReader.poll(fx.checker, Integer.MAX_VALUE);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertTrue(written > 0);
        ReplicationJournalLoopbackTest.assertJournalsIdentical(fx.tmp.resolve("leader"), mirrorDir);
    }

    private void writeUntil(final BooleanSupplier condition, final int maxRecords, final boolean isGated)
    {
        final long end = fx.seq + maxRecords;
        try
        {
            // Gated: the writer stays at most 3000 records ahead of the mirror's reader.
            pump(condition, 30_000, "the mirror to move", () ->
            {
                if (fx.seq < end && (!isGated || fx.seq - fx.checker.nextSeq < 3000))
                {
                    for (int i = 0; i < 5 && fx.seq < end; i++)
                    {
                        ReplicationJournalLoopbackTest.write(writer, fx.scratch, fx.seq);
                        fx.seq++;
                    }
                }
                return cycle();
            });
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + ": seq=" + fx.seq + ", checked=" + fx.checker.nextSeq +
                ", followers=" + fx.source.followerCount() + ", error=" + fx.source.lastError() + "\n" +
                fx.childLog("sink-" + lastSinkRound), ex);
        }
    }

    private int cycle()
    {
        return fx.source.doWork() + (writer.isClosed() ? 0 : writer.doWork()) + mirrorReader.poll(fx.checker, 1000);
    }

    private void startSink(final String aeronDir, final Path mirrorDir, final int round) throws IOException
    {
        lastSinkRound = round;
        fx.startChild("sink-" + round, SinkMain.class, fx.tmp.resolve(aeronDir).toString(),
            fx.source.controlEndpoint(), mirrorDir.toString());
    }
}
