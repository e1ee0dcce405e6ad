package org.kekbit.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One result of a JMH run, read from its JSON result file ({@code -rf json}): benchmark, parameters, score,
 * percentiles (sample mode) and allocation per operation ({@code -prof gc}).
 */
public final class BenchmarkResult
{
    private final String className;
    private final String method;
    private final String mode;
    private final Map<String, String> params;
    private final double score;
    private final double scoreError;
    private final String unit;
    private final Map<String, Double> percentiles;
    private final double allocatedBytesPerOp;

    private BenchmarkResult(
        final String benchmark,
        final String mode,
        final Map<String, String> params,
        final double score,
        final double scoreError,
        final String unit,
        final Map<String, Double> percentiles,
        final double allocatedBytesPerOp)
    {
        final int dot = benchmark.lastIndexOf('.');
        final String qualifiedClass = benchmark.substring(0, dot);
        this.className = qualifiedClass.substring(qualifiedClass.lastIndexOf('.') + 1);
        this.method = benchmark.substring(dot + 1);
        this.mode = mode;
        this.params = params;
        this.score = score;
        this.scoreError = scoreError;
        this.unit = unit;
        this.percentiles = percentiles;
        this.allocatedBytesPerOp = allocatedBytesPerOp;
    }

    /**
     * Read every result of a JMH JSON result file.
     *
     * @param file written by {@code -rf json -rff file}.
     * @return the results in file order.
     * @throws IOException when the file cannot be read.
     */
    @SuppressWarnings("unchecked")
    public static List<BenchmarkResult> read(final Path file) throws IOException
    {
        final Object root = Json.parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        final List<BenchmarkResult> results = new ArrayList<>();
        for (final Object item : (List<Object>)root)
        {
            final Map<String, Object> entry = (Map<String, Object>)item;
            final Map<String, String> params = new LinkedHashMap<>();
            final Object rawParams = entry.get("params");
            if (rawParams instanceof Map)
            {
                for (final Map.Entry<String, Object> param : ((Map<String, Object>)rawParams).entrySet())
                {
                    params.put(param.getKey(), String.valueOf(param.getValue()));
                }
            }

            final Map<String, Object> primary = (Map<String, Object>)entry.get("primaryMetric");
            final Map<String, Double> percentiles = new LinkedHashMap<>();
            final Object rawPercentiles = primary.get("scorePercentiles");
            if (rawPercentiles instanceof Map)
            {
                for (final Map.Entry<String, Object> p : ((Map<String, Object>)rawPercentiles).entrySet())
                {
                    percentiles.put(p.getKey(), Json.number(p.getValue()));
                }
            }

            double allocated = Double.NaN;
            final Object secondary = entry.get("secondaryMetrics");
            if (secondary instanceof Map)
            {
                final Object gc = ((Map<String, Object>)secondary).get("gc.alloc.rate.norm");
                if (gc instanceof Map)
                {
                    allocated = Json.number(((Map<String, Object>)gc).get("score"));
                }
            }

            results.add(new BenchmarkResult(
                (String)entry.get("benchmark"),
                (String)entry.get("mode"),
                Collections.unmodifiableMap(params),
                Json.number(primary.get("score")),
                Json.number(primary.get("scoreError")),
                String.valueOf(primary.get("scoreUnit")),
                Collections.unmodifiableMap(percentiles),
                allocated));
        }

        return results;
    }

    /**
     * Simple name of the benchmark class, such as {@code RoundTripBenchmark}.
     *
     * @return the class name.
     */
    public String className()
    {
        return className;
    }

    /**
     * Name of the benchmark method, such as {@code kekbit}.
     *
     * @return the method name.
     */
    public String method()
    {
        return method;
    }

    /**
     * JMH mode: {@code thrpt}, {@code avgt}, {@code sample} or {@code ss}.
     *
     * @return the mode.
     */
    public String mode()
    {
        return mode;
    }

    /**
     * Parameters of the trial.
     *
     * @return the parameters by name.
     */
    public Map<String, String> params()
    {
        return params;
    }

    /**
     * Primary score: the mean in sample mode.
     *
     * @return the score.
     */
    public double score()
    {
        return score;
    }

    /**
     * Half width of the 99.9% confidence interval, NaN when too few iterations.
     *
     * @return the error.
     */
    public double scoreError()
    {
        return scoreError;
    }

    /**
     * Unit of the score, such as {@code ops/s} or {@code ns/op}.
     *
     * @return the unit.
     */
    public String unit()
    {
        return unit;
    }

    /**
     * A percentile of a sample-mode result.
     *
     * @param percentile such as 50.0, 99.0 or 99.9.
     * @return the value in the score's unit, NaN when absent.
     */
    public double percentile(final double percentile)
    {
        for (final Map.Entry<String, Double> entry : percentiles.entrySet())
        {
            if (Double.parseDouble(entry.getKey()) == percentile)
            {
                return entry.getValue();
            }
        }

        return Double.NaN;
    }

    /**
     * Bytes allocated per operation ({@code gc.alloc.rate.norm}), NaN when run without {@code -prof gc}.
     *
     * @return the bytes per operation.
     */
    public double allocatedBytesPerOp()
    {
        return allocatedBytesPerOp;
    }

    /**
     * Whether a higher score is better: throughput modes.
     *
     * @return true for throughput.
     */
    public boolean isHigherBetter()
    {
        return "thrpt".equals(mode);
    }

    /**
     * Whether this result's parameters agree with another's on every parameter both have.
     *
     * @param other result.
     * @return true when no shared parameter differs.
     */
    public boolean sharesParams(final BenchmarkResult other)
    {
        for (final Map.Entry<String, String> param : params.entrySet())
        {
            final String otherValue = other.params.get(param.getKey());
            if (null != otherValue && !otherValue.equals(param.getValue()))
            {
                return false;
            }
        }

        return true;
    }

    /**
     * The parameters as {@code name=value} pairs.
     *
     * @return the text, empty when there are none.
     */
    public String paramsText()
    {
        final StringBuilder builder = new StringBuilder();
        for (final Map.Entry<String, String> param : params.entrySet())
        {
            if (builder.length() > 0)
            {
                builder.append(", ");
            }
            builder.append(param.getKey()).append('=').append(param.getValue());
        }

        return builder.toString();
    }

    /**
     * Class, method and parameters.
     *
     * @return the description.
     */
    public String toString()
    {
        return className + "." + method + (params.isEmpty() ? "" : " (" + paramsText() + ")");
    }
}
