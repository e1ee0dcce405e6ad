package org.kekbit.benchmarks;

import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.RecordHandler;

/**
 * The reading side of each system for the streaming and fan-out benchmarks. Every one takes at most the records it
 * was asked for and reads the first 8 bytes of each payload, nothing more.
 */
public final class Consumers
{
    private Consumers()
    {
    }

    /**
     * Polls a Kekbit channel. The benchmark thread hands it each invocation's reader with {@link #reader}.
     */
    public static final class KekbitConsumer extends Consumer implements RecordHandler
    {
        private volatile ChannelReader reader;

        /**
         * Follow a new channel; call only when every record expected so far was taken.
         *
         * @param reader of the channel, opened with pre-touch.
         */
        public void reader(final ChannelReader reader)
        {
            this.reader = reader;
        }

        /**
         * {@inheritDoc}
         */
        protected int poll(final int limit)
        {
            return reader.poll(this, limit);
        }

        /**
         * {@inheritDoc}
         */
        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            sum += buffer.getLong(offset);
        }
    }

    /**
     * Reads an Agrona ring buffer.
     */
    public static final class RingBufferConsumer extends Consumer implements MessageHandler
    {
        private final RingBuffer ringBuffer;

        /**
         * Consume a ring buffer.
         *
         * @param ringBuffer to read.
         */
        public RingBufferConsumer(final RingBuffer ringBuffer)
        {
            this.ringBuffer = ringBuffer;
        }

        /**
         * {@inheritDoc}
         */
        protected int poll(final int limit)
        {
            return ringBuffer.read(this, limit);
        }

        /**
         * {@inheritDoc}
         */
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            sum += buffer.getLong(index);
        }
    }

    /**
     * Polls an Aeron subscription.
     */
    public static final class AeronConsumer extends Consumer implements FragmentHandler
    {
        private final Subscription subscription;

        /**
         * Consume a subscription.
         *
         * @param subscription to poll.
         */
        public AeronConsumer(final Subscription subscription)
        {
            this.subscription = subscription;
        }

        /**
         * {@inheritDoc}
         */
        protected int poll(final int limit)
        {
            return subscription.poll(this, limit);
        }

        /**
         * {@inheritDoc}
         */
        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            sum += buffer.getLong(offset);
        }
    }

    /**
     * Reads a Chronicle queue through a tailer, one document at a time.
     */
    public static final class ChronicleConsumer extends Consumer
    {
        private final ExcerptTailer tailer;

        /**
         * Consume a queue.
         *
         * @param tailer to read with; used by the consumer's thread only from now on.
         */
        public ChronicleConsumer(final ExcerptTailer tailer)
        {
            this.tailer = tailer;
        }

        /**
         * {@inheritDoc}
         */
        protected int poll(final int limit)
        {
            final ExcerptTailer tailer = this.tailer;
            int count = 0;
            while (count < limit)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    sum += bytes.readLong(bytes.readPosition());
                    count++;
                }
            }

            return count;
        }
    }
}
