package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

/**
 * The next segment made by the segment creator agent instead of the writer's duty cycle: handed over whole, never
 * made twice, never left behind.
 */
class JournalSegmentCreatorTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldRollOnSegmentsTheAgentCreatedAndNeverCreateInlineWhenAgentKeepsUp()
    {
        final long records = 500;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true)))
        {
            final JournalSegmentCreator creator = (JournalSegmentCreator)writer.segmentCreator();
            for (long sequence = 0; sequence < records; sequence++)
            {
                writer.doWork(); // asks for the next segment, or takes it
                creator.doWork(); // makes it: on this thread here, to interleave deterministically
                writer.doWork();
                assertTrue(write(writer, scratch, sequence) > 0);
            }
            assertTrue(writer.rolls() >= 20, "rolls=" + writer.rolls());
            assertEquals(0, writer.inlineSegmentCreations(), "every segment came from the agent");
        }

        assertEveryRecordReadable(records);
        assertNoNextSegmentLeft();
    }

    @Test
    void shouldRollOnSegmentsTheAgentMadeWhenAnAgentInvokerRunsItFromTheWritersDutyCycle()
    {
        final long records = 500;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true)))
        {
            final AgentInvoker invoker = new AgentInvoker(Throwable::printStackTrace, null, writer.segmentCreator());
            invoker.start(); // the agent's thread is this one: the writer's wake after each request only sets a permit
            long rollWaits = 0;
            for (long sequence = 0; sequence < records; sequence++)
            {
                writer.doWork();
                invoker.invoke();
                long result;
                while (JournalWriter.ROLL_FAILED == (result = write(writer, scratch, sequence)))
                {
                    assertEquals(ChannelException.Reason.NOT_READY, writer.lastRollFailure().reason());
                    rollWaits++;
                    invoker.invoke(); // the request waits for this thread's agent: run it
                }
                assertTrue(result > 0, "write returned " + result);
            }
            invoker.close();
            assertTrue(writer.rolls() >= 20, "rolls=" + writer.rolls());
            assertEquals(0, writer.inlineSegmentCreations(), "every segment came from the agent");
            assertEquals(0, rollWaits, "the duty cycle asks and the invoker makes before the segment fills");
        }

        assertEveryRecordReadable(records);
        assertNoNextSegmentLeft();
    }

    @Test
    void shouldLinkTheNextSegmentOnStandbyOnTheAgentsThreadSoThatTheRollOnlyActivatesIt()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true)))
        {
            final JournalSegmentCreator creator = (JournalSegmentCreator)writer.segmentCreator();
            final Path second = JournalDescriptor.segmentPath(folder, JournalTestSupport.SEGMENT_CAPACITY);
            writer.doWork();
            assertFalse(Files.exists(second), "asked for, not made by the writer");
            assertEquals(1, creator.doWork());
            assertTrue(Files.exists(second), "linked under its name by the agent, ahead of the roll");
            assertTrue(ChannelReader.isOnStandby(second), "but not ready for readers");
            assertFalse(Files.exists(JournalDescriptor.nextSegmentPath(folder, JournalTestSupport.SEGMENT_CAPACITY)),
                "its temporary name is gone already");
            assertEquals(1, JournalFiles.allSegmentBases(folder).size() - JournalFiles.segmentBases(folder).size(),
                "listings leave the standby out");
            writer.doWork(); // takes the segment
            long sequence = 0;
            while (writer.rolls() == 0)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
            }
            assertEquals(0, writer.inlineSegmentCreations());
            assertFalse(ChannelReader.isOnStandby(second), "the roll activated it");
            assertEquals(2, JournalFiles.segmentBases(folder).size());
            assertFalse(Files.exists(JournalDescriptor.segmentPath(folder, 2 * JournalTestSupport.SEGMENT_CAPACITY)));
            assertEquals(1, creator.doWork(), "the roll asked for the next one at once");
            assertTrue(ChannelReader.isOnStandby(
                JournalDescriptor.segmentPath(folder, 2 * JournalTestSupport.SEGMENT_CAPACITY)));
        }
        assertNoNextSegmentLeft();
    }

    @Test
    @Timeout(60)
    void shouldWakeAParkedAgentForEachRequestInsteadOfLeavingItToTheEndOfItsSleep()
    {
        final long records = 200;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true));
            AgentRunner runner = new AgentRunner(new SleepingIdleStrategy(TimeUnit.MINUTES.toNanos(1)),
                Throwable::printStackTrace, null, writer.segmentCreator()))
        {
            AgentRunner.startOnThread(runner);
            long sequence = 0;
            while (sequence < records)
            {
                final long result = write(writer, scratch, sequence);
                if (result > 0)
                {
                    sequence++;
                }
                else
                {
                    assertEquals(JournalWriter.ROLL_FAILED, result, "only while the agent makes the segment");
                    Thread.onSpinWait();
                }
                writer.doWork(); // after a roll's request: wakes the agent, which would otherwise park a minute
            }
            assertTrue(writer.rolls() >= 10, "rolls=" + writer.rolls());
            assertEquals(0, writer.inlineSegmentCreations(), "every segment came from the woken agent");
        }

        assertEveryRecordReadable(records);
        assertNoNextSegmentLeft();
    }

    @Test
    void shouldWaitForAgentToTakeRequestUpThenCreateInlineOnceTimeoutPasses()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_000_000);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true)
            .segmentCreatorTimeoutMs(500).epochClock(clock)))
        {
            long sequence = 0;
            long result;
            writer.doWork(); // the request, which no agent takes up
            while ((result = write(writer, scratch, sequence)) > 0)
            {
                sequence++;
            }
            assertEquals(JournalWriter.ROLL_FAILED, result, "waits for the agent rather than stalling on a creation");
            assertEquals(ChannelException.Reason.NOT_READY, writer.lastRollFailure().reason());
            clock.advance(499);
            assertEquals(JournalWriter.ROLL_FAILED, write(writer, scratch, sequence));
            assertEquals(0, writer.inlineSegmentCreations());

            clock.advance(1);
            assertTrue(write(writer, scratch, sequence++) > 0, "once the timeout has passed, the roll creates it");
            assertEquals(1, writer.rolls());
            assertEquals(1, writer.inlineSegmentCreations());
            final JournalSegmentCreator creator = (JournalSegmentCreator)writer.segmentCreator();
            assertTrue(creator.isRequested(), "the roll asked for the next one at once");
            assertEquals(1, creator.doWork());
            writer.doWork();
            while (writer.rolls() < 2)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
            }
            assertEquals(1, writer.inlineSegmentCreations(), "the second came from the agent");
        }
    }

    @Test
    void shouldCreateInlineWhenAgentNeverRunsAndTimeoutIsZero()
    {
        final long records = 300;
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).createSegmentsOnAgent(true).segmentCreatorTimeoutMs(0)))
        {
            for (long sequence = 0; sequence < records; sequence++)
            {
                writer.doWork();
                assertTrue(write(writer, scratch, sequence) > 0, "a request nobody took up is cancelled");
            }
            assertTrue(writer.rolls() >= 10, "rolls=" + writer.rolls());
            assertEquals(writer.rolls(), writer.inlineSegmentCreations());
        }

        assertEveryRecordReadable(records);
        assertNoNextSegmentLeft();
    }

    @Test
    void shouldReturnRollFailedWhileAgentCreatesAndRollOnceItHandsOver()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true)))
        {
            final JournalSegmentCreator creator = (JournalSegmentCreator)writer.segmentCreator();
            writer.doWork(); // the request
            long sequence = 0;
            while (writer.rolls() == 0 && sequence < 100)
            {
                creator.state.set(JournalSegmentCreator.CREATING); // as if the agent had just taken the request
                final long result = write(writer, scratch, sequence);
                if (JournalWriter.ROLL_FAILED == result)
                {
                    assertEquals(0, writer.rolls());
                    assertTrue(writer.lastRollFailure().getMessage().contains("segment creator agent"));
                    creator.state.set(JournalSegmentCreator.REQUESTED);
                    creator.doWork(); // hands it over
                    assertTrue(write(writer, scratch, sequence) > 0, "the next write takes the segment and rolls");
                    assertEquals(1, writer.rolls());
                    assertNull(writer.lastRollFailure());
                }
                creator.state.compareAndSet(JournalSegmentCreator.CREATING, JournalSegmentCreator.REQUESTED);
                sequence++;
            }
            assertEquals(1, writer.rolls());
            assertEquals(0, writer.inlineSegmentCreations());
        }
        assertNoNextSegmentLeft();
    }

    @Test
    void shouldDeleteSegmentMadeButNotTakenWhenWriterCloses()
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true));
        final JournalSegmentCreator creator = (JournalSegmentCreator)writer.segmentCreator();
        writer.doWork();
        creator.doWork();
        assertTrue(ChannelReader.isOnStandby(
            JournalDescriptor.segmentPath(folder, JournalTestSupport.SEGMENT_CAPACITY)));

        writer.close();

        assertNoNextSegmentLeft();
        assertEquals(0, creator.doWork(), "closed: nothing more is made");
    }

    @Test
    @Timeout(60)
    void shouldLeaveNoSegmentBehindWhenWriterClosesWhileAgentCreates() throws IOException
    {
        for (int run = 0; run < 30; run++)
        {
            final Path runFolder = Files.createDirectories(folder.resolve("run-" + run));
            final JournalWriter writer = JournalWriter.create(writerContext(runFolder).createSegmentsOnAgent(true));
            final AgentRunner creatorRunner = new AgentRunner(
                new SleepingMillisIdleStrategy(0), Throwable::printStackTrace, null, writer.segmentCreator());
            AgentRunner.startOnThread(creatorRunner);
            writer.doWork(); // the request the agent takes up any moment now
            for (int spin = 0; spin < run * 1000; spin++)
            {
                Thread.onSpinWait(); // close at a different moment of the creation in each run
            }
            writer.close();
            creatorRunner.close(); // waits for the agent's thread to end
            try (Stream<Path> files = Files.list(runFolder))
            {
                assertEquals(List.of(), files.filter((file) -> ChannelReader.isOnStandby(file) ||
                    file.getFileName().toString().startsWith(JournalDescriptor.NEXT_SEGMENT_PREFIX))
                    .map((file) -> file.getFileName().toString()).toList(),
                    "run " + run + ": no standby after the CLOSED segment");
            }
        }
    }

    @Test
    void shouldRefuseSegmentCreatorWhenContextDidNotAskForIt()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            assertThrows(IllegalStateException.class, writer::segmentCreator);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, 1 })
    @Timeout(60)
    void shouldDeliverEveryRecordWhenAgentRunsOnItsOwnThread(final long creatorSleepMs) throws Exception
    {
        final long records = 2_000; // about 250 rolls, each waiting for the agent: the writer outruns it here
        final JournalWriter writer = JournalWriter.create(writerContext(folder).createSegmentsOnAgent(true));
        final AgentRunner creatorRunner = new AgentRunner(new SleepingMillisIdleStrategy(creatorSleepMs),
            Throwable::printStackTrace, null, writer.segmentCreator());
        AgentRunner.startOnThread(creatorRunner);
        try
        {
            for (long sequence = 0; sequence < records; sequence++)
            {
                writer.doWork();
                long result;
                while (JournalWriter.ROLL_FAILED == (result = write(writer, scratch, sequence)))
                {
                    // Only one failure is expected: the agent is still making the segment and hands it over soon.
                    assertEquals(ChannelException.Reason.NOT_READY, writer.lastRollFailure().reason(),
                        writer.lastRollFailure().getMessage());
                    Thread.onSpinWait();
                }
                assertTrue(result > 0, "write returned " + result);
            }
            assertTrue(writer.rolls() >= 100, "rolls=" + writer.rolls());
        }
        finally
        {
            writer.close();
            creatorRunner.close();
        }

        assertEveryRecordReadable(records);
        assertNoNextSegmentLeft();
    }

    private void assertEveryRecordReadable(final long records)
    {
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(checker, 100) > 0)
            {
                assertTrue(checker.next <= records);
            }
            assertEquals(JournalState.CLOSED, reader.state());
        }
        assertEquals(List.of(), checker.errors);
        assertEquals(records, checker.next);
    }

    private void assertNoNextSegmentLeft()
    {
        try (Stream<Path> files = Files.list(folder))
        {
            final List<String> left = files.filter((file) -> ChannelReader.isOnStandby(file) ||
                file.getFileName().toString().startsWith(JournalDescriptor.NEXT_SEGMENT_PREFIX) ||
                file.getFileName().toString().endsWith(".tmp"))
                .map((file) -> file.getFileName().toString())
                .toList();
            assertEquals(List.of(), left);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
