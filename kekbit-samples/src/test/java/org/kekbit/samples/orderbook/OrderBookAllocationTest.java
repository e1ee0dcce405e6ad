package org.kekbit.samples.orderbook;

import java.lang.management.ManagementFactory;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Applying commands to an {@link OrderBook} allocates nothing in steady state (once the book has held as many orders
 * and levels as it holds), measured on the applying thread as the image's and the journal's hot path tests measure:
 * the live instance, emitting its reports, and a shadow instance, emitting none.
 */
class OrderBookAllocationTest
{
    private static final int WARM_UP_COMMANDS = 200_000;
    private static final int MEASURED_COMMANDS = 100_000;
    private static final int MEASURED_RUNS = 5;
    private static final int MAX_AGE = 2048;

    @Test
    @Timeout(120)
    void shouldAllocateNothingWhenApplyingCommandsInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final CountingSink sink = new CountingSink();
        final OrderBook live = new OrderBook().reportSink(sink);
        final OrderBook shadow = new OrderBook();
        final RandomCommands commands = new RandomCommands(42, 4, 20, MAX_AGE);
        long position = run(live, shadow, commands, 0, WARM_UP_COMMANDS);
        final long[] warmUpCounts = sink.byExecType.clone();

        // The least over a few runs, as the journal's hot path test measures: a deoptimisation (its scalar-replaced
        // objects rematerialised on the heap) or a late compilation can land in one run; an allocation per command
        // lands in every run.
        long leastAllocated = Long.MAX_VALUE;
        int measuredRuns = 0;
        for (; measuredRuns < MEASURED_RUNS && leastAllocated > 0; measuredRuns++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            position = run(live, shadow, commands, position, MEASURED_COMMANDS);
            leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
        }

        assertEquals(0, leastAllocated, "bytes allocated applying " + MEASURED_COMMANDS + " commands to two books");
        assertEquals(live.stateDigest(), shadow.stateDigest());
        assertEquals(position, live.commandCount());
        // What the measured commands did: every outcome, in numbers that matter.
        for (final ExecType execType : new ExecType[]{
            ExecType.NEW, ExecType.PARTIAL_FILL, ExecType.FILL, ExecType.CANCELED, ExecType.REJECTED})
        {
            final long count = sink.byExecType[execType.value()] - warmUpCounts[execType.value()];
            assertTrue(count > 1000L * measuredRuns, execType + " reports in the measured commands: " + count);
        }
        assertTrue(live.restingOrderCount() > 100 && live.restingOrderCount() <= MAX_AGE,
            "resting orders: " + live.restingOrderCount());
    }

    private static long run(
        final OrderBook live, final OrderBook shadow, final RandomCommands commands, final long from, final int count)
    {
        long position = from;
        for (int i = 0; i < count; i++)
        {
            commands.next();
            position++;
            live.apply(position, commands.msgTypeId, commands.buffer, 0, commands.length);
            shadow.apply(position, commands.msgTypeId, commands.buffer, 0, commands.length);
        }
        return position;
    }

    /**
     * Counts the reports by exec type, decoding each: what a sink that does something with them costs.
     */
    private static final class CountingSink implements OrderBook.ReportSink
    {
        final long[] byExecType = new long[256];
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final ExecutionReportDecoder report = new ExecutionReportDecoder();

        public void onReport(final DirectBuffer buffer, final int offset, final int length)
        {
            header.wrap(buffer, offset);
            report.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
            byExecType[report.execTypeRaw()]++;
        }
    }
}
