package org.kekbit.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * What a virtual machine's host does with the guest's free memory, which decides what memory new to a journal
 * costs. Where the guest kernel runs virtio-balloon free page reporting, it hands free memory back to the host a
 * few seconds after it was freed; the next page the guest takes from that memory is faulted in again by the host,
 * several microseconds per 4 KiB page, whatever the guest does (touch, {@code fallocate}, {@code MAP_POPULATE}).
 * Memory freed moments ago is still backed and costs a fraction of that. A benchmark that deletes its files after
 * every measurement and creates new ones at once therefore measures the cheaper case unless it waits for the host
 * to take the memory back: {@link #awaitReportingSettled(long)}.
 */
public final class HostMemory
{
    /**
     * Kibibytes of free memory the guest kernel has reported to the host since boot (absent without reporting).
     */
    public static final Path REPORTED_KIB = Paths.get("/sys/module/page_reporting/parameters/reported_kib");

    private static final long POLL_MS = 500;
    private static final long QUIET_MS = 5_000;

    private HostMemory()
    {
    }

    /**
     * Whether this kernel reports free memory to a host.
     *
     * @return true when the reporting counter exists.
     */
    public static boolean reportsFreeMemory()
    {
        return Files.isReadable(REPORTED_KIB);
    }

    /**
     * Free memory reported to the host since boot.
     *
     * @return kibibytes, or -1 where the kernel does not report.
     */
    public static long reportedKib()
    {
        try
        {
            return Long.parseLong(new String(Files.readAllBytes(REPORTED_KIB), StandardCharsets.US_ASCII).trim());
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * Wait until the host has taken back what the guest freed: the reported total has not moved for five seconds
     * (reporting runs in passes about two seconds apart). Returns at once where the kernel does not report.
     *
     * @param maxMs to wait at most.
     * @return kibibytes reported while waiting, or -1 where the kernel does not report.
     */
    public static long awaitReportingSettled(final long maxMs)
    {
        final long start = reportedKib();
        if (start < 0)
        {
            return -1;
        }
        final long deadlineMs = System.currentTimeMillis() + maxMs;
        long last = start;
        long lastChangeMs = System.currentTimeMillis();
        while (System.currentTimeMillis() - lastChangeMs < QUIET_MS && System.currentTimeMillis() < deadlineMs)
        {
            sleep(POLL_MS);
            final long now = reportedKib();
            if (now != last)
            {
                last = now;
                lastChangeMs = System.currentTimeMillis();
            }
        }

        return last - start;
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for free page reporting", ex);
        }
    }
}
