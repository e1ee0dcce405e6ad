package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
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
 * The follower in a child JVM with its own media driver, killed with SIGKILL while the leader writes, restarted, and
 * caught up; a reader in this JVM tails the mirror the whole time and must never see a torn or out-of-order record.
 */
@Timeout(90)
class ReplicationFollowerCrashTest
{
    private static final long CHANNEL_ID = 0x42_0000_0002L;
    private static final int MAX_CHUNK_LENGTH = 4096;
    private static final int LONG_RECORD_LENGTH = 3 * MAX_CHUNK_LENGTH + 1000;

    @TempDir
    Path tmp;

    private EmbeddedMediaDriver driver;
    private ChannelWriter writer;
    private ReplicationSource source;
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
        CloseHelper.closeAll(mirrorReader, source, writer, driver);
    }

    @Test
    void shouldCatchUpWhenTheFollowerIsKilledMidStreamAndRestarted() throws Exception
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron-leader"), 0, 0);
        writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(tmp.resolve("leader")).channelId(CHANNEL_ID).capacity(32 * 1024 * 1024).maxRecordLength(64 * 1024)
            .preTouch(false));
        source = new ReplicationSource(new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(writer.path())
            .termLength(1024 * 1024)
            .maxChunkLength(MAX_CHUNK_LENGTH)
            .sessionTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        final Path mirrorDir = tmp.resolve("mirror");
        final Path mirrorPath = ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID);

        for (int round = 1; round <= 3; round++)
        {
            child = startSink(tmp.resolve("aeron-follower-" + round), mirrorDir, round);
            final long target = checker.nextSeq + 1500;
            writeUntil(() -> checker.nextSeq >= target, mirrorPath, Integer.MAX_VALUE, true);
            child.destroyForcibly(); // SIGKILL, mid-stream: the writer goes on
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            final long afterKill = seq + 500;
            writeUntil(() -> seq >= afterKill, mirrorPath, 500, false); // nobody follows: write ahead
        }

        child = startSink(tmp.resolve("aeron-follower-last"), mirrorDir, 4);
        final long last = seq + 2000;
        writeUntil(() -> checker.nextSeq >= last, mirrorPath, 2000, true); // catch up while the writer goes on
        final long written = writer.position();
        writer.close();
        pump(() -> !child.isAlive(), 30_000, "the follower to end", this::cycle);
        assertEquals(0, child.exitValue(), () -> output(4));

        pump(() -> checker.nextSeq == seq, 10_000, "every record on the mirror", this::cycle);
        mirrorReader.poll(checker, Integer.MAX_VALUE);
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
        final long end = seq + maxRecords;
        final String what = "the mirror to move: followers=" + source.followerCount() + ", sent=" +
            source.sentPosition() + ", received=" + source.receivedPosition() + ", error=" + source.lastError();
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
            if (seq < end && (!isGated || seq - checker.nextSeq < 3000))
            {
                for (int i = 0; i < 5 && seq < end; i++)
                {
                    write(writer, scratch, seq, recordLength(seq, LONG_RECORD_LENGTH));
                    seq++;
                }
            }
            if (null == mirrorReader && Files.exists(mirrorPath))
            {
                mirrorReader = ChannelReader.open(mirrorPath);
            }
            return cycle();
        });
    }

    private String diagnostics()
    {
        final StringBuilder text = new StringBuilder();
        text.append("seq=").append(seq).append(", checked=").append(checker.nextSeq)
            .append(", followers=").append(source.followerCount()).append(", sent=").append(source.sentPosition())
            .append(", received=").append(source.receivedPosition()).append(", error=").append(source.lastError());
        for (int round = 1; round <= 4; round++)
        {
            text.append("\n--- sink ").append(round).append(":\n").append(output(round));
        }
        return text.toString();
    }

    private int cycle()
    {
        int work = source.doWork() + writer.doWork();
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(checker, 1000);
        }
        return work;
    }

    private Process startSink(final Path aeronDir, final Path mirrorDir, final int round) throws IOException
    {
        final List<String> command = List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"),
            SinkMain.class.getName(),
            aeronDir.toString(), source.controlEndpoint(), mirrorDir.toString());
        return new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("sink-" + round + ".log").toFile())
            .start();
    }

    private String output(final int round)
    {
        try
        {
            return Files.readString(tmp.resolve("sink-" + round + ".log"));
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }
}
