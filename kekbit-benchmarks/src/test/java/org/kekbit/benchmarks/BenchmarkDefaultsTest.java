package org.kekbit.benchmarks;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Fork;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every benchmark class runs with the same JVM flags: it inherits {@link BenchmarkDefaults}' fork, whose flags are
 * {@link BenchmarkConfiguration#JVM_FLAGS}, and does not declare a fork of its own.
 */
class BenchmarkDefaultsTest
{
    private static final List<Class<?>> BENCHMARKS = List.of(
        DurableAppendBenchmark.class,
        FanOutBenchmark.class,
        ReplayBenchmark.class,
        RoundTripBenchmark.class,
        SbeQuoteBenchmark.class,
        StreamingBenchmark.class,
        WriteThenPollBenchmark.class);

    @Test
    void shouldForkWithTheSharedJvmFlags()
    {
        assertArrayEquals(
            BenchmarkConfiguration.JVM_FLAGS, BenchmarkDefaults.class.getAnnotation(Fork.class).jvmArgsAppend());
    }

    @Test
    void shouldInheritTheForkInEveryBenchmarkClass()
    {
        for (final Class<?> benchmark : BENCHMARKS)
        {
            assertTrue(BenchmarkDefaults.class.isAssignableFrom(benchmark), benchmark + " extends BenchmarkDefaults");
            assertNull(benchmark.getDeclaredAnnotation(Fork.class), benchmark + " declares no fork of its own");
        }
    }
}
