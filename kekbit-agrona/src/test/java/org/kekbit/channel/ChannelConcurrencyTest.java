package org.kekbit.channel;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One writer, four reader threads in this JVM and two reader JVMs ({@link ChildMain} role checksum) on one channel
 * of small records, all running at once: every reader delivers every record in order and its checksum equals the
 * writer's. With 10 million records (or {@code -Dkekbit.concurrency.records=N}, up to about 130 million) on 2 cores
 * the readers often catch up with the writer and read records the moment they are committed, which is what
 * exercises the release-store of the frame length against the readers' acquire-load.
 * <p>
 * The channel lives on /dev/shm where there is one, as channels do by default.
 */
class ChannelConcurrencyTest
{
    private static final long RECORDS = Long.getLong("kekbit.concurrency.records", 10_000_000L);
    private static final int READER_THREADS = 4;
    private static final int READER_PROCESSES = 2;
    private static final int DUTY_CYCLE_RECORDS = 4096;
    private static final long AWAIT_MS = 30_000;

    private Path root;
    private final List<ChildProcess> children = new ArrayList<>();
    private final ExecutorService executor = Executors.newFixedThreadPool(READER_THREADS);

    @BeforeEach
    void createRoot() throws Exception
    {
        final Path shm = Path.of("/dev/shm");
        root = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "kekbit-concurrency") : Files.createTempDirectory("kekbit-concurrency");
    }

    @AfterEach
    void stop()
    {
        children.forEach(ChildProcess::close);
        executor.shutdownNow();
        IoUtil.delete(root.toFile(), true);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldGiveEveryReaderTheWritersChecksumWhenThreadsAndProcessesReadWhileWriterWrites() throws Exception
    {
        final ChannelWriter.Context ctx = new ChannelWriter.Context().root(root).channelId(1)
            .capacity(RECORDS * RecordDescriptor.alignedLength(
                RecordDescriptor.frameLength(SequenceChecksum.LENGTH), RecordDescriptor.ALIGNMENT) +
            ChannelDescriptor.MIN_CAPACITY)
            .timeoutMs(60_000).conclude();
        for (int i = 0; i < READER_PROCESSES; i++)
        {
            final ChildProcess child = ChildProcess.start("checksum-" + i, ChildMain.CHECKSUM,
                ctx.path().toString(), String.valueOf(AWAIT_MS));
            children.add(child);
        }

        final SequenceChecksum written = new SequenceChecksum();
        final long startNs;
        final long writtenNs;
        final List<Future<SequenceChecksum>> threads = new ArrayList<>();
        try (ChannelWriter writer = ChannelWriter.create(ctx))
        {
            final CountDownLatch opened = new CountDownLatch(READER_THREADS);
            for (int i = 0; i < READER_THREADS; i++)
            {
                threads.add(executor.submit(() -> readToEnd(ctx.path(), opened)));
            }
            assertTrue(opened.await(AWAIT_MS, TimeUnit.MILLISECONDS));
            for (final ChildProcess child : children)
            {
                child.awaitLine("OPENED");
            }

            startNs = System.nanoTime();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SequenceChecksum.LENGTH]);
            for (long sequence = 0; sequence < RECORDS; sequence++)
            {
                final int msgTypeId = SequenceChecksum.msgTypeId(sequence);
                buffer.putLong(0, sequence, ByteOrder.LITTLE_ENDIAN);
                final long result = writer.write(msgTypeId, buffer, 0, SequenceChecksum.LENGTH);
                if (result < 0)
                {
                    throw new AssertionError("write failed: result=" + result + ", sequence=" + sequence);
                }
                written.add(msgTypeId, sequence);
                if (0 == (sequence & (DUTY_CYCLE_RECORDS - 1)))
                {
                    writer.doWork();
                }
            }
            writtenNs = System.nanoTime() - startNs;
        }

        for (final Future<SequenceChecksum> thread : threads)
        {
            final SequenceChecksum read = thread.get(AWAIT_MS, TimeUnit.MILLISECONDS);
            assertEquals(0, read.errors());
            assertEquals(RECORDS, read.records());
            assertEquals(written.hash(), read.hash());
        }
        for (final ChildProcess child : children)
        {
            final Map<String, String> result = child.awaitValues("CHECKSUM");
            assertEquals("0", result.get("errors"), child::transcript);
            assertEquals(String.valueOf(RECORDS), result.get("records"), child::transcript);
            assertEquals(String.valueOf(written.hash()), result.get("hash"), child::transcript);
            assertEquals(ChannelState.CLOSED.name(), result.get("state"), child::transcript);
            assertEquals(0, child.awaitExit(), child::transcript);
        }
        final long elapsedNs = System.nanoTime() - startNs;

        System.out.println("ChannelConcurrencyTest: records=" + RECORDS + ", " + READER_THREADS +
            " reader threads and " + READER_PROCESSES + " reader processes each verified " + RECORDS + " records (" +
            (READER_THREADS + READER_PROCESSES) * RECORDS + " in all), writer " +
            RECORDS * 1000 / Math.max(1, TimeUnit.NANOSECONDS.toMicros(writtenNs)) + "k records/s, all read after " +
            TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms");
    }

    private static SequenceChecksum readToEnd(final Path path, final CountDownLatch opened)
    {
        final SequenceChecksum checksum = new SequenceChecksum();
        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        try (ChannelReader reader = ChannelReader.open(path))
        {
            opened.countDown();
            int workCount;
            while ((workCount = reader.poll(checksum, 4096)) > 0 || !reader.state().isEnd())
            {
                idleStrategy.idle(workCount);
            }
            assertEquals(ChannelState.CLOSED, reader.state());
        }
        return checksum;
    }
}
