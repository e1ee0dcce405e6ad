package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash harness: a writer in its own JVM ({@link ChildMain} role crashwriter) writes {@link CheckedRecord}s and is
 * killed with SIGKILL after a random delay, while two reader JVMs (role follow) follow the channel. After each kill:
 * a fresh reader in this JVM verifies the file and counts the committed records, and every follower, asked once the
 * writer is dead, reports the channel ABANDONED having delivered exactly those records, in order, each checksum
 * intact. Then a new writer JVM resumes the channel with {@link ChannelWriter#resume}, reads it back to carry the
 * sequence on, and is killed in turn: the followers keep following across the restarts, and see the channel OPEN
 * again after each resume. The last writer of a channel closes it, and the followers end at CLOSED with every record.
 * <p>
 * Writers are started ahead of time and wait warmed up on standby, so a kill costs about one JVM start, overlapped
 * with the previous writer's life. The writers mix bursts of copied records with slow claims of the maximum length
 * that hold fake record headers in their unused tail and a half-written payload for a while, so many kills leave an
 * uncommitted claim behind for the next resume to clear.
 * <p>
 * The delays are drawn from a seeded random, logged with the figures on stdout. System properties:
 * {@code kekbit.crash.kills} (50) kills with process detection, {@code kekbit.crash.timeoutKills} (4) kills with
 * followers that do not check the writer's process and wait for the heartbeat to time out, and
 * {@code kekbit.crash.seed}. Long runs also need {@code -Djunit.jupiter.execution.timeout.mode=disabled}.
 */
class ChannelCrashTest
{
    private static final int KILLS = Integer.getInteger("kekbit.crash.kills", 50);
    private static final int TIMEOUT_KILLS = Integer.getInteger("kekbit.crash.timeoutKills", 4);
    private static final long SEED = Long.getLong("kekbit.crash.seed", System.nanoTime());
    private static final int KILLS_PER_CHANNEL = 25;
    private static final int MAX_KILL_DELAY_MS = 60;
    private static final int RECORDS_PER_LIFE = 20_000;
    private static final int MAX_RECORD_LENGTH = 256;
    private static final int FOLLOWERS = 2;
    private static final int STANDBYS = 2;
    /**
     * Room for every life's records at the longest record, and an outstanding claim.
     */
    private static final long CAPACITY = (KILLS_PER_CHANNEL + 2L) * RECORDS_PER_LIFE *
        RecordDescriptor.alignedLength(
            RecordDescriptor.frameLength(CheckedRecord.MAX_LENGTH), RecordDescriptor.ALIGNMENT);
    private static final long LONG_TIMEOUT_MS = 60_000;
    private static final long SHORT_TIMEOUT_MS = 1_000;
    private static final long PROMPT_MS = 2_000;
    private static final long AWAIT_MS = 30_000;

    @TempDir
    Path root;

    private final List<ChildProcess> children = new ArrayList<>();
    private final StringBuilder log = new StringBuilder();
    private long maxDetectionMs;
    private long totalDetectionMs;
    private long detections;
    private long opens;
    private long claimsLeft;
    private long records;

    @AfterEach
    void killChildren()
    {
        children.forEach(ChildProcess::close);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldDeliverExactlyCommittedRecordsAcrossResumesWhenWriterIsKilledAtRandomMoments() throws Exception
    {
        final Random random = new Random(SEED);
        final long startNs = System.nanoTime();
        int killed = 0;
        for (int channel = 0; killed < KILLS; channel++)
        {
            final int kills = Math.min(KILLS_PER_CHANNEL, KILLS - killed);
            runChannel(channel, kills, true, LONG_TIMEOUT_MS, random);
            killed += kills;
        }

        report("process detection", killed, startNs);
        assertEquals(KILLS, killed);
        assertTrue(maxDetectionMs < PROMPT_MS, "max detection " + maxDetectionMs + " ms\n" + log);
        assertTrue(opens >= (long)FOLLOWERS * KILLS / 2, "followers saw the channel open again after resumes\n" + log);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldReportAbandonedAfterTimeoutAndOpenAfterResumeWhenFollowersDoNotCheckWriterProcess() throws Exception
    {
        final Random random = new Random(SEED + 1);
        final long startNs = System.nanoTime();
        runChannel(1_000, TIMEOUT_KILLS, false, SHORT_TIMEOUT_MS, random);

        report("heartbeat timeout", TIMEOUT_KILLS, startNs);
        assertEquals((long)FOLLOWERS * TIMEOUT_KILLS, opens, "each follower saw each resume\n" + log);
    }

    /**
     * Create a channel, kill its writers {@code kills} times, resuming it after each kill, and close it with one
     * more writer.
     */
    private void runChannel(
        final int channel,
        final int kills,
        final boolean checkWriterProcess,
        final long timeoutMs,
        final Random random) throws Exception
    {
        final long channelId = 100 + channel;
        final Path path = ChannelDescriptor.channelPath(root, channelId);
        final List<ChildProcess> followers = new ArrayList<>();
        for (int i = 0; i < FOLLOWERS; i++)
        {
            followers.add(start("follower-" + channel + "-" + i, ChildMain.FOLLOW, path.toString(),
                String.valueOf(AWAIT_MS), String.valueOf(checkWriterProcess)));
        }

        final Deque<ChildProcess> standbys = new ArrayDeque<>();
        long committed = 0;
        for (int life = 0; life <= kills; life++)
        {
            while (standbys.size() < STANDBYS && life + standbys.size() <= kills)
            {
                standbys.add(start("writer-" + channel + "-" + (life + standbys.size()), ChildMain.CRASH_WRITER,
                    root.toString(), String.valueOf(channelId), String.valueOf(CAPACITY), String.valueOf(timeoutMs),
                    String.valueOf(MAX_RECORD_LENGTH), String.valueOf(RECORDS_PER_LIFE),
                    String.valueOf(random.nextLong())));
            }
            final ChildProcess writer = standbys.poll();
            writer.awaitLine("STANDBY");
            writer.send(0 == life ? "CREATE" : "RESUME");

            // A kill may land anywhere, even in resume, once in four lives with process detection; otherwise in
            // the writing.
            final boolean isKillAnywhere = checkWriterProcess && 0 == random.nextInt(4);
            String resumeMs = "";
            if (0 == life || !isKillAnywhere || kills == life)
            {
                final Map<String, String> resumed = writer.awaitValues("RESUMED");
                assertEquals(String.valueOf(committed), resumed.get("records"), writer::transcript);
                resumeMs = " (took " + resumed.get("tookMs") + " ms)";
            }
            if (kills == life)
            {
                writer.send("CLOSE");
                committed = Long.parseLong(writer.awaitValues("CLOSED").get("records"));
                assertEquals(0, writer.awaitExit(), writer::transcript);
                break;
            }
            if (!checkWriterProcess && life > 0)
            {
                for (final ChildProcess follower : followers)
                {
                    follower.awaitLine("OPEN records=" + committed);
                }
            }

            final int delayMs = random.nextInt(MAX_KILL_DELAY_MS + 1);
            Thread.sleep(delayMs);
            final long killedAtMs = System.currentTimeMillis();
            writer.kill();
            assertFalse(writer.transcript().contains("ERROR"), writer::transcript);

            final long previous = committed;
            committed = verify(path, ChannelState.ABANDONED);
            final boolean isClaimLeft = isClaimLeftBehind(path);
            claimsLeft += isClaimLeft ? 1 : 0;
            assertTrue(committed >= previous, "committed records never go away: " + previous + " -> " + committed);
            final StringBuilder line = new StringBuilder().append("channel ").append(channelId).append(" kill ")
                .append(life).append(": delay=").append(delayMs).append(" ms after ")
                .append(isKillAnywhere ? "starting to resume" : "resuming").append(resumeMs)
                .append(", committed=").append(committed).append(isClaimLeft ? ", claim left behind" : "");
            for (final ChildProcess follower : followers)
            {
                final long detectionMs = awaitAbandoned(follower, life, committed, killedAtMs);
                line.append(", detected after ").append(detectionMs).append(" ms");
                if (checkWriterProcess)
                {
                    assertTrue(detectionMs < PROMPT_MS, () -> line + "\n" + follower.transcript());
                }
                else
                {
                    assertTrue(detectionMs >= timeoutMs - 100 && detectionMs < timeoutMs + PROMPT_MS,
                        () -> line + "\n" + follower.transcript());
                }
            }
            log.append(line).append('\n');
        }

        for (final ChildProcess follower : followers)
        {
            final Map<String, String> result = follower.awaitValues("RESULT");
            assertEquals("true", result.get("ok"), follower::transcript);
            assertEquals(ChannelState.CLOSED.name(), result.get("state"), follower::transcript);
            assertEquals(String.valueOf(committed), result.get("records"), follower::transcript);
            assertEquals(String.valueOf(committed - 1), result.get("lastSeq"), follower::transcript);
            assertEquals(0, follower.awaitExit(), follower::transcript);
            opens += Long.parseLong(result.get("opens"));
        }
        assertEquals(committed, verify(path, ChannelState.CLOSED));
        records += committed;
        Files.delete(path);
    }

    /**
     * Ask a follower for its state once the writer is dead: it answers as soon as it sees the channel abandoned.
     *
     * @return how long after the kill it saw the channel abandoned.
     */
    private long awaitAbandoned(
        final ChildProcess follower, final int life, final long committed, final long killedAtMs) throws Exception
    {
        follower.send("REPORT " + life);
        final Map<String, String> report = follower.awaitValues("REPORT " + life + " ");
        assertEquals("true", report.get("ok"), follower::transcript);
        assertEquals(ChannelState.ABANDONED.name(), report.get("state"), follower::transcript);
        assertEquals(String.valueOf(committed), report.get("records"), follower::transcript);
        assertEquals(String.valueOf(committed - 1), report.get("lastSeq"), follower::transcript);

        final long detectionMs = Math.max(0, Long.parseLong(report.get("abandonedAtMs")) - killedAtMs);
        maxDetectionMs = Math.max(maxDetectionMs, detectionMs);
        totalDetectionMs += detectionMs;
        detections++;
        return detectionMs;
    }

    /**
     * Read the whole channel with a fresh reader, as a verify tool would.
     *
     * @return the number of committed records.
     */
    private static long verify(final Path path, final ChannelState expectedState)
    {
        try (ChannelReader reader = ChannelReader.open(path))
        {
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            while (reader.poll(verifier, Integer.MAX_VALUE) > 0)
            {
                Thread.onSpinWait();
            }
            assertNull(verifier.error());
            assertEquals(expectedState, reader.state(), () -> "records=" + verifier.records());
            assertEquals(verifier.records() - 1, verifier.lastSequence());
            return verifier.records();
        }
    }

    /**
     * Whether the killed writer left bytes after its last committed record: an uncommitted claim.
     */
    private static boolean isClaimLeftBehind(final Path path) throws IOException
    {
        final long position;
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            position = reader.seekToEnd();
        }
        final ByteBuffer bytes = ByteBuffer.allocate(RecordDescriptor.alignedLength(
            RecordDescriptor.frameLength(MAX_RECORD_LENGTH), RecordDescriptor.ALIGNMENT));
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            channel.read(bytes, ChannelDescriptor.HEADER_LENGTH + position);
        }
        for (int i = 0; i < bytes.position(); i++)
        {
            if (0 != bytes.get(i))
            {
                return true;
            }
        }
        return false;
    }

    private void report(final String variant, final int kills, final long startNs)
    {
        System.out.println("ChannelCrashTest (" + variant + "): seed=" + SEED + ", kills=" + kills +
            ", committed records=" + records + " (each verified by " + FOLLOWERS + " followers and after every kill)" +
            ", follower re-opens=" + opens + ", kills leaving a claim behind=" + claimsLeft + ", detection max=" +
            maxDetectionMs + " ms, mean=" +
            (0 == detections ? 0 : totalDetectionMs / detections) + " ms, elapsed=" +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");
        System.out.print(log);
    }

    private ChildProcess start(final String name, final String... args)
    {
        final ChildProcess child = ChildProcess.start(name, args);
        children.add(child);
        return child;
    }
}
