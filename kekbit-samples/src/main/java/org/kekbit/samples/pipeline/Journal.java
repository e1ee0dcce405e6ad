package org.kekbit.samples.pipeline;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.codecs.trading.QuoteDecoder;
import org.kekbit.sbe.SbeRecordDispatcher;

/**
 * Follows every channel of the pipeline, as an audit journal would: counts records and bytes per channel, checks
 * that orders and execution reports come in sequence and that every order got its report, and records the
 * quote-to-execution latency of each report.
 */
final class Journal implements Agent
{
    static final int QUOTES = 0;
    static final int ORDERS = 1;
    static final int EXECUTIONS = 2;
    private static final int POLL_LIMIT = 256;

    private final ChannelReader[] readers;
    private final Counting[] handlers = new Counting[3];
    private final EpochNanoClock clock;
    private final Histogram latencyNs = new Histogram(TimeUnit.MINUTES.toNanos(1), 3);
    private final ChannelState[] endStates = new ChannelState[3];
    private long expectedClOrdId = 1;
    private long expectedReportClOrdId = 1;
    private long sequenceErrors;
    private volatile boolean isDone;

    Journal(final ChannelReader quotes, final ChannelReader orders, final ChannelReader executions,
        final EpochNanoClock clock)
    {
        this.readers = new ChannelReader[]{ quotes, orders, executions };
        this.clock = clock;
        handlers[QUOTES] = new Counting(new SbeRecordDispatcher().on(new QuoteDecoder(), quote -> {}));
        handlers[ORDERS] = new Counting(new SbeRecordDispatcher().on(new NewOrderSingleDecoder(), this::onOrder));
        handlers[EXECUTIONS] = new Counting(
            new SbeRecordDispatcher().on(new ExecutionReportDecoder(), this::onExecutionReport));
    }

    public int doWork()
    {
        if (isDone)
        {
            return 0;
        }

        int workCount = 0;
        int ended = 0;
        for (int i = 0; i < readers.length; i++)
        {
            if (null != endStates[i])
            {
                ended++;
                continue;
            }

            final int count = readers[i].poll(handlers[i], POLL_LIMIT);
            if (0 == count && readers[i].state().isEndOrAbandoned())
            {
                endStates[i] = readers[i].state();
            }
            workCount += count;
        }

        if (ended == readers.length)
        {
            isDone = true;
        }

        return workCount;
    }

    public void onClose()
    {
        for (final ChannelReader reader : readers)
        {
            reader.close();
        }
    }

    public String roleName()
    {
        return "journal";
    }

    long records(final int channel)
    {
        return handlers[channel].records;
    }

    long bytes(final int channel)
    {
        return handlers[channel].bytes;
    }

    ChannelState endState(final int channel)
    {
        return endStates[channel];
    }

    long sequenceErrors()
    {
        return sequenceErrors;
    }

    Histogram latencyNs()
    {
        return latencyNs;
    }

    boolean isDone()
    {
        return isDone;
    }

    private void onOrder(final NewOrderSingleDecoder order)
    {
        if (order.clOrdId() != expectedClOrdId++)
        {
            sequenceErrors++;
        }
    }

    private void onExecutionReport(final ExecutionReportDecoder report)
    {
        if (report.clOrdId() != expectedReportClOrdId++)
        {
            sequenceErrors++;
        }
        latencyNs.recordValue(Math.max(0, clock.nanoTime() - report.originTimeNs()));
    }

    private static final class Counting implements RecordHandler
    {
        private final RecordHandler delegate;
        private volatile long records;
        private long bytes;

        Counting(final RecordHandler delegate)
        {
            this.delegate = delegate;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            delegate.onRecord(msgTypeId, buffer, offset, length);
            bytes += length;
            records++;
        }
    }
}
