package org.kekbit.channel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a writer leaves in the header when {@link ChannelWriter#create} or {@link ChannelWriter#resume} hands it
 * over: a large channel takes a while to pre-touch, and readers that judge the writer by its heartbeat must not take
 * the new writer for dead meanwhile.
 */
class ChannelTakeoverTest
{
    /**
     * Pre-touching this much of a file on disk takes far longer than {@link #TIMEOUT_MS}.
     */
    private static final long LARGE_CAPACITY = 128L << 20;
    private static final long TIMEOUT_MS = 50;

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
        try (ChannelWriter writer = ChannelWriter.create(context()))
        {
            final long returnedAtMs = System.currentTimeMillis();
            assertHeartbeatFresh(writer.path(), returnedAtMs);
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
        Thread.sleep(2 * TIMEOUT_MS); // the crashed writer of this process is taken for dead once its heartbeat is

        try (ChannelWriter resumed = ChannelWriter.resume(context()))
        {
            final long returnedAtMs = System.currentTimeMillis();
            assertEquals(crashed.position(), resumed.position());
            assertHeartbeatFresh(path, returnedAtMs);
        }
    }

    private static void assertHeartbeatFresh(final Path path, final long returnedAtMs)
    {
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().file(path).checkWriterProcess(false)))
        {
            final long heartbeatAgeMs = returnedAtMs - reader.header().heartbeatTimeMs();
            assertTrue(heartbeatAgeMs <= TIMEOUT_MS / 2, "heartbeat " + heartbeatAgeMs + " ms old when handed over");
            assertEquals(ChannelState.OPEN, reader.state(), "a writer just handed over is alive");
        }
    }

    private ChannelWriter.Context context()
    {
        return new ChannelWriter.Context().root(root).channelId(11).capacity(LARGE_CAPACITY).timeoutMs(TIMEOUT_MS);
    }
}
