package org.kekbit.benchmarks;

import java.nio.file.Path;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;
import static org.kekbit.benchmarks.BenchmarkConfiguration.POLL_LIMIT;

/**
 * One system under {@link SustainedRoundTrip}: a request stream and a response stream, the requester's side of both
 * (write a request, poll responses) and the echo's duty (read a request, write it back as the response). Opened and
 * closed outside the timed window; everything the timed loops call allocates nothing in steady state (a journal's
 * roll is the library's cold path).
 * <p>
 * Threading: {@link #request}, {@link #pollResponses} and {@link #requesterDuty} belong to the requester thread,
 * {@link #echo()}'s duty to the echo thread; {@link #close()} runs once the echo thread has stopped.
 */
abstract class RoundTripSystem implements AutoCloseable
{
    private static final long PONG_CHANNEL_ID_BASE = 1L << 32;
    private static final int STREAM_PING = 2001;
    private static final int STREAM_PONG = 2002;
    /**
     * Consecutive empty polls after which the echo checks its journal: about 10 ms or more of no requests at all,
     * which a healthy run never has before its last request, so the check (it may ask the OS whether the writer
     * lives) stays out of the timed path.
     */
    private static final long ECHO_STALL_MASK = (1 << 20) - 1;

    /**
     * The systems, in the order a first round runs them.
     */
    enum Kind
    {
        JOURNAL("journal", "Kekbit journal, keeps everything"),
        RECYCLING("recycling", "Kekbit journal, recycling (bounded)"),
        CHANNELS("channels", "Kekbit channels, pre-created"),
        RING("ring", "Agrona OneToOneRingBuffer"),
        AERON("aeron", "Aeron IPC, exclusive publication");

        final String option;
        final String label;

        Kind(final String option, final String label)
        {
            this.option = option;
            this.label = label;
        }

        /**
         * The kind named on the command line.
         *
         * @param option as in {@code --systems}.
         * @return the kind.
         * @throws IllegalArgumentException when no kind has that name.
         */
        static Kind of(final String option)
        {
            for (final Kind kind : values())
            {
                if (kind.option.equals(option))
                {
                    return kind;
                }
            }
            throw new IllegalArgumentException(
                "--systems takes journal, recycling, channels, ring, aeron: " + option);
        }

        /**
         * Open this system's two streams, outside the timed window.
         *
         * @param folder   for its files, created; the caller deletes it.
         * @param settings of the run.
         * @return the system.
         */
        RoundTripSystem open(final Path folder, final SustainedRoundTrip.Settings settings)
        {
            switch (this)
            {
                case JOURNAL:
                    return new Journals(folder, settings, 0);
                case RECYCLING:
                    return new Journals(folder, settings, settings.retainedSegments);
                case CHANNELS:
                    return new Channels(folder, settings);
                case RING:
                    return new Rings(folder);
                default:
                    return new AeronIpc();
            }
        }
    }

    /**
     * Requester: write one request.
     *
     * @param payload of the request.
     * @param length  of the payload.
     * @return true when written, false when back-pressured (try again).
     */
    abstract boolean request(DirectBuffer payload, int length);

    /**
     * Requester: hand the responses that arrived to the handler.
     *
     * @param responses the handler.
     * @return responses handed over.
     */
    abstract int pollResponses(SustainedRoundTrip.Responses responses);

    /**
     * Requester: the system's duty cycle, after each request and while waiting.
     *
     * @param tick a count that grows by one a call: periodic work runs at multiples of 1,024.
     */
    void requesterDuty(final long tick)
    {
    }

    /**
     * Requester, when nothing has moved for a while: fail with the system's own reason if it cannot go on.
     *
     * @throws IllegalStateException when the system failed.
     */
    void checkStalled()
    {
    }

    /**
     * The echo thread's duty.
     *
     * @return the duty.
     */
    abstract DutyThread.Duty echo();

    /**
     * What the system did besides the records, for the report.
     *
     * @return a line, or null.
     */
    String summary()
    {
        return null;
    }

    /**
     * Release the system's streams and files.
     */
    public abstract void close();

