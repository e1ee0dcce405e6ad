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
            ChannelReader reader = ChannelReader.open(new ChannelReader.Context().file(resumed.path())
                .epochClock(clock).checkWriterProcess(false)))
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
            .file(ChannelDescriptor.channelPath(root, 5)).epochClock(clock).checkWriterProcess(false)))
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
    void shouldRefuseWhenWriterOfThisProcessIsStillFresh()
    {
        crashedWriter(1);
        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.resume(context()));
        assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason());
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
        clock.advance(TIMEOUT_MS + 1);
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

            int winners = 0;
            for (final Future<Object> result : results)
            {
                final Object outcome = result.get(20, TimeUnit.SECONDS);
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
