package org.kekbit.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalDescriptor;

/**
 * Group commit off the serving thread ({@link SystemImage.ForcePolicy#GROUP_ON_AGENT}): the serving thread publishes
 * the journal position after each command with one ordered store; this agent, on a thread of its own, reads it, forces
 * the journal's segments up to it (each segment file by path, from the one the last force ended in: an fsync of a
 * file covers the pages written through any mapping of it) and only then publishes it as the durable position. The
 * serving thread never waits for the storage.
 * <p>
 * The durable position only grows and is never ahead of the published written position: it is a position this agent
 * read before forcing, and every record before it was committed before the serving thread published it. A force that
 * fails throws from {@link #doWork()} (to the runner's error handler) and leaves the durable position where it was;
 * the next duty cycle tries again. A segment deleted meanwhile (retention) has nothing left to force.
 * <p>
 * Threading: {@link #written(long)} from the serving thread, {@link #durablePosition()} from any thread, the rest
 * from the thread that runs the agent.
 */
final class GroupCommitAgent implements Agent
{
    private final AtomicLong writtenPosition = new AtomicLong();
    private final AtomicLong durablePosition = new AtomicLong();
    private final Path journalFolder;
    private final long segmentCapacity;
    private final NanoClock nanoClock;
    private final long forceIntervalNs;
    private long lastForceNs;
    private long openBase = -1;
    private FileChannel openSegment;
    private volatile long forceCount;

    GroupCommitAgent(
        final Path journalFolder,
        final long segmentCapacity,
        final NanoClock nanoClock,
        final long forceIntervalNs,
        final long durablePosition,
        final long writtenPosition)
    {
        this.journalFolder = journalFolder;
        this.segmentCapacity = segmentCapacity;
        this.nanoClock = nanoClock;
        this.forceIntervalNs = forceIntervalNs;
        this.durablePosition.set(durablePosition);
        this.writtenPosition.set(writtenPosition);
        this.lastForceNs = nanoClock.nanoTime() - forceIntervalNs;
    }

    /**
     * Force what was written since the last force, once the interval has passed since it.
     *
     * @return 1 when it forced, else 0.
     */
    public int doWork()
    {
        final long written = writtenPosition.get();
        final long durable = durablePosition.get();
        if (written <= durable)
        {
            return 0;
        }
        final long nowNs = nanoClock.nanoTime();
        if (nowNs - lastForceNs < forceIntervalNs)
        {
            return 0;
        }
        lastForceNs = nowNs;

        // The segment holding the record that ends at p is the one holding p - 1 (a record may end on a segment end).
        final long lastBase = JournalDescriptor.segmentBase(written - 1, segmentCapacity);
        for (long base = JournalDescriptor.segmentBase(Math.max(0, durable - 1), segmentCapacity);
            base < lastBase; base += segmentCapacity)
        {
            force(base);
        }
        force(lastBase);
        advance(durablePosition, written);
        forceCount++;

        return 1;
    }

    /**
     * Close the segment file held open for forcing.
     */
    public void onClose()
    {
        closeSegment();
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-image-group-commit";
    }

    /**
     * Serving thread: the journal position after the last command journaled. One ordered store, no allocation.
     */
    void written(final long position)
    {
        writtenPosition.lazySet(position);
    }

    /**
     * Serving thread, at close, after forcing the journal itself.
     */
    void forced(final long position)
    {
        advance(durablePosition, position);
    }

    long durablePosition()
    {
        return durablePosition.get();
    }

    long forceCount()
    {
        return forceCount;
    }

    private void force(final long base)
    {
        try
        {
            if (base != openBase)
            {
                closeSegment();
                openSegment = FileChannel.open(JournalDescriptor.segmentPath(journalFolder, base),
                    StandardOpenOption.READ);
                openBase = base;
            }
            openSegment.force(false);
        }
        catch (final NoSuchFileException ignore)
        {
            // deleted by retention: nothing of it is left to force
        }
        catch (final IOException ex)
        {
            closeSegment();
            throw new ChannelException(ChannelException.Reason.IO_ERROR,
                "cannot force journal segment " + JournalDescriptor.segmentPath(journalFolder, base) + ": " + ex, ex);
        }
    }

    private void closeSegment()
    {
        CloseHelper.quietClose(openSegment);
        openSegment = null;
        openBase = -1;
    }

    private static void advance(final AtomicLong position, final long to)
    {
        long current;
        while ((current = position.get()) < to)
        {
            if (position.compareAndSet(current, to))
            {
                return;
            }
        }
    }
}
