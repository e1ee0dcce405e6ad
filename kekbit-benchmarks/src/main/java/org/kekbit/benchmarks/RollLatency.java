package org.kekbit.benchmarks;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalWriter;

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;

/**
 * Write latency around a journal's rolls against steady state (issue 10: p99.9 in the window around a roll within 2x
 * of steady state). One thread writes records at a fixed rate into a {@link RollingJournal} (segment creator and
 * mapping releaser on their helper thread) while a reader thread follows it, and every write is timed:
 * <ul>
 *     <li><b>write call</b>: from just before {@link JournalWriter#write} until it returned a position, spins
 *     waiting for the segment creator at a roll included (service time);</li>
 *     <li><b>from schedule</b>: from the moment the record was due at the fixed rate until its write returned, so a
 *     stall also counts in the writes it delayed (no coordinated omission).</li>
 * </ul>
 * A write is <b>around a roll</b> when a roll happened within {@code --window-us} before or after it (counted in
 * records at the fixed rate); every other write is <b>steady state</b>. Each kind goes into its own HdrHistogram,
 * and the report gives p50, p99, p99.9 and max of each and their ratio. The writer's duty cycle runs between writes,
 * right after each roll (which leaves the release of the segment rolled from to it) and every 1,024 records. The first
 * {@code --warmup-records} are not recorded. {@code --warm-up-rolls N} runs {@link JournalWriter#warmUp} with the
 * journal's settings first, so that the roll runs compiled. {@code --roll-ahead-bytes N} lets the duty cycle roll
 * once fewer than N bytes are left ({@link JournalWriter.Context#rollAheadBytes(long)}): a roll it makes counts as
 * happening between the write before it and the next, for the window. The reader busy spins ({@code --reader spin}),
 * or idles with Agrona's {@link BackoffIdleStrategy} ({@code --reader backoff}: it yields, then parks, so a 2-core
 * machine has a core for the helper thread when the reader is idle), or is not there ({@code --reader none}).
 * {@code --retained-segments N} makes it a bounded journal that keeps N sealed segments and re-uses the files it
 * retires (its reader is named and commits after each poll, so it needs a reader); 0, the default, keeps everything.
 * <pre>
 * java --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED -Dagrona.disable.bounds.checks=true \
 *     -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.RollLatency \
 *     --dir /dev/shm/kekbit-roll-latency --records 20000000 --payload 288 --rate 1000000 \
 *     --segment-capacity 67108864 --window-us 1000
 * </pre>
 * The folder must not exist; it is deleted at the end.
 */
public final class RollLatency
{
    private static final long HIGHEST_TRACKABLE_NS = 60_000_000_000L;
    private static final long MAX_WINDOW_RECORDS = 1 << 24;
    private static final long BEHIND_NS = 100_000;
    private static final String USAGE = "usage: RollLatency --dir DIR [--records N] [--warmup-records N] " +
        "[--payload BYTES] [--rate RECORDS_PER_S] [--segment-capacity BYTES] [--window-us US] " +
        "[--reader spin|backoff|none] " +
        "[--warm-up-rolls N] [--roll-ahead-bytes N] [--retained-segments N]";

    private RollLatency()
    {
    }

