package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.codecs.channel.ChannelHeaderEncoder;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ChannelDescriptorTest
{
    @TempDir
    Path root;

    @Test
    void shouldMatchCodecEncodingLengthsWhenAtomicAccessorsUseFieldWidths()
    {
        assertEquals(Integer.BYTES, ChannelHeaderEncoder.formatVersionEncodingLength());
        assertEquals(Long.BYTES, ChannelHeaderEncoder.heartbeatTimeMsEncodingLength());
        assertEquals(Long.BYTES, ChannelHeaderEncoder.capacityEncodingLength());
        assertEquals(ChannelHeaderDecoder.BLOCK_LENGTH, ChannelDescriptor.HEADER_LENGTH);
        assertEquals(0, ChannelHeaderDecoder.formatVersionEncodingOffset() % Integer.BYTES);
        // Fields loaded and stored atomically must be naturally aligned and inside the header.
        for (final int offset : new int[]{ ChannelHeaderDecoder.writerPidEncodingOffset(),
            ChannelHeaderDecoder.writerStartTicksEncodingOffset(), ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset(),
            ChannelHeaderDecoder.writerNamespaceIdEncodingOffset() })
        {
            assertEquals(0, offset % Long.BYTES, "offset=" + offset);
            assertTrue(offset + Long.BYTES <= ChannelDescriptor.HEADER_LENGTH, "offset=" + offset);
        }
    }

    @Test
    void shouldMatchCodecBlockLengthWhenHeaderLengthIsPinned()
    {
        assertEquals(ChannelHeaderEncoder.BLOCK_LENGTH, ChannelDescriptor.HEADER_LENGTH);
        assertEquals(128, ChannelDescriptor.HEADER_LENGTH);
        assertEquals(0, ChannelDescriptor.HEADER_LENGTH % RecordDescriptor.ALIGNMENT);
    }

    @Test
    void shouldMatchCodecSignatureLengthWhenSignatureIsEncoded()
    {
        assertEquals(ChannelHeaderEncoder.signatureLength(), ChannelDescriptor.SIGNATURE_LENGTH);
        assertEquals(ChannelHeaderEncoder.signatureEncodingLength(), ChannelDescriptor.SIGNATURE_LENGTH);
        assertEquals(ChannelDescriptor.SIGNATURE_LENGTH, ChannelDescriptor.SIGNATURE.length());
        assertEquals("US-ASCII", ChannelHeaderEncoder.signatureCharacterEncoding());
    }

    @Test
    void shouldHoldOneEndMarkerWhenTrailerIsSized()
    {
        assertEquals(RecordDescriptor.HEADER_LENGTH, ChannelDescriptor.TRAILER_LENGTH);
        assertEquals(ChannelDescriptor.HEADER_LENGTH + 64 + ChannelDescriptor.TRAILER_LENGTH,
            ChannelDescriptor.fileLength(64));
        assertTrue(ChannelDescriptor.fileLength(ChannelDescriptor.MAX_CAPACITY) <= Integer.MAX_VALUE);
        assertTrue(ChannelDescriptor.fileLength(ChannelDescriptor.MAX_CAPACITY + RecordDescriptor.ALIGNMENT) >
            Integer.MAX_VALUE);
    }

    @Test
    void shouldWriteEveryFieldAtDescriptorOffsetWhenWriterCreatesChannel() throws IOException
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_700_000_000_123L);
        final ChannelWriter.Context ctx = new ChannelWriter.Context()
            .root(root)
            .channelId(0x0102_0304_0506_0708L)
            .writerId(77)
            .capacity(1024)
            .maxRecordLength(500)
            .timeoutMs(4321)
            .epochClock(clock);

        try (ChannelWriter writer = ChannelWriter.create(ctx))
        {
            assertEquals(1024, writer.capacity());
            assertEquals(500, writer.maxRecordLength());
            assertEquals(0x0102_0304_0506_0708L, writer.channelId());
            assertEquals(0, writer.position());
            assertEquals(1024, writer.remaining());
            final byte[] file = Files.readAllBytes(writer.path());
            final ByteBuffer header = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);

            assertEquals(ChannelDescriptor.fileLength(1024), file.length);
            final String signature = new String(file, ChannelHeaderDecoder.signatureEncodingOffset(),
                ChannelDescriptor.SIGNATURE_LENGTH, StandardCharsets.US_ASCII);
            assertEquals(ChannelDescriptor.SIGNATURE, signature);
            assertEquals(
                ChannelDescriptor.FORMAT_VERSION, header.getInt(ChannelHeaderDecoder.formatVersionEncodingOffset()));
            assertEquals(
                ChannelDescriptor.HEADER_LENGTH, header.getInt(ChannelHeaderDecoder.headerLengthEncodingOffset()));
            assertEquals(0x0102_0304_0506_0708L, header.getLong(ChannelHeaderDecoder.channelIdEncodingOffset()));
            assertEquals(77, header.getLong(ChannelHeaderDecoder.writerIdEncodingOffset()));
            assertEquals(1024, header.getLong(ChannelHeaderDecoder.capacityEncodingOffset()));
            assertEquals(500, header.getInt(ChannelHeaderDecoder.maxRecordLengthEncodingOffset()));
            assertEquals(
                RecordDescriptor.ALIGNMENT, header.getInt(ChannelHeaderDecoder.recordAlignmentEncodingOffset()));
            assertEquals(4321, header.getLong(ChannelHeaderDecoder.timeoutMsEncodingOffset()));
            assertEquals(1_700_000_000_123L, header.getLong(ChannelHeaderDecoder.creationTimeMsEncodingOffset()));
            assertEquals(
                ProcessHandle.current().pid(), header.getLong(ChannelHeaderDecoder.writerPidEncodingOffset()));
            assertEquals(ProcessIdentity.CURRENT.startTicks,
                header.getLong(ChannelHeaderDecoder.writerStartTicksEncodingOffset()));
            assertEquals(1_700_000_000_123L, header.getLong(ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset()));
            assertEquals(ProcessIdentity.CURRENT.namespaceId,
                header.getLong(ChannelHeaderDecoder.writerNamespaceIdEncodingOffset()));
            assertEquals(0, header.getInt(ChannelHeaderDecoder.journalFormatVersionEncodingOffset()),
                "a channel that is no journal's segment");
            final int reservedOffset = ChannelHeaderDecoder.journalFormatVersionEncodingOffset() + Integer.BYTES;
            for (int i = reservedOffset; i < file.length; i++)
            {
                assertEquals(0, file[i], "reserved header bytes and data region start zeroed, index=" + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("channelPaths")
    void shouldNameFolderAndFileByIdHalvesWhenChannelPathIsDerived(
        final long channelId, final String folder, final String fileName)
    {
        assertEquals(root.resolve(folder).resolve(fileName), ChannelDescriptor.channelPath(root, channelId));
    }

    @Test
    void shouldPlaceChannelAtConventionalPathWhenWriterCreatesIt()
    {
        try (ChannelWriter writer = ChannelWriter.create(ChannelTestSupport.writerContext(root, 64, 56)))
        {
            final Path expected = root.resolve("0000_0001").resolve("0000_002a.kekbit");
            assertEquals(expected, writer.path());
            assertTrue(Files.isRegularFile(expected));
        }
    }

    @ParameterizedTest
    @MethodSource("badCapacities")
    void shouldThrowBadCapacityWhenCapacityIsOutOfRangeOrMisaligned(final long capacity)
    {
        final ChannelException ex = assertThrows(
            ChannelException.class, () -> ChannelDescriptor.checkCapacity(capacity));

        assertEquals(ChannelException.Reason.BAD_CAPACITY, ex.reason());
        assertTrue(ex.getMessage().contains("actual=" + capacity), ex.getMessage());
    }

    @ParameterizedTest
    @MethodSource("goodCapacities")
    void shouldAcceptCapacityWhenWithinLimitsAndAligned(final long capacity)
    {
        assertDoesNotThrow(() -> ChannelDescriptor.checkCapacity(capacity));
    }

    @ParameterizedTest
    @CsvSource({ "-1, 64", "57, 64", "1017, 1024", "2147483647, 1024", "-2147483648, 1024" })
    void shouldThrowBadMaxRecordLengthWhenItDoesNotFitCapacity(final long maxRecordLength, final long capacity)
    {
        final ChannelException ex = assertThrows(
            ChannelException.class, () -> ChannelDescriptor.checkMaxRecordLength(maxRecordLength, capacity));

        assertEquals(ChannelException.Reason.BAD_MAX_RECORD_LENGTH, ex.reason());
        assertTrue(ex.getMessage().contains("actual=" + maxRecordLength), ex.getMessage());
        assertTrue(ex.getMessage().contains("0.." + (capacity - RecordDescriptor.HEADER_LENGTH)), ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource({ "0, 64", "56, 64", "1016, 1024", "0, 1024" })
    void shouldAcceptMaxRecordLengthWhenOneRecordFitsCapacity(final long maxRecordLength, final long capacity)
    {
        assertDoesNotThrow(() -> ChannelDescriptor.checkMaxRecordLength(maxRecordLength, capacity));
        assertTrue(maxRecordLength <= ChannelDescriptor.maxRecordLengthLimit(capacity));
    }

    @ParameterizedTest
    @CsvSource({ "0", "-1", "-9223372036854775808" })
    void shouldThrowBadHeaderWhenTimeoutIsNotPositive(final long timeoutMs)
    {
        final ChannelException ex = assertThrows(
            ChannelException.class, () -> ChannelDescriptor.checkTimeout(timeoutMs));

        assertEquals(ChannelException.Reason.BAD_HEADER, ex.reason());
        assertTrue(ex.getMessage().contains("actual=" + timeoutMs), ex.getMessage());
    }

    @ParameterizedTest
    @MethodSource("badCapacities")
    void shouldCreateNoFileWhenWriterCapacityIsBad(final long capacity) throws IOException
    {
        final ChannelWriter.Context ctx = new ChannelWriter.Context().root(root).channelId(1).capacity(capacity);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.create(ctx));

        assertEquals(ChannelException.Reason.BAD_CAPACITY, ex.reason());
        try (Stream<Path> files = Files.list(root))
        {
            assertEquals(0, files.count());
        }
    }

    @Test
    void shouldThrowBadMaxRecordLengthWhenWriterMaxRecordLengthExceedsCapacity()
    {
        final ChannelWriter.Context ctx = ChannelTestSupport.writerContext(root, 1024, 1017);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.create(ctx));

        assertEquals(ChannelException.Reason.BAD_MAX_RECORD_LENGTH, ex.reason());
        assertFalse(Files.exists(ChannelDescriptor.channelPath(root, ChannelTestSupport.CHANNEL_ID)));
    }

    @Test
    void shouldDefaultMaxRecordLengthToCapacityLimitWhenCapacityIsSmall()
    {
        final ChannelWriter.Context ctx = new ChannelWriter.Context().root(root).channelId(1).capacity(4096);

        ctx.conclude();

        assertEquals(4096 - RecordDescriptor.HEADER_LENGTH, ctx.maxRecordLength());
    }

    @Test
    void shouldThrowIllegalArgumentWhenChannelIdIsNotSet()
    {
        final ChannelWriter.Context ctx = new ChannelWriter.Context().root(root);

        assertThrows(IllegalArgumentException.class, ctx::conclude);
    }

    @ParameterizedTest
    @CsvSource({ "0, 8, 8", "1, 9, 16", "7, 15, 16", "8, 16, 16", "9, 17, 24", "56, 64, 64", "57, 65, 72" })
    void shouldAlignFrameToEightBytesWhenPayloadLengthVaries(
        final int payloadLength, final int frameLength, final int alignedLength)
    {
        assertEquals(frameLength, RecordDescriptor.frameLength(payloadLength));
        assertEquals(alignedLength, RecordDescriptor.alignedLength(frameLength, RecordDescriptor.ALIGNMENT));
    }

    private static Stream<Arguments> channelPaths()
    {
        return Stream.of(
            arguments(0x0000_0001_0000_002AL, "0000_0001", "0000_002a.kekbit"),
            arguments(0L, "0000_0000", "0000_0000.kekbit"),
            arguments(-1L, "ffff_ffff", "ffff_ffff.kekbit"),
            arguments(-42L, "ffff_ffff", "ffff_ffd6.kekbit"),
            arguments(Long.MIN_VALUE, "8000_0000", "0000_0000.kekbit"),
            arguments(Long.MAX_VALUE, "7fff_ffff", "ffff_ffff.kekbit"),
            arguments(0xDEAD_BEEF_CAFE_BABEL, "dead_beef", "cafe_babe.kekbit"));
    }

    private static Stream<Long> badCapacities()
    {
        return Stream.of(
            Long.MIN_VALUE,
            -64L,
            0L,
            8L,
            56L,
            (long)ChannelDescriptor.MIN_CAPACITY - 1,
            (long)ChannelDescriptor.MIN_CAPACITY + 1,
            (long)ChannelDescriptor.MIN_CAPACITY + 4,
            1020L,
            (long)ChannelDescriptor.MAX_CAPACITY + RecordDescriptor.ALIGNMENT,
            (long)Integer.MAX_VALUE,
            1L << 32,
            Long.MAX_VALUE);
    }

    private static Stream<Long> goodCapacities()
    {
        return Stream.of(
            (long)ChannelDescriptor.MIN_CAPACITY,
            (long)ChannelDescriptor.MIN_CAPACITY + RecordDescriptor.ALIGNMENT,
            1024L,
            (long)ChannelDescriptor.MAX_CAPACITY);
    }
}
