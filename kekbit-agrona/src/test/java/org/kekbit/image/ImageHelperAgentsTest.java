package org.kekbit.image;

import java.nio.file.Path;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.MappingReleaser;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agents an image hands to other threads: the journal's segment creator, the mapping releaser, and group commit
 * on an agent.
 */
class ImageHelperAgentsTest
{
    private static final long SEGMENT_CAPACITY = 64 * 1024;

    @TempDir
    Path folder;

    private final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);

    SystemImage.Context context()
    {
        return new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotMode(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)
            .segmentCapacity(SEGMENT_CAPACITY)
            .preTouch(false);
    }

    long submit(final SystemImage image, final int i)
    {
        LedgerStateMachine.encode(command, 0, i % 97, i, i);
        final long position = image.submit(
            0 == i % 5 ? LedgerStateMachine.REMOVE : LedgerStateMachine.ADD, command, 0,
            LedgerStateMachine.COMMAND_LENGTH);
        assertTrue(position > 0, "submit: " + position);
        return position;
    }

    @Test
    void shouldCreateSegmentsOnAgentAndUnmapOnReleaserWhenAsked() throws Exception
    {
        final MappingReleaser releaser = new MappingReleaser();
        final long digest;
        final long position;
        try (SystemImage image = SystemImage.launch(context().createSegmentsOnAgent(true).mappingReleaser(releaser)))
        {
            final Agent creator = image.segmentCreator();
            long unmapped = 0;
            for (int i = 0; image.journalRolls() < 4; i++)
            {
                submit(image, i);
                image.doWork(); // asks for the next segment after a roll, takes it once created
                creator.doWork(); // the helper thread's work, here in turn
                unmapped += releaser.doWork();
            }
            assertEquals(0, image.inlineSegmentCreations(), "no roll created a segment on the serving thread");
            assertTrue(unmapped >= image.journalRolls(), "each segment rolled from was unmapped by the releaser: " +
                "unmapped=" + unmapped + ", rolls=" + image.journalRolls());
            digest = image.stateMachine().stateDigest();
            position = image.position();
        }
        releaser.onClose();
        try (SystemImage image = SystemImage.launch(context()))
        {
            assertEquals(position, image.position());
            assertEquals(digest, image.stateMachine().stateDigest());
        }
    }

    @Test
    void shouldRefuseCommandAtRollThenRollInlineWhenSegmentCreatorIsNotRun()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_000_000);
        try (SystemImage image = SystemImage.launch(context().createSegmentsOnAgent(true).epochClock(clock)))
        {
            int i = 0;
            long result;
            while (image.journalRolls() < 2)
            {
                LedgerStateMachine.encode(command, 0, i % 97, i, i);
                result = image.submit(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
                if (SystemImage.ROLL_FAILED == result)
                {
                    final long position = image.position();
                    final long digest = image.stateMachine().stateDigest();
                    clock.advance(JournalWriter.Context.DEFAULT_SEGMENT_CREATOR_TIMEOUT_MS); // the creator never ran
                    assertEquals(position, image.position(), "a refused command is neither journaled nor applied");
                    assertEquals(digest, image.stateMachine().stateDigest());
                    continue; // the same command again
                }
                assertTrue(result > 0, "submit: " + result);
                image.doWork();
                i++;
            }
            assertEquals(2, image.inlineSegmentCreations(), "a creator not run costs a wait, never a command");
        }
    }

    @Test
    @Timeout(30)
    void shouldCreateSegmentsAndUnmapOnShadowsThreadWhenAsked() throws Exception
    {
        final CachedEpochClock clock = new CachedEpochClock(); // never advances: no roll creates a segment inline
        clock.update(1_000_000);
        final MappingReleaser releaser = new MappingReleaser();
        try (SystemImage image = SystemImage.launch(context()
            .snapshotMode(SystemImage.SnapshotMode.SHADOW)
            .createSegmentsOnAgent(true)
            .mappingReleaser(releaser)
            .helpersOnShadowThread(true)
            .epochClock(clock)))
        {
            assertThrows(IllegalStateException.class, image::segmentCreator, "the shadow's thread runs it");
            final long deadlineNs = System.nanoTime() + 20_000_000_000L; // loops that wait fail, never hang
            for (int i = 0; image.journalRolls() < 4; )
            {
                assertTrue(System.nanoTime() < deadlineNs, "no segment made after " + image.journalRolls() + " rolls");
                LedgerStateMachine.encode(command, 0, i % 97, i, i);
                final long result = image.submit(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
                image.doWork();
                if (SystemImage.ROLL_FAILED == result)
                {
                    Thread.yield(); // the shadow's thread is still making the next segment: only that thread makes it
                    continue;
                }
                assertTrue(result > 0, "submit: " + result);
                i++;
            }
            assertEquals(0, image.inlineSegmentCreations(), "no roll created a segment on the serving thread");
            while (releaser.pending() > 0)
            {
                assertTrue(System.nanoTime() < deadlineNs, "mappings never unmapped: " + releaser.pending());
                // Every segment rolled from was handed to the releaser (4 at least); only the shadow's thread runs it.
                Thread.yield();
            }
            assertEquals(null, image.shadowError());
        }
    }

    @Test
    void shouldRefuseHelpersOnShadowThreadWithoutShadowOrSegmentCreator()
    {
        final IllegalArgumentException noCreator = assertThrows(IllegalArgumentException.class, () ->
            context().snapshotMode(SystemImage.SnapshotMode.SHADOW).helpersOnShadowThread(true).conclude());
        assertEquals("helpersOnShadowThread needs snapshotMode SHADOW and createSegmentsOnAgent(true): " +
            "snapshotMode=SHADOW, createSegmentsOnAgent=false", noCreator.getMessage());
        final IllegalArgumentException noShadow = assertThrows(IllegalArgumentException.class, () ->
            context().createSegmentsOnAgent(true).helpersOnShadowThread(true).conclude());
        assertTrue(noShadow.getMessage().contains("snapshotMode=INLINE"), noShadow.getMessage());
    }

    @Test
    void shouldRefuseAgentsTheContextDidNotAskFor()
    {
        try (SystemImage image = SystemImage.launch(context().forcePolicy(SystemImage.ForcePolicy.GROUP)))
        {
            assertThrows(IllegalStateException.class, image::segmentCreator);
            assertThrows(IllegalStateException.class, image::forceAgent);
        }
    }

    @Test
    void shouldForceOnAgentOncePerIntervalAndNeverOnServingThread() throws Exception
    {
        final long[] nowNs = {0};
        try (SystemImage image = SystemImage.launch(context()
            .forcePolicy(SystemImage.ForcePolicy.GROUP_ON_AGENT)
            .forceIntervalNs(1000)
            .nanoClock(() -> nowNs[0])))
        {
            final Agent agent = image.forceAgent();
            assertEquals(0, image.forcedPosition());
            final long first = submit(image, 1);
            image.doWork();
            nowNs[0] += 5000;
            image.doWork();
            assertEquals(0, image.forcedPosition(), "the serving thread never forces");

            assertEquals(1, agent.doWork());
            assertEquals(first, image.forcedPosition());
            assertEquals(0, agent.doWork(), "nothing new to force");

            final long second = submit(image, 2);
            assertEquals(0, agent.doWork(), "not before the interval");
            assertEquals(first, image.forcedPosition());
            nowNs[0] += 1000;
            assertEquals(1, agent.doWork());
            assertEquals(second, image.forcedPosition());

            for (int i = 3; image.journalRolls() < 3; i++) // a force spanning segments rolled from
            {
                submit(image, i);
                image.doWork();
            }
            nowNs[0] += 1000;
            assertEquals(1, agent.doWork());
            assertEquals(image.position(), image.forcedPosition());
        }
    }

    @Test
    @Timeout(60)
    void shouldAdvanceForcedPositionOnAgentThreadNeverPastWrittenPosition()
    {
        final int commands = 20_000;
        final long finalPosition;
        try (SystemImage image = SystemImage.launch(context()
            .forcePolicy(SystemImage.ForcePolicy.GROUP_ON_AGENT)
            .forceIntervalNs(0)))
        {
            final AgentRunner runner = new AgentRunner(
                new YieldingIdleStrategy(), Throwable::printStackTrace, null, image.forceAgent());
            AgentRunner.startOnThread(runner);
            try
            {
                long lastForced = 0;
                for (int i = 0; i < commands; i++)
                {
                    final long position = submit(image, i);
                    image.doWork();
                    final long forced = image.forcedPosition();
                    assertTrue(forced <= position, "forced=" + forced + " past written=" + position);
                    assertTrue(forced >= lastForced, "forced went back: " + lastForced + " -> " + forced);
                    lastForced = forced;
                }
                finalPosition = image.position();
                while (image.forcedPosition() < finalPosition)
                {
                    Thread.onSpinWait(); // the agent catches up: @Timeout bounds the wait
                }
                assertEquals(finalPosition, image.forcedPosition());
                assertTrue(image.journalRolls() > 0);
            }
            finally
            {
                image.close();
                runner.close();
            }
        }
        try (SystemImage image = SystemImage.launch(context().forcePolicy(SystemImage.ForcePolicy.GROUP_ON_AGENT)))
        {
            assertEquals(finalPosition, image.position());
            assertEquals(0, image.forcedPosition(), "at launch only what recovery knows was forced");
        }
    }
}
