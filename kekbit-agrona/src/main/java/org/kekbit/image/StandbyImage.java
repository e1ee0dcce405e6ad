package org.kekbit.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;

/**
 * A hot standby of a {@link SystemImage}: an Agrona {@link Agent} that keeps a state machine of its own up to date
 * from a journal another writer appends to, typically the mirror a replication sink keeps of the leader's journal in
 * this image folder's journal sub-folder ({@link ImageDescriptor#journalFolder(Path)}), and writes the image's
 * snapshots from it every {@link SystemImage.Context#snapshotIntervalBytes(long)} of journal, keeping the last
 * {@link SystemImage.Context#snapshotsKept(int)} and protecting the journal from the oldest kept one on, as the
 * leader's own image does.
 * <p>
 * At construction it recovers as {@link SystemImage#launch} does, without taking the journal over: the newest
 * complete snapshot the journal can be replayed after, then the journal from there, read by the named reader
 * {@link #READER_NAME} (which does not protect retention: the snapshots do). A journal with no segment yet (the mirror
 * has not started) is waited for.
 * <p>
 * To take over when the leader dies: stop whatever writes the journal (close the replication sink once it has
 * drained what arrived), let this agent apply what is left ({@link #doWork()} until it returns 0), close it, then
 * {@link SystemImage#launch} the same folder: the journal writer starts by {@code resume} on the mirror (the last
 * record the mirror committed is the new end), recovers from the newest snapshot, and serves. With
 * {@link SystemImage.Context#takeOverFrom(StandbyImage)} the launch takes this standby's state machine as it is
 * instead, when it is at the journal's end: no snapshot load, no replay.
 * <pre>{@code
 * final StandbyImage standby = new StandbyImage(new SystemImage.Context()
 *     .imageFolder(dir).stateMachineSupplier(OrderBook::new).snapshotIntervalBytes(4 << 20));
 * while (leaderIsAlive())
 * {
 *     idleStrategy.idle(sink.doWork() + standby.doWork());
 * }
 * sink.close();
 * while (standby.doWork() > 0)
 * {
 * }
 * standby.close();
 * final SystemImage image = SystemImage.launch(ctx.takeOverFrom(standby)); // the leader now
 * }</pre>
 * Snapshots are written by this agent's thread between records: nothing else waits for them, the mirror keeps
 * filling meanwhile and the standby catches up after.
 * <p>
 * Not threadsafe: one thread runs the duty cycle and closes; the positions and counts may be read from any thread.
 */
public final class StandbyImage implements Agent, RecordHandler, AutoCloseable
{
    /**
     * Name of the standby's journal reader.
     */
    public static final String READER_NAME = "image-standby";

    private static final int POLL_LIMIT = 256;

    private final SystemImage.Context ctx;
    private final StateMachine stateMachine;
    private final JournalReader reader;
    private final long snapshotIntervalBytes;
    private final long recoveredSnapshotPosition;
    private SnapshotStore store;
    private long lastSnapshotRequestPosition;
    private boolean isSnapshotDue;
    private boolean isFailed;
    private boolean isClosed;
    private volatile boolean isSnapshotRequested;
    private volatile long appliedPosition;
    private volatile long snapshotPosition;
    private volatile long snapshotCount;
    private volatile Throwable failure;

    /**
     * Recover the standby's state from the image folder's newest snapshot and open its reader of the journal.
     *
     * @param ctx of the image, concluded by this call: folder, state machine supplier, snapshot interval, snapshots
     *            kept, snapshot initial capacity and the epoch clock are used.
     * @throws ChannelException with {@link ChannelException.Reason#TRUNCATED} when no snapshot is usable and the
     *                          journal does not start at 0, or any reason opening the journal throws.
     */
    public StandbyImage(final SystemImage.Context ctx)
    {
        ctx.conclude();
        this.ctx = ctx;
        this.snapshotIntervalBytes = ctx.snapshotIntervalBytes();
        this.stateMachine = ctx.stateMachineSupplier().get();
        final Path journalFolder = ImageDescriptor.journalFolder(ctx.imageFolder());
        try
        {
            Files.createDirectories(journalFolder); // the mirror may not have started yet: its reader waits there
        }
        catch (final IOException ex)
        {
            throw new ChannelException(ChannelException.Reason.IO_ERROR,
                "cannot create journal folder " + journalFolder + ": " + ex, ex);
        }

        long snapshot = -1;
        final long journalStart;
        final long journalEnd;
        final long segmentCapacity;
        try (JournalReader probe = JournalReader.open(new JournalReader.Context()
            .folder(journalFolder).epochClock(ctx.epochClock())))
        {
            journalStart = probe.seekToStart();
            journalEnd = probe.seekToEnd();
            segmentCapacity = probe.segmentCapacity();
        }
        if (segmentCapacity > 0)
        {
            store = newStore(segmentCapacity);
            snapshot = store.recover(stateMachine, journalStart, journalEnd);
            store.prune();
        }
        else if (!ImageFolder.snapshotPaths(ImageDescriptor.snapshotsFolder(ctx.imageFolder())).isEmpty())
        {
            throw new ChannelException(ChannelException.Reason.TRUNCATED, "the image has snapshots but its journal " +
                "has no segment: the state cannot be rebuilt from it, folder=" + ctx.imageFolder());
        }
        recoveredSnapshotPosition = snapshot;

        reader = JournalReader.open(new JournalReader.Context()
            .folder(journalFolder)
            .name(READER_NAME)
            .protectRetention(false)
            .epochClock(ctx.epochClock()));
        try
        {
            reader.seek(Math.max(0, snapshot));
        }
        catch (final RuntimeException ex)
        {
            reader.close();
            throw ex;
        }
        appliedPosition = Math.max(0, snapshot);
        snapshotPosition = snapshot;
        lastSnapshotRequestPosition = Math.max(0, snapshot);
    }

