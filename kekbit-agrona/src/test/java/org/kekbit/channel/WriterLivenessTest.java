package org.kekbit.channel;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The one liveness rule, case by case, on a header in memory: a live process decides where it can be seen, a fresh
 * heartbeat decides where it cannot, and no verdict sticks.
 */
class WriterLivenessTest
{
    private static final long TIMEOUT_MS = 1_000;
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final ProcessIdentity SELF = ProcessIdentity.CURRENT;
    private static final Object FILE_KEY = new Object();

    private final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
    private final CachedEpochClock clock = new CachedEpochClock();
    private final WriterLiveness liveness = new WriterLiveness(header, FILE_KEY, TIMEOUT_MS, clock, SELF);
    private Process child;

    @AfterEach
    void after() throws InterruptedException
    {
        liveness.close();
        WriterLiveness.unregisterOpenWriter(FILE_KEY);
        if (null != child)
        {
            child.destroyForcibly().waitFor();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "0, true", "-999, true", "-1000, true", "-1001, false", "999, true", "1000, true", "1001, false" })
    void shouldJudgeByHeartbeatAloneWhenWritersNamespaceCannotBeSeen(final long ageMs, final boolean isAlive)
    {
        writerIs(SELF.pid, SELF.startTicks, SELF.namespaceId ^ 1, NOW_MS + ageMs);
        clock.update(NOW_MS);
        assertEquals(isAlive, liveness.isAlive(), "heartbeat " + ageMs + " ms " + (ageMs < 0 ? "ahead" : "old"));
    }

    @Test
    void shouldNotTakeGarbageHeartbeatsForFreshWhenArithmeticWouldWrap()
    {
        clock.update(NOW_MS);
        for (final long heartbeatMs : new long[]{ Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE, -1 })
        {
            writerIs(1, 1, SELF.namespaceId ^ 1, heartbeatMs);
            assertFalse(liveness.isAlive(), "heartbeat=" + heartbeatMs);
        }
        assertFalse(WriterLiveness.isFresh(Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE));
        assertTrue(WriterLiveness.isFresh(0, Long.MAX_VALUE, Long.MAX_VALUE));
        assertTrue(WriterLiveness.isFresh(Long.MAX_VALUE, 0, Long.MAX_VALUE));
    }

    @Test
    @Timeout(30)
    void shouldJudgeByProcessAloneWhenItCanBeSeen() throws Exception
    {
        assumeTrue(0 != SELF.namespaceId, "no /proc here: writers are judged by heartbeat only");
        child = new ProcessBuilder("sleep", "60").start();
        final long startTicks = ProcessIdentity.startTicks(child.pid());
        clock.update(NOW_MS);

        writerIs(child.pid(), startTicks, SELF.namespaceId, 0);
        assertTrue(liveness.isAlive(), "a live process is alive however stale its heartbeat");

        writerIs(child.pid(), startTicks + 1, SELF.namespaceId, NOW_MS);
        clock.advance(WriterLiveness.PROCESS_CHECK_INTERVAL_MS);
        assertFalse(liveness.isAlive(), "another start: a reused pid, not the writer, however fresh the heartbeat");

        writerIs(child.pid(), startTicks, SELF.namespaceId, NOW_MS);
        clock.advance(WriterLiveness.PROCESS_CHECK_INTERVAL_MS);
        assertTrue(liveness.isAlive(), "the verdict is not sticky");

        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        clock.advance(WriterLiveness.PROCESS_CHECK_INTERVAL_MS);
        assertFalse(liveness.isAlive(), "dead at once, however fresh the heartbeat");
    }

    @Test
    void shouldTakeThisProcessForAliveOnlyWhileItHasTheWriterOpen()
    {
        writerIs(SELF.pid, SELF.startTicks, SELF.namespaceId, NOW_MS);
        clock.update(NOW_MS);
        assertEquals(0 == SELF.namespaceId, liveness.isAlive(), "no writer open here: what is left of a dropped one");

        assertTrue(WriterLiveness.registerOpenWriter(FILE_KEY));
        assertFalse(WriterLiveness.registerOpenWriter(FILE_KEY), "one open writer per file in a JVM");
        clock.advance(1_000 * TIMEOUT_MS);
        assertTrue(liveness.isAlive(), "an open writer of this JVM is alive whatever its heartbeat");
    }

    @Test
    void shouldJudgeTakeOverInProgressByHeartbeat()
    {
        writerIs(-SELF.pid, SELF.startTicks, SELF.namespaceId, NOW_MS);
        clock.update(NOW_MS + TIMEOUT_MS);
        assertTrue(liveness.isAlive());
        clock.update(NOW_MS + TIMEOUT_MS + 1);
        assertFalse(liveness.isAlive(), "a resumer that died mid-take-over is dead once its heartbeat is stale");
    }

    @Test
    void shouldParseStartTicksAndStateWhenCommandHoldsSpacesAndParentheses()
    {
        final StringBuilder stat = new StringBuilder("1234 (a (b) c) S 1");
        for (int field = 5; field <= 21; field++)
        {
            stat.append(' ').append(field);
        }
        stat.append(" 98765 23 24\n");
        final byte[] bytes = stat.toString().getBytes();

        assertEquals(98765, ProcessIdentity.parseStartTicks(bytes, bytes.length));
        assertEquals('S', ProcessIdentity.parseState(bytes, bytes.length));
        assertEquals(0, ProcessIdentity.parseStartTicks(bytes, 30), "a cut line gives no start");
        assertTrue(ProcessIdentity.startTicks(ProcessHandle.current().pid()) == SELF.startTicks);
    }

    private void writerIs(final long pid, final long startTicks, final long namespaceId, final long heartbeatTimeMs)
    {
        header.putLong(ChannelHeaderDecoder.writerPidEncodingOffset(), pid);
        ChannelDescriptor.writerProcessOrdered(header, startTicks, namespaceId);
        ChannelDescriptor.heartbeatTimeMsRelease(header, heartbeatTimeMs);
    }
}