    /**
     * Run from the command line; bad arguments print one line and exit with status 2.
     *
     * @param args as in the class description.
     */
    public static void main(final String[] args)
    {
        final Settings settings;
        try
        {
            settings = Settings.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("RollLatency: " + ex.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        try
        {
            run(settings).print(System.out);
        }
        catch (final ChannelException ex)
        {
            System.err.println("RollLatency: " + ex.getMessage()); // for example a payload no segment can hold
            System.exit(1);
        }
    }

    /**
     * Write, time and classify every record, then delete the journal.
     *
     * @param settings of the run.
     * @return the histograms and counts.
     */
    public static Result run(final Settings settings)
    {
        final Result result = new Result(settings);
        final UnsafeBuffer payload = new UnsafeBuffer(BufferUtil.allocateDirectAligned(settings.payload, 64));
        final RollingJournal journal =
            new RollingJournal(settings.dir, settings.segmentCapacity, settings.payload,
                RollingJournal.ReaderSegments.PREFETCH, settings.retainedSegments, settings.warmUpRolls,
                settings.rollAheadBytes, RollingJournal.HelperIdle.SLEEP, RecordDescriptor.ALIGNMENT);
        result.warmUpNs = journal.warmUpNs();
        final SustainedStreamingBenchmark.JournalConsumer consumer = new SustainedStreamingBenchmark.JournalConsumer();
        consumer.payloadLength = settings.payload;
        consumer.journal(journal);
        final long total = settings.warmupRecords + settings.records;
        DutyThread reader = null;
        try
        {
            if (!"none".equals(settings.reader))
            {
                consumer.expect(total);
                reader = new DutyThread("roll-latency-reader", consumer,
                    "spin".equals(settings.reader) ? new BusySpinIdleStrategy() : new BackoffIdleStrategy());
                reader.resume();
            }
            write(journal, payload, settings, result);
            if (null != reader)
            {
                consumer.await(reader);
                reader.checkError();
            }
            result.rolls = journal.writer().rolls();
            result.inlineCreations = journal.writer().inlineSegmentCreations();
            result.rollsAhead = journal.writer().rollsAhead();
            result.rollWaits = journal.rollWaits();
            result.recycledSegments = journal.writer().recycledSegments();
            result.readRecords = consumer.consumed();
        }
        finally
        {
            if (null != reader)
            {
                reader.pause();
                reader.close();
            }
            consumer.journal(null);
            journal.close();
        }

        return result;
    }

    /**
     * The timed loop. A record's kind is decided {@code window} records after it was written, when every roll that
     * could make it a write around a roll is known: record j is around a roll when the last roll so far happened at
     * a record index of at least {@code j - window}, since no roll after {@code j + window} is known yet.
     */
    private static void write(
        final RollingJournal journal, final UnsafeBuffer payload, final Settings settings, final Result result)
    {
        final JournalWriter writer = journal.writer();
        final int length = settings.payload;
        final long total = settings.warmupRecords + settings.records;
        final long window = settings.windowRecords();
        final int mask = (int)(BitUtil.findNextPositivePowerOfTwo(window + 1) - 1);
        final long[] callNs = new long[mask + 1];
        final long[] scheduleNs = new long[mask + 1];
        final double intervalNs = 1e9 / settings.rate;
        long lastRoll = Long.MIN_VALUE / 2;
        long rolls = writer.rolls();
        final long startNs = System.nanoTime();
        for (long i = 0; i < total; i++)
        {
            final long dueNs = startNs + (long)(i * intervalNs);
            long nowNs;
            while ((nowNs = System.nanoTime()) < dueNs)
            {
                Thread.onSpinWait();
            }
            payload.putLong(0, i);
            long position;
            while ((position = writer.write(MSG_TYPE_ID, payload, 0, length)) < 0)
            {
                journal.awaitRoll(position);
            }
            final long endNs = System.nanoTime();
            final int slot = (int)(i & mask);
            callNs[slot] = endNs - nowNs;
            scheduleNs[slot] = endNs - dueNs;
            if (rolls != writer.rolls())
            {
                rolls = writer.rolls();
                lastRoll = i;
                if (i >= settings.warmupRecords)
                {
                    result.recordRollingWrite(callNs[slot]);
                }
                writer.doWork(); // ask for the next segment at once: small segments fill within 1,024 records
            }
            else if (0 == (i & RollingJournal.DUTY_CYCLE_MASK))
            {
                writer.doWork();
                if (rolls != writer.rolls())
                {
                    rolls = writer.rolls(); // rolled ahead of need: between this write and the next
                    lastRoll = i;
                }
            }

            final long decided = i - window;
            if (decided >= settings.warmupRecords)
            {
                result.record(lastRoll >= decided - window, callNs[(int)(decided & mask)],
                    scheduleNs[(int)(decided & mask)]);
            }
        }
        for (long decided = Math.max(settings.warmupRecords, total - window); decided < total; decided++)
        {
            result.record(lastRoll >= decided - window, callNs[(int)(decided & mask)],
                scheduleNs[(int)(decided & mask)]);
        }
    }

    /**
     * What a run does, from the command line.
     */
    public static final class Settings
    {
        Path dir;
        long records = 20_000_000;
        long warmupRecords = 2_000_000;
        int payload = 288;
        long rate = 1_000_000;
        long segmentCapacity = 64L * 1024 * 1024;
        long windowUs = 1_000;
        String reader = "spin";
        int warmUpRolls;
        long rollAheadBytes;
        int retainedSegments;

        /**
         * Read the arguments.
         *
         * @param args as in the class description.
         * @return the settings.
         * @throws IllegalArgumentException with a one-line message when an argument is missing, unknown or bad.
         */
        public static Settings parse(final String[] args)
        {
            final Settings settings = new Settings();
            for (int i = 0; i < args.length; i += 2)
            {
                final String name = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("missing value after " + name);
                }
                final String value = args[i + 1];
                switch (name)
                {
                    case "--dir":
                        settings.dir = Paths.get(value);
                        break;
                    case "--records":
                        settings.records = positive(name, value);
                        break;
                    case "--warmup-records":
                        settings.warmupRecords = zeroOrPositive(name, value);
                        break;
                    case "--payload":
                        settings.payload = (int)Math.min(Integer.MAX_VALUE, positive(name, value));
                        if (settings.payload < Long.BYTES)
                        {
                            throw new IllegalArgumentException("--payload must be at least 8 (a sequence): " + value);
                        }
                        break;
                    case "--rate":
                        settings.rate = positive(name, value);
                        break;
                    case "--segment-capacity":
                        settings.segmentCapacity = positive(name, value);
                        if (Long.bitCount(settings.segmentCapacity) != 1 ||
                            settings.segmentCapacity < JournalDescriptor.MIN_SEGMENT_CAPACITY ||
                            settings.segmentCapacity > JournalDescriptor.MAX_SEGMENT_CAPACITY)
                        {
                            throw new IllegalArgumentException("--segment-capacity must be a power of two from " +
                                JournalDescriptor.MIN_SEGMENT_CAPACITY + " to " +
                                JournalDescriptor.MAX_SEGMENT_CAPACITY + ": " + value);
                        }
                        break;
                    case "--window-us":
                        settings.windowUs = positive(name, value);
                        break;
                    case "--reader":
                        if (!"spin".equals(value) && !"backoff".equals(value) && !"none".equals(value))
                        {
                            throw new IllegalArgumentException("--reader must be spin, backoff or none: " + value);
                        }
                        settings.reader = value;
                        break;
                    case "--roll-ahead-bytes":
                        settings.rollAheadBytes = positive(name, value);
                        break;
                    case "--warm-up-rolls":
                        settings.warmUpRolls = (int)Math.min(Integer.MAX_VALUE, positive(name, value));
                        break;
                    case "--retained-segments":
                        settings.retainedSegments = (int)Math.min(Integer.MAX_VALUE, zeroOrPositive(name, value));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option: " + name);
                }
            }
            if (settings.windowRecords() > MAX_WINDOW_RECORDS)
            {
                throw new IllegalArgumentException("--window-us at --rate spans more than " + MAX_WINDOW_RECORDS +
                    " records: " + settings.windowRecords());
            }
            if (settings.retainedSegments > 0 && "none".equals(settings.reader))
            {
                throw new IllegalArgumentException("--retained-segments needs a reader: its commits let retention " +
                    "retire the segments that are re-used");
            }
            if (null == settings.dir)
            {
                throw new IllegalArgumentException("--dir is required");
            }
            if (Files.exists(settings.dir))
            {
                throw new IllegalArgumentException("--dir must not exist (it is deleted at the end): " + settings.dir);
            }

            return settings;
        }

        /**
         * Records written in the window on each side of a roll, at the fixed rate.
         *
         * @return at least 1.
         */
        long windowRecords()
        {
            return Math.max(1, (long)((double)rate * windowUs / 1e6));
        }

        private static long zeroOrPositive(final String name, final String value)
        {
            return "0".equals(value) ? 0 : positive(name, value);
        }

        private static long positive(final String name, final String value)
        {
            final long parsed;
            try
            {
                parsed = Long.parseLong(value);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + " must be a number: " + value);
            }
            if (parsed <= 0)
            {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }

            return parsed;
        }
    }

