package org.kekbit.replication;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.zip.DataFormatException;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;

/**
 * The four roles {@link ReplicationHarness} times, each a loop on the calling thread: the raw publisher and
 * subscriber, the replication leader (journal writer and source) and follower (sink and a reader of the mirror). In
 * one process the harness runs them on threads sharing one media driver; with {@code hosts=netns} each side runs in
 * a {@link ReplicationHarnessSide} JVM of its own, in its network namespace. Every message carries its sequence
 * number and the sender's {@link System#nanoTime()}, so the receiving side checks the order and measures the one-way
 * latency (one machine: both sides read the same CLOCK_MONOTONIC, also across network namespaces).
 * <p>
 * Not threadsafe: a role's object is used by one thread at a time.
 */
final class ReplicationHarnessRoles
{
    static final int RAW_STREAM_ID = 2001;
    static final long MAX_LATENCY_NS = TimeUnit.SECONDS.toNanos(30);
    static final long STALL_NS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int SEQ_OFFSET = 0;
    private static final int STAMP_OFFSET = 8;

    private final int length;
    private final int rate;
    private final long warmup;
    private final String idle;
    private final long segmentCapacity;
    private final boolean isCreatorThread;
    private final AtomicReference<Throwable> failure;

    ReplicationHarnessRoles(
        final int length,
        final int rate,
        final long warmup,
        final String idle,
        final long segmentCapacity,
        final boolean isCreatorThread,
        final AtomicReference<Throwable> failure)
    {
        this.length = length;
        this.rate = rate;
        this.warmup = warmup;
        this.idle = idle;
        this.segmentCapacity = segmentCapacity;
        this.isCreatorThread = isCreatorThread;
        this.failure = failure;
        idleStrategy(); // refuses an unknown name now, not in a role's thread
    }

    /**
     * The raw side's channel, with replication's MTU and term length.
     */
    static String rawChannel(final String endpoint)
    {
        return "aeron:udp?endpoint=" + endpoint + "|mtu=" + ReplicationContext.DEFAULT_MTU_LENGTH +
            "|term-length=" + ReplicationSource.Context.DEFAULT_TERM_LENGTH;
    }

    /**
     * A receiver of {@code count} messages, recording the latency past the warm-up when paced (a latency run).
     */
    Receiver receiver(final long count, final boolean isPaced)
    {
        return new Receiver(count, warmup, isPaced ? new Histogram(MAX_LATENCY_NS, 3) : null);
    }

    /**
     * The histogram of the leader's part, for a latency run.
     */
    static Histogram leaderStage(final boolean isPaced)
    {
        return isPaced ? new Histogram(MAX_LATENCY_NS, 3) : null;
    }

