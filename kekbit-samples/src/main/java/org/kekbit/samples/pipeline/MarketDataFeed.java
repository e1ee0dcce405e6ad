package org.kekbit.samples.pipeline;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.kekbit.codecs.trading.QuoteEncoder;
import org.kekbit.codecs.trading.Side;
import org.kekbit.journal.JournalWriter;
import org.kekbit.sbe.SbeRecordClaim;

/**
 * Publishes quotes with two book levels each onto the market-data channel at a steady rate, then closes it in the
 * next duty cycle.
 * <p>
 * Quote {@code n} (from 0) is due at {@code start + n * intervalNs}, and its {@code sendingTimeNs} is that intended
 * send time, not the time it was written: a feed that falls behind its schedule (a parked or descheduled thread, a
 * JIT pause) writes the late quotes at once, and their delay counts in every latency measured from them. That is
 * what keeps the figures free of coordinated omission. {@code transactTimeNs} is when the quote was written. At
 * full speed (rate 0) no quote has a schedule, and both times are the time of writing.
 */
final class MarketDataFeed implements Agent
{
    static final int LEVELS = 2;
    static final int INSTRUMENTS = 16;
    static final long TICK = 1_000_000L; // 0.01 in price units of 10^-8
    /**
     * Quotes a late feed catches up on in one duty cycle: no more than the strategy polls in one, so that a strategy
     * on the feed's thread does not fall further behind while the feed catches up.
     */
    private static final int MAX_BATCH = Strategy.POLL_LIMIT;
    private static final int LEVELS_LENGTH =
        QuoteEncoder.LevelsEncoder.sbeHeaderSize() + LEVELS * QuoteEncoder.LevelsEncoder.sbeBlockLength();
    static final int MAX_QUOTE_LENGTH = QuoteEncoder.BLOCK_LENGTH + LEVELS_LENGTH;

    private final JournalWriter writer;
    private final EpochNanoClock clock;
    private final SbeRecordClaim claim = new SbeRecordClaim();
    private final QuoteEncoder quote = new QuoteEncoder();
    private final long quotes;
    private final long intervalNs;
    private long startNs;
    private long nextDueNs;
    private volatile long published;
    private volatile boolean isDone;

    MarketDataFeed(final JournalWriter writer, final EpochNanoClock clock, final long quotes, final long rate)
    {
        this.writer = writer;
        this.clock = clock;
        this.quotes = quotes;
        this.intervalNs = 0 == rate ? 0 : 1_000_000_000L / rate;
    }

    public void onStart()
    {
        startNs = clock.nanoTime();
        nextDueNs = startNs;
    }

    public int doWork()
    {
        if (isDone)
        {
            return 0;
        }

        final long published = this.published;
        if (published == quotes)
        {
            // A duty cycle after the last quote, so that agents after the feed on its thread have that quote in hand
            // first: closing unmaps the channel, which takes milliseconds for a channel of hundreds of MB.
            writer.close();
            isDone = true;
            return 1;
        }

        final long nowNs = clock.nanoTime();
        if (nowNs < nextDueNs)
        {
            return 0;
        }

        final long due = 0 == intervalNs ? quotes : Math.min(quotes, (nowNs - startNs) / intervalNs + 1);
        final long batchEnd = Math.min(due, published + MAX_BATCH);
        long sequence = published;
        while (sequence < batchEnd)
        {
            publish(sequence++);
        }
        this.published = sequence;
        nextDueNs = startNs + sequence * intervalNs;

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
        final long result = JournalClaims.tryClaim(claim, writer, quote, LEVELS_LENGTH);
        if (result < 0)
        {
            throw new IllegalStateException("market data channel refused a quote: code=" + result);
        }

        final long mid = 100 * TICK * 100 + (sequence % 50) * TICK;
        final long nowNs = clock.nanoTime();
        final long intendedNs = 0 == intervalNs ? nowNs : startNs + sequence * intervalNs;
        quote.instrumentId((int)(sequence % INSTRUMENTS))
            .sendingTimeNs(intendedNs)
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
