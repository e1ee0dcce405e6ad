package org.kekbit.channel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;

/**
 * Property tests (jqwik) of what readers make of damaged files: mutated headers, mutated record headers and payloads,
 * truncated, empty, random and foreign files. Every case either fails to open with a {@link ChannelException} naming
 * the cause and the actual value, or opens and is read to its end without an exception escaping {@code poll}, with
 * every delivered payload inside the mapping, the records before the damage delivered intact and the reader
 * {@link ChannelState#CORRUPT} (or at an end marker) exactly at the damaged record. Payload damage can only be seen
 * through a checksum: every damaged {@link CheckedRecord} fails its CRC32C, every intact one passes.
 * <p>
 * The oracle for the header is the validation order of {@link ChannelDescriptor#checkHeader}, written down again here
 * from docs/format.md; the oracle for records is the rule set of {@code ChannelReader}: a frame length of at least 8,
 * a payload of at most maxRecordLength, an aligned end inside the data region and a non-negative type id.
 * <p>
 * Every try writes a mutated copy of one template: a closed channel of exactly one 4 KiB page, so that a read past
 * the data region would leave the mapping. The number of tries per property is {@code jqwik.tries.default} from
 * {@code junit-platform.properties} (2,000, so 10,000 cases in all), overridden with
 * {@code -Djqwik.tries.default=N}. A second surefire execution runs this class in a JVM with
 * {@code -Dagrona.disable.bounds.checks=true} and {@code -Dkekbit.expectBoundsChecks=false}; jqwik has no
 * {@code @Timeout}, so that execution has a fork timeout instead, and each read is bounded by the capacity.
 */
class ChannelCorruptionPropertyTest
{
    private static final int PAGE_SIZE = 4096;
    private static final int CAPACITY = PAGE_SIZE - HEADER_LENGTH - ChannelDescriptor.TRAILER_LENGTH;
    private static final int MAX_RECORD_LENGTH = 128;
    private static final int RECORD_COUNT = 48;
    private static final long TIMEOUT_MS = 60_000;
    private static final String EXPECT_BOUNDS_CHECKS = "kekbit.expectBoundsChecks";

    private static Path folder;
    private static Path file;
    private static byte[] template;
    private static int[] recordPositions;
    private static int endPosition;

