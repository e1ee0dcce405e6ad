package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

/**
 * A channel's records are aligned to the alignment its writer chose: every record starts at a multiple of it, the
 * reader takes it from the header, and a header whose alignment its check field does not confirm is refused.
 */
class ChannelRecordAlignmentTest
{
    private static final int CAPACITY = 64 * 1024;
    private static final int MAX_RECORD_LENGTH = 1024;
    private static final long TIMEOUT_MS = 1_000;

    @TempDir
    Path root;

    private final CachedEpochClock clock = new CachedEpochClock();

    @ParameterizedTest
    @ValueSource(ints = { 8, 16, 32, 64, 128 })
    void shouldStartEveryRecordAtMultipleOfAlignmentAndReadEveryPayloadUntilFull(final int recordAlignment)
    {
        final List<Long> ends = new ArrayList<>();
        final List<byte[]> written = new ArrayList<>();
        try (ChannelWriter writer = ChannelWriter.create(context(recordAlignment));
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            assertEquals(recordAlignment, writer.recordAlignment());
            assertEquals(recordAlignment, reader.recordAlignment());
            for (int i = 0; ; i++)
            {
                final int length = i * 13 % 301;
                final UnsafeBuffer payload = payload(length, i);
                final long start = writer.position();
                final long end = writer.write(i, payload, 0, length);
                if (end < 0)
                {
                    assertEquals(ChannelWriter.CHANNEL_FULL, end);
                    break;
                }
                assertEquals(0, start % recordAlignment, "record " + i + " starts aligned");
                assertEquals(start + RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length),
                    recordAlignment), end, "record " + i + " takes its length rounded up to the alignment");
                ends.add(end);
                written.add(bytes(payload, 0, length));
            }

