package org.kekbit.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast segments and channels are made, per GB: the rate a journal's segment creator must beat to keep ahead of
 * a writer streaming at full speed (issue 14 sets at least 3x the rate measured before, and no roll stall). One
 * JMH single-shot invocation makes one file of {@code segmentCapacity} bytes; the score is its time in ms, and
 * {@code segmentCapacity / score} is the rate (64 MiB in 67.1 ms is 1,000 MB/s):
 * <ul>
 *     <li>{@code journalSegment}: a journal writer's duty cycle making the next segment ahead of need, exactly
 *     as the segment creator agent does it (same code: allocated, header written, every page written once);</li>
 *     <li>{@code channelPreTouched}: {@link ChannelWriter#create} with the writer's pre-touch, the default;</li>
 *     <li>{@code channelNotPreTouched}: the same without pre-touch (allocation and header only: the pages are still
 *     to be faulted in by the first writes);</li>
 *     <li>{@code readerPreTouch}: a reader opened with pre-touch on a channel made before the window, which maps its
 *     pages in, as a journal reader pays at each segment it crosses into.</li>
 * </ul>
 * Each measurement's files are deleted after it, outside the window. Files go under
 * {@link BenchmarkConfiguration#shmFolder(String)}: /dev/shm, or {@code KEKBIT_BENCH_SHM_DIR}.
 * <pre>
 * java -jar kekbit-benchmarks/target/kekbit-benchmarks.jar SegmentCreationBenchmark -wi 2 -i 10 -f 1
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 10)
public class SegmentCreationBenchmark extends BenchmarkDefaults
{
    private static final long CHANNEL_ID = 1;
    private static final long SETTLE_MAX_MS = 60_000;

    /**
     * A folder per trial; per iteration, what the measurement starts from, deleted after it.
     */
    @State(Scope.Thread)
    public abstract static class CreationState
    {
        @Param({ "67108864", "1073741824" })
        long segmentCapacity;

        /**
         * Before each measurement, wait until the host has taken back the memory the last one freed
         * ({@link HostMemory}): what a journal that keeps everything meets in steady state. Without it most
         * measurements re-use memory freed moments before, still backed and cheaper.
         */
        @Param({ "false" })
        boolean settleHostMemory;

        Path root;
        Path folder;
        int iteration;

        /**
         * The trial's folder.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-creation-" + getClass().getSimpleName() + "-");
        }

        /**
         * A fresh folder for the iteration, then what the measurement starts from.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            folder = root.resolve("iteration-" + ++iteration);
            prepare();
            if (settleHostMemory)
            {
                HostMemory.awaitReportingSettled(SETTLE_MAX_MS);
            }
        }

        /**
         * Close what was made and delete it.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            release();
            Storage.delete(folder);
        }

        /**
         * Delete the trial's folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            Storage.delete(root);
        }

        void prepare()
        {
        }

        abstract void release();

        final ChannelWriter.Context channelContext(final boolean preTouch)
        {
            return new ChannelWriter.Context()
                .root(folder)
                .channelId(CHANNEL_ID)
                .capacity(segmentCapacity)
                .preTouch(preTouch);
        }
    }

    /**
     * A journal whose first segment exists, created before the window.
     */
    @State(Scope.Thread)
    public static class JournalCreationState extends CreationState
    {
        JournalWriter writer;

        void prepare()
        {
            writer = JournalWriter.create(new JournalWriter.Context().folder(folder).segmentCapacity(segmentCapacity));
        }

        void release()
        {
            final boolean isMade = Files.exists(JournalDescriptor.segmentPath(folder, segmentCapacity)); // on standby
            writer.close();
            if (!isMade)
            {
                throw new IllegalStateException("the duty cycle made no next segment: " + writer.lastRollFailure());
            }
        }
    }

    /**
     * The channel made in the window.
     */
    @State(Scope.Thread)
    public static class ChannelState extends CreationState
    {
        ChannelWriter writer;

        void release()
        {
            writer.close();
        }
    }

    /**
     * A retired channel of the same capacity, made and pre-touched before the window, for a channel to re-use its
     * file: what a recycling journal's creator starts from.
     */
    @State(Scope.Thread)
    public static class ReusingState extends ChannelState
    {
        Path retired;

        void prepare()
        {
            final ChannelWriter old = ChannelWriter.create(channelContext(true).channelId(CHANNEL_ID + 1));
            retired = old.path();
            old.close();
        }
    }

    /**
     * A channel made and pre-touched by its writer before the window, for its reader to open in it.
     */
    @State(Scope.Thread)
    public static class ReaderState extends ChannelState
    {
        ChannelReader reader;

        void prepare()
        {
            writer = ChannelWriter.create(channelContext(true));
        }

        void release()
        {
            reader.close();
            super.release();
        }
    }

    /**
     * A journal writer's duty cycle making its next segment.
     *
     * @param state of the trial.
     * @return work done.
     */
    @Benchmark
    public int journalSegment(final JournalCreationState state)
    {
        return state.writer.doWork();
    }

    /**
     * A channel made with the writer's pre-touch.
     *
     * @param state of the trial.
     * @return the channel's writer.
     */
    @Benchmark
    public ChannelWriter channelPreTouched(final ChannelState state)
    {
        return state.writer = ChannelWriter.create(state.channelContext(true));
    }

    /**
     * A channel made without pre-touch.
     *
     * @param state of the trial.
     * @return the channel's writer.
     */
    @Benchmark
    public ChannelWriter channelNotPreTouched(final ChannelState state)
    {
        return state.writer = ChannelWriter.create(state.channelContext(false));
    }

    /**
     * A channel made in the file of a retired one ({@link ChannelWriter#createReusing}): renamed, its header and
     * first record word zeroed, new header (its writer clears the rest record by record as it writes).
     *
     * @param state of the trial.
     * @return the channel's writer.
     */
    @Benchmark
    public ChannelWriter channelReusing(final ReusingState state)
    {
        return state.writer = ChannelWriter.createReusing(state.channelContext(false), state.retired);
    }

    /**
     * A reader opened with pre-touch on a channel made before the window.
     *
     * @param state of the trial.
     * @return the reader.
     */
    @Benchmark
    public ChannelReader readerPreTouch(final ReaderState state)
    {
        return state.reader = Storage.openReader(state.writer.path(), true);
    }
}
