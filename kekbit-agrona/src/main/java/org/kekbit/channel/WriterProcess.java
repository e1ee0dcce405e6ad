package org.kekbit.channel;

import java.time.Instant;
import java.util.Optional;

/**
 * Identity of the writer's process as the header records it, so readers can tell a live writer from a dead one
 * without waiting for a timeout, and a reused pid from the original process.
 */
final class WriterProcess
{
    /**
     * Start times taken by different JVMs may be rounded differently; pids are not reused within this window.
     */
    private static final long START_TIME_TOLERANCE_MS = 1000;

    private WriterProcess()
    {
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
     * @return the handle, or null when no such process runs.
     */
    static ProcessHandle find(final long pid, final long startTimeMs)
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

        return handle.get();
    }

    private static long startTimeMs(final ProcessHandle handle)
    {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
