package org.kekbit.channel;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.EpochClock;

/**
 * An {@link Agent} that polls a {@link ChannelReader} into a {@link RecordHandler}, for an
 * {@link org.agrona.concurrent.AgentRunner}, an {@link org.agrona.concurrent.AgentInvoker} or a
 * {@link org.agrona.concurrent.CompositeAgent}.
 * <pre>{@code
 * final ChannelReaderAgent agent = new ChannelReaderAgent(reader, handler, 100, SystemEpochClock.INSTANCE);
 * try (AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, agent))
 * {
 *     AgentRunner.startOnThread(runner);
 *     ...
 * }
 * }</pre>
 * When nothing is left to read, the agent looks at the channel's state at most once per millisecond of the given
 * clock (a liveness check may cost a system call). Once the channel has ended (CLOSED, FULL or CORRUPT) it ends: it
 * throws an expected {@link AgentTerminationException}, which stops an {@code AgentRunner} or {@code AgentInvoker}
 * cleanly without reporting an error, or, when built not to terminate, it stays idle so the other agents of a
 * {@code CompositeAgent} go on. {@link #endState()} tells how the channel ended. Closing the agent closes the reader.
 * <p>
 * {@link ChannelState#ABANDONED} is not an end: the agent keeps following, so it reads on when a writer resumes the
 * channel, for at most {@code maxAbandonedMs} of the clock in a row; after that it ends with ABANDONED. The default
 * follows for ever; 0 ends at the first ABANDONED.
 * <p>
 * Not threadsafe: it runs on the thread of its duty cycle.
 */
public final class ChannelReaderAgent implements Agent
{
    /**
     * Follow an abandoned channel for ever, waiting for a writer to resume it.
     */
    public static final long FOLLOW_FOREVER = FollowPolicy.FOLLOW_FOREVER;

    private final ChannelReader reader;
    private final RecordHandler handler;
    private final EpochClock epochClock;
    private final String roleName;
    private final int pollLimit;
    private final boolean terminateOnEnd;
    private final FollowPolicy followPolicy;
    private ChannelState endState;

    /**
     * Construct an agent that terminates its duty cycle when the channel ends.
     *
     * @param reader     to poll; closed with the agent.
     * @param handler    for the records.
     * @param pollLimit  of records per duty cycle.
     * @param epochClock to pace state checks with.
     */
    public ChannelReaderAgent(
        final ChannelReader reader, final RecordHandler handler, final int pollLimit, final EpochClock epochClock)
    {
        this(reader, handler, pollLimit, epochClock, true, FOLLOW_FOREVER);
    }

    /**
     * Construct an agent.
     *
     * @param reader         to poll; closed with the agent.
     * @param handler        for the records.
     * @param pollLimit      of records per duty cycle.
     * @param epochClock     to pace state checks with.
     * @param terminateOnEnd true to throw an expected {@link AgentTerminationException} when the channel ends,
     *                       false to stay idle.
     */
    public ChannelReaderAgent(
        final ChannelReader reader,
        final RecordHandler handler,
        final int pollLimit,
        final EpochClock epochClock,
        final boolean terminateOnEnd)
    {
        this(reader, handler, pollLimit, epochClock, terminateOnEnd, FOLLOW_FOREVER);
    }

    /**
     * Construct an agent that follows an abandoned channel for a bounded time.
     *
     * @param reader         to poll; closed with the agent.
     * @param handler        for the records.
     * @param pollLimit      of records per duty cycle.
     * @param epochClock     to pace state checks with.
     * @param terminateOnEnd true to throw an expected {@link AgentTerminationException} when the channel ends,
     *                       false to stay idle.
     * @param maxAbandonedMs how long the channel may stay ABANDONED before the agent ends with it:
     *                       {@link #FOLLOW_FOREVER}, or 0 to end at once.
     */
    public ChannelReaderAgent(
        final ChannelReader reader,
        final RecordHandler handler,
        final int pollLimit,
        final EpochClock epochClock,
        final boolean terminateOnEnd,
        final long maxAbandonedMs)
    {
        this.followPolicy = new FollowPolicy(maxAbandonedMs);
        if (pollLimit <= 0)
        {
            throw new IllegalArgumentException("pollLimit must be positive: pollLimit=" + pollLimit);
        }
        this.reader = reader;
        this.handler = handler;
        this.pollLimit = pollLimit;
        this.epochClock = epochClock;
        this.terminateOnEnd = terminateOnEnd;
        this.roleName = "kekbit-reader-" + Long.toHexString(reader.channelId());
    }

    /**
     * Poll the reader once.
     *
     * @return the number of records delivered.
     * @throws AgentTerminationException (expected) when the channel has ended and the agent terminates on end.
     */
    public int doWork()
    {
        if (null != endState)
        {
            return 0;
        }

        final int workCount = reader.poll(handler, pollLimit);
        if (0 == workCount)
        {
            final long nowMs = epochClock.time();
            if (followPolicy.isStateCheckDue(nowMs))
            {
                final ChannelState state = reader.state();
                if (followPolicy.isFollowingOver(state.isEnd(), ChannelState.ABANDONED == state, nowMs))
                {
                    endState = state;
                    if (terminateOnEnd)
                    {
                        throw new AgentTerminationException("channel ended: " + state, true);
                    }
                }
            }
        }

        return workCount;
    }

    /**
     * Close the reader.
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
        return roleName;
    }

    /**
     * How the channel ended.
     *
     * @return the end state, or null while the channel has not ended.
     */
    public ChannelState endState()
    {
        return endState;
    }

    /**
     * The reader this agent polls.
     *
     * @return the reader.
     */
    public ChannelReader reader()
    {
        return reader;
    }
}
