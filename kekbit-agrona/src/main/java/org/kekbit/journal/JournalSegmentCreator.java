package org.kekbit.journal;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.Agent;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelWriter;

/**
 * The helper agent that creates a journal's next segment ahead of need on a thread of its own, so that the writer's
 * thread never pays for allocating and pre-touching a segment: run it with an {@link org.agrona.concurrent.AgentRunner}
 * on another core, under an idle strategy that parks (it has work once per segment).
 * <pre>{@code
 * final JournalWriter writer = JournalWriter.create(new JournalWriter.Context().folder(folder)
 *     .createSegmentsOnAgent(true));
 * final AgentRunner creatorRunner = new AgentRunner(
 *     new SleepingMillisIdleStrategy(1), Throwable::printStackTrace, null, writer.segmentCreator());
 * AgentRunner.startOnThread(creatorRunner);
 * }</pre>
 * The writer asks for the next segment at each roll; this agent creates it on standby and links it under its name, as
 * the writer's duty cycle would, and hands it over; the writer's duty cycle takes it, and the roll activates it. When a
 * roll comes while this agent is creating the segment, or before it has taken the request up, the write returns {@link
 * JournalWriter#ROLL_FAILED} (with a {@link org.kekbit.channel.ChannelException.Reason#NOT_READY} failure) and a later
 * write succeeds once the segment is handed over; only a request left untaken for {@link
 * JournalWriter.Context#segmentCreatorTimeoutMs(long)} is cancelled, and the writer creates the segment itself.
 * <p>
 * After each request the writer's duty cycle unparks the thread running this agent ({@link #onStart()} remembers
 * it). Under an idle strategy that parks ({@link org.agrona.concurrent.SleepingIdleStrategy},
 * {@link org.agrona.concurrent.BackoffIdleStrategy}) the request is taken up at once; under
 * {@link org.agrona.concurrent.SleepingMillisIdleStrategy} ({@code Thread.sleep}) it waits for the end of the sleep.
 * Choose by how long a segment lasts: at 288 B records and full speed on two vCPUs (docs/benchmarks.md, "The
 * helper woken at each roll"), 2 and 4 MiB segments streamed 1.1-1.6x as fast with a parked helper woken at each roll
 * (their segments last 0.4-1 ms, less than a sleep), and 8 MiB segments 0.7x as fast (the helper's work then lands
 * at the roll, on a streaming thread's core, instead of at a random moment). Or run it on the writer's own thread in
 * an {@link org.agrona.concurrent.AgentInvoker} called from the writer's duty cycle: no roll waits for a thread to
 * wake, at the price of the creation's work on the writer (a recycling journal at 288 B, 8 MiB segments: 1.07-1.30x
 * as fast as under a sleeping helper thread; at 32 B 0.72-0.86x; docs/benchmarks.md, 0j).
 * <p>
 * One state word, changed by compare-and-set, decides who owns the next segment at each moment; the fields it
 * guards are written before it is released and read after it is acquired. Threadsafe between one writer thread and
 * one thread running this agent.
 */
public final class JournalSegmentCreator implements Agent
{
    static final int IDLE = 0;
    static final int REQUESTED = 1;
    static final int CREATING = 2;
    static final int LINKING = 3;
    static final int READY = 4;
    static final int FAILED = 5;
    static final int CLOSED = 6;

    final AtomicInteger state = new AtomicInteger(IDLE);
    private final JournalWriter.Context ctx;
    private final long segmentCapacity;
    private final int maxRecordLength;
    private final int recordAlignment;
    private final boolean isFolderSyncNeeded;
    private long requestedBase;
    private Path retiredFile;
    private MappedByteBuffer retiredMapping;
    private ChannelWriter prepared;
    private long preparedBase;
    private Path preparedSegmentPath;
    private Path preparedRecyclePath;
    private ChannelException failure;
    private volatile Thread runnerThread;
    // Writer side: the names of the segment taken last, for the writer's RetiringNames.
    private Path takenSegmentPath;
    private Path takenRecyclePath;

    JournalSegmentCreator(
        final JournalWriter.Context ctx,
        final long segmentCapacity,
        final int maxRecordLength,
        final int recordAlignment,
        final boolean isFolderSyncNeeded)
    {
        this.ctx = ctx;
        this.segmentCapacity = segmentCapacity;
        this.maxRecordLength = maxRecordLength;
        this.recordAlignment = recordAlignment;
        this.isFolderSyncNeeded = isFolderSyncNeeded;
    }

    /**
     * Remember the thread that runs this agent, for {@link #wake()}.
     */
    public void onStart()
    {
        runnerThread = Thread.currentThread();
    }

