package org.kekbit.replication;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
import static org.kekbit.replication.ReplicationTestSupport.pump;
import static org.kekbit.replication.ReplicationTestSupport.recordLength;
import static org.kekbit.replication.ReplicationTestSupport.write;

/**
 * The source in a child JVM with its own media driver, killed with SIGKILL while the writer goes on in this JVM,
 * restarted: the sink notices the leader's image is gone (a 2 s image liveness timeout here, 10 s by default), says
 * hello to the new source and resumes from its mirror's end; the writer never waited.
 */
@Timeout(90)
class ReplicationSourceCrashTest
{
    private static final long CHANNEL_ID = 0x42_0000_0004L;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private ChannelWriter writer;
    private ChannelReader mirrorReader;

    @Test
    void shouldResumeFromTheMirrorsEndWhenTheSourceIsKilledAndRestarted() throws Exception
    {
        fx.launchDriver(fx.tmp.resolve("aeron-follower"), TimeUnit.SECONDS.toNanos(2));
        writer = fx.own(ChannelWriter.create(new ChannelWriter.Context()
            .root(fx.tmp.resolve("leader")).channelId(CHANNEL_ID).capacity(32 * 1024 * 1024).maxRecordLength(64 * 1024)
            .preTouch(false)));
        final String control = LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort();
        fx.sink = new ReplicationSink(fx.sinkContext(control, fx.tmp.resolve("mirror")).channelId(CHANNEL_ID));

        fx.startChild("source-1", SourceMain.class, fx.tmp.resolve("aeron-source-1").toString(), control,
            writer.path().toString());
        final long target = 1500;
        writeUntil(() -> fx.checker.nextSeq >= target, Integer.MAX_VALUE);
        fx.child.destroyForcibly(); // SIGKILL mid-stream
        assertTrue(fx.child.waitFor(10, TimeUnit.SECONDS));
        final long afterKill = fx.seq + 500;
        writeUntil(() -> fx.seq >= afterKill, 500); // the writer goes on alone
        assertTrue(fx.checker.nextSeq < fx.seq, "nothing replicated while no source runs");

        fx.startChild("source-2", SourceMain.class, fx.tmp.resolve("aeron-source-2").toString(), control,
            writer.path().toString());
        final long last = fx.seq + 1000;
        writeUntil(() -> fx.checker.nextSeq >= last, 1000);
        final long written = writer.position();
        writer.close();
        pump(() -> !fx.child.isAlive() && fx.sink.isEnded(), 30_000, "the source to see its end acknowledged",
            this::cycle);
        assertEquals(0, fx.child.exitValue(), () -> fx.childLog("source-2"));

        mirrorReader.poll(fx.checker, Integer.MAX_VALUE);
        assertEquals(fx.seq, fx.checker.nextSeq);
        assertEquals(ChannelState.CLOSED, mirrorReader.state());
        final ChannelDigest.Result leader = ChannelDigest.digest(writer.path(), -1);
        final ChannelDigest.Result mirror = ChannelDigest.digest(fx.sink.mirrorPath(), -1);
        assertEquals(written, leader.position());
        assertEquals(leader.digest(), mirror.digest());
    }

    private void writeUntil(final BooleanSupplier condition, final int maxRecords)
    {
        final long end = fx.seq + maxRecords;
        final boolean isGated = Integer.MAX_VALUE == maxRecords;
        pump(condition, 40_000, "the mirror to move", () ->
        {
            if (fx.seq < end && (!isGated || fx.seq - fx.checker.nextSeq < 3000))
            {
                for (int i = 0; i < 5 && fx.seq < end; i++)
                {
                    write(writer, fx.scratch, fx.seq, recordLength(fx.seq, LONG_RECORD_LENGTH));
                    fx.seq++;
                }
            }
            return 1 + cycle();
        });
    }

    private int cycle()
    {
        int work = fx.sink.doWork() + writer.doWork();
        if (null == mirrorReader && null != fx.sink.mirrorPath() && Files.exists(fx.sink.mirrorPath()))
        {
            mirrorReader = fx.own(ChannelReader.open(fx.sink.mirrorPath()));
        }
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(fx.checker, 1000);
        }
        return work;
    }
}
