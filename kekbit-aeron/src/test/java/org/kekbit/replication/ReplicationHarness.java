package org.kekbit.replication;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import org.HdrHistogram.Histogram;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelMirror;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;
import org.kekbit.replication.ReplicationHarnessRoles.Outcome;

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
 * the follower's (sink and mirror reader); raw Aeron runs a publisher and a subscriber thread
 * ({@link ReplicationHarnessRoles}). With {@code hosts=one} (the default) both sides run in this process and share
 * one embedded media driver ({@code SHARED} threading) on the endpoint's host, loopback by default. With
 * {@code hosts=netns} (root) they run on two hosts on this machine: the sending side (journal writer and source, or
 * the raw publisher) in one network namespace and the receiving side (sink and mirror reader, or the raw subscriber)
 * in another, joined by a veth pair, each side a JVM with its own embedded media driver
 * ({@link ReplicationHarnessNetns}); the roll mode runs in this process either way.
 * <p>
 * Usage, arguments as {@code name=value} (defaults are the real run; see docs/replication.md for the command):
 * <pre>
 * ReplicationHarness [mode=all|latency|throughput|roll] [bytes=1073741824] [length=288] [rate=10000]
 *     [messages=200000] [warmup=20000] [segment=67108864] [rolls=8] [idle=backoff|yield|busy]
 *     [rounds=1] [creator=thread|dutycycle] [hosts=one|netns] [host=127.0.0.1] [dir=java.io.tmpdir]
 * </pre>
 * A harness, not a test: figures taken on a machine doing other work must be labelled so.
 */
