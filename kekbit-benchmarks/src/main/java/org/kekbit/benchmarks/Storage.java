package org.kekbit.benchmarks;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

/**
 * Files for the benchmarks: Kekbit channels sized for a number of records, with the writer's and the reader's
 * pre-touch on, and plain mapped files for the peers and the floors, made resident the same way.
 */
public final class Storage
{
    private static final int PAGE_SIZE = 4096;

    /**
     * Where {@link #preTouchRead(MappedByteBuffer)} publishes what it read: C2 drops loads whose value goes nowhere.
     */
    private static volatile int preTouchSink;

    private Storage()
    {
    }

    /**
     * Create a channel whose data region holds exactly {@code records} records of {@code payloadLength} bytes: the
     * next write after the last of them returns {@link ChannelWriter#CHANNEL_FULL}, and a reader that has read them
     * all is at {@code position() == capacity()}. The writer's pre-touch is on, so every page is resident and mapped
     * for writing before the first record.
     *
     * @param root          folder of the channel.
     * @param channelId     of the channel.
     * @param payloadLength of every record.
     * @param records       the channel must hold.
     * @return the writer.
     */
    public static ChannelWriter createChannel(
        final Path root, final long channelId, final int payloadLength, final long records)
    {
        final long capacity = Math.max(
            ChannelDescriptor.MIN_CAPACITY, records * BenchmarkConfiguration.kekbitRecordLength(payloadLength));
        return ChannelWriter.create(new ChannelWriter.Context()
            .root(root)
            .channelId(channelId)
            .capacity(capacity)
            .maxRecordLength(payloadLength)
            .preTouch(true));
    }

    /**
     * Open a reader of a channel from its start.
     *
     * @param path     of the channel.
     * @param preTouch whether the reader maps every page in at open ({@link ChannelReader.Context#preTouch}).
     * @return the reader.
     */
    public static ChannelReader openReader(final Path path, final boolean preTouch)
    {
        return ChannelReader.open(new ChannelReader.Context().path(path).preTouch(preTouch));
    }

    /**
     * Create a zero-filled file, map it read-write and write one byte per page, so that every page is resident and
     * mapped for writing, as a Kekbit writer's pre-touch leaves a channel.
     *
     * @param file   to create; must not exist.
     * @param length of the file.
     * @return the mapping.
     */
    public static MappedByteBuffer mapNewFile(final Path file, final long length)
    {
        final MappedByteBuffer buffer = IoUtil.mapNewFile(file.toFile(), length);
        for (int i = 0; i < length; i += PAGE_SIZE)
        {
            buffer.put(i, (byte)0);
        }

        return buffer;
    }

    /**
     * Make a sparse file of the length and map it read-write, touching nothing: its pages are taken from the system
     * by the first store to each.
     *
     * @param file   to make.
     * @param length of the file.
     * @return the mapping.
     */
    public static MappedByteBuffer mapSparseFile(final Path file, final long length)
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"); FileChannel channel = raf.getChannel())
        {
            raf.setLength(length);
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Read one byte per page of a mapping, as a reader's pre-touch does, so every page is mapped in. The bytes read
     * are summed and published, or the JIT would remove the loop.
     *
     * @param buffer to touch.
     */
    public static void preTouchRead(final MappedByteBuffer buffer)
    {
        int sum = 0;
        for (int i = 0; i < buffer.capacity(); i += PAGE_SIZE)
        {
            sum += buffer.get(i);
        }
        preTouchSink = sum;
    }

    /**
     * Flush a file and its metadata to storage, so a durable benchmark starts with nothing dirty.
     *
     * @param file to flush.
     */
    public static void fsync(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Delete a file or a folder with everything in it, quietly.
     *
     * @param path to delete; may be null.
     */
    public static void delete(final Path path)
    {
        if (null != path)
        {
            IoUtil.delete(path.toFile(), true);
        }
    }
}
