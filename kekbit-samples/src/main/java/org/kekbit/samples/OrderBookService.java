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
            Path dir = null;
            long orders = DEFAULT_ORDERS;
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                if (("--dir".equals(arg) || "--orders".equals(arg)) && i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                if ("--dir".equals(arg))
                {
                    dir = Path.of(args[++i]);
                }
                else if ("--orders".equals(arg))
                {
                    orders = parseOrders(args[++i]);
                }
                else
                {
                    throw new IllegalArgumentException("unexpected argument: " + arg +
                        " (usage: OrderBookService --dir DIR [--orders N])");
                }
            }
            if (null == dir)
            {
                throw new IllegalArgumentException("--dir DIR is required (usage: OrderBookService --dir DIR " +
                    "[--orders N])");
            }
            out.println(run(dir, orders));
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
        try (OrderBookImage service = OrderBookImage.launch(new SystemImage.Context()
            .imageFolder(dir)
            .snapshotIntervalBytes(SNAPSHOT_INTERVAL_BYTES)
            .segmentCapacity(16L * 1024 * 1024), true))
        {
            final SystemImage image = service.image();
            final JournalWriter reports = openReports(dir.resolve(REPORTS_FOLDER));
            try
            {
                // The replay at launch emitted nothing: what a crash kept from the output is rebuilt first, then
                // the live book writes the reports of the commands to come.
                ReportRecovery.recover(image, ReportRecovery.lastWrittenExecId(dir.resolve(REPORTS_FOLDER)),
                    (buffer, offset, length) -> writeReport(reports, buffer, offset, length));
                final long[] written = {0};
                service.book().reportSink((buffer, offset, length) ->
                {
                    if (written[0]++ < reportLimit)
                    {
                        writeReport(reports, buffer, offset, length);
                    }
                });
                generate(service, reports, orders);
                awaitRequestedSnapshot(image);
                return String.format("state-digest=%016x position=%d", image.stateMachine().stateDigest(),
                    image.position());
            }
            finally
            {
                reports.detach(); // not closed: the next run carries on writing it
            }
        }
    }

    private static void generate(final OrderBookImage service, final JournalWriter reports, final long orders)
    {
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

    private static JournalWriter openReports(final Path folder)
    {
        final JournalWriter.Context ctx = new JournalWriter.Context()
            .folder(folder)
            .segmentCapacity(16L * 1024 * 1024)
            .preTouch(false);
        final boolean exists = Files.exists(folder.resolve(JournalDescriptor.segmentFileName(0))) ||
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

    private static long parseOrders(final String value)
    {
        try
        {
            final long orders = Long.parseLong(value.replace("_", ""));
            if (orders < 0)
            {
                throw new IllegalArgumentException("--orders must not be negative: " + value);
            }
            return orders;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--orders is not a number: " + value);
        }
    }
}
