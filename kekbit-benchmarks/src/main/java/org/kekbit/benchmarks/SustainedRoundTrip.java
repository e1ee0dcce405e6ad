package org.kekbit.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.HdrHistogram.Histogram;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalDescriptor;

/**
 * Round trip at sustained volume (issue 14): request and response latency through each system while gigabytes pass,
 * against Agrona's resident ring in the same run and the same CPU placement. A main, not JMH: the requester sends at
 * a fixed rate and every round trip is timed from the moment its request was <b>due</b>, so a stall counts in every
 * request it delayed (no coordinated omission), which JMH's per-invocation timing cannot do.
 * <p>
 * The requester (the main thread) writes a request every {@code 1 / --rate} seconds, carrying the time it was due
 * and its sequence in its first 16 bytes, and polls responses whenever it is not writing; an echo thread
 * ({@link DutyThread}, busy spinning) reads each request and writes it back, as is, on a second stream; on each
 * response the requester records {@code now - due} into an HdrHistogram and checks the sequence (a lost, reordered or
 * cut response fails the run). The first {@code --warmup-records} round trips are not recorded. Systems
 * ({@link RoundTripSystem.Kind}), each with its two streams opened before and deleted after its run:
 * <ul>
 *     <li><b>journal</b>: two Kekbit journals that keep everything ({@link RollingJournal}: segments of
 *     {@code --segment-capacity} made ahead by a helper thread per journal, readers prefetching), all new memory;</li>
 *     <li><b>recycling</b>: the same journals bounded to {@code --retained-segments} sealed segments, re-using the
 *     retired files, named readers committing after each poll;</li>
 *     <li><b>channels</b>: Kekbit's channel layer alone, runs of channels of at most {@code --channel-capacity}, all
 *     created and pre-touched before the run (a channel holds at most ~2 GiB, so not one channel at this volume);</li>
 *     <li><b>ring</b>: two Agrona {@code OneToOneRingBuffer}s of 64 MiB, resident: the baseline of the ratios;</li>
 *     <li><b>aeron</b>: two exclusive IPC publications, 16 MiB terms, embedded driver run by the requester.</li>
 * </ul>
 * Every system runs {@code --rounds} times, the order reversed every other round, and the report gives p50, p99,
 * p99.9 and max per system (rounds pooled) with their ratios to the ring, then each run with where the two threads
 * were ({@link CpuPlacement}: the CPU each was on at the end, sibling hyperthreads or separate cores as the guest sees
 * them, migrations and preemptions during the run), bytes allocated by each thread in the recorded part, GCs, and
 * the load average. Nothing is pinned.
 * <pre>
 * java --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED -Dagrona.disable.bounds.checks=true \
 *     -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.SustainedRoundTrip \
 *     --records 20000000 --payload 288 --rate 500000 --rounds 2
 * </pre>
 * Files go to a new folder under /dev/shm ({@code KEKBIT_BENCH_SHM_DIR} to change it), or to {@code --dir}, which must
 * not exist; either is deleted at the end. At the defaults, a journal that keeps everything and the channels each
 * hold about 13 GB at the end of their run.
 */
public final class SustainedRoundTrip
{
    static final int TIMESTAMP_OFFSET = 0;
    static final int SEQUENCE_OFFSET = TIMESTAMP_OFFSET + Long.BYTES;
    static final int MIN_PAYLOAD = SEQUENCE_OFFSET + Long.BYTES;
    static final int MAX_PAYLOAD = 1024 * 1024;

    private static final long HIGHEST_TRACKABLE_NS = 60_000_000_000L;
    private static final long BEHIND_NS = 100_000;
    private static final long STALL_CHECK_MASK = 0xFFFF;
    private static final String USAGE = "usage: SustainedRoundTrip [--records N] [--warmup-records N] " +
        "[--payload BYTES] [--rate REQUESTS_PER_S] [--rounds N] [--systems journal,recycling,channels,ring,aeron] " +
        "[--segment-capacity BYTES] [--retained-segments N] [--channel-capacity BYTES] [--dir DIR]";

