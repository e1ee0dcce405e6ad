package org.kekbit.channel;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.time.Instant;
import java.util.Optional;

import org.agrona.CloseHelper;
import org.agrona.SystemUtil;

/**
 * The writer's process as the header records it (pid and start time), so readers can tell a live writer from a
 * dead one without waiting for a timeout, and a reused pid from the original process.
 * <p>
 * {@link ProcessHandle#isAlive()} takes a killed process its parent has not reaped yet (a zombie) for alive, so on
 * Linux the process state in {@code /proc/<pid>/stat} is checked too, through a file kept open and a reused buffer:
 * a check allocates nothing.
 */
final class WriterProcess implements AutoCloseable
{
    /**
     * Start times taken by different JVMs may be rounded differently; pids are not reused within this window.
     */
    private static final long START_TIME_TOLERANCE_MS = 1000;
    private static final int STAT_PREFIX_LENGTH = 512;

    private final ProcessHandle handle;
    private final RandomAccessFile stat;
    private final byte[] statBytes;
    private boolean isGone;

    private WriterProcess(final ProcessHandle handle, final RandomAccessFile stat)
    {
        this.handle = handle;
        this.stat = stat;
        this.statBytes = null == stat ? null : new byte[STAT_PREFIX_LENGTH];
    }

    static long currentPid()
    {
        return ProcessHandle.current().pid();
    }

    static long currentStartTimeMs()
    {
        return startTimeMs(ProcessHandle.current());
    }

    /**
     * Find the writer's process if it still runs.
     *
     * @param pid         from the header.
     * @param startTimeMs from the header, 0 when the writer did not know it.
     * @return the process, or null when no such process runs.
     */
    static WriterProcess find(final long pid, final long startTimeMs)
    {
        final Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive())
        {
            return null;
        }

        final long actualStartTimeMs = startTimeMs(handle.get());
        if (startTimeMs != 0 && actualStartTimeMs != 0 &&
            Math.abs(actualStartTimeMs - startTimeMs) > START_TIME_TOLERANCE_MS)
        {
            return null; // the pid was reused by another process
        }

        final WriterProcess process = new WriterProcess(handle.get(), openStat(pid));
        if (!process.isAlive())
        {
            process.close();
            return null;
        }

        return process;
    }

    /**
     * Whether the process still runs: not exited, not a zombie waiting to be reaped.
     *
     * @return true while it runs.
     */
    boolean isAlive()
    {
        if (!isGone)
        {
            isGone = !handle.isAlive() || isZombie();
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

    private boolean isZombie()
    {
        if (null == stat)
        {
            return false;
        }

        try
        {
            stat.seek(0);
            final int length = stat.read(statBytes);
            // Format: "pid (comm) S ...": the command may hold spaces and parentheses, the state follows the last ')'.
            for (int i = length - 1; i > 0; i--)
            {
                if (')' == statBytes[i])
                {
                    final int stateIndex = i + 2;
                    return stateIndex < length && ('Z' == statBytes[stateIndex] || 'X' == statBytes[stateIndex]);
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            return true; // the process is gone: its /proc entry no longer reads
        }
    }

    private static RandomAccessFile openStat(final long pid)
    {
        if (!SystemUtil.isLinux())
        {
            return null;
        }

        try
        {
            return new RandomAccessFile("/proc/" + pid + "/stat", "r");
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static long startTimeMs(final ProcessHandle handle)
    {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
