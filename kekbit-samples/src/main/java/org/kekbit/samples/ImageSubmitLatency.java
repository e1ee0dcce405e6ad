package org.kekbit.samples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;
import org.kekbit.image.SystemImage;
import org.kekbit.samples.orderbook.OrderBookImage;

/**
 * The serving thread's submit latency with and without a shadow snapshot running:
 * {@code bin/sample ImageSubmitLatency [--dir DIR] [--book N] [--commands N] [--rate R] [--segment-mb M]
 * [--helper-thread true|false|shadow]}. Each of the two runs
 * launches a fresh order book image, rests N orders in it (so a snapshot of it takes a while), then submits commands
 * at a fixed rate (a resting order far from the touch, then its cancel: the book keeps its size) and records each
 * command's latency from its intended send time (no coordinated omission) in an HdrHistogram, after a warm-up of the
 * first fifth of the commands, after a first run of each kind that is printed but not counted (the JVM's first runs
 * are slower). In the second run a
 * shadow snapshot is requested again as soon as the last one completed, so one is being written nearly all the time;
 * in the first none is. It prints p50, p99, p99.9 and max in microseconds for both, the journal's rolls and how many
 * of them created their segment on the serving thread, and the ratio of the p99.9s. The journal's segment creation
 * and unmapping run on a helper thread ({@link OrderBookImage}) unless {@code --helper-thread false}, which leaves
 * them on the serving thread, as images did before, to measure what they cost, or {@code --helper-thread shadow},
 * which runs them on the shadow's thread ({@link SystemImage.Context#helpersOnShadowThread(boolean)}): on two cores,
 * two busy threads instead of three.
 * On a 2-core machine the shadow's thread competes with the serving thread for a core: that is part of what it
 * measures. {@code --shadow-priority P} gives the shadow's thread Java priority P
 * ({@link SystemImage.Context#shadowThreadFactory}), which changes its operating-system priority only where the JVM
 * maps them (on Linux {@code -XX:ThreadPriorityPolicy=1}, and {@code -XX:JavaPriority1_To_OSPriority=19} for the
 * lowest nice value, in {@code JAVA_TOOL_OPTIONS}).
 */
public final class ImageSubmitLatency
{
    private static final long MID_PRICE = 100_00000000L;
    private static final long TICK = 1000000L;

    private ImageSubmitLatency()
    {
    }

