package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.QuoteDecoder;
import org.kekbit.codecs.trading.QuoteEncoder;
import org.kekbit.codecs.trading.Side;
import org.kekbit.sbe.SbeRecordClaim;
import org.kekbit.sbe.SbeRecordDispatcher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Scenario 6, SBE: one thread encodes a market-data {@code Quote} (top of book and {@value #LEVELS} levels,
 * {@linkplain #QUOTE_LENGTH 132 bytes} with its SBE header) straight into a claimed record, commits it, then polls it back
 * and decodes every field; the score is the time per quote. {@value #QUOTES} quotes per invocation.
 * <ul>
 *     <li><b>Kekbit</b>: {@link SbeRecordClaim} to encode, {@link SbeRecordDispatcher} to decode on poll; a fresh
 *     channel per invocation sized for exactly {@value #QUOTES} quotes (9.0 MiB), writer and reader pre-touched,
 *     in the invocation's setup.</li>
 *     <li><b>Agrona</b> ring buffer ({@link BenchmarkConfiguration#RING_CAPACITY}, /dev/shm): {@code tryClaim},
 *     encode with the header, {@code commit}, {@code read} and decode.</li>
 *     <li><b>Aeron</b> exclusive IPC publication: {@code tryClaim}, encode, {@code commit}, {@code poll} and
 *     decode.</li>
 *     <li><b>Plain buffer</b>, the floor: encode and decode at consecutive offsets of resident memory, no
 *     channel.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(SbeQuoteBenchmark.QUOTES)
public class SbeQuoteBenchmark extends BenchmarkDefaults
{
    /**
     * Quotes per invocation.
     */
    public static final int QUOTES = 1 << 16;

    /**
     * Book levels behind the top in every quote.
     */
    public static final int LEVELS = 4;

    /**
     * Length of the levels group: its header and the levels.
     */
    public static final int LEVELS_LENGTH =
        QuoteEncoder.LevelsEncoder.sbeHeaderSize() + LEVELS * QuoteEncoder.LevelsEncoder.sbeBlockLength();

    /**
     * Length of an encoded quote, SBE message header included: 132 bytes.
     */
    public static final int QUOTE_LENGTH =
        MessageHeaderEncoder.ENCODED_LENGTH + QuoteEncoder.BLOCK_LENGTH + LEVELS_LENGTH;

    private static final int STREAM_ID = 1004;

    /**
     * Encodes quotes and decodes them, the same way for every system.
     */
    static class Codec
    {
        final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        final QuoteEncoder encoder = new QuoteEncoder();
        final QuoteDecoder decoder = new QuoteDecoder();
        long sum;

        /**
         * Fill an encoder already wrapped after its header.
         */
        static void encode(final QuoteEncoder quote, final long i)
        {
            quote.instrumentId((int)(i & 1023)).sendingTimeNs(i).transactTimeNs(i);
            quote.bidPrice().mantissa(10_000_000_000L + i);
            quote.bidSize(100);
            quote.askPrice().mantissa(10_000_100_000L + i);
            quote.askSize(200);
            final QuoteEncoder.LevelsEncoder levels = quote.levelsCount(LEVELS);
            for (int level = 0; level < LEVELS; level++)
            {
                levels.next().side(0 == (level & 1) ? Side.BUY : Side.SELL);
                levels.price().mantissa(9_999_000_000L + level);
                levels.size(50 + level);
            }
        }

        /**
         * Encode header and quote at an offset.
         */
        void encodeWithHeader(final MutableDirectBuffer buffer, final int offset, final long i)
        {
            encoder.wrapAndApplyHeader(buffer, offset, headerEncoder);
            encode(encoder, i);
        }

        /**
         * Read every field of a decoder already wrapped.
         */
        void decode(final QuoteDecoder quote)
        {
            long sum = quote.instrumentId() + quote.sendingTimeNs() + quote.transactTimeNs() +
                quote.bidPrice().mantissa() + quote.bidSize() + quote.askPrice().mantissa() + quote.askSize();
            final QuoteDecoder.LevelsDecoder levels = quote.levels();
            while (levels.hasNext())
            {
                levels.next();
                sum += levels.sideRaw() + levels.price().mantissa() + levels.size();
            }
            this.sum += sum;
        }

        /**
         * Decode header and quote at an offset.
         */
        void decodeWithHeader(final DirectBuffer buffer, final int offset)
        {
            decode(decoder.wrapAndApplyHeader(buffer, offset, headerDecoder));
        }
    }

    /**
     * Kekbit: {@link SbeRecordClaim} and {@link SbeRecordDispatcher} on a fresh channel per invocation.
     */
    @State(Scope.Thread)
    public static class KekbitState extends Codec
    {
        final SbeRecordClaim sbeClaim = new SbeRecordClaim();
        final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new QuoteDecoder(), this::decode);
        Path root;
        long channelId;
        ChannelWriter writer;
        ChannelReader reader;

        /**
         * The folder.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-sbe-");
        }

        /**
         * A fresh channel for the invocation's quotes, writer and reader pre-touched.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            writer = Storage.createChannel(root, ++channelId, QUOTE_LENGTH, QUOTES);
            reader = Storage.openReader(writer.path(), true);
        }

        /**
         * Close and delete the channel.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            reader.close();
            writer.close();
            Storage.delete(writer.path());
        }

        /**
         * Delete the folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            Storage.delete(root);
        }
    }

    /**
     * Agrona: a ring buffer mapped from /dev/shm.
     */
    @State(Scope.Thread)
    public static class RingBufferState extends Codec implements MessageHandler
    {
        Path root;
        MappedRingBuffer ring;
        RingBuffer ringBuffer;

        /**
         * Map and touch the ring.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-sbe-ring-");
            ring = new MappedRingBuffer(root.resolve("ring"));
            ringBuffer = ring.ringBuffer();
        }

        /**
         * Unmap and delete the ring.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            ring.close();
            Storage.delete(root);
        }

        /**
         * Decode a quote.
         *
         * @param msgTypeId of the message.
         * @param buffer    holding it.
         * @param index     of the message.
         * @param length    of the message.
         */
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            decodeWithHeader(buffer, index);
        }
    }

    /**
     * Aeron: an exclusive IPC publication and its subscription, on one thread.
     */
    @State(Scope.Thread)
    public static class AeronState extends Codec
    {
        final BufferClaim bufferClaim = new BufferClaim();
        EmbeddedAeron aeron;
        ExclusivePublication publication;
        Subscription subscription;
        FragmentHandler handler;

        /**
         * Launch the driver and connect the stream.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            aeron = new EmbeddedAeron();
            final EmbeddedAeron.IpcStream stream = aeron.connect(STREAM_ID);
            publication = stream.publication();
            subscription = stream.subscription();
            handler = (buffer, offset, length, header) -> decodeWithHeader(buffer, offset);
        }

        /**
         * Run the duty cycles between iterations.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            aeron.doWork();
        }

        /**
         * Close Aeron.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            aeron.close();
        }
    }

    /**
     * The floor: resident memory, no channel.
     */
    @State(Scope.Thread)
    public static class PlainBufferState extends Codec
    {
        Path root;
        MappedByteBuffer mapping;
        UnsafeBuffer buffer;

        /**
         * Map and touch a region as large as the invocation's Kekbit channel.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-sbe-plain-");
            mapping = Storage.mapNewFile(
                root.resolve("plain"), (long)QUOTES * BenchmarkConfiguration.kekbitRecordLength(QUOTE_LENGTH));
            buffer = new UnsafeBuffer(mapping);
        }

        /**
         * Unmap and delete.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            IoUtil.unmap(mapping);
            Storage.delete(root);
        }
    }

    /**
     * Kekbit: encode into a claimed record, commit, poll and decode.
     *
     * @param state of the trial.
     * @return sum of the decoded fields.
     */
    @Benchmark
    public long kekbit(final KekbitState state)
    {
        final ChannelWriter writer = state.writer;
        final ChannelReader reader = state.reader;
        final SbeRecordClaim sbeClaim = state.sbeClaim;
        final SbeRecordDispatcher dispatcher = state.dispatcher;
        final QuoteEncoder encoder = state.encoder;
        for (int i = 0; i < QUOTES; i++)
        {
            if (sbeClaim.tryClaim(writer, encoder, LEVELS_LENGTH) < 0)
            {
                throw new IllegalStateException("claim failed at quote " + i);
            }
            Codec.encode(encoder, i);
            sbeClaim.commit();
            if (1 != reader.poll(dispatcher, 1))
            {
                throw new IllegalStateException("quote not delivered: " + i);
            }
        }

        return state.sum;
    }

    /**
     * Agrona ring buffer: claim, encode, commit, read and decode.
     *
     * @param state of the trial.
     * @return sum of the decoded fields.
     */
    @Benchmark
    public long ringBuffer(final RingBufferState state)
    {
        final RingBuffer ringBuffer = state.ringBuffer;
        final MutableDirectBuffer buffer = ringBuffer.buffer();
        for (int i = 0; i < QUOTES; i++)
        {
            final int index = ringBuffer.tryClaim(QuoteEncoder.TEMPLATE_ID, QUOTE_LENGTH);
            if (index < 0)
            {
                throw new IllegalStateException("claim failed at quote " + i);
            }
            state.encodeWithHeader(buffer, index, i);
            ringBuffer.commit(index);
            int reads = 0;
            while (1 != ringBuffer.read(state, 1)) // a read may only step over the padding at the end
            {
                if (++reads > 3)
                {
                    throw new IllegalStateException("quote not delivered: " + i);
                }
            }
        }

        return state.sum;
    }

    /**
     * Aeron: claim, encode, commit, poll and decode.
     *
     * @param state of the trial.
     * @return sum of the decoded fields.
     */
    @Benchmark
    public long aeron(final AeronState state)
    {
        final ExclusivePublication publication = state.publication;
        final Subscription subscription = state.subscription;
        final BufferClaim bufferClaim = state.bufferClaim;
        final FragmentHandler handler = state.handler;
        for (int i = 0; i < QUOTES; i++)
        {
            long result;
            while ((result = publication.tryClaim(QUOTE_LENGTH, bufferClaim)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                state.aeron.doWork();
            }
            state.encodeWithHeader(bufferClaim.buffer(), bufferClaim.offset(), i);
            bufferClaim.commit();
            int polls = 0;
            while (1 != subscription.poll(handler, 1)) // a poll may only step over padding
            {
                if (++polls > 3)
                {
                    throw new IllegalStateException("quote not delivered: " + i);
                }
            }
        }

        return state.sum;
    }

    /**
     * The floor: encode and decode at consecutive offsets of resident memory.
     *
     * @param state of the trial.
     * @return sum of the decoded fields.
     */
    @Benchmark
    public long plainBuffer(final PlainBufferState state)
    {
        final UnsafeBuffer buffer = state.buffer;
        final int stride = BenchmarkConfiguration.kekbitRecordLength(QUOTE_LENGTH);
        int offset = 0;
        for (int i = 0; i < QUOTES; i++)
        {
            state.encodeWithHeader(buffer, offset, i);
            state.decodeWithHeader(buffer, offset);
            offset += stride;
        }

        return state.sum;
    }
}
