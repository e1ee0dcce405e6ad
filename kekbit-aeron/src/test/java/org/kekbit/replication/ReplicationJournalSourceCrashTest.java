package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
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
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * A journal's source in a child JVM with its own media driver, killed with SIGKILL at random moments while the
 * writer goes on in this JVM and rolls every few hundred records, restarted each time: the sink notices the leader's
 * image is gone (a 2 s image liveness timeout here), says hello to the new source and resumes from its mirror's end,
 * across the rolls it missed. A {@link JournalReader} in this JVM tails the mirror the whole time and checks every
 * record's sequence number and bytes; at the end the segments are byte-identical and the chain digests agree.
 * <p>
 * Short by default (three kills); the long run is {@code -Dkekbit.replication.records=10000000
 * -Dkekbit.replication.kills=50} (see docs/replication.md); {@code kekbit.replication.seed} replays a run.
 */
@Timeout(90)
class ReplicationJournalSourceCrashTest
{
    private static final long RECORDS = Long.getLong("kekbit.replication.records", 6000);
    private static final int KILLS = Integer.getInteger("kekbit.replication.kills", 3);
    private static final long SEGMENT_CAPACITY = 128 * 1024;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private JournalWriter writer;
    private JournalReader mirrorReader;
    private int round;

    @Test
    void shouldResumeARollingJournalWhenTheSourceIsKilledAtRandomMomentsAndRestarted() throws Exception
    {
        final long seed = Long.getLong("kekbit.replication.seed", System.nanoTime());
        final Random random = new Random(seed);
        System.out.println(getClass().getSimpleName() + ": seed=" + seed + ", records=" + RECORDS + ", kills=" + KILLS);
        fx.launchDriver(fx.tmp.resolve("aeron-follower"), TimeUnit.SECONDS.toNanos(2));
        writer = fx.own(JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(fx.tmp.resolve("leader"))
            .segmentCapacity(SEGMENT_CAPACITY)));
        final String control = LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort();
        final Path mirrorDir = fx.tmp.resolve("mirror");
        fx.sink = new ReplicationSink(fx.sinkContext(control, mirrorDir)
            .forceIntervalNs(ReplicationSink.FORCE_EVERY_POLL));
        mirrorReader = fx.own(JournalReader.open(new JournalReader.Context().folder(mirrorDir)));

        final long perRound = RECORDS / (KILLS + 1);
        for (int kill = 0; kill < KILLS; kill++)
        {
            startSource(control);
            // A random moment: somewhere in the round's records, at a random point of a record and of a roll.
            final long target = fx.checker.nextSeq + perRound / 4 + (long)(random.nextDouble() * perRound / 2);
            writeUntil(() -> fx.checker.nextSeq >= target, Long.MAX_VALUE, true);
            fx.child.destroyForcibly(); // SIGKILL mid-stream
            assertTrue(fx.child.waitFor(10, TimeUnit.SECONDS));
            final long rollsBefore = writer.rolls();
            final long afterKill = fx.seq + perRound / 3;
            writeUntil(() -> fx.seq >= afterKill, perRound / 3, false); // the writer goes on alone, and rolls
            assertTrue(writer.rolls() > rollsBefore, "the leader rolled while no source ran");
            assertTrue(fx.checker.nextSeq < fx.seq, "nothing replicated while no source runs");
        }

        startSource(control);
        final long last = Math.max(RECORDS, fx.seq + perRound / 2);
        writeUntil(() -> fx.seq >= last, last - fx.seq, true); // catch up while the writer goes on
        writer.close();
        pump(() -> !fx.child.isAlive() && fx.sink.isEnded(), 60_000, "the source to see its end acknowledged",
            this::cycle);
        assertEquals(0, fx.child.exitValue(), () -> fx.childLog("source-" + round));

        pump(() -> fx.checker.nextSeq == fx.seq, 10_000, "every record on the mirror", this::cycle);
        assertTrue(fx.seq >= RECORDS, "seq=" + fx.seq);
        mirrorReader.poll(fx.checker, Integer.MAX_VALUE);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertTrue(writer.rolls() >= 2L * (KILLS + 1), "rolls=" + writer.rolls());
        ReplicationJournalLoopbackTest.assertJournalsIdentical(fx.tmp.resolve("leader"), mirrorDir);
    }

    private void writeUntil(final BooleanSupplier condition, final long maxRecords, final boolean isGated)
    {
        final long end = Long.MAX_VALUE == maxRecords ? Long.MAX_VALUE : fx.seq + maxRecords;
        try
        {
            // Gated: the writer stays at most 3000 records ahead of the mirror's reader.
            pump(condition, 40_000 + RECORDS / 100, "the mirror to move", () ->
            {
                if (fx.seq < end && (!isGated || fx.seq - fx.checker.nextSeq < 3000))
                {
                    for (int i = 0; i < 5 && fx.seq < end; i++)
                    {
                        ReplicationJournalLoopbackTest.write(writer, fx.scratch, fx.seq);
                        fx.seq++;
                    }
                }
                return 1 + cycle();
            });
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + ": seq=" + fx.seq + ", checked=" + fx.checker.nextSeq +
                ", sink failure=" + fx.sink.failure() + "\n" + fx.childLog("source-" + round), ex);
        }
    }

    private int cycle()
    {
        return fx.sink.doWork() + (writer.isClosed() ? 0 : writer.doWork()) + mirrorReader.poll(fx.checker, 1000);
    }

    private void startSource(final String control) throws IOException
    {
        round++;
        fx.startChild("source-" + round, SourceMain.class, fx.tmp.resolve("aeron-source-" + round).toString(),
            control, fx.tmp.resolve("leader").toString());
    }
}
