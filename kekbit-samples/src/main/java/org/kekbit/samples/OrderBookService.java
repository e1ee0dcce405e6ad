package org.kekbit.samples;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import org.agrona.DirectBuffer;
import org.kekbit.codecs.trading.ExecutionReportEncoder;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;
import org.kekbit.image.CommandClaim;
import org.kekbit.image.SystemImage;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalSource;
import org.kekbit.journal.JournalWriter;
import org.kekbit.samples.orderbook.OrderBookImage;
import org.kekbit.samples.orderbook.ReportRecovery;

/**
 * An order book service kept as a system image: {@code bin/sample OrderBookService --dir DIR [--orders N]}. It
 * launches the image in DIR (recovering the book from the newest snapshot and the journal after it when DIR holds
 * one), wires the book's ExecutionReports to an output journal in {@code DIR/reports}, runs a generator of N
 * NewOrderSingle commands (limit orders around 100.00 on four instruments, some market orders, some cancels),
 * each encoded in place in the journal and applied from there, with shadow snapshots every 4 MiB of journal, and
 * prints exactly one line: {@code state-digest=<hex> position=<journal position>}. Run it again on the same folder
 * with {@code --orders 0}: it recovers and prints the same line.
 * <p>
 * Reports are exactly once across crashes: each carries the execId the book numbers its reports with, in journal
 * order; after recovery the reports a crash kept from the output journal are rebuilt from the command journal
 * ({@link ReportRecovery}) before the service serves.
 * <p>
 * Replicated ({@link OrderBookReplication}): {@code --serve HOST:PORT} serves the image's journal over Aeron to hot
 * standbys; {@code --standby-of HOST:PORT} runs a hot standby that mirrors the leader's journal, keeps its own book and
 * snapshots, and takes over when the leader dies. {@code --rate N} paces the orders, {@code --snapshot-interval} and
 * {@code --segment} size the snapshots' interval and the journal's segments.
 */
public final class OrderBookService
{
    /**
     * Orders a run generates unless told.
     */
    public static final long DEFAULT_ORDERS = 200_000;

    /**
     * Journal bytes between two snapshots.
     */
    public static final long SNAPSHOT_INTERVAL_BYTES = 4L * 1024 * 1024;

    /**
     * Segment capacity of the image's journal unless told.
     */
    public static final long SEGMENT_CAPACITY = 16L * 1024 * 1024;

    /**
     * Sub-folder of the output journal of ExecutionReports.
     */
    public static final String REPORTS_FOLDER = "reports";

    private static final long SNAPSHOT_WAIT_NS = 30_000_000_000L;
    private static final int INSTRUMENTS = 4;
    private static final long MID_PRICE = 100_00000000L; // 100.00, exponent -8
    private static final long TICK = 1000000L; // 0.01
    private static final int RECENT_ORDERS = 1024;

    private OrderBookService()
    {
    }

