package org.kekbit.replication;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.aeron.Aeron;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.CountersReader;

/**
 * The position of a channel a follower has acknowledged, read from the counter its {@link ReplicationSource}
 * keeps in the media driver, so the writer's process (or any process on that driver) can hold back until records are
 * replicated: the synchronous mode for order journals that must survive the loss of a host.
 * <pre>{@code
 * final ReplicatedPosition replicated = ReplicatedPosition.durable(aeron.countersReader(), channelId);
 * final long position = writer.write(MSG_TYPE_ID, order, 0, length);
 * if (replicated.awaitReplicated(position, clock.nanoTime() + timeoutNs, clock, idleStrategy) !=
 *     ReplicatedPosition.REPLICATED)
 * {
 *     // not acknowledged in time: the order is on this host only
 * }
 * }</pre>
 * The counter is found by its type id and the channel id in its key. For a journal, the key is
 * {@link #journalId(Path)} of its folder and positions are journal positions, as {@code JournalWriter.write} returns
 * them. A counter that is freed (the source closed) reads as unavailable.
 * <p>
 * Threadsafe for reading; {@link #awaitReplicated} uses the caller's idle strategy and clock and sleeps only as the
 * idle strategy does.
 */
public final class ReplicatedPosition
{
    /**
     * A follower acknowledged the position.
     */
    public static final int REPLICATED = 0;

    /**
     * The deadline passed first.
     */
    public static final int TIMED_OUT = -1;

    /**
     * No source of the channel keeps the counter on this driver (not started, or closed).
     */
    public static final int NOT_AVAILABLE = -2;

    private final CountersReader counters;
    private final int typeId;
    private final long channelId;
    private int counterId = CountersReader.NULL_COUNTER_ID;

    private ReplicatedPosition(final CountersReader counters, final int typeId, final long channelId)
    {
        this.counters = counters;
        this.typeId = typeId;
        this.channelId = channelId;
    }

    /**
     * The highest position a follower acknowledged as forced to storage by its policy.
     *
     * @param counters  of the media driver the source runs on, as {@link Aeron#countersReader()} gives them.
     * @param channelId of the channel, or the journal's {@link #journalId(Path)}.
     * @return the position, found lazily.
     */
    public static ReplicatedPosition durable(final CountersReader counters, final long channelId)
    {
        return new ReplicatedPosition(counters, ReplicationCounters.SOURCE_DURABLE_POSITION_TYPE_ID, channelId);
    }

    /**
     * The highest position a follower acknowledged as committed to its mirror and visible to its readers.
     *
     * @param counters  of the media driver the source runs on.
     * @param channelId of the channel, or the journal's {@link #journalId(Path)}.
     * @return the position, found lazily.
     */
    public static ReplicatedPosition received(final CountersReader counters, final long channelId)
    {
        return new ReplicatedPosition(counters, ReplicationCounters.SOURCE_RECEIVED_POSITION_TYPE_ID, channelId);
    }

    /**
     * Id of a journal for the replication counters (a journal has no id of its own: its segments' channel ids are
     * their bases): a 64-bit FNV-1a hash of the folder's real path, so the writer's process and a source beside it
     * that name the folder differently (relative, through a link) agree. Cold path.
     *
     * @param folder of the journal.
     * @return the id, never 0.
     */
    public static long journalId(final Path folder)
    {
        Path path;
        try
        {
            path = folder.toRealPath();
        }
        catch (final IOException ex)
        {
            path = folder.toAbsolutePath().normalize();
        }
        long hash = 0xcbf29ce484222325L;
        for (final byte b : path.toString().getBytes(StandardCharsets.UTF_8))
        {
            hash ^= b & 0xFF;
            hash *= 0x100000001b3L;
        }
        return 0 == hash ? 1 : hash;
    }

    /**
     * The acknowledged position now.
     *
     * @return the position, or {@link #NOT_AVAILABLE} when no source keeps the counter.
     */
    public long get()
    {
        if (!isValid())
        {
            counterId = ReplicationCounters.find(counters, typeId, channelId);
            if (CountersReader.NULL_COUNTER_ID == counterId)
            {
                return NOT_AVAILABLE;
            }
        }
        final long value = counters.getCounterValue(counterId);
        return isValid() ? value : NOT_AVAILABLE; // freed while read
    }

    /**
     * Wait until a follower acknowledged a position, or a deadline passes.
     *
     * @param position     to wait for, as the writer returned it.
     * @param deadlineNs   on the clock.
     * @param clock        to read the time from.
     * @param idleStrategy to wait with between looks.
     * @return {@link #REPLICATED}, {@link #TIMED_OUT} or {@link #NOT_AVAILABLE} (no source at the deadline).
     */
    public int awaitReplicated(
        final long position, final long deadlineNs, final NanoClock clock, final IdleStrategy idleStrategy)
    {
        idleStrategy.reset();
        while (true)
        {
            final long replicated = get();
            if (replicated >= position)
            {
                return REPLICATED;
            }
            if (clock.nanoTime() - deadlineNs >= 0)
            {
                return NOT_AVAILABLE == replicated ? NOT_AVAILABLE : TIMED_OUT;
            }
            idleStrategy.idle();
        }
    }

    private boolean isValid()
    {
        return CountersReader.NULL_COUNTER_ID != counterId &&
            CountersReader.RECORD_ALLOCATED == counters.getCounterState(counterId) &&
            counters.getCounterTypeId(counterId) == typeId &&
            counters.metaDataBuffer().getLong(CountersReader.metaDataOffset(counterId) + CountersReader.KEY_OFFSET) ==
            channelId;
    }
}
