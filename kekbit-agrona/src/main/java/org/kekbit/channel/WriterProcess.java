package org.kekbit.channel;

import java.io.IOException;
import java.io.RandomAccessFile;

import org.agrona.CloseHelper;

/**
 * A writer's process looked up through {@code /proc/<pid>/stat}, for a checker that shares the writer's boot and pid
 * namespace (see {@link ProcessIdentity#canSee(long)}): the process is the writer only when its start ticks match
 * the header's exactly, and it runs only while it is neither gone nor a zombie waiting to be reaped (which
 * {@link ProcessHandle#isAlive()} would take for alive).
 * <p>
 * The stat file is kept open and read into a reused buffer, so a check allocates nothing; once the process exits,
 * reads of the open file fail, so a reused pid is never mistaken for it.
 */
final class WriterProcess implements AutoCloseable
{
    private static final int STAT_PREFIX_LENGTH = 1024;

    private final RandomAccessFile stat;
    private final byte[] statBytes = new byte[STAT_PREFIX_LENGTH];
    private final long startTicks;
    private boolean isGone;

    private WriterProcess(final RandomAccessFile stat, final long startTicks)
    {
        this.stat = stat;
        this.startTicks = startTicks;
    }

    /**
     * Find the writer's process if it still runs.
     *
     * @param pid        from the header.
     * @param startTicks from the header; 0 when the writer could not read it, then the pid alone decides.
     * @return the process, or null when no such process runs.
     */
    static WriterProcess find(final long pid, final long startTicks)
    {
        if (pid <= 0)
        {
            return null;
        }

        final RandomAccessFile stat;
        try
        {
            stat = new RandomAccessFile("/proc/" + pid + "/stat", "r");
        }
        catch (final IOException ex)
        {
            return null;
        }

        final WriterProcess process = new WriterProcess(stat, startTicks);
        if (!process.isAlive())
        {
            return null;
        }

        return process;
    }

    /**
     * Whether the process still runs: the same process (start ticks), not exited, not a zombie.
     *
     * @return true while it runs.
     */
    boolean isAlive()
    {
        if (!isGone)
        {
            isGone = !readsAsRunning();
            if (isGone)
            {
                close();
            }
        }

        return !isGone;
    }

    public void close()
    {
        CloseHelper.quietClose(stat);
    }

    private boolean readsAsRunning()
    {
        try
        {
            stat.seek(0);
            final int length = stat.read(statBytes);
            if (length <= 0)
            {
                return false;
            }

            final byte state = ProcessIdentity.parseState(statBytes, length);
            if ('Z' == state || 'X' == state || 0 == state)
            {
                return false;
            }

            return 0 == startTicks || ProcessIdentity.parseStartTicks(statBytes, length) == startTicks;
        }
        catch (final IOException ex)
        {
            return false; // the process is gone: its /proc entry no longer reads
        }
    }
}
