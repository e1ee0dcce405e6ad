package org.kekbit.replication;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelMirror;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;

/**
 * Replication against raw Aeron UDP over the same transport, in one run, with the ratios printed:
 * <ul>
 *     <li><b>latency</b>: one-way, leader commit to the follower-side {@link JournalReader} seeing the record,
 *     against an {@link ExclusivePublication} offer to a {@link Subscription} poll seeing the message; both stamp
 *     {@link System#nanoTime()} in the message (one machine, one clock), at the same steady rate, into
 *     HdrHistograms;</li>
 *     <li><b>throughput</b>: the same number of messages of the same length (288 B by default), as fast as they go,
 *     from the first write (offer) to the follower's reader (subscriber) seeing the last;</li>
 *     <li><b>roll</b>: what the sink pays at a roll for the mirror's next segment, made there (allocated and
 *     pre-touched) or taken from the spare its duty cycle made ahead, the default since session 4
 *     ({@link ChannelMirror#create}, the two ways the mirror calls it), for the segment capacity given.</li>
 * </ul>
 * Each side runs two application threads: the leader's duty cycle (writer and source, as in a writer's process) and
 * the follower's (sink and mirror reader); raw Aeron runs a publisher and a subscriber thread. Both sides share one
 * embedded media driver ({@code SHARED} threading) on the endpoint's host, loopback by default.
 * <p>
 * Usage, arguments as {@code name=value} (defaults are the real run; see docs/replication.md for the command):
 * <pre>
 * ReplicationHarness [mode=all|latency|throughput|roll] [bytes=1073741824] [length=288] [rate=10000]
 *     [messages=200000] [warmup=20000] [segment=67108864] [rolls=8] [idle=backoff|yield|busy]
 *     [rounds=1] [creator=thread|dutycycle] [host=127.0.0.1] [dir=java.io.tmpdir]
 * </pre>
 * A harness, not a test: figures taken on a machine doing other work must be labelled so.
 */
public final class ReplicationHarness
{
    private static final int RAW_STREAM_ID = 2001;
    private static final long MAX_LATENCY_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int SEQ_OFFSET = 0;
    private static final int STAMP_OFFSET = 8;
    private static final long STALL_NS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Map<String, String> settings;
    private final String mode;
    private final long bytes;
    private final int length;
    private final int rate;
    private final long messages;
    private final long warmup;
    private final long segmentCapacity;
    private final int rolls;
    private final String idle;
    private final int rounds;
    private final boolean isCreatorThread;
    private final String host;
    private final Path dir;
    private final StringBuilder report = new StringBuilder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    ReplicationHarness(final Map<String, String> settings)
    {
        this.settings = new HashMap<>(settings);
        mode = setting("mode", "all");
        bytes = Long.parseLong(setting("bytes", Long.toString(1L << 30)));
        length = Integer.parseInt(setting("length", "288"));
        rate = Integer.parseInt(setting("rate", "10000"));
        messages = Long.parseLong(setting("messages", "200000"));
        warmup = Long.parseLong(setting("warmup", "20000"));
        segmentCapacity = Long.parseLong(setting("segment", Long.toString(64L * 1024 * 1024)));
        rolls = Integer.parseInt(setting("rolls", "8"));
        idle = setting("idle", "backoff");
        rounds = Integer.parseInt(setting("rounds", "1"));
        final String creator = setting("creator", "thread");
        isCreatorThread = "thread".equals(creator);
        if (!isCreatorThread && !"dutycycle".equals(creator))
        {
            throw new IllegalArgumentException("creator must be thread or dutycycle: actual=" + creator);
        }
        host = setting("host", ReplicationTestSupport.LOOPBACK);
        dir = Paths.get(setting("dir", System.getProperty("java.io.tmpdir")));
        if (!this.settings.isEmpty())
        {
            throw new IllegalArgumentException("unknown settings: " + this.settings.keySet());
        }
        if (length < 16)
        {
            throw new IllegalArgumentException("length must be at least 16 (sequence and stamp): actual=" + length);
        }
        if (rate <= 0 || messages <= 0 || warmup < 0 || bytes < length || rolls <= 0 || rounds <= 0)
        {
            throw new IllegalArgumentException("rate, messages, bytes, rolls and rounds must be positive: rate=" +
                rate + ", messages=" + messages + ", warmup=" + warmup + ", bytes=" + bytes + ", rolls=" + rolls +
                ", rounds=" + rounds);
        }
    }

