package org.kekbit.replication;

import io.aeron.Aeron;
import io.aeron.Counter;

/**
 * Type ids of the Agrona counters replication allocates in the media driver's counters file, where AeronStat and
 * any tool reading the driver's counters see them: positions and lag of sources and sinks.
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

    static Counter add(final Aeron aeron, final int typeId, final String label)
    {
        return aeron.addCounter(typeId, label);
    }
}
