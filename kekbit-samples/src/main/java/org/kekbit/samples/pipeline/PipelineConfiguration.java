package org.kekbit.samples.pipeline;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.agrona.BitUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalDescriptor;

import static org.kekbit.samples.SampleChannels.longProperty;

/**
 * Settings of the trading pipeline, from system properties with defaults that finish in a few seconds:
 * <ul>
 *     <li>{@code kekbit.pipeline.root}: folder of the run; {@code pipeline} under the default channel root
 *     (/dev/shm/kekbit, or the temp folder where there is no /dev/shm). Its channels are replaced on each run.</li>
 *     <li>{@code kekbit.pipeline.quotes}: quotes the feed publishes, 2,000,000 by default.</li>
 *     <li>{@code kekbit.pipeline.rate}: quotes per second, 400,000 by default; 0 publishes as fast as possible (a
 *     throughput run: its delays are queueing, not latency).</li>
 *     <li>{@code kekbit.pipeline.orderEvery}: the strategy sends one order every this many quotes, 10 by default.</li>
 *     <li>{@code kekbit.pipeline.warmup}: the first this many quotes, and the orders they cause, are left out of the
 *     latency figures while the JIT compiles the duty cycles; 400,000 by default (1 s at the default rate), or a
 *     fifth of the quotes when that is fewer; at most all quotes but one.</li>
 *     <li>{@code kekbit.pipeline.threads}: which agent runs on which thread: agents joined by {@code +} share a thread,
 *     threads are separated by {@code /}; each of {@code feed}, {@code strategy}, {@code exchange} and
 *     {@code journal} exactly once. {@value #DEFAULT_THREADS} by default.</li>
 *     <li>{@code kekbit.pipeline.idle}: idle strategy of every thread: {@code backoff} (spin, yield, then park from
 *     1 us up to 100 us), {@code yielding} (never parks) or {@code busyspin} (never yields); {@value #DEFAULT_IDLE}
 *     by default.</li>
 *     <li>{@code kekbit.pipeline.preTouch}: true to have the readers touch every page of their mapping when they open
 *     it, so that no page fault falls on the measured path; false (the default, as for any reader) leaves each first
 *     touch to the read. On the 2-core machine of docs/latency.md it made no difference that the noise let us
 *     see.</li>
 *     <li>{@code kekbit.pipeline.segmentCapacity}: bytes in each segment of the three journals, a power of two from
 *     4096 to 1 GiB; {@value #DEFAULT_SEGMENT_CAPACITY} (8 MiB) by default, so a default run rolls the quotes journal
 *     about 26 times and the others twice or three times.</li>
 * </ul>
 *
 * @param root         folder of the run's channels.
 * @param quotes       to publish.
 * @param rate         quotes per second, 0 for as fast as possible.
 * @param orderEvery   quotes per order.
 * @param warmupQuotes quotes at the start left out of the latency figures.
 * @param threads      agents per thread, as in {@code kekbit.pipeline.threads}.
 * @param idle         idle strategy of the threads: backoff, yielding or busyspin.
 * @param preTouch     whether the readers touch every page of their mapping when they open it.
 * @param segmentCapacity bytes in each segment of the journals.
 */