    /**
     * Run the harness.
     *
     * @param args settings as {@code name=value}.
     */
    public static void main(final String[] args)
    {
        try
        {
            new ReplicationHarness(parse(args)).run(); // prints each line as it goes
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("ReplicationHarness: " + ex.getMessage());
            System.exit(2);
        }
    }

    static Map<String, String> parse(final String[] args)
    {
        final Map<String, String> settings = new HashMap<>();
        for (final String arg : args)
        {
            final int equals = arg.indexOf('=');
            if (equals <= 0)
            {
                throw new IllegalArgumentException("expected name=value: actual=" + arg);
            }
            settings.put(arg.substring(0, equals), arg.substring(equals + 1));
        }
        return settings;
    }

    /**
     * Run the modes asked for.
     *
     * @return the report, each line of which was printed as it came.
     */
    String run()
    {
        final Path work = createWorkDir();
        try
        {
            line("replication vs raw Aeron UDP: host=%s length=%d idle=%s segment=%d creator=%s rounds=%d cores=%d",
                host, length, idle, segmentCapacity, isCreatorThread ? "thread" : "dutycycle", rounds,
                Runtime.getRuntime().availableProcessors());
            if ("all".equals(mode) || "latency".equals(mode))
            {
                latency(work);
            }
            if ("all".equals(mode) || "throughput".equals(mode))
            {
                throughput(work);
            }
            if ("all".equals(mode) || "roll".equals(mode))
            {
                roll(work);
            }
            return report.toString();
        }
        finally
        {
            IoUtil.delete(work.toFile(), true);
        }
    }

