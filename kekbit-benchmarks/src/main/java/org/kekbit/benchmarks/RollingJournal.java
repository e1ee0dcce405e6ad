package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSegmentPrefetcher;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

/**
 * A journal as the benchmarks run it, the way the README's main job runs its journals: one writer whose next segment
 * is made ahead of need by its segment creator agent, a {@link JournalSegmentPrefetcher} that maps the reader's next
 * segment before the roll (when asked), and one {@link MappingReleaser} that unmaps what the writer and the reader
 * leave behind, all three agents on one helper thread of their own (sleeping 1 ms when idle; or, with
 * {@link HelperIdle#INVOKER}, no helper thread: the agents run on the writer's thread from {@link #dutyCycle()}), and
 * one reader from the start. Everything lives in a folder of its own, deleted by {@link #close()}.
 * <p>
 * The writer's thread calls {@link JournalWriter#write} and its duty cycle ({@link #dutyCycle()}: the writer's
 * {@link JournalWriter#doWork()}, which asks the creator for the next segment after each roll); a write that returns
 * {@link JournalWriter#ROLL_FAILED} because the creator is still making the next segment goes to
 * {@link #awaitRoll(long)} (one yield, or one invocation of the agents) and is tried again: that wait is a roll stall,
 * and {@link #rollWaits()} counts them.
 * <p>
 * Threading: the writer side (writer, {@link #dutyCycle()}, {@link #awaitRoll(long)}, {@link #close()}) belongs to one
 * thread (with {@link HelperIdle#INVOKER} the helper's agents too), the reader to one thread, handed over while
 * neither runs.
 */
public final class RollingJournal implements AutoCloseable
{
    /**
     * Records between two calls of the writer's duty cycle in the benchmarks' write loops, less one: the duty cycle
     * asks for the next segment after a roll and keeps the heartbeat, so once per 1,024 records is ahead of need.
     */
    public static final long DUTY_CYCLE_MASK = 1023;

    private final Path folder;
    private final MappingReleaser releaser = new MappingReleaser();
    private final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();
    private final JournalWriter writer;
    private final JournalReader reader;
    private final AgentRunner helper;
    private final AgentInvoker invoker;
    private final AtomicReference<Throwable> helperError = new AtomicReference<>();
    private long rollWaits;
    private final long warmUpNs;

    /**
     * Create the journal, start its helper thread and open a reader at its start.
     *
     * @param folder           of the journal, created; deleted on close.
     * @param segmentCapacity  of every segment, a power of two.
     * @param maxRecordLength  longest payload.
     * @param readerSegments   how the reader maps each segment it crosses into.
     * @param retainedSegments 0 to keep every segment; otherwise the sealed segments retention keeps, with retired
     *                         segments re-used ({@link JournalWriter.Context#recycleSegments(boolean)}) and the reader
     *                         named and protecting retention (a recycling journal's readers are named).
     */
    public RollingJournal(
        final Path folder,
        final long segmentCapacity,
        final int maxRecordLength,
        final ReaderSegments readerSegments,
        final int retainedSegments)
    {
        this(folder, segmentCapacity, maxRecordLength, readerSegments, retainedSegments, 0, 0, HelperIdle.SLEEP,
            RecordDescriptor.ALIGNMENT);
    }

    /**
     * As {@link #RollingJournal(Path, long, int, ReaderSegments, int)}, after a {@link JournalWriter#warmUp} of the
     * writer's settings, the writer rolling from its duty cycle ahead of need
     * ({@link JournalWriter.Context#rollAheadBytes(long)}).
     *
     * @param folder           of the journal, created; deleted on close.
     * @param segmentCapacity  of every segment, a power of two.
     * @param maxRecordLength  longest payload.
     * @param readerSegments   how the reader maps each segment it crosses into.
     * @param retainedSegments as in {@link #RollingJournal(Path, long, int, ReaderSegments, int)}.
     * @param warmUpRolls      rolls of the warm-up, 0 for none.
     * @param rollAheadBytes   room left at which the duty cycle rolls, 0 for rolls on the write call only.
     * @param helperIdle       how the helper thread idles.
     * @param recordAlignment  of the records ({@link JournalWriter.Context#recordAlignment(int)}).
     */
    public RollingJournal(
        final Path folder,
        final long segmentCapacity,
        final int maxRecordLength,
        final ReaderSegments readerSegments,
        final int retainedSegments,
        final int warmUpRolls,
        final long rollAheadBytes,
        final HelperIdle helperIdle,
        final int recordAlignment)
    {
        this.folder = folder;
        final JournalWriter.Context ctx = new JournalWriter.Context()
            .folder(folder)
            .segmentCapacity(segmentCapacity)
            .maxRecordLength(maxRecordLength)
            .recordAlignment(recordAlignment)
            .createSegmentsOnAgent(true)
            .retainedSegments(retainedSegments)
            .recycleSegments(retainedSegments > 0)
            .rollAheadBytes(rollAheadBytes)
            .mappingReleaser(releaser);
        final long warmUpStartNs = System.nanoTime();
        if (warmUpRolls > 0)
        {
            JournalWriter.warmUp(ctx, warmUpRolls);
        }
        warmUpNs = System.nanoTime() - warmUpStartNs;
        writer = JournalWriter.create(ctx);
        final CompositeAgent helperAgents = new CompositeAgent(writer.segmentCreator(), prefetcher, releaser);
        final ErrorHandler helperErrors = (ex) -> helperError.compareAndSet(null, ex);
        if (HelperIdle.INVOKER == helperIdle)
        {
            helper = null;
            invoker = new AgentInvoker(helperErrors, null, helperAgents);
            invoker.start();
        }
        else
        {
            invoker = null;
            helper = new AgentRunner(helperIdle.newIdleStrategy(), helperErrors, null, helperAgents);
            AgentRunner.startOnThread(helper);
        }
        reader = JournalReader.open(new JournalReader.Context()
            .folder(folder)
            .name(retainedSegments > 0 ? "benchmark" : null)
            .preTouch(ReaderSegments.PRE_TOUCH == readerSegments)
            .prefetcher(ReaderSegments.PREFETCH == readerSegments ? prefetcher : null)
            .mappingReleaser(releaser));
    }

