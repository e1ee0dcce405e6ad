package org.kekbit.tool;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelReaderAgent;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kekbit bench [--mode throughput|latency] [--rate N] [--warmup N] [--records N] [--payload BYTES]
 * [--root DIR]}: a writer thread writes records while a reader thread, an agent on a busy-spinning
 * {@link AgentRunner}, reads them and checks their sequence. Two kinds of run, never mixed in one figure:
 * <ul>
 *     <li>{@code throughput} (the default): the writer writes as fast as it can. Prints records/s and MB/s of
 *     payload for the writer and end to end. Each record carries the time it was written, and the delay to its read
 *     is printed too, labelled as what it is: queueing delay behind the flood, not latency.</li>
 *     <li>{@code latency}: the writer writes {@code --rate} records per second, record {@code n} due at
 *     {@code start + n / rate}, spinning between records. Each record carries its intended send time, not the time
 *     it was written, so a writer that falls behind has its delay counted (no coordinated omission). The first
 *     {@code --warmup} records are left out. Prints latency percentiles in microseconds, from intended send time
 *     to read.</li>
 * </ul>
 * Then it deletes the channel, its folder when empty, and the root when this run created it.
 */
@Command(
    name = "bench",
    description = "Measure a channel: a writer thread and a reader thread exchange records. --mode throughput " +
        "(default): the writer floods, print records/s and MB/s. --mode latency: the writer sends --rate " +
        "records/s, print latency percentiles in us from each record's intended send time. The channel is " +
        "deleted afterwards.")
final class BenchCommand implements Callable<Integer>
{
    /**
     * High half of the ids of benchmark channels, "benc" in ASCII: they all live in one folder under the root.
     */
    private static final long CHANNEL_ID_HIGH = 0x6265_6e63L << 32;
    private static final int MSG_TYPE_ID = 1;
    private static final int TIMESTAMP_OFFSET = 0;
    private static final int SEQUENCE_OFFSET = TIMESTAMP_OFFSET + Long.BYTES;
    private static final int MIN_PAYLOAD_LENGTH = SEQUENCE_OFFSET + Long.BYTES;
    private static final int WRITES_PER_DUTY_CYCLE = 1024;
    private static final int POLL_LIMIT = 1024;
    private static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(60);
    private static final long DEFAULT_RATE = 100_000;

    /**
     * The two kinds of run.
     */
    enum Mode
    {
        /**
         * The writer writes as fast as it can.
         */
        THROUGHPUT,

        /**
         * The writer writes at a fixed rate.
         */
        LATENCY
    }

    private final PrintStream out;

