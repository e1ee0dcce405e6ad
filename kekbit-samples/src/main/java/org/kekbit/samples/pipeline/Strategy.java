package org.kekbit.samples.pipeline;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.QuoteDecoder;
import org.kekbit.codecs.trading.Side;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;
import org.kekbit.sbe.SbeRecordClaim;
import org.kekbit.sbe.SbeRecordDispatcher;

/**
 * Reads quotes and sends one limit order every {@code orderEvery} quotes, at the quote's far side so it fills,
 * carrying the quote's sending time so the pipeline can measure quote-to-execution latency. Closes the order
 * channel once the market-data channel has ended.
 */
final class Strategy implements Agent
{
    static final int POLL_LIMIT = 64;
    private static final UnsafeBuffer ACCOUNT = new UnsafeBuffer("ACC-0001".getBytes(StandardCharsets.US_ASCII));
    static final int MAX_ORDER_LENGTH =
        NewOrderSingleEncoder.BLOCK_LENGTH + NewOrderSingleEncoder.accountHeaderLength() + ACCOUNT.capacity();

    private final JournalReader quotes;
    private final JournalWriter orders;
    private final EpochNanoClock clock;
    private final int orderEvery;
    private final SbeRecordClaim claim = new SbeRecordClaim();
    private final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
    private final SbeRecordDispatcher dispatcher;
    private long quotesSeen;
    private volatile long ordersSent;
    private volatile boolean isDone;

    Strategy(final JournalReader quotes, final JournalWriter orders, final EpochNanoClock clock, final int orderEvery)
    {
        this.quotes = quotes;
        this.orders = orders;
        this.clock = clock;
        this.orderEvery = orderEvery;
        this.dispatcher = new SbeRecordDispatcher().on(new QuoteDecoder(), this::onQuote);
    }

    public int doWork()
    {
        if (isDone)
        {
            return 0;
        }

        final int workCount = quotes.poll(dispatcher, POLL_LIMIT);
        if (0 == workCount && JournalState.OPEN != quotes.state())
        {
            orders.close();
            isDone = true;
        }

        return workCount;
    }

    public void onClose()
    {
        quotes.close();
    }

    public String roleName()
    {
        return "strategy";
    }

    long ordersSent()
    {
        return ordersSent;
    }

    boolean isDone()
    {
        return isDone;
    }

    private void onQuote(final QuoteDecoder quote)
    {
        if (++quotesSeen % orderEvery != 0)
        {
            return;
        }

        final long result = JournalClaims.tryClaim(
            claim, orders, order, MAX_ORDER_LENGTH - NewOrderSingleEncoder.BLOCK_LENGTH);
        if (result < 0)
        {
            throw new IllegalStateException("order channel refused an order: code=" + result);
        }

        final boolean isBuy = (quotesSeen / orderEvery & 1) == 0;
        final long nowNs = clock.nanoTime();
        order.clOrdId(ordersSent + 1)
            .instrumentId(quote.instrumentId())
            .side(isBuy ? Side.BUY : Side.SELL)
            .ordType(OrdType.LIMIT)
            .quantity(isBuy ? quote.askSize() : quote.bidSize())
            .sendingTimeNs(nowNs)
            .transactTimeNs(nowNs)
            .originTimeNs(quote.sendingTimeNs());
        order.price().mantissa(isBuy ? quote.askPrice().mantissa() : quote.bidPrice().mantissa());
        order.putAccount(ACCOUNT, 0, ACCOUNT.capacity());
        claim.commit();
        ordersSent++;
    }
}
