package org.kekbit.benchmarks.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Prints the results of {@code SustainedStreamingBenchmark} as Markdown tables, one per storage (a JMH JSON file
 * each): for every payload length, each system's median rate over the measurements in M records/s and in GB/s of
 * payload, the range of its measurements, and the Kekbit channels' rate divided by the system's (above 1: Kekbit is
 * faster), with the journal (a row per segment capacity), the replays and the controlled variants (one side alone);
 * then the journal's rate divided by each streaming peer's, and the journal replay's by each replay peer's.
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
        { "journal", "Kekbit journal, %s segments made in the window by the creator agent" },
        { "freshMemory", "floor: fresh pre-faulted memory, 1 GiB segments" },
        { "newMemory", "floor: memory new to the system, taken by the writer's stores in the window, 1 GiB files" },
        { "ringBuffer", "floor and peer: Agrona OneToOneRingBuffer, %s resident" },
        { "aeron", "Aeron IPC exclusive publication, 16 MiB terms" },
        { "chronicle", "Chronicle Queue, default, files grow in the window" },
        { "journalReplay", "replay: Kekbit journal, %s segments, written before" },
        { "kekbitReaderAlone", "replay and variant: Kekbit reader alone, channels written before" },
        { "freshMemoryReaderAlone", "replay and variant: fresh-memory reader alone, written before" },
        { "chronicleReplay", "replay: Chronicle tailer alone, queue written before" },
        { "kekbitWriterAlone", "variant: Kekbit writer alone, no reader" },
        { "freshMemoryWriterAlone", "variant: fresh-memory writer alone, no reader" },
    };
    private static final String[] STREAMING_PEERS = {
        "kekbit", "freshMemory", "newMemory", "ringBuffer", "aeron", "chronicle" };
    private static final String[] REPLAY_PEERS = { "kekbitReaderAlone", "freshMemoryReaderAlone", "chronicleReplay" };

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
            final List<BenchmarkResult> kekbits = find(results, "kekbit", payload);
            final BenchmarkResult kekbit = kekbits.isEmpty() ? null : kekbits.get(kekbits.size() - 1);
            final String records = anyRecords(results, payload);
            out.printf(Locale.ROOT, "### %s, %d B payload, %s records per measurement%n%n", label, payload, records);
            out.println("| system | M records/s (median) | GB/s of payload | range, M records/s | Kekbit / system |");
            out.println("|---|---:|---:|---|---:|");
            final double kekbitRate = null == kekbit ? Double.NaN : rate(kekbit, 50.0);
            for (final String[] system : SYSTEMS)
            {
                for (final BenchmarkResult result : find(results, system[0], payload))
                {
                    final double rate = rate(result, 50.0);
                    out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f-%.2f | %s |%n",
                        label(system[1], result), rate / 1e6, rate * payload / 1e9, rate(result, 100.0) / 1e6,
                        rate(result, 0.0) / 1e6, null != kekbit && isStreamingPeer(system[0]) ?
                        String.format(Locale.ROOT, "%.2fx", kekbitRate / rate) : "-");
                }
            }
            out.println();
            printJournalRatios(results, payload, "journal", STREAMING_PEERS, out);
            printJournalRatios(results, payload, "journalReplay", REPLAY_PEERS, out);
        }
    }

    /**
     * One row per journal result (one per segment capacity): its rate divided by each peer's, above 1 the journal is
     * faster.
     */
    private static void printJournalRatios(
        final List<BenchmarkResult> results,
        final int payload,
        final String journalMethod,
        final String[] peers,
        final PrintStream out)
    {
        final List<BenchmarkResult> journals = find(results, journalMethod, payload);
        if (journals.isEmpty())
        {
            return;
        }
        final StringBuilder header = new StringBuilder("| ").append(journalMethod).append(" / system |");
        final StringBuilder rule = new StringBuilder("|---|");
        final List<BenchmarkResult> columns = new ArrayList<>(); // null: a peer that did not run
        for (final String peer : peers)
        {
            final List<BenchmarkResult> found = find(results, peer, payload);
            if ("ringBuffer".equals(peer) && found.size() > 1) // a column per capacity: the working sets differ
            {
                for (final BenchmarkResult ring : found)
                {
                    header.append(' ').append(peer).append(' ').append(capacityText(ring)).append(" |");
                    rule.append("---:|");
                    columns.add(ring);
                }
                continue;
            }
            header.append(' ').append(peer).append(" |");
            rule.append("---:|");
            columns.add(found.isEmpty() ? null : found.get(found.size() - 1));
        }
        out.println(header);
        out.println(rule);
        for (final BenchmarkResult journal : journals)
        {
            final double journalRate = rate(journal, 50.0);
            out.printf(Locale.ROOT, "| %s segments%s |", capacityText(journal),
                helperText(journal));
            for (final BenchmarkResult peer : columns)
            {
                out.print(null == peer ? " - |" :
                    String.format(Locale.ROOT, " %.2fx |", journalRate / rate(peer, 50.0)));
            }
            out.println();
        }
        out.println();
    }

    private static String anyRecords(final List<BenchmarkResult> results, final int payload)
    {
        for (final BenchmarkResult result : results)
        {
            if (BENCHMARK_CLASS.equals(result.className()) && result.params().containsKey("records") &&
                String.valueOf(payload).equals(result.params().get("payloadLength")))
            {
                return result.params().get("records");
            }
        }

        return "?";
    }

    private static boolean isStreamingPeer(final String method)
    {
        return !"kekbit".equals(method) && Arrays.asList(STREAMING_PEERS).contains(method);
    }

    private static String label(final String format, final BenchmarkResult result)
    {
        return format.contains("%s") ? String.format(Locale.ROOT, format, capacityText(result)) +
            helperText(result) : format;
    }

    /**
     * A ring's capacity (64 MiB when the result predates the parameter), or a journal's segments.
     */
    private static String capacityText(final BenchmarkResult result)
    {
        if ("ringBuffer".equals(result.method()))
        {
            final String ringCapacity = result.params().get("ringCapacity");
            return null == ringCapacity ? "64 MiB" : bytesText(Long.parseLong(ringCapacity));
        }
        return segmentsText(result);
    }

    private static String bytesText(final long bytes)
    {
        return bytes >= 1L << 30 && 0 == (bytes & ((1L << 30) - 1)) ? (bytes >> 30) + " GiB" :
            0 == (bytes & ((1L << 20) - 1)) ? (bytes >> 20) + " MiB" : bytes + " B";
    }

    private static String segmentsText(final BenchmarkResult result)
    {
        final String capacity = result.params().get("segmentCapacity");
        if (null == capacity)
        {
            return "?";
        }
        final String text = bytesText(Long.parseLong(capacity));
        final String retained = result.params().get("retainedSegments");
        return null == retained || "0".equals(retained) ? text : text + ", keeps " + retained + ", recycled";
    }

    /**
     * Where the journal's helper agents ran, when not on the default helper thread that sleeps 1 ms (results from
     * before the parameter ran there).
     */
    private static String helperText(final BenchmarkResult result)
    {
        final String helperIdle = result.params().get("helperIdle");
        if ("INVOKER".equals(helperIdle))
        {
            return ", helper agents on the writer's thread";
        }
        return "PARK".equals(helperIdle) ? ", helper thread parked and woken at each roll" : "";
    }

    /**
     * Every result of a method at a payload length, in file order (the journals have one per segment capacity).
     */
    private static List<BenchmarkResult> find(
        final List<BenchmarkResult> results, final String method, final int payload)
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

        return found;
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
