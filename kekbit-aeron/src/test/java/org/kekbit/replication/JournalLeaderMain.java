package org.kekbit.replication;

import java.nio.file.Paths;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.journal.JournalWriter;

/**
 * A journal's leader in a JVM of its own, for the two-host tests:
 * {@code JournalLeaderMain AERON_DIR FOLDER CONTROL_ENDPOINT RECORDS SEGMENT_CAPACITY RECORDS_PER_2MS}. Writes the
 * records of {@link ReplicationJournalLoopbackTest#write} at a steady pace (so the journal rolls while it is
 * served), closes the journal and exits 0 once a follower acknowledged its end.
 */
public final class JournalLeaderMain
{
    private JournalLeaderMain()
    {
    }

    /**
     * Run the leader.
     *
     * @param args the aeron directory, the journal folder, the control endpoint, the number of records, the segment
     *             capacity and how many records to write every 2 ms.
     */
    public static void main(final String[] args)
    {
        final long records = Long.parseLong(args[3]);
        final long segmentCapacity = Long.parseLong(args[4]);
        final int batch = Integer.parseInt(args[5]);
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 100_000);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[ReplicationTestSupport.LONG_RECORD_LENGTH]);
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(Paths.get(args[0]), 0, 0);
            JournalWriter writer = JournalWriter.create(
                ReplicationJournalLoopbackTest.journalContext(Paths.get(args[1])).segmentCapacity(segmentCapacity));
            ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
                .aeron(driver.aeron())
                .controlEndpoint(args[2])
                .channelPath(writer.folder())
                .termLength(1024 * 1024)
                .maxChunkLength(ReplicationTestSupport.MAX_CHUNK_LENGTH)))
        {
            System.out.println("serving " + writer.folder());
            long seq = 0;
            long lastWriteNs = System.nanoTime();
            while (seq < records)
            {
                final long nowNs = System.nanoTime();
                if (nowNs - lastWriteNs >= 2_000_000)
                {
                    for (int i = 0; i < batch && seq < records; i++)
                    {
                        ReplicationJournalLoopbackTest.write(writer, scratch, seq);
                        seq++;
                    }
                    lastWriteNs = nowNs;
                }
                idle.idle(source.doWork() + writer.doWork());
            }
            final long end = writer.position();
            final long rolls = writer.rolls();
            writer.close();
            while (!source.isEndAcknowledged())
            {
                idle.idle(source.doWork());
            }
            System.out.println("written " + seq + " records, position " + end + ", rolls " + rolls);
        }
    }
}
