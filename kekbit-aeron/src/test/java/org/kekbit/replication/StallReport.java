package org.kekbit.replication;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * For the child JVMs of the replication tests: prints one line of protocol state when a position has not moved for
 * 3 s, and again every 10 s while it stays still, so a stalled run's logs say where each side stands.
 */
final class StallReport
{
    private static final long STALL_NS = TimeUnit.SECONDS.toNanos(3);
    private static final long REPEAT_NS = TimeUnit.SECONDS.toNanos(10);

    private final LongSupplier position;
    private final Supplier<String> state;
    private long lastPosition = Long.MIN_VALUE;
    private long movedAtNs = System.nanoTime();
    private long reportedAtNs;

    StallReport(final LongSupplier position, final Supplier<String> state)
    {
        this.position = position;
        this.state = state;
    }

    void check()
    {
        final long nowNs = System.nanoTime();
        final long current = position.getAsLong();
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
