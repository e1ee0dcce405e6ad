package org.kekbit.channel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelResumeTest
{
    private static final long TIMEOUT_MS = 1_000;
    private static final int CAPACITY = 64 * 1024;
    private static final int MAX_RECORD_LENGTH = 1024;

    @TempDir
    Path root;

    private final CachedEpochClock clock = new CachedEpochClock();

    /**
     * A writer that stops mid-claim without closing, as a crashed one does: its committed records stay, its
     * uncommitted claim leaves non-zero bytes behind the last record.
     */
    private ChannelWriter crashedWriter(final int records)
    {
        final ChannelWriter writer = stalledWriter(records);
        writer.crash();
        return writer;
    }

    /**
     * A writer still open in this JVM that stopped mid-claim and never runs its duty cycle again.
     */
    private ChannelWriter stalledWriter(final int records)
    {
        final ChannelWriter writer = ChannelWriter.create(context());
        for (int i = 0; i < records; i++)
        {
            assertTrue(writer.write(i, payload(i * 13 % 200, i), 0, i * 13 % 200) > 0);
        }
        final RecordClaim claim = new RecordClaim();
        assertTrue(writer.tryClaim(99, MAX_RECORD_LENGTH, claim) > 0);
        claim.buffer().setMemory(0, MAX_RECORD_LENGTH, (byte)0x7f);
        return writer;
    }

    @Test
    void shouldAppendAfterLastCommittedRecordWhenPreviousWriterIsGone()
    {
        final ChannelWriter crashed = crashedWriter(10);
        final long crashedPosition = crashed.position();
        clock.advance(TIMEOUT_MS + 1);

        try (ChannelWriter resumed = ChannelWriter.resume(context());
            ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(resumed.path())
                .epochClock(clock).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            assertEquals(crashedPosition, resumed.position());
            assertEquals(CAPACITY, resumed.capacity());
            assertEquals(MAX_RECORD_LENGTH, resumed.maxRecordLength());
            for (int i = 10; i < 15; i++)
            {
                assertTrue(resumed.write(i, payload(3, i), 0, 3) > 0);
            }
            resumed.close();

            final List<byte[]> seen = new ArrayList<>();
            final List<Integer> types = new ArrayList<>();
            reader.poll((msgTypeId, buffer, offset, length) ->
            {
                types.add(msgTypeId);
                seen.add(bytes(buffer, offset, length));
            }, 100);

            assertEquals(15, seen.size());
            for (int i = 0; i < 15; i++)
            {
                assertEquals(i, types.get(i));
                final int length = i < 10 ? i * 13 % 200 : 3;
                assertArrayEquals(bytes(payload(length, i), 0, length), seen.get(i), "record " + i);
            }
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldTurnAbandonedReaderOpenAgainWhenWriterResumes()
    {
        crashedWriter(3);
        try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context()
            .path(ChannelDescriptor.channelPath(root, 5)).epochClock(clock)
            .observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            assertEquals(3, reader.poll((msgTypeId, buffer, offset, length) -> {}, 100));
            clock.advance(TIMEOUT_MS + 1);
            assertEquals(ChannelState.ABANDONED, reader.state());

            try (ChannelWriter resumed = ChannelWriter.resume(context()))
            {
                assertEquals(ChannelState.OPEN, reader.state());
                resumed.write(42, payload(8, 1), 0, 8);
                final int[] type = new int[1];
                assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) -> type[0] = msgTypeId, 100));
                assertEquals(42, type[0]);
            }
        }
    }

    @Test
    void shouldRefuseWhenWriterIsOpenInThisProcessHoweverStaleItsHeartbeat()
    {
        final ChannelWriter stalled = stalledWriter(1);
        clock.advance(100 * TIMEOUT_MS);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.resume(context()));
        assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason());
        assertTrue(ex.getMessage().contains("open in this process"), ex.getMessage());
        final ChannelException simulatedElsewhere = assertThrows(ChannelException.class,
            () -> ChannelWriter.resume(context().observer(ProcessIdentities.OTHER_NAMESPACE)));
        assertEquals(ChannelException.Reason.WRITER_ACTIVE, simulatedElsewhere.reason(), "one writer per JVM first");

        // The stalled writer never lost the channel: it closes as the only writer, its CLOSED after its record.
        try (ChannelReader reader = ChannelReader.open(stalled.path()))
        {
            assertEquals(ChannelState.OPEN, reader.state(), "its process runs, so it is alive here");
        }
        stalled.close();
        try (ChannelReader reader = ChannelReader.open(stalled.path()))
        {
            assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) -> {}, 100));
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldRefuseWhenChannelWasClosedOrIsFull()
    {
        ChannelWriter.create(context()).close();
        clock.advance(TIMEOUT_MS + 1);
        assertEquals(ChannelException.Reason.ENDED,
            assertThrows(ChannelException.class, () -> ChannelWriter.resume(context())).reason());

        final ChannelWriter full = ChannelWriter.create(context().channelId(6).capacity(64).maxRecordLength(56));
        assertEquals(64, full.write(1, payload(56, 0), 0, 56));
        assertEquals(ChannelWriter.CHANNEL_FULL, full.write(1, payload(8, 0), 0, 8));
        full.crash();
        final ChannelException ex = assertThrows(
            ChannelException.class, () -> ChannelWriter.resume(context().channelId(6)));
        assertEquals(ChannelException.Reason.ENDED, ex.reason());
        assertTrue(ex.getMessage().contains("FULL"), ex.getMessage());
    }

    @Test
    void shouldRefuseWhenChannelDoesNotExist()
    {
        assertEquals(ChannelException.Reason.NOT_FOUND,
            assertThrows(ChannelException.class, () -> ChannelWriter.resume(context())).reason());
    }

    @Test
    @Timeout(30)
    void shouldLetExactlyOneResumerWinWhenSeveralRace() throws Exception
    {
        crashedWriter(4);
        clock.advance(TIMEOUT_MS + 1);
        final int racers = 6;
        final CyclicBarrier barrier = new CyclicBarrier(racers);
        final ExecutorService executor = Executors.newFixedThreadPool(racers);
        try
        {
            final List<Future<Object>> results = new ArrayList<>();
            for (int i = 0; i < racers; i++)
            {
                results.add(executor.submit(() ->
                {
                    barrier.await();
                    try
                    {
                        return ChannelWriter.resume(context());
                    }
                    catch (final ChannelException ex)
                    {
                        return ex;
                    }
                }));
            }

            final List<Object> outcomes = new ArrayList<>();
            for (final Future<Object> result : results)
            {
                outcomes.add(result.get(20, TimeUnit.SECONDS));
            }
            int winners = 0;
            for (final Object outcome : outcomes)
            {
                if (outcome instanceof ChannelWriter)
                {
                    winners++;
                    ((ChannelWriter)outcome).close();
                }
                else
                {
                    assertEquals(ChannelException.Reason.WRITER_ACTIVE, ((ChannelException)outcome).reason());
                }
            }
            assertEquals(1, winners);
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    private ChannelWriter.Context context()
    {
        return new ChannelWriter.Context()
            .root(root)
            .channelId(5)
            .capacity(CAPACITY)
            .maxRecordLength(MAX_RECORD_LENGTH)
            .timeoutMs(TIMEOUT_MS)
            .epochClock(clock);
    }
}