    @Spec
    private CommandSpec spec;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "THROUGHPUT",
        description = "throughput (the writer floods; records/s and MB/s) or latency (the writer sends --rate " +
            "records/s; percentiles from each record's intended send time); default throughput.")
    private Mode mode;

    @Option(names = "--rate", paramLabel = "N",
        description = "Records per second of a latency run; default 100000.")
    private Long rate;

    @Option(names = "--warmup", paramLabel = "N",
        description = "Records at the start of a latency run left out of its percentiles; default a tenth of " +
            "--records.")
    private Long warmup;

    @Option(names = "--records", paramLabel = "N", defaultValue = "1000000",
        description = "Records to exchange; default 1000000.")
    private long records;

    @Option(names = "--payload", paramLabel = "BYTES", defaultValue = "32",
        description = "Payload length of each record, at least 16; default 32.")
    private int payloadLength;

    @Option(names = "--root", paramLabel = "DIR",
        description = "Folder for the channel; default /dev/shm/kekbit, or kekbit in the temp folder.")
    private Path root;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    BenchCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * Run the benchmark and print the figures.
     *
     * @return {@link KekbitTool#EXIT_OK}, or fails with {@link KekbitTool#EXIT_FAILED} when records were lost or
     * out of order.
     */
    public Integer call()
    {
        AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        final long capacity = capacity();
        final long intervalNs = intervalNs();
        final long warmupRecords = warmupRecords();
        final Path rootFolder = null != root ? root : ChannelWriter.Context.defaultRoot();
        final boolean isRootCreated = !Files.exists(rootFolder);
        final ChannelWriter writer = createChannel(capacity);
        final Path path = writer.path();
        try
        {
            if (Mode.LATENCY == mode)
            {
                out.printf(Locale.ROOT, "bench: latency run: %,d records of %d bytes at %,d/s through %s%n",
                    records, payloadLength, TimeUnit.SECONDS.toNanos(1) / intervalNs, path);
                out.printf(Locale.ROOT, "  writer thread spins until each record's intended send time; reader " +
                    "agent on a busy-spinning AgentRunner; %d cores; warm-up: the first %,d records (%.2f s) are " +
                    "not measured%n", Runtime.getRuntime().availableProcessors(), warmupRecords,
                    warmupRecords * intervalNs / 1e9);
            }
            else
            {
                out.printf(Locale.ROOT, "bench: throughput run: %,d records of %d bytes through %s%n",
                    records, payloadLength, path);
                out.printf(Locale.ROOT, "  writer thread writes as fast as it can; reader agent on a " +
                    "busy-spinning AgentRunner; %d cores%n", Runtime.getRuntime().availableProcessors());
            }
            out.flush();
            return exchange(writer, intervalNs, warmupRecords);
        }
        finally
        {
            writer.close();
            deleteQuietly(path);
            // Leave no empty folder behind: the channel's own, and the root if this run made it.
            deleteQuietly(path.getParent());
            if (isRootCreated)
            {
                deleteQuietly(rootFolder);
            }
        }
    }

    private long capacity()
    {
        if (records <= 0)
        {
            throw new ParameterException(spec.commandLine(),
                "Invalid value for option '--records': expected > 0, actual=" + records);
        }
        if (payloadLength < MIN_PAYLOAD_LENGTH)
        {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--payload': expected >= " +
                MIN_PAYLOAD_LENGTH + ", actual=" + payloadLength);
        }

        final long alignedLength =
            RecordDescriptor.alignedLength(RecordDescriptor.frameLength(payloadLength), RecordDescriptor.ALIGNMENT);
        if (payloadLength > ChannelDescriptor.maxRecordLengthLimit(ChannelDescriptor.MAX_CAPACITY) ||
            records > ChannelDescriptor.MAX_CAPACITY / alignedLength)
        {
            throw new ParameterException(spec.commandLine(), "--records x --payload too large for one channel: " +
                "at most " + ChannelDescriptor.MAX_CAPACITY + " bytes, records take " + alignedLength +
                " bytes each with their headers");
        }

        return Math.max(ChannelDescriptor.MIN_CAPACITY, records * alignedLength);
    }

    private long intervalNs()
    {
        if (Mode.THROUGHPUT == mode)
        {
            if (null != rate)
            {
                throw new ParameterException(spec.commandLine(),
                    "Option '--rate' applies to '--mode latency' only: a throughput run floods the channel");
            }
            return 0;
        }

        final long recordsPerSecond = null == rate ? DEFAULT_RATE : rate;
        if (recordsPerSecond <= 0 || recordsPerSecond > TimeUnit.SECONDS.toNanos(1))
        {
            throw new ParameterException(spec.commandLine(),
                "Invalid value for option '--rate': expected 1 to 1000000000, actual=" + recordsPerSecond);
        }
        return TimeUnit.SECONDS.toNanos(1) / recordsPerSecond;
    }

    private long warmupRecords()
    {
        if (Mode.THROUGHPUT == mode)
        {
            if (null != warmup)
            {
                throw new ParameterException(spec.commandLine(),
                    "Option '--warmup' applies to '--mode latency' only: a throughput run measures every record");
            }
            return 0;
        }

        final long warmupRecords = null == warmup ? records / 10 : warmup;
        if (warmupRecords < 0 || warmupRecords >= records)
        {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--warmup': expected 0 to " +
                (records - 1) + " (fewer than --records), actual=" + warmupRecords);
        }
        return warmupRecords;
    }

    private ChannelWriter createChannel(final long capacity)
    {
        final ChannelWriter.Context ctx = new ChannelWriter.Context()
            .capacity(capacity)
            .maxRecordLength(payloadLength);
        if (null != root)
        {
            ctx.root(root);
        }

        while (true)
        {
            try
            {
                return ChannelWriter.create(
                    ctx.channelId(CHANNEL_ID_HIGH | ThreadLocalRandom.current().nextLong(1L << 32)));
            }
            catch (final ChannelException ex)
            {
                if (ChannelException.Reason.ALREADY_EXISTS != ex.reason())
                {
                    throw ex;
                }
            }
        }
    }

    private int exchange(final ChannelWriter writer, final long intervalNs, final long warmupRecords)
    {
        final LatencyRecorder recorder = new LatencyRecorder(warmupRecords);
        final ChannelReaderAgent readerAgent = new ChannelReaderAgent(
            ChannelReader.open(writer.path()), recorder, POLL_LIMIT, SystemEpochClock.INSTANCE);
        final Throwable[] readerError = new Throwable[1];
        final AgentRunner readerRunner = new AgentRunner(new BusySpinIdleStrategy(),
            (ex) -> readerError[0] = ex instanceof AgentTerminationException ? readerError[0] : ex, null, readerAgent);
        final Publisher publisher = new Publisher(writer, records, payloadLength, intervalNs);
        final Thread writerThread = new Thread(publisher, "kekbit-bench-writer");

        final long startNs = System.nanoTime();
        final Thread readerThread = AgentRunner.startOnThread(readerRunner);
        writerThread.start();
        join(writerThread);
        join(readerThread);
        readerRunner.close();

        final long writerNs = publisher.endNs - startNs;
        final long readerNs = recorder.lastRecordNs - startNs;
        final ChannelState endState = readerAgent.endState();
        final boolean isComplete = records == recorder.count && 0 == recorder.outOfOrder &&
            ChannelState.CLOSED == endState;
        out.printf(Locale.ROOT, "writer: %,d records in %.3f s: %s%n",
            publisher.written, writerNs / 1e9, rates(publisher.written, writerNs));
        out.printf(Locale.ROOT, "reader: %,d records in %.3f s: %s (end to end), state %s, %s%n",
            recorder.count, readerNs / 1e9, rates(recorder.count, readerNs), endState,
            isComplete ? "every record in order" : recorder.outOfOrder + " out of order");
        final Histogram histogram = recorder.histogram;
        out.printf(Locale.ROOT, "%s (%,d records): p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f%n",
            Mode.LATENCY == mode ? "latency us, from intended send time to read" :
                "queueing delay us, from write to read behind the flood (not latency: see --mode latency)",
            histogram.getTotalCount(),
            histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(90) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
            histogram.getMaxValue() / 1e3);
        out.flush();

        if (null != publisher.error || null != readerError[0] || !isComplete)
        {
            final Throwable error = null != publisher.error ? publisher.error : readerError[0];
            throw new ToolException(KekbitTool.EXIT_FAILED, "benchmark failed: " + (null != error ?
                error.getMessage() : recorder.count + " of " + records + " records read, channel " + endState));
        }

        return KekbitTool.EXIT_OK;
    }

    private String rates(final long count, final long elapsedNs)
    {
        final double seconds = Math.max(elapsedNs, 1) / 1e9;
        return String.format(Locale.ROOT, "%,.0f records/s, %.1f MB/s",
            count / seconds, count * (double)payloadLength / seconds / 1e6);
    }

    private static void join(final Thread thread)
    {
        try
        {
            thread.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ToolException(KekbitTool.EXIT_FAILED, "interrupted while waiting for " + thread.getName());
        }
    }

    /**
     * Delete a file, or a folder if it is empty.
     */
    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignore)
        {
            // A folder still in use is not empty and stays; a leftover benchmark channel blocks nobody: the next run
            // picks another id.
        }
    }

    /**
     * Writes the records on its own thread, as fast as it can or each at its intended send time, then closes the
     * channel so the reader ends.
     */
    private static final class Publisher implements Runnable
    {
        private final ChannelWriter writer;
        private final UnsafeBuffer payload;
        private final long records;
        private final long intervalNs;
        private long written;
        private long endNs;
        private Throwable error;

        Publisher(final ChannelWriter writer, final long records, final int payloadLength, final long intervalNs)
        {
            this.writer = writer;
            this.records = records;
            this.payload = new UnsafeBuffer(new byte[payloadLength]);
            this.intervalNs = intervalNs;
        }

        public void run()
        {
            try
            {
                final ChannelWriter writer = this.writer;
                final UnsafeBuffer payload = this.payload;
                final int length = payload.capacity();
                final long intervalNs = this.intervalNs;
                final long startNs = System.nanoTime();
                while (written < records)
                {
                    final long timestampNs;
                    if (0 == intervalNs)
                    {
                        timestampNs = System.nanoTime();
                    }
                    else
                    {
                        // The intended send time, whether or not the writer is on time: a late record's delay counts.
                        timestampNs = startNs + written * intervalNs;
                        while (System.nanoTime() < timestampNs)
                        {
                            Thread.onSpinWait();
                        }
                    }
                    payload.putLong(SEQUENCE_OFFSET, written, ByteOrder.LITTLE_ENDIAN);
                    payload.putLong(TIMESTAMP_OFFSET, timestampNs, ByteOrder.LITTLE_ENDIAN);
                    final long result = writer.write(MSG_TYPE_ID, payload, 0, length);
                    if (result < 0)
                    {
                        throw new IllegalStateException("write failed at record " + written + ": code=" + result);
                    }
                    if (0 == (++written % WRITES_PER_DUTY_CYCLE))
                    {
                        writer.doWork();
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                error = ex;
            }
            finally
            {
                endNs = System.nanoTime();
                writer.close();
            }
        }
    }

    /**
     * Checks the sequence and records the delay of each record after the warm-up, on the reader's thread.
     */
    private static final class LatencyRecorder implements RecordHandler
    {
        private final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NS, 3);
        private final long warmupRecords;
        private long count;
        private long outOfOrder;
        private long lastRecordNs;

        LatencyRecorder(final long warmupRecords)
        {
            this.warmupRecords = warmupRecords;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long nowNs = System.nanoTime();
            if (count >= warmupRecords)
            {
                final long latencyNs = nowNs - buffer.getLong(offset + TIMESTAMP_OFFSET, ByteOrder.LITTLE_ENDIAN);
                histogram.recordValue(Math.min(Math.max(latencyNs, 0), HIGHEST_TRACKABLE_NS));
            }
            if (buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN) != count)
            {
                outOfOrder++;
            }
            count++;
            lastRecordNs = nowNs;
        }
    }
}
