package org.kekbit.channel;

/**
 * When a follower of a channel or journal looks at its state and when it stops following: the one rule behind
 * {@link ChannelReaderAgent} and {@code org.kekbit.journal.JournalReaderAgent}. The state is looked at at most once
 * per millisecond of the follower's clock (a liveness check may cost a system call); an end stops it at once; an
 * abandoned writer is followed for at most {@code maxAbandonedMs} in a row, since a writer may resume.
 * <p>
 * Not threadsafe: it belongs to its follower's thread.
 */
public final class FollowPolicy
{
    /**
     * Follow an abandoned writer for ever, waiting for it to be resumed.
     */
    public static final long FOLLOW_FOREVER = Long.MAX_VALUE;

    private final long maxAbandonedMs;
    private long lastStateCheckMs = Long.MIN_VALUE;
    private long abandonedSinceMs = Long.MIN_VALUE;

    /**
     * A policy that follows an abandoned writer for a bounded time.
     *
     * @param maxAbandonedMs how long the writer may stay abandoned before following ends: {@link #FOLLOW_FOREVER},
     *                       or 0 to end at once.
     * @throws IllegalArgumentException when maxAbandonedMs is negative.
     */
    public FollowPolicy(final long maxAbandonedMs)
    {
        if (maxAbandonedMs < 0)
        {
            throw new IllegalArgumentException("maxAbandonedMs must not be negative: maxAbandonedMs=" + maxAbandonedMs);
        }
        this.maxAbandonedMs = maxAbandonedMs;
    }

    /**
     * Whether to look at the state now, after a poll that delivered nothing.
     *
     * @param nowMs the follower's clock.
     * @return true at most once per millisecond.
     */
    public boolean isStateCheckDue(final long nowMs)
    {
        if (nowMs != lastStateCheckMs)
        {
            lastStateCheckMs = nowMs;
            return true;
        }
        return false;
    }

    /**
     * Whether following ends, given the state just looked at.
     *
     * @param isEnd       whether the state is an end (nothing can follow without a seek or a resume).
     * @param isAbandoned whether the state says the writer is gone without closing.
     * @param nowMs       the follower's clock.
     * @return true when following ends.
     */
    public boolean isFollowingOver(final boolean isEnd, final boolean isAbandoned, final long nowMs)
    {
        if (!isAbandoned)
        {
            abandonedSinceMs = Long.MIN_VALUE;
            return isEnd;
        }
        if (Long.MIN_VALUE == abandonedSinceMs)
        {
            abandonedSinceMs = nowMs;
        }
        return nowMs - abandonedSinceMs >= maxAbandonedMs;
    }
}
