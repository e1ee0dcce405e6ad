package org.kekbit.replication;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * For the child JVMs of the replication tests: prints one line of protocol state when a position has not moved for
 * 3 s, and again every 10 s while it stays still, and a progress line every 60 s whatever happens, so a stalled
 * run's logs say where each side stands (a duty cycle stuck inside a call prints nothing: the tests then ask for a
 * thread dump).
 */
final class StallReport
{
    private static final long STALL_NS = TimeUnit.SECONDS.toNanos(3);
    private static final long REPEAT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long PROGRESS_NS = TimeUnit.SECONDS.toNanos(60);

    private final LongSupplier position;
    private final Supplier<String> state;
    private long lastPosition = Long.MIN_VALUE;
    private long movedAtNs = System.nanoTime();
    private long reportedAtNs;
    private long progressAtNs = System.nanoTime();

    StallReport(final LongSupplier position, final Supplier<String> state)
    {
        this.position = position;
        this.state = state;
    }

    void check()
    {
        final long nowNs = System.nanoTime();
        final long current = position.getAsLong();
        if (nowNs - progressAtNs > PROGRESS_NS)
        {
            progressAtNs = nowNs;
            System.out.println("at " + current + ": " + state.get());
        }
        if (current != lastPosition)
        {
            lastPosition = current;
            movedAtNs = nowNs;
            reportedAtNs = 0;
            return;
        }
        if (nowNs - movedAtNs > STALL_NS && (0 == reportedAtNs || nowNs - reportedAtNs > REPEAT_NS))
        {
            reportedAtNs = nowNs;
            System.out.println("still at " + current + " for " + TimeUnit.NANOSECONDS.toSeconds(nowNs - movedAtNs) +
                " s: " + state.get());
        }
    }
}
