package org.kekbit.replication;

import io.aeron.Aeron;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Configuration shared by the source and the sink, on the model of Aeron's {@code CommonContext}: the Aeron client,
 * the leader's control endpoint, the stream ids and the clock. {@link ReplicationSource.Context} and
 * {@link ReplicationSink.Context} add only their own fields.
 *
 * @param <C> the concrete context, for a fluent API.
 */
public abstract class ReplicationContext<C extends ReplicationContext<C>>
{
    /**
     * Default stream id of the control stream, follower to leader.
     */
    public static final int DEFAULT_CONTROL_STREAM_ID = 1100;

    /**
     * Default stream id of the data streams, leader to follower.
     */
    public static final int DEFAULT_DATA_STREAM_ID = 1101;

    /**
     * Default MTU of the data streams: fits a 1500-byte Ethernet frame with IP and UDP headers, as Aeron's default.
     */
    public static final int DEFAULT_MTU_LENGTH = 1408;

    private Aeron aeron;
    private String controlEndpoint;
    private int controlStreamId = DEFAULT_CONTROL_STREAM_ID;
    private int dataStreamId = DEFAULT_DATA_STREAM_ID;
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;

    @SuppressWarnings("unchecked")
    private C self()
    {
        return (C)this;
    }

    /**
     * Validate the shared fields.
     *
     * @throws IllegalArgumentException with one line naming the setting when one cannot work.
     */
    void concludeCommon()
    {
        if (null == aeron)
        {
            throw new IllegalArgumentException("aeron client not set: connect one to a media driver first");
        }
        checkEndpoint("controlEndpoint", controlEndpoint);
        if (controlStreamId == dataStreamId)
        {
            throw new IllegalArgumentException("controlStreamId and dataStreamId must differ: both=" + dataStreamId);
        }
    }

    static void checkEndpoint(final String name, final String endpoint)
    {
        final int colon = null == endpoint ? -1 : endpoint.lastIndexOf(':');
        if (colon <= 0 || colon == endpoint.length() - 1)
        {
            throw new IllegalArgumentException(name + " must be HOST:PORT: actual=" + endpoint);
        }
        try
        {
            final int port = Integer.parseInt(endpoint.substring(colon + 1));
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException(name + " port out of range 0..65535: actual=" + endpoint);
            }
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " port is not a number: actual=" + endpoint, ex);
        }
    }

    /**
     * Aeron channel of the control stream.
     *
     * @return the channel URI.
     */
    public String controlChannel()
    {
        return "aeron:udp?endpoint=" + controlEndpoint;
    }

    /**
     * Aeron client to add publications, subscriptions and counters with; the caller owns and closes it.
     *
     * @param aeron client.
     * @return this for a fluent API.
     */
    public C aeron(final Aeron aeron)
    {
        this.aeron = aeron;
        return self();
    }

    /**
     * Aeron client.
     *
     * @return the client.
     */
    public Aeron aeron()
    {
        return aeron;
    }

    /**
     * The leader's control endpoint, {@code HOST:PORT}: the source subscribes there, sinks publish to it.
     *
     * @param controlEndpoint host and port.
     * @return this for a fluent API.
     */
    public C controlEndpoint(final String controlEndpoint)
    {
        this.controlEndpoint = controlEndpoint;
        return self();
    }

    /**
     * The leader's control endpoint.
     *
     * @return host and port.
     */
    public String controlEndpoint()
    {
        return controlEndpoint;
    }

    /**
     * Stream id of the control stream.
     *
     * @param controlStreamId stream id.
     * @return this for a fluent API.
     */
    public C controlStreamId(final int controlStreamId)
    {
        this.controlStreamId = controlStreamId;
        return self();
    }

    /**
     * Stream id of the control stream.
     *
     * @return the stream id.
     */
    public int controlStreamId()
    {
        return controlStreamId;
    }

    /**
     * Stream id of the data streams.
     *
     * @param dataStreamId stream id.
     * @return this for a fluent API.
     */
    public C dataStreamId(final int dataStreamId)
    {
        this.dataStreamId = dataStreamId;
        return self();
    }

    /**
     * Stream id of the data streams.
     *
     * @return the stream id.
     */
    public int dataStreamId()
    {
        return dataStreamId;
    }

    /**
     * Clock for intervals and timeouts.
     *
     * @param nanoClock clock.
     * @return this for a fluent API.
     */
    public C nanoClock(final NanoClock nanoClock)
    {
        this.nanoClock = nanoClock;
        return self();
    }

    /**
     * Clock for intervals and timeouts.
     *
     * @return the clock.
     */
    public NanoClock nanoClock()
    {
        return nanoClock;
    }
}
