package org.kekbit.samples.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.codecs.trading.MessageHeaderEncoder;

/**
 * The main job: a trading pipeline over three channels, with SBE messages encoded straight into the records.
 * <pre>
 *   market-data feed --quotes--&gt; strategy --orders--&gt; exchange simulator --executions--&gt;
 *                        \                   \                                   \
 *                         +-------------------+-----------------------------------+--&gt; journal
 * </pre>
 * The feed and the exchange simulator share one thread, the strategy and the journal another, each pair a
 * {@link CompositeAgent} with its channels' writers under an {@link AgentRunner} with a backoff idle strategy, so
 * the pipeline leaves room for the main thread on a 2-core machine. While it runs it prints progress each second; at
 * the end a summary: records and bytes per channel, throughput, quote-to-execution latency percentiles, and where
 * the channel files are, to inspect with {@code kekbit info}, {@code tail} and {@code verify}.
 * <pre>
 * java -jar kekbit-samples/target/kekbit-samples.jar
 * java -Dkekbit.pipeline.quotes=5000000 -Dkekbit.pipeline.rate=0 -jar kekbit-samples/target/kekbit-samples.jar
 * </pre>
 */
public final class TradingPipeline
{
    /**
     * Channel id of the quotes.
     */
    public static final long QUOTES_CHANNEL_ID = 1;

    /**
     * Channel id of the orders.
     */
    public static final long ORDERS_CHANNEL_ID = 2;

    /**
     * Channel id of the execution reports.
     */
    public static final long EXECUTIONS_CHANNEL_ID = 3;

    private static final long RUN_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(5);
    private static final String[] CHANNEL_NAMES = { "quotes", "orders", "executions" };

    private TradingPipeline()
    {
    }

    /**
     * Run with the settings of {@link PipelineConfiguration#fromSystemProperties()}.
     *
     * @param args ignored.
     */
    public static void main(final String[] args)
    {
        try
        {
            final Result result = run(PipelineConfiguration.fromSystemProperties(), System.out);
            System.exit(result.isValid() ? 0 : 1);
        }
        catch (final IllegalArgumentException | IllegalStateException | ChannelException ex)
        {
            System.err.println("kekbit: " + ex.getMessage());
            System.exit(2);
        }
    }

    /**
     * Run the pipeline, printing progress and the summary.
     *
     * @param config settings.
     * @param out    to print to.
     * @return what the journal saw.
     */
    public static Result run(final PipelineConfiguration config, final PrintStream out)
    {
        final Path[] paths = new Path[3];
        final long[] ids = { QUOTES_CHANNEL_ID, ORDERS_CHANNEL_ID, EXECUTIONS_CHANNEL_ID };
        final long[] capacities = {
            capacity(config.quotes(), MarketDataFeed.MAX_QUOTE_LENGTH),
            capacity(config.orders(), Strategy.MAX_ORDER_LENGTH),
            capacity(config.orders(), ExchangeSimulator.MAX_REPORT_LENGTH) };
        final ChannelWriter[] writers = new ChannelWriter[3];
        for (int i = 0; i < 3; i++)
        {
            paths[i] = ChannelDescriptor.channelPath(config.root(), ids[i]);
            deletePreviousRun(paths[i]);
        }

        final EpochNanoClock clock = new OffsetEpochNanoClock();
        AgentRunner marketRunner = null;
        AgentRunner tradingRunner = null;
        try
        {
            for (int i = 0; i < 3; i++)
            {
                writers[i] = ChannelWriter.create(new ChannelWriter.Context()
                    .root(config.root())
                    .channelId(ids[i])
                    .capacity(capacities[i]));
            }

            final MarketDataFeed feed = new MarketDataFeed(writers[0], clock, config.quotes(), config.rate());
            final Strategy strategy = new Strategy(
                ChannelReader.open(paths[0]), writers[1], clock, config.orderEvery());
            final ExchangeSimulator exchange = new ExchangeSimulator(ChannelReader.open(paths[1]), writers[2], clock);
            final Journal journal = new Journal(
                ChannelReader.open(paths[0]), ChannelReader.open(paths[1]), ChannelReader.open(paths[2]), clock);

            out.printf(Locale.ROOT, "kekbit trading pipeline: %,d quotes at %s, one order every %d quotes%n",
                config.quotes(), 0 == config.rate() ? "full speed" : String.format(Locale.ROOT, "%,d/s", config.rate()),
                config.orderEvery());

            marketRunner = new AgentRunner(idleStrategy(), Throwable::printStackTrace, null,
                new CompositeAgent(feed, writers[0], exchange, writers[2]));
            tradingRunner = new AgentRunner(idleStrategy(), Throwable::printStackTrace, null,
                new CompositeAgent(strategy, writers[1], journal));

            final long startNs = System.nanoTime();
            AgentRunner.startOnThread(marketRunner);
            AgentRunner.startOnThread(tradingRunner);
            long feedEndNs = 0;
            long nextReportNs = startNs + TimeUnit.SECONDS.toNanos(1);
            while (!journal.isDone() && System.nanoTime() - startNs < RUN_TIMEOUT_NS &&
                !marketRunner.isClosed() && !tradingRunner.isClosed())
            {
                if (0 == feedEndNs && feed.isDone())
                {
                    feedEndNs = System.nanoTime();
                }
                if (System.nanoTime() >= nextReportNs)
                {
                    nextReportNs += TimeUnit.SECONDS.toNanos(1);
                    out.printf(Locale.ROOT, "  %5.1f s: quotes %,d  orders %,d  executions %,d  journal %,d%n",
                        (System.nanoTime() - startNs) / 1e9, feed.published(), strategy.ordersSent(),
                        exchange.reportsSent(), journal.records(0) + journal.records(1) + journal.records(2));
                }
                sleepMs(10);
            }
            final long endNs = System.nanoTime();
            feedEndNs = 0 == feedEndNs ? endNs : feedEndNs;
            CloseHelper.closeAll(marketRunner, tradingRunner);

            final Result result = new Result(
                journal.records(Journal.QUOTES), journal.records(Journal.ORDERS), journal.records(Journal.EXECUTIONS),
                config.orders(), journal.sequenceErrors(), journal.endState(Journal.EXECUTIONS),
                journal.latencyNs().copy());
            printSummary(out, config, journal, paths, capacities, feedEndNs - startNs, endNs - startNs, result);

            return result;
        }
        finally
        {
            CloseHelper.quietCloseAll(marketRunner, tradingRunner);
            CloseHelper.quietCloseAll(writers);
        }
    }