    /**
     * Histograms of the writes around rolls and in steady state, and the journal's counts.
     */
    public static final class Result
    {
        final Settings settings;
        final Histogram callAroundRoll = newHistogram();
        final Histogram callSteady = newHistogram();
        final Histogram scheduleAroundRoll = newHistogram();
        final Histogram scheduleSteady = newHistogram();
        final Histogram rollingWrite = newHistogram();
        long rolls;
        long inlineCreations;
        long rollsAhead;
        long rollWaits;
        long recycledSegments;
        long readRecords;
        long warmUpNs;

        Result(final Settings settings)
        {
            this.settings = settings;
        }

        void record(final boolean isAroundRoll, final long callNs, final long scheduleNs)
        {
            (isAroundRoll ? callAroundRoll : callSteady).recordValue(Math.min(callNs, HIGHEST_TRACKABLE_NS));
            (isAroundRoll ? scheduleAroundRoll : scheduleSteady).recordValue(
                Math.min(Math.max(0, scheduleNs), HIGHEST_TRACKABLE_NS));
        }

        void recordRollingWrite(final long callNs)
        {
            rollingWrite.recordValue(Math.min(callNs, HIGHEST_TRACKABLE_NS));
        }

        /**
         * Print the report, a Markdown table per measure.
         *
         * @param out to print to.
         */
        public void print(final PrintStream out)
        {
            final String retention = 0 == settings.retainedSegments ? "every segment kept" : String.format(
                Locale.ROOT, "keeps %d, %,d retired file(s) re-used", settings.retainedSegments, recycledSegments);
            out.printf(Locale.ROOT, "%,d records of %d B at %,d/s into segments of %,d B (%s); %,d roll(s), %,d " +
                "by the duty cycle ahead of need (roll-ahead %,d B), %,d with the segment created inline, " +
                "%,d yield(s) waiting for the segment creator; reader %s (%,d read); " +
                "window %,d us = %,d records on each side of a roll; %,d warmup records not recorded%n%n",
                settings.records, settings.payload, settings.rate, settings.segmentCapacity, retention, rolls,
                rollsAhead, settings.rollAheadBytes, inlineCreations, rollWaits, settings.reader,
                readRecords, settings.windowUs, settings.windowRecords(), settings.warmupRecords);
            if (settings.warmUpRolls > 0)
            {
                out.printf(Locale.ROOT, "Warm-up before the run (JournalWriter.warmUp): %,d rolls in %,d ms%n%n",
                    settings.warmUpRolls, TimeUnit.NANOSECONDS.toMillis(warmUpNs));
            }
            printTable(out, "write call", callAroundRoll, callSteady);
            out.printf(Locale.ROOT, "The rolling write alone (the call that rolled, counted above too), ns: " +
                "%,d writes, p50 %,d, p90 %,d, max %,d%n%n", rollingWrite.getTotalCount(),
                rollingWrite.getValueAtPercentile(50.0), rollingWrite.getValueAtPercentile(90.0),
                rollingWrite.getMaxValue());
            printTable(out, "from schedule", scheduleAroundRoll, scheduleSteady);
            if (scheduleSteady.getValueAtPercentile(50.0) > BEHIND_NS)
            {
                out.println("The writer did not keep the rate (steady-state median from schedule above 100 us): " +
                    "the 'from schedule' figures measure the backlog; lower --rate or run on a quieter machine.");
            }
        }

