package org.kekbit.samples.pipeline;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.codecs.trading.QuoteEncoder;
import org.kekbit.codecs.trading.Side;
import org.kekbit.sbe.SbeRecordClaim;

/**
 * Publishes quotes with two book levels each onto the market-data channel at a steady rate, then closes it.
 */
final class MarketDataFeed implements Agent
{
    static final int LEVELS = 2;
    static final int INSTRUMENTS = 16;
    static final long TICK = 1_000_000L; // 0.01 in price units of 10^-8
    private static final int MAX_BATCH = 256;
    private static final int LEVELS_LENGTH =
        QuoteEncoder.LevelsEncoder.sbeHeaderSize() + LEVELS * QuoteEncoder.LevelsEncoder.sbeBlockLength();
    static final int MAX_QUOTE_LENGTH = QuoteEncoder.BLOCK_LENGTH + LEVELS_LENGTH;

    private final ChannelWriter writer;
    private final EpochNanoClock clock;
    private final SbeRecordClaim claim = new SbeRecordClaim();
    private final QuoteEncoder quote = new QuoteEncoder();
    private final long quotes;
    private final long intervalNs;
    private long startNs;
    private volatile long published;
    private volatile boolean isDone;

    MarketDataFeed(final ChannelWriter writer, final EpochNanoClock clock, final long quotes, final long rate)
    {
        this.writer = writer;
        this.clock = clock;
        this.quotes = quotes;
        this.intervalNs = 0 == rate ? 0 : 1_000_000_000L / rate;
    }

    public void onStart()
    {
        startNs = System.nanoTime();
    }

    public int doWork()
    {
        if (isDone)
        {
            return 0;
        }

        final long published = this.published;
        final long due = 0 == intervalNs ? quotes : Math.min(quotes, (System.nanoTime() - startNs) / intervalNs + 1);
        final long batchEnd = Math.min(due, published + MAX_BATCH);
        long sequence = published;
        while (sequence < batchEnd)
        {
            publish(sequence++);
        }
        this.published = sequence;

        if (sequence == quotes)
        {
            writer.close();
            isDone = true;
        }

        return (int)(sequence - published);
    }

    public String roleName()
    {
        return "market-data-feed";
    }

    long published()
    {
        return published;
    }

    boolean isDone()
    {
        return isDone;
    }

    private void publish(final long sequence)
    {
        final long result = claim.tryClaim(writer, quote, LEVELS_LENGTH);
        if (result < 0)
        {
            throw new IllegalStateException("market data channel refused a quote: code=" + result);
        }

        final long mid = 100 * TICK * 100 + (sequence % 50) * TICK;
        final long nowNs = clock.nanoTime();
        quote.instrumentId((int)(sequence % INSTRUMENTS))
            .sendingTimeNs(nowNs)
            .transactTimeNs(nowNs)
            .bidSize(100)
            .askSize(100);
        quote.bidPrice().mantissa(mid - TICK);
        quote.askPrice().mantissa(mid + TICK);
        final QuoteEncoder.LevelsEncoder levels = quote.levelsCount(LEVELS);
        levels.next().side(Side.BUY).size(200).price().mantissa(mid - 2 * TICK);
        levels.next().side(Side.SELL).size(200).price().mantissa(mid + 2 * TICK);
        claim.commit();
    }
}
