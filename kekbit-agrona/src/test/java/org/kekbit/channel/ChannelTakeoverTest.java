package org.kekbit.channel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handing a channel over to a writer: {@link ChannelWriter#create} and {@link ChannelWriter#resume} take a while on
 * a large channel (pre-touching it), and meanwhile readers that judge the writer by its heartbeat must not take the
 * new writer for dead once it is handed over, and no other process may resume the channel too.
 */
class ChannelTakeoverTest
{
    /**
     * Pre-touching this much of a file on disk takes far longer than {@link #TIMEOUT_MS}.
     */
    private static final long LARGE_CAPACITY = 128L << 20;
    private static final long TIMEOUT_MS = 50;
    private static final long HANDOVER_TIMEOUT_MS = 10_000; // the state check must not depend on the machine's load
    private static final long CHANNEL_ID = 11;

    @TempDir
    Path root;

    private final List<ChildProcess> children = new ArrayList<>();

    @AfterEach
    void killChildren()
    {
        children.forEach(ChildProcess::close);
    }

    @Test
    @Timeout(60)
    void shouldHandOverFreshHeartbeatWhenCreateReturnsAfterPreTouchingLargeChannel()
    {
        final long calledAtMs = System.currentTimeMillis();
        try (ChannelWriter writer = ChannelWriter.create(context().timeoutMs(HANDOVER_TIMEOUT_MS)))
        {
            final long returnedAtMs = System.currentTimeMillis();
            assertHeartbeatStampedAfterPreTouch(writer.path(), calledAtMs, returnedAtMs);
        }
    }

    @Test
    @Timeout(60)
    void shouldHandOverFreshHeartbeatWhenResumeReturnsAfterPreTouchingLargeChannel() throws Exception
    {
        final ChannelWriter crashed = ChannelWriter.create(context().preTouch(false));
        final Path path = crashed.path();
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[CheckedRecord.MAX_LENGTH]);
        final CheckedRecord record = new CheckedRecord();
        assertTrue(crashed.write(CheckedRecord.MSG_TYPE_ID, payload, 0, record.encode(payload, 0, 0)) > 0);
        crashed.crash(); // dropped without closing, as by a crash: no writer of this process has the channel open

        final long calledAtMs = System.currentTimeMillis();
        try (ChannelWriter resumed = ChannelWriter.resume(context().timeoutMs(HANDOVER_TIMEOUT_MS)))
        {
            final long returnedAtMs = System.currentTimeMillis();
            assertEquals(crashed.position(), resumed.position());
            assertHeartbeatStampedAfterPreTouch(path, calledAtMs, returnedAtMs);
        }
    }

    @Test
    @Timeout(120)
    void shouldRefuseSecondResumerWhenFirstProcessIsStillTakingChannelOver() throws Exception
    {
        final ChildProcess dead = startWriter("dead-writer");
        dead.awaitLine("STANDBY");
        dead.send("CREATE");
        dead.awaitLine("RESUMED");
        final ChildProcess first = startWriter("first-resumer");
        final ChildProcess second = startWriter("second-resumer");
        first.awaitLine("STANDBY");
        second.awaitLine("STANDBY");
        dead.kill();

        final Path path = ChannelDescriptor.channelPath(root, CHANNEL_ID);
        try (ChannelReader observer = ChannelReader.open(
            new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            final long deadPid = observer.header().writerPid();
            final long deadHeartbeatTimeMs = observer.header().heartbeatTimeMs();
            first.send("RESUME");
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (deadHeartbeatTimeMs == observer.header().heartbeatTimeMs() &&
                deadPid == observer.header().writerPid())
            {
                assertTrue(System.nanoTime() < deadlineNs, first::transcript);
                Thread.onSpinWait();
            }
            // The first resumer has started taking over and is still pre-touching: it has not handed itself over.
            assertTrue(first.pid() != observer.header().writerPid(), "precondition: the first resumer is mid-takeover");
            second.send("RESUME");

            final String refused = second.awaitLine("ERROR");
            assertTrue(refused.startsWith("ERROR " + ChannelException.class.getName() + ": channel's writer is alive " +
                "(a resumer taking the channel over runs: pid=" + first.pid() + "): "), second::transcript);
            assertEquals(1, second.awaitExit(), second::transcript);
            first.awaitLine("RESUMED");
            first.send("CLOSE");
            final long records = Long.parseLong(first.awaitValues("CLOSED").get("records"));
            assertEquals(0, first.awaitExit(), first::transcript);

            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            try (ChannelReader reader = ChannelReader.open(path))
            {
                while (reader.poll(verifier, Integer.MAX_VALUE) > 0)
                {
                    Thread.onSpinWait();
                }
                assertEquals(ChannelState.CLOSED, reader.state());
            }
            assertEquals(null, verifier.error());
            assertEquals(records, verifier.records());
        }
    }

    @Test
    @Timeout(30)
    void shouldGiveChannelBackWhenResumeFailsAfterTakingItOver() throws Exception
    {
        final Path path;
        try (ChannelWriter writer = ChannelWriter.create(context().capacity(4096)))
        {
            path = writer.path();
        }
        final long pid = ProcessHandle.current().pid();

        for (int attempt = 0; attempt < 2; attempt++)
        {
            final ChannelException ex = assertThrows(ChannelException.class,
                () -> ChannelWriter.resume(context().capacity(4096)));
            assertEquals(ChannelException.Reason.ENDED, ex.reason(), ex::getMessage);
            try (ChannelReader reader = ChannelReader.open(
                new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
            {
                assertEquals(pid, reader.header().writerPid(), "the take-over mark is undone");
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldForceDeadWritersRecordsWhenResumedWriterForcesFirst() throws Exception
    {
        final ChannelWriter.Context ctx = context().capacity(1 << 20).preTouch(false);
        final ChannelWriter crashed = ChannelWriter.create(ctx);
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[CheckedRecord.MAX_LENGTH]);
        final CheckedRecord record = new CheckedRecord();
        for (int i = 0; i < 500; i++)
        {
            assertTrue(crashed.write(CheckedRecord.MSG_TYPE_ID, payload, 0, record.encode(payload, 0, i)) > 0);
        }
        crashed.crash(); // dropped without closing, as by a crash: no writer of this process has the channel open

        try (ChannelWriter resumed = ChannelWriter.resume(ctx))
        {
            assertEquals(crashed.position(), resumed.position());
            // Nothing says the dead writer forced its records: the first force() must cover them.
            assertEquals(0, resumed.forcedPosition());
            assertTrue(resumed.write(CheckedRecord.MSG_TYPE_ID, payload, 0, record.encode(payload, 0, 500)) > 0);
            resumed.force();
            assertEquals(resumed.position(), resumed.forcedPosition());
        }
    }

    private ChildProcess startWriter(final String name)
    {
        final ChildProcess child = ChildProcess.start(name, ChildMain.CRASH_WRITER, root.toString(),
            String.valueOf(CHANNEL_ID), String.valueOf(LARGE_CAPACITY), String.valueOf(60_000), "256", "1000", "7");
        children.add(child);
        return child;
    }

    /**
     * A heartbeat stamped before the pre-touch is as old as most of the call when the call returns; one stamped after
     * it is only as old as the last steps. Judged against the call's own length, not a fixed bound, so a loaded
     * machine that slows the pre-touch and delays the return alike does not fail it.
     */
    private static void assertHeartbeatStampedAfterPreTouch(
        final Path path, final long calledAtMs, final long returnedAtMs)
    {
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            final long heartbeatAgeMs = returnedAtMs - reader.header().heartbeatTimeMs();
            final long callMs = returnedAtMs - calledAtMs;
            assertTrue(heartbeatAgeMs <= callMs / 2, "heartbeat " + heartbeatAgeMs + " ms old when handed over " +
                "by a call of " + callMs + " ms");
            assertEquals(ChannelState.OPEN, reader.state(), "a writer just handed over is alive");
        }
    }

    private ChannelWriter.Context context()
    {
        return new ChannelWriter.Context()
            .root(root).channelId(CHANNEL_ID).capacity(LARGE_CAPACITY).timeoutMs(TIMEOUT_MS);
    }
}
