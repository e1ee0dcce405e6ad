package org.kekbit;

import java.nio.MappedByteBuffer;
import java.util.function.Consumer;

import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * Unmaps the files that readers and writers are done with on the thread that runs this agent, not on theirs, as
 * Chronicle Queue's background resource releaser does. Unmapping a file that was written or read through costs about
 * 0.1 ms per MiB (the kernel clears its page-table entries and flushes the TLBs of every core the process ran on):
 * milliseconds at every roll of a journal, which a low-latency thread should not pay. Give one releaser to the
 * contexts of the writers and readers that roll ({@link CommonContext#mappingReleaser(MappingReleaser)}) and run it
 * on a thread with a parking idle strategy, for example beside a journal's segment creator.
 * <p>
 * Handing a mapping over is one offer to a bounded many-to-one queue: no allocation, no lock. When the queue is
 * full, or the agent has closed, the mapping is unmapped at once by the caller, as without a releaser. A handed-over
 * mapping is never touched again by its reader or writer, which has dropped every view of it first.
 */
public final class MappingReleaser implements Agent
{
    /**
     * Mappings that may wait to be unmapped, by default.
     */
    public static final int DEFAULT_CAPACITY = 1024;

    private final ManyToOneConcurrentArrayQueue<MappedByteBuffer> queue;
    private final Consumer<MappedByteBuffer> unmap = IoUtil::unmap;
    private volatile boolean isClosed;

    /**
     * A releaser with room for {@link #DEFAULT_CAPACITY} waiting mappings.
     */
    public MappingReleaser()
    {
        this(DEFAULT_CAPACITY);
    }

    /**
     * A releaser with room for the given number of waiting mappings.
     *
     * @param capacity of the queue, rounded up to a power of two.
     */
    public MappingReleaser(final int capacity)
    {
        queue = new ManyToOneConcurrentArrayQueue<>(capacity);
    }

    /**
     * Hand a mapping over to be unmapped on the releaser's thread, or unmap it now when the releaser is full or closed.
     * The caller must not use the mapping, or any view of it, after this call.
     *
     * @param mapping to unmap.
     */
    public void release(final MappedByteBuffer mapping)
    {
        if (isClosed || !queue.offer(mapping))
        {
            IoUtil.unmap(mapping);
        }
    }

    /**
     * Mappings waiting to be unmapped.
     *
     * @return how many.
     */
    public int pending()
    {
        return queue.size();
    }

    /**
     * Unmap every mapping handed over so far.
     *
     * @return how many were unmapped.
     */
    public int doWork()
    {
        return queue.drain(unmap);
    }

    /**
     * Unmap what is left; later hand-overs unmap at once.
     */
    public void onClose()
    {
        isClosed = true;
        queue.drain(unmap);
    }

    /**
     * The agent's name.
     *
     * @return "kekbit-mapping-releaser".
     */
    public String roleName()
    {
        return "kekbit-mapping-releaser";
    }

    /**
     * Unmap a mapping through a releaser when there is one, at once otherwise.
     *
     * @param releaser to hand it to; may be null.
     * @param mapping  to unmap.
     */
    public static void release(final MappingReleaser releaser, final MappedByteBuffer mapping)
    {
        if (null == releaser)
        {
            IoUtil.unmap(mapping);
        }
        else
        {
            releaser.release(mapping);
        }
    }
}