    private SustainedRoundTrip()
    {
    }

    /**
     * Run from the command line; bad arguments print one line and the usage and exit with status 2, a failed run one
     * line and 1.
     *
     * @param args as in the class description.
     */
    public static void main(final String[] args)
    {
        final int status = execute(args, System.out, System.err);
        if (0 != status)
        {
            System.exit(status);
        }
    }

    /**
     * Parse, run and print, as {@link #main(String[])} does, without exiting.
     *
     * @param args as in the class description.
     * @param out  for the report.
     * @param err  for a one-line error.
     * @return 0, 1 when the run failed, 2 when an argument is bad.
     */
    static int execute(final String[] args, final PrintStream out, final PrintStream err)
    {
        Settings settings = null;
        try
        {
            settings = Settings.parse(args);
            run(settings).print(out);
            return 0;
        }
        catch (final IllegalArgumentException | ChannelException | IllegalStateException | UncheckedIOException ex)
        {
            err.println("SustainedRoundTrip: " + ex.getMessage() + (null == ex.getCause() ? "" : ": " + ex.getCause()));
            if (null == settings)
            {
                err.println(USAGE);
                return 2;
            }

            return 1;
        }
    }

    /**
     * Run every system {@code rounds} times, then delete the files.
     *
     * @param settings of the run.
     * @return every run's histograms and placement.
     */
    public static Result run(final Settings settings)
    {
        final Path root = null == settings.dir ?
            BenchmarkConfiguration.shmFolder("kekbit-round-trip-") : createFolder(settings.dir);
        final Result result = new Result(settings, root);
        try
        {
            for (int round = 1; round <= settings.rounds; round++)
            {
                final List<RoundTripSystem.Kind> order = new ArrayList<>(settings.systems);
                if (0 == round % 2)
                {
                    Collections.reverse(order);
                }
                for (final RoundTripSystem.Kind kind : order)
                {
                    result.add(runOne(kind, round, createFolder(root.resolve(kind.option + "-" + round)), settings));
                }
            }
        }
        finally
        {
            Storage.delete(root);
        }

        return result;
    }

    private static Run runOne(
        final RoundTripSystem.Kind kind, final int round, final Path folder, final Settings settings)
    {
        final Run run = new Run(kind, round);
        run.loadBefore = loadAverage();
        final UnsafeBuffer payload = new UnsafeBuffer(BufferUtil.allocateDirectAligned(settings.payload, 64));
        final Responses responses = new Responses(settings, run.roundTrip);
        try (RoundTripSystem system = kind.open(folder, settings))
        {
            final Echo echo = new Echo(system.echo());
            final DutyThread thread =
                new DutyThread("round-trip-echo-" + kind.option, echo, new BusySpinIdleStrategy());
            try
            {
                thread.resume();
                echo.awaitStart(thread);
                run.begin(echo);
                roundTrips(system, thread, echo, payload, responses, settings, run);
                run.end(echo);
                thread.checkError();
            }
            finally
            {
                thread.pause();
                thread.close();
            }
            run.summary = system.summary();
        }
        finally
        {
            Storage.delete(folder);
        }
        run.loadAfter = loadAverage();

        return run;
    }

