package org.kekbit.benchmarks;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The reading side of a streaming benchmark, run by a {@link DutyThread}: the benchmark thread announces how many
 * records it is about to write with {@link #expect(long)}, writes them, and waits with {@link #await(DutyThread)}
 * until this consumer has taken them all. The consumer never takes more than it was told to expect, so each
 * system's reader does the same work. Subclasses poll one system; their handler reads the first 8 bytes of every
 * payload into {@link #sum} so no read can be optimised away.
 */
public abstract class Consumer implements DutyThread.Duty
{
    private final AtomicLong consumed = new AtomicLong();
    private volatile long target;
    private long received;

    /**
     * Sum of the first 8 bytes of every payload taken, so the reads have an effect.
     */
    protected long sum;

    /**
     * Take up to {@code limit} records.
     *
     * @param limit of records to take, at most {@link BenchmarkConfiguration#POLL_LIMIT}.
     * @return records taken.
     * @throws Exception when the system fails.
     */
    protected abstract int poll(int limit) throws Exception;

    /**
     * Poll, if more records are expected than were taken.
     *
     * @return records taken.
     * @throws Exception when the system fails.
     */
    public final int doWork() throws Exception
    {
        final long remaining = target - received;
        if (remaining <= 0)
        {
            return 0;
        }

        final int count = poll((int)Math.min(BenchmarkConfiguration.POLL_LIMIT, remaining));
        if (count > 0)
        {
            received += count;
            consumed.lazySet(received);
        }

        return count;
    }

    /**
     * Announce records about to be written. Called by the benchmark thread only.
     *
     * @param records to expect on top of those expected so far.
     */
    public final void expect(final long records)
    {
        target += records;
    }

    /**
     * Wait until every record expected so far was taken.
     *
     * @param thread running this consumer, checked for failures while waiting.
     * @throws IllegalStateException when the consumer failed or the wait lasted more than a minute.
     */
    public final void await(final DutyThread thread)
    {
        final long target = this.target;
        long spins = 0;
        while (consumed.get() < target)
        {
            thread.waiting(++spins);
        }
    }

    /**
     * Whether every record expected so far was taken.
     *
     * @return true when done.
     */
    public final boolean isDone()
    {
        return consumed.get() >= target;
    }

    /**
     * Records taken so far.
     *
     * @return the count.
     */
    public final long consumed()
    {
        return consumed.get();
    }
}
