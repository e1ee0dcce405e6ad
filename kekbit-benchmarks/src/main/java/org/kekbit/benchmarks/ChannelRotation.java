package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

/**
 * A run of equally shaped channels for a writer that writes for longer than one channel holds, as an application
 * rotating channels would: a channel never reuses memory, so when one is full the writer moves to the next and
 * its reader follows. Channels are created ahead, outside the measured time, by {@link #prepare(int)} (writer
 * pre-touch on, readers opened with pre-touch), and closed and deleted by {@link #recycle()} once both sides have
 * moved on. Should the writer run out of prepared channels it creates the next one itself, inside the measured
 * time, and {@link #inlineCreations()} counts it.
 * <p>
 * Each channel holds exactly {@code recordsPerChannel} records: the writer moves on when a write returns
 * {@link ChannelWriter#CHANNEL_FULL}, the reader when it is at {@code position() == capacity()}.
 * <p>
 * Threading: the writer side ({@link #writer()}, {@link #nextWriter()}) belongs to one thread, the reader side
 * ({@link #reader()}, {@link #nextReader()}) to one thread; {@link #prepare(int)} and {@link #recycle()} run while
 * neither side is active (JMH iteration setup and teardown, with the other thread paused).
 */
public final class ChannelRotation implements AutoCloseable
{
    private static final int SLOTS = 1 << 16;
    private static final int MASK = SLOTS - 1;
    private static final long NEXT_READER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private final AtomicReferenceArray<ChannelWriter> writers = new AtomicReferenceArray<>(SLOTS);
    private final AtomicReferenceArray<ChannelReader> readers = new AtomicReferenceArray<>(SLOTS);
    private final Path root;
    private final long firstChannelId;
    private final int payloadLength;
    private final long recordsPerChannel;
    private long created;
    private long recycled;
    private long writerIndex;
    private long readerIndex;
    private long inlineCreations;

    /**
     * A rotation with its first channel created.
     *
     * @param root              folder of the channels.
     * @param firstChannelId    id of the first channel; the next ones follow it.
     * @param payloadLength     of every record.
     * @param recordsPerChannel records each channel holds.
     */
    public ChannelRotation(
        final Path root, final long firstChannelId, final int payloadLength, final long recordsPerChannel)
    {
        this.root = root;
        this.firstChannelId = firstChannelId;
        this.payloadLength = payloadLength;
        this.recordsPerChannel = recordsPerChannel;
        create();
    }

    /**
     * Have {@code ahead} channels ready after the writer's current one. Outside the measured time.
     *
     * @param ahead channels to have ready.
     */
    public void prepare(final int ahead)
    {
        while (created < writerIndex + 1 + ahead)
        {
            create();
        }
    }

    /**
     * Close and delete the channels both sides have left. Outside the measured time, with both sides idle.
     */
    public void recycle()
    {
        final long limit = Math.min(writerIndex, readerIndex);
        while (recycled < limit)
        {
            final int slot = slot(recycled);
            final ChannelWriter writer = writers.get(slot);
            final ChannelReader reader = readers.get(slot);
            writers.set(slot, null);
            readers.set(slot, null);
            reader.close();
            writer.close();
            Storage.delete(writer.path());
            recycled++;
        }
    }

    /**
     * The writer's current channel.
     *
     * @return its writer.
     */
    public ChannelWriter writer()
    {
        return writers.get(slot(writerIndex));
    }

    /**
     * Move the writer to the next channel, creating it if none was prepared.
     *
     * @return the next channel's writer.
     */
    public ChannelWriter nextWriter()
    {
        writerIndex++;
        if (writerIndex == created)
        {
            inlineCreations++;
            create();
        }

        return writers.get(slot(writerIndex));
    }

    /**
     * The reader's current channel.
     *
     * @return its reader.
     */
    public ChannelReader reader()
    {
        return readers.getAcquire(slot(readerIndex));
    }

    /**
     * Move the reader to the next channel, waiting for the writer to create it if it was not prepared.
     *
     * @return the next channel's reader.
     */
    public ChannelReader nextReader()
    {
        readerIndex++;
        final int slot = slot(readerIndex);
        ChannelReader reader;
        long deadlineNs = 0;
        while (null == (reader = readers.getAcquire(slot)))
        {
            Thread.onSpinWait();
            final long nowNs = System.nanoTime();
            if (0 == deadlineNs)
            {
                deadlineNs = nowNs + NEXT_READER_TIMEOUT_NS;
            }
            else if (nowNs - deadlineNs > 0)
            {
                throw new IllegalStateException("no next channel: readerIndex=" + readerIndex);
            }
        }

        return reader;
    }

    /**
     * Channels the writer has moved to so far.
     *
     * @return the count.
     */
    public long writerIndex()
    {
        return writerIndex;
    }

    /**
     * Channels the writer had to create itself, in the measured time, because none was prepared.
     *
     * @return the count.
     */
    public long inlineCreations()
    {
        return inlineCreations;
    }

    /**
     * Records each channel holds.
     *
     * @return the count.
     */
    public long recordsPerChannel()
    {
        return recordsPerChannel;
    }

    /**
     * Close and delete every channel left.
     */
    public void close()
    {
        for (long i = recycled; i < created; i++)
        {
            final int slot = slot(i);
            final ChannelWriter writer = writers.getAndSet(slot, null);
            final ChannelReader reader = readers.getAndSet(slot, null);
            if (null != reader)
            {
                reader.close();
            }
            if (null != writer)
            {
                writer.close();
                Storage.delete(writer.path());
            }
        }
        recycled = created;
    }

    private void create()
    {
        if (created - recycled >= SLOTS)
        {
            throw new IllegalStateException("too many live channels: " + (created - recycled));
        }

        final ChannelWriter writer = Storage.createChannel(
            root, firstChannelId + created, payloadLength, recordsPerChannel);
        final ChannelReader reader = Storage.openReader(writer.path(), true);
        final int slot = slot(created);
        writers.set(slot, writer);
        readers.setRelease(slot, reader);
        created++;
    }

    private static int slot(final long index)
    {
        return (int)(index & MASK);
    }
}