    /**
     * The timed loop: a request when it is due, responses polled while waiting and after each request, then the
     * responses still on their way. Allocates nothing but the one sample of the counters when recording starts.
     */
    private static void roundTrips(
        final RoundTripSystem system,
        final DutyThread thread,
        final Echo echo,
        final UnsafeBuffer payload,
        final Responses responses,
        final Settings settings,
        final Run run)
    {
        final int length = settings.payload;
        final long warmup = settings.warmupRecords;
        final long total = warmup + settings.records;
        final double intervalNs = 1e9 / settings.rate;
        final Histogram sendLag = run.sendLag;
        final long startNs = System.nanoTime();
        for (long i = 0; i < total; i++)
        {
            if (i == warmup)
            {
                run.startRecording(echo);
            }
            final long dueNs = startNs + (long)(i * intervalNs);
            while (System.nanoTime() < dueNs)
            {
                system.pollResponses(responses);
            }
            payload.putLong(TIMESTAMP_OFFSET, dueNs);
            payload.putLong(SEQUENCE_OFFSET, i);
            long spins = 0;
            while (!system.request(payload, length))
            {
                system.pollResponses(responses);
                system.requesterDuty(i);
                stalled(system, thread, ++spins);
            }
            if (i >= warmup)
            {
                sendLag.recordValue(Math.min(System.nanoTime() - dueNs, HIGHEST_TRACKABLE_NS));
            }
            system.requesterDuty(i);
            system.pollResponses(responses);
        }

        long spins = 0;
        while (responses.received < total)
        {
            if (0 == system.pollResponses(responses))
            {
                system.requesterDuty(++spins);
                stalled(system, thread, spins);
            }
        }
    }

    /**
     * One spin of the requester waiting on the system: fails the run when the echo failed, the system says it cannot
     * go on, or nothing moved for a minute.
     */
    private static void stalled(final RoundTripSystem system, final DutyThread thread, final long spins)
    {
        if (0 == (spins & STALL_CHECK_MASK))
        {
            system.checkStalled();
        }
        thread.waiting(spins);
    }

