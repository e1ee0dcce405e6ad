package org.kekbit.journal;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Iterator;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.BlockHandler;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordHandler;
import org.kekbit.channel.RecordView;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal's hot paths (write, claim/commit, poll, block poll and the iterator on an open segment, a named
 * reader's commit, the writer's duty cycle between rolls) allocate nothing, measured as the channel's
 * HotPathAllocationTest measures.
 */
class JournalHotPathAllocationTest
{
    private static final int ITERATIONS = 20_000;
    private static final int MEASURED_RUNS = 5;
    private static final long ALLOCATED_PER_ROLL_LIMIT = 32 * 1024;
    // With the helpers, the reader's crossing allocates one lstat's attributes (184-208 B measured: the check that the
    // prepared file is the one linked under the segment's name; the limit leaves room for another JDK's objects);
    // before the prefetcher kept the segment's name and the reader its closed header's copy, 0.7-0.8 KB.
    private static final long READER_ALLOCATED_PER_ROLL_WITH_HELPERS_LIMIT = 320;
    // The writer's thread: 0-24 B measured (the JDK's rename options for a recycling writer, until compiled); 0.8 KB
    // when the writer made the retired segment's two names at each retirement, 3.1 KB when the retirement's check of
    // 64 reader slots also made a key per slot.
    private static final long WRITER_ALLOCATED_PER_ROLL_WITH_HELPERS_LIMIT = 64;
    // The helper thread (segment creator, prefetcher, releaser) of a recycling journal: 6.9-7.3 KB measured on a
    // disk folder, 5.2 KB on tmpfs (the JDK's file calls: links, opens, mappings, fsyncs); 11.1 KB and 9.5 KB when
    // every creation read the mount table to know whether to fsync the folder.
    private static final long RECYCLING_HELPER_ALLOCATED_PER_ROLL_LIMIT = 9 * 1024;

    @TempDir
    Path folder;

    private long sum;
    private long writerAllocated;
    private long readerAllocated;
    private final RecordHandler handler = (msgTypeId, buffer, offset, length) -> sum += length;
    private final BlockHandler blockHandler = (buffer, offset, length, position) -> sum += length;

