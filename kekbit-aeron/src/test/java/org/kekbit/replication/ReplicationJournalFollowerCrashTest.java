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
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.MAX_CHUNK_LENGTH;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * A journal's follower in a child JVM with its own media driver, killed with SIGKILL three times while the leader
 * writes and rolls, restarted, and caught up; a {@link JournalReader} in this JVM tails the mirror's segments the
 * whole time and must never see a torn or out-of-order record; at the end the segments are byte-identical.
 */
@Timeout(120)
class ReplicationJournalFollowerCrashTest
{
    @TempDir
    Path tmp;

    private EmbeddedMediaDriver driver;
    private JournalWriter writer;
    private ReplicationSource source;
    private JournalReader mirrorReader;
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
    void shouldCatchUpAJournalWhenTheFollowerIsKilledWhileTheLeaderRollsAndRestarted() throws Exception
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron-leader"), 0, 0);
        writer = JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(tmp.resolve("leader")));
        source = new ReplicationSource(new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(tmp.resolve("leader"))
            .termLength(1024 * 1024)
            .maxChunkLength(MAX_CHUNK_LENGTH)
            .sessionTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        final Path mirrorDir = tmp.resolve("mirror");
        mirrorReader = JournalReader.open(new JournalReader.Context().folder(mirrorDir));

        for (int round = 1; round <= 3; round++)
        {
            child = startSink(tmp.resolve("aeron-follower-" + round), mirrorDir, round);
            final long target = checker.nextSeq + 1000;
            writeUntil(() -> checker.nextSeq >= target, Integer.MAX_VALUE, true);
            child.destroyForcibly(); // SIGKILL, mid-stream: the writer goes on, and rolls
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            final long rollsBefore = writer.rolls();
            final long afterKill = seq + 500;
            writeUntil(() -> seq >= afterKill, 500, false); // nobody follows: write ahead
            assertTrue(writer.rolls() > rollsBefore, "the leader rolled while the follower was dead");
        }

        child = startSink(tmp.resolve("aeron-follower-last"), mirrorDir, 4);
        final long last = seq + 1000;
        writeUntil(() -> checker.nextSeq >= last, 1000, true); // catch up while the writer goes on
        final long written = writer.position();
        writer.close();
        pump(() -> !child.isAlive(), 30_000, "the follower to end", this::cycle);
        assertEquals(0, child.exitValue(), () -> output(4));

        pump(() -> checker.nextSeq == seq, 10_000, "every record on the mirror", this::cycle);
        mirrorReader.poll(checker, Integer.MAX_VALUE);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertTrue(written > 0);
        ReplicationJournalLoopbackTest.assertJournalsIdentical(tmp.resolve("leader"), mirrorDir);
    }

    private void writeUntil(final BooleanSupplier condition, final int maxRecords, final boolean isGated)
    {
        final long end = seq + maxRecords;
        try
        {
            // Gated: the writer stays at most 3000 records ahead of the mirror's reader.
            pump(condition, 30_000, "the mirror to move", () ->
            {
                if (seq < end && (!isGated || seq - checker.nextSeq < 3000))
                {
                    for (int i = 0; i < 5 && seq < end; i++)
                    {
                        ReplicationJournalLoopbackTest.write(writer, scratch, seq);
                        seq++;
                    }
                }
                return cycle();
            });
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + ": seq=" + seq + ", checked=" + checker.nextSeq +
                ", followers=" + source.followerCount() + ", error=" + source.lastError() + "\n" + output(1) +
                output(2) + output(3) + output(4), ex);
        }
    }

    private int cycle()
    {
        return source.doWork() + (writer.isClosed() ? 0 : writer.doWork()) + mirrorReader.poll(checker, 1000);
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
            final Path log = tmp.resolve("sink-" + round + ".log");
            return Files.exists(log) ? "--- sink " + round + ":\n" + Files.readString(log) : "";
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }
}
