package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks' journal with its helper agents on the writer's thread ({@link RollingJournal.HelperIdle#INVOKER}):
 * with no helper thread at all, every segment is still made by the creator agent and every crossing prepared by the
 * prefetcher, both run from the writer's duty cycle, and the reader takes every record once, in order.
 */
class RollingJournalTest
{
    private static final int PAYLOAD_LENGTH = 32;
    private static final int RECORDS = 100_000; // 40 B records through 256 KiB segments: 15 rolls
    private static final long SEGMENT_CAPACITY = 256 * 1024;

    @TempDir
    Path tempDir;

    @ParameterizedTest(name = "retainedSegments={0}")
    @ValueSource(ints = { 0, 2 })
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldMakeEverySegmentByTheCreatorAgentWhenHelperAgentsRunOnTheWritersThread(final int retainedSegments)
    {
        final Path folder = tempDir.resolve("journal");
        try (RollingJournal journal = new RollingJournal(folder, SEGMENT_CAPACITY, PAYLOAD_LENGTH,
            RollingJournal.ReaderSegments.PREFETCH, retainedSegments, 0, 0, RollingJournal.HelperIdle.INVOKER,
            RecordDescriptor.ALIGNMENT))
        {
            final JournalWriter writer = journal.writer();
            final JournalReader reader = journal.reader();
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);
            final long[] expected = { 0 };
            final RecordHandler checker = (msgTypeId, buffer, offset, length) ->
            {
                assertEquals(expected[0], buffer.getLong(offset), "sequence");
                assertEquals(PAYLOAD_LENGTH, length, "length");
                expected[0]++;
            };

            for (long sequence = 0; sequence < RECORDS; sequence++)
            {
                payload.putLong(0, sequence);
                long result;
                while ((result = writer.write(1, payload, 0, PAYLOAD_LENGTH)) < 0)
                {
                    journal.awaitRoll(result);
                }
                if (0 == (sequence & RollingJournal.DUTY_CYCLE_MASK))
                {
                    journal.dutyCycle();
                }
                if (reader.poll(checker, 256) > 0 && retainedSegments > 0)
                {
                    reader.commit();
                }
            }
            while (expected[0] < RECORDS)
            {
                journal.dutyCycle(); // the reader's last crossing may wait for the prefetcher
                reader.poll(checker, 256);
                journal.checkReader();
            }

            journal.checkHelper();
            assertEquals(RECORDS, expected[0], "records read");
            assertTrue(writer.rolls() >= 14, () -> "rolls: " + writer.rolls());
            assertEquals(0, writer.inlineSegmentCreations(), "segments the writer made itself, not the creator");
            assertTrue(reader.prefetchedSegments() >= writer.rolls() - 1,
                () -> "crossings prepared by the prefetcher: " + reader.prefetchedSegments() + " of " + writer.rolls());
            if (retainedSegments > 0)
            {
                assertTrue(writer.recycledSegments() > 0, "a bounded journal re-uses its retired segments");
            }
        }
    }
}
