package org.kekbit.channel;

import java.nio.file.Path;
import java.util.stream.IntStream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.kekbit.channel.ChannelTestSupport.Received;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kekbit.channel.ChannelTestSupport.alignedRecordLength;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelRoundTripTest
{
    private static final int MAX_RECORD_LENGTH = 300;
    private static final int CAPACITY = 64 * 1024;

    @TempDir
    Path root;

    private ChannelWriter writer;
    private ChannelReader reader;
    private RecordCollector collector;

    @BeforeEach
    void before()
    {
        writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        reader = ChannelReader.open(writer.path());
        collector = new RecordCollector(reader);
    }

    @AfterEach
    void after()
    {
        reader.close();
        writer.close();
    }

    @Test
    void shouldDeliverEveryPayloadLengthWhenAllAreWrittenBeforeReading()
    {
        final long[] positions = new long[MAX_RECORD_LENGTH + 1];
        for (int length = 0; length <= MAX_RECORD_LENGTH; length++)
        {
            positions[length] = writer.write(typeIdFor(length), payload(length, length), 0, length);
        }

        assertEquals(MAX_RECORD_LENGTH + 1, reader.poll(collector, Integer.MAX_VALUE));

        long expectedPosition = 0;
        for (int length = 0; length <= MAX_RECORD_LENGTH; length++)
        {
            expectedPosition += alignedRecordLength(length);
            assertEquals(expectedPosition, positions[length], "position returned for length=" + length);
            assertEquals(0, positions[length] % RecordDescriptor.ALIGNMENT);
            assertRecord(collector.get(length), typeIdFor(length), payload(length, length), positions[length]);
        }
        assertEquals(expectedPosition, reader.position());
        assertEquals(expectedPosition, writer.position());
        assertEquals(ChannelState.OPEN, reader.state());
    }

    @Test
    void shouldDeliverEveryPayloadLengthWhenReadingBetweenWrites()
    {
        for (int length = MAX_RECORD_LENGTH; length >= 0; length--)
        {
            final long position = writer.write(typeIdFor(length), payload(length, -length), 0, length);

            assertEquals(1, reader.poll(collector, Integer.MAX_VALUE), "length=" + length);
            assertEquals(0, reader.poll(collector, Integer.MAX_VALUE), "length=" + length);
            assertRecord(collector.get(collector.size() - 1), typeIdFor(length), payload(length, -length), position);
        }
        assertEquals(MAX_RECORD_LENGTH + 1, collector.size());
    }

    @ParameterizedTest
    @MethodSource("boundaryLengths")
    void shouldRoundTripRecordWhenLengthIsNearAlignmentBoundary(final int length)
    {
        final UnsafeBuffer first = payload(length, 1);
        final UnsafeBuffer second = payload(1, 2);

        final long firstPosition = writer.write(3, first, 0, length);
        final long secondPosition = writer.write(4, second, 0, 1);

        assertEquals(alignedRecordLength(length), firstPosition);
        assertEquals(firstPosition + 16, secondPosition);
        assertEquals(2, reader.poll(collector, 10));
        assertRecord(collector.get(0), 3, first, firstPosition);
        assertRecord(collector.get(1), 4, second, secondPosition);
    }

    @ParameterizedTest
    @MethodSource("boundaryLengths")
    void shouldCopyFromSourceOffsetWhenPayloadIsInsideLargerBuffer(final int length)
    {
        final int srcOffset = 13;
        final UnsafeBuffer src = payload(srcOffset + length + 5, 9);

        final long position = writer.write(Integer.MAX_VALUE, src, srcOffset, length);

        assertEquals(1, reader.poll(collector, 10));
        assertEquals(Integer.MAX_VALUE, collector.get(0).msgTypeId());
        assertArrayEquals(bytes(src, srcOffset, length), collector.get(0).payload());
        assertEquals(position, collector.get(0).position());
    }

    @ParameterizedTest
    @MethodSource("boundaryLengths")
    void shouldRoundTripClaimedRecordWhenCommitted(final int length)
    {
        final RecordClaim claim = new RecordClaim();
        final UnsafeBuffer expected = payload(length, 5);
        writer.write(1, payload(3, 3), 0, 3);
        final long positionBefore = writer.position();

        final long claimedPosition = writer.tryClaim(7, length, claim);
        assertEquals(positionBefore + alignedRecordLength(length), claimedPosition);
        assertEquals(length, claim.length());
        assertEquals(length, claim.buffer().capacity());
        assertEquals(1, reader.poll(collector, 10), "only the record before the claim is visible before commit");
        assertEquals(positionBefore, reader.position());
        claim.buffer().putBytes(claim.offset(), expected, 0, length);
        final long committedPosition = claim.commit();

        assertEquals(claimedPosition, committedPosition);
        assertEquals(committedPosition, writer.position());
        assertEquals(1, reader.poll(collector, 10));
        assertRecord(collector.get(1), 7, expected, committedPosition);
    }

    @Test
    void shouldRoundTripEveryClaimLengthWhenClaimsAreCommitted()
    {
        final RecordClaim claim = new RecordClaim();
        for (int length = 0; length <= MAX_RECORD_LENGTH; length++)
        {
            final long claimed = writer.tryClaim(typeIdFor(length), length, claim);
            claim.buffer().putBytes(claim.offset(), payload(length, length), 0, length);
            assertEquals(claimed, claim.commit());
        }

        assertEquals(MAX_RECORD_LENGTH + 1, reader.poll(collector, Integer.MAX_VALUE));
        long expectedPosition = 0;
        for (int length = 0; length <= MAX_RECORD_LENGTH; length++)
        {
            expectedPosition += alignedRecordLength(length);
            assertRecord(collector.get(length), typeIdFor(length), payload(length, length), expectedPosition);
        }
    }

    @ParameterizedTest
    @CsvSource({ "100, 3", "100, 0", "100, 100", "16, 8", "0, 0", "9, 1", "300, 299", "300, 0", "7, 300" })
    void shouldDeliverNextRecordInPlaceOfAbortedClaimWhenClaimIsAborted(final int abortedLength, final int nextLength)
    {
        final RecordClaim claim = new RecordClaim();
        writer.write(1, payload(5, 1), 0, 5);
        final long positionBefore = writer.position();

        writer.tryClaim(66, abortedLength, claim);
        // Bytes that would read as a huge frame length if the abort left them behind a shorter record.
        claim.buffer().setMemory(claim.offset(), abortedLength, (byte)0xFF);
        claim.abort();

        assertEquals(positionBefore, writer.position());
        assertEquals(1, reader.poll(collector, 10));
        assertEquals(ChannelState.OPEN, reader.state());

        final UnsafeBuffer next = payload(nextLength, 2);
        final long nextPosition = writer.write(2, next, 0, nextLength);
        assertEquals(positionBefore + alignedRecordLength(nextLength), nextPosition);

        assertEquals(1, reader.poll(collector, 10));
        assertEquals(0, reader.poll(collector, 10));
        assertEquals(ChannelState.OPEN, reader.state());
        assertRecord(collector.get(1), 2, next, nextPosition);

        final long lastPosition = writer.write(3, payload(11, 3), 0, 11);
        assertEquals(1, reader.poll(collector, 10));
        assertRecord(collector.get(2), 3, payload(11, 3), lastPosition);
    }

    @Test
    void shouldLeaveChannelEmptyWhenOnlyClaimIsAborted()
    {
        final RecordClaim claim = new RecordClaim();
        writer.tryClaim(66, MAX_RECORD_LENGTH, claim);
        claim.buffer().setMemory(0, MAX_RECORD_LENGTH, (byte)0x5A);
        claim.abort();
        writer.close();

        assertEquals(0, reader.poll(collector, 10));
        assertEquals(ChannelState.CLOSED, reader.state());
        assertEquals(0, reader.position());
    }

    @ParameterizedTest
    @CsvSource({ "false, false", "false, true", "true, true" })
    void shouldRoundTripWhenPagesArePreTouchedOrNot(final boolean writerPreTouch, final boolean readerPreTouch)
    {
        final ChannelWriter.Context ctx = ChannelTestSupport.writerContext(root.resolve("touch"), 3 * 4096 + 8, 100)
            .preTouch(writerPreTouch);
        try (ChannelWriter touchWriter = ChannelWriter.create(ctx);
            ChannelReader touchReader = ChannelReader.open(
                new ChannelReader.Context().path(touchWriter.path()).preTouch(readerPreTouch)))
        {
            final RecordCollector touchCollector = new RecordCollector(touchReader);
            int count = 0;
            while (touchWriter.write(count, payload(count % 100, count), 0, count % 100) > 0)
            {
                count++;
            }

            assertEquals(count, touchReader.poll(touchCollector, Integer.MAX_VALUE));
            assertEquals(ChannelState.FULL, touchReader.state());
            for (int i = 0; i < count; i++)
            {
                assertEquals(i, touchCollector.get(i).msgTypeId());
                assertArrayEquals(bytes(payload(i % 100, i), 0, i % 100), touchCollector.get(i).payload());
            }
        }
    }

    private static void assertRecord(
        final Received received, final int msgTypeId, final UnsafeBuffer expected, final long position)
    {
        assertEquals(msgTypeId, received.msgTypeId());
        assertEquals(expected.capacity(), received.payload().length);
        assertArrayEquals(bytes(expected, 0, expected.capacity()), received.payload());
        assertEquals(position, received.position());
    }

    private static int typeIdFor(final int length)
    {
        return length * 1_000_003;
    }

    private static IntStream boundaryLengths()
    {
        return IntStream.concat(
            IntStream.concat(IntStream.rangeClosed(0, 17), IntStream.rangeClosed(56, 72)),
            IntStream.of(119, 120, 121, 127, 128, 129, 255, 256, 257, 291, 292, 293, 299, 300));
    }
}
