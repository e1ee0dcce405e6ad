package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

import org.agrona.IoUtil;

/**
 * What one 4 KiB page of memory new to a file costs on this machine, in the three cases a journal meets: memory the
 * host took back (a file made after waiting for free page reporting to settle: the steady state of a journal that
 * keeps everything), memory freed moments ago (a file made right after deleting one of the same size: what a
 * benchmark deleting and re-creating its files sees), and a second mapping of pages already resident (the page-table
 * entries alone: what a reader's pre-touch adds). Each case maps a new sparse file and writes one byte per page, as
 * a writer's pre-touch does; one line per case:
 * <pre>
 * java -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.NewMemoryProbe [DIR [MiB [settle-ms]]]
 * </pre>
 * DIR defaults to /dev/shm (or {@code KEKBIT_BENCH_SHM_DIR}), MiB to 1024, settle-ms (the longest wait for the host
 * to take memory back) to 60000.
 */
public final class NewMemoryProbe
{
    private static final int PAGE_SIZE = 4096;

    private NewMemoryProbe()
    {
    }

    /**
     * Run the three cases.
     *
     * @param args folder, size in MiB, longest settle wait in ms; all optional.
     */
    public static void main(final String[] args)
    {
        final Path dir = args.length > 0 ? Paths.get(args[0]) : BenchmarkConfiguration.shmFolder("kekbit-probe-");
        final long length = (args.length > 1 ? Long.parseLong(args[1]) : 1024) << 20;
        final long settleMs = args.length > 2 ? Long.parseLong(args[2]) : 60_000;
        final Path file = dir.resolve("new-memory-probe");
        try
        {
            System.out.printf(Locale.ROOT, "free page reporting: %s%n", HostMemory.reportsFreeMemory() ?
                "on (" + HostMemory.REPORTED_KIB + ")" : "off or not exposed");
            final long reported = HostMemory.awaitReportingSettled(settleMs);
            print("memory the host took back", length, touchNewFile(file, length, false), reported);
            print("memory freed moments ago", length, touchNewFile(file, length, false), -1);
            print("second mapping, pages resident", length, touchNewFile(file, length, true), -1);
        }
        finally
        {
            Storage.delete(file);
            if (args.length == 0)
            {
                Storage.delete(dir);
            }
        }
    }

    /**
     * Make a sparse file, map it and write one byte per page; optionally map it again and time touching the second
     * mapping only. The file is deleted after.
     *
     * @param file          to make.
     * @param length        of the file.
     * @param secondMapping time the touch of a second mapping of the (then resident) pages instead.
     * @return nanoseconds of the timed touch.
     */
    static long touchNewFile(final Path file, final long length, final boolean secondMapping)
    {
        try
        {
            long startNs = System.nanoTime();
            final MappedByteBuffer first = Storage.mapSparseFile(file, length);
            touch(first, length);
            long elapsedNs = System.nanoTime() - startNs;
            if (secondMapping)
            {
                startNs = System.nanoTime();
                final MappedByteBuffer second = IoUtil.mapExistingFile(file.toFile(), "probe");
                touch(second, length);
                elapsedNs = System.nanoTime() - startNs;
                IoUtil.unmap(second);
            }
            IoUtil.unmap(first);
            return elapsedNs;
        }
        finally
        {
            Storage.delete(file);
        }
    }

    private static void touch(final MappedByteBuffer buffer, final long length)
    {
        for (int i = 0; i < length; i += PAGE_SIZE)
        {
            buffer.put(i, (byte)1);
        }
    }

    private static void print(final String name, final long length, final long elapsedNs, final long reportedKib)
    {
        System.out.printf(Locale.ROOT, "%-32s %8.1f ms %7.0f MB/s %6.2f us per 4 KiB page%s%n", name,
            elapsedNs / 1e6, length * 1e3 / elapsedNs, elapsedNs / 1e3 / (length / PAGE_SIZE),
            reportedKib >= 0 ? String.format(Locale.ROOT, " (waited for %d MiB to be reported)", reportedKib >> 10) :
            "");
    }
}