public record PipelineConfiguration(
    Path root,
    long quotes,
    long rate,
    int orderEvery,
    long warmupQuotes,
    String threads,
    String idle,
    boolean preTouch,
    long segmentCapacity)
{
    /**
     * Agent layout used when {@code kekbit.pipeline.threads} is not set: all four agents on one thread, which leaves
     * the other core of a 2-core machine to the JVM and the operating system (see docs/latency.md).
     */
    public static final String DEFAULT_THREADS = "feed+strategy+exchange+journal";

    /**
     * Idle strategy used when {@code kekbit.pipeline.idle} is not set.
     */
    public static final String DEFAULT_IDLE = "yielding";

    /**
     * Quotes left out of the latency figures when {@code kekbit.pipeline.warmup} is not set.
     */
    public static final long DEFAULT_WARMUP_QUOTES = 400_000;

    /**
     * Names of the agents, as {@code kekbit.pipeline.threads} spells them.
     */
    public static final List<String> AGENTS = List.of("feed", "strategy", "exchange", "journal");

    /**
     * Segment capacity of the journals when {@code kekbit.pipeline.segmentCapacity} is not set: 8 MiB.
     */
    public static final long DEFAULT_SEGMENT_CAPACITY = 8L * 1024 * 1024;

    /**
     * Smallest segment capacity: room for many of the largest records.
     */
    public static final long MIN_SEGMENT_CAPACITY = 4096;

    /**
     * Validate the settings.
     *
     * @param root         folder of the run's channels.
     * @param quotes       to publish.
     * @param rate         quotes per second, 0 for as fast as possible.
     * @param orderEvery   quotes per order.
     * @param warmupQuotes quotes at the start left out of the latency figures.
     * @param threads      agents per thread, as in {@code kekbit.pipeline.threads}.
     * @param idle         idle strategy of the threads: backoff, yielding or busyspin.
     * @param preTouch     whether the readers touch every page of their mapping when they open it.
     * @param segmentCapacity bytes in each segment of the journals.
     */
    public PipelineConfiguration
    {
        if (segmentCapacity < MIN_SEGMENT_CAPACITY || segmentCapacity > JournalDescriptor.MAX_SEGMENT_CAPACITY ||
            !BitUtil.isPowerOfTwo(segmentCapacity))
        {
            throw new IllegalArgumentException("kekbit.pipeline.segmentCapacity must be a power of two from " +
                MIN_SEGMENT_CAPACITY + " to " + JournalDescriptor.MAX_SEGMENT_CAPACITY + ": actual=" +
                segmentCapacity);
        }
        if (quotes <= 0)
        {
            throw new IllegalArgumentException("kekbit.pipeline.quotes must be positive: actual=" + quotes);
        }
        if (rate < 0)
        {
            throw new IllegalArgumentException("kekbit.pipeline.rate must not be negative: actual=" + rate);
        }
        if (rate > TimeUnit.SECONDS.toNanos(1))
        {
            throw new IllegalArgumentException("kekbit.pipeline.rate must be at most one quote per ns: actual=" + rate);
        }
        if (orderEvery <= 0)
        {
            throw new IllegalArgumentException("kekbit.pipeline.orderEvery must be positive: actual=" + orderEvery);
        }
        if (warmupQuotes < 0 || warmupQuotes >= quotes)
        {
            throw new IllegalArgumentException("kekbit.pipeline.warmup must be at least 0 and less than the quotes (" +
                quotes + "): actual=" + warmupQuotes);
        }
        idle = null == idle ? "" : idle.trim().toLowerCase(Locale.ROOT);
        if (!List.of("backoff", "yielding", "busyspin").contains(idle))
        {
            throw new IllegalArgumentException(
                "kekbit.pipeline.idle must be backoff, yielding or busyspin: actual=" + idle);
        }
        threads = null == threads ? "" : threads.trim().toLowerCase(Locale.ROOT);
        parseThreads(threads);
    }

    /**
     * Settings with the default segment capacity, as before journals had one.
     *
     * @param root         folder of the run's channels.
     * @param quotes       to publish.
     * @param rate         quotes per second, 0 for as fast as possible.
     * @param orderEvery   quotes per order.
     * @param warmupQuotes quotes at the start left out of the latency figures.
     * @param threads      agents per thread, as in {@code kekbit.pipeline.threads}.
     * @param idle         idle strategy of the threads: backoff, yielding or busyspin.
     * @param preTouch     whether the readers touch every page of their mapping when they open it.
     */
    public PipelineConfiguration(
        final Path root,
        final long quotes,
        final long rate,
        final int orderEvery,
        final long warmupQuotes,
        final String threads,
        final String idle,
        final boolean preTouch)
    {
        this(root, quotes, rate, orderEvery, warmupQuotes, threads, idle, preTouch, DEFAULT_SEGMENT_CAPACITY);
    }

    /**
     * The default settings, with the given root, quotes, rate and warm-up: what tests and other samples start from.
     *
     * @param root         folder of the run's channels.
     * @param quotes       to publish.
     * @param rate         quotes per second, 0 for as fast as possible.
     * @param warmupQuotes quotes at the start left out of the latency figures.
     * @return the settings.
     */
    public static PipelineConfiguration of(final Path root, final long quotes, final long rate, final long warmupQuotes)
    {
        return new PipelineConfiguration(root, quotes, rate, 10, warmupQuotes, DEFAULT_THREADS, DEFAULT_IDLE, false,
            DEFAULT_SEGMENT_CAPACITY);
    }

    /**
     * Settings from system properties.
     *
     * @return the settings.
     * @throws IllegalArgumentException naming the property whose value is not usable.
     */
    public static PipelineConfiguration fromSystemProperties()
    {
        return fromProperties(System.getProperties());
    }

    /**
     * Settings from properties named as the system properties above, with defaults for the ones not set.
     *
     * @param properties to read.
     * @return the settings.
     * @throws IllegalArgumentException naming the property whose value is not usable.
     */
    public static PipelineConfiguration fromProperties(final Properties properties)
    {
        final String root = properties.getProperty("kekbit.pipeline.root");
        final String preTouch = properties.getProperty("kekbit.pipeline.preTouch", "false");
        if (!"true".equalsIgnoreCase(preTouch) && !"false".equalsIgnoreCase(preTouch))
        {
            throw new IllegalArgumentException("kekbit.pipeline.preTouch must be true or false: actual=" + preTouch);
        }
        final long quotes = longProperty(properties, "kekbit.pipeline.quotes", 2_000_000);
        final long orderEvery = longProperty(properties, "kekbit.pipeline.orderEvery", 10);
        if (orderEvery > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("kekbit.pipeline.orderEvery too large: actual=" + orderEvery);
        }

        return new PipelineConfiguration(
            null == root ? ChannelWriter.Context.defaultRoot().resolve("pipeline") : Paths.get(root),
            quotes,
            longProperty(properties, "kekbit.pipeline.rate", 400_000),
            (int)orderEvery,
            longProperty(properties, "kekbit.pipeline.warmup", Math.min(DEFAULT_WARMUP_QUOTES, quotes / 5)),
            properties.getProperty("kekbit.pipeline.threads", DEFAULT_THREADS),
            properties.getProperty("kekbit.pipeline.idle", DEFAULT_IDLE),
            Boolean.parseBoolean(preTouch),
            longProperty(properties, "kekbit.pipeline.segmentCapacity", DEFAULT_SEGMENT_CAPACITY));
    }

    /**
     * Orders the strategy will send.
     *
     * @return the number of orders.
     */
    public long orders()
    {
        return quotes / orderEvery;
    }

    /**
     * Orders caused by warm-up quotes, left out of the latency figures: order {@code n} (from 1) answers quote
     * {@code n * orderEvery - 1} (from 0).
     *
     * @return the number of orders.
     */
    public long warmupOrders()
    {
        return warmupQuotes / orderEvery;
    }

    /**
     * The agents of each thread, in order, by the names of {@link #AGENTS}.
     *
     * @return one list of agent names per thread.
     */
    public List<List<String>> threadAgents()
    {
        return parseThreads(threads);
    }

    /**
     * A new idle strategy of the configured kind; each thread needs its own.
     *
     * @return the idle strategy.
     */
    public IdleStrategy newIdleStrategy()
    {
        return switch (idle)
        {
            case "backoff" -> new BackoffIdleStrategy(
                100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            case "busyspin" -> new BusySpinIdleStrategy();
            default -> new YieldingIdleStrategy();
        };
    }

    /**
     * What the idle strategy does when a duty cycle finds no work, for the run's description.
     *
     * @return a short description.
     */
    public String idleDescription()
    {
        return switch (idle)
        {
            case "backoff" -> "backoff (100 spins, 10 yields, then parks of 1 us doubling to 100 us)";
            case "busyspin" -> "busyspin (spins, never yields the core)";
            default -> "yielding (Thread.yield, never parks)";
        };
    }

    private static List<List<String>> parseThreads(final String threads)
    {
        final List<List<String>> layout = new ArrayList<>();
        final List<String> seen = new ArrayList<>();
        for (final String thread : threads.split("/", -1))
        {
            final List<String> agents = new ArrayList<>();
            for (final String agent : thread.split("\\+", -1))
            {
                final String name = agent.trim();
                if (!AGENTS.contains(name) || seen.contains(name))
                {
                    throw new IllegalArgumentException("kekbit.pipeline.threads must name each of feed, strategy, " +
                        "exchange and journal once, + between agents of one thread, / between threads " +
                        "(e.g. feed+exchange/strategy+journal): actual=" + threads);
                }
                seen.add(name);
                agents.add(name);
            }
            layout.add(List.copyOf(agents));
        }
        if (seen.size() != AGENTS.size())
        {
            throw new IllegalArgumentException("kekbit.pipeline.threads must name each of feed, strategy, exchange " +
                "and journal once: actual=" + threads);
        }

        return List.copyOf(layout);
    }
}
