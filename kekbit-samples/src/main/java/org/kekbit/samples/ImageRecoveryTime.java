package org.kekbit.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;
import org.kekbit.image.CommandClaim;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.image.SystemImage;
import org.kekbit.samples.orderbook.OrderBook;
import org.kekbit.samples.orderbook.OrderBookImage;

/**
 * Recovery time of a system image against journal length and snapshot interval:
 * {@code bin/sample ImageRecoveryTime [--dir DIR] [--journal SIZE] [--intervals SIZE,SIZE,...] [--book N]
 * [--segment SIZE] [--runs R]}, sizes in bytes with an optional k, m or g suffix (binary).
 * <p>
 * For each interval it builds a fresh order book image in {@code DIR/interval-<bytes>}: N resting orders far from
 * the touch (the state a snapshot holds), then random limit orders, market orders and cancels until the journal is
 * SIZE long, with a snapshot every interval of journal placed so that the newest one is one interval before the end:
 * the worst case, a crash just before the next snapshot was due (an interval of 0, or one as long as the journal,
 * takes none: the whole journal is replayed). Then it times R recoveries, each from launch to ready (the newest
 * snapshot verified and loaded, the journal after it replayed): in a fresh JVM (what a restart costs, JIT cold) and
 * in this one (JIT warm). Both find the files in the page cache. It prints one line per interval.
 * <p>
 * {@code bin/sample ImageRecoveryTime --recover DIR} times one recovery of an existing order book image folder (the
 * OrderBookService's, say) and prints one line. Each image is built by a child JVM ({@code --build DIR} with the
 * sizes of one case), since an image detached by a process can be taken over by another only once it exited; the
 * fresh-JVM recoveries run before the same-JVM ones for the same reason.
 */
public final class ImageRecoveryTime
{
    private static final long MID_PRICE = 100_00000000L;
    private static final long TICK = 1000000L;
    private static final int INSTRUMENTS = 4;
    private static final int RECENT_ORDERS = 1024;
    private static final String USAGE = "usage: ImageRecoveryTime [--dir DIR] [--journal SIZE] " +
        "[--intervals SIZE,SIZE,...] [--book N] [--segment SIZE] [--runs R] | --recover DIR";
    private static final int MODE_MEASURE = 0;
    private static final int MODE_BUILD = 1;
    private static final int MODE_RECOVER = 2;

    private ImageRecoveryTime()
    {
    }

