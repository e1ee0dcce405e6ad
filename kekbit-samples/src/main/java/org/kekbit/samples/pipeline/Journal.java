package org.kekbit.samples.pipeline;

import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.codecs.trading.QuoteDecoder;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.sbe.SbeRecordDispatcher;

/**
 * Follows every channel of the pipeline as a durable named reader of its journal, committing after each poll that
 * delivered records, as an audit journal would: counts records and bytes per channel, checks
 * that orders and execution reports come in sequence and that every order got its report, and measures the latency
 * of the pipeline, each figure from the intended send time of the quote behind it (see {@link MarketDataFeed}):
 * <ul>
 *     <li>{@link #quoteLatencyNs()}: how late the feed wrote each quote, its {@code transactTimeNs} less its
 *     {@code sendingTimeNs}: the rate limiter and the feed's thread;</li>
 *     <li>{@link #orderLatencyNs()}: quote to order, the order's {@code sendingTimeNs} (stamped by the strategy as it
 *     encodes it) less the quote's intended send time;</li>
 *     <li>{@link #executionLatencyNs()}: quote to execution, the time this journal reads the execution report less
 *     the quote's intended send time: two hops to the exchange simulator and a third back to a reader.</li>
 * </ul>
 * Quotes before the warm-up count, and the orders and reports they cause, are counted and checked but not measured.
 */
final class Journal implements Agent
{
    static final int QUOTES = 0;
    static final int ORDERS = 1;
    static final int EXECUTIONS = 2;
    private static final int POLL_LIMIT = 256;
    private static final long HIGHEST_TRACKABLE_NS = TimeUnit.MINUTES.toNanos(1);

    private final JournalReader[] readers;
    private final Counting[] handlers = new Counting[3];
    private final EpochNanoClock clock;
    private final Histogram quoteLatencyNs = new Histogram(HIGHEST_TRACKABLE_NS, 3);
    private final Histogram orderLatencyNs = new Histogram(HIGHEST_TRACKABLE_NS, 3);
    private final Histogram executionLatencyNs = new Histogram(HIGHEST_TRACKABLE_NS, 3);
    private final long warmupQuotes;
    private final long warmupOrders;
    private long quotesSeen;
    private final ChannelState[] endStates = new ChannelState[3];
    private long expectedClOrdId = 1;
    private long expectedReportClOrdId = 1;
    private long sequenceErrors;
    private volatile boolean isDone;

    Journal(
        final JournalReader quotes,
        final JournalReader orders,
        final JournalReader executions,
        final EpochNanoClock clock,
        final long warmupQuotes,
        final long warmupOrders)
    {
        this.readers = new JournalReader[]{ quotes, orders, executions };
        this.clock = clock;
        this.warmupQuotes = warmupQuotes;
        this.warmupOrders = warmupOrders;
        handlers[QUOTES] = new Counting(new SbeRecordDispatcher().on(new QuoteDecoder(), this::onQuote));
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
            if (count > 0)
            {
                readers[i].commit(); // one ordered store: a restarted journal resumes after what it counted
            }
            else
            {
                final JournalState state = readers[i].state();
                if (JournalState.OPEN != state)
                {
                    endStates[i] = channelState(state);
                }
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
        for (final JournalReader reader : readers)
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

    Histogram quoteLatencyNs()
    {
        return quoteLatencyNs;
    }

    Histogram orderLatencyNs()
    {
        return orderLatencyNs;
    }

    Histogram executionLatencyNs()
    {
        return executionLatencyNs;
    }

    boolean isDone()
    {
        return isDone;
    }

    private void onQuote(final QuoteDecoder quote)
    {
        if (quotesSeen++ >= warmupQuotes)
        {
            record(quoteLatencyNs, quote.transactTimeNs() - quote.sendingTimeNs());
        }
    }

    private void onOrder(final NewOrderSingleDecoder order)
    {
        final long clOrdId = order.clOrdId();
        if (clOrdId != expectedClOrdId++)
        {
            sequenceErrors++;
        }
        if (clOrdId > warmupOrders)
        {
            record(orderLatencyNs, order.sendingTimeNs() - order.originTimeNs());
        }
    }

    private void onExecutionReport(final ExecutionReportDecoder report)
    {
        final long nowNs = clock.nanoTime();
        final long clOrdId = report.clOrdId();
        if (clOrdId != expectedReportClOrdId++)
        {
            sequenceErrors++;
        }
        if (clOrdId > warmupOrders)
        {
            record(executionLatencyNs, nowNs - report.originTimeNs());
        }
    }

    /**
     * The journal's end as the state a channel ends in, which the summary and {@link TradingPipeline.Result} report.
     */
    private static ChannelState channelState(final JournalState state)
    {
        switch (state)
        {
            case CLOSED:
                return ChannelState.CLOSED;
            case ABANDONED:
                return ChannelState.ABANDONED;
            default:
                return ChannelState.CORRUPT; // CORRUPT, or TRUNCATED: a segment the journal needed is gone
        }
    }

    private static void record(final Histogram histogram, final long valueNs)
    {
        histogram.recordValue(Math.min(Math.max(0, valueNs), HIGHEST_TRACKABLE_NS));
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
