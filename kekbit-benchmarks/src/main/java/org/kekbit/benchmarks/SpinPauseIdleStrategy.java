package org.kekbit.benchmarks;

import org.agrona.concurrent.IdleStrategy;

/**
 * A reader that pauses for a fixed number of {@link Thread#onSpinWait()} after each poll that found nothing, then
 * looks again: it stays on its core, as a busy spin does, but reads the writer's cache lines less often. Agrona's
 * strategies either look again at once ({@code BusySpinIdleStrategy}, {@code NoOpIdleStrategy}) or back off into
 * {@code Thread.yield} and parking ({@code BackoffIdleStrategy}), which also hand the core to other threads; this is
 * only the pause, to measure what looking less often is worth. Benchmarks only.
 */
final class SpinPauseIdleStrategy implements IdleStrategy
{
    private final int spins;

    /**
     * A pause of {@code spins} spin-wait hints after each idle duty cycle.
     *
     * @param spins per idle duty cycle, positive.
     */
    SpinPauseIdleStrategy(final int spins)
    {
        if (spins <= 0)
        {
            throw new IllegalArgumentException("spins must be positive: " + spins);
        }
        this.spins = spins;
    }

    /**
     * {@inheritDoc}
     */
    public void idle(final int workCount)
    {
        if (workCount <= 0)
        {
            idle();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void idle()
    {
        for (int i = 0; i < spins; i++)
        {
            Thread.onSpinWait();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void reset()
    {
    }

    /**
     * {@inheritDoc}
     */
    public String alias()
    {
        return "spin-pause-" + spins;
    }
}