    @BeforeContainer
    static void createTemplate() throws IOException
    {
        final String expectBoundsChecks = System.getProperty(EXPECT_BOUNDS_CHECKS);
        if (null != expectBoundsChecks)
        {
            final boolean isExpected = Boolean.parseBoolean(expectBoundsChecks);
            assertEquals(isExpected, UnsafeBuffer.SHOULD_BOUNDS_CHECK,
                "this execution must run with agrona.disable.bounds.checks=" + !isExpected);
        }

        // On tmpfs where there is one: each try rewrites a file, which costs a journal commit on a disk.
        final Path shm = Path.of("/dev/shm");
        folder = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "kekbit-corruption") : Files.createTempDirectory("kekbit-corruption");
        recordPositions = new int[RECORD_COUNT];
        final Path path;
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context().root(folder.resolve("template"))
            .channelId(1).capacity(CAPACITY).maxRecordLength(MAX_RECORD_LENGTH).timeoutMs(TIMEOUT_MS)))
        {
            path = writer.path();
            final CheckedRecord record = new CheckedRecord();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[CheckedRecord.MAX_LENGTH]);
            for (int i = 0; i < RECORD_COUNT; i++)
            {
                recordPositions[i] = (int)writer.position();
                final int length = record.encode(buffer, 0, i);
                assertTrue(writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length) > 0);
            }
            endPosition = (int)writer.position();
        }
        template = Files.readAllBytes(path);
        assertEquals(PAGE_SIZE, template.length);
        assertTrue(endPosition < CAPACITY - 256, "room after the CLOSED marker: endPosition=" + endPosition);
        file = folder.resolve("case.kekbit");
    }

    @AfterContainer
    static void deleteFolder()
    {
        IoUtil.delete(folder.toFile(), true);
    }

    @Example
    void shouldThrowNotAChannelWhenFileIsEmpty() throws IOException
    {
        final ChannelException ex = assertOpenFails(new byte[0], ChannelException.Reason.NOT_A_CHANNEL);
        assertTrue(ex.getMessage().contains("signature expected=*KEKBIT*, actual=,"), ex.getMessage());
    }

    @Example
    void shouldReadEveryRecordThenClosedWhenTemplateIsIntact() throws IOException
    {
        final ReadOutcome outcome = read(template, null);
        assertIntact(outcome);
    }

    @Property
    void shouldFailWithReasonOrReadExpectedRecordsWhenHeaderIsMutated(@ForAll("headerMutations") final Mutation m)
        throws IOException
    {
        // The generators must keep reaching both sides: files that open, and each kind of refusal.
        Statistics.label("outcome").coverage((checker) ->
        {
            checker.check("opened CLOSED").percentage((p) -> p >= 10);
            checker.check("opened CORRUPT").percentage((p) -> p >= 0.2);
            checker.check("NOT_A_CHANNEL").percentage((p) -> p >= 5);
            checker.check("BAD_CAPACITY").percentage((p) -> p >= 0.5);
            checker.check("BAD_MAX_RECORD_LENGTH").percentage((p) -> p >= 0.2);
        });
        final byte[] bytes = m.applyTo(template);
        final ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final ChannelException.Reason expectedReason = expectedOpenFailure(bytes);
        if (null != expectedReason)
        {
            Statistics.label("outcome").collect(expectedReason.name());
            final ChannelException ex = assertOpenFails(bytes, expectedReason);
            assertTrue(ex.getMessage().contains(expectedFragment(expectedReason, header, bytes.length)),
                () -> "message does not name the cause: " + ex.getMessage() + " for " + m);
            return;
        }

        // Opens: the records are the template's, read under the (possibly smaller) capacity and max record length.
        final int capacity = (int)header.getLong(ChannelHeaderDecoder.capacityEncodingOffset());
        final int maxRecordLength = header.getInt(ChannelHeaderDecoder.maxRecordLengthEncodingOffset());
        final ReadOutcome outcome = read(bytes, null);
        int expectedRecords = 0;
        ChannelState expectedState = ChannelState.CLOSED;
        int expectedPosition = endPosition;
        for (int i = 0; i < RECORD_COUNT; i++)
        {
            final int position = recordPositions[i];
            final int frameLength = RecordDescriptor.frameLength(CheckedRecord.length(i));
            if (frameLength - RecordDescriptor.HEADER_LENGTH > maxRecordLength ||
                RecordDescriptor.alignedLength(frameLength, RecordDescriptor.ALIGNMENT) > capacity - position)
            {
                expectedState = ChannelState.CORRUPT;
                expectedPosition = position;
                break;
            }
            expectedRecords++;
        }
        assertEquals(expectedRecords, outcome.records, () -> "records for " + m);
        assertEquals(expectedRecords, outcome.intactRecords, () -> "intact records for " + m);
        assertEquals(expectedState, outcome.endState, () -> "end state for " + m);
        assertEquals(expectedPosition, outcome.position, () -> "position for " + m);
        Statistics.label("outcome").collect("opened " + expectedState);
    }

    @Property
    void shouldBeCorruptAtMutatedRecordOrDetectItWhenRecordHeaderIsMutated(
        @ForAll("recordHeaderMutations") final RecordHeaderMutation m) throws IOException
    {
        Statistics.label("outcome").coverage((checker) ->
        {
            checker.check("delivered").percentage((p) -> p >= 20);
            checker.check("end").percentage((p) -> p >= 20);
            checker.check("zero").percentage((p) -> p >= 0.2);
        });
        final byte[] bytes = m.mutation.applyTo(template);
        final ReadOutcome outcome = read(bytes, m.isAfterOpen ? m.mutation : null);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int recordOffset = HEADER_LENGTH + m.position;
        final int frameLength = buffer.getInt(recordOffset + RecordDescriptor.FRAME_LENGTH_OFFSET);
        final int msgTypeId = buffer.getInt(recordOffset + RecordDescriptor.MSG_TYPE_ID_OFFSET);
        if (m.position > endPosition || m.mutation.isIdentity(template))
        {
            Statistics.label("outcome").collect("unchanged");
            assertIntact(outcome); // past the CLOSED marker no reader ever looks
            return;
        }

        final int before = m.index;
        assertTrue(outcome.records >= before, () -> "records before the mutated one are delivered: " + outcome);
        for (int i = 0; i < before; i++)
        {
            assertTrue(outcome.isIntact[i], "record " + i + " before the mutated one is intact: " + outcome);
        }
        final int payloadLength = frameLength - RecordDescriptor.HEADER_LENGTH;
        final boolean isValidLooking = 0 != frameLength && msgTypeId >= 0 && payloadLength >= 0 &&
            payloadLength <= MAX_RECORD_LENGTH &&
            RecordDescriptor.alignedLength(frameLength, RecordDescriptor.ALIGNMENT) <= CAPACITY - m.position;
        Statistics.label("outcome").collect(0 == frameLength ? "zero" : isValidLooking ? "delivered" : "end");
        if (0 == frameLength)
        {
            assertEquals(before, outcome.records, () -> "nothing committed from the mutated record on: " + outcome);
            assertEquals(ChannelState.OPEN, outcome.endState, outcome::toString);
            assertEquals(m.position, outcome.position, outcome::toString);
        }
        else if (isValidLooking)
        {
            // A header a writer could have written: the record is delivered, and its checksum gives it away.
            assertTrue(outcome.records > before, outcome::toString);
            assertFalse(outcome.isIntact[before], () -> "mutated record passed as intact: " + outcome);
        }
        else
        {
            final ChannelState expected = RecordDescriptor.HEADER_LENGTH != frameLength ? ChannelState.CORRUPT :
                RecordDescriptor.CLOSED_MSG_TYPE_ID == msgTypeId ? ChannelState.CLOSED :
                RecordDescriptor.FULL_MSG_TYPE_ID == msgTypeId ? ChannelState.FULL :
                RecordDescriptor.ROLLED_MSG_TYPE_ID == msgTypeId ? ChannelState.ROLLED : ChannelState.CORRUPT;
            assertEquals(before, outcome.records, outcome::toString);
            assertEquals(expected, outcome.endState, outcome::toString);
            assertEquals(m.position, outcome.position, outcome::toString);
            if (ChannelState.CORRUPT == expected)
            {
                assertTrue(outcome.corruption.startsWith("bad record header at position=" + m.position + ":"),
                    outcome::toString);
            }
        }
    }

    @Property
    void shouldFailChecksumOfExactlyTheMutatedRecordsWhenPayloadsAreMutated(
        @ForAll("payloadMutations") final Mutation m) throws IOException
    {
        final byte[] bytes = m.applyTo(template);
        final ReadOutcome outcome = read(bytes, null);
        assertEquals(RECORD_COUNT, outcome.records, outcome::toString);
        assertEquals(ChannelState.CLOSED, outcome.endState, outcome::toString);
        assertEquals(endPosition, outcome.position);
        for (int i = 0; i < RECORD_COUNT; i++)
        {
            final int payloadFrom = HEADER_LENGTH + recordPositions[i] + RecordDescriptor.HEADER_LENGTH;
            final int payloadTo = payloadFrom + CheckedRecord.length(i);
            boolean isChanged = false;
            for (int offset = payloadFrom; offset < payloadTo; offset++)
            {
                isChanged |= bytes[offset] != template[offset];
            }
            assertEquals(!isChanged, outcome.isIntact[i], "record " + i + " for " + m);
        }
    }

    @Property
    void shouldThrowNotAChannelOrTruncatedWhenFileIsTruncated(@ForAll("truncatedLengths") final int length)
        throws IOException
    {
        final byte[] bytes = Arrays.copyOf(template, length);
        if (length < ChannelDescriptor.SIGNATURE_LENGTH)
        {
            final ChannelException ex = assertOpenFails(bytes, ChannelException.Reason.NOT_A_CHANNEL);
            assertTrue(ex.getMessage().contains("signature expected=*KEKBIT*, actual=" +
                new String(bytes, StandardCharsets.US_ASCII) + ","), ex.getMessage());
        }
        else if (length < HEADER_LENGTH)
        {
            final ChannelException ex = assertOpenFails(bytes, ChannelException.Reason.TRUNCATED);
            assertTrue(ex.getMessage().contains("expected>=" + HEADER_LENGTH + ", actual=" + length), ex.getMessage());
        }
        else
        {
            final ChannelException ex = assertOpenFails(bytes, ChannelException.Reason.TRUNCATED);
            assertTrue(ex.getMessage().contains("expected length>=" + PAGE_SIZE + ", actual=" + length),
                ex.getMessage());
        }
    }

    @Property
    void shouldThrowNamedReasonOrReadSafelyWhenFileIsRandomOrForeign(@ForAll("strangeFiles") final StrangeFile f)
        throws IOException
    {
        final boolean hasSignature = f.bytes.length >= ChannelDescriptor.SIGNATURE_LENGTH && ChannelDescriptor.SIGNATURE
            .equals(new String(f.bytes, 0, ChannelDescriptor.SIGNATURE_LENGTH, StandardCharsets.US_ASCII));
        final ChannelException.Reason expectedReason = expectedOpenFailure(f.bytes);
        if (!hasSignature)
        {
            assertEquals(ChannelException.Reason.NOT_A_CHANNEL, expectedReason);
        }
        if (null != expectedReason)
        {
            final ChannelException ex = assertOpenFails(f.bytes, expectedReason);
            assertTrue(ex.getMessage().contains(expectedFragment(
                expectedReason, ByteBuffer.wrap(f.bytes).order(ByteOrder.LITTLE_ENDIAN), f.bytes.length)),
                () -> "message does not name the cause: " + ex.getMessage() + " for " + f);
            return;
        }

        final ReadOutcome outcome = read(f.bytes, null); // a random valid header over random records: only safety
        assertTrue(outcome.position >= 0, outcome::toString);
    }

    @Provide
    Arbitrary<Mutation> headerMutations()
    {
        final Arbitrary<Mutation> bytes = Combinators.combine(
            Arbitraries.integers().between(0, HEADER_LENGTH - 1).list().ofMinSize(1).ofMaxSize(4),
            Arbitraries.bytes().list().ofSize(4))
            .as((offsets, values) -> Mutation.bytes("header bytes", offsets, values));
        final Arbitrary<Mutation> bits = Arbitraries.integers().between(0, HEADER_LENGTH * 8 - 1)
            .list().ofMinSize(1).ofMaxSize(3)
            .map((bitIndexes) -> Mutation.bits("header bits", bitIndexes));
        final Arbitrary<Mutation> fields = Combinators.combine(
            Arbitraries.of(HeaderField.values()), edgeOrRandomLong(CAPACITY))
            .as((field, value) -> Mutation.field(field.name(), field.offset, field.size, value));
        return Arbitraries.frequencyOf(
            Tuple.of(3, bytes), Tuple.of(2, bits), Tuple.of(5, fields));
    }

    @Provide
    Arbitrary<RecordHeaderMutation> recordHeaderMutations()
    {
        // Index RECORD_COUNT is the CLOSED marker, the one after it the zeros past it.
        final Arbitrary<Integer> index = Arbitraries.integers().between(0, RECORD_COUNT + 1);
        final Arbitrary<Boolean> isFrameLength = Arbitraries.of(true, false);
        return Combinators.combine(index, isFrameLength, edgeOrRandomLong(CAPACITY), Arbitraries.of(true, false),
            Arbitraries.integers().between(-1, 63))
            .as((i, isFrame, value, isAfterOpen, bit) ->
            {
                final int position = i < RECORD_COUNT ? recordPositions[i] :
                    endPosition + (i - RECORD_COUNT) * RecordDescriptor.HEADER_LENGTH;
                final int offset = HEADER_LENGTH + position +
                    (isFrame ? RecordDescriptor.FRAME_LENGTH_OFFSET : RecordDescriptor.MSG_TYPE_ID_OFFSET);
                final Mutation mutation = bit >= 0 ?
                    Mutation.bits("record " + i + " header bit", List.of((HEADER_LENGTH + position) * 8 + bit)) :
                    Mutation.field("record " + i + (isFrame ? " frameLength" : " msgTypeId"), offset, 4, value);
                return new RecordHeaderMutation(Math.min(i, RECORD_COUNT), position, mutation, isAfterOpen);
            });
    }

    @Provide
    Arbitrary<Mutation> payloadMutations()
    {
        final Arbitrary<Integer> payloadOffset = Arbitraries.integers().between(0, RECORD_COUNT - 1)
            .flatMap((i) -> Arbitraries.integers().between(
                HEADER_LENGTH + recordPositions[i] + RecordDescriptor.HEADER_LENGTH,
                HEADER_LENGTH + (i + 1 < RECORD_COUNT ? recordPositions[i + 1] : endPosition) - 1));
        return Combinators.combine(payloadOffset.list().ofMinSize(1).ofMaxSize(6), Arbitraries.bytes().list().ofSize(6))
            .as((offsets, values) -> Mutation.bytes("payload bytes", offsets, values));
    }

    @Provide
    Arbitrary<Integer> truncatedLengths()
    {
        return Arbitraries.oneOf(
            Arbitraries.integers().between(0, PAGE_SIZE - 1),
            Arbitraries.integers().between(0, HEADER_LENGTH + 8),
            Arbitraries.of(0, 1, 7, 8, 9, HEADER_LENGTH - 1, HEADER_LENGTH, HEADER_LENGTH + 1,
                PAGE_SIZE - ChannelDescriptor.TRAILER_LENGTH, PAGE_SIZE - 1));
    }

    @Provide
    Arbitrary<StrangeFile> strangeFiles()
    {
        final Arbitrary<StrangeFile> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(3 * PAGE_SIZE)
            .map((bytes) -> new StrangeFile("random", bytes));
        final Arbitrary<StrangeFile> signed = Arbitraries.bytes().array(byte[].class).ofMaxSize(2 * PAGE_SIZE)
            .map((bytes) -> new StrangeFile("signature then random", withPrefix(bytes, false)));
        final Arbitrary<StrangeFile> plausible = Combinators.combine(
            Arbitraries.bytes().array(byte[].class).ofMinSize(HEADER_LENGTH).ofMaxSize(2 * PAGE_SIZE),
            Arbitraries.longs().between(ChannelDescriptor.MIN_CAPACITY / 8, PAGE_SIZE / 8),
            Arbitraries.integers().between(-8, PAGE_SIZE))
            .as((bytes, capacity, maxRecordLength) ->
            {
                final byte[] file = withPrefix(bytes, true);
                final ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
                buffer.putLong(ChannelHeaderDecoder.capacityEncodingOffset(), capacity * 8);
                buffer.putInt(ChannelHeaderDecoder.maxRecordLengthEncodingOffset(), maxRecordLength);
                buffer.putLong(ChannelHeaderDecoder.timeoutMsEncodingOffset(), TIMEOUT_MS);
                return new StrangeFile("plausible header then random", file);
            });
        final Arbitrary<StrangeFile> foreign = Combinators.combine(
            Arbitraries.of(Foreign.values()), Arbitraries.strings().ofMaxLength(2000))
            .as((kind, text) -> new StrangeFile("foreign " + kind, kind.bytesOf(text)));
        return Arbitraries.frequencyOf(Tuple.of(3, random), Tuple.of(2, signed),
            Tuple.of(3, plausible), Tuple.of(2, foreign));
    }

    private static Arbitrary<Long> edgeOrRandomLong(final int capacity)
    {
        return Arbitraries.oneOf(
            Arbitraries.of(0L, 1L, -1L, -2L, 7L, 8L, 9L, 16L, 64L, 127L, 128L, 129L, (long)MAX_RECORD_LENGTH,
                MAX_RECORD_LENGTH + 8L, MAX_RECORD_LENGTH + 9L, capacity - 8L, (long)capacity, capacity + 8L,
                capacity / 2L, (long)Integer.MAX_VALUE, (long)Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE,
                (long)ChannelDescriptor.MAX_CAPACITY, 2L * capacity, 0x7fff_fff0L),
            Arbitraries.longs().between(-16, capacity + 16),
            Arbitraries.longs());
    }

    private static byte[] withPrefix(final byte[] bytes, final boolean isPlausible)
    {
        final byte[] file = Arrays.copyOf(bytes, Math.max(bytes.length, ChannelDescriptor.SIGNATURE_LENGTH));
        System.arraycopy(ChannelDescriptor.SIGNATURE.getBytes(StandardCharsets.US_ASCII), 0, file, 0,
            ChannelDescriptor.SIGNATURE_LENGTH);
        if (isPlausible)
        {
            final ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(ChannelHeaderDecoder.formatVersionEncodingOffset(), ChannelDescriptor.FORMAT_VERSION);
            buffer.putInt(ChannelHeaderDecoder.headerLengthEncodingOffset(), HEADER_LENGTH);
            buffer.putInt(ChannelHeaderDecoder.recordAlignmentEncodingOffset(), RecordDescriptor.ALIGNMENT);
            buffer.putInt(ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset(), 0);
        }
        return file;
    }

    /**
     * The reason {@link ChannelDescriptor#checkHeader} must give, in its documented order, or null when the file
     * must open.
     */
    private static ChannelException.Reason expectedOpenFailure(final byte[] bytes)
    {
        final ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < ChannelDescriptor.SIGNATURE_LENGTH || !ChannelDescriptor.SIGNATURE.equals(
            new String(bytes, 0, ChannelDescriptor.SIGNATURE_LENGTH, StandardCharsets.US_ASCII)))
        {
            return ChannelException.Reason.NOT_A_CHANNEL;
        }
        if (bytes.length < HEADER_LENGTH)
        {
            return ChannelException.Reason.TRUNCATED;
        }
        final int formatVersion = header.getInt(ChannelHeaderDecoder.formatVersionEncodingOffset());
        if (0 == formatVersion)
        {
            return ChannelException.Reason.NOT_READY;
        }
        if (ChannelDescriptor.FORMAT_VERSION != formatVersion)
        {
            return ChannelException.Reason.INCOMPATIBLE_VERSION;
        }
        final int recordAlignment = header.getInt(ChannelHeaderDecoder.recordAlignmentEncodingOffset());
        if (HEADER_LENGTH != header.getInt(ChannelHeaderDecoder.headerLengthEncodingOffset()) ||
            !isConfirmedRecordAlignment(header))
        {
            return ChannelException.Reason.BAD_HEADER;
        }
        final long capacity = header.getLong(ChannelHeaderDecoder.capacityEncodingOffset());
        if (capacity < ChannelDescriptor.MIN_CAPACITY || capacity > ChannelDescriptor.MAX_CAPACITY ||
            0 != (capacity & (RecordDescriptor.ALIGNMENT - 1)) || 0 != (capacity & (recordAlignment - 1)))
        {
            return ChannelException.Reason.BAD_CAPACITY;
        }
        final int maxRecordLength = header.getInt(ChannelHeaderDecoder.maxRecordLengthEncodingOffset());
        if (maxRecordLength < 0 || maxRecordLength > capacity - RecordDescriptor.HEADER_LENGTH)
        {
            return ChannelException.Reason.BAD_MAX_RECORD_LENGTH;
        }
        if (header.getLong(ChannelHeaderDecoder.timeoutMsEncodingOffset()) <= 0)
        {
            return ChannelException.Reason.BAD_HEADER;
        }
        if (bytes.length < ChannelDescriptor.fileLength(capacity))
        {
            return ChannelException.Reason.TRUNCATED;
        }
        return null;
    }

    /**
     * Whether the header's record alignment is one a channel may have and its check field confirms it, written out
     * here rather than taken from the code under test: 8 with a check of 0, or 16 to 128 with their complement.
     */
    private static boolean isConfirmedRecordAlignment(final ByteBuffer header)
    {
        final int recordAlignment = header.getInt(ChannelHeaderDecoder.recordAlignmentEncodingOffset());
        final int check = header.getInt(ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset());
        if (8 == recordAlignment)
        {
            return 0 == check;
        }
        return (16 == recordAlignment || 32 == recordAlignment || 64 == recordAlignment || 128 == recordAlignment) &&
            ~recordAlignment == check;
    }

    /**
     * What the message must contain to name the cause: the field and its actual value.
     */
    private static String expectedFragment(
        final ChannelException.Reason reason, final ByteBuffer header, final int fileLength)
    {
        switch (reason)
        {
            case NOT_A_CHANNEL:
                return "signature expected=" + ChannelDescriptor.SIGNATURE + ", actual=";
            case NOT_READY:
                return "formatVersion=0";
            case INCOMPATIBLE_VERSION:
                return "expected=" + ChannelDescriptor.FORMAT_VERSION + ", actual=" +
                    header.getInt(ChannelHeaderDecoder.formatVersionEncodingOffset());
            case BAD_CAPACITY:
                return "actual=" + header.getLong(ChannelHeaderDecoder.capacityEncodingOffset());
            case BAD_MAX_RECORD_LENGTH:
                return "actual=" + header.getInt(ChannelHeaderDecoder.maxRecordLengthEncodingOffset());
            case TRUNCATED:
                return "actual=" + fileLength;
            case BAD_HEADER:
                if (HEADER_LENGTH != header.getInt(ChannelHeaderDecoder.headerLengthEncodingOffset()))
                {
                    return "bad headerLength: expected=128, actual=" +
                        header.getInt(ChannelHeaderDecoder.headerLengthEncodingOffset());
                }
                if (!isConfirmedRecordAlignment(header))
                {
                    return "bad recordAlignment: expected a power of two from 8 to 128 that recordAlignmentCheck=" +
                        header.getInt(ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset()) +
                        " confirms, actual=" + header.getInt(ChannelHeaderDecoder.recordAlignmentEncodingOffset());
                }
                return "timeoutMs must be positive: actual=" +
                    header.getLong(ChannelHeaderDecoder.timeoutMsEncodingOffset());
            default:
                throw new IllegalArgumentException("unexpected reason " + reason);
        }
    }

    private static ChannelException assertOpenFails(final byte[] bytes, final ChannelException.Reason reason)
        throws IOException
    {
        Files.write(file, bytes);
        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelReader.open(file).close());
        assertEquals(reason, ex.reason(), ex::getMessage);
        assertTrue(ex.getMessage().contains("file=" + file) || ex.getMessage().contains(file.toString()),
            ex::getMessage);
        return ex;
    }

    private static void assertIntact(final ReadOutcome outcome)
    {
        assertEquals(RECORD_COUNT, outcome.records, outcome::toString);
        assertEquals(RECORD_COUNT, outcome.intactRecords, outcome::toString);
        assertEquals(ChannelState.CLOSED, outcome.endState, outcome::toString);
        assertEquals(endPosition, outcome.position, outcome::toString);
        assertNull(outcome.corruption);
    }

    /**
     * Write the bytes, open them, read to the end with poll (and a second reader with seekToEnd, which must stop at
     * the same position), checking every delivered payload lies inside the mapping.
     *
     * @param lateMutation applied through the file after the readers mapped it, or null.
     */
    private static ReadOutcome read(final byte[] bytes, final Mutation lateMutation) throws IOException
    {
        final byte[] initial = null == lateMutation ? bytes : template;
        Files.write(file, initial);
        final ReadOutcome outcome = new ReadOutcome();
        final ChannelReader.Context ctx = new ChannelReader.Context().path(file)
            .observer(ProcessIdentities.OTHER_NAMESPACE).epochClock(() -> Long.MAX_VALUE / 2);
        try (ChannelReader reader = ChannelReader.open(ctx); ChannelReader seeker = ChannelReader.open(ctx))
        {
            if (null != lateMutation)
            {
                lateMutation.applyToFile(file, template);
            }

            final CheckedRecord record = new CheckedRecord();
            final int mappingLength = (int)ChannelDescriptor.fileLength(reader.capacity());
            final RecordHandler handler = (msgTypeId, buffer, offset, length) ->
            {
                assertTrue(offset >= HEADER_LENGTH + RecordDescriptor.HEADER_LENGTH && length >= 0 &&
                    (long)offset + length <= mappingLength && buffer.capacity() == mappingLength,
                    () -> "payload outside the mapping: offset=" + offset + ", length=" + length);
                final boolean isIntact = CheckedRecord.MSG_TYPE_ID == msgTypeId &&
                    null == record.verify(buffer, offset, length, outcome.records);
                outcome.add(isIntact);
            };
            final int maxPolls = reader.capacity() / RecordDescriptor.ALIGNMENT + 2;
            int polls = 0;
            while (reader.poll(handler, 5) > 0)
            {
                assertTrue(++polls <= maxPolls, "poll never ran dry");
                assertTrue(reader.position() >= 0 && reader.position() <= reader.capacity() &&
                    0 == (reader.position() & (RecordDescriptor.ALIGNMENT - 1)), "position=" + reader.position());
            }
            outcome.endState = reader.endState();
            outcome.position = (int)reader.position();
            outcome.corruption = reader.corruption();
            assertNotNull(reader.state());
            assertEquals(0, reader.poll(handler, 5), "a reader at its end stays there");

            assertEquals(outcome.position, seeker.seekToEnd(), "seekToEnd stops where poll stopped");
        }
        return outcome;
    }

    /**
     * Header fields at their {@link ChannelDescriptor} offsets.
     */
    enum HeaderField
    {
        SIGNATURE(ChannelHeaderDecoder.signatureEncodingOffset(), 8),
        FORMAT_VERSION(ChannelHeaderDecoder.formatVersionEncodingOffset(), 4),
        HEADER_LENGTH_FIELD(ChannelHeaderDecoder.headerLengthEncodingOffset(), 4),
        CHANNEL_ID(ChannelHeaderDecoder.channelIdEncodingOffset(), 8),
        WRITER_ID(ChannelHeaderDecoder.writerIdEncodingOffset(), 8),
        CAPACITY_FIELD(ChannelHeaderDecoder.capacityEncodingOffset(), 8),
        MAX_RECORD_LENGTH_FIELD(ChannelHeaderDecoder.maxRecordLengthEncodingOffset(), 4),
        RECORD_ALIGNMENT(ChannelHeaderDecoder.recordAlignmentEncodingOffset(), 4),
        RECORD_ALIGNMENT_CHECK(ChannelHeaderDecoder.recordAlignmentCheckEncodingOffset(), 4),
        TIMEOUT(ChannelHeaderDecoder.timeoutMsEncodingOffset(), 8),
        CREATION_TIME(ChannelHeaderDecoder.creationTimeMsEncodingOffset(), 8),
        WRITER_PID(ChannelHeaderDecoder.writerPidEncodingOffset(), 8),
        WRITER_START_TIME(ChannelHeaderDecoder.writerStartTicksEncodingOffset(), 8),
        HEARTBEAT(ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset(), 8),
        RESERVED(ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset() + 8, 8);

        final int offset;
        final int size;

        HeaderField(final int offset, final int size)
        {
            this.offset = offset;
            this.size = size;
        }
    }

    /**
     * Files that are not channels, as a user might put them where a channel belongs.
     */
    enum Foreign
    {
        ZIP
        {
            byte[] bytes(final String text) throws IOException
            {
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (ZipOutputStream zip = new ZipOutputStream(out))
                {
                    zip.putNextEntry(new ZipEntry("0000_002a.kekbit"));
                    zip.write(text.getBytes(StandardCharsets.UTF_8));
                    zip.closeEntry();
                }
                return out.toByteArray();
            }
        },

        GZIP
        {
            byte[] bytes(final String text) throws IOException
            {
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (GZIPOutputStream gzip = new GZIPOutputStream(out))
                {
                    gzip.write(text.getBytes(StandardCharsets.UTF_8));
                }
                return out.toByteArray();
            }
        },

        TEXT
        {
            byte[] bytes(final String text)
            {
                return ("*KEKBIT channel notes*\n" + text).getBytes(StandardCharsets.UTF_8);
            }
        },

        CLASS_FILE
        {
            byte[] bytes(final String text) throws IOException
            {
                try (InputStream in = ChannelCorruptionPropertyTest.class.getResourceAsStream(
                    "ChannelCorruptionPropertyTest.class"))
                {
                    return in.readAllBytes();
                }
            }
        };

        abstract byte[] bytes(String text) throws IOException;

        byte[] bytesOf(final String text)
        {
            try
            {
                return bytes(text);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /**
     * A change to some bytes of a file, printable for a failing case.
     */
    static final class Mutation
    {
        private final String description;
        private final int[] offsets;
        private final byte[] values;
        private final boolean[] isXor;

        private Mutation(final String description, final int[] offsets, final byte[] values, final boolean[] isXor)
        {
            this.description = description;
            this.offsets = offsets;
            this.values = values;
            this.isXor = isXor;
        }

        static Mutation bytes(final String description, final List<Integer> offsets, final List<Byte> values)
        {
            final int[] o = new int[offsets.size()];
            final byte[] v = new byte[offsets.size()];
            for (int i = 0; i < o.length; i++)
            {
                o[i] = offsets.get(i);
                v[i] = values.get(i);
            }
            return new Mutation(description, o, v, new boolean[o.length]);
        }

        static Mutation bits(final String description, final List<Integer> bitIndexes)
        {
            final int[] o = new int[bitIndexes.size()];
            final byte[] v = new byte[o.length];
            final boolean[] x = new boolean[o.length];
            for (int i = 0; i < o.length; i++)
            {
                o[i] = bitIndexes.get(i) / 8;
                v[i] = (byte)(1 << (bitIndexes.get(i) % 8));
                x[i] = true;
            }
            return new Mutation(description, o, v, x);
        }

        static Mutation field(final String description, final int offset, final int size, final long value)
        {
            final int[] o = new int[size];
            final byte[] v = new byte[size];
            for (int i = 0; i < size; i++)
            {
                o[i] = offset + i;
                v[i] = (byte)(value >>> (8 * i));
            }
            return new Mutation(description + "=" + value, o, v, new boolean[size]);
        }

        byte[] applyTo(final byte[] original)
        {
            final byte[] bytes = original.clone();
            for (int i = 0; i < offsets.length; i++)
            {
                bytes[offsets[i]] = isXor[i] ? (byte)(bytes[offsets[i]] ^ values[i]) : values[i];
            }
            return bytes;
        }

        boolean isIdentity(final byte[] original)
        {
            return Arrays.equals(original, applyTo(original));
        }

        void applyToFile(final Path path, final byte[] original) throws IOException
        {
            final byte[] mutated = applyTo(original);
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE))
            {
                for (final int offset : offsets)
                {
                    channel.write(ByteBuffer.wrap(mutated, offset, 1), offset);
                }
            }
        }

        public String toString()
        {
            final StringBuilder builder = new StringBuilder(description).append(" {");
            for (int i = 0; i < offsets.length; i++)
            {
                builder.append(offsets[i]).append(isXor[i] ? "^=" : "=").append(values[i] & 0xff).append(' ');
            }
            return builder.append('}').toString();
        }
    }

    /**
     * A mutation of the header of the record at an index (the CLOSED marker or the zeros past it for the last two),
     * applied before the reader maps the file or after.
     */
    record RecordHeaderMutation(int index, int position, Mutation mutation, boolean isAfterOpen)
    {
    }

    /**
     * The bytes of a file that is no channel, or is one by chance only.
     */
    record StrangeFile(String kind, byte[] bytes)
    {
        public String toString()
        {
            return kind + " of " + bytes.length + " bytes";
        }
    }

    /**
     * What a read of a case delivered.
     */
    static final class ReadOutcome
    {
        int records;
        int intactRecords;
        boolean[] isIntact = new boolean[RECORD_COUNT + 1];
        ChannelState endState;
        int position;
        String corruption;

        void add(final boolean isRecordIntact)
        {
            if (records < isIntact.length)
            {
                isIntact[records] = isRecordIntact;
            }
            intactRecords += isRecordIntact ? 1 : 0;
            records++;
        }

        public String toString()
        {
            return "records=" + records + ", intact=" + intactRecords + ", endState=" + endState + ", position=" +
                position + ", corruption=" + corruption;
        }
    }
}
