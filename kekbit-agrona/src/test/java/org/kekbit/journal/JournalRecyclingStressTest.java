package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.IoUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kekbit.MappingReleaser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A recycling journal streamed at full speed through small segments, as the benchmarks run it but with a roll every
 * couple of hundred records: a writer thread, a named reader on its own thread with a prefetcher, and the segment
 * creator, the prefetcher and the mapping releaser on a helper thread that parks and is woken at each roll. The
 * reader must see every record once, in order: a segment read twice, skipped, or read from a file the writer is
 * re-using for a later segment fails the run with the sequence it found. Such races show up once in tens of
 * thousands of rolls, so the run is long: a prefetcher race of that kind (a segment made READY for the next base
 * between the reader's checks, taken as the one it wanted) skipped a segment once in about 150,000 rolls here.
 * <p>
 * 3 seconds in CI; {@code -Dkekbit.recyclingStressSeconds=N} for longer runs (and
 * {@code -Djunit.jupiter.execution.timeout.mode=disabled}).
 */
@Timeout(120)
class JournalRecyclingStressTest
{
    private static final long SECONDS = Long.getLong("kekbit.recyclingStressSeconds", 3);
    private static final int SEGMENT_CAPACITY = 256 * 1024;
    private static final int PAYLOAD_LENGTH = 288;
    private static final int RECORDS_BETWEEN_DUTY_CYCLES = 1023;

    private Path folder;

    @BeforeEach
    void createFolder() throws IOException
    {
        // On /dev/shm where there is one, as journals live by default: a disk folder's fsyncs slow the rolls 4x.
        final Path shm = Path.of("/dev/shm");
        folder = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "kekbit-recycling-stress") :
            Files.createTempDirectory("kekbit-recycling-stress");
    }

    @AfterEach
    void deleteFolder()
    {
        IoUtil.delete(folder.toFile(), true);
    }

    @Test
    void shouldDeliverEveryRecordOnceInOrderThroughRecycledSegmentsAtFullSpeed() throws InterruptedException
    {
        final MappingReleaser releaser = new MappingReleaser();
        final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();
        final AtomicReference<String> failure = new AtomicReference<>();
        final AtomicBoolean isWriting = new AtomicBoolean(true);
        final AtomicLong read = new AtomicLong();
        long written = 0;
        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context().folder(folder)
            .segmentCapacity(SEGMENT_CAPACITY).maxRecordLength(1024).preTouch(false).createSegmentsOnAgent(true)
            .retainedSegments(2).recycleSegments(true).mappingReleaser(releaser));
            AgentRunner helper = new AgentRunner(new SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(1)),
                Throwable::printStackTrace, null, new CompositeAgent(writer.segmentCreator(), prefetcher, releaser));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("stress")
                .prefetcher(prefetcher).mappingReleaser(releaser)))
        {
            AgentRunner.startOnThread(helper);
            final Thread readerThread = new Thread(() -> readInOrder(reader, isWriting, read, failure), "reader");
            readerThread.start();

            final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);
            final long endNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            while (System.nanoTime() < endNs && null == failure.get())
            {
                for (int i = 0; i < RECORDS_BETWEEN_DUTY_CYCLES; i++)
                {
                    payload.putLong(0, written);
                    long result;
                    while (JournalWriter.ROLL_FAILED == (result = writer.write(1, payload, 0, PAYLOAD_LENGTH)))
                    {
                        writer.doWork(); // takes the segment once the creator hands it over
                        Thread.yield();
                    }
                    if (result <= 0)
                    {
                        fail("write returned " + result);
                    }
                    written++;
                }
                writer.doWork(); // retires, re-uses, and wakes the creator after a roll
            }
            isWriting.set(false);
            readerThread.join();

            System.out.println("JournalRecyclingStressTest: " + writer.rolls() + " rolls, " + written +
                " records, " + writer.recycledSegments() + " segments in re-used files, " +
                reader.prefetchedSegments() + " prefetched");
            assertNull(failure.get());
            assertEquals(written, read.get(), "every record read");
            assertTrue(writer.rolls() > 1_000, "rolls: " + writer.rolls());
            assertTrue(writer.recycledSegments() > writer.rolls() / 2, "re-used: " + writer.recycledSegments());
        }
    }

    private static void readInOrder(
        final JournalReader reader, final AtomicBoolean isWriting, final AtomicLong read,
        final AtomicReference<String> failure)
    {
        final long[] expected = {0};
        while (null == failure.get())
        {
            final boolean wasWriting = isWriting.get();
            final int count = reader.poll((msgTypeId, buffer, offset, length) ->
            {
                final long sequence = buffer.getLong(offset);
                if (sequence != expected[0] || PAYLOAD_LENGTH != length)
                {
                    failure.compareAndSet(null, "expected sequence " + expected[0] + ", found " + sequence +
                        " (length " + length + ") before position " + reader.position());
                }
                expected[0] = sequence + 1;
            }, 256);
            if (count > 0)
            {
                reader.commit(); // lets retention retire, and the writer re-use, what it has read
                read.addAndGet(count);
            }
            else if (!wasWriting)
            {
                return; // nothing after the writer stopped: all read
            }
        }
    }
}
