package org.kekbit.benchmarks.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Prints the results of {@code SustainedStreamingBenchmark} as Markdown tables, one per storage (a JMH JSON file
 * each): for every payload length, each system's median rate over the measurements in M records/s and in GB/s of
 * payload, the range of its measurements, and Kekbit's rate divided by the system's (above 1: Kekbit is faster);
 * then the controlled variants (one side alone), without a ratio.
 * <pre>
 * java -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.report.SustainedReport \
 *     /dev/shm=kekbit-benchmarks/target/sustained-shm.json
 * </pre>
 */
public final class SustainedReport
{
    private static final String BENCHMARK_CLASS = "SustainedStreamingBenchmark";
    private static final String[][] SYSTEMS = {
        { "kekbit", "Kekbit, 1 GiB channels pre-created and pre-touched" },
        { "freshMemory", "floor: fresh pre-faulted memory, 1 GiB segments" },
        { "ringBuffer", "floor and peer: Agrona OneToOneRingBuffer, 64 MiB resident" },
        { "aeron", "Aeron IPC exclusive publication, 16 MiB terms" },
        { "chronicle", "Chronicle Queue, default, files grow in the window" },
        { "kekbitWriterAlone", "variant: Kekbit writer alone, no reader" },
        { "kekbitReaderAlone", "variant: Kekbit reader alone, records written before" },
        { "freshMemoryWriterAlone", "variant: fresh-memory writer alone, no reader" },
        { "freshMemoryReaderAlone", "variant: fresh-memory reader alone, records written before" },
    };

    private SustainedReport()
    {
    }

    /**
     * Print the report.
     *
     * @param args {@code label=file[,file...]} pairs (split at the last {@code =}), one per storage, such as
     *             {@code /dev/shm=target/sustained-shm-kekbit.json,target/sustained-shm-aeron.json}; files that do
     *             not exist are skipped.
     * @throws IOException when a file cannot be read.
     */
    public static void main(final String[] args) throws IOException
    {
        for (final String arg : args)
        {
            final int eq = arg.lastIndexOf('=');
            final String label = arg.substring(0, eq);
            final List<BenchmarkResult> results = new ArrayList<>();
            for (final String name : arg.substring(eq + 1).split(","))
            {
                final Path file = Paths.get(name);
                if (Files.exists(file))
                {
                    results.addAll(BenchmarkResult.read(file));
                }
            }
            if (!results.isEmpty())
            {
                print(label, results, System.out);
            }
        }
    }

    /**
     * Print the tables of one storage.
     *
     * @param label   of the storage.
     * @param results of its run.
     * @param out     to print to.
     */
    public static void print(final String label, final List<BenchmarkResult> results, final PrintStream out)
    {
        final TreeSet<Integer> payloads = new TreeSet<>();
        for (final BenchmarkResult result : results)
        {
            if (BENCHMARK_CLASS.equals(result.className()))
            {
                payloads.add(Integer.parseInt(result.params().get("payloadLength")));
            }
        }

        for (final int payload : payloads)
        {
            final BenchmarkResult kekbit = find(results, "kekbit", payload);
            final String records = null == kekbit ? "?" : kekbit.params().get("records");
            out.printf(Locale.ROOT, "### %s, %d B payload, %s records per measurement%n%n", label, payload, records);
            out.println("| system | M records/s (median) | GB/s of payload | range, M records/s | Kekbit / system |");
            out.println("|---|---:|---:|---|---:|");
            final double kekbitRate = null == kekbit ? Double.NaN : rate(kekbit, 50.0);
            for (final String[] system : SYSTEMS)
            {
                final BenchmarkResult result = find(results, system[0], payload);
                if (null == result)
                {
                    continue;
                }
                final double rate = rate(result, 50.0);
                out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f-%.2f | %s |%n",
                    system[1], rate / 1e6, rate * payload / 1e9, rate(result, 100.0) / 1e6,
                    rate(result, 0.0) / 1e6, system[1].startsWith("variant") || "kekbit".equals(system[0]) ? "-" :
                    String.format(Locale.ROOT, "%.2fx", kekbitRate / rate));
            }
            out.println();
        }
    }

    private static BenchmarkResult find(final List<BenchmarkResult> results, final String method, final int payload)
    {
        final List<BenchmarkResult> found = new ArrayList<>();
        for (final BenchmarkResult result : results)
        {
            if (BENCHMARK_CLASS.equals(result.className()) && method.equals(result.method()) &&
                String.valueOf(payload).equals(result.params().get("payloadLength")))
            {
                found.add(result);
            }
        }

        return found.isEmpty() ? null : found.get(found.size() - 1);
    }

    /**
     * Records per second at a percentile of the measured times (the slowest measurement is the 100th).
     *
     * @param result     of a single-shot benchmark.
     * @param percentile of the times.
     * @return records per second.
     */
    private static double rate(final BenchmarkResult result, final double percentile)
    {
        double time = result.percentile(percentile);
        if (Double.isNaN(time))
        {
            time = result.score();
        }
        final double seconds = time * LatencyChart.nanosPerUnit(result.unit()) / 1e9;
        return Long.parseLong(result.params().get("records")) / seconds;
    }
}