    private void latency(final Path work)
    {
        final long total = warmup + messages;
        final Histogram raw = new Histogram(MAX_LATENCY_NS, 3);
        final Histogram replicated = new Histogram(MAX_LATENCY_NS, 3);
        final Histogram leaderStage = new Histogram(MAX_LATENCY_NS, 3);
        final Histogram roundRaw = new Histogram(MAX_LATENCY_NS, 3);
        final Histogram roundReplicated = new Histogram(MAX_LATENCY_NS, 3);
        for (int round = 0; round < rounds; round++)
        {
            // Alternating which side runs first, so a load that comes and goes on a shared machine hits both alike.
            roundRaw.reset();
            roundReplicated.reset();
            for (int side = 0; side < 2; side++)
            {
                if ((side == 0) == ((round & 1) == 0))
                {
                    try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(
                        work.resolve("aeron-raw-latency-" + round), 0, 0))
                    {
                        rawRun(driver.aeron(), total, true, roundRaw);
                    }
                }
                else
                {
                    try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(
                        work.resolve("aeron-repl-latency-" + round), 0, 0))
                    {
                        replicatedRun(driver.aeron(), work.resolve("latency-" + round), total, true, roundReplicated,
                            leaderStage);
                    }
                }
            }
            if (rounds > 1)
            {
                line("  round %d (%s first): p50 raw %.1f replicated %.1f us, p99 raw %.1f replicated %.1f us", round,
                    (round & 1) == 0 ? "raw" : "replicated", roundRaw.getValueAtPercentile(50) / 1e3,
                    roundReplicated.getValueAtPercentile(50) / 1e3, roundRaw.getValueAtPercentile(99) / 1e3,
                    roundReplicated.getValueAtPercentile(99) / 1e3);
            }
            raw.add(roundRaw);
            replicated.add(roundReplicated);
        }
        line("latency one-way, %d messages at %d/s after %d warm-up, %d round(s) (us):", messages, rate, warmup,
            rounds);
        line("  %-11s %9s %9s %9s %9s %9s %9s", "", "p50", "p90", "p99", "p99.9", "p99.99", "max");
        percentiles("raw aeron", raw);
        percentiles("replicated", replicated);
        percentiles("  leader", leaderStage);
        line("  %-11s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f", "ratio",
            ratio(replicated, raw, 50), ratio(replicated, raw, 90), ratio(replicated, raw, 99),
            ratio(replicated, raw, 99.9), ratio(replicated, raw, 99.99),
            (double)replicated.getMaxValue() / Math.max(1, raw.getMaxValue()));
        line("  (leader: the replicated part from the write to the end of the leader's duty cycle that offered it " +
            "to Aeron; the rest is Aeron, the sink and the mirror's reader)");
    }

    private void throughput(final Path work)
    {
        final long count = bytes / length;
        final long rawNs;
        final long replicatedNs;
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(work.resolve("aeron-raw-tput"), 0, 0))
        {
            rawNs = rawRun(driver.aeron(), count, false, null);
        }
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(work.resolve("aeron-repl-tput"), 0, 0))
        {
            replicatedNs = replicatedRun(driver.aeron(), work.resolve("throughput"), count, false, null, null);
        }
        line("throughput, %d messages of %d B (%.2f GB):", count, length, count * (double)length / 1e9);
        final double rawRate = count * 1e9 / rawNs;
        final double replicatedRate = count * 1e9 / replicatedNs;
        line("  %-11s %,14.0f msgs/s %10.1f MB/s", "raw aeron", rawRate, rawRate * length / 1e6);
        line("  %-11s %,14.0f msgs/s %10.1f MB/s", "replicated", replicatedRate, replicatedRate * length / 1e6);
        line("  %-11s %14.2f", "ratio", replicatedRate / rawRate);
    }

    private static java.nio.MappedByteBuffer makeSpare(final Path path, final long fileLength) throws IOException
    {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(path,
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.READ,
            java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocateDirect(1024 * 1024);
            long position = 0;
            while (position < fileLength)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), fileLength - position));
                position += channel.write(zeros, position);
            }
            final java.nio.MappedByteBuffer mapping =
                channel.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, fileLength);
            for (int i = 0; i < fileLength; i += 4096)
            {
                mapping.put(i, (byte)0);
            }
            return mapping;
        }
    }

    private void roll(final Path work)
    {
        final Path leader = work.resolve("roll-leader");
        final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
            .folder(leader).segmentCapacity(segmentCapacity).preTouch(false)))
        {
            try (RandomAccessFile file = new RandomAccessFile(JournalDescriptor.segmentPath(leader, 0).toFile(), "r"))
            {
                file.readFully(header.byteArray());
            }
            final ChannelHeaderDecoder decoder = new ChannelHeaderDecoder()
                .wrap(header, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
            final Histogram inline = new Histogram(MAX_LATENCY_NS, 3);
            final Histogram spare = new Histogram(MAX_LATENCY_NS, 3);
            for (int i = 0; i < rolls; i++)
            {
                // Alternating, as the latency rounds do: what the sink does at each roll now...
                final Path path = work.resolve("roll-mirror-" + i);
                final long startNs = System.nanoTime();
                final ChannelMirror mirror = ChannelMirror.create(path, header, 0);
                inline.recordValue(System.nanoTime() - startNs);
                mirror.close();
                Files.delete(path);

                // ...and what it does when its duty cycle has made the spare ahead (made here, not timed, as
                // JournalSpareSegment makes it: zeros written, mapped, every page touched): rename, header, link.
                final Path sparePath = work.resolve("roll-spare-" + i);
                final Path fromSparePath = work.resolve("roll-from-spare-" + i);
                final java.nio.MappedByteBuffer spareMapping = makeSpare(sparePath,
                    ChannelDescriptor.fileLength(segmentCapacity));
                final long spareStartNs = System.nanoTime();
                final ChannelMirror fromSpare = ChannelMirror.create(fromSparePath, header, 0, sparePath, spareMapping);
                spare.recordValue(System.nanoTime() - spareStartNs);
                fromSpare.close();
                Files.delete(fromSparePath);
            }
            line("sink's mirror segment at a roll, %d segments of %d B (ms):", rolls, segmentCapacity);
            line("  %-34s min %8.2f  mean %8.2f  max %8.2f", "without a spare (made at the roll)",
                inline.getMinValue() / 1e6, inline.getMean() / 1e6, inline.getMaxValue() / 1e6);
            line("  %-34s min %8.2f  mean %8.2f  max %8.2f", "from the spare made ahead (default)",
                spare.getMinValue() / 1e6, spare.getMean() / 1e6, spare.getMaxValue() / 1e6);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Raw Aeron: a publisher thread offers, a subscriber thread polls.
     *
     * @return nanoseconds from the first offer to the last message seen.
     */
    private long rawRun(final Aeron aeron, final long count, final boolean isPaced, final Histogram histogram)
    {
        final String channel = "aeron:udp?endpoint=" + host + ":" + ReplicationTestSupport.freeUdpPort() +
            "|mtu=" + ReplicationContext.DEFAULT_MTU_LENGTH +
            "|term-length=" + ReplicationSource.Context.DEFAULT_TERM_LENGTH;
        try (Subscription subscription = aeron.addSubscription(channel, RAW_STREAM_ID);
            ExclusivePublication publication = aeron.addExclusivePublication(channel, RAW_STREAM_ID))
        {
            final IdleStrategy connect = new BackoffIdleStrategy();
            while (!publication.isConnected() || !subscription.isConnected())
            {
                connect.idle();
            }
            final Receiver receiver = new Receiver(count, histogram);
            final FragmentHandler handler = (buffer, offset, fragmentLength, header) -> receiver.onMessage(
                buffer, offset);
            final long[] startNs = new long[1];
            final Thread sender = thread("raw-publisher", () ->
            {
                final UnsafeBuffer message = new UnsafeBuffer(new byte[length]);
                final IdleStrategy idleStrategy = idleStrategy();
                final Pacer pacer = new Pacer(isPaced);
                startNs[0] = System.nanoTime();
                for (long seq = 0; seq < count && null == failure.get(); seq++)
                {
                    while (!pacer.isDue(seq))
                    {
                        idleStrategy.idle(); // as the leader's duty cycle idles between writes
                    }
                    idleStrategy.reset();
                    message.putLong(SEQ_OFFSET, seq);
                    message.putLong(STAMP_OFFSET, System.nanoTime());
                    while (publication.offer(message, 0, length) < 0 && null == failure.get())
                    {
                        idleStrategy.idle();
                    }
                }
            });
            final Thread poller = thread("raw-subscriber", () ->
            {
                final IdleStrategy idleStrategy = idleStrategy();
                while (receiver.seen < count && null == failure.get())
                {
                    idleStrategy.idle(subscription.poll(handler, 256));
                }
            });
            join(sender, poller);
            return receiver.lastNs - startNs[0];
        }
    }

    /**
     * Replication: the leader's thread writes the journal and runs the source; the follower's runs the sink and a
     * reader of the mirror.
     *
     * @return nanoseconds from the first write to the last record seen on the mirror.
     */
    private long replicatedRun(
        final Aeron aeron,
        final Path folder,
        final long count,
        final boolean isPaced,
        final Histogram histogram,
        final Histogram leaderStage)
    {
        final Receiver receiver = new Receiver(count, histogram);
        final RecordHandler handler = (msgTypeId, buffer, offset, recordLength) -> receiver.onMessage(buffer, offset);
        // The leader's next segment is made on the writer's segment creator, on a thread of its own (parked 1 ms at
        // a time), as a writer that must not stall at a roll runs; or, with creator=dutycycle, on the leader's
        // duty cycle (JournalWriter.doWork), no extra thread. The follower's sink makes its mirror's segments inline.
        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
            .folder(folder.resolve("leader")).segmentCapacity(segmentCapacity).createSegmentsOnAgent(isCreatorThread));
            AgentRunner creator = !isCreatorThread ? null : new AgentRunner(
                new SleepingMillisIdleStrategy(1), failure::set, null, writer.segmentCreator());
            ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
                .aeron(aeron)
                .controlEndpoint(host + ":" + ReplicationTestSupport.freeUdpPort())
                .channelPath(writer.folder()));
            ReplicationSink sink = new ReplicationSink(new ReplicationSink.Context()
                .aeron(aeron)
                .controlEndpoint(source.controlEndpoint())
                .dataEndpoint(host + ":0")
                .mirrorDir(folder.resolve("mirror"))))
        {
            if (null != creator)
            {
                AgentRunner.startOnThread(creator);
            }
            // Connected first, as the raw side is: the follower's hello answered and the mirror created. And the
            // leader's next segment made: its creation pre-touches a whole segment (a second of CPU for 64 MiB on a
            // loaded 2-core machine), once per segment, which must not land inside the first measured seconds.
            final IdleStrategy connect = new BackoffIdleStrategy();
            final Path nextSegment = JournalDescriptor.segmentPath(writer.folder(), segmentCapacity); // on standby
            while (!sink.isJournal() || !Files.exists(nextSegment))
            {
                connect.idle(source.doWork() + sink.doWork() + writer.doWork());
                if (sink.isFailed())
                {
                    throw new IllegalStateException("follower rejected: " + sink.failure());
                }
            }
            final long[] startNs = new long[1];
            final long[] writtenNs = new long[1];
            final long[] stalls = new long[3]; // count, total and longest ns, written by the follower's thread
            final Thread leader = thread("leader", () ->
            {
                final UnsafeBuffer message = new UnsafeBuffer(new byte[length]);
                final IdleStrategy idleStrategy = idleStrategy();
                final Pacer pacer = new Pacer(isPaced);
                final long[] stamps = new long[64];
                long seq = 0;
                startNs[0] = System.nanoTime();
                while (receiver.seen < count && null == failure.get())
                {
                    int work = 0;
                    int stamped = 0;
                    for (int i = 0; i < 64 && seq < count && pacer.isDue(seq); i++)
                    {
                        final long stampNs = System.nanoTime();
                        message.putLong(SEQ_OFFSET, seq);
                        message.putLong(STAMP_OFFSET, stampNs);
                        final long result = writer.write(1, message, 0, length);
                        if (result > 0)
                        {
                            if (seq >= warmup)
                            {
                                stamps[stamped++] = stampNs;
                            }
                            seq++;
                            work++;
                            if (seq == count)
                            {
                                writtenNs[0] = System.nanoTime();
                            }
                        }
                    }
                    work += source.doWork();
                    if (null != leaderStage && stamped > 0)
                    {
                        final long offeredNs = System.nanoTime();
                        for (int i = 0; i < stamped; i++)
                        {
                            leaderStage.recordValue(Math.min(MAX_LATENCY_NS, offeredNs - stamps[i]));
                        }
                    }
                    work += writer.doWork();
                    idleStrategy.idle(work);
                }
            });
            final Thread follower = thread("follower", () -> follow(sink, receiver, handler, count, stalls));
            join(leader, follower);
            if (!isPaced)
            {
                line("  (the leader's writer wrote all %d records in %d ms)", count,
                    TimeUnit.NANOSECONDS.toMillis(writtenNs[0] - startNs[0]));
            }
            line("  (replicated: the sink's duty cycle took over %d ms %d times, %.1f ms in all, longest %.1f ms; " +
                "rolls %d)", TimeUnit.NANOSECONDS.toMillis(STALL_NS), stalls[0], stalls[1] / 1e6, stalls[2] / 1e6,
                writer.rolls());
            return receiver.lastNs - startNs[0];
        }
    }

    /**
     * The follower's duty cycle: the sink, then a reader of the mirror, timing each sink duty cycle.
     */
    private void follow(
        final ReplicationSink sink,
        final Receiver receiver,
        final RecordHandler handler,
        final long count,
        final long[] stalls)
    {
        final IdleStrategy idleStrategy = idleStrategy();
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(sink.mirrorPath())))
        {
            while (receiver.seen < count && null == failure.get())
            {
                final long sinkStartNs = System.nanoTime();
                final int sinkWork = sink.doWork();
                final long sinkNs = System.nanoTime() - sinkStartNs;
                if (sinkNs >= STALL_NS)
                {
                    stalls[0]++; // a mirror segment made at a roll, or the thread descheduled
                    stalls[1] += sinkNs;
                    stalls[2] = Math.max(stalls[2], sinkNs);
                }
                idleStrategy.idle(sinkWork + reader.poll(handler, 256));
                if (sink.isFailed())
                {
                    throw new IllegalStateException("follower failed: " + sink.failure());
                }
            }
        }
    }

    private IdleStrategy idleStrategy()
    {
        switch (idle)
        {
            case "busy":
                return new BusySpinIdleStrategy();
            case "yield":
                return new YieldingIdleStrategy();
            case "backoff":
                return new BackoffIdleStrategy(100, 10, 1_000, 100_000);
            default:
                throw new IllegalArgumentException("idle must be busy, yield or backoff: actual=" + idle);
        }
    }

    private Thread thread(final String name, final Runnable body)
    {
        final Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.setUncaughtExceptionHandler((t, ex) -> failure.compareAndSet(null, ex));
        thread.start();
        return thread;
    }

    private void join(final Thread... threads)
    {
        for (final Thread thread : threads)
        {
            try
            {
                // A failed thread leaves the others waiting for messages that will not come: give up on them.
                while (thread.isAlive())
                {
                    thread.join(100);
                    if (null != failure.get())
                    {
                        throw new IllegalStateException("a harness thread failed: " + failure.get(), failure.get());
                    }
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ex);
            }
        }
        if (null != failure.get())
        {
            throw new IllegalStateException("a harness thread failed: " + failure.get(), failure.get());
        }
    }

    private void percentiles(final String name, final Histogram histogram)
    {
        line("  %-11s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f", name,
            histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(90) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
            histogram.getValueAtPercentile(99.99) / 1e3, histogram.getMaxValue() / 1e3);
    }

    private static double ratio(final Histogram replicated, final Histogram raw, final double percentile)
    {
        return (double)replicated.getValueAtPercentile(percentile) / Math.max(1, raw.getValueAtPercentile(percentile));
    }

    private Path createWorkDir()
    {
        try
        {
            return Files.createTempDirectory(dir, "kekbit-harness-");
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot create a work folder in " + dir + ": " + ex.getMessage(), ex);
        }
    }

    private String setting(final String name, final String defaultValue)
    {
        final String value = settings.remove(name);
        return null == value ? defaultValue : value;
    }

    private void line(final String format, final Object... args)
    {
        final String text = String.format(format, args);
        report.append(text).append('\n');
        System.out.println(text);
    }

    /**
     * Counts what the receiving side sees, checks its order, and records the one-way latency past the warm-up.
     */
    private final class Receiver
    {
        private final long count;
        private final Histogram histogram;
        volatile long seen;
        long lastNs;

        Receiver(final long count, final Histogram histogram)
        {
            this.count = count;
            this.histogram = histogram;
        }

        void onMessage(final DirectBuffer buffer, final int offset)
        {
            final long nowNs = System.nanoTime();
            final long seq = buffer.getLong(offset + SEQ_OFFSET);
            if (seq != seen)
            {
                throw new IllegalStateException("out of order: expected=" + seen + ", actual=" + seq);
            }
            if (null != histogram && seq >= warmup)
            {
                histogram.recordValue(Math.min(MAX_LATENCY_NS, nowNs - buffer.getLong(offset + STAMP_OFFSET)));
            }
            if (seq == count - 1)
            {
                lastNs = nowNs;
            }
            seen = seq + 1;
        }
    }

    /**
     * Sends message {@code seq} no earlier than {@code seq / rate} seconds after the start, when paced.
     */
    private final class Pacer
    {
        private final boolean isPaced;
        private final long intervalNs = TimeUnit.SECONDS.toNanos(1) / rate;
        private long startNs;

        Pacer(final boolean isPaced)
        {
            this.isPaced = isPaced;
        }

        boolean isDue(final long seq)
        {
            if (!isPaced)
            {
                return true;
            }
            final long nowNs = System.nanoTime();
            if (0 == startNs)
            {
                startNs = nowNs;
            }
            return nowNs - startNs >= seq * intervalNs;
        }
    }
}
