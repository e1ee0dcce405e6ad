package org.kekbit.samples.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;

import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalNamedReaders;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSegmentPrefetcher;
import org.kekbit.journal.JournalWriter;

/**
 * The main job: a trading pipeline over three journals, with SBE messages encoded straight into the records. Each
 * journal is a folder of segments of {@link PipelineConfiguration#segmentCapacity()} bytes, small enough that a
 * default run rolls many times; the journal agent follows them as the durable named reader {@value #READER_NAME}.
 * <pre>
 *   market-data feed --quotes--&gt; strategy --orders--&gt; exchange simulator --executions--&gt;
 *                        \                   \                                   \
 *                         +-------------------+-----------------------------------+--&gt; journal
 * </pre>
 * Each agent runs, with the writer of the channel it writes, in a {@link CompositeAgent} per thread under an
 * {@link AgentRunner}; which agents share a thread and how the threads idle are settings
 * ({@link PipelineConfiguration}). While it runs it prints progress each second; at the end a summary: records
 * written and journaled per channel and the state each ended in, whether the journal saw every record, throughput,
 * and latency percentiles in microseconds, each from the quote's intended send time (see {@link MarketDataFeed} and
 * {@link Journal}), leaving out the warm-up. With a rate of 0 the feed floods the channels: a throughput run, whose
 * delays are queueing, and the summary says so.
 * <pre>
 * java -jar kekbit-samples/target/kekbit-samples.jar
 * java -Dkekbit.pipeline.threads=feed+exchange/strategy+journal -jar kekbit-samples/target/kekbit-samples.jar
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

    /**
     * Name of the journal agent's durable reader in each journal.
     */
    public static final String READER_NAME = "journal";

    private static final long RUN_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(5);

    /**
     * A feed that writes one quote in ten this late or later has not kept its schedule: the machine could not run
     * the rate, and every later stage queues behind it. On a quiet machine the feed's p90 is a few microseconds.
     */
    static final long FEED_BEHIND_NS = TimeUnit.MILLISECONDS.toNanos(1);
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
        final Path[] folders = new Path[3];
        final JournalWriter[] writers = new JournalWriter[3];
        for (int i = 0; i < 3; i++)
        {
            folders[i] = journalFolder(config.root(), i);
            deletePreviousRun(config.root(), i);
        }

        final EpochNanoClock clock = new OffsetEpochNanoClock();
        final List<List<String>> layout = config.threadAgents();
        final AgentRunner[] runners = new AgentRunner[layout.size()];
        AgentRunner segmentRunner = null;
        final MappingReleaser releaser = new MappingReleaser();
        final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();
        try
        {
            createWriters(config, folders, writers, releaser);
            segmentRunner = startSegmentThread(writers, releaser, prefetcher);

            final BiFunction<Path, String, JournalReader> readers =
                (folder, name) -> open(folder, name, config.preTouch(), releaser, prefetcher);
            final MarketDataFeed feed = new MarketDataFeed(writers[0], clock, config.quotes(), config.rate());
            final Strategy strategy =
                new Strategy(readers.apply(folders[0], null), writers[1], clock, config.orderEvery());
            final ExchangeSimulator exchange =
                new ExchangeSimulator(readers.apply(folders[1], null), writers[2], clock);
            final Journal journal = new Journal(
                readers.apply(folders[0], READER_NAME), readers.apply(folders[1], READER_NAME),
                readers.apply(folders[2], READER_NAME), clock, config.warmupQuotes(), config.warmupOrders());
            // Each writer's duty cycle (heartbeat, next segment ahead of need) runs beside the agent that writes it.
            final Map<String, List<Agent>> agents = Map.of(
                "feed", List.of(feed, writers[0]),
                "strategy", List.of(strategy, writers[1]),
                "exchange", List.of(exchange, writers[2]),
                "journal", List.of(journal));
            for (int i = 0; i < runners.length; i++)
            {
                final List<Agent> threadAgents = new ArrayList<>();
                layout.get(i).forEach((name) -> threadAgents.addAll(agents.get(name)));
                runners[i] = new AgentRunner(
                    config.newIdleStrategy(), Throwable::printStackTrace, null, new CompositeAgent(threadAgents));
            }

            printRunDescription(out, config, layout);
            final long startNs = System.nanoTime();
            for (final AgentRunner runner : runners)
            {
                AgentRunner.startOnThread(runner);
            }
            long feedEndNs = 0;
            long nextReportNs = startNs + TimeUnit.SECONDS.toNanos(1);
            while (!journal.isDone() && System.nanoTime() - startNs < RUN_TIMEOUT_NS && !isAnyClosed(runners))
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
            CloseHelper.closeAll(runners);
            CloseHelper.close(segmentRunner);
            final long[] rolls = perWriter(writers, JournalWriter::rolls);
            final long[] inlineCreations = perWriter(writers, JournalWriter::inlineSegmentCreations);

            final long[] written = { feed.published(), strategy.ordersSent(), exchange.reportsSent() };
            final ChannelResult[] channels = new ChannelResult[3];
            for (int i = 0; i < 3; i++)
            {
                channels[i] = new ChannelResult(
                    written[i], journal.records(i), journal.bytes(i), journal.endState(i));
            }
            final Result result = new Result(
                channels[Journal.QUOTES], channels[Journal.ORDERS], channels[Journal.EXECUTIONS], config.orders(),
                config.warmupOrders(), journal.sequenceErrors(), journal.isDone(), journal.executionLatencyNs().copy());
            printSummary(
                out, config, journal, folders, rolls, inlineCreations, feedEndNs - startNs, endNs - startNs, result);

            return result;
        }
        finally
        {
            CloseHelper.quietCloseAll(runners);
            CloseHelper.quietCloseAll(writers);
            CloseHelper.quietClose(segmentRunner);
        }
    }

    private static long[] perWriter(final JournalWriter[] writers, final ToLongFunction<JournalWriter> counter)
    {
        final long[] counts = new long[writers.length];
        for (int i = 0; i < writers.length; i++)
        {
            counts[i] = counter.applyAsLong(writers[i]);
        }
        return counts;
    }

    private static void printRunDescription(
        final PrintStream out, final PipelineConfiguration config, final List<List<String>> layout)
    {
        if (0 == config.rate())
        {
            out.printf(Locale.ROOT, "kekbit trading pipeline, throughput run: %,d quotes at full speed, one order " +
                "every %d quotes%n", config.quotes(), config.orderEvery());
        }
        else
        {
            out.printf(Locale.ROOT, "kekbit trading pipeline, latency run: %,d quotes at %,d/s, one order every %d " +
                "quotes%n", config.quotes(), config.rate(), config.orderEvery());
        }

        final StringBuilder threads = new StringBuilder();
        for (final List<String> agents : layout)
        {
            threads.append(" [").append(String.join("+", agents)).append(']');
        }
        out.printf(Locale.ROOT, "  %d %s%s on %d cores (1-min load average %.1f); idle strategy %s; readers %s; " +
            "journal segments of %s made, mapped for the readers and unmapped on one more thread%n", layout.size(),
            1 == layout.size() ? "thread" : "threads", threads, Runtime.getRuntime().availableProcessors(),
            loadAverage(), config.idleDescription(), config.preTouch() ? "pre-touch their pages" : "do not pre-touch",
            bytes(config.segmentCapacity()));
        if (0 == config.warmupQuotes())
        {
            out.println("  warm-up: none, every order is measured");
        }
        else if (0 == config.rate())
        {
            out.printf(Locale.ROOT, "  warm-up: the first %,d quotes and their %,d orders are not measured%n",
                config.warmupQuotes(), config.warmupOrders());
        }
        else
        {
            out.printf(Locale.ROOT, "  warm-up: the first %,d quotes (%.2f s) and their %,d orders are not measured%n",
                config.warmupQuotes(), config.warmupQuotes() / (double)config.rate(), config.warmupOrders());
        }
    }

    private static void printSummary(
        final PrintStream out,
        final PipelineConfiguration config,
        final Journal journal,
        final Path[] folders,
        final long[] rolls,
        final long[] inlineCreations,
        final long feedNs,
        final long totalNs,
        final Result result)
    {
        final ChannelResult[] channels = { result.quotes(), result.orders(), result.executions() };
        out.println();
        out.printf(Locale.ROOT, "%-11s %12s %12s %14s %10s %9s  %s%n",
            "journal", "written", "journaled", "payload bytes", "end state", "segments", "folder");
        long records = 0;
        for (int i = 0; i < 3; i++)
        {
            records += channels[i].journaled();
            out.printf(Locale.ROOT, "%-11s %,12d %,12d %,14d %10s %9d  %s (%d rolls; %d segments made inline)%n",
                CHANNEL_NAMES[i], channels[i].written(), channels[i].journaled(), channels[i].payloadBytes(),
                null == channels[i].endState() ? "not reached" : channels[i].endState(), segmentCount(folders[i]),
                folders[i], rolls[i], inlineCreations[i]);
        }
        printReaders(out, folders);

        out.println();
        out.printf(Locale.ROOT, "journal: %s, %s every record written (%,d records), %d out of sequence%n",
            result.isJournalDone() ? "followed every channel to its end" : "did NOT reach every channel's end",
            result.isJournalComplete() ? "saw" : "did NOT see", records, result.sequenceErrors());
        out.printf(Locale.ROOT, "throughput: quotes %,.0f/s over %.2f s; all channels %,.0f records/s end to end%n",
            config.quotes() / (feedNs / 1e9), feedNs / 1e9, records / (totalNs / 1e9));

        final boolean isLatencyRun = 0 != config.rate();
        out.printf(Locale.ROOT, "%-62s %8s %8s %8s %8s %8s%n", isLatencyRun ?
            String.format(Locale.ROOT, "latency, us, from the quote's intended send time (%,d orders)",
                journal.executionLatencyNs().getTotalCount()) :
            String.format(Locale.ROOT, "queueing delay, us, from the quote's write (%,d orders)",
                journal.executionLatencyNs().getTotalCount()),
            "p50", "p90", "p99", "p99.9", "max");
        if (isLatencyRun)
        {
            printPercentiles(out, "  quote written by the feed (rate limiter)", journal.quoteLatencyNs());
        }
        printPercentiles(out, "  order written by the strategy", journal.orderLatencyNs());
        printPercentiles(out, isLatencyRun ? "  quote-to-execution: report read by the journal" :
            "  report read by the journal", journal.executionLatencyNs());
        if (!isLatencyRun)
        {
            out.println("  (full speed: these delays are the queue behind the flood, not latency; set " +
                "kekbit.pipeline.rate for a latency run)");
        }
        else
        {
            final String note = feedBehindNote(journal.quoteLatencyNs(), config.rate(), loadAverage(),
                Runtime.getRuntime().availableProcessors());
            if (null != note)
            {
                out.println(note);
            }
        }
        out.printf(Locale.ROOT, "every order got its execution report: %s (%,d orders, %,d reports)%n",
            result.isValid() ? "yes" : "NO", result.orders().written(), result.executions().written());
        out.println("inspect: java -jar kekbit-samples/target/kekbit.jar info|tail|verify|readers " + folders[0]);
    }

    /**
     * The named readers of each journal: where each stands and how far behind the journal's end.
     */
    private static void printReaders(final PrintStream out, final Path[] folders)
    {
        final long nowMs = System.currentTimeMillis();
        for (int i = 0; i < 3; i++)
        {
            final long endPosition = endPosition(folders[i]);
            for (final JournalNamedReaders.NamedReader reader :
                JournalNamedReaders.list(folders[i], nowMs, JournalReader.Context.DEFAULT_TIMEOUT_MS))
            {
                out.printf(Locale.ROOT, "  named reader %s of %s: committed position %,d, %,d bytes behind the end%s%n",
                    reader.name(), CHANNEL_NAMES[i], reader.position(), endPosition - reader.position(),
                    reader.protectsRetention() ? ", protects retention" : "");
            }
        }
    }

    /**
     * Journal position after the last record: the last segment's base plus its end.
     */
    private static long endPosition(final Path folder)
    {
        long lastBase = -1;
        for (final Path file : segments(folder))
        {
            lastBase = Math.max(lastBase, JournalDescriptor.parseSegmentBase(file.getFileName().toString()));
        }
        if (lastBase < 0)
        {
            return 0;
        }
        try (ChannelReader reader = JournalReader.openSegment(JournalDescriptor.segmentPath(folder, lastBase)))
        {
            return lastBase + reader.seekToEnd();
        }
    }

    private static int segmentCount(final Path folder)
    {
        return segments(folder).size();
    }

    private static List<Path> segments(final Path folder)
    {
        final List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*" + JournalDescriptor.SEGMENT_SUFFIX))
        {
            for (final Path file : files)
            {
                if (JournalDescriptor.parseSegmentBase(file.getFileName().toString()) >= 0)
                {
                    segments.add(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot list journal folder " + folder + ": " + ex);
        }
        return segments;
    }

    private static String bytes(final long bytes)
    {
        if (bytes >= 1 << 20 && 0 == bytes % (1 << 20))
        {
            return (bytes >> 20) + " MiB";
        }
        return 0 == bytes % 1024 ? (bytes >> 10) + " KiB" : bytes + " bytes";
    }

    /**
     * The line a latency run prints when its feed did not keep its schedule, so that nobody takes a busy machine's
     * queueing for Kekbit's latency.
     *
     * @param feedLatenessNs how late the feed wrote each measured quote, from its intended send time.
     * @param rate           quotes per second the run asked for.
     * @param loadAverage    the machine's 1-min load average at the end of the run, negative when unknown.
     * @param cores          the machine's cores.
     * @return the note, or null when the feed kept its schedule.
     */
    static String feedBehindNote(
        final Histogram feedLatenessNs, final long rate, final double loadAverage, final int cores)
    {
        final long p90Ns = feedLatenessNs.getValueAtPercentile(90);
        if (p90Ns < FEED_BEHIND_NS)
        {
            return null;
        }

        return String.format(Locale.ROOT, "  (NOT Kekbit's latency: the feed fell behind its schedule, one quote " +
            "in ten written %.1f ms or more late. This machine could not run %,d quotes/s beside its other work " +
            "(1-min load average %.1f on %d cores), so these figures are mostly queueing behind the feed; run again " +
            "on a quieter machine or with a lower -Dkekbit.pipeline.rate=)",
            p90Ns / 1e6, rate, loadAverage, cores);
    }

    private static double loadAverage()
    {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void printPercentiles(final PrintStream out, final String label, final Histogram histogramNs)
    {
        out.printf(Locale.ROOT, "%-62s %8.1f %8.1f %8.1f %8.1f %8.1f%n", label,
            histogramNs.getValueAtPercentile(50) / 1e3, histogramNs.getValueAtPercentile(90) / 1e3,
            histogramNs.getValueAtPercentile(99) / 1e3, histogramNs.getValueAtPercentile(99.9) / 1e3,
            histogramNs.getMaxValue() / 1e3);
    }

    private static JournalReader open(
        final Path folder,
        final String name,
        final boolean preTouch,
        final MappingReleaser releaser,
        final JournalSegmentPrefetcher prefetcher)
    {
        return JournalReader.open(new JournalReader.Context()
            .folder(folder).name(name).preTouch(preTouch).mappingReleaser(releaser).prefetcher(prefetcher));
    }

    /**
     * Folder of a journal of the pipeline: its channel's name under the root.
     *
     * @param root    of the run.
     * @param journal {@code 0} quotes, {@code 1} orders, {@code 2} execution reports.
     * @return the folder.
     */
    public static Path journalFolder(final Path root, final int journal)
    {
        return root.resolve(CHANNEL_NAMES[journal]);
    }

    private static boolean isAnyClosed(final AgentRunner[] runners)
    {
        for (final AgentRunner runner : runners)
        {
            if (runner.isClosed())
            {
                return true;
            }
        }
        return false;
    }

    private static void createWriters(
        final PipelineConfiguration config,
        final Path[] folders,
        final JournalWriter[] writers,
        final MappingReleaser releaser)
    {
        for (int i = 0; i < 3; i++)
        {
            writers[i] = JournalWriter.create(new JournalWriter.Context()
                .folder(folders[i])
                .segmentCapacity(config.segmentCapacity())
                .createSegmentsOnAgent(true)
                .mappingReleaser(releaser));
        }
    }

    /**
     * Allocating and pre-touching a segment takes milliseconds, and so does unmapping the one left behind (about
     * 0.8 ms per 8 MiB mapping, in the writer and in each reader); mapping the next one for a reader waits on the
     * address-space lock an unmap holds, and then faults on each page: on the pipeline's thread every roll would
     * stall it. One more thread, parked but for moments per roll, makes each journal's next segment ahead of need,
     * maps and pre-touches it for each reader, and unmaps what the pipeline's writers and readers are done with.
     */
    private static AgentRunner startSegmentThread(
        final JournalWriter[] writers, final MappingReleaser releaser, final JournalSegmentPrefetcher prefetcher)
    {
        final AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace,
            null, new CompositeAgent(writers[0].segmentCreator(), writers[1].segmentCreator(),
            writers[2].segmentCreator(), prefetcher, releaser));
        AgentRunner.startOnThread(runner);
        return runner;
    }

    /**
     * Delete what a previous run left of a journal: the files a journal makes in its folder, and nothing else, and
     * the channel runs before journals left (hundreds of MB in /dev/shm that nothing would delete).
     */
    private static void deletePreviousRun(final Path root, final int journal)
    {
        final long[] ids = { QUOTES_CHANNEL_ID, ORDERS_CHANNEL_ID, EXECUTIONS_CHANNEL_ID };
        deleteFile(ChannelDescriptor.channelPath(root, ids[journal]));
        final Path folder = journalFolder(root, journal);
        if (!Files.isDirectory(folder))
        {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder))
        {
            for (final Path file : files)
            {
                final String name = file.getFileName().toString();
                if (JournalDescriptor.parseSegmentBase(name) >= 0 ||
                    name.startsWith(JournalDescriptor.NEXT_SEGMENT_PREFIX) ||
                    name.startsWith(JournalDescriptor.POSITIONS_FILE_NAME))
                {
                    deleteFile(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot remove the previous run's journal " + folder + ": " + ex);
        }
    }

    private static void deleteFile(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot remove the previous run's file " + path + ": " + ex);
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
     * One channel as the journal saw it.
     *
     * @param written      records its writer wrote.
     * @param journaled    records the journal read.
     * @param payloadBytes of the records the journal read.
     * @param endState     the state the journal stopped on, or null when it did not reach the channel's end.
     */
    public record ChannelResult(long written, long journaled, long payloadBytes, ChannelState endState)
    {
        /**
         * Whether the journal read every record written and followed the channel to its CLOSED end.
         *
         * @return true when complete.
         */
        public boolean isComplete()
        {
            return journaled == written && ChannelState.CLOSED == endState;
        }
    }

    /**
     * What the journal saw.
     *
     * @param quotes         the quotes channel.
     * @param orders         the orders channel.
     * @param executions     the execution reports channel.
     * @param expectedOrders orders the strategy was to send.
     * @param warmupOrders   orders left out of the latency figures.
     * @param sequenceErrors orders or reports out of sequence.
     * @param isJournalDone  whether the journal reached the end of every channel.
     * @param latencyNs      quote-to-execution latencies of the orders after the warm-up.
     */
    public record Result(
        ChannelResult quotes,
        ChannelResult orders,
        ChannelResult executions,
        long expectedOrders,
        long warmupOrders,
        long sequenceErrors,
        boolean isJournalDone,
        Histogram latencyNs)
    {
        /**
         * Whether the journal read every record of every channel and followed each to its CLOSED end.
         *
         * @return true when complete.
         */
        public boolean isJournalComplete()
        {
            return isJournalDone && quotes.isComplete() && orders.isComplete() && executions.isComplete();
        }

        /**
         * Whether every order got its execution report, in sequence, the journal saw it all, and every order after
         * the warm-up was measured.
         *
         * @return true when valid.
         */
        public boolean isValid()
        {
            return orders.written() == expectedOrders && executions.written() == orders.written() &&
                0 == sequenceErrors && isJournalComplete() &&
                latencyNs.getTotalCount() == executions.journaled() - warmupOrders;
        }
    }
}
