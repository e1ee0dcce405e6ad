package org.kekbit.image;

import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;

/**
 * The shadow of a {@link SystemImage}: a second instance of the state machine, fed the journal by a named reader on
 * its own thread, that writes the snapshots, so the serving thread never stops to take one. It loads the snapshot the
 * image recovered from (on its own thread, in {@link #onStart()}), then applies every record the serving thread
 * journals; when a snapshot is requested it writes one at the first record boundary at or after the requested
 * position (or, while it is behind, after each snapshot interval it applies), keeps the newest and moves the
 * journal's protection.
 * <p>
 * Threading: the requests and the positions it publishes are volatile; everything else belongs to its thread.
 */
final class ShadowSnapshotAgent implements Agent, RecordHandler
{
    /**
     * Name of the shadow's journal reader: it does not protect retention (the oldest kept snapshot does).
     */
    static final String READER_NAME = "image-shadow";

    private static final int POLL_LIMIT = 256;

    private final StateMachine shadow;
    private final SnapshotStore store;
    private final JournalReader reader;
    private final Path recoveredSnapshot;
    private final long snapshotIntervalBytes;
    private long lastAttemptedPosition;
    private boolean isFailed;
    private volatile long requestedPosition = -1;
    private volatile long snapshotPosition;
    private volatile long appliedPosition;
    private volatile long snapshotCount;
    private volatile long failureCount;
    private volatile Throwable lastFailure;

    ShadowSnapshotAgent(
        final StateMachine shadow,
        final SnapshotStore store,
        final JournalReader reader,
        final Path recoveredSnapshot,
        final long startPosition,
        final long snapshotIntervalBytes)
    {
        this.snapshotIntervalBytes = snapshotIntervalBytes;
        this.shadow = shadow;
        this.store = store;
        this.reader = reader;
        this.recoveredSnapshot = recoveredSnapshot;
        this.lastAttemptedPosition = null == recoveredSnapshot ? -1 : startPosition;
        this.snapshotPosition = null == recoveredSnapshot ? -1 : startPosition;
        this.appliedPosition = startPosition;
    }

    /**
     * Load the snapshot the image recovered from into the shadow instance.
     */
    public void onStart()
    {
        if (null != recoveredSnapshot)
        {
            ImageFolder.load(recoveredSnapshot, shadow);
        }
    }

    /**
     * Apply what the serving thread journaled, then write a snapshot when one is due.
     *
     * @return the amount of work done.
     */
    public int doWork()
    {
        if (isFailed)
        {
            return 0;
        }
        int workCount;
        try
        {
            workCount = reader.poll(this, POLL_LIMIT);
        }
        catch (final RuntimeException ex)
        {
            // The shadow's state is no longer the live one's: no snapshot may be taken from it again.
            isFailed = true;
            lastFailure = ex;
            failureCount++;
            throw ex;
        }
        if (workCount > 0)
        {
            reader.commit();
            appliedPosition = reader.position();
        }
        final long requested = requestedPosition;
        final long position = reader.position();
        // At the request, or, for a shadow behind the serving thread (after a restart it replays from the recovered
        // snapshot), after each interval it applies: its progress is saved as it catches up, not only once it has.
        if (requested > lastAttemptedPosition && (position >= requested ||
            (snapshotIntervalBytes > 0 && position - Math.max(0, lastAttemptedPosition) >= snapshotIntervalBytes)))
        {
            lastAttemptedPosition = position;
            try
            {
                if (store.write(shadow, position) >= 0)
                {
                    snapshotCount++;
                }
                snapshotPosition = position;
            }
            catch (final RuntimeException ex)
            {
                lastFailure = ex;
                failureCount++;
            }
            workCount++;
        }
        return workCount;
    }

    /**
     * Apply one journaled record to the shadow instance.
     */
    public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        shadow.apply(reader.position(), msgTypeId, buffer, offset, length);
    }

    /**
     * Give the reader's name back.
     */
    public void onClose()
    {
        reader.close();
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-image-shadow";
    }

    /**
     * Ask for a snapshot at or after a position. Any thread.
     */
    void request(final long position)
    {
        requestedPosition = position;
    }

    long requestedPosition()
    {
        return requestedPosition;
    }

    long snapshotPosition()
    {
        return snapshotPosition;
    }

    long appliedPosition()
    {
        return appliedPosition;
    }

    long snapshotCount()
    {
        return snapshotCount;
    }

    long failureCount()
    {
        return failureCount;
    }

    Throwable lastFailure()
    {
        return lastFailure;
    }
}