    /**
     * Apply what the journal gained since the last call, then write a snapshot when one is due.
     *
     * @return the amount of work done.
     * @throws ChannelException with {@link ChannelException.Reason#CORRUPT} or
     *                          {@link ChannelException.Reason#TRUNCATED} when the journal cannot be followed, or what
     *                          the state machine or a snapshot throws; after any of them the standby does no more work.
     */
    public int doWork()
    {
        if (isFailed || isClosed)
        {
            return 0;
        }
        try
        {
            int workCount = reader.poll(this, POLL_LIMIT);
            final long position = reader.position();
            if (workCount > 0)
            {
                reader.commit();
                appliedPosition = position;
            }
            else if (position != appliedPosition)
            {
                appliedPosition = position; // crossed into the next segment: its base is the journal's end now
            }
            else
            {
                final JournalState state = reader.state();
                if (JournalState.CORRUPT == state || JournalState.TRUNCATED == state)
                {
                    throw new ChannelException(JournalState.CORRUPT == state ? ChannelException.Reason.CORRUPT :
                        ChannelException.Reason.TRUNCATED, "the standby cannot follow the journal: state=" + state +
                        ", position=" + position + (null == reader.corruption() ? "" : ", " + reader.corruption()));
                }
            }

            if (isSnapshotRequested ||
                (snapshotIntervalBytes > 0 && position - lastSnapshotRequestPosition >= snapshotIntervalBytes))
            {
                isSnapshotRequested = false;
                isSnapshotDue = true;
                lastSnapshotRequestPosition = position;
            }
            if (isSnapshotDue && position > Math.max(0, snapshotPosition))
            {
                isSnapshotDue = false;
                if (null == store)
                {
                    store = newStore(reader.segmentCapacity());
                }
                if (store.write(stateMachine, position) >= 0)
                {
                    snapshotCount++;
                }
                snapshotPosition = position;
                workCount++;
            }
            return workCount;
        }
        catch (final RuntimeException ex)
        {
            isFailed = true; // the state machine may no longer be the journal's: no snapshot may be taken from it
            failure = ex;
            throw ex;
        }
    }

    /**
     * Apply one journaled record.
     *
     * @param msgTypeId of the record.
     * @param buffer    holding it.
     * @param offset    of it in buffer.
     * @param length    of it.
     */
    public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        stateMachine.apply(reader.position(), msgTypeId, buffer, offset, length);
    }

    /**
     * Ask for a snapshot at the position applied when the next {@link #doWork()} runs. Any thread.
     */
    public void requestSnapshot()
    {
        isSnapshotRequested = true;
    }

    /**
     * Journal position the standby's state machine has applied up to. Any thread.
     *
     * @return the position.
     */
    public long appliedPosition()
    {
        return appliedPosition;
    }

    /**
     * Position of the newest snapshot written by this standby, or recovered from at construction. Any thread.
     *
     * @return the position, or -1 when there is none.
     */
    public long snapshotPosition()
    {
        return snapshotPosition;
    }

    /**
     * Snapshots written since construction. Any thread.
     *
     * @return the count.
     */
    public long snapshotCount()
    {
        return snapshotCount;
    }

    /**
     * Position of the snapshot the standby recovered from at construction.
     *
     * @return the position, or -1 when it started from an empty state.
     */
    public long recoveredSnapshotPosition()
    {
        return recoveredSnapshotPosition;
    }

    /**
     * Why the standby stopped, when {@link #doWork()} threw.
     *
     * @return the failure, or null.
     */
    public Throwable failure()
    {
        return failure;
    }

    /**
     * The standby's state machine, for queries on its thread (or after it closed).
     *
     * @return the instance.
     */
    public StateMachine stateMachine()
    {
        return stateMachine;
    }

    /**
     * Folder of the image.
     *
     * @return the folder.
     */
    public Path imageFolder()
    {
        return ctx.imageFolder();
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return isClosed;
    }

    /**
     * Give the reader's name back. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            reader.close();
        }
    }

    /**
     * Close when the agent running it closes.
     */
    public void onClose()
    {
        close();
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-image-standby";
    }

    private SnapshotStore newStore(final long segmentCapacity)
    {
        return new SnapshotStore(ctx.imageFolder(), segmentCapacity, ctx.epochClock(), ctx.snapshotsKept(),
            ctx.snapshotInitialCapacity());
    }
}