    /**
     * Run both measurements.
     *
     * @param args {@code [--dir DIR] [--book N] [--commands N] [--rate R] [--segment-mb M]
     *             [--helper-thread true|false|shadow]}.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(args, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit streams.
     *
     * @param args {@code [--dir DIR] [--book N] [--commands N] [--rate R] [--segment-mb M]
     *             [--helper-thread true|false|shadow]}.
     * @param out  for the results.
     * @param err  for the one line of an error.
     * @return the exit status.
     */
    public static int launch(final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "kekbit-image-latency");
            long book = 100_000;
            long commands = 2_000_000;
            long rate = 200_000;
            long segmentCapacity = 64L * 1024 * 1024;
            OrderBookImage.Helpers helpers = OrderBookImage.Helpers.HELPER_THREAD;
            long rounds = 1;
            int shadowPriority = 0;
            for (int i = 0; i < args.length; i += 2)
            {
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                switch (args[i])
                {
                    case "--dir":
                        dir = Path.of(args[i + 1]);
                        break;
                    case "--book":
                        book = parse(args[i], args[i + 1]);
                        break;
                    case "--commands":
                        commands = parse(args[i], args[i + 1]);
                        break;
                    case "--rate":
                        rate = parse(args[i], args[i + 1]);
                        break;
                    case "--segment-mb":
                        segmentCapacity = parse(args[i], args[i + 1]) * 1024 * 1024;
                        break;
                    case "--helper-thread":
                        helpers = parseHelpers(args[i], args[i + 1]);
                        break;
                    case "--rounds":
                        rounds = parse(args[i], args[i + 1]);
                        break;
                    case "--shadow-priority":
                        shadowPriority = (int)parse(args[i], args[i + 1]);
                        break;
                    default:
                        throw new IllegalArgumentException("unexpected argument: " + args[i] +
                            " (usage: ImageSubmitLatency [--dir DIR] [--book N] [--commands N] [--rate R] " +
                            "[--segment-mb M] [--helper-thread true|false|shadow] [--rounds N] " +
                            "[--shadow-priority 1-10])");
                }
            }
            if (rate < 1)
            {
                throw new IllegalArgumentException("--rate must be positive: " + rate);
            }
            if (rounds < 1)
            {
                throw new IllegalArgumentException("--rounds must be positive: " + rounds);
            }
            if (0 != shadowPriority && (shadowPriority < Thread.MIN_PRIORITY || shadowPriority > Thread.MAX_PRIORITY))
            {
                throw new IllegalArgumentException("--shadow-priority must be from 1 to 10: " + shadowPriority);
            }
            out.printf("submit latency from intended send time, us: book=%d orders, commands=%d, rate=%d/s, " +
                "segment=%d MiB, helpers=%s, shadow-priority=%s, cores=%d%n", book, commands, rate,
                segmentCapacity >> 20, helpers, 0 == shadowPriority ? "default" : shadowPriority,
                Runtime.getRuntime().availableProcessors());
            final int priority = shadowPriority;
            final ThreadFactory shadowThreads = 0 == priority ? null : (runnable) ->
            {
                final Thread thread = new Thread(runnable);
                thread.setPriority(priority);
                return thread;
            };
            warmUp(dir, book, commands, rate, segmentCapacity, helpers, shadowThreads, out);
            // Rounds alternate which run goes first, so that neither pays the JVM's early costs every time.
            final Histogram allWithout = new Histogram(3);
            final Histogram allWith = new Histogram(3);
            for (long round = 0; round < rounds; round++)
            {
                final boolean isWithFirst = 1 == (round & 1);
                for (int run = 0; run < 2; run++)
                {
                    final boolean isWith = isWithFirst == (0 == run);
                    final Histogram histogram = measure(dir.resolve(isWith ? "with" : "without"), book, commands,
                        rate, isWith, segmentCapacity, helpers, shadowThreads, out);
                    (isWith ? allWith : allWithout).add(histogram);
                }
            }
            if (rounds > 1)
            {
                out.printf("all %d rounds: without p99.9=%.1f, with p99.9=%.1f%n", rounds,
                    allWithout.getValueAtPercentile(99.9) / 1000.0, allWith.getValueAtPercentile(99.9) / 1000.0);
            }
            out.printf("p99.9 ratio with/without shadow snapshot: %.2f%n",
                (double)allWith.getValueAtPercentile(99.9) / Math.max(1, allWithout.getValueAtPercentile(99.9)));
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * A first run of each kind, not counted: the JVM's first run had a p99 of 1-5 ms where later ones had 20-40 us
     * (it was always one without a shadow, which made the pooled ratio look better than it is), and the first with a
     * shadow a p99.9 of 17-23 ms (the shadow's code compiled then).
     */
    private static void warmUp(
        final Path dir,
        final long book,
        final long commands,
        final long rate,
        final long segmentCapacity,
        final OrderBookImage.Helpers helpers,
        final ThreadFactory shadowThreads,
        final PrintStream out)
    {
        for (int run = 0; run < 2; run++)
        {
            out.print("warm-up run, not counted: ");
            measure(dir.resolve("warm-up"), book, commands, rate, 1 == run, segmentCapacity, helpers,
                shadowThreads, out);
        }
    }

    /**
     * One run on a fresh image.
     *
     * @param dir        of the image, deleted first.
     * @param book       resting orders before the measurement.
     * @param commands   measured.
     * @param rate       commands per second.
     * @param snapshots  whether to keep a shadow snapshot running.
     * @param segmentCapacity of the journal's segments.
     * @param helpers         where segment creation and unmapping run.
     * @param shadowThreads   factory of the shadow's thread, or null for the default.
     * @param out        for the result line.
     * @return the latencies in ns.
     */
    static Histogram measure(
        final Path dir,
        final long book,
        final long commands,
        final long rate,
        final boolean snapshots,
        final long segmentCapacity,
        final OrderBookImage.Helpers helpers,
        final ThreadFactory shadowThreads,
        final PrintStream out)
    {
        deleteRecursively(dir);
        final Histogram latencyNs = new Histogram(60_000_000_000L, 3);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
        try (OrderBookImage service = OrderBookImage.launch(new SystemImage.Context()
            .imageFolder(dir)
            .snapshotIntervalBytes(0)
            .snapshotsKept(1)
            .shadowThreadFactory(shadowThreads)
            .segmentCapacity(segmentCapacity), helpers))
        {
            final SystemImage image = service.image();
            for (long i = 0; i < book; i++)
            {
                final int length = encode(order, header, buffer, 1 + i, i % 2 == 0 ? Side.BUY : Side.SELL,
                    MID_PRICE + (i % 2 == 0 ? -1 : 1) * (1 + i % 200) * TICK, 10);
                submit(service, buffer, length);
            }
            while (image.shadowPosition() < image.position())
            {
                Thread.onSpinWait(); // the shadow has the whole book before the measurement
            }

            final long intervalNs = 1_000_000_000L / rate;
            final long startNs = System.nanoTime();
            long snapshotsRequested = 0;
            for (long i = 0; i < commands; i++)
            {
                final long intendedNs = startNs + i * intervalNs;
                while (System.nanoTime() < intendedNs)
                {
                    Thread.onSpinWait();
                }
                final long clOrdId = book + 1 + i / 2;
                final int length = encode(order, header, buffer, clOrdId, Side.BUY, MID_PRICE - 500 * TICK,
                    i % 2 == 0 ? 10 : 0);
                submit(service, buffer, length);
                image.doWork();
                if (i >= commands / 5) // the first fifth warms the JIT up and is not measured
                {
                    latencyNs.recordValue(System.nanoTime() - intendedNs);
                }
                if (snapshots && image.snapshotCount() == snapshotsRequested) // the last one is done: next
                {
                    image.requestSnapshot();
                    snapshotsRequested++;
                }
            }
            final long deadlineNs = System.nanoTime() + 60_000_000_000L;
            while (image.snapshotCount() < snapshotsRequested && 0 == image.snapshotFailureCount() &&
                null == image.shadowError() && System.nanoTime() < deadlineNs)
            {
                // The last snapshot requested finishes, outside the measurement. The serving thread's duty cycle
                // goes on meanwhile: a request made after the last command's doWork reaches the shadow only here.
                image.doWork();
                Thread.onSpinWait();
            }
            out.printf("%-24s p50=%.1f p99=%.1f p99.9=%.1f max=%.1f rolls=%d inline-creations=%d snapshots=%d%n",
                snapshots ? "with shadow snapshots:" : "without snapshots:",
                latencyNs.getValueAtPercentile(50) / 1e3, latencyNs.getValueAtPercentile(99) / 1e3,
                latencyNs.getValueAtPercentile(99.9) / 1e3, latencyNs.getMaxValue() / 1e3, image.journalRolls(),
                image.inlineSegmentCreations(), image.snapshotCount());
        }
        deleteRecursively(dir);
        return latencyNs;
    }

    private static int encode(
        final NewOrderSingleEncoder order,
        final MessageHeaderEncoder header,
        final UnsafeBuffer buffer,
        final long clOrdId,
        final Side side,
        final long price,
        final long quantity)
    {
        order.wrapAndApplyHeader(buffer, 0, header)
            .clOrdId(clOrdId)
            .instrumentId(1)
            .side(side)
            .ordType(OrdType.LIMIT)
            .quantity(quantity)
            .sendingTimeNs(clOrdId)
            .transactTimeNs(clOrdId)
            .originTimeNs(0);
        order.price().mantissa(price);
        order.putAccount(buffer, 0, 0);
        return MessageHeaderEncoder.ENCODED_LENGTH + order.encodedLength();
    }

    private static void submit(final OrderBookImage service, final UnsafeBuffer buffer, final int length)
    {
        final long position = service.submit(NewOrderSingleEncoder.TEMPLATE_ID, buffer, 0, length);
        if (position < 0)
        {
            throw new IllegalStateException("submit refused: code=" + position);
        }
    }

    private static long parse(final String name, final String value)
    {
        try
        {
            return Long.parseLong(value.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " is not a number: " + value);
        }
    }

    private static OrderBookImage.Helpers parseHelpers(final String name, final String value)
    {
        switch (value)
        {
            case "true":
                return OrderBookImage.Helpers.HELPER_THREAD;
            case "false":
                return OrderBookImage.Helpers.SERVING_THREAD;
            case "shadow":
                return OrderBookImage.Helpers.SHADOW_THREAD;
            default:
                throw new IllegalArgumentException(name + " must be true, false or shadow: " + value);
        }
    }

    private static void deleteRecursively(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.deleteIfExists(file);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot delete " + dir + ": " + ex, ex);
        }
    }
}
