package org.kekbit.journal;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.EpochClock;
import org.kekbit.channel.FollowPolicy;
import org.kekbit.channel.RecordHandler;

/**
 * An {@link Agent} that polls a {@link JournalReader} into a {@link RecordHandler}, as
 * {@link org.kekbit.channel.ChannelReaderAgent} does for a channel, for an {@link org.agrona.concurrent.AgentRunner},
 * an {@link org.agrona.concurrent.AgentInvoker} or a {@link org.agrona.concurrent.CompositeAgent}. It crosses
 * segments as the reader does, and a named reader's position is committed after each duty cycle that delivered
 * records (at-least-once: a record handled but not yet committed is delivered again after a crash).
 * <pre>{@code
 * final JournalReaderAgent agent = new JournalReaderAgent(reader, handler, 100, SystemEpochClock.INSTANCE);
 * try (AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, agent))
 * {
 *     AgentRunner.startOnThread(runner);
 *     ...
 * }
 * }</pre>
 * When nothing is left to read, the agent looks at the journal's state at most once per millisecond of the given
 * clock. Once the journal has ended for this reader ({@link JournalState#isEnd()}: CLOSED, CORRUPT or TRUNCATED) it
 * ends: it throws an expected {@link AgentTerminationException}, or, when built not to terminate, it stays idle.
 * {@link JournalState#ABANDONED} is followed for at most {@code maxAbandonedMs} in a row, for ever by default.
 * Closing the agent closes the reader.
 * <p>
 * Not threadsafe: it runs on the thread of its duty cycle.
 */
public final class JournalReaderAgent implements Agent
{
    /**
     * Follow an abandoned journal for ever, waiting for a writer to resume it.
     */
    public static final long FOLLOW_FOREVER = FollowPolicy.FOLLOW_FOREVER;

    private final JournalReader reader;
    private final RecordHandler handler;
    private final EpochClock epochClock;
    private final String roleName;
    private final int pollLimit;
    private final boolean terminateOnEnd;
    private final FollowPolicy followPolicy;
    private JournalState endState;

    /**
     * Construct an agent that terminates its duty cycle when the journal ends for its reader.
     *
     * @param reader     to poll; closed with the agent.
     * @param handler    for the records.
     * @param pollLimit  of records per duty cycle.
     * @param epochClock to pace state checks with.
     */
    public JournalReaderAgent(
        final JournalReader reader, final RecordHandler handler, final int pollLimit, final EpochClock epochClock)
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
     * @param terminateOnEnd true to throw an expected {@link AgentTerminationException} when the journal ends,
     *                       false to stay idle.
     * @param maxAbandonedMs how long the journal may stay ABANDONED before the agent ends with it:
     *                       {@link #FOLLOW_FOREVER}, or 0 to end at once.
     */
    public JournalReaderAgent(
        final JournalReader reader,
        final RecordHandler handler,
        final int pollLimit,
        final EpochClock epochClock,
        final boolean terminateOnEnd,
        final long maxAbandonedMs)
    {
        if (pollLimit <= 0)
        {
            throw new IllegalArgumentException("pollLimit must be positive: pollLimit=" + pollLimit);
        }
        this.reader = reader;
        this.handler = handler;
        this.pollLimit = pollLimit;
        this.epochClock = epochClock;
        this.terminateOnEnd = terminateOnEnd;
        this.followPolicy = new FollowPolicy(maxAbandonedMs);
        this.roleName = "kekbit-journal-reader" + (null == reader.name() ? "" : "-" + reader.name());
    }

    /**
     * Poll the reader once, and commit a named reader's position when records were delivered.
     *
     * @return the number of records delivered.
     * @throws AgentTerminationException (expected) when the journal has ended and the agent terminates on end.
     * @see FollowPolicy
     */
    public int doWork()
    {
        if (null != endState)
        {
            return 0;
        }

        final int workCount = reader.poll(handler, pollLimit);
        if (workCount > 0)
        {
            reader.commit();
        }
        else
        {
            final long nowMs = epochClock.time();
            if (followPolicy.isStateCheckDue(nowMs))
            {
                final JournalState state = reader.state();
                if (followPolicy.isFollowingOver(state.isEnd(), JournalState.ABANDONED == state, nowMs))
                {
                    endState = state;
                    if (terminateOnEnd)
                    {
                        throw new AgentTerminationException("journal ended: " + state, true);
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
     * How the journal ended for the reader.
     *
     * @return the end state, or null while it has not ended.
     */
    public JournalState endState()
    {
        return endState;
    }

    /**
     * The reader this agent polls.
     *
     * @return the reader.
     */
    public JournalReader reader()
    {
        return reader;
    }
}