    /**
     * Run the measurements.
     *
     * @param args as the class javadoc says.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(args, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit streams.
     *
     * @param args as the class javadoc says.
     * @param out  for the results, one line per interval.
     * @param err  for the one line of an error.
     * @return the exit status.
     */
    public static int launch(final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "kekbit-image-recovery");
            long journalBytes = 1L << 30;
            long[] intervals = {0, 16L << 20, 64L << 20, 256L << 20};
            long book = 100_000;
            long segmentCapacity = 64L << 20;
            int runs = 3;
            int mode = MODE_MEASURE;
            for (int i = 0; i < args.length; i += 2)
            {
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(args[i] + " needs a value (" + USAGE + ")");
                }
                final String value = args[i + 1];
                switch (args[i])
                {
                    case "--dir":
                        dir = Path.of(value);
                        break;
                    case "--journal":
                        journalBytes = parseSize(args[i], value);
                        break;
                    case "--intervals":
                        intervals = Arrays.stream(value.split(",")).mapToLong(v -> parseSize("--intervals", v))
                            .toArray();
                        break;
                    case "--book":
                        book = parseSize(args[i], value);
                        break;
                    case "--segment":
                        segmentCapacity = parseSize(args[i], value);
                        break;
                    case "--runs":
                        runs = (int)Math.min(1000, parseSize(args[i], value));
                        break;
                    case "--recover":
                    case "--build":
                        mode = "--build".equals(args[i]) ? MODE_BUILD : MODE_RECOVER;
                        dir = Path.of(value);
                        break;
                    default:
                        throw new IllegalArgumentException("unexpected argument: " + args[i] + " (" + USAGE + ")");
                }
            }

            if (MODE_RECOVER == mode)
            {
                if (!Files.isDirectory(ImageDescriptor.journalFolder(dir)))
                {
                    throw new IllegalArgumentException("not an image folder (no journal/ in it): " + dir);
                }
                out.println(recoverOnce(dir).line());
                return SampleMain.EXIT_OK;
            }
            if (journalBytes < 1 || runs < 1)
            {
                throw new IllegalArgumentException("--journal and --runs must be positive");
            }
            if (MODE_BUILD == mode)
            {
                if (1 != intervals.length || intervals[0] < 0)
                {
                    throw new IllegalArgumentException("--build takes one interval, not negative");
                }
                build(dir, journalBytes, intervals[0], book, segmentCapacity);
                return SampleMain.EXIT_OK;
            }

            out.printf("recovery time, launch to ready: journal=%d bytes, book=%d orders, segment=%d bytes, runs=%d, " +
                "cores=%d, page cache warm%n", journalBytes, book, segmentCapacity, runs,
                Runtime.getRuntime().availableProcessors());
            out.flush();
            for (final long interval : intervals)
            {
                if (interval < 0)
                {
                    throw new IllegalArgumentException("--intervals must not be negative: " + interval);
                }
                final Path imageDir = dir.resolve("interval-" + interval);
                deleteRecursively(imageDir);
                out.println(measure(imageDir, journalBytes, interval, book, segmentCapacity, runs));
                out.flush();
                deleteRecursively(imageDir);
            }
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * One case: build the image in a child JVM, then time its recoveries.
     *
     * @return the case's line.
     */
    private static String measure(
        final Path imageDir,
        final long journalBytes,
        final long interval,
        final long book,
        final long segmentCapacity,
        final int runs)
    {
        child("--build", imageDir.toString(), "--journal", Long.toString(journalBytes),
            "--intervals", Long.toString(interval), "--book", Long.toString(book),
            "--segment", Long.toString(segmentCapacity));
        final long snapshotBytes = newestSnapshotBytes(imageDir);
        final long[] freshUs = new long[runs];
        final long[] warmUs = new long[runs];
        for (int r = 0; r < runs; r++)
        {
            freshUs[r] = Recovery.parse(child("--recover", imageDir.toString())).micros;
        }
        Recovery recovery = null;
        for (int r = 0; r < runs; r++)
        {
            System.gc();
            recovery = recoverOnce(imageDir);
            warmUs[r] = recovery.micros;
        }
        Arrays.sort(freshUs);
        Arrays.sort(warmUs);
        return String.format("interval=%d snapshot-position=%d snapshot-bytes=%d replayed-bytes=%d " +
            "replayed-records=%d fresh-jvm-ms=%.1f..%.1f same-jvm-ms=%.1f..%.1f",
            interval, recovery.snapshotPosition, snapshotBytes,
            recovery.position - Math.max(0, recovery.snapshotPosition), recovery.replayedRecords,
            freshUs[0] / 1e3, freshUs[runs - 1] / 1e3, warmUs[0] / 1e3, warmUs[runs - 1] / 1e3);
    }

    /**
     * Build an image whose journal is at least a given length, the newest snapshot one interval before its end.
     */
    static void build(
        final Path dir, final long journalBytes, final long interval, final long book, final long segmentCapacity)
    {
        try (OrderBookImage service = OrderBookImage.launch(new SystemImage.Context()
            .imageFolder(dir)
            .snapshotMode(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)
            .snapshotsKept(1)
            .segmentCapacity(segmentCapacity), true))
        {
            final SystemImage image = service.image();
            final Generator generator = new Generator(service);
            for (long i = 0; i < book; i++)
            {
                generator.rest(i);
            }
            // Snapshots at positions congruent to the journal's length: the newest is one interval before the end.
            long nextSnapshot = interval <= 0 ? Long.MAX_VALUE : journalBytes % interval;
            if (0 == nextSnapshot)
            {
                nextSnapshot = interval;
            }
            while (image.position() < journalBytes)
            {
                generator.next();
                image.doWork();
                final long position = image.position();
                if (position >= nextSnapshot && position < journalBytes)
                {
                    image.requestSnapshot();
                    image.doWork(); // inline: written now, at this position
                    while (nextSnapshot <= position)
                    {
                        nextSnapshot += interval;
                    }
                }
            }
        }
    }

    private static Recovery recoverOnce(final Path dir)
    {
        final long startNs = System.nanoTime();
        try (SystemImage image = SystemImage.launch(new SystemImage.Context()
            .imageFolder(dir)
            .stateMachineSupplier(OrderBook::new)
            .snapshotMode(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)))
        {
            final long micros = (System.nanoTime() - startNs) / 1000;
            return new Recovery(micros, image.recoveredSnapshotPosition(), image.replayedRecords(), image.position());
        }
    }

    /**
     * Run this class in a fresh JVM.
     *
     * @return what it printed: nothing, or one line.
     */
    private static String child(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            ImageRecoveryTime.class.getName()));
        command.addAll(List.of(args));
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final List<String> lines = new ArrayList<>();
            try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = output.readLine()))
                {
                    lines.add(line);
                }
            }
            final int status = process.waitFor();
            if (0 != status || lines.size() > 1)
            {
                throw new IllegalStateException(args[0].substring(2) + " in a fresh JVM failed: status=" + status +
                    ", output=" + String.join(" | ", lines));
            }
            return lines.isEmpty() ? "" : lines.get(0);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start a JVM: " + ex, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    /**
     * Bytes of records in the newest complete snapshot (what loading it reads), 0 when there is none.
     */
    private static long newestSnapshotBytes(final Path dir)
    {
        long bytes = 0;
        for (final SnapshotFile snapshot : ImageFolder.snapshots(dir))
        {
            if (SnapshotFile.Status.COMPLETE == snapshot.status())
            {
                bytes = snapshot.dataLength();
            }
        }
        return bytes;
    }

    /**
     * A size in bytes, with an optional binary k, m or g suffix.
     */
    static long parseSize(final String name, final String value)
    {
        final String text = value.trim().toLowerCase().replace("_", "");
        final int shift = text.endsWith("k") ? 10 : text.endsWith("m") ? 20 : text.endsWith("g") ? 30 : 0;
        try
        {
            final long number = Long.parseLong(0 == shift ? text : text.substring(0, text.length() - 1));
            if (number < 0 || number > (Long.MAX_VALUE >> shift))
            {
                throw new IllegalArgumentException(name + " is out of range: " + value);
            }
            return number << shift;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " is not a size (a number, optionally with k, m or g): " +
                value);
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

    /**
     * One recovery's outcome, as the one line {@code --recover} prints.
     */
    private static final class Recovery
    {
        private final long micros;
        private final long snapshotPosition;
        private final long replayedRecords;
        private final long position;

        Recovery(final long micros, final long snapshotPosition, final long replayedRecords, final long position)
        {
            this.micros = micros;
            this.snapshotPosition = snapshotPosition;
            this.replayedRecords = replayedRecords;
            this.position = position;
        }

        String line()
        {
            return "launch-to-ready-us=" + micros + " snapshot-position=" + snapshotPosition +
                " replayed-records=" + replayedRecords + " position=" + position;
        }

        static Recovery parse(final String line)
        {
            final long[] values = new long[4];
            final String[] fields = line.split(" ");
            if (fields.length != values.length)
            {
                throw new IllegalStateException("unexpected recovery line: " + line);
            }
            for (int i = 0; i < values.length; i++)
            {
                values[i] = Long.parseLong(fields[i].substring(fields[i].indexOf('=') + 1));
            }
            return new Recovery(values[0], values[1], values[2], values[3]);
        }
    }

    /**
     * Commands encoded in place in the journal: resting orders far from the touch, then a random mix.
     */
    private static final class Generator
    {
        private static final int LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + NewOrderSingleEncoder.BLOCK_LENGTH +
            NewOrderSingleEncoder.accountHeaderLength();

        private final OrderBookImage image;
        private final SplittableRandom random = new SplittableRandom(42);
        private final MessageHeaderEncoder header = new MessageHeaderEncoder();
        private final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
        private final CommandClaim claim = new CommandClaim();
        private final long[] recent = new long[RECENT_ORDERS];
        private long nextClOrdId = 1;
        private long count;

        Generator(final OrderBookImage image)
        {
            this.image = image;
        }

        void rest(final long i)
        {
            final boolean isBuy = (i / INSTRUMENTS) % 2 == 0;
            put(nextClOrdId++, 1 + (int)(i % INSTRUMENTS), isBuy ? Side.BUY : Side.SELL, OrdType.LIMIT,
                MID_PRICE + (isBuy ? -1 : 1) * (100 + i % 200) * TICK, 10);
        }

        void next()
        {
            final boolean isCancel = count > 0 && random.nextInt(10) == 0;
            final long clOrdId = isCancel ? recent[random.nextInt((int)Math.min(count, RECENT_ORDERS))] :
                nextClOrdId++;
            put(clOrdId, 1 + random.nextInt(INSTRUMENTS), random.nextBoolean() ? Side.BUY : Side.SELL,
                random.nextInt(20) == 0 ? OrdType.MARKET : OrdType.LIMIT,
                MID_PRICE + (random.nextInt(41) - 20) * TICK, isCancel ? 0 : 1 + random.nextInt(100));
            if (!isCancel)
            {
                recent[(int)(count % RECENT_ORDERS)] = clOrdId;
            }
            count++;
        }

        private void put(
            final long clOrdId,
            final int instrumentId,
            final Side side,
            final OrdType ordType,
            final long price,
            final long quantity)
        {
            final long claimed = image.tryClaim(NewOrderSingleEncoder.TEMPLATE_ID, LENGTH, claim);
            if (claimed < 0)
            {
                throw new IllegalStateException("journal refused a command: code=" + claimed);
            }
            order.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .clOrdId(clOrdId)
                .instrumentId(instrumentId)
                .side(side)
                .ordType(ordType)
                .quantity(quantity)
                .sendingTimeNs(clOrdId)
                .transactTimeNs(clOrdId)
                .originTimeNs(0);
            order.price().mantissa(price);
            order.putAccount(claim.buffer(), 0, 0);
            claim.commit(MessageHeaderEncoder.ENCODED_LENGTH + order.encodedLength());
        }
    }
}
