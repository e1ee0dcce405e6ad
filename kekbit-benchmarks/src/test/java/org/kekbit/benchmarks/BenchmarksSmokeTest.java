package org.kekbit.benchmarks;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a representative subset of the benchmarks for a moment each, in forked JVMs with the benchmarks' own flags,
 * so that none can rot: every scenario, and every peer's setup (Agrona, Aeron's embedded driver, Chronicle Queue).
 * Asserts only that each produced a positive score, never how fast: the machine may be slow or busy.
 */
class BenchmarksSmokeTest
{
    private static final List<String> BENCHMARKS = List.of(
        "RoundTripBenchmark.kekbit",
        "RoundTripBenchmark.ringBuffer",
        "RoundTripBenchmark.aeron",
        "RoundTripBenchmark.chronicle",
        "StreamingBenchmark.kekbitClaim",
        "StreamingBenchmark.ringBufferWrite",
        "StreamingBenchmark.aeronOffer",
        "StreamingBenchmark.chronicleWrite",
        "FanOutBenchmark.kekbit",
        "DurableAppendBenchmark.kekbit",
        "ReplayBenchmark.kekbit",
        "SbeQuoteBenchmark.kekbit",
        "StagedWriteBenchmark.stagedWrite",
        "WriteThenPollBenchmark.channelWriteThenPoll",
        "SustainedStreamingBenchmark.kekbit",
        "SustainedStreamingBenchmark.freshMemory",
        "SustainedStreamingBenchmark.newMemory",
        "SustainedStreamingBenchmark.ringBuffer",
        "SustainedStreamingBenchmark.aeron",
        "SustainedStreamingBenchmark.chronicle",
        "SustainedStreamingBenchmark.journal",
        "SustainedStreamingBenchmark.journalReplay",
        "SustainedStreamingBenchmark.chronicleReplay",
        "SegmentCreationBenchmark.journalSegment",
        "SegmentCreationBenchmark.channelPreTouched",
        "SegmentCreationBenchmark.channelNotPreTouched",
        "SegmentCreationBenchmark.channelReusing",
        "SegmentCreationBenchmark.readerPreTouch",
        "JournalBenchmark.seekBySequence",
        "JournalBenchmark.seekByTime",
        "JournalBenchmark.streamThroughRolls");

    private static final int JOURNAL_BENCHMARKS = 2;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldProducePositiveScoreWhenEachBenchmarkRunsBriefly() throws RunnerException
    {
        final OptionsBuilder builder = new OptionsBuilder();
        for (final String benchmark : BENCHMARKS)
        {
            builder.include("^" + BenchmarkConfiguration.class.getPackageName().replace(".", "\\.") + "\\." +
                benchmark.replace(".", "\\.") + "$");
        }
        final Options options = builder
            .param("payloadLength", "32")
            .param("burst", "1")
            .param("forceEvery", "64")
            .param("storage", "shm")
            .param("preTouch", "true")
            // The sustained set at a toy size: 100,000 records through channels (and segments) of 1 MiB, so every
            // system rolls and checks sequences as at full size; journals and created segments of 1 MiB too.
            .param("records", "100000")
            .param("segmentLength", String.valueOf(1024 * 1024))
            .param("segmentCapacity", String.valueOf(1024 * 1024))
            .param("retainedSegments", "0", "2") // journals that keep everything, and bounded ones that recycle
            .forks(1)
            .jvmArgsAppend(BenchmarkConfiguration.JVM_FLAGS)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(200))
            .shouldFailOnError(true)
            .build();

        // JMH refuses to start while another JMH run on the machine holds /tmp/jmh.lock; a smoke run may share it.
        System.setProperty("jmh.ignoreLock", "true");
        final Collection<RunResult> results = new Runner(options).run();

        assertEquals(BENCHMARKS.size() + JOURNAL_BENCHMARKS, results.size(),
            "one result per benchmark, two for each journal scenario");
        for (final RunResult result : results)
        {
            final double score = result.getPrimaryResult().getScore();
            assertTrue(score > 0, () -> result.getParams().getBenchmark() + " score=" + score);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCheckEverySequenceWhenReaderPausesWhileIdle() throws RunnerException
    {
        final Options options = new OptionsBuilder()
            .include("^" + SustainedStreamingBenchmark.class.getName().replace(".", "\\.") +
                "\\.(journal|ringBuffer)$")
            .param("payloadLength", "32")
            .param("records", "100000")
            .param("segmentCapacity", String.valueOf(1024 * 1024))
            .param("retainedSegments", "2")
            .param("readerIdleSpins", "256")
            .forks(1)
            .jvmArgsAppend(BenchmarkConfiguration.JVM_FLAGS)
            .warmupIterations(0)
            .measurementIterations(2)
            .shouldFailOnError(true)
            .build();

        System.setProperty("jmh.ignoreLock", "true");
        final Collection<RunResult> results = new Runner(options).run();

        assertEquals(2, results.size(), "the journal and the ring, each with the pausing reader");
        for (final RunResult result : results)
        {
            assertEquals("256", result.getParams().getParam("readerIdleSpins"));
            assertTrue(result.getPrimaryResult().getScore() > 0, () -> result.getParams().getBenchmark());
        }
    }
}