    private static Path createFolder(final Path folder)
    {
        try
        {
            return Files.createDirectories(folder);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String loadAverage()
    {
        final String text = CpuPlacement.read(Paths.get("/proc/loadavg"));
        final String[] fields = null == text ? new String[0] : text.split(" ");
        return fields.length < 3 ? "?" : fields[0] + " " + fields[1] + " " + fields[2];
    }

    /**
     * What a run does, from the command line.
     */
    public static final class Settings
    {
        private static final Set<String> OPTIONS = Set.of("--records", "--warmup-records", "--payload", "--rate",
            "--rounds", "--systems", "--segment-capacity", "--retained-segments", "--channel-capacity", "--dir");

        Path dir;
        long records = 20_000_000;
        long warmupRecords = 2_000_000;
        int payload = 288;
        long rate = 500_000;
        int rounds = 2;
        List<RoundTripSystem.Kind> systems = List.of(RoundTripSystem.Kind.values());
        long segmentCapacity = 64L * 1024 * 1024;
        int retainedSegments = 2;
        long channelCapacity = 1L << 30;

        /**
         * Read the arguments.
         *
         * @param args as in the class description.
         * @return the settings.
         * @throws IllegalArgumentException with a one-line message when an argument is missing, unknown or bad.
         */
        public static Settings parse(final String[] args)
        {
            final Map<String, String> values = new HashMap<>();
            for (int i = 0; i < args.length; i += 2)
            {
                if (!OPTIONS.contains(args[i]))
                {
                    throw new IllegalArgumentException("unknown option: " + args[i]);
                }
                if (i + 1 == args.length)
                {
                    throw new IllegalArgumentException("missing value after " + args[i]);
                }
                values.put(args[i], args[i + 1]);
            }

            final Settings settings = new Settings();
            settings.records = number(values, "--records", settings.records, 1, Long.MAX_VALUE / 2);
            settings.warmupRecords = number(values, "--warmup-records", settings.warmupRecords, 0, Long.MAX_VALUE / 2);
            settings.payload = (int)number(values, "--payload", settings.payload, MIN_PAYLOAD, MAX_PAYLOAD);
            settings.rate = number(values, "--rate", settings.rate, 1, 1_000_000_000);
            settings.rounds = (int)number(values, "--rounds", settings.rounds, 1, 1_000);
            settings.segmentCapacity = number(values, "--segment-capacity", settings.segmentCapacity, 1,
                Long.MAX_VALUE);
            settings.retainedSegments = (int)number(values, "--retained-segments", settings.retainedSegments, 1,
                1_000_000);
            settings.channelCapacity = number(values, "--channel-capacity", settings.channelCapacity, 1,
                Long.MAX_VALUE);
            try
            {
                JournalDescriptor.checkSegmentCapacity(settings.segmentCapacity);
                JournalDescriptor.checkMaxRecordLength(settings.payload, settings.segmentCapacity);
                ChannelDescriptor.checkCapacity(settings.channelCapacity);
                ChannelDescriptor.checkMaxRecordLength(settings.payload, settings.channelCapacity);
            }
            catch (final ChannelException ex)
            {
                throw new IllegalArgumentException("--segment-capacity, --channel-capacity and --payload: " +
                    ex.getMessage());
            }
            if (values.containsKey("--systems"))
            {
                settings.systems = systems(values.get("--systems"));
            }
            if (values.containsKey("--dir"))
            {
                settings.dir = Paths.get(values.get("--dir"));
                if (Files.exists(settings.dir))
                {
                    throw new IllegalArgumentException(
                        "--dir must not exist (it is deleted at the end): " + settings.dir);
                }
            }

            return settings;
        }

        /**
         * Payload bytes that pass each way in one run of a system, warm-up included.
         *
         * @return the bytes.
         */
        long bytesEachWay()
        {
            return (warmupRecords + records) * payload;
        }

        private static long number(
            final Map<String, String> values, final String name, final long defaultValue, final long min,
            final long max)
        {
            final String value = values.get(name);
            if (null == value)
            {
                return defaultValue;
            }
            try
            {
                final long parsed = Long.parseLong(value);
                if (parsed >= min && parsed <= max)
                {
                    return parsed;
                }
            }
            catch (final NumberFormatException ignore)
            {
                // the message below says what is expected
            }
            throw new IllegalArgumentException(name + " must be a number from " + min + " to " + max + ": " + value);
        }

        private static List<RoundTripSystem.Kind> systems(final String list)
        {
            final List<RoundTripSystem.Kind> systems = new ArrayList<>();
            for (final String name : list.split(","))
            {
                final RoundTripSystem.Kind kind = RoundTripSystem.Kind.of(name.trim());
                if (systems.contains(kind))
                {
                    throw new IllegalArgumentException("--systems names " + kind.option + " twice");
                }
                systems.add(kind);
            }

            return List.copyOf(systems);
        }
    }

    /**
     * The requester's handler of responses, for every system's handler interface: checks each response's sequence
     * and length and records the round trip from the time its request was due.
     */
    static final class Responses implements RecordHandler, MessageHandler, FragmentHandler
    {
        private final Histogram histogram;
        private final int payloadLength;
        private final long warmupRecords;
        long received;

        Responses(final Settings settings, final Histogram histogram)
        {
            this.histogram = histogram;
            this.payloadLength = settings.payload;
            this.warmupRecords = settings.warmupRecords;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            onResponse(buffer, offset, length);
        }

        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            onResponse(buffer, index, length);
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            onResponse(buffer, offset, length);
        }

        private void onResponse(final DirectBuffer buffer, final int offset, final int length)
        {
            final long nowNs = System.nanoTime();
            final long sequence = buffer.getLong(offset + SEQUENCE_OFFSET);
            if (sequence != received || length != payloadLength)
            {
                throw new IllegalStateException("unexpected response: expected sequence=" + received + " length=" +
                    payloadLength + ", actual sequence=" + sequence + " length=" + length);
            }
            if (sequence >= warmupRecords)
            {
                histogram.recordValue(Math.min(nowNs - buffer.getLong(offset + TIMESTAMP_OFFSET),
                    HIGHEST_TRACKABLE_NS));
            }
            received++;
        }
    }

    /**
     * The echo thread's duty, which first says which thread it is (outside the timed window: it allocates).
     */
    static final class Echo implements DutyThread.Duty
    {
        private final DutyThread.Duty duty;
        private boolean isStarted;
        private volatile boolean isReady;
        private long threadId;
        private long javaThreadId;

        Echo(final DutyThread.Duty duty)
        {
            this.duty = duty;
        }

        public int doWork() throws Exception
        {
            if (!isStarted)
            {
                isStarted = true;
                threadId = CpuPlacement.currentThreadId();
                javaThreadId = Thread.currentThread().getId();
                isReady = true;
                return 0;
            }

            return duty.doWork();
        }

        void awaitStart(final DutyThread thread)
        {
            long spins = 0;
            while (!isReady)
            {
                thread.waiting(++spins);
            }
        }
    }

    /**
     * One system's run: its histograms and where the two threads were.
     */
    static final class Run
    {
        private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        private static final List<GarbageCollectorMXBean> COLLECTORS = ManagementFactory.getGarbageCollectorMXBeans();

        final RoundTripSystem.Kind kind;
        final int round;
        final Histogram roundTrip = newHistogram();
        final Histogram sendLag = newHistogram();
        final long requesterThreadId = CpuPlacement.currentThreadId();
        String loadBefore;
        String loadAfter;
        String summary;
        CpuPlacement.Sample requesterStart;
        CpuPlacement.Sample echoStart;
        CpuPlacement.Sample requester;
        CpuPlacement.Sample echo;
        long requesterAllocated;
        long echoAllocated;
        long collections;

        Run(final RoundTripSystem.Kind kind, final int round)
        {
            this.kind = kind;
            this.round = round;
        }

        void begin(final Echo echo)
        {
            requesterStart = CpuPlacement.sample(requesterThreadId);
            echoStart = CpuPlacement.sample(echo.threadId);
        }

        // The allocation counters are read last here and first in end(): counting the GCs allocates an iterator.
        void startRecording(final Echo echo)
        {
            collections = collections();
            echoAllocated = THREADS.getThreadAllocatedBytes(echo.javaThreadId);
            requesterAllocated = THREADS.getCurrentThreadAllocatedBytes();
        }

        void end(final Echo echo)
        {
            requesterAllocated = THREADS.getCurrentThreadAllocatedBytes() - requesterAllocated;
            echoAllocated = THREADS.getThreadAllocatedBytes(echo.javaThreadId) - echoAllocated;
            collections = collections() - collections;
            requester = CpuPlacement.sample(requesterThreadId).since(requesterStart);
            this.echo = CpuPlacement.sample(echo.threadId).since(echoStart);
        }

        private static long collections()
        {
            long count = 0;
            for (final GarbageCollectorMXBean collector : COLLECTORS)
            {
                count += Math.max(0, collector.getCollectionCount());
            }

            return count;
        }
    }

    /**
     * Every run, and the report.
     */
    public static final class Result
    {
        final Settings settings;
        final Path root;
        final List<Run> runs = new ArrayList<>();
        final Map<RoundTripSystem.Kind, Histogram> pooled = new EnumMap<>(RoundTripSystem.Kind.class);

        Result(final Settings settings, final Path root)
        {
            this.settings = settings;
            this.root = root;
        }

        void add(final Run run)
        {
            runs.add(run);
            pooled.computeIfAbsent(run.kind, (kind) -> newHistogram()).add(run.roundTrip);
        }

        /**
         * Print the report: the systems side by side, then each run.
         *
         * @param out to print to.
         */
        public void print(final PrintStream out)
        {
            out.printf(Locale.ROOT, "Round trip at sustained volume: per system and round %,d round trips recorded " +
                "after %,d not recorded, %d B each way, requests due at %,d/s (%.2f GB of payload each way per run); " +
                "%d round(s), the order reversed every other round; files under %s; clock source %s%n",
                settings.records, settings.warmupRecords, settings.payload, settings.rate,
                settings.bytesEachWay() / 1e9, settings.rounds, root, clockSource());
            out.println(CpuPlacement.describeTopology());
            out.println();
            out.println("| ns from the request's due time, rounds pooled | round trips | p50 | p99 | p99.9 | max | " +
                "p50 / ring | p99 / ring | p99.9 / ring |");
            out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            final Histogram ring = pooled.get(RoundTripSystem.Kind.RING);
            for (final Map.Entry<RoundTripSystem.Kind, Histogram> entry : pooled.entrySet())
            {
                final Histogram histogram = entry.getValue();
                out.printf(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %,d | %s | %s | %s |%n", entry.getKey().label,
                    histogram.getTotalCount(), histogram.getValueAtPercentile(50.0),
                    histogram.getValueAtPercentile(99.0), histogram.getValueAtPercentile(99.9),
                    histogram.getMaxValue(), ratio(histogram, ring, 50.0), ratio(histogram, ring, 99.0),
                    ratio(histogram, ring, 99.9));
            }
            out.println();
            out.println("Each run: the CPU each thread was on at the end and how the two relate (guest topology), " +
                "migrations between CPUs and preemptions during the run, bytes allocated in the recorded part " +
                "(requester / echo):");
            out.println();
            out.println("| round | system | p50 | p99 | p99.9 | max | send lag p99 | CPUs at end | placement | " +
                "migrations | preemptions | B allocated | GCs | load before / after |");
            out.println("|---:|---|---:|---:|---:|---:|---:|---|---|---|---|---|---:|---|");
            boolean isBehind = false;
            for (final Run run : runs)
            {
                final Histogram histogram = run.roundTrip;
                isBehind |= run.sendLag.getValueAtPercentile(50.0) > BEHIND_NS;
                out.printf(Locale.ROOT, "| %d | %s | %,d | %,d | %,d | %,d | %,d | %s | %s | %s | %s | %s | %d | " +
                    "%s / %s |%n", run.round, run.kind.label, histogram.getValueAtPercentile(50.0),
                    histogram.getValueAtPercentile(99.0), histogram.getValueAtPercentile(99.9),
                    histogram.getMaxValue(), run.sendLag.getValueAtPercentile(99.0),
                    pair(run.requester.cpu(), run.echo.cpu()),
                    CpuPlacement.relation(run.requester.cpu(), run.echo.cpu()),
                    pair(run.requester.migrations(), run.echo.migrations()),
                    pair(run.requester.involuntary(), run.echo.involuntary()),
                    pair(run.requesterAllocated, run.echoAllocated), run.collections, run.loadBefore, run.loadAfter);
            }
            out.println();
            for (final Run run : runs)
            {
                if (null != run.summary)
                {
                    out.printf("round %d, %s: %s%n", run.round, run.kind.label, run.summary);
                }
            }
            if (isBehind)
            {
                out.println("The requester did not keep the rate in some run (median send lag above 100 us): its " +
                    "figures measure the backlog; lower --rate or run on a quieter machine.");
            }
        }

        private static String ratio(final Histogram histogram, final Histogram ring, final double percentile)
        {
            final long base = null == ring ? 0 : ring.getValueAtPercentile(percentile);
            return 0 == base ? "-" :
                String.format(Locale.ROOT, "%.2fx", (double)histogram.getValueAtPercentile(percentile) / base);
        }

        private static String pair(final long requester, final long echo)
        {
            return text(requester) + " / " + text(echo);
        }

        private static String text(final long value)
        {
            return CpuPlacement.UNKNOWN == value ? "?" : String.format(Locale.ROOT, "%,d", value);
        }

        private static String clockSource()
        {
            final String source =
                CpuPlacement.read(Paths.get("/sys/devices/system/clocksource/clocksource0/current_clocksource"));
            return null == source ? "unknown" : source;
        }
    }

    private static Histogram newHistogram()
    {
        return new Histogram(HIGHEST_TRACKABLE_NS, 3);
    }
}
