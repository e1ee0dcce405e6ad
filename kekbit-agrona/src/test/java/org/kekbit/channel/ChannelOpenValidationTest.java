package org.kekbit.channel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelException.Reason;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelOpenValidationTest
{
    private static final int CAPACITY = 1024;
    private static final int MAX_RECORD_LENGTH = 512;

    @TempDir
    Path root;

    private Path channel;

    @BeforeEach
    void before()
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH))
        {
            writer.write(1, payload(10, 1), 0, 10);
            channel = writer.path();
        }
    }

    @Test
    void shouldOpenUnpatchedChannelWhenHeaderIsValid()
    {
        try (ChannelReader reader = ChannelReader.open(channel))
        {
            assertEquals(1, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldThrowNotFoundWhenFileIsMissing()
    {
        final Path missing = root.resolve("missing.kekbit");

        final ChannelException ex = assertOpenFails(Reason.NOT_FOUND, missing);

        assertTrue(ex.getMessage().contains(missing.toString()), ex.getMessage());
    }

    @Test
    void shouldThrowNotFoundWhenRootFolderIsMissing()
    {
        final ChannelReader.Context ctx = new ChannelReader.Context().root(root.resolve("nowhere")).channelId(7);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.open(ctx));

        assertEquals(Reason.NOT_FOUND, ex.reason());
    }

    @Test
    void shouldThrowNotAChannelWhenFileHoldsRandomBytes() throws IOException
    {
        final byte[] bytes = new byte[(int)ChannelDescriptor.fileLength(CAPACITY)];
        new Random(42).nextBytes(bytes);
        final Path file = Files.write(root.resolve("random.kekbit"), bytes);

        final ChannelException ex = assertOpenFails(Reason.NOT_A_CHANNEL, file);

        assertTrue(ex.getMessage().contains("expected=" + ChannelDescriptor.SIGNATURE), ex.getMessage());
    }

    @Test
    void shouldThrowNotAChannelWhenPathIsDirectory()
    {
        assertOpenFails(Reason.NOT_A_CHANNEL, root);
    }

    @Test
    void shouldThrowNotAChannelWhenFileIsEmpty() throws IOException
    {
        assertOpenFails(Reason.NOT_A_CHANNEL, Files.createFile(root.resolve("empty.kekbit")));
    }

    @Test
    void shouldThrowNotAChannelWhenFileIsShorterThanSignature() throws IOException
    {
        final Path file = Files.write(root.resolve("short.kekbit"), "*KEK".getBytes(StandardCharsets.US_ASCII));

        assertOpenFails(Reason.NOT_A_CHANNEL, file);
    }

    @Test
    void shouldThrowNotAChannelWhenSignatureIsOffByOneByte() throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.signatureEncodingOffset() + 4, 0x2A58_4942); // "BIX*"

        final ChannelException ex = assertOpenFails(Reason.NOT_A_CHANNEL, channel);

        assertTrue(ex.getMessage().contains("actual=*KEKBIX*"), ex.getMessage());
    }

    @Test
    void shouldThrowNotReadyWhenFormatVersionIsZero() throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), 0);

        assertOpenFails(Reason.NOT_READY, channel);
    }

    @ParameterizedTest
    @ValueSource(ints = { 7, 1, -1, Integer.MAX_VALUE }) // 1: the format before writerStartTicks
    void shouldThrowIncompatibleVersionWhenFormatVersionIsUnknown(final int formatVersion) throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), formatVersion);

        final ChannelException ex = assertOpenFails(Reason.INCOMPATIBLE_VERSION, channel);

        assertTrue(ex.getMessage().contains("expected=" + ChannelDescriptor.FORMAT_VERSION), ex.getMessage());
        assertTrue(ex.getMessage().contains("actual=" + formatVersion), ex.getMessage());
    }

    @Test
    void shouldNameBothVersionsWhenFormatVersionIsSeven() throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), 7);

        final ChannelException ex = assertOpenFails(Reason.INCOMPATIBLE_VERSION, channel);

        assertTrue(ex.getMessage().contains("expected=" + ChannelDescriptor.FORMAT_VERSION), ex.getMessage());
        assertTrue(ex.getMessage().contains("actual=7"), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, 8, 56, 100, 1020, -1024, 1L << 31, Long.MAX_VALUE })
    void shouldThrowBadCapacityWhenHeaderCapacityIsOutOfRangeOrMisaligned(final long capacity) throws IOException
    {
        ChannelTestSupport.putLong(channel, ChannelHeaderDecoder.capacityEncodingOffset(), capacity);

        final ChannelException ex = assertOpenFails(Reason.BAD_CAPACITY, channel);

        assertTrue(ex.getMessage().contains("actual=" + capacity), ex.getMessage());
        assertTrue(ex.getMessage().contains(channel.toString()), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = { -1, CAPACITY - RecordDescriptor.HEADER_LENGTH + 1, CAPACITY, Integer.MAX_VALUE })
    void shouldThrowBadMaxRecordLengthWhenHeaderMaxRecordLengthDoesNotFit(final int maxRecordLength)
        throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.maxRecordLengthEncodingOffset(), maxRecordLength);

        final ChannelException ex = assertOpenFails(Reason.BAD_MAX_RECORD_LENGTH, channel);

        assertTrue(ex.getMessage().contains("actual=" + maxRecordLength), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 64, 127, 129, 256, -128 })
    void shouldThrowBadHeaderWhenHeaderLengthIsWrong(final int headerLength) throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.headerLengthEncodingOffset(), headerLength);

        final ChannelException ex = assertOpenFails(Reason.BAD_HEADER, channel);

        assertTrue(ex.getMessage().contains("headerLength"), ex.getMessage());
        assertTrue(ex.getMessage().contains("expected=" + ChannelDescriptor.HEADER_LENGTH), ex.getMessage());
        assertTrue(ex.getMessage().contains("actual=" + headerLength), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 4, 16, 64 })
    void shouldThrowBadHeaderWhenRecordAlignmentIsWrong(final int recordAlignment) throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.recordAlignmentEncodingOffset(), recordAlignment);

        final ChannelException ex = assertOpenFails(Reason.BAD_HEADER, channel);

        assertTrue(ex.getMessage().contains("recordAlignment"), ex.getMessage());
        assertTrue(ex.getMessage().contains("actual=" + recordAlignment), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, -1 })
    void shouldThrowBadHeaderWhenTimeoutIsNotPositive(final long timeoutMs) throws IOException
    {
        ChannelTestSupport.putLong(channel, ChannelHeaderDecoder.timeoutMsEncodingOffset(), timeoutMs);

        final ChannelException ex = assertOpenFails(Reason.BAD_HEADER, channel);

        assertTrue(ex.getMessage().contains("timeoutMs"), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = { 8, 12, 64, 127 }) // the signature alone, with the format version, and longer
    void shouldThrowTruncatedWhenFileIsShorterThanHeaderButHasSignature(final int length) throws IOException
    {
        ChannelTestSupport.truncate(channel, length);

        final ChannelException ex = assertOpenFails(Reason.TRUNCATED, channel);

        assertTrue(ex.getMessage().contains("actual=" + length), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = { ChannelDescriptor.HEADER_LENGTH, ChannelDescriptor.HEADER_LENGTH + CAPACITY,
        ChannelDescriptor.HEADER_LENGTH + CAPACITY + ChannelDescriptor.TRAILER_LENGTH - 1 })
    void shouldThrowTruncatedWhenFileIsShorterThanHeaderCapacityAndTrailer(final long length) throws IOException
    {
        ChannelTestSupport.truncate(channel, length);

        final ChannelException ex = assertOpenFails(Reason.TRUNCATED, channel);

        assertTrue(ex.getMessage().contains("expected length>=" + ChannelDescriptor.fileLength(CAPACITY)),
            ex.getMessage());
        assertTrue(ex.getMessage().contains("actual=" + length), ex.getMessage());
    }

    @Test
    void shouldThrowTruncatedWhenHeaderCapacityExceedsFile() throws IOException
    {
        ChannelTestSupport.putLong(channel, ChannelHeaderDecoder.capacityEncodingOffset(), 2 * CAPACITY);

        assertOpenFails(Reason.TRUNCATED, channel);
    }

    @Test
    void shouldOpenWhenFileIsLongerThanHeaderSays() throws IOException
    {
        ChannelTestSupport.putLong(channel, ChannelHeaderDecoder.capacityEncodingOffset(), CAPACITY * 3 / 4);

        try (ChannelReader reader = ChannelReader.open(channel))
        {
            assertEquals(CAPACITY * 3 / 4, reader.capacity());
            assertEquals(1, reader.poll(new RecordCollector(), 10));
        }
    }

    @Test
    void shouldThrowAlreadyExistsWhenChannelIsCreatedTwice()
    {
        final Path path = root.resolve("second");
        try (ChannelWriter first = ChannelTestSupport.createWriter(path, CAPACITY, MAX_RECORD_LENGTH))
        {
            first.write(3, payload(5, 3), 0, 5);

            final ChannelException ex = assertThrows(ChannelException.class,
                () -> ChannelTestSupport.createWriter(path, 2 * CAPACITY, MAX_RECORD_LENGTH));

            assertEquals(Reason.ALREADY_EXISTS, ex.reason());
            assertTrue(ex.getMessage().contains(first.path().toString()), ex.getMessage());
            first.write(4, payload(6, 4), 0, 6);
            try (ChannelReader reader = ChannelReader.open(first.path()))
            {
                assertEquals(CAPACITY, reader.capacity());
                assertEquals(2, reader.poll(new RecordCollector(), 10));
            }
        }
    }

    @Test
    void shouldThrowAlreadyExistsWhenClosedChannelIsCreatedAgain()
    {
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH));

        assertEquals(Reason.ALREADY_EXISTS, ex.reason());
        try (ChannelReader reader = ChannelReader.open(channel))
        {
            assertEquals(1, reader.poll(new RecordCollector(), 10));
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldThrowTimeoutWhenAwaitedChannelNeverAppears()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        final AdvancingIdleStrategy idleStrategy = new AdvancingIdleStrategy(clock, 10);
        final ChannelReader.Context ctx = new ChannelReader.Context()
            .path(root.resolve("late.kekbit"))
            .epochClock(clock);

        final ChannelException ex = assertThrows(
            ChannelException.class, () -> ChannelReader.awaitOpen(ctx, idleStrategy, 100));

        assertEquals(Reason.TIMEOUT, ex.reason());
        assertEquals(10, idleStrategy.idleCount);
        assertTrue(ex.getMessage().contains("100 ms"), ex.getMessage());
        assertTrue(ex.getCause() instanceof ChannelException);
        assertEquals(Reason.NOT_FOUND, ((ChannelException)ex.getCause()).reason());
    }

    @Test
    @Timeout(10)
    void shouldThrowTimeoutWhenAwaitedChannelNeverAppearsOnSystemClock()
    {
        final ChannelReader.Context ctx = new ChannelReader.Context().path(root.resolve("late.kekbit"));

        final ChannelException ex = assertThrows(
            ChannelException.class, () -> ChannelReader.awaitOpen(ctx, NoOpIdleStrategy.INSTANCE, 20));

        assertEquals(Reason.TIMEOUT, ex.reason());
    }

    @Test
    void shouldThrowAtOnceWhenAwaitedFileIsNotAChannel() throws IOException
    {
        final Path file = Files.createFile(root.resolve("empty.kekbit"));
        final CachedEpochClock clock = new CachedEpochClock();
        final AdvancingIdleStrategy idleStrategy = new AdvancingIdleStrategy(clock, 10);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.awaitOpen(
            new ChannelReader.Context().path(file).epochClock(clock), idleStrategy, 1000));

        assertEquals(Reason.NOT_A_CHANNEL, ex.reason());
        assertEquals(0, idleStrategy.idleCount);
    }

    @Test
    void shouldOpenWhenAwaitedHeaderBecomesReady() throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), 0);
        final CachedEpochClock clock = new CachedEpochClock();
        final AdvancingIdleStrategy idleStrategy = new AdvancingIdleStrategy(clock, 10)
        {
            void onIdle() throws IOException
            {
                if (3 == idleCount)
                {
                    ChannelTestSupport.putInt(
                        channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), ChannelDescriptor.FORMAT_VERSION);
                }
            }
        };

        try (ChannelReader reader = ChannelReader.awaitOpen(
            new ChannelReader.Context().path(channel).epochClock(clock), idleStrategy, 1000))
        {
            assertEquals(3, idleStrategy.idleCount);
            assertEquals(1, reader.poll(new RecordCollector(), 10));
        }
    }

    @Test
    @Timeout(10)
    void shouldOpenWhenAwaitedChannelIsCreatedByWriterOnAnotherThread() throws InterruptedException
    {
        final Path otherRoot = root.resolve("other");
        final CountDownLatch readerWaiting = new CountDownLatch(1);
        final CountDownLatch writerDone = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CachedEpochClock clock = new CachedEpochClock();
        // The clock never moves, so only the writer can end the wait; @Timeout guards against a hang.
        final AdvancingIdleStrategy idleStrategy = new AdvancingIdleStrategy(clock, 0)
        {
            void onIdle()
            {
                readerWaiting.countDown();
                Thread.onSpinWait();
            }
        };

        final Thread writerThread = new Thread(() ->
        {
            try
            {
                readerWaiting.await();
                try (ChannelWriter writer = ChannelTestSupport.createWriter(otherRoot, CAPACITY, MAX_RECORD_LENGTH))
                {
                    writer.write(9, payload(9, 9), 0, 9);
                }
            }
            catch (final Throwable t)
            {
                failure.set(t);
            }
            finally
            {
                writerDone.countDown();
            }
        });
        writerThread.start();

        final ChannelReader.Context ctx = new ChannelReader.Context()
            .root(otherRoot)
            .channelId(ChannelTestSupport.CHANNEL_ID)
            .epochClock(clock);
        try (ChannelReader reader = ChannelReader.awaitOpen(ctx, idleStrategy, 1000))
        {
            assertTrue(idleStrategy.idleCount > 0, "the reader waited");
            writerDone.await();
            assertNull(failure.get());
            final RecordCollector collector = new RecordCollector();
            assertEquals(1, reader.poll(collector, 10));
            assertEquals(9, collector.get(0).msgTypeId());
            assertEquals(ChannelState.CLOSED, reader.state());
        }
    }

    @Test
    void shouldKeepWaitingWhenTimeoutIsLongMaxValue() throws IOException
    {
        ChannelTestSupport.putInt(channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), 0);
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_700_000_000_000L);
        final AdvancingIdleStrategy idleStrategy = new AdvancingIdleStrategy(clock, 1000)
        {
            void onIdle() throws IOException
            {
                if (5 == idleCount)
                {
                    ChannelTestSupport.putInt(
                        channel, ChannelHeaderDecoder.formatVersionEncodingOffset(), ChannelDescriptor.FORMAT_VERSION);
                }
            }
        };

        try (ChannelReader reader = ChannelReader.awaitOpen(
            new ChannelReader.Context().path(channel).epochClock(clock), idleStrategy, Long.MAX_VALUE))
        {
            assertEquals(5, idleStrategy.idleCount);
            assertEquals(1, reader.poll(new RecordCollector(), 10));
        }
    }

    private static ChannelException assertOpenFails(final Reason reason, final Path file)
    {
        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.open(file));
        assertEquals(reason, ex.reason(), ex.getMessage());
        return ex;
    }

    /**
     * Moves a cached clock on by a fixed step on every idle, so waits are deterministic and take no time.
     */
    private static class AdvancingIdleStrategy implements IdleStrategy
    {
        private final CachedEpochClock clock;
        private final long stepMs;
        int idleCount;

        AdvancingIdleStrategy(final CachedEpochClock clock, final long stepMs)
        {
            this.clock = clock;
            this.stepMs = stepMs;
        }

        void onIdle() throws IOException
        {
        }

        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        public void idle()
        {
            idleCount++;
            clock.advance(stepMs);
            try
            {
                onIdle();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        public void reset()
        {
        }
    }
}
