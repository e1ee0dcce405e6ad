package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The Agrona peer's storage in every benchmark: a {@link OneToOneRingBuffer} of
 * {@link BenchmarkConfiguration#RING_CAPACITY} (or a capacity given) over a new file, every page touched at creation
 * ({@link Storage#mapNewFile}), so the ring is resident before anything is measured.
 */
public final class MappedRingBuffer implements AutoCloseable
{
    private final Path file;
    private final MappedByteBuffer mapping;
    private final OneToOneRingBuffer ringBuffer;

    /**
     * Create, map and touch the file.
     *
     * @param file to create; must not exist.
     */
    public MappedRingBuffer(final Path file)
    {
        this(file, BenchmarkConfiguration.RING_CAPACITY);
    }

    /**
     * Create, map and touch the file, for a ring of the capacity given.
     *
     * @param file     to create; must not exist.
     * @param capacity of the ring: a power of two.
     */
    public MappedRingBuffer(final Path file, final int capacity)
    {
        this.file = file;
        mapping = Storage.mapNewFile(file, capacity + RingBufferDescriptor.TRAILER_LENGTH);
        ringBuffer = new OneToOneRingBuffer(new UnsafeBuffer(mapping));
    }

    /**
     * The ring buffer.
     *
     * @return the ring buffer over the mapping.
     */
    public OneToOneRingBuffer ringBuffer()
    {
        return ringBuffer;
    }

    /**
     * Unmap and delete the file.
     */
    public void close()
    {
        IoUtil.unmap(mapping);
        Storage.delete(file);
    }
}