    private static void printSummary(
        final PrintStream out,
        final PipelineConfiguration config,
        final Journal journal,
        final Path[] paths,
        final long[] capacities,
        final long feedNs,
        final long totalNs,
        final Result result)
    {
        out.println();
        out.printf(Locale.ROOT, "%-11s %12s %14s %10s  %s%n", "channel", "records", "payload bytes", "state", "file");
        long records = 0;
        for (int i = 0; i < 3; i++)
        {
            records += journal.records(i);
            out.printf(Locale.ROOT, "%-11s %,12d %,14d %10s  %s (%,d bytes)%n", CHANNEL_NAMES[i],
                journal.records(i), journal.bytes(i), journal.endState(i), paths[i],
                ChannelDescriptor.fileLength(capacities[i]));
        }

        out.println();
        out.printf(Locale.ROOT, "throughput: quotes %,.0f/s over %.2f s; all channels %,.0f records/s end to end%n",
            config.quotes() / (feedNs / 1e9), feedNs / 1e9, records / (totalNs / 1e9));
        final Histogram latency = result.latencyNs();
        out.printf(Locale.ROOT,
            "quote-to-execution latency (us, %,d samples): p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
            latency.getTotalCount(),
            latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(90) / 1e3,
            latency.getValueAtPercentile(99) / 1e3, latency.getValueAtPercentile(99.9) / 1e3,
            latency.getMaxValue() / 1e3);
        out.printf(Locale.ROOT, "every order got its execution report: %s (%,d orders, %,d reports, %d out of " +
            "sequence)%n", result.isValid() ? "yes" : "NO", result.orders(), result.executions(),
            result.sequenceErrors());
        out.println("inspect: java -jar kekbit-samples/target/kekbit.jar info|tail|verify " + paths[0]);
    }

    private static long capacity(final long records, final int maxMessageLength)
    {
        final long recordLength = RecordDescriptor.alignedLength(
            RecordDescriptor.frameLength(MessageHeaderEncoder.ENCODED_LENGTH + maxMessageLength));
        final long capacity = Math.max(ChannelDescriptor.MIN_CAPACITY, (records + 1) * recordLength);
        if (capacity > ChannelDescriptor.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("too many records for one channel: capacity needed=" + capacity +
                ", max=" + ChannelDescriptor.MAX_CAPACITY);
        }
        return capacity;
    }

    private static IdleStrategy idleStrategy()
    {
        return new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
    }

    private static void deletePreviousRun(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot remove the previous run's channel " + path + ": " + ex);
        }
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What the journal saw.
     *
     * @param quotes         records on the quotes channel.
     * @param orders         records on the orders channel.
     * @param executions     records on the executions channel.
     * @param expectedOrders orders the strategy was to send.
     * @param sequenceErrors orders or reports out of sequence.
     * @param executionsEnd  state the executions channel ended in.
     * @param latencyNs      quote-to-execution latencies.
     */
    public record Result(
        long quotes,
        long orders,
        long executions,
        long expectedOrders,
        long sequenceErrors,
        ChannelState executionsEnd,
        Histogram latencyNs)
    {
        /**
         * Whether every order got its execution report, in sequence, and the channels were closed.
         *
         * @return true when valid.
         */
        public boolean isValid()
        {
            return orders == expectedOrders && executions == orders && 0 == sequenceErrors &&
                ChannelState.CLOSED == executionsEnd && latencyNs.getTotalCount() == executions;
        }
    }
}
