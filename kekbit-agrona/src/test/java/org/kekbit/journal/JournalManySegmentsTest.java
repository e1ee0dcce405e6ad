package org.kekbit.journal;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.RecordHandler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal of 10,000 tiny segments opens, and recovers from a crashed writer, in a time that does not grow with its
 * segments: opening and resuming list the folder once and touch only the segments they read, never every one. The
 * issue's figure is under 100 ms (docs/reliability.md: 11-66 ms, best of 5, under load); the test allows 250 ms, so a
 * loaded CI machine does not fail it, while mapping every segment (about 30 us each, 300 ms) still would. Built on
 * /dev/shm where there is one (on a disk, each roll's link also syncs the folder).
 */
class JournalManySegmentsTest
{
    private static final int SEGMENTS = 10_000;
    private static final long OPEN_LIMIT_NS = 250_000_000L;
    private static final int ATTEMPTS = 5;

    @TempDir
    Path tempDir;

    private Path folder;

    @BeforeEach
    void createFolder() throws IOException
    {
        final Path shm = Path.of("/dev/shm");
        folder = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "kekbit-journal-many-") : tempDir.resolve("journal");
    }

    @AfterEach
    void deleteFolder() throws IOException
    {
        if (Files.exists(folder))
        {
            try (Stream<Path> paths = Files.walk(folder))
            {
                paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
            }
        }
    }

    @Test
    @Timeout(120)
    void shouldOpenJournalOfTenThousandSegmentsInUnder100Ms()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[8]);
        long records = 0;
        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
            .folder(folder).segmentCapacity(128).preTouch(false).sequenceOffset(0)))
        {
            while (writer.rolls() < SEGMENTS - 1)
            {
                payload.putLong(0, records++, ByteOrder.LITTLE_ENDIAN);
                assertTrue(writer.write(1, payload, 0, 8) > 0);
                writer.doWork();
            }
        }
        assertEquals(SEGMENTS, JournalFiles.segmentBases(folder).size());

        final long[] lastSequence = new long[1];
        final RecordHandler handler = (msgTypeId, buffer, offset, length) ->
            lastSequence[0] = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
        long bestReaderOpenNs = Long.MAX_VALUE;
        long bestNamedOpenNs = Long.MAX_VALUE;
        long bestSeekNs = Long.MAX_VALUE;
        long bestResumeNs = Long.MAX_VALUE;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++)
        {
            long startNs = System.nanoTime();
            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)
                .sequenceOffset(0)))
            {
                assertEquals(1, reader.poll(handler, 1));
                bestReaderOpenNs = Math.min(bestReaderOpenNs, System.nanoTime() - startNs);
                assertEquals(0, lastSequence[0]);

                startNs = System.nanoTime();
                reader.seekToSequence(records / 2);
                assertEquals(1, reader.poll(handler, 1));
                bestSeekNs = Math.min(bestSeekNs, System.nanoTime() - startNs);
                assertEquals(records / 2, lastSequence[0]);
            }

            startNs = System.nanoTime();
            try (JournalReader named = JournalReader.open(new JournalReader.Context().folder(folder).name("n")))
            {
                assertEquals(1, named.poll(handler, 1));
                bestNamedOpenNs = Math.min(bestNamedOpenNs, System.nanoTime() - startNs);
            }

            startNs = System.nanoTime();
            try (JournalWriter reopened = JournalWriter.resume(new JournalWriter.Context().folder(folder)
                .preTouch(false)))
            {
                bestResumeNs = Math.min(bestResumeNs, System.nanoTime() - startNs);
                assertTrue(reopened.position() > 0);
            }
        }

        // Recovery after a crash: resume reads the last segment (and repairs the one before), never the journal.
        long bestRecoveryNs = Long.MAX_VALUE;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++)
        {
            final JournalWriter crashed = JournalWriter.resume(new JournalWriter.Context().folder(folder)
                .preTouch(false));
            payload.putLong(0, records++, ByteOrder.LITTLE_ENDIAN);
            final long crashedAt = crashed.write(1, payload, 0, 8);
            assertTrue(crashedAt > 0);
            JournalTestSupport.crash(crashed);

            final long startNs = System.nanoTime();
            try (JournalWriter recovered = JournalWriter.resume(new JournalWriter.Context().folder(folder)
                .preTouch(false)))
            {
                bestRecoveryNs = Math.min(bestRecoveryNs, System.nanoTime() - startNs);
                assertEquals(crashedAt, recovered.position());
            }
        }

        final String figures = "reader open and first poll " + bestReaderOpenNs / 1000 + " us, named reader " +
            bestNamedOpenNs / 1000 + " us, seek by sequence " + bestSeekNs / 1000 + " us, writer reopen " +
            bestResumeNs / 1000 + " us, recovery after a crash " + bestRecoveryNs / 1000 + " us (best of " +
            ATTEMPTS + ")";
        assertTrue(bestReaderOpenNs < OPEN_LIMIT_NS, figures);
        assertTrue(bestNamedOpenNs < OPEN_LIMIT_NS, figures);
        assertTrue(bestResumeNs < OPEN_LIMIT_NS, figures);
        assertTrue(bestSeekNs < OPEN_LIMIT_NS, figures);
        assertTrue(bestRecoveryNs < OPEN_LIMIT_NS, figures);
        System.out.println("JournalManySegmentsTest: " + SEGMENTS + " segments: " + figures);
    }
}