    /**
     * Create the segment the writer asked for, if any.
     *
     * @return 1 when a segment was created or failed, else 0.
     */
    public int doWork()
    {
        if (REQUESTED != state.get() || !state.compareAndSet(REQUESTED, CREATING))
        {
            return 0;
        }

        final long base = requestedBase;
        try
        {
            final Path retired = retiredFile;
            final MappedByteBuffer mapping = retiredMapping;
            retiredFile = null;
            retiredMapping = null;
            final ChannelWriter created = JournalWriter.createSegment(ctx, base, segmentCapacity, maxRecordLength,
                recordAlignment, JournalDescriptor.nextSegmentPath(ctx.folder(), base), retired, mapping);
            // Linked only while the writer is not closing, so that no standby is left after its CLOSED marker: a
            // closing writer waits out LINKING (one link and one unlink).
            if (!state.compareAndSet(CREATING, LINKING))
            {
                discard(created, created.path()); // the writer closed meanwhile
                return 1;
            }
            final Path segmentPath = JournalDescriptor.segmentPath(ctx.folder(), base);
            try
            {
                JournalWriter.linkStandby(created, segmentPath, isFolderSyncNeeded);
            }
            catch (final RuntimeException ex)
            {
                discard(created, created.path());
                throw ex;
            }
            prepared = created;
            preparedBase = base;
            preparedSegmentPath = segmentPath;
            preparedRecyclePath = ctx.recycleSegments() ? JournalDescriptor.recyclePath(ctx.folder(), base) : null;
            if (!state.compareAndSet(LINKING, READY))
            {
                prepared = null;
                discard(created, segmentPath); // cannot happen: a closing writer waits out LINKING
            }
        }
        catch (final ChannelException ex)
        {
            failure = ex;
            failCreation();
        }
        catch (final RuntimeException ex)
        {
            // Never leave CREATING or LINKING behind: the writer would wait on it for ever.
            failure = new ChannelException(ChannelException.Reason.IO_ERROR, "cannot create segment: " + ex, ex);
            failCreation();
            throw ex;
        }
        return 1;
    }

    private void failCreation()
    {
        if (!state.compareAndSet(CREATING, FAILED))
        {
            state.compareAndSet(LINKING, FAILED);
        }
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-journal-segment-creator";
    }

    /**
     * Writer side: ask for the segment at a base, when nothing is asked for yet.
     *
     * @param base           of the segment.
     * @param retiredFile    a retired segment's file to make the segment in, or null for new memory.
     * @param retiredMapping the writer's mapping of that file, handed over with it, or null.
     * @return true when this call asked.
     */
    boolean request(final long base, final Path retiredFile, final MappedByteBuffer retiredMapping)
    {
        if (IDLE == state.get())
        {
            requestedBase = base;
            this.retiredFile = retiredFile;
            this.retiredMapping = retiredMapping;
            state.set(REQUESTED);
            return true;
        }
        return false;
    }

    /**
     * Writer side, after a request: unpark the thread running this agent, so that an idle strategy that parks takes
     * the request up now instead of at the end of its sleep (see the class comment for when that pays). Harmless to
     * a thread that is not parked: it only sets the thread's permit.
     */
    void wake()
    {
        final Thread thread = runnerThread;
        if (null != thread)
        {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Writer side: whether a request waits for this agent to take it up.
     */
    boolean isRequested()
    {
        return REQUESTED == state.get();
    }

    /**
     * Writer side: take the created segment for a base, cancelling the request when it was not taken up.
     *
     * @return the segment; or null, with {@link #isBusy()} telling whether this agent is creating it now.
     */
    ChannelWriter take(final long base)
    {
        int current = state.get();
        if (REQUESTED == current)
        {
            if (state.compareAndSet(REQUESTED, IDLE))
            {
                dropRetiredFile(); // cancelled: the writer creates the segment in new memory
            }
            else
            {
                current = state.get(); // this agent has just taken the request up: CREATING, LINKING or READY
            }
        }
        if (READY == current)
        {
            final ChannelWriter segment = prepared;
            takenSegmentPath = preparedSegmentPath;
            takenRecyclePath = preparedRecyclePath;
            prepared = null;
            state.set(IDLE);
            if (preparedBase == base)
            {
                return segment;
            }
            // made for a base the writer has passed: cannot happen while requests follow rolls
            discard(segment, JournalDescriptor.segmentPath(ctx.folder(), preparedBase));
        }
        else if (FAILED == current)
        {
            state.set(IDLE);
        }
        return null; // cancelled, failed, or CREATING: isBusy() tells
    }

    /**
     * Writer side: the segment name of the segment taken last, made by this agent.
     */
    Path takenSegmentPath()
    {
        return takenSegmentPath;
    }

    /**
     * Writer side: the recycle name of the segment taken last, made by this agent; null unless the writer recycles.
     */
    Path takenRecyclePath()
    {
        return takenRecyclePath;
    }

    /**
     * Writer side: whether this agent is creating a segment now.
     */
    boolean isBusy()
    {
        final int current = state.get();
        return CREATING == current || LINKING == current;
    }

    /**
     * Writer side: the failure of the last creation, once, or null.
     */
    ChannelException takeFailure()
    {
        if (FAILED == state.get())
        {
            final ChannelException ex = failure;
            failure = null;
            state.set(IDLE);
            return ex;
        }
        return null;
    }

    /**
     * Writer side, on close: delete what was created and not taken; a creation in progress deletes its own, and one
     * linking its segment now is waited out, so that no standby is left behind once this returns.
     */
    void close()
    {
        while (true)
        {
            final int current = state.get();
            if (CLOSED == current)
            {
                return;
            }
            if (LINKING == current)
            {
                Thread.onSpinWait(); // one link and one unlink
                continue;
            }
            if (READY == current)
            {
                final ChannelWriter segment = prepared;
                prepared = null;
                state.set(CLOSED);
                discard(segment, JournalDescriptor.segmentPath(ctx.folder(), preparedBase));
                return;
            }
            if (state.compareAndSet(current, CLOSED))
            {
                if (REQUESTED == current)
                {
                    dropRetiredFile();
                }
                return;
            }
        }
    }

    private void dropRetiredFile()
    {
        if (null != retiredMapping)
        {
            MappingReleaser.release(ctx.mappingReleaser(), retiredMapping);
            retiredMapping = null;
        }
        if (null != retiredFile)
        {
            JournalFiles.deleteQuietly(retiredFile);
            retiredFile = null;
        }
    }

    private static void discard(final ChannelWriter segment, final Path path)
    {
        segment.close();
        JournalFiles.deleteQuietly(path);
    }
}
