package org.kekbit.channel;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.codecs.channel.ChannelHeaderEncoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.kekbit.channel.ChannelTestSupport.payload;

/**
 * The edges a review found: misuse gets a clear exception, states stay true after close, a closed reader reports
 * nothing it no longer sees, and the largest channel the format allows can be created, opened and pre-touched.
 */
class ChannelSharpEdgesTest
{
    private static final long TIMEOUT_MS = 1_000;

    @TempDir
    Path root;

    @Test
    void shouldRefuseClaimStillOutstandingOnAnotherWriter()
    {
        try (ChannelWriter first = ChannelWriter.create(context(1));
            ChannelWriter second = ChannelWriter.create(context(2)))
        {
            final RecordClaim claim = new RecordClaim();
            assertTrue(first.tryClaim(1, 16, claim) > 0);

            assertThrows(IllegalStateException.class, () -> second.tryClaim(1, 16, claim));
            assertTrue(claim.isOutstanding(), "the claim still belongs to the first writer");
            assertEquals(0, second.position());
            assertTrue(claim.commit() > 0);
            assertTrue(second.tryClaim(1, 16, claim) > 0, "once committed it can be used anywhere");
            claim.abort();
        }
    }

    @Test
    void shouldThrowIllegalStateWhenCommittingOrAbortingWithoutClaim()
    {
        final RecordClaim claim = new RecordClaim();
        assertThrows(IllegalStateException.class, () -> claim.commit(0));
        assertThrows(IllegalStateException.class, () -> claim.commit(-1), "misuse is reported before the length");
        assertThrows(IllegalStateException.class, claim::commit);
        assertThrows(IllegalStateException.class, claim::abort);
    }

    @Test
    void shouldStayFullAfterCloseWhenRecordDidNotFit()
    {
        final ChannelWriter writer = ChannelWriter.create(context(1).capacity(64).maxRecordLength(56));
        assertEquals(64, writer.write(1, payload(56, 1), 0, 56));
        assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(1, payload(8, 1), 0, 8));
        writer.close();

        assertTrue(writer.isFull());
        assertTrue(writer.isClosed());
        assertEquals(ChannelWriter.CHANNEL_CLOSED, writer.write(1, payload(8, 1), 0, 8));
    }

    @Test
    void shouldSayWhenSeekLandsOnEndMarker()
    {
        final long end;
        try (ChannelWriter writer = ChannelWriter.create(context(1)))
        {
            writer.write(1, payload(8, 1), 0, 8);
            end = writer.write(1, payload(8, 2), 0, 8);
        }

        try (ChannelReader reader = ChannelReader.open(ChannelDescriptor.channelPath(root, 1)))
        {
            reader.seek(end);
            assertEquals(ChannelState.CLOSED, reader.state(), "the marker is reported at once");
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> reader.seek(end + RecordDescriptor.ALIGNMENT));
            assertTrue(ex.getMessage().contains("end marker CLOSED at position=" + end), ex.getMessage());
            reader.seek(0);
            assertEquals(ChannelState.OPEN, reader.state());
        }
    }

    @Test
    void shouldKeepHeaderReadableAfterReaderIsClosed()
    {
        try (ChannelWriter writer = ChannelWriter.create(context(1).writerId(99)))
        {
            final ChannelReader reader = ChannelReader.open(writer.path());
            reader.close();
            assertEquals(99, reader.header().writerId(), "a copy taken at close, never the unmapped file");
            assertEquals(writer.capacity(), reader.header().capacity());
        }
    }

    @Test
    void shouldStampHeartbeatTwentyTimesPerTimeoutWhenDutyCycleRunsOften()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_000_000);
        try (ChannelWriter writer = ChannelWriter.create(context(1).epochClock(clock)))
        {
            int stamps = 0;
            for (int ms = 1; ms <= TIMEOUT_MS; ms++)
            {
                clock.advance(1);
                stamps += writer.doWork();
            }
            assertEquals(ChannelWriter.HEARTBEATS_PER_TIMEOUT, stamps, "an idle duty cycle can back off between");
        }
    }

    @Test
    @Timeout(120)
    void shouldOpenAndPreTouchChannelOfMaxCapacityWhenFileIsSparse() throws Exception
    {
        final Path path = root.resolve("max.kekbit");
        final long fileLength = ChannelDescriptor.fileLength(ChannelDescriptor.MAX_CAPACITY);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            file.setLength(fileLength); // sparse: nothing allocated
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            new ChannelHeaderEncoder().wrap(header, 0)
                .signature(ChannelDescriptor.SIGNATURE)
                .formatVersion(ChannelDescriptor.FORMAT_VERSION)
                .headerLength(ChannelDescriptor.HEADER_LENGTH)
                .capacity(ChannelDescriptor.MAX_CAPACITY)
                .maxRecordLength(1024)
                .recordAlignment(RecordDescriptor.ALIGNMENT)
                .timeoutMs(TIMEOUT_MS);
            file.write(header.byteArray());
        }

        try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path).preTouch(true)))
        {
            assertEquals(ChannelDescriptor.MAX_CAPACITY, reader.capacity());
            assertEquals(0, reader.seekToEnd());
            reader.seek(0);
        }
        assertEquals(fileLength, Files.size(path));
    }

    @Test
    @Timeout(300)
    void shouldCreateWriteAndReadChannelOfMaxCapacity() throws Exception
    {
        final Path shm = Path.of("/dev/shm");
        final long fileLength = ChannelDescriptor.fileLength(ChannelDescriptor.MAX_CAPACITY);
        assumeTrue(Files.isDirectory(shm) && Files.getFileStore(shm).getUsableSpace() > 2 * fileLength,
            "needs " + 2 * fileLength + " bytes free in /dev/shm for a channel of the largest capacity");
        final Path maxRoot = Files.createTempDirectory(shm, "kekbit-max");
        try
        {
            final Path path;
            final long end;
            try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
                .root(maxRoot).channelId(1).capacity(ChannelDescriptor.MAX_CAPACITY).maxRecordLength(1024)))
            {
                path = writer.path();
                end = writer.write(5, payload(100, 5), 0, 100);
            }
            try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path).preTouch(true)))
            {
                assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) -> {}, 10));
                assertEquals(end, reader.position());
                assertEquals(ChannelState.CLOSED, reader.state());
            }
            assertTrue(ChannelWriter.delete(path));
            assertFalse(Files.exists(path));
        }
        finally
        {
            IoUtil.delete(maxRoot.toFile(), true);
        }
    }

    private ChannelWriter.Context context(final long channelId)
    {
        return new ChannelWriter.Context().root(root).channelId(channelId).capacity(64 * 1024).timeoutMs(TIMEOUT_MS);
    }
}
