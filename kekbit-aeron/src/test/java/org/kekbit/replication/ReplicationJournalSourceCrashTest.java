package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
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

    @TempDir
    Path tmp;

    private EmbeddedMediaDriver driver;
    private JournalWriter writer;
    private ReplicationSink sink;
    private JournalReader mirrorReader;
    private Process child;
    private int round;
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
    void shouldResumeARollingJournalWhenTheSourceIsKilledAtRandomMomentsAndRestarted() throws Exception
    {
        final long seed = Long.getLong("kekbit.replication.seed", System.nanoTime());
        final Random random = new Random(seed);
        System.out.println(getClass().getSimpleName() + ": seed=" + seed + ", records=" + RECORDS + ", kills=" + KILLS);
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron-follower"), 0, 0, TimeUnit.SECONDS.toNanos(2));
        writer = JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(tmp.resolve("leader"))
            .segmentCapacity(SEGMENT_CAPACITY));
        final String control = LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort();
        final Path mirrorDir = tmp.resolve("mirror");
        sink = new ReplicationSink(new ReplicationSink.Context()
            .aeron(driver.aeron()).controlEndpoint(control).dataEndpoint(LOOPBACK + ":0")
            .mirrorDir(mirrorDir)
            .forceIntervalNs(ReplicationSink.FORCE_EVERY_POLL));
        mirrorReader = JournalReader.open(new JournalReader.Context().folder(mirrorDir));

        final long perRound = RECORDS / (KILLS + 1);
        for (int kill = 0; kill < KILLS; kill++)
        {
            child = startSource(control);
            // A random moment: somewhere in the round's records, at a random point of a record and of a roll.
            final long target = checker.nextSeq + perRound / 4 + (long)(random.nextDouble() * perRound / 2);
            writeUntil(() -> checker.nextSeq >= target, Long.MAX_VALUE, true);
            child.destroyForcibly(); // SIGKILL mid-stream
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            final long rollsBefore = writer.rolls();
            final long afterKill = seq + perRound / 3;
            writeUntil(() -> seq >= afterKill, perRound / 3, false); // the writer goes on alone, and rolls
            assertTrue(writer.rolls() > rollsBefore, "the leader rolled while no source ran");
            assertTrue(checker.nextSeq < seq, "nothing replicated while no source runs");
        }

        child = startSource(control);
        final long last = Math.max(RECORDS, seq + perRound / 2);
        writeUntil(() -> seq >= last, last - seq, true); // catch up while the writer goes on
        writer.close();
        pump(() -> !child.isAlive() && sink.isEnded(), 60_000, "the source to see its end acknowledged",
            this::cycle);
        assertEquals(0, child.exitValue(), () -> output(round));

        pump(() -> checker.nextSeq == seq, 10_000, "every record on the mirror", this::cycle);
        assertTrue(seq >= RECORDS, "seq=" + seq);
        mirrorReader.poll(checker, Integer.MAX_VALUE);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertTrue(writer.rolls() >= 2L * (KILLS + 1), "rolls=" + writer.rolls());
        ReplicationJournalLoopbackTest.assertJournalsIdentical(tmp.resolve("leader"), mirrorDir);
    }

    private void writeUntil(final BooleanSupplier condition, final long maxRecords, final boolean isGated)
    {
        final long end = Long.MAX_VALUE == maxRecords ? Long.MAX_VALUE : seq + maxRecords;
        try
        {
            // Gated: the writer stays at most 3000 records ahead of the mirror's reader.
            pump(condition, 40_000 + RECORDS / 100, "the mirror to move", () ->
            {
                if (seq < end && (!isGated || seq - checker.nextSeq < 3000))
                {
                    for (int i = 0; i < 5 && seq < end; i++)
                    {
                        ReplicationJournalLoopbackTest.write(writer, scratch, seq);
                        seq++;
                    }
                }
                return 1 + cycle();
            });
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + ": seq=" + seq + ", checked=" + checker.nextSeq +
                ", sink failure=" + sink.failure() + "\n" + output(round), ex);
        }
    }

    private int cycle()
    {
        return sink.doWork() + (writer.isClosed() ? 0 : writer.doWork()) + mirrorReader.poll(checker, 1000);
    }

    private Process startSource(final String control) throws IOException
    {
        round++;
        return new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"),
            SourceMain.class.getName(),
            tmp.resolve("aeron-source-" + round).toString(), control, tmp.resolve("leader").toString()))
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("source-" + round + ".log").toFile())
            .start();
    }

    private String output(final int round)
    {
        try
        {
            final Path log = tmp.resolve("source-" + round + ".log");
            return Files.exists(log) ? "--- source " + round + ":\n" + Files.readString(log) : "";
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }
}
