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
 * {@code kekbit bench [--records N] [--payload BYTES] [--root DIR]}: a writer thread writes records as fast as it
 * can while a reader thread, an agent on a busy-spinning {@link AgentRunner}, reads them. Each payload carries the
 * writer's {@link System#nanoTime()} and a sequence number; the reader records the latency to its own
 * {@code nanoTime()} in an HdrHistogram and checks the sequence. Prints records/s, MB/s of payload and latency
 * percentiles in ns, then deletes the channel, its folder when empty, and the root when this run created it.
 * With the writer unthrottled, latency includes the time records queue in the channel while the reader catches up.
 */
@Command(
    name = "bench",
    description = "Measure a channel: a writer thread and a reader thread exchange records; print records/s, " +
        "MB/s and writer-to-reader latency percentiles in ns. The channel is deleted afterwards.")
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

    private final PrintStream out;

    @Spec
    private CommandSpec spec;

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
        final Path rootFolder = null != root ? root : ChannelWriter.Context.defaultRoot();
        final boolean isRootCreated = !Files.exists(rootFolder);
        final ChannelWriter writer = createChannel(capacity);
        final Path path = writer.path();
        try
        {
            out.printf(Locale.ROOT, "bench: %,d records of %d bytes through %s%n", records, payloadLength, path);
            out.flush();
            return exchange(writer);
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

        final long alignedLength = RecordDescriptor.alignedLength(RecordDescriptor.frameLength(payloadLength));
        if (payloadLength > ChannelDescriptor.maxRecordLengthLimit(ChannelDescriptor.MAX_CAPACITY) ||
            records > ChannelDescriptor.MAX_CAPACITY / alignedLength)
        {
            throw new ParameterException(spec.commandLine(), "--records x --payload too large for one channel: " +
                "at most " + ChannelDescriptor.MAX_CAPACITY + " bytes, records take " + alignedLength +
                " bytes each with their headers");
        }

        return Math.max(ChannelDescriptor.MIN_CAPACITY, records * alignedLength);
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

    private int exchange(final ChannelWriter writer)
    {
        final LatencyRecorder recorder = new LatencyRecorder();
        final ChannelReaderAgent readerAgent = new ChannelReaderAgent(
            ChannelReader.open(writer.path()), recorder, POLL_LIMIT, SystemEpochClock.INSTANCE);
        final Throwable[] readerError = new Throwable[1];
        final AgentRunner readerRunner = new AgentRunner(new BusySpinIdleStrategy(),
            (ex) -> readerError[0] = ex instanceof AgentTerminationException ? readerError[0] : ex, null, readerAgent);
        final Publisher publisher = new Publisher(writer, records, payloadLength);
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
        out.printf(Locale.ROOT, "latency ns: p50=%d p90=%d p99=%d p99.9=%d max=%d%n",
            histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90),
            histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
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
     * Writes the records on its own thread, then closes the channel so the reader ends.
     */
    private static final class Publisher implements Runnable
    {
        private final ChannelWriter writer;
        private final UnsafeBuffer payload;
        private final long records;
        private long written;
        private long endNs;
        private Throwable error;

        Publisher(final ChannelWriter writer, final long records, final int payloadLength)
        {
            this.writer = writer;
            this.records = records;
            this.payload = new UnsafeBuffer(new byte[payloadLength]);
        }

        public void run()
        {
            try
            {
                final ChannelWriter writer = this.writer;
                final UnsafeBuffer payload = this.payload;
                final int length = payload.capacity();
                while (written < records)
                {
                    payload.putLong(SEQUENCE_OFFSET, written, ByteOrder.LITTLE_ENDIAN);
                    payload.putLong(TIMESTAMP_OFFSET, System.nanoTime(), ByteOrder.LITTLE_ENDIAN);
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
     * Checks the sequence and records the latency of each record, on the reader's thread.
     */
    private static final class LatencyRecorder implements RecordHandler
    {
        private final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NS, 3);
        private long count;
        private long outOfOrder;
        private long lastRecordNs;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long nowNs = System.nanoTime();
            final long latencyNs = nowNs - buffer.getLong(offset + TIMESTAMP_OFFSET, ByteOrder.LITTLE_ENDIAN);
            histogram.recordValue(Math.min(Math.max(latencyNs, 0), HIGHEST_TRACKABLE_NS));
            if (buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN) != count)
            {
                outOfOrder++;
            }
            count++;
            lastRecordNs = nowNs;
        }
    }
}
