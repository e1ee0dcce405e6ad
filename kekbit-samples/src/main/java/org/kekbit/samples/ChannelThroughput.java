package org.kekbit.samples;

import java.io.PrintStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelReaderAgent;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;

/**
 * The main job: a writer and a reader, each an Agrona agent on its own thread, exchange records through a channel on
 * /dev/shm (or the temp folder where there is none) and report records/s and MB/s. Each record carries a sequence
 * number the reader checks, so the figures are for records delivered whole and in order.
 * <pre>
 * java -jar kekbit-samples/target/kekbit-samples.jar
 * java -Dkekbit.sample.records=1000000 -Dkekbit.sample.payload=288 -jar kekbit-samples/target/kekbit-samples.jar
 * </pre>
 */
public final class ChannelThroughput
{
    private static final int MSG_TYPE_ID = 1;
    private static final int WRITES_PER_DUTY_CYCLE = 1024;
    private static final int POLL_LIMIT = 1024;

    private ChannelThroughput()
    {
    }

    /**
     * Run with the settings of {@link SampleConfiguration#fromSystemProperties()}.
     *
     * @param args ignored.
     */
    public static void main(final String[] args)
    {
        try
        {
            final Result result = run(SampleConfiguration.fromSystemProperties(), System.out);
            System.exit(result.isValid() ? 0 : 1);
        }
        catch (final IllegalArgumentException | ChannelException ex)
        {
            System.err.println("kekbit: " + ex.getMessage());
            System.exit(2);
        }
    }

    /**
     * Exchange the records and print the figures.
     *
     * @param config settings.
     * @param out    to print to.
     * @return what the reader saw.
     */
    public static Result run(final SampleConfiguration config, final PrintStream out)
    {
        final long frameLength = RecordDescriptor.alignedLength(RecordDescriptor.frameLength(config.payloadLength()),
            RecordDescriptor.ALIGNMENT);
        final long capacity = Math.max(ChannelDescriptor.MIN_CAPACITY, config.records() * frameLength);
        if (capacity > ChannelDescriptor.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("records x payload too large for one channel: capacity needed=" +
                capacity + ", max=" + ChannelDescriptor.MAX_CAPACITY);
        }

        final long channelId = ProcessHandle.current().pid() << 32 | (System.nanoTime() & 0xFFFF_FFFFL);
        final long createStartNs = System.nanoTime();
        final ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(config.root())
            .channelId(channelId)
            .capacity(capacity)
            .maxRecordLength(config.payloadLength()));
        final long createNs = System.nanoTime() - createStartNs;
        final Path path = writer.path();

        out.printf(Locale.ROOT, "kekbit: %,d records of %d bytes through %s (%,d bytes, created in %.1f ms)%n",
            config.records(), config.payloadLength(), path, ChannelDescriptor.fileLength(capacity),
            createNs / 1e6);

        final SequenceChecker checker = new SequenceChecker(config.records());
        final ChannelReaderAgent readerAgent = new ChannelReaderAgent(
            ChannelReader.open(path), checker, POLL_LIMIT, SystemEpochClock.INSTANCE);
        final Publisher publisher = new Publisher(writer, config.records(), config.payloadLength());

        final AgentRunner readerRunner = new AgentRunner(
            new BusySpinIdleStrategy(), Throwable::printStackTrace, null, readerAgent);
        final AgentRunner writerRunner = new AgentRunner(
            new BusySpinIdleStrategy(), Throwable::printStackTrace, null, new CompositeAgent(publisher, writer));

        final long startNs = System.nanoTime();
        final Thread readerThread = AgentRunner.startOnThread(readerRunner);
        final Thread writerThread = AgentRunner.startOnThread(writerRunner);
        join(writerThread);
        join(readerThread);
        final long endToEndNs = checker.lastRecordNs - startNs;
        final long writerNs = publisher.endNs - startNs;
        readerRunner.close();
        writerRunner.close();

        final Result result = new Result(checker.count, checker.gaps, readerAgent.endState());
        out.printf(Locale.ROOT, "writer: %,d records in %.3f s: %s%n",
            publisher.written, writerNs / 1e9, rates(publisher.written, config.payloadLength(), writerNs));
        out.printf(Locale.ROOT, "reader: %,d records in %.3f s: %s (end to end)%n",
            checker.count, endToEndNs / 1e9, rates(checker.count, config.payloadLength(), endToEndNs));
        out.printf(Locale.ROOT, "reader: state %s, sequence gaps %d: %s%n",
            result.endState(), result.gaps(), result.isValid() ? "every record whole and in order" : "FAILED");

        if (!config.keep())
        {
            deleteQuietly(path);
        }
        else
        {
            out.println("kept " + path);
        }

        return result;
    }

    private static String rates(final long records, final int payloadLength, final long elapsedNs)
    {
        final double seconds = Math.max(elapsedNs, 1) / 1e9;
        return String.format(Locale.ROOT, "%.2f M records/s, %.0f MB/s of payload",
            records / seconds / 1e6, records * (double)payloadLength / seconds / 1e6);
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
        }
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignore)
        {
            // The file is in a temp folder; leaving it is harmless.
        }
    }

    /**
     * What the reader saw.
     *
     * @param records  delivered.
     * @param gaps     in the sequence numbers.
     * @param endState of the channel when the reader stopped.
     */
    public record Result(long records, long gaps, ChannelState endState)
    {
        /**
         * Whether every record arrived whole and in order and the channel ended closed.
         *
         * @return true when valid.
         */
        public boolean isValid()
        {
            return 0 == gaps && ChannelState.CLOSED == endState && records > 0;
        }
    }

    private static final class Publisher implements Agent
    {
        private final ChannelWriter writer;
        private final UnsafeBuffer payload;
        private final long records;
        private long written;
        private long endNs;

        Publisher(final ChannelWriter writer, final long records, final int payloadLength)
        {
            this.writer = writer;
            this.records = records;
            this.payload = new UnsafeBuffer(new byte[payloadLength]);
        }

        public int doWork()
        {
            final ChannelWriter writer = this.writer;
            final UnsafeBuffer payload = this.payload;
            final int batch = (int)Math.min(WRITES_PER_DUTY_CYCLE, records - written);
            for (int i = 0; i < batch; i++)
            {
                payload.putLong(0, written, ByteOrder.LITTLE_ENDIAN);
                if (writer.write(MSG_TYPE_ID, payload, 0, payload.capacity()) < 0)
                {
                    throw new IllegalStateException("write failed at record " + written);
                }
                written++;
            }

            if (written == records)
            {
                endNs = System.nanoTime();
                writer.close();
                throw new AgentTerminationException("all records written", true);
            }

            return batch;
        }

        public String roleName()
        {
            return "throughput-publisher";
        }
    }

    private static final class SequenceChecker implements RecordHandler
    {
        private final long expectedRecords;
        private long count;
        private long gaps;
        private long lastRecordNs;

        SequenceChecker(final long expectedRecords)
        {
            this.expectedRecords = expectedRecords;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN) != count || MSG_TYPE_ID != msgTypeId)
            {
                gaps++;
            }
            if (++count == expectedRecords)
            {
                lastRecordNs = System.nanoTime();
            }
        }
    }
}
