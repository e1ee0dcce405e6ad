package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * How fast one thread streams through memory that is already resident, against the size of the memory it cycles
 * through: what separates a ring (or a journal of small recycled segments) that the last-level cache holds from a
 * journal whose segments in use and kept for re-use are larger than the cache. For each size a file of that size is
 * made in DIR, mapped and touched, then written through with 8-byte stores and read through with 8-byte loads, start
 * to end and again, until 8 GiB moved each way; one line per size:
 * <pre>
 * java -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.WorkingSetProbe [DIR [MiB,MiB,...]]
 * </pre>
 * DIR defaults to /dev/shm (or {@code KEKBIT_BENCH_SHM_DIR}), the sizes to 8,16,32,64,96,128,256,512,1024.
 */
public final class WorkingSetProbe
{
    private static final long BYTES_PER_SIZE = 8L << 30;
    private static final String DEFAULT_SIZES = "8,16,32,64,96,128,256,512,1024";

    private WorkingSetProbe()
    {
    }

    /**
     * Run every size.
     *
     * @param args folder, comma-separated sizes in MiB; both optional.
     */
    public static void main(final String[] args)
    {
        final Path dir = args.length > 0 ? Paths.get(args[0]) : BenchmarkConfiguration.shmFolder("kekbit-probe-");
        final String[] sizes = (args.length > 1 ? args[1] : DEFAULT_SIZES).split(",");
        final Path file = dir.resolve("working-set-probe");
        try
        {
            for (final String size : sizes)
            {
                probe(file, Long.parseLong(size.trim()) << 20);
            }
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

    private static void probe(final Path file, final long length)
    {
        final MappedByteBuffer mapping = Storage.mapNewFile(file, length);
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapping);
            final int passes = (int)Math.max(1, BYTES_PER_SIZE / length);
            write(buffer, 1); // a first pass of each, so the timed ones find the loops compiled
            read(buffer, 1);

            long startNs = System.nanoTime();
            write(buffer, passes);
            final long writeNs = System.nanoTime() - startNs;

            startNs = System.nanoTime();
            final long sum = read(buffer, passes);
            final long readNs = System.nanoTime() - startNs;

            final double bytes = (double)passes * length;
            System.out.printf(Locale.ROOT, "%6d MiB  write %6.2f GB/s  read %6.2f GB/s  (%d passes, check %d)%n",
                length >> 20, bytes / writeNs, bytes / readNs, passes, sum & 0xFF);
        }
        finally
        {
            IoUtil.unmap(mapping);
            Storage.delete(file);
        }
    }

    private static void write(final UnsafeBuffer buffer, final int passes)
    {
        final int capacity = buffer.capacity();
        for (int pass = 0; pass < passes; pass++)
        {
            for (int i = 0; i < capacity; i += Long.BYTES)
            {
                buffer.putLong(i, pass + i);
            }
        }
    }

    private static long read(final UnsafeBuffer buffer, final int passes)
    {
        final int capacity = buffer.capacity();
        long sum = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            for (int i = 0; i < capacity; i += Long.BYTES)
            {
                sum += buffer.getLong(i);
            }
        }
        return sum;
    }
}
