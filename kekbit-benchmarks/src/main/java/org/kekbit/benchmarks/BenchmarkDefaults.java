package org.kekbit.benchmarks;

import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark class shares, inherited through JMH's annotation inheritance: iterations, and one fork with
 * the same JVM flags for every system (see {@link BenchmarkConfiguration}). Annotations cannot take an array
 * constant, so the flags are listed once here instead of once per class.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    BenchmarkConfiguration.AGRONA_OPENS,
    BenchmarkConfiguration.CHRONICLE_EXPORTS_REF,
    BenchmarkConfiguration.CHRONICLE_EXPORTS_NIO,
    BenchmarkConfiguration.CHRONICLE_EXPORTS_MISC,
    BenchmarkConfiguration.CHRONICLE_EXPORTS_JAVAC,
    BenchmarkConfiguration.CHRONICLE_OPENS_JAVAC,
    BenchmarkConfiguration.CHRONICLE_OPENS_LANG,
    BenchmarkConfiguration.CHRONICLE_OPENS_REFLECT,
    BenchmarkConfiguration.CHRONICLE_OPENS_IO,
    BenchmarkConfiguration.CHRONICLE_OPENS_UTIL,
    BenchmarkConfiguration.CHRONICLE_OPENS_NIO,
    BenchmarkConfiguration.CHRONICLE_ANALYTICS_OFF,
    BenchmarkConfiguration.NO_BOUNDS_CHECKS })
public abstract class BenchmarkDefaults
{
}