    /**
     * Run the service.
     *
     * @param args {@code --dir DIR [--orders N]}.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(args, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit streams.
     *
     * @param args {@code --dir DIR [--orders N]}.
     * @param out  for the one line of the result.
     * @param err  for the one line of an error.
     * @return the exit status: 0 when the run finished, 1 when it failed, 2 on bad arguments.
     */
    public static int launch(final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            final Options options = Options.parse(args);
            if (null != options.standbyOf)
            {
                OrderBookReplication.standby(options, out);
            }
            else if (null != options.serve)
            {
                OrderBookReplication.lead(options, out);
            }
            else
            {
                out.println(run(options.dir, options.orders));
            }
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * Recover the image in a folder, generate orders against it and stop.
     *
     * @param dir    of the image.
     * @param orders to generate after recovery.
     * @return the line {@code state-digest=<hex> position=<journal position>}.
     */
    public static String run(final Path dir, final long orders)
    {
        return run(dir, orders, Long.MAX_VALUE);
    }

    /**
     * As {@link #run(Path, long)}, writing at most a given number of reports in this run: the others are lost as a
     * crash loses them, for a test of their recovery by the next run.
     */
    static String run(final Path dir, final long orders, final long reportLimit)
    {
        final Options options = new Options();
        options.dir = dir;
        options.orders = orders;
        return serve(options, reportLimit, null);
    }

    /**
     * Launch (recover) the image of the options' folder, write the reports the output lacks, generate the orders and
     * return the state line; with a served image, the hook gets the recovered image before the orders and the image
     * once they are done, and keeps it served (it returns only when the service stops).
     */
    static String serve(final Options options, final long reportLimit, final ServeHook hook)
    {
        final Path dir = options.dir;
        OrderBookReplication.markServed(dir); // before the journal can gain a command no standby mirrored
        final SystemImage.Context ctx = new SystemImage.Context()
            .imageFolder(dir)
            .snapshotIntervalBytes(options.snapshotIntervalBytes)
            .segmentCapacity(options.segmentCapacity);
        if (null != hook)
        {
            hook.configure(ctx);
        }
        try (OrderBookImage service = OrderBookImage.launch(ctx, true))
        {
            final SystemImage image = service.image();
            if (null != hook)
            {
                hook.launched(image);
            }
            final JournalWriter reports = openReports(dir.resolve(REPORTS_FOLDER), options.reportsSegmentCapacity);
            try
            {
                // The replay at launch emitted nothing: what a crash kept from the output is rebuilt first, then
                // the live book writes the reports of the commands to come.
                final long rebuilt = ReportRecovery.recover(image,
                    ReportRecovery.lastWrittenExecId(dir.resolve(REPORTS_FOLDER)),
                    (buffer, offset, length) -> writeReport(reports, buffer, offset, length));
                final long[] written = {0};
                service.book().reportSink((buffer, offset, length) ->
                {
                    if (written[0]++ < reportLimit)
                    {
                        writeReport(reports, buffer, offset, length);
                    }
                });
                if (null != hook)
                {
                    hook.recovered(image, rebuilt);
                }
                generate(service, reports, options.orders, options.rate);
                awaitRequestedSnapshot(image);
                final String line = stateLine(image);
                if (null != hook)
                {
                    hook.generated(image, line, () -> reports.doWork());
                }
                return line;
            }
            finally
            {
                reports.detach(); // not closed: the next run carries on writing it
            }
        }
    }

    /**
     * The one line of a run.
     *
     * @param image whose state and position to print.
     * @return {@code state-digest=<hex> position=<journal position>}.
     */
    static String stateLine(final SystemImage image)
    {
        return String.format("state-digest=%016x position=%d", image.stateMachine().stateDigest(), image.position());
    }

    /**
     * What a replicated role adds around {@link #serve}.
     */
    interface ServeHook
    {
        /**
         * Before the launch: what the role adds to the image's context.
         *
         * @param ctx of the image, to launch.
         */
        default void configure(final SystemImage.Context ctx)
        {
        }

        /**
         * The image launched (recovered from its snapshot and journal), before the reports are rebuilt.
         *
         * @param image launched.
         */
        default void launched(final SystemImage image)
        {
        }

        /**
         * The image recovered, its reports written, before the orders.
         *
         * @param image          recovered.
         * @param reportsRebuilt how many reports the output lacked and were rebuilt from the command journal.
         */
        void recovered(SystemImage image, long reportsRebuilt);

        /**
         * The orders are done.
         *
         * @param image   serving.
         * @param line    the state line.
         * @param reports the duty cycle of the reports journal, to run while the image is still served.
         */
        void generated(SystemImage image, String line, Runnable reports);
    }

    private static void generate(
        final OrderBookImage service, final JournalWriter reports, final long orders, final long rate)
    {
        final long startNs = System.nanoTime();
        final double intervalNs = rate > 0 ? 1e9 / rate : 0;
        final SystemImage image = service.image();
        final SplittableRandom random = new SplittableRandom(image.position()); // a rerun goes on differently
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
        final CommandClaim claim = new CommandClaim();
        final long[] recent = new long[RECENT_ORDERS];
        final long firstClOrdId = image.position() + 1; // positions only grow: ids never repeat across runs
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + NewOrderSingleEncoder.BLOCK_LENGTH +
            NewOrderSingleEncoder.accountHeaderLength();
        for (long i = 0; i < orders; i++)
        {
            if (rate > 0)
            {
                final long dueNs = startNs + (long)(i * intervalNs);
                while (System.nanoTime() - dueNs < 0)
                {
                    image.doWork();
                    reports.doWork();
                    LockSupport.parkNanos(100_000);
                }
            }
            final long clOrdId = firstClOrdId + i;
            final boolean isCancel = i > 0 && random.nextInt(10) == 0;
            final long claimed = service.tryClaim(NewOrderSingleEncoder.TEMPLATE_ID, length, claim);
            if (claimed < 0)
            {
                throw new IllegalStateException("journal refused a command: code=" + claimed);
            }
            order.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .clOrdId(isCancel ? recent[random.nextInt((int)Math.min(i, RECENT_ORDERS))] : clOrdId)
                .instrumentId(1 + random.nextInt(INSTRUMENTS))
                .side(random.nextBoolean() ? Side.BUY : Side.SELL)
                .ordType(random.nextInt(20) == 0 ? OrdType.MARKET : OrdType.LIMIT)
                .quantity(isCancel ? 0 : 1 + random.nextInt(100))
                .sendingTimeNs(System.currentTimeMillis() * 1_000_000L)
                .transactTimeNs(System.currentTimeMillis() * 1_000_000L)
                .originTimeNs(0);
            order.price().mantissa(MID_PRICE + (random.nextInt(41) - 20) * TICK);
            order.putAccount(claim.buffer(), 0, 0);
            claim.commit(MessageHeaderEncoder.ENCODED_LENGTH + order.encodedLength());
            if (!isCancel)
            {
                recent[(int)(i % RECENT_ORDERS)] = clOrdId;
            }
            image.doWork();
            reports.doWork();
        }
    }

    /**
     * A clean stop lets the shadow finish the snapshot last asked for (closing would stop it wherever it is), so the
     * next launch replays at most one interval; bounded, and cut short by a failed snapshot.
     */
    private static void awaitRequestedSnapshot(final SystemImage image)
    {
        final long deadlineNs = System.nanoTime() + SNAPSHOT_WAIT_NS;
        final long failures = image.snapshotFailureCount();
        while (image.snapshotPosition() < image.requestedSnapshotPosition() &&
            image.snapshotFailureCount() == failures && null == image.shadowError() &&
            System.nanoTime() - deadlineNs < 0)
        {
            image.doWork();
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static JournalWriter openReports(final Path folder, final long segmentCapacity)
    {
        final JournalWriter.Context ctx = new JournalWriter.Context()
            .folder(folder)
            .segmentCapacity(segmentCapacity)
            .preTouch(false);
        // A standby's mirror of its leader's reports holds segments but no positions file, and need not start at 0.
        final boolean exists = JournalSource.isJournal(folder) ||
            Files.exists(folder.resolve(JournalDescriptor.POSITIONS_FILE_NAME));
        return exists ? JournalWriter.resume(ctx) : JournalWriter.create(ctx);
    }

    private static void writeReport(
        final JournalWriter reports, final DirectBuffer buffer, final int offset, final int length)
    {
        final long result = reports.write(
            ExecutionReportEncoder.TEMPLATE_ID, buffer, offset, length);
        if (result < 0)
        {
            throw new IllegalStateException("report journal refused a report: code=" + result);
        }
    }

    /**
     * The command line of the service.
     */
    static final class Options
    {
        static final String USAGE = "usage: OrderBookService --dir DIR [--orders N] [--rate ORDERS_PER_S] " +
            "[--snapshot-interval BYTES] [--segment BYTES] [--serve HOST:PORT] [--standby-of HOST:PORT] " +
            "[--takeover-after-ms MS] [--aeron-dir DIR]";

        Path dir;
        long orders = DEFAULT_ORDERS;
        long rate;
        long snapshotIntervalBytes = SNAPSHOT_INTERVAL_BYTES;
        long segmentCapacity = SEGMENT_CAPACITY;
        long reportsSegmentCapacity = SEGMENT_CAPACITY; // for tests: a new reports journal's, no option
        String serve;
        String standbyOf;
        long takeoverAfterMs = OrderBookReplication.DEFAULT_TAKEOVER_AFTER_MS;
        Path aeronDir;

        static Options parse(final String[] args)
        {
            final Options options = new Options();
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                if (!arg.startsWith("--") || "--".equals(arg))
                {
                    throw new IllegalArgumentException("unexpected argument: " + arg + " (" + USAGE + ")");
                }
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(arg + " needs a value (" + USAGE + ")");
                }
                final String value = args[++i];
                switch (arg)
                {
                    case "--dir":
                        options.dir = Path.of(value);
                        break;
                    case "--orders":
                        options.orders = parseCount(arg, value);
                        break;
                    case "--rate":
                        options.rate = parseCount(arg, value);
                        break;
                    case "--snapshot-interval":
                        options.snapshotIntervalBytes = ImageRecoveryTime.parseSize(arg, value);
                        break;
                    case "--segment":
                        options.segmentCapacity = ImageRecoveryTime.parseSize(arg, value);
                        if (Long.bitCount(options.segmentCapacity) != 1 || options.segmentCapacity < 64 * 1024)
                        {
                            throw new IllegalArgumentException("--segment must be a power of two of 64k or more: " +
                                value);
                        }
                        break;
                    case "--serve":
                        options.serve = parseEndpoint(arg, value);
                        break;
                    case "--standby-of":
                        options.standbyOf = parseEndpoint(arg, value);
                        break;
                    case "--takeover-after-ms":
                        options.takeoverAfterMs = parseCount(arg, value);
                        if (options.takeoverAfterMs < 100)
                        {
                            throw new IllegalArgumentException("--takeover-after-ms must be 100 or more: " + value);
                        }
                        break;
                    case "--aeron-dir":
                        options.aeronDir = Path.of(value);
                        break;
                    default:
                        throw new IllegalArgumentException("unexpected argument: " + arg + " (" + USAGE + ")");
                }
            }
            if (null == options.dir)
            {
                throw new IllegalArgumentException("--dir DIR is required (" + USAGE + ")");
            }
            if (null != options.serve && options.serve.equals(options.standbyOf))
            {
                throw new IllegalArgumentException("--serve and --standby-of name the same endpoint: " +
                    options.serve);
            }
            return options;
        }

        private static long parseCount(final String name, final String value)
        {
            try
            {
                final long count = Long.parseLong(value.replace("_", ""));
                if (count < 0)
                {
                    throw new IllegalArgumentException(name + " must not be negative: " + value);
                }
                return count;
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + " is not a number: " + value);
            }
        }

        private static String parseEndpoint(final String name, final String value)
        {
            final int colon = value.lastIndexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException(name + " must be HOST:PORT: " + value);
            }
            final long port;
            try
            {
                port = Long.parseLong(value.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + " must be HOST:PORT: " + value);
            }
            if (port < 1 || port > 65535)
            {
                throw new IllegalArgumentException(name + " has a port out of range: " + value);
            }
            return value;
        }
    }
}