            final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector(reader);
            while (reader.poll(seen, 100) > 0)
            {
                // every record
            }
            assertEquals(ChannelState.FULL, reader.state());
            assertEquals(written.size(), seen.size());
            for (int i = 0; i < seen.size(); i++)
            {
                assertEquals(i, seen.get(i).msgTypeId());
                assertArrayEquals(written.get(i), seen.get(i).payload(), "payload of record " + i);
                assertEquals(ends.get(i), (Long)seen.get(i).position(), "position after record " + i);
            }
        }
    }

    @Test
    void shouldGiveBackTheAlignedDifferenceWhenClaimIsCommittedShorterOrAborted()
    {
        final RecordClaim claim = new RecordClaim();
        try (ChannelWriter writer = ChannelWriter.create(context(64));
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            assertEquals(128, writer.tryClaim(1, 100, claim), "8 + 100 bytes take two lines");
            claim.buffer().putBytes(claim.offset(), payload(20, 1), 0, 20);
            assertEquals(64, claim.commit(20), "8 + 20 bytes take one");
            assertEquals(64 + 192, writer.tryClaim(2, 150, claim));
            claim.abort();
            assertEquals(64 + 64, writer.write(3, payload(56, 3), 0, 56), "8 + 56 bytes fill one line exactly");
            assertEquals(64 + 64 + 64, writer.write(4, payload(0, 4), 0, 0));

            final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector(reader);
            assertEquals(3, reader.poll(seen, 10));
            assertArrayEquals(bytes(payload(20, 1), 0, 20), seen.get(0).payload());
            assertEquals(3, seen.get(1).msgTypeId());
            assertEquals(4, seen.get(2).msgTypeId());
            assertEquals(192, reader.position());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, -8, 4, 12, 48, 96, 256, 4096 })
    void shouldRefuseAlignmentThatIsNotPowerOfTwoFrom8To128(final int recordAlignment)
    {
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> ChannelWriter.create(context(recordAlignment)));
        assertEquals(ChannelException.Reason.BAD_HEADER, ex.reason());
        assertTrue(ex.getMessage().contains("actual=" + recordAlignment), ex.getMessage());
        assertTrue(Files.notExists(ChannelDescriptor.channelPath(root, 7)), "nothing created");
    }

    @Test
    void shouldRefuseCapacityThatIsNotMultipleOfAlignment()
    {
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> ChannelWriter.create(context(64).capacity(CAPACITY + 32)));
        assertEquals(ChannelException.Reason.BAD_CAPACITY, ex.reason());
        assertTrue(ex.getMessage().contains("record alignment 64: actual=" + (CAPACITY + 32)), ex.getMessage());
    }

    @Test
    void shouldWriteDefaultAlignmentHeaderAsBeforeAndConfirmOtherAlignmentsByCheckField() throws IOException
    {
        final Path aligned8;
        final Path aligned64;
        try (ChannelWriter writer = ChannelWriter.create(context(8)))
        {
            aligned8 = writer.path();
        }
        try (ChannelWriter writer = ChannelWriter.create(context(64).channelId(8)))
        {
            aligned64 = writer.path();
        }
        assertEquals(0, headerInt(aligned8, ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset()));
        assertEquals(64, headerInt(aligned64, ChannelHeaderDecoder.recordAlignmentEncodingOffset()));
        assertEquals(~64, headerInt(aligned64, ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset()));

        // One damaged field, alignment or check, and the channel is refused rather than misread.
        ChannelTestSupport.putInt(aligned8, ChannelHeaderDecoder.recordAlignmentEncodingOffset(), 64);
        ChannelTestSupport.putInt(aligned64, ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset(), 0);
        for (final Path damaged : new Path[]{ aligned8, aligned64 })
        {
            final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.open(damaged));
            assertEquals(ChannelException.Reason.BAD_HEADER, ex.reason());
            assertTrue(ex.getMessage().contains("recordAlignmentCheck=0 confirms, actual=64"), ex.getMessage());
        }
    }

    @Test
    void shouldRefuseSeekToPositionInsideAlignedRecord()
    {
        try (ChannelWriter writer = ChannelWriter.create(context(64));
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            writer.write(1, payload(10, 1), 0, 10);
            writer.write(2, payload(10, 2), 0, 10);
            assertThrows(IllegalArgumentException.class, () -> reader.seek(32));
            reader.seek(64);
            final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
            assertEquals(1, reader.poll(seen, 10));
            assertEquals(2, seen.get(0).msgTypeId());
        }
    }

    @Test
    void shouldKeepAlignmentWhenResumedAfterCrashMidClaim()
    {
        final ChannelWriter crashed = ChannelWriter.create(context(64));
        crashed.write(1, payload(30, 1), 0, 30);
        final RecordClaim claim = new RecordClaim();
        assertTrue(crashed.tryClaim(2, MAX_RECORD_LENGTH, claim) > 0);
        claim.buffer().setMemory(0, MAX_RECORD_LENGTH, (byte)0x7f);
        crashed.crash();
        clock.advance(TIMEOUT_MS + 1);

        try (ChannelWriter resumed = ChannelWriter.resume(context(8)); // the shape comes from the header
            ChannelReader reader = ChannelReader.open(resumed.path()))
        {
            assertEquals(64, resumed.recordAlignment());
            assertEquals(64, resumed.position());
            assertEquals(128, resumed.write(3, payload(9, 3), 0, 9));
            final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
            assertEquals(2, reader.poll(seen, 10));
            assertEquals(3, seen.get(1).msgTypeId());
            assertArrayEquals(bytes(payload(9, 3), 0, 9), seen.get(1).payload());
        }
    }

    @Test
    void shouldMirrorAlignedChannelByteIdenticalUpToFullMarkerInTrailer()
    {
        final Path mirrorPath = root.resolve("mirror.kekbit");
        final Path leaderPath;
        try (ChannelWriter writer = ChannelWriter.create(context(64));
            ChannelSource source = ChannelSource.open(writer.path()))
        {
            leaderPath = writer.path();
            int i = 0;
            while (writer.write(i, payload(56, i), 0, 56) > 0) // 64 B records fill the channel to its last byte
            {
                i++;
            }
            assertEquals(CAPACITY, writer.position());

            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            try (ChannelMirror mirror = ChannelMirror.create(mirrorPath, header, 0))
            {
                assertEquals(source.headerDigest(), mirror.headerDigest());
                final BlockHandler toMirror = (buffer, offset, length, position) ->
                    assertTrue(mirror.write(position, buffer, offset, length) >= 0);
                while (source.poll(toMirror, 1000) > 0)
                {
                    // every block, the FULL marker last
                }
                assertTrue(mirror.isEnded());
                assertEquals(CAPACITY + RecordDescriptor.HEADER_LENGTH, mirror.position());
            }
            try (ChannelReader reader = ChannelReader.open(mirrorPath))
            {
                assertEquals(64, reader.recordAlignment());
                final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
                while (reader.poll(seen, 1000) > 0)
                {
                    // every record
                }
                assertEquals(ChannelState.FULL, reader.state());
                assertEquals(i, seen.size());
            }
        }

        final ChannelDigest.Result leaderDigest = ChannelDigest.digest(leaderPath, -1);
        final ChannelDigest.Result mirrorDigest = ChannelDigest.digest(mirrorPath, -1);
        assertEquals(leaderDigest.position(), mirrorDigest.position());
        assertEquals(leaderDigest.digest(), mirrorDigest.digest());
    }

    private ChannelWriter.Context context(final int recordAlignment)
    {
        return new ChannelWriter.Context()
            .root(root)
            .channelId(7)
            .capacity(CAPACITY)
            .maxRecordLength(MAX_RECORD_LENGTH)
            .recordAlignment(recordAlignment)
            .timeoutMs(TIMEOUT_MS)
            .epochClock(clock);
    }

    private static int headerInt(final Path file, final int offset) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        return new UnsafeBuffer(bytes).getInt(offset, java.nio.ByteOrder.LITTLE_ENDIAN);
    }
}