    @Test
    void shouldAllocateNothingWhenWritingClaimingPollingAndCommitting()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[32]);
        final RecordClaim claim = new RecordClaim();

        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
            .folder(folder).segmentCapacity(16 * 1024 * 1024).preTouch(false));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("hot")))
        {
            writer.doWork(); // the next segment exists: no roll happens in the measured runs
            runHotPaths(writer, reader, payload, claim);
            runHotPaths(writer, reader, payload, claim);

            long leastAllocated = Long.MAX_VALUE;
            for (int run = 0; run < MEASURED_RUNS && leastAllocated > 0; run++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                runHotPaths(writer, reader, payload, claim);
                leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
            }

            assertEquals(0, writer.rolls());
            assertEquals(writer.position(), reader.position());
            assertEquals(0, leastAllocated, "bytes allocated over " + 3 * ITERATIONS + " writes, claims and polls");
        }
    }

    private void runHotPaths(
        final JournalWriter writer, final JournalReader reader, final UnsafeBuffer payload, final RecordClaim claim)
    {
        for (int i = 0; i < ITERATIONS; i++)
        {
            payload.putInt(0, i);
            writer.write(1, payload, 0, payload.capacity());
            reader.poll(handler, 1);

            if (writer.tryClaim(2, 16, claim) > 0)
            {
                claim.buffer().putLong(claim.offset(), i);
                claim.commit();
            }
            reader.poll(handler, 1);

            writer.write(3, payload, 0, payload.capacity());
            reader.blockPoll(blockHandler, 4096);

            writer.write(4, payload, 0, payload.capacity());
            final Iterator<RecordView> records = reader.records();
            while (records.hasNext())
            {
                sum += records.next().length();
            }
            reader.commit();
            writer.doWork();
        }
    }

    @Test
    void shouldAllocateOnlyAFewObjectsPerRollWhenStreamingThroughRolls()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[32]);
        final RecordClaim claim = new RecordClaim();

        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
            .folder(folder).segmentCapacity(64 * 1024).preTouch(false));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("hot")))
        {
            writer.doWork();
            runHotPaths(writer, reader, payload, claim);
            runHotPaths(writer, reader, payload, claim);

            long leastPerRoll = Long.MAX_VALUE;
            for (int run = 0; run < MEASURED_RUNS; run++)
            {
                final long rollsBefore = writer.rolls();
                final long before = threads.getCurrentThreadAllocatedBytes();
                runHotPaths(writer, reader, payload, claim);
                final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                final long rolls = writer.rolls() - rollsBefore;
                assertTrue(rolls > 10, "rolls=" + rolls);
                leastPerRoll = Math.min(leastPerRoll, allocated / rolls);
            }

            assertEquals(writer.position(), reader.position());
            // A roll creates the next segment's writer, and the reader opens its reader on it: objects, paths and
            // names, once per segment; nothing per record.
            System.out.println("JournalHotPathAllocationTest: bytes allocated per roll, writer and reader: " +
                leastPerRoll);
            assertTrue(leastPerRoll < ALLOCATED_PER_ROLL_LIMIT,
                "bytes allocated per roll (writer and reader): " + leastPerRoll);
        }
    }

    @Test
    void shouldAllocateAlmostNothingPerRollWhenSegmentsAreMadeAndMappedOnAnotherThread()
    {
        final PerRoll least = leastAllocatedPerRollWithHelpers(new JournalWriter.Context(),
            (prefetchedInRun, recycledInRun) ->
                assertEquals(10, prefetchedInRun, "each crossing took a ready segment"));

        System.out.println("JournalHotPathAllocationTest: bytes allocated per roll with a segment creator and a " +
            "prefetcher: " + least);
        assertPerRollWithinLimits(least);
    }

    @Test
    void shouldAllocateAlmostNothingPerRollWhenRecyclingRetiredSegments()
    {
        final PerRoll least = leastAllocatedPerRollWithHelpers(
            new JournalWriter.Context().retainedSegments(2).recycleSegments(true),
            (prefetchedInRun, recycledInRun) ->
                assertTrue(recycledInRun >= 9, "retired segments kept for re-use: " + recycledInRun));

        System.out.println("JournalHotPathAllocationTest: bytes allocated per roll of a recycling journal: " + least);
        assertPerRollWithinLimits(least);
        assertTrue(least.helper() <= RECYCLING_HELPER_ALLOCATED_PER_ROLL_LIMIT,
            "bytes allocated per roll on the helper thread: " + least);
    }

    private static void assertPerRollWithinLimits(final PerRoll least)
    {
        assertTrue(least.writer() <= WRITER_ALLOCATED_PER_ROLL_WITH_HELPERS_LIMIT,
            "bytes allocated per roll on the writing thread: " + least);
        assertTrue(least.reader() <= READER_ALLOCATED_PER_ROLL_WITH_HELPERS_LIMIT,
            "bytes allocated per roll on the reading thread: " + least);
    }

    /**
     * The least bytes the writer's calls (write, duty cycle), the reader's (poll, commit) and the helper thread
     * allocated per roll.
     */
    private record PerRoll(long writer, long reader, long helper)
    {
    }

    /**
     * What a measured run of ten rolls did, checked after each.
     */
    @FunctionalInterface
    private interface RunCheck
    {
        void check(long prefetchedInRun, long recycledInRun);
    }

    /**
     * Stream through rolls with the segment creator, a prefetcher and a mapping releaser on a helper thread, and
     * return the least the writer's and the reader's calls allocated per roll over the measured runs.
     */
    private PerRoll leastAllocatedPerRollWithHelpers(
        final JournalWriter.Context writerContext, final RunCheck runCheck)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[32]);
        final MappingReleaser releaser = new MappingReleaser();
        final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();

        try (JournalWriter writer = JournalWriter.create(writerContext
            .folder(folder).segmentCapacity(64 * 1024).preTouch(false).createSegmentsOnAgent(true)
            .mappingReleaser(releaser));
            JournalReader reader = JournalReader.open(new JournalReader.Context()
                .folder(folder).name("hot").mappingReleaser(releaser).prefetcher(prefetcher));
            AgentRunner helper = new AgentRunner(new YieldingIdleStrategy(), Throwable::printStackTrace, null,
                new CompositeAgent(writer.segmentCreator(), prefetcher, releaser)))
        {
            final long helperId = AgentRunner.startOnThread(helper).getId();
            streamThroughRolls(writer, reader, payload, 10);
            streamThroughRolls(writer, reader, payload, 10);

            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            long leastByWriter = Long.MAX_VALUE;
            long leastByReader = Long.MAX_VALUE;
            long leastByHelper = Long.MAX_VALUE;
            for (int run = 0; run < MEASURED_RUNS; run++)
            {
                final long prefetchedBefore = reader.prefetchedSegments();
                final long recycledBefore = writer.recycledSegments();
                writerAllocated = 0;
                readerAllocated = 0;
                final long helperBefore = threads.getThreadAllocatedBytes(helperId);
                streamThroughRolls(writer, reader, payload, 10);
                final long byHelper = threads.getThreadAllocatedBytes(helperId) - helperBefore;
                leastByHelper = Math.min(leastByHelper, byHelper / 10);
                leastByWriter = Math.min(leastByWriter, writerAllocated / 10);
                leastByReader = Math.min(leastByReader, readerAllocated / 10);
                runCheck.check(
                    reader.prefetchedSegments() - prefetchedBefore, writer.recycledSegments() - recycledBefore);
            }

            assertEquals(0, writer.inlineSegmentCreations());
            assertEquals(writer.position(), reader.position());
            return new PerRoll(leastByWriter, leastByReader, leastByHelper);
        }
    }

    /**
     * Write and read through rolls, letting the helper thread make and map each next segment before the roll, and
     * add what the writer's calls and the reader's calls allocate to {@link #writerAllocated} and
     * {@link #readerAllocated}.
     */
    private void streamThroughRolls(
        final JournalWriter writer, final JournalReader reader, final UnsafeBuffer payload, final int rolls)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long lastRoll = writer.rolls() + rolls;
        while (writer.rolls() < lastRoll)
        {
            long before = threads.getCurrentThreadAllocatedBytes();
            while (!reader.isNextSegmentPrefetched() || null == writer.nextSegment())
            {
                writer.doWork(); // takes the segment the creator made
                Thread.onSpinWait();
            }
            final long rollsBefore = writer.rolls();
            while (writer.rolls() == rollsBefore)
            {
                writer.write(1, payload, 0, payload.capacity());
                final long afterWrite = threads.getCurrentThreadAllocatedBytes();
                writerAllocated += afterWrite - before;
                reader.poll(handler, 10);
                before = threads.getCurrentThreadAllocatedBytes();
                readerAllocated += before - afterWrite;
            }
            while (reader.poll(handler, 10) > 0)
            {
                reader.commit();
            }
            reader.commit(); // the loop above may have found nothing left: retention waits for this commit
            final long afterRead = threads.getCurrentThreadAllocatedBytes();
            readerAllocated += afterRead - before;
            writer.doWork();
            writerAllocated += threads.getCurrentThreadAllocatedBytes() - afterRead;
        }
    }
}
