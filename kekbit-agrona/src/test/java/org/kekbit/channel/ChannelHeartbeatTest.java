package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelHeartbeatTest
{
    private static final long START_MS = 1_700_000_000_000L;
    private static final long TIMEOUT_MS = 100;
    private static final int CAPACITY = 64 * 1024;

    @TempDir
    Path root;

    private final CachedEpochClock writerClock = new CachedEpochClock();
    private final CachedEpochClock readerClock = new CachedEpochClock();
    private final List<Throwable> errors = new ArrayList<>();
    private ChannelWriter writer;

    @BeforeEach
    void before()
    {
        writerClock.update(START_MS);
        readerClock.update(START_MS);
        writer = ChannelWriter.create(ChannelTestSupport.writerContext(root, CAPACITY, 1024)
            .timeoutMs(TIMEOUT_MS)
            .epochClock(writerClock));
    }

    @AfterEach
    void after()
    {
        writer.close();
    }

    @Test
    void shouldReportAbandonedOnlyAfterEverythingIsReadWhenHeartbeatIsOlderThanTimeout()
    {
        writer.write(1, payload(8, 1), 0, 8);
        writer.write(2, payload(8, 2), 0, 8);
        try (ChannelReader reader = openReader())
        {
            readerClock.update(START_MS + TIMEOUT_MS + 1);

            assertEquals(ChannelState.OPEN, reader.state(), "records remain unread");
            assertEquals(1, reader.poll(new RecordCollector(), 1));
            assertEquals(ChannelState.OPEN, reader.state(), "a record remains unread");
            assertEquals(1, reader.poll(new RecordCollector(), 1));
            assertEquals(ChannelState.ABANDONED, reader.state());
            assertFalse(reader.state().isEnd(), "ABANDONED is not an end: a writer may resume");
            assertTrue(reader.state().isEndOrAbandoned());
            assertEquals(writer.position(), reader.position());
        }
    }

    @Test
    void shouldStampHeartbeatWhenChannelIsPublishedWhenCreationTakesLongerThanTimeout()
    {
        // Each reading of this clock is more than a timeout after the one before, as when touching every page of
        // a large channel takes longer than the timeout.
        final long[] lastReadingMs = {START_MS};
        final EpochClock slowClock = () -> lastReadingMs[0] += 2 * TIMEOUT_MS;
        try (ChannelWriter slowWriter = ChannelWriter.create(
            ChannelTestSupport.writerContext(root.resolve("slow"), CAPACITY, 1024)
                .timeoutMs(TIMEOUT_MS)
                .epochClock(slowClock));
            ChannelReader reader = ChannelReader.open(new ChannelReader.Context()
                .path(slowWriter.path())
                .epochClock(() -> lastReadingMs[0])
                .observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            assertEquals(lastReadingMs[0], reader.header().heartbeatTimeMs());
            assertTrue(reader.header().creationTimeMs() < reader.header().heartbeatTimeMs());
            assertEquals(ChannelState.OPEN, reader.state(), "a channel just published has a live writer");
        }
    }

    @Test
    void shouldStayOpenWhenHeartbeatIsExactlyTimeoutOld()
    {
        try (ChannelReader reader = openReader())
        {
            readerClock.update(START_MS + TIMEOUT_MS);
            assertEquals(ChannelState.OPEN, reader.state());

            readerClock.update(START_MS + TIMEOUT_MS + 1);
            assertEquals(ChannelState.ABANDONED, reader.state());
        }
    }

    @Test
    void shouldReportOpenAgainWhenWriterRefreshesHeartbeat()
    {
        try (ChannelReader reader = openReader())
        {
            readerClock.update(START_MS + TIMEOUT_MS + 1);
            assertEquals(ChannelState.ABANDONED, reader.state());

            writerClock.update(START_MS + TIMEOUT_MS + 1);
            assertEquals(1, writer.doWork());
            assertEquals(0, writer.doWork(), "nothing to refresh while the clock stands still");

            assertEquals(ChannelState.OPEN, reader.state());
            final long position = writer.write(3, payload(5, 3), 0, 5);
            final RecordCollector collector = new RecordCollector(reader);
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(position, collector.get(0).position());
        }
    }

    @Test
    void shouldStayOpenWhenLiveWriterKeepsHeartbeatFresh()
    {
        try (ChannelReader reader = openReader())
        {
            for (int i = 1; i <= 20; i++)
            {
                writerClock.update(START_MS + i * TIMEOUT_MS / 2);
                readerClock.update(START_MS + i * TIMEOUT_MS / 2);
                assertEquals(1, writer.doWork());
                assertEquals(ChannelState.OPEN, reader.state(), "after " + (i * TIMEOUT_MS / 2) + " ms");
            }
        }
    }

    @Test
    void shouldStayOpenWhateverItsHeartbeatWhenReaderCanSeeWritersProcess()
    {
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().path(writer.path()).epochClock(readerClock)))
        {
            readerClock.update(START_MS + TIMEOUT_MS + 1);
            assertEquals(ChannelState.OPEN, reader.state(), "an idle writer open in a live process is alive");
            readerClock.update(START_MS + 1_000 * TIMEOUT_MS);
            assertEquals(ChannelState.OPEN, reader.state(), "however long its duty cycle has not run");

            writer.crash();
            assertEquals(ChannelState.ABANDONED, reader.state(), "dropped without closing: dead at once");
        }
    }

    @Test
    void shouldNotRefreshHeartbeatWhenWriterIsClosed()
    {
        writer.close();
        writerClock.update(START_MS + 1);

        assertEquals(0, writer.doWork());
    }

    @Test
    @Timeout(10)
    void shouldEndInvokerWithClosedWhenWriterClosesAfterLastRecord()
    {
        final CachedEpochClock agentClock = new CachedEpochClock();
        final ChannelReader reader = openReader();
        final RecordCollector collector = new RecordCollector(reader);
        final ChannelReaderAgent agent = new ChannelReaderAgent(reader, collector, 7, agentClock);
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, agent);
        invoker.start();

        writeRecords(0, 10);
        while (collector.size() < 10)
        {
            invoker.invoke();
        }
        agentClock.advance(1);
        assertEquals(0, invoker.invoke());
        assertFalse(invoker.isClosed());
        assertNull(agent.endState());

        writeRecords(10, 50);
        writer.close();
        while (!invoker.isClosed())
        {
            agentClock.advance(1);
            invoker.invoke();
        }

        assertEquals(ChannelState.CLOSED, agent.endState());
        assertEquals(50, collector.size());
        for (int i = 0; i < 50; i++)
        {
            assertEquals(i, collector.get(i).msgTypeId());
        }
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(0, reader.poll(collector, 10), "closing the agent closed the reader");
        assertThrows(IllegalStateException.class, () -> reader.seek(0));
    }

    @Test
    void shouldCheckStateOncePerMillisecondWhenNothingIsLeftToRead()
    {
        final CachedEpochClock agentClock = new CachedEpochClock();
        final ChannelReader reader = openReader();
        final ChannelReaderAgent agent = new ChannelReaderAgent(reader, new RecordCollector(), 10, agentClock);
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, agent);
        invoker.start();
        assertEquals(0, invoker.invoke());

        writer.close();
        assertEquals(0, invoker.invoke());
        assertEquals(0, invoker.invoke());

        assertFalse(invoker.isClosed(), "the state was checked in this millisecond already");
        assertNull(agent.endState());
        agentClock.advance(1);
        invoker.invoke();
        assertTrue(invoker.isClosed());
        assertEquals(ChannelState.CLOSED, agent.endState());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void shouldEndInvokerWithAbandonedWhenChannelStaysAbandonedForMaxAbandonedMs()
    {
        final ChannelReader reader = openReader();
        final RecordCollector collector = new RecordCollector();
        final ChannelReaderAgent agent = new ChannelReaderAgent(reader, collector, 10, readerClock, true, TIMEOUT_MS);
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, agent);
        invoker.start();
        writeRecords(0, 3);

        assertEquals(3, invoker.invoke());
        readerClock.advance(TIMEOUT_MS + 1);
        invoker.invoke();
        assertFalse(invoker.isClosed(), "abandoned: waiting for a writer to resume");
        readerClock.advance(TIMEOUT_MS - 1);
        invoker.invoke();
        assertFalse(invoker.isClosed());
        readerClock.advance(1);
        invoker.invoke();

        assertTrue(invoker.isClosed());
        assertEquals(ChannelState.ABANDONED, agent.endState());
        assertEquals(3, collector.size());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void shouldFollowThroughWriterRestartWhenChannelIsAbandoned()
    {
        final ChannelReader reader = openReader();
        final RecordCollector collector = new RecordCollector();
        final ChannelReaderAgent agent = new ChannelReaderAgent(reader, collector, 10, readerClock);
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, agent);
        invoker.start();
        writeRecords(0, 3);
        assertEquals(3, invoker.invoke());

        writer.crash();
        readerClock.advance(100 * TIMEOUT_MS);
        invoker.invoke();
        assertFalse(invoker.isClosed(), "followers follow an abandoned channel by default");
        assertEquals(ChannelState.ABANDONED, reader.state());

        writerClock.update(readerClock.time());
        writer = ChannelWriter.resume(new ChannelWriter.Context().path(writer.path()).epochClock(writerClock));
        writeRecords(3, 5);
        readerClock.advance(1);
        assertEquals(2, invoker.invoke());
        assertEquals(5, collector.size());
        assertEquals(ChannelState.OPEN, reader.state());

        writer.close();
        readerClock.advance(1);
        invoker.invoke();
        readerClock.advance(1);
        invoker.invoke();
        assertTrue(invoker.isClosed());
        assertEquals(ChannelState.CLOSED, agent.endState());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void shouldEndInvokerWithFullWhenRecordDidNotFit()
    {
        final ChannelReader reader = openReader();
        final RecordCollector collector = new RecordCollector();
        final ChannelReaderAgent agent = new ChannelReaderAgent(reader, collector, 10, readerClock);
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, agent);
        invoker.start();
        int written = 0;
        while (writer.write(written, payload(1000, written), 0, 1000) > 0)
        {
            written++;
        }
        assertTrue(writer.isFull());

        while (!invoker.isClosed())
        {
            readerClock.advance(1);
            invoker.invoke();
        }

        assertEquals(ChannelState.FULL, agent.endState());
        assertEquals(CAPACITY / ChannelTestSupport.alignedRecordLength(1000), written);
        assertEquals(written, collector.size());
        assertEquals(written - 1, collector.get(written - 1).msgTypeId());
    }

    @Test
    @Timeout(10)
    void shouldStayIdleInCompositeWhenNotTerminatingOnEnd()
    {
        final CachedEpochClock agentClock = new CachedEpochClock();
        final RecordCollector collector = new RecordCollector();
        final ChannelReaderAgent readerAgent = new ChannelReaderAgent(openReader(), collector, 10, agentClock, false);
        final CountingAgent otherAgent = new CountingAgent();
        final AgentInvoker invoker = new AgentInvoker(
            errors::add, null, new CompositeAgent(readerAgent, otherAgent));
        invoker.start();

        writeRecords(0, 25);
        writer.close();
        while (null == readerAgent.endState())
        {
            agentClock.advance(1);
            invoker.invoke();
        }
        final int dutyCycles = otherAgent.dutyCycles;

        assertEquals(ChannelState.CLOSED, readerAgent.endState());
        assertEquals(25, collector.size());
        for (int i = 0; i < 10; i++)
        {
            agentClock.advance(1);
            assertEquals(1, invoker.invoke(), "only the other agent does work");
        }
        assertEquals(dutyCycles + 10, otherAgent.dutyCycles);
        assertFalse(invoker.isClosed());
        assertTrue(errors.isEmpty(), errors.toString());

        invoker.close();
        assertTrue(otherAgent.isClosed);
        assertEquals(0, readerAgent.reader().poll(collector, 10), "closing the composite closed the reader");
    }

    @Test
    @Timeout(10)
    void shouldEndRunnerThreadByItselfWhenChannelCloses() throws InterruptedException
    {
        final int recordCount = 1000;
        final ChannelReader reader = openReader();
        final CountingHandler handler = new CountingHandler();
        final ChannelReaderAgent agent = new ChannelReaderAgent(reader, handler, 100, SystemEpochClock.INSTANCE);
        final List<Throwable> runnerErrors = new CopyOnWriteArrayList<>();
        final AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(), runnerErrors::add, null, agent);
        final Thread thread = AgentRunner.startOnThread(runner);

        writeRecords(0, recordCount);
        writer.close();
        thread.join();

        assertTrue(runner.isClosed());
        assertEquals(ChannelState.CLOSED, agent.endState());
        assertEquals(recordCount, handler.count);
        assertEquals((long)recordCount * (recordCount - 1) / 2, handler.msgTypeIdSum);
        assertTrue(runnerErrors.isEmpty(), runnerErrors.toString());
        runner.close();
    }

    @Test
    void shouldEndInvokerWithCorruptWhenRecordHeaderIsBad() throws IOException
    {
        writeRecords(0, 3);
        final Path copy = root.resolve("copy.kekbit");
        Files.copy(writer.path(), copy);
        ChannelTestSupport.putRecordHeader(copy, ChannelTestSupport.alignedRecordLength(0), -1, 1);
        final RecordCollector collector = new RecordCollector();
        final ChannelReaderAgent agent = new ChannelReaderAgent(ChannelReader.open(new ChannelReader.Context()
            .path(copy)
            .epochClock(readerClock)
            .observer(ProcessIdentities.OTHER_NAMESPACE)), collector, 10, readerClock);
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, agent);
        invoker.start();

        assertEquals(1, invoker.invoke());
        invoker.invoke();

        assertTrue(invoker.isClosed());
        assertEquals(ChannelState.CORRUPT, agent.endState());
        assertEquals(1, collector.size());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void shouldKeepHeartbeatAndCloseChannelWhenWriterRunsAsAgent()
    {
        final AgentInvoker invoker = new AgentInvoker(errors::add, null, writer);
        invoker.start();
        try (ChannelReader reader = openReader())
        {
            for (int i = 1; i <= 5; i++)
            {
                writerClock.update(START_MS + i * TIMEOUT_MS);
                readerClock.update(START_MS + i * TIMEOUT_MS);
                assertEquals(1, invoker.invoke());
                assertEquals(ChannelState.OPEN, reader.state());
            }
            writeRecords(0, 2);

            invoker.close();

            assertTrue(writer.isClosed());
            assertEquals(2, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, reader.state());
            assertTrue(errors.isEmpty(), errors.toString());
        }
    }

    @Test
    void shouldThrowIllegalArgumentWhenPollLimitIsNotPositive()
    {
        try (ChannelReader reader = openReader())
        {
            assertThrows(IllegalArgumentException.class,
                () -> new ChannelReaderAgent(reader, new RecordCollector(), 0, readerClock));
        }
    }

    @Test
    void shouldNameRoleAfterChannelIdWhenAgentIsBuilt()
    {
        try (ChannelReader reader = openReader())
        {
            final ChannelReaderAgent agent = new ChannelReaderAgent(reader, new RecordCollector(), 1, readerClock);
            assertEquals("kekbit-reader-10000002a", agent.roleName());
            assertEquals("kekbit-writer-10000002a", writer.roleName());
        }
    }

    private ChannelReader openReader()
    {
        return ChannelReader.open(new ChannelReader.Context()
            .path(writer.path())
            .epochClock(readerClock)
            .observer(ProcessIdentities.OTHER_NAMESPACE));
    }

    private void writeRecords(final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            assertTrue(writer.write(i, payload(i % 17, i), 0, i % 17) > 0);
        }
    }

    /**
     * Counts records and sums their type ids, on the runner's thread.
     */
    private static final class CountingHandler implements RecordHandler
    {
        int count;
        long msgTypeIdSum;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            count++;
            msgTypeIdSum += msgTypeId;
        }
    }

    /**
     * Another agent of a composite that always has one unit of work.
     */
    private static final class CountingAgent implements Agent
    {
        int dutyCycles;
        boolean isClosed;

        public int doWork()
        {
            dutyCycles++;
            return 1;
        }

        public void onClose()
        {
            isClosed = true;
        }

        public String roleName()
        {
            return "counting";
        }
    }
}
