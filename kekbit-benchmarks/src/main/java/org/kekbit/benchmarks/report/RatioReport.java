package org.kekbit.benchmarks.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints the results of a JMH JSON result file as Markdown tables of Kekbit against each peer: every cell of a peer
 * holds its score and, in brackets, Kekbit's score divided by it (so above 1 is better for throughput, below 1 is
 * better for times), then the round-trip percentiles and the allocation per operation.
 * <pre>
 * java -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.report.RatioReport \
 *     kekbit-benchmarks/target/results.json &gt; kekbit-benchmarks/target/benchmarks-report.md
 * </pre>
 */
public final class RatioReport
{
    private static final String[][] COMPARISONS = {
        { "StreamingBenchmark", "kekbitWrite", "ringBufferWrite", "aeronOffer", "chronicleWrite", "rawCopy" },
        { "StreamingBenchmark", "kekbitClaim", "ringBufferClaim", "aeronClaim", "chronicleClaim", "rawCopy" },
        { "FanOutBenchmark", "kekbit", "aeron", "chronicle" },
        { "DurableAppendBenchmark", "kekbit", "rawMsync", "rawMsyncHeaderAndData", "chronicle" },
        { "ReplayBenchmark", "kekbit", "rawCopy", "chronicle" },
        { "ReplayBenchmark", "kekbitBlock", "rawCopy", "chronicle" },
        { "SbeQuoteBenchmark", "kekbit", "ringBuffer", "aeron", "plainBuffer" },
        { "WriteThenPollBenchmark", "channelWriteThenPoll", "ringBufferWriteThenRead" },
        { "WriteThenPollBenchmark", "channelClaimThenPoll", "ringBufferClaimThenRead" },
    };
    private static final String[] ROUND_TRIP_PEERS = { "ringBuffer", "aeron", "chronicle" };
    private static final double[] PERCENTILES = { 50.0, 99.0, 99.9 };

    private RatioReport()
    {
    }

    /**
     * Print the report.
     *
     * @param args JSON result files, read in order (a later result of the same benchmark and parameters replaces
     *             an earlier one); default {@code kekbit-benchmarks/target/results.json}.
     * @throws IOException when a file cannot be read.
     */
    public static void main(final String[] args) throws IOException
    {
        final List<BenchmarkResult> results = new ArrayList<>();
        for (final String file : args.length > 0 ? args : new String[]{ "kekbit-benchmarks/target/results.json" })
        {
            for (final BenchmarkResult result : BenchmarkResult.read(Paths.get(file)))
            {
                results.removeIf((earlier) -> earlier.toString().equals(result.toString()));
                results.add(result);
            }
        }
        print(results, System.out);
    }

    /**
     * Print the tables.
     *
     * @param results of a run.
     * @param out     to print to.
     */
    public static void print(final List<BenchmarkResult> results, final PrintStream out)
    {
        for (final String[] comparison : COMPARISONS)
        {
            printComparison(results, comparison, out);
        }
        printRoundTrip(results, out);
        printAllocation(results, out);
    }

    private static void printComparison(
        final List<BenchmarkResult> results, final String[] comparison, final PrintStream out)
    {
        final List<BenchmarkResult> kekbit = select(results, comparison[0], comparison[1]);
        if (kekbit.isEmpty())
        {
            return;
        }

        final BenchmarkResult first = kekbit.get(0);
        out.printf("### %s: %s (%s, %s is better; in brackets Kekbit / peer)%n%n", comparison[0], comparison[1],
            first.unit(), first.isHigherBetter() ? "higher" : "lower");
        final StringBuilder header = new StringBuilder("| params | ").append(comparison[1]).append(" |");
        final StringBuilder ruler = new StringBuilder("|---|---:|");
        for (int i = 2; i < comparison.length; i++)
        {
            header.append(' ').append(comparison[i]).append(" |");
            ruler.append("---:|");
        }
        out.println(header);
        out.println(ruler);

        for (final BenchmarkResult result : kekbit)
        {
            final StringBuilder row = new StringBuilder("| ").append(result.paramsText()).append(" | ")
                .append(score(result.score(), result.unit())).append(" |");
            for (int i = 2; i < comparison.length; i++)
            {
                final BenchmarkResult peer = match(results, comparison[0], comparison[i], result);
                if (null == peer)
                {
                    row.append(" - |");
                }
                else
                {
                    row.append(' ').append(score(peer.score(), peer.unit()))
                        .append(String.format(Locale.ROOT, " (%.2fx)", result.score() / peer.score())).append(" |");
                }
            }
            out.println(row);
        }
        out.println();
    }

