package org.kekbit.samples;

import java.io.PrintStream;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Properties;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;

/**
 * The writing half of a throughput run between two processes: writes {@code kekbit.sample.records} records of
 * {@code kekbit.sample.payload} bytes, each starting with its sequence number, as fast as it can, then closes the
 * channel. Run {@link IpcThroughputReader} in another terminal, before or after:
 * <pre>
 * bin/sample IpcThroughputReader
 * bin/sample IpcThroughputWriter
 * </pre>
 * The channel is on /dev/shm by default (see {@link SampleChannels}), id {@value #DEFAULT_CHANNEL_ID}; 10,000,000
 * records of 32 bytes by default. The writer never waits for the reader: the channel holds every record, and the
 * reader deletes it once it has read it to the end.
 */
public final class IpcThroughputWriter
{
    /**
     * Channel id when {@value SampleChannels#CHANNEL_PROPERTY} is not set.
     */
    public static final long DEFAULT_CHANNEL_ID = 4;

    /**
     * System property holding the number of records.
     */
    public static final String RECORDS_PROPERTY = "kekbit.sample.records";

    /**
     * System property holding the payload length of each record.
     */
    public static final String PAYLOAD_PROPERTY = "kekbit.sample.payload";

    /**
     * Records to write when {@value #RECORDS_PROPERTY} is not set.
     */
    public static final long DEFAULT_RECORDS = 10_000_000;

    /**
     * Payload length when {@value #PAYLOAD_PROPERTY} is not set.
     */
    public static final int DEFAULT_PAYLOAD_LENGTH = 32;

    /**
     * Shortest payload: the sequence number.
     */
    public static final int MIN_PAYLOAD_LENGTH = 8;

    /**
     * Type id of the records.
     */
    static final int MSG_TYPE_ID = 1;

    private static final int WRITES_PER_DUTY_CYCLE = 1024;

    private IpcThroughputWriter()
    {
    }

    /**
     * Write the records with the settings of the system properties.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(System.getProperties(), args, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit properties and streams.
     *
     * @param properties to read the settings from.
     * @param args       none.
     * @param out        for the figures.
     * @param err        for the one line of an error.
     * @return the exit status: 0 when every record was written, 2 on bad input.
     */
    public static int launch(
        final Properties properties, final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            SampleMain.checkNoArguments(args);
            final SampleChannels channels = SampleChannels.fromProperties(properties, DEFAULT_CHANNEL_ID, "backoff");
            final long records = SampleChannels.longProperty(properties, RECORDS_PROPERTY, DEFAULT_RECORDS);
            final long payload = SampleChannels.longProperty(properties, PAYLOAD_PROPERTY, DEFAULT_PAYLOAD_LENGTH);
            run(channels, records, payload, out);
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * Create a channel just large enough, write the records and close it.
     *
     * @param channels      settings: root, channel id and idle strategy.
     * @param records       to write.
     * @param payloadLength of each record, at least {@value #MIN_PAYLOAD_LENGTH}.
     * @param out           for the figures.
     * @return the time writing took, creation excluded, in nanoseconds.
     * @throws IllegalArgumentException            when records or payload length are out of range.
     * @throws org.kekbit.channel.ChannelException when the channel cannot be created, for example when it exists.
     */
    public static long run(
        final SampleChannels channels, final long records, final long payloadLength, final PrintStream out)
    {
        final long capacity = capacityFor(records, payloadLength);
        final long createStartNs = System.nanoTime();
        final ChannelWriter writer = ChannelWriter.create(channels.writerContext(channels.channelId())
            .capacity(capacity)
            .maxRecordLength((int)payloadLength));
        final long createNs = System.nanoTime() - createStartNs;
        out.printf(Locale.ROOT, "writer: %,d records of %d bytes to %s (%,d bytes, created in %.1f ms)%n",
            records, payloadLength, writer.path(), ChannelDescriptor.fileLength(capacity), createNs / 1e6);
        out.flush();

        final Publisher publisher = new Publisher(writer, records, (int)payloadLength);
        final long startNs = System.nanoTime();
        SampleMain.runOnThisThread(new CompositeAgent(publisher, writer), channels.newIdleStrategy());
        final long elapsedNs = publisher.endNs - startNs;

        out.printf(Locale.ROOT, "writer: %,d records in %.3f s: %s, channel closed%n",
            records, elapsedNs / 1e9, rates(records, records * payloadLength, elapsedNs));

        return elapsedNs;
    }

    /**
     * Records/s and MB/s of payload.
     *
     * @param records   moved.
     * @param bytes     of payload moved.
     * @param elapsedNs time it took.
     * @return the rates as text.
     */
    static String rates(final long records, final long bytes, final long elapsedNs)
    {
        final double seconds = Math.max(elapsedNs, 1) / 1e9;
        return String.format(Locale.ROOT, "%.2f M records/s, %.0f MB/s of payload",
            records / seconds / 1e6, bytes / seconds / 1e6);
    }

    private static long capacityFor(final long records, final long payloadLength)
    {
        final long maxPayloadLength = ChannelDescriptor.maxRecordLengthLimit(ChannelDescriptor.MAX_CAPACITY);
        if (payloadLength < MIN_PAYLOAD_LENGTH || payloadLength > maxPayloadLength)
        {
            throw new IllegalArgumentException(PAYLOAD_PROPERTY + " out of range: expected " + MIN_PAYLOAD_LENGTH +
                ".." + maxPayloadLength + ", actual=" + payloadLength);
        }

        final long recordLength = RecordDescriptor.alignedLength(RecordDescriptor.frameLength((int)payloadLength),
            RecordDescriptor.ALIGNMENT);
        final long maxRecords = ChannelDescriptor.MAX_CAPACITY / recordLength;
        if (records <= 0 || records > maxRecords)
        {
            throw new IllegalArgumentException(RECORDS_PROPERTY + " out of range for a payload of " + payloadLength +
                " bytes: expected 1.." + maxRecords + ", actual=" + records);
        }

        return Math.max(ChannelDescriptor.MIN_CAPACITY, records * recordLength);
    }

    /**
     * Writes the records in batches, then closes the channel and terminates.
     */
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
                final long result = writer.write(MSG_TYPE_ID, payload, 0, payload.capacity());
                if (result < 0)
                {
                    throw new IllegalStateException("record " + written + " not written: code=" + result);
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
            return "kekbit-ipc-throughput-writer";
        }
    }
}
