package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A writer in another pid namespace (another container sharing the folder) cannot be looked up by its pid: readers
 * and resumers there judge it by its heartbeat, so a live one is never taken over, and a killed one is taken over
 * once its heartbeat is older than the timeout. In the writer's own namespace a killed writer is taken over at once.
 * The real namespace comes from {@code unshare}; where that cannot run, the same is simulated by observing as if from
 * another namespace.
 */
class ChannelPidNamespaceTest
{
    private static final long CHANNEL_ID = 0x77;
    private static final long CAPACITY = 16L << 20;
    private static final long TIMEOUT_MS = 2_000;

    @TempDir
    Path root;

    private final List<ChildProcess> children = new ArrayList<>();

    @AfterEach
    void killChildren()
    {
        children.forEach(ChildProcess::close);
    }

    @Test
    @Timeout(120)
    void shouldRefuseResumeAndReportOpenWhenLiveWriterRunsInAnotherPidNamespace() throws Exception
    {
        final String whyNot = ChildProcess.whyNoPidNamespace();
        assumeTrue(null == whyNot, whyNot);
        final ChildProcess writer = startWriter(ChildProcess.startInPidNamespace("ns-writer", writerArgs()));

        try (ChannelReader reader = ChannelReader.open(path()))
        {
            assertNotEquals(ProcessIdentity.CURRENT.namespaceId, reader.header().writerNamespaceId(),
                "the child runs in another pid namespace: pid=" + reader.header().writerPid());
        }
        assertLiveWriterIsNeverTakenOver(ProcessIdentity.CURRENT);
        assertKilledWriterIsTakenOverOnceHeartbeatIsStale(writer, ProcessIdentity.CURRENT);
    }

    @Test
    @Timeout(120)
    void shouldRefuseResumeAndReportOpenWhenObservingLiveWriterAsFromAnotherNamespace() throws Exception
    {
        final ChildProcess writer = startWriter(ChildProcess.start("writer", writerArgs()));

        assertLiveWriterIsNeverTakenOver(ProcessIdentities.OTHER_NAMESPACE);
        assertKilledWriterIsTakenOverOnceHeartbeatIsStale(writer, ProcessIdentities.OTHER_NAMESPACE);
    }

    @Test
    @Timeout(60)
    void shouldTakeOverAtOnceWhenKilledWriterRanInThisNamespace() throws Exception
    {
        assumeTrue(0 != ProcessIdentity.CURRENT.namespaceId, "no /proc here: writers are judged by heartbeat only");
        final ChildProcess writer = startWriter(ChildProcess.start("writer", writerArgs()));
        assertLiveWriterIsNeverTakenOver(ProcessIdentity.CURRENT);

        writer.kill();
        final long killedAtNs = System.nanoTime();
        try (ChannelWriter resumed = ChannelWriter.resume(context(ProcessIdentity.CURRENT)))
        {
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAtNs);
            assertTrue(tookMs < TIMEOUT_MS / 2, "taken over " + tookMs + " ms after the kill");
            assertEquals(verifiedRecordsEnd(), resumed.position());
        }
    }

    private void assertLiveWriterIsNeverTakenOver(final ProcessIdentity observer) throws InterruptedException
    {
        try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path()).observer(observer)))
        {
            final long writerPid = reader.header().writerPid();
            final long firstHeartbeatMs = reader.header().heartbeatTimeMs();
            for (int i = 0; i < 3; i++)
            {
                final ChannelException ex = assertThrows(
                    ChannelException.class, () -> ChannelWriter.resume(context(observer)));
                assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason(), ex::getMessage);
                reader.seekToEnd();
                assertEquals(ChannelState.OPEN, reader.state(), "the writer is alive");
                Thread.sleep(TIMEOUT_MS / 4);
            }
            assertEquals(writerPid, reader.header().writerPid(), "still the same writer");
            assertTrue(reader.header().heartbeatTimeMs() > firstHeartbeatMs, "and it keeps its heartbeat fresh");
        }
        verifiedRecordsEnd();
    }

    private void assertKilledWriterIsTakenOverOnceHeartbeatIsStale(
        final ChildProcess writer, final ProcessIdentity observer) throws InterruptedException
    {
        writer.kill();
        final long heartbeatTimeMs;
        try (ChannelReader reader = ChannelReader.open(path()))
        {
            heartbeatTimeMs = reader.header().heartbeatTimeMs();
        }
        final long end = verifiedRecordsEnd();

        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(heartbeatTimeMs + TIMEOUT_MS);
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().path(path()).observer(observer).epochClock(clock)))
        {
            reader.seekToEnd();
            assertEquals(ChannelState.OPEN, reader.state(), "a heartbeat exactly the timeout old is alive");
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, assertThrows(ChannelException.class,
                () -> ChannelWriter.resume(context(observer).epochClock(clock))).reason());

            clock.advance(1);
            assertEquals(ChannelState.ABANDONED, reader.state());
            try (ChannelWriter resumed = ChannelWriter.resume(context(observer).epochClock(clock)))
            {
                assertEquals(end, resumed.position(), "after the last committed record");
                assertEquals(ChannelState.OPEN, reader.state());
            }
            assertEquals(end, verifiedRecordsEnd());
        }
    }

    private ChildProcess startWriter(final ChildProcess writer) throws InterruptedException, IOException
    {
        children.add(writer);
        writer.awaitLine("STANDBY");
        writer.send("CREATE");
        writer.awaitLine("RESUMED");
        return writer;
    }

    private String[] writerArgs()
    {
        return new String[]{ ChildMain.CRASH_WRITER, root.toString(), String.valueOf(CHANNEL_ID),
            String.valueOf(CAPACITY), String.valueOf(TIMEOUT_MS), "256", "5000", "11" };
    }

    /**
     * Read every committed record, checking each, with a reader that does not judge the writer.
     *
     * @return the position after the last committed record.
     */
    private long verifiedRecordsEnd()
    {
        try (ChannelReader reader = ChannelReader.open(path()))
        {
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            while (reader.poll(verifier, Integer.MAX_VALUE) > 0)
            {
                Thread.onSpinWait();
            }
            assertNull(verifier.error());
            return reader.position();
        }
    }

    private Path path()
    {
        return ChannelDescriptor.channelPath(root, CHANNEL_ID);
    }

    private ChannelWriter.Context context(final ProcessIdentity observer)
    {
        return new ChannelWriter.Context().root(root).channelId(CHANNEL_ID).preTouch(false).observer(observer);
    }
}