public final class ReplicationHarness
{
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
    private final String creator;
    private final boolean isNetns;
    private final String host;
    private final Path dir;
    private final StringBuilder report = new StringBuilder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    final ReplicationHarnessRoles roles;

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
        creator = setting("creator", "thread");
        final boolean isCreatorThread = "thread".equals(creator);
        if (!isCreatorThread && !"dutycycle".equals(creator))
        {
            throw new IllegalArgumentException("creator must be thread or dutycycle: actual=" + creator);
        }
        final String hosts = setting("hosts", "one");
        isNetns = "netns".equals(hosts);
        if (!isNetns && !"one".equals(hosts))
        {
            throw new IllegalArgumentException("hosts must be one or netns: actual=" + hosts);
        }
        if (isNetns && this.settings.containsKey("host"))
        {
            throw new IllegalArgumentException("host is for hosts=one: hosts=netns runs from " +
                TwoHostNamespaces.LEADER_ADDRESS + " to " + TwoHostNamespaces.FOLLOWER_ADDRESS);
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
        roles = new ReplicationHarnessRoles(length, rate, warmup, idle, segmentCapacity, isCreatorThread, failure);
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
        final String why = isNetns ? TwoHostNamespaces.whyNot() : null;
        if (null != why)
        {
            throw new IllegalArgumentException("hosts=netns cannot run here: " + why);
        }
        final Path work = createWorkDir();
        try (Hosts hosts = isNetns ?
            new ReplicationHarnessNetns(work, sideSettings(), rate, length) :
            (name, isReplicated, count, isPaced) -> oneHost(work, name, isReplicated, count, isPaced))
        {
            line("replication vs raw Aeron UDP: %s length=%d idle=%s segment=%d creator=%s rounds=%d cores=%d",
                isNetns ? "hosts=netns" : "host=" + host, length, idle, segmentCapacity, creator, rounds,
                Runtime.getRuntime().availableProcessors());
            for (final String text : hosts.describe())
            {
                line("%s", text);
            }
            if ("all".equals(mode) || "latency".equals(mode))
            {
                latency(hosts);
            }
            if ("all".equals(mode) || "throughput".equals(mode))
            {
                throughput(hosts);
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

    /**
     * The settings each side's JVM needs between namespaces, as {@code name=value}.
     */
    private List<String> sideSettings()
    {
        return List.of("length=" + length, "rate=" + rate, "warmup=" + warmup, "idle=" + idle,
            "segment=" + segmentCapacity, "creator=" + creator);
    }

    private void latency(final Hosts hosts)
    {
        final long total = warmup + messages;
        final Histogram raw = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
        final Histogram replicated = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
        final Histogram leaderStage = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
        final Histogram roundRaw = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
        final Histogram roundReplicated = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
        for (int round = 0; round < rounds; round++)
        {
            // Alternating which side runs first, so a load that comes and goes on a shared machine hits both alike.
            roundRaw.reset();
            roundReplicated.reset();
            for (int side = 0; side < 2; side++)
            {
                final boolean isReplicated = (side == 0) != ((round & 1) == 0);
                final Outcome outcome = measure(hosts, (isReplicated ? "replicated" : "raw") + "-latency-" + round,
                    isReplicated, total, true);
                if (isReplicated)
                {
                    roundReplicated.add(outcome.latency);
                    leaderStage.add(outcome.leaderStage);
                }
                else
                {
                    roundRaw.add(outcome.latency);
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

    private void throughput(final Hosts hosts)
    {
        final long count = bytes / length;
        final long rawNs = measure(hosts, "raw-throughput", false, count, false).elapsedNs();
        final long replicatedNs = measure(hosts, "replicated-throughput", true, count, false).elapsedNs();
        line("throughput, %d messages of %d B (%.2f GB):", count, length, count * (double)length / 1e9);
        final double rawRate = count * 1e9 / rawNs;
        final double replicatedRate = count * 1e9 / replicatedNs;
        line("  %-11s %,14.0f msgs/s %10.1f MB/s", "raw aeron", rawRate, rawRate * length / 1e6);
        line("  %-11s %,14.0f msgs/s %10.1f MB/s", "replicated", replicatedRate, replicatedRate * length / 1e6);
        line("  %-11s %14.2f", "ratio", replicatedRate / rawRate);
    }

    /**
     * One run on the hosts, checked: the receiving side saw every message once and in order (its receiver refuses
     * anything else), and a latency run timed every one past the warm-up.
     */
    private Outcome measure(
        final Hosts hosts, final String name, final boolean isReplicated, final long count, final boolean isPaced)
    {
        final Outcome outcome = hosts.run(name, isReplicated, count, isPaced);
        final long timed = null == outcome.latency ? 0 : outcome.latency.getTotalCount();
        if (outcome.seen != count || (isPaced && timed != count - warmup))
        {
            throw new IllegalStateException(name + ": expected=" + count + " messages (" + (count - warmup) +
                " timed), actual=" + outcome.seen + " (" + timed + " timed)");
        }
        line("  (%s: %d of %d messages seen, each once and in order, %d timed)", name, outcome.seen, count, timed);
        if (isReplicated)
        {
            if (!isPaced)
            {
                line("  (the leader's writer wrote all %d records in %d ms)", count,
                    TimeUnit.NANOSECONDS.toMillis(outcome.writtenNs - outcome.startNs));
            }
            line("  (replicated: the sink's duty cycle took over %d ms %d times, %.1f ms in all, longest %.1f ms; " +
                "rolls %d)", TimeUnit.NANOSECONDS.toMillis(ReplicationHarnessRoles.STALL_NS), outcome.stalls[0],
                outcome.stalls[1] / 1e6, outcome.stalls[2] / 1e6, outcome.rolls);
        }
        return outcome;
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
            final Histogram inline = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
            final Histogram spare = new Histogram(ReplicationHarnessRoles.MAX_LATENCY_NS, 3);
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
     * One run in this process, on one embedded media driver of its own that both sides share.
     */
    private Outcome oneHost(
        final Path work, final String name, final boolean isReplicated, final long count, final boolean isPaced)
    {
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(work.resolve("aeron-" + name), 0, 0))
        {
            return isReplicated ? replicatedRun(driver.aeron(), work.resolve(name), count, isPaced) :
                rawRun(driver.aeron(), count, isPaced);
        }
    }

    /**
     * Raw Aeron: a publisher thread offers, a subscriber thread polls.
     */
    private Outcome rawRun(final Aeron aeron, final long count, final boolean isPaced)
    {
        final String channel = ReplicationHarnessRoles.rawChannel(host + ":" + ReplicationTestSupport.freeUdpPort());
        try (Subscription subscription = aeron.addSubscription(channel, ReplicationHarnessRoles.RAW_STREAM_ID);
            ExclusivePublication publication =
                aeron.addExclusivePublication(channel, ReplicationHarnessRoles.RAW_STREAM_ID))
        {
            roles.pumpUntil(() -> publication.isConnected() && subscription.isConnected(), () -> 0);
            final ReplicationHarnessRoles.Receiver receiver = roles.receiver(count, isPaced);
            final Outcome outcome = new Outcome();
            final Thread sender = thread("raw-publisher",
                () -> outcome.startNs = roles.publish(publication, count, isPaced));
            final Thread poller = thread("raw-subscriber", () -> roles.subscribe(subscription, receiver));
            join(sender, poller);
            receiver.describe(outcome);
            return outcome;
        }
    }

    /**
     * Replication: the leader's thread writes the journal and runs the source; the follower's runs the sink and a
     * reader of the mirror. The follower's sink makes its mirror's segments inline.
     */
    private Outcome replicatedRun(final Aeron aeron, final Path folder, final long count, final boolean isPaced)
    {
        try (ReplicationHarnessRoles.Leader leader = roles.leader(aeron, folder.resolve("leader"),
            host + ":" + ReplicationTestSupport.freeUdpPort());
            ReplicationHarnessRoles.Follower follower = roles.follower(aeron, leader.controlEndpoint(), host + ":0",
                folder.resolve("mirror")))
        {
            // Connected first, as the raw side is: the follower's hello answered and the mirror created.
            roles.pumpUntil(() -> leader.isReady() && follower.isReady(), () -> leader.doWork() + follower.doWork());
            final ReplicationHarnessRoles.Receiver receiver = roles.receiver(count, isPaced);
            final Outcome outcome = new Outcome();
            final Thread leaderThread = thread("leader", () ->
            {
                leader.lead(count, isPaced, ReplicationHarnessRoles.leaderStage(isPaced), outcome);
                roles.pumpUntil(receiver::isComplete, leader::doWork);
            });
            final Thread followerThread = thread("follower", () -> follower.follow(receiver));
            join(leaderThread, followerThread);
            follower.describe(receiver, outcome);
            return outcome;
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
     * Where the two sides of a run go: both in this process, or each in its own network namespace.
     */
    interface Hosts extends AutoCloseable
    {
        /**
         * Run one measurement, raw Aeron or replication, and wait for its end.
         *
         * @param name         of the run, for its folders and its lines.
         * @param isReplicated replication, or raw Aeron.
         * @param count        messages, the warm-up included.
         * @param isPaced      at the harness's rate (latency), or as fast as they go (throughput).
         * @return what both sides measured.
         */
        Outcome run(String name, boolean isReplicated, long count, boolean isPaced);

        /**
         * Lines for the report's head: where the sides run.
         *
         * @return the lines, none by default.
         */
        default List<String> describe()
        {
            return List.of();
        }

        /**
         * Release what the hosts hold, nothing by default.
         */
        default void close()
        {
        }
    }
}