    /**
     * Two {@link RollingJournal}s (each with its helper thread making segments ahead and its reader prefetching):
     * with no retention they keep everything, in new memory all the way; with {@code retainedSegments} N they keep N
     * sealed segments, re-use the retired files and their readers are named and commit after each poll.
     */
    static final class Journals extends RoundTripSystem implements DutyThread.Duty, RecordHandler
    {
        private final RollingJournal ping;
        private final RollingJournal pong;
        private final JournalWriter pingWriter;
        private final JournalWriter pongWriter;
        private final JournalReader pingReader;
        private final JournalReader pongReader;
        private final boolean isNamed;
        private long echoed;
        private long emptyPolls;

        Journals(final Path folder, final SustainedRoundTrip.Settings settings, final int retainedSegments)
        {
            ping = new RollingJournal(folder.resolve("ping"), settings.segmentCapacity, settings.payload,
                RollingJournal.ReaderSegments.PREFETCH, retainedSegments);
            pong = new RollingJournal(folder.resolve("pong"), settings.segmentCapacity, settings.payload,
                RollingJournal.ReaderSegments.PREFETCH, retainedSegments);
            pingWriter = ping.writer();
            pongWriter = pong.writer();
            pingReader = ping.reader();
            pongReader = pong.reader();
            isNamed = retainedSegments > 0;
        }

        boolean request(final DirectBuffer payload, final int length)
        {
            final long result = pingWriter.write(MSG_TYPE_ID, payload, 0, length);
            if (result < 0)
            {
                ping.awaitRoll(result); // the creator is still making the next segment: yields once
                return false;
            }

            return true;
        }

        int pollResponses(final SustainedRoundTrip.Responses responses)
        {
            return poll(pongReader, responses);
        }

        void requesterDuty(final long tick)
        {
            if (0 == (tick & RollingJournal.DUTY_CYCLE_MASK))
            {
                pingWriter.doWork();
            }
        }

        void checkStalled()
        {
            ping.checkHelper();
            pong.checkHelper();
            pong.checkReader();
        }

        DutyThread.Duty echo()
        {
            return this;
        }

        public int doWork()
        {
            final int count = poll(pingReader, this);
            if (count > 0)
            {
                emptyPolls = 0;
            }
            else if (0 == (++emptyPolls & ECHO_STALL_MASK))
            {
                ping.checkReader(); // a corrupt or truncated journal fails the run instead of timing out
            }

            return count;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            long result;
            while ((result = pongWriter.write(msgTypeId, buffer, offset, length)) < 0)
            {
                pong.awaitRoll(result);
            }
            if (0 == (++echoed & RollingJournal.DUTY_CYCLE_MASK))
            {
                pongWriter.doWork();
            }
        }

        String summary()
        {
            return "requests " + ping.rollSummary() + "; responses " + pong.rollSummary();
        }

        public void close()
        {
            ping.close();
            pong.close();
        }

        private int poll(final JournalReader reader, final RecordHandler handler)
        {
            final int count = reader.poll(handler, POLL_LIMIT);
            if (count > 0 && isNamed)
            {
                reader.commit(); // lets retention retire, and recycle, what was read
            }

            return count;
        }
    }

    /**
     * Two {@link ChannelRotation}s of channels of at most {@code channelCapacity} bytes, every channel the run needs
     * created and pre-touched (writer and reader) before the window: Kekbit's channel layer alone, no journal. A
     * channel holds at most about 2 GiB, so at sustained volume each stream is a run of channels, as in
     * {@code SustainedStreamingBenchmark.kekbit}.
     */
    static final class Channels extends RoundTripSystem
    {
        private final ChannelRotation ping;
        private final ChannelRotation pong;
        private final RoundTripBenchmark.KekbitEcho echo;
        private ChannelWriter pingWriter;
        private ChannelReader pongReader;

        Channels(final Path folder, final SustainedRoundTrip.Settings settings)
        {
            final long records = settings.warmupRecords + settings.records;
            final long perChannel = Math.min(records,
                settings.channelCapacity / BenchmarkConfiguration.kekbitRecordLength(settings.payload));
            final long channels = (records + perChannel - 1) / perChannel;
            // A reader at the end of a full last channel waits for the next one: have it ready then.
            final int ahead = (int)(channels - 1 + (0 == records % perChannel ? 1 : 0));
            ping = new ChannelRotation(folder, 1, settings.payload, perChannel);
            pong = new ChannelRotation(folder, PONG_CHANNEL_ID_BASE, settings.payload, perChannel);
            ping.prepare(ahead);
            pong.prepare(ahead);
            pingWriter = ping.writer();
            pongReader = pong.reader();
            echo = new RoundTripBenchmark.KekbitEcho(ping, pong);
        }

