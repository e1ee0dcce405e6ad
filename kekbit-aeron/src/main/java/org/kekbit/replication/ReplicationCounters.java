package org.kekbit.replication;

import java.nio.charset.StandardCharsets;

import io.aeron.Aeron;
import io.aeron.Counter;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * Type ids of the Agrona counters replication allocates in the media driver's counters file, where AeronStat and
 * any tool reading the driver's counters see them: positions and lag of sources and sinks. Each counter's key is the
 * channel id, or a journal's {@link ReplicatedPosition#journalId} (8 bytes), so {@link ReplicatedPosition} finds a
 * source's positions from any process on its driver.
 */
public final class ReplicationCounters
{
    /**
     * Source: position sent so far to its most advanced follower.
     */
    public static final int SOURCE_SENT_POSITION_TYPE_ID = 4243_01;

    /**
     * Source: highest position a follower acknowledged as committed to its mirror.
     */
    public static final int SOURCE_RECEIVED_POSITION_TYPE_ID = 4243_02;

    /**
     * Source: highest position a follower acknowledged as durable.
     */
    public static final int SOURCE_DURABLE_POSITION_TYPE_ID = 4243_03;

    /**
     * Source: number of followers with a session.
     */
    public static final int SOURCE_FOLLOWERS_TYPE_ID = 4243_04;

    /**
     * Sink: end of the last record committed to the mirror.
     */
    public static final int SINK_RECEIVED_POSITION_TYPE_ID = 4243_11;

    /**
     * Sink: end of the last record forced to storage (committed, when the sink never forces).
     */
    public static final int SINK_DURABLE_POSITION_TYPE_ID = 4243_12;

    /**
     * Sink: the leader's committed position as last reported; lag is this minus the received position.
     */
    public static final int SINK_LEADER_POSITION_TYPE_ID = 4243_13;

    private ReplicationCounters()
    {
    }

    /**
     * Allocate a counter whose key is a channel id (8 bytes, little endian), so other processes on the driver can
     * find it: {@link #find(CountersReader, int, long)}.
     */
    static Counter add(final Aeron aeron, final int typeId, final long channelId, final String label)
    {
        final UnsafeBuffer key = new UnsafeBuffer(new byte[Long.BYTES]);
        key.putLong(0, channelId);
        final UnsafeBuffer labelBuffer = new UnsafeBuffer(label.getBytes(StandardCharsets.US_ASCII));
        return aeron.addCounter(typeId, key, 0, Long.BYTES, labelBuffer, 0, labelBuffer.capacity());
    }

    /**
     * Find an allocated counter of a type whose key is a channel id.
     *
     * @param counters  of the media driver.
     * @param typeId    of the counter.
     * @param channelId in its key.
     * @return the counter id, or {@link CountersReader#NULL_COUNTER_ID}.
     */
    public static int find(final CountersReader counters, final int typeId, final long channelId)
    {
        final int[] found = {CountersReader.NULL_COUNTER_ID};
        counters.forEach((counterId, counterTypeId, keyBuffer, label) ->
        {
            if (counterTypeId == typeId && keyBuffer.getLong(0) == channelId &&
                CountersReader.NULL_COUNTER_ID == found[0])
            {
                found[0] = counterId;
            }
        });
        return found[0];
    }
}