    private static void printRoundTrip(final List<BenchmarkResult> results, final PrintStream out)
    {
        final List<BenchmarkResult> kekbit = select(results, LatencyChart.BENCHMARK_CLASS, "kekbit");
        if (kekbit.isEmpty())
        {
            return;
        }

        out.printf("### %s: time per burst round trip (lower is better; in brackets Kekbit / peer)%n%n",
            LatencyChart.BENCHMARK_CLASS);
        out.println("| params | percentile | kekbit | ringBuffer | aeron | chronicle |");
        out.println("|---|---|---:|---:|---:|---:|");
        for (final BenchmarkResult result : kekbit)
        {
            for (final double percentile : PERCENTILES)
            {
                final double kekbitNs = LatencyChart.nanos(result, percentile);
                final StringBuilder row = new StringBuilder("| ").append(result.paramsText()).append(" | p")
                    .append(percentile == 50.0 ? "50" : percentile == 99.0 ? "99" : "99.9").append(" | ")
                    .append(LatencyChart.time(kekbitNs)).append(" |");
                for (final String peerName : ROUND_TRIP_PEERS)
                {
                    final BenchmarkResult peer = match(results, LatencyChart.BENCHMARK_CLASS, peerName, result);
                    if (null == peer)
                    {
                        row.append(" - |");
                    }
                    else
                    {
                        final double peerNs = LatencyChart.nanos(peer, percentile);
                        row.append(' ').append(LatencyChart.time(peerNs))
                            .append(String.format(Locale.ROOT, " (%.2fx)", kekbitNs / peerNs)).append(" |");
                    }
                }
                out.println(row);
            }
        }
        out.println();
    }

    private static void printAllocation(final List<BenchmarkResult> results, final PrintStream out)
    {
        final Map<String, Double> allocation = new LinkedHashMap<>();
        for (final BenchmarkResult result : results)
        {
            if (!Double.isNaN(result.allocatedBytesPerOp()))
            {
                allocation.put(result.toString(), result.allocatedBytesPerOp());
            }
        }
        if (allocation.isEmpty())
        {
            return;
        }

        out.println("### Allocation (`-prof gc`, gc.alloc.rate.norm, bytes per operation, setup included)");
        out.println();
        out.println("| benchmark | B/op |");
        out.println("|---|---:|");
        for (final Map.Entry<String, Double> entry : allocation.entrySet())
        {
            out.printf(Locale.ROOT, "| %s | %.3f |%n", entry.getKey(), entry.getValue());
        }
        out.println();
    }

    private static List<BenchmarkResult> select(
        final List<BenchmarkResult> results, final String className, final String method)
    {
        final List<BenchmarkResult> selected = new ArrayList<>();
        for (final BenchmarkResult result : results)
        {
            if (className.equals(result.className()) && method.equals(result.method()))
            {
                selected.add(result);
            }
        }

        return selected;
    }

    private static BenchmarkResult match(
        final List<BenchmarkResult> results, final String className, final String method, final BenchmarkResult to)
    {
        for (final BenchmarkResult result : select(results, className, method))
        {
            if (result.sharesParams(to))
            {
                return result;
            }
        }

        return null;
    }

    /**
     * A score for a table: {@code 23.3M ops/s}, {@code 82.2 ns/op}.
     *
     * @param score of a result.
     * @param unit  of the score.
     * @return the text.
     */
    static String score(final double score, final String unit)
    {
        if (unit.endsWith("/s"))
        {
            if (score >= 1e6)
            {
                return String.format(Locale.ROOT, "%.2fM/s", score / 1e6);
            }
            return String.format(Locale.ROOT, "%.0fk/s", score / 1e3);
        }

        return LatencyChart.time(score * LatencyChart.nanosPerUnit(unit));
    }
}