        boolean request(final DirectBuffer payload, final int length)
        {
            long result;
            while (ChannelWriter.CHANNEL_FULL == (result = pingWriter.write(MSG_TYPE_ID, payload, 0, length)))
            {
                pingWriter = ping.nextWriter();
            }
            if (result < 0)
            {
                throw new IllegalStateException("request write failed: result=" + result);
            }

            return true;
        }

        int pollResponses(final SustainedRoundTrip.Responses responses)
        {
            final int count = pongReader.poll(responses, POLL_LIMIT);
            if (0 == count && pongReader.position() == pongReader.capacity())
            {
                pongReader = pong.nextReader();
            }

            return count;
        }

        DutyThread.Duty echo()
        {
            return echo;
        }

        String summary()
        {
            return "channels: " + ping.writerIndex() + " roll(s) per stream of " + ping.recordsPerChannel() +
                " records each, " + (ping.inlineCreations() + pong.inlineCreations()) + " created inside the window";
        }

        public void close()
        {
            ping.close();
            pong.close();
        }
    }

    /**
     * Two {@link MappedRingBuffer}s ({@link BenchmarkConfiguration#RING_CAPACITY}, resident before the window): the
     * baseline every other row is divided by.
     */
    static final class Rings extends RoundTripSystem implements DutyThread.Duty, MessageHandler
    {
        private final MappedRingBuffer pingRing;
        private final MappedRingBuffer pongRing;
        private final RingBuffer ping;
        private final RingBuffer pong;

        Rings(final Path folder)
        {
            pingRing = new MappedRingBuffer(folder.resolve("ping"));
            pongRing = new MappedRingBuffer(folder.resolve("pong"));
            ping = pingRing.ringBuffer();
            pong = pongRing.ringBuffer();
        }

        boolean request(final DirectBuffer payload, final int length)
        {
            return ping.write(MSG_TYPE_ID, payload, 0, length);
        }

        int pollResponses(final SustainedRoundTrip.Responses responses)
        {
            return pong.read(responses, POLL_LIMIT);
        }

        DutyThread.Duty echo()
        {
            return this;
        }

        public int doWork()
        {
            return ping.read(this, POLL_LIMIT);
        }

        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            while (!pong.write(msgTypeId, buffer, index, length))
            {
                Thread.onSpinWait();
            }
        }

        public void close()
        {
            pingRing.close();
            pongRing.close();
        }
    }

    /**
     * Two exclusive IPC publications on an {@link EmbeddedAeron} (driver in invoker mode, run by the requester when
     * a publication's window runs low or an offer is back-pressured: no third spinning thread on two vCPUs).
     */
    static final class AeronIpc extends RoundTripSystem implements DutyThread.Duty, FragmentHandler
    {
        private final EmbeddedAeron aeron = new EmbeddedAeron();
        private final ExclusivePublication ping;
        private final ExclusivePublication pong;
        private final Subscription pingSubscription;
        private final Subscription pongSubscription;
        private final long lowWindow = BenchmarkConfiguration.AERON_TERM_LENGTH / 4;

        AeronIpc()
        {
            final EmbeddedAeron.IpcStream requests = aeron.connect(STREAM_PING);
            final EmbeddedAeron.IpcStream responses = aeron.connect(STREAM_PONG);
            ping = requests.publication();
            pingSubscription = requests.subscription();
            pong = responses.publication();
            pongSubscription = responses.subscription();
        }

        boolean request(final DirectBuffer payload, final int length)
        {
            final long result = ping.offer(payload, 0, length);
            if (result < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                aeron.doWork();
                return false;
            }

            return true;
        }

        int pollResponses(final SustainedRoundTrip.Responses responses)
        {
            return pongSubscription.poll(responses, POLL_LIMIT);
        }

        void requesterDuty(final long tick)
        {
            if (ping.availableWindow() < lowWindow || pong.availableWindow() < lowWindow)
            {
                aeron.doWork(); // the echo's publication too: only this thread runs the driver
            }
        }

        DutyThread.Duty echo()
        {
            return this;
        }

        public int doWork()
        {
            return pingSubscription.poll(this, POLL_LIMIT);
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            long result;
            while ((result = pong.offer(buffer, offset, length)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                Thread.onSpinWait();
            }
        }

        public void close()
        {
            aeron.doWork();
            aeron.close();
        }
    }
}