        private static void printTable(
            final PrintStream out, final String measure, final Histogram aroundRoll, final Histogram steady)
        {
            out.println("| " + measure + ", ns | writes | p50 | p99 | p99.9 | max |");
            out.println("|---|---:|---:|---:|---:|---:|");
            printRow(out, "around rolls", aroundRoll);
            printRow(out, "steady state", steady);
            out.printf(Locale.ROOT, "| around / steady | | %s | %s | %s | %s |%n%n",
                ratio(aroundRoll, steady, 50.0), ratio(aroundRoll, steady, 99.0), ratio(aroundRoll, steady, 99.9),
                0 == steady.getTotalCount() ? "-" :
                String.format(Locale.ROOT, "%.2fx", (double)aroundRoll.getMaxValue() / steady.getMaxValue()));
        }

        private static void printRow(final PrintStream out, final String label, final Histogram histogram)
        {
            out.printf(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %,d |%n", label, histogram.getTotalCount(),
                histogram.getValueAtPercentile(50.0), histogram.getValueAtPercentile(99.0),
                histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
        }

        private static String ratio(final Histogram aroundRoll, final Histogram steady, final double percentile)
        {
            final long base = steady.getValueAtPercentile(percentile);
            return 0 == base || 0 == aroundRoll.getTotalCount() ? "-" :
                String.format(Locale.ROOT, "%.2fx", (double)aroundRoll.getValueAtPercentile(percentile) / base);
        }

        private static Histogram newHistogram()
        {
            return new Histogram(HIGHEST_TRACKABLE_NS, 3);
        }
    }
}
