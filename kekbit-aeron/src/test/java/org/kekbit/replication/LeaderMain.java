package org.kekbit.replication;

import java.nio.file.Paths;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelWriter;

/**
 * A leader in a JVM of its own, for the two-host tests:
 * {@code LeaderMain AERON_DIR CHANNEL_ROOT CONTROL_ENDPOINT RECORDS}. Writes the records at a steady pace while
 * serving them, closes the channel, and exits 0 once a follower acknowledged its end.
 */
public final class LeaderMain
{
    /**
     * Channel the leader writes.
     */
    public static final long CHANNEL_ID = 0x42_0000_0003L;

    /**
     * Longest record written, longer than a chunk so it goes in parts.
     */
    public static final int LONG_RECORD_LENGTH = 3 * 4096 + 1000;

    private LeaderMain()
    {
    }

    /**
     * Run the leader.
     *
     * @param args the aeron directory, the channel root, the control endpoint and the number of records.
     */
    public static void main(final String[] args)
    {
        final long records = Long.parseLong(args[3]);
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 100_000);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[LONG_RECORD_LENGTH]);
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(Paths.get(args[0]), 0, 0);
            ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
                .root(Paths.get(args[1])).channelId(CHANNEL_ID).capacity(64 * 1024 * 1024)
                .maxRecordLength(64 * 1024).preTouch(false));
            ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
                .aeron(driver.aeron())
                .controlEndpoint(args[2])
                .channelPath(writer.path())
                .termLength(1024 * 1024)
                .maxChunkLength(4096)))
        {
            System.out.println("serving " + writer.path());
            long seq = 0;
            long lastWriteNs = System.nanoTime();
            while (seq < records)
            {
                final long nowNs = System.nanoTime();
                if (nowNs - lastWriteNs >= 2_000_000) // 10 records per 2 ms: a live stream of some seconds
                {
                    for (int i = 0; i < 10 && seq < records; i++)
                    {
                        ReplicationTestSupport.write(
                            writer, scratch, seq, ReplicationTestSupport.recordLength(seq, LONG_RECORD_LENGTH));
                        seq++;
                    }
                    lastWriteNs = nowNs;
                }
                idle.idle(source.doWork() + writer.doWork());
            }
            final long end = writer.position();
            writer.close();
            while (!source.isEndAcknowledged())
            {
                idle.idle(source.doWork());
            }
            System.out.println("written " + seq + " records, position " + end);
        }
    }
}