    /**
     * The raw publisher: offer {@code count} messages, paced or as fast as they go.
     *
     * @return {@link System#nanoTime()} at the start.
     */
    long publish(final ExclusivePublication publication, final long count, final boolean isPaced)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[length]);
        final IdleStrategy idleStrategy = idleStrategy();
        final Pacer pacer = new Pacer(isPaced, rate);
        final long startNs = System.nanoTime();
        for (long seq = 0; seq < count && !isFailed(); seq++)
        {
            while (!pacer.isDue(seq))
            {
                idleStrategy.idle(); // as the leader's duty cycle idles between writes
            }
            idleStrategy.reset();
            message.putLong(SEQ_OFFSET, seq);
            message.putLong(STAMP_OFFSET, System.nanoTime());
            while (publication.offer(message, 0, length) < 0 && !isFailed())
            {
                idleStrategy.idle();
            }
        }
        checkFailed();
        return startNs;
    }

    /**
     * The raw subscriber: poll until the receiver has seen every message.
     */
    void subscribe(final Subscription subscription, final Receiver receiver)
    {
        final IdleStrategy idleStrategy = idleStrategy();
        while (!receiver.isComplete() && !isFailed())
        {
            idleStrategy.idle(subscription.poll(receiver, 256));
        }
        checkFailed();
    }

    /**
     * Run a duty cycle until the condition holds (or a role failed).
     */
    void pumpUntil(final BooleanSupplier condition, final IntSupplier dutyCycle)
    {
        final IdleStrategy idleStrategy = idleStrategy();
        while (!condition.getAsBoolean() && !isFailed())
        {
            idleStrategy.idle(dutyCycle.getAsInt());
        }
        checkFailed();
    }

    /**
     * The leader's side: a journal writer and a source serving it.
     */
    Leader leader(final Aeron aeron, final Path folder, final String controlEndpoint)
    {
        return new Leader(aeron, folder, controlEndpoint);
    }

    /**
     * The follower's side: a sink mirroring into the folder and, once the mirror exists, a reader of it.
     */
    Follower follower(final Aeron aeron, final String controlEndpoint, final String dataEndpoint, final Path mirrorDir)
    {
        return new Follower(new ReplicationSink(new ReplicationSink.Context()
            .aeron(aeron)
            .controlEndpoint(controlEndpoint)
            .dataEndpoint(dataEndpoint)
            .mirrorDir(mirrorDir)));
    }

    IdleStrategy idleStrategy()
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

    private boolean isFailed()
    {
        return null != failure.get();
    }

    /**
     * A role's loop gives up when another thread of the harness failed: it throws that failure rather than return as
     * if it had finished.
     */
    private void checkFailed()
    {
        final Throwable cause = failure.get();
        if (null != cause)
        {
            throw new IllegalStateException("a harness thread failed: " + cause, cause);
        }
    }

    /**
     * The leader: the writer's writes, then the source's and the writer's duty cycles, as a writer's process runs
     * them. The next segment is made on the writer's segment creator, on a thread of its own (parked 1 ms at a time),
     * as a writer that must not stall at a roll runs; or, with {@code creator=dutycycle}, on the leader's duty cycle
     * ({@link JournalWriter#doWork}), no extra thread.
     */
    final class Leader implements AutoCloseable
    {
        private final JournalWriter writer;
        private final AgentRunner creator;
        private final ReplicationSource source;
        private final Path nextSegment;

        private Leader(final Aeron aeron, final Path folder, final String controlEndpoint)
        {
            writer = JournalWriter.create(new JournalWriter.Context()
                .folder(folder).segmentCapacity(segmentCapacity).createSegmentsOnAgent(isCreatorThread));
            AgentRunner runner = null;
            try
            {
                runner = !isCreatorThread ? null :
                    new AgentRunner(new SleepingMillisIdleStrategy(1), failure::set, null, writer.segmentCreator());
                source = new ReplicationSource(new ReplicationSource.Context()
                    .aeron(aeron)
                    .controlEndpoint(controlEndpoint)
                    .channelPath(writer.folder()));
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.closeAll(runner, writer);
                throw ex;
            }
            creator = runner;
            if (null != creator)
            {
                AgentRunner.startOnThread(creator);
            }
            nextSegment = JournalDescriptor.segmentPath(writer.folder(), segmentCapacity); // made on standby
        }

        String controlEndpoint()
        {
            return source.controlEndpoint();
        }

        int doWork()
        {
            return source.doWork() + writer.doWork();
        }

        /**
         * A follower is connected, and the leader's next segment is made: its creation pre-touches a whole segment (a
         * second of CPU for 64 MiB on a loaded 2-core machine), once per segment, which must not land inside the
         * first measured seconds.
         */
        boolean isReady()
        {
            return source.followerCount() > 0 && Files.exists(nextSegment);
        }

        /**
         * Write {@code count} messages, paced or as fast as they go, running the leader's duty cycle; the leader's
         * part of each message's latency (from the stamp to the end of the duty cycle whose source offered it to
         * Aeron) goes to {@code leaderStage} when given. Returns once all are written: the caller goes on with
         * {@link #doWork()}.
         */
        void lead(final long count, final boolean isPaced, final Histogram leaderStage, final Outcome outcome)
        {
            final UnsafeBuffer message = new UnsafeBuffer(new byte[length]);
            final IdleStrategy idleStrategy = idleStrategy();
            final Pacer pacer = new Pacer(isPaced, rate);
            final long[] stamps = new long[64];
            long seq = 0;
            outcome.startNs = System.nanoTime();
            while (seq < count && !isFailed())
            {
                int work = 0;
                int stamped = 0;
                for (int i = 0; i < 64 && seq < count && pacer.isDue(seq); i++)
                {
                    final long stampNs = System.nanoTime();
                    message.putLong(SEQ_OFFSET, seq);
                    message.putLong(STAMP_OFFSET, stampNs);
                    if (writer.write(1, message, 0, length) > 0)
                    {
                        if (seq >= warmup)
                        {
                            stamps[stamped++] = stampNs;
                        }
                        seq++;
                        work++;
                        if (seq == count)
                        {
                            outcome.writtenNs = System.nanoTime();
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
            checkFailed();
            outcome.leaderStage = leaderStage;
            outcome.rolls = writer.rolls();
        }

        public void close()
        {
            CloseHelper.closeAll(source, creator, writer);
        }
    }

    /**
     * The follower: the sink's duty cycle, then a reader of the mirror, timing each sink duty cycle.
     */
    final class Follower implements AutoCloseable
    {
        private final ReplicationSink sink;
        private final long[] stalls = new long[3]; // count, total and longest ns
        private JournalReader reader;

        private Follower(final ReplicationSink sink)
        {
            this.sink = sink;
        }

        int doWork()
        {
            final int work = sink.doWork();
            if (sink.isFailed())
            {
                throw new IllegalStateException("follower failed: " + sink.failure());
            }
            return work;
        }

        /**
         * The follower's hello was answered and the mirror created: its reader is open.
         */
        boolean isReady()
        {
            if (null == reader && sink.isJournal())
            {
                reader = JournalReader.open(new JournalReader.Context().folder(sink.mirrorPath()));
            }
            return null != reader;
        }

        /**
         * Run the sink and the mirror's reader until the receiver has seen every message.
         */
        void follow(final Receiver receiver)
        {
            final IdleStrategy idleStrategy = idleStrategy();
            while (!receiver.isComplete() && !isFailed())
            {
                final long sinkStartNs = System.nanoTime();
                final int sinkWork = doWork();
                final long sinkNs = System.nanoTime() - sinkStartNs;
                if (sinkNs >= STALL_NS)
                {
                    stalls[0]++; // a mirror segment made at a roll, or the thread descheduled
                    stalls[1] += sinkNs;
                    stalls[2] = Math.max(stalls[2], sinkNs);
                }
                idleStrategy.idle(sinkWork + reader.poll(receiver, 256));
            }
            checkFailed();
        }

        /**
         * What the receiver saw and how the sink's duty cycle stalled.
         */
        void describe(final Receiver receiver, final Outcome outcome)
        {
            receiver.describe(outcome);
            System.arraycopy(stalls, 0, outcome.stalls, 0, stalls.length);
        }

        public void close()
        {
            CloseHelper.closeAll(reader, sink);
        }
    }

    /**
     * Counts what the receiving side sees, checks that each message comes once and in order, and records the one-way
     * latency past the warm-up.
     */
    static final class Receiver implements RecordHandler, FragmentHandler
    {
        private final long count;
        private final long warmup;
        private final Histogram histogram;
        private volatile long seen;
        private long lastNs;

        Receiver(final long count, final long warmup, final Histogram histogram)
        {
            this.count = count;
            this.warmup = warmup;
            this.histogram = histogram;
        }

        boolean isComplete()
        {
            return seen >= count;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            onMessage(buffer, offset);
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            onMessage(buffer, offset);
        }

        private void onMessage(final DirectBuffer buffer, final int offset)
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

        void describe(final Outcome outcome)
        {
            outcome.seen = seen;
            outcome.lastNs = lastNs;
            outcome.latency = histogram;
        }
    }

    /**
     * Sends message {@code seq} no earlier than {@code seq / rate} seconds after the start, when paced.
     */
    private static final class Pacer
    {
        private final boolean isPaced;
        private final long intervalNs;
        private long startNs;

        Pacer(final boolean isPaced, final int rate)
        {
            this.isPaced = isPaced;
            intervalNs = TimeUnit.SECONDS.toNanos(1) / rate;
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

    /**
     * What one run measured: the sending side's start (and, for replication, when its writer had written all, its
     * rolls and the leader's part of the latency), the receiving side's count, last arrival and latency (and, for
     * replication, the sink's stalls). Between namespaces each side sends its part as one line of
     * {@code name=value} fields ({@link #senderFields()}, {@link #receiverFields()}), histograms compressed in Base64.
     */
    static final class Outcome
    {
        long startNs;
        long writtenNs;
        long rolls;
        Histogram leaderStage;
        long seen;
        long lastNs;
        final long[] stalls = new long[3];
        Histogram latency;

        /**
         * From the first send (write) to the receiving side seeing the last message.
         */
        long elapsedNs()
        {
            return lastNs - startNs;
        }

        String senderFields()
        {
            return "start=" + startNs + " written=" + writtenNs + " rolls=" + rolls + " stage=" + encode(leaderStage);
        }

        String receiverFields()
        {
            return "seen=" + seen + " last=" + lastNs + " stalls=" + stalls[0] + "," + stalls[1] + "," + stalls[2] +
                " latency=" + encode(latency);
        }

        /**
         * Take the fields of a line from {@link #senderFields()}.
         */
        Outcome decodeSender(final String line)
        {
            final Map<String, String> fields = ReplicationHarness.parse(line.trim().split(" "));
            startNs = Long.parseLong(fields.get("start"));
            writtenNs = Long.parseLong(fields.get("written"));
            rolls = Long.parseLong(fields.get("rolls"));
            leaderStage = decodeHistogram(fields.get("stage"));
            return this;
        }

        /**
         * Take the fields of a line from {@link #receiverFields()}.
         */
        Outcome decodeReceiver(final String line)
        {
            final Map<String, String> fields = ReplicationHarness.parse(line.trim().split(" "));
            seen = Long.parseLong(fields.get("seen"));
            lastNs = Long.parseLong(fields.get("last"));
            final String[] stallFields = fields.get("stalls").split(",");
            for (int i = 0; i < stalls.length; i++)
            {
                stalls[i] = Long.parseLong(stallFields[i]);
            }
            latency = decodeHistogram(fields.get("latency"));
            return this;
        }

        private static String encode(final Histogram histogram)
        {
            if (null == histogram)
            {
                return "-";
            }
            final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
            final int encodedLength = histogram.encodeIntoCompressedByteBuffer(buffer, 9);
            return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), encodedLength));
        }

        private static Histogram decodeHistogram(final String value)
        {
            if ("-".equals(value))
            {
                return null;
            }
            try
            {
                return Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Base64.getDecoder().decode(value)), MAX_LATENCY_NS);
            }
            catch (final DataFormatException ex)
            {
                throw new IllegalArgumentException("not a histogram: " + ex.getMessage(), ex);
            }
        }
    }
}