    /**
     * How the helper thread (segment creator, prefetcher, mapping releaser) idles between duty cycles.
     */
    public enum HelperIdle
    {
        /**
         * {@code Thread.sleep} for 1 ms ({@link SleepingMillisIdleStrategy}), as the main job's helper: a roll's
         * request waits for the end of the sleep.
         */
        SLEEP,

        /**
         * Parked for up to 1 ms ({@link SleepingIdleStrategy}): the writer's duty cycle wakes it after each roll's
         * request, for segments that last less than a sleep.
         */
        PARK,

        /**
         * No helper thread: the three agents run on the writer's thread, from {@link #dutyCycle()} and
         * {@link #awaitRoll(long)} ({@link AgentInvoker}), as Aeron's driver runs in {@code ThreadingMode.INVOKER}.
         */
        INVOKER;

        IdleStrategy newIdleStrategy()
        {
            return SLEEP == this ?
                new SleepingMillisIdleStrategy(1) : new SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * How the reader maps each segment it crosses into.
     */
    public enum ReaderSegments
    {
        /**
         * It opens and maps the segment itself and faults on each page as it reads.
         */
        OPEN,

        /**
         * It opens and maps the segment itself and touches every page before reading (a stall at each crossing).
         */
        PRE_TOUCH,

        /**
         * The {@link JournalSegmentPrefetcher} on the helper thread has opened and pre-touched it before the roll,
         * as the README's main job runs its readers.
         */
        PREFETCH
    }

    /**
     * How long the warm-up before the journal's creation took.
     *
     * @return nanoseconds, about 0 without one.
     */
    public long warmUpNs()
    {
        return warmUpNs;
    }

    /**
     * The writer.
     *
     * @return the writer.
     */
    public JournalWriter writer()
    {
        return writer;
    }

    /**
     * The reader, from the journal's start.
     *
     * @return the reader.
     */
    public JournalReader reader()
    {
        return reader;
    }

    /**
     * The writer's duty cycle, on the writer's thread once per {@link #DUTY_CYCLE_MASK} + 1 records: the writer's, then
     * the helper's agents when they run on this thread ({@link HelperIdle#INVOKER}).
     */
    public void dutyCycle()
    {
        writer.doWork();
        if (null != invoker)
        {
            invoker.invoke();
        }
    }

    /**
     * Cold path of a write that failed: when the creator is still making the next segment, yield once (or, with
     * {@link HelperIdle#INVOKER}, run the agents once) and let the caller try again; otherwise fail.
     *
     * @param result of the write.
     * @throws IllegalStateException when the write failed for another reason, or the helper thread failed.
     */
    public void awaitRoll(final long result)
    {
        final ChannelException failure = writer.lastRollFailure();
        if (JournalWriter.ROLL_FAILED != result || null == failure ||
            ChannelException.Reason.NOT_READY != failure.reason())
        {
            throw new IllegalStateException("journal write failed: result=" + result + ", " + failure);
        }
        checkHelper();
        rollWaits++;
        if (null != invoker)
        {
            invoker.invoke(); // the creator runs on this thread
        }
        else
        {
            Thread.yield(); // a writer held at a roll backs off: on two vCPUs a spin would take the creator's core
        }
    }

    /**
     * Times writes waited for the segment creator at a roll (roll stalls: yields, or runs of the agents with
     * {@link HelperIdle#INVOKER}), since the journal was created.
     *
     * @return the count.
     */
    public long rollWaits()
    {
        return rollWaits;
    }

    /**
     * A line on the rolls so far, for the benchmark's output.
     *
     * @return rolls, rolls that created the segment inline, and the yields waiting for the creator.
     */
    public String rollSummary()
    {
        return "journal: " + writer.rolls() + " roll(s), " + writer.inlineSegmentCreations() +
            " with the segment created inline on the writer's thread, " + writer.recycledSegments() +
            " retired segment(s) re-used (" + reader.reusedMappings() + " read through a mapping the reader left), " +
            rollWaits + " yield(s) waiting for the segment creator, " + reader.prefetchedSegments() +
            " crossing(s) took the next segment ready from the prefetcher (the rest opened it on the reader's thread)";
    }

    /**
     * Fail when the reader cannot go on: the journal is corrupt or truncated.
     *
     * @throws IllegalStateException when it cannot.
     */
    public void checkReader()
    {
        final JournalState state = reader.state();
        if (JournalState.CORRUPT == state || JournalState.TRUNCATED == state)
        {
            throw new IllegalStateException("journal reader " + state + " at " + reader.position() + ": " +
                reader.corruption());
        }
    }

    /**
     * Fail when the helper thread (segment creator, releaser) failed.
     *
     * @throws IllegalStateException with its failure as the cause.
     */
    public void checkHelper()
    {
        final Throwable error = helperError.get();
        if (null != error)
        {
            throw new IllegalStateException("journal helper thread failed", error);
        }
    }

    /**
     * Close the reader and the writer, stop the helper thread (which unmaps what is left) and delete the journal.
     */
    public void close()
    {
        reader.close();
        writer.close();
        if (null != invoker)
        {
            invoker.close();
        }
        else
        {
            helper.close();
        }
        Storage.delete(folder);
    }
}
