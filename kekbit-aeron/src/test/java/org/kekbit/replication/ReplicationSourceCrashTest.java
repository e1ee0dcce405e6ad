package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
    private static final int LONG_RECORD_LENGTH = 3 * 4096 + 1000;

    @TempDir
    Path tmp;

    private EmbeddedMediaDriver driver;
    private ChannelWriter writer;
    private ReplicationSink sink;
    private ChannelReader mirrorReader;
    private Process child;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[LONG_RECORD_LENGTH]);
    private final ReplicationTestSupport.RecordChecker checker =
        new ReplicationTestSupport.RecordChecker(LONG_RECORD_LENGTH);
    private long seq;

    @AfterEach
    void after()
    {
        if (null != child)
        {
            child.destroyForcibly();
        }
        CloseHelper.closeAll(mirrorReader, sink, writer, driver);
    }

    @Test
    void shouldResumeFromTheMirrorsEndWhenTheSourceIsKilledAndRestarted() throws Exception
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron-follower"), 0, 0, TimeUnit.SECONDS.toNanos(2));
        writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(tmp.resolve("leader")).channelId(CHANNEL_ID).capacity(32 * 1024 * 1024).maxRecordLength(64 * 1024)
            .preTouch(false));
        final String control = LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort();
        sink = new ReplicationSink(new ReplicationSink.Context()
            .aeron(driver.aeron()).controlEndpoint(control).dataEndpoint(LOOPBACK + ":0")
            .mirrorDir(tmp.resolve("mirror")).channelId(CHANNEL_ID));

        child = startSource(control, 1);
        final long target = 1500;
        writeUntil(() -> checker.nextSeq >= target, Integer.MAX_VALUE);
        child.destroyForcibly(); // SIGKILL mid-stream
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        final long afterKill = seq + 500;
        writeUntil(() -> seq >= afterKill, 500); // the writer goes on alone
        assertTrue(checker.nextSeq < seq, "nothing replicated while no source runs");

        child = startSource(control, 2);
        final long last = seq + 1000;
        writeUntil(() -> checker.nextSeq >= last, 1000);
        final long written = writer.position();
        writer.close();
        pump(() -> !child.isAlive() && sink.isEnded(), 30_000, "the source to see its end acknowledged",
            this::cycle);
        assertEquals(0, child.exitValue(), () -> output(2));

        mirrorReader.poll(checker, Integer.MAX_VALUE);
        assertEquals(seq, checker.nextSeq);
        assertEquals(ChannelState.CLOSED, mirrorReader.state());
        final ChannelDigest.Result leader = ChannelDigest.digest(writer.path(), -1);
        final ChannelDigest.Result mirror = ChannelDigest.digest(sink.mirrorPath(), -1);
        assertEquals(written, leader.position());
        assertEquals(leader.digest(), mirror.digest());
    }

    private void writeUntil(final BooleanSupplier condition, final int maxRecords)
    {
        final long end = seq + maxRecords;
        final boolean isGated = Integer.MAX_VALUE == maxRecords;
        pump(condition, 40_000, "the mirror to move", () ->
        {
            if (seq < end && (!isGated || seq - checker.nextSeq < 3000))
            {
                for (int i = 0; i < 5 && seq < end; i++)
                {
                    write(writer, scratch, seq, recordLength(seq, LONG_RECORD_LENGTH));
                    seq++;
                }
            }
            return 1 + cycle();
        });
    }

    private int cycle()
    {
        int work = sink.doWork() + writer.doWork();
        if (null == mirrorReader && null != sink.mirrorPath() && Files.exists(sink.mirrorPath()))
        {
            mirrorReader = ChannelReader.open(sink.mirrorPath());
        }
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(checker, 1000);
        }
        return work;
    }

    private Process startSource(final String control, final int round) throws IOException
    {
        return new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"),
            SourceMain.class.getName(),
            tmp.resolve("aeron-source-" + round).toString(), control, writer.path().toString()))
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("source-" + round + ".log").toFile())
            .start();
    }

    private String output(final int round)
    {
        try
        {
            return Files.readString(tmp.resolve("source-" + round + ".log"));
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }
}
