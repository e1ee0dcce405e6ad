package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordClaim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.MSG_TYPE_ID;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalRoundTripTest
{
    private static final int RECORDS = 3_000;

    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldDeliverEveryRecordOnceInOrderWhenWritingAcrossManyRolls()
    {
        final JournalReader early = JournalReader.open(new JournalReader.Context().folder(folder));
        final JournalTestSupport.Checker earlyChecker = new JournalTestSupport.Checker(0);
        earlyChecker.reader = early;
        assertEquals(0, early.poll(earlyChecker, 10), "no journal yet");
        assertEquals(JournalState.OPEN, early.state());

        final List<Long> written = new ArrayList<>();
        JournalReader midway = null;
        JournalTestSupport.Checker midwayChecker = null;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            final RecordClaim claim = new RecordClaim();
            for (long sequence = 0; sequence < RECORDS; sequence++)
            {
                final long position;
                if (0 == sequence % 3)
                {
                    final int length = JournalTestSupport.length(sequence);
                    position = writer.tryClaim(MSG_TYPE_ID, length, claim);
                    assertTrue(position > 0, "claim: " + position);
                    JournalTestSupport.encode(scratch, sequence);
                    claim.buffer().putBytes(claim.offset(), scratch, 0, length);
                    claim.commit();
                    assertEquals(position, writer.position());
                }
                else
                {
                    position = write(writer, scratch, sequence);
                    assertTrue(position > 0, "write: " + position);
                }
                written.add(position);
                writer.doWork();
                early.poll(earlyChecker, 7);
                if (RECORDS / 2 == sequence)
                {
                    midway = JournalReader.open(new JournalReader.Context().folder(folder));
                    midwayChecker = new JournalTestSupport.Checker(0);
                    midwayChecker.reader = midway;
                }
            }
            assertTrue(writer.rolls() > 100, "rolls=" + writer.rolls());
        }

        drain(early, earlyChecker);
        assertNotNull(midway);
        drain(midway, midwayChecker);
        for (final JournalTestSupport.Checker checker : List.of(earlyChecker, midwayChecker))
        {
            assertEquals(List.of(), checker.errors);
            assertEquals(RECORDS, checker.next);
            assertEquals(written, checker.positions, "the reader's position after each record is the writer's");
        }
        assertEquals(JournalState.CLOSED, early.state());
        early.close();
        midway.close();
    }

    @Test
    void shouldReadNextRecordWhenSeekingToAnyPositionTheWriterReturned()
    {
        final List<Long> written = new ArrayList<>();
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            for (long sequence = 0; sequence < 500; sequence++)
            {
                written.add(write(writer, scratch, sequence));
            }
        }

        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final Random random = new Random(7);
            for (int i = 0; i < 200; i++)
            {
                final int index = random.nextInt(written.size() - 1);
                reader.seek(written.get(index));
                assertEquals(written.get(index), reader.position());
                final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(index + 1);
                checker.reader = reader;
                assertEquals(1, reader.poll(checker, 1), "after seek to " + written.get(index));
                assertEquals(List.of(), checker.errors);
                assertEquals(written.get(index + 1), reader.position());
            }

            reader.seek(0);
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            assertEquals(1, reader.poll(checker, 1));
            assertEquals(List.of(), checker.errors);

            reader.seekToEnd();
            assertEquals(written.get(written.size() - 1), reader.position());
            assertEquals(0, reader.poll(new JournalTestSupport.Checker(0), 1), "the next poll reports the marker");
            assertEquals(JournalState.CLOSED, reader.state());
            assertThrows(IllegalArgumentException.class, () -> reader.seek(written.get(written.size() - 1) +
                100L * SEGMENT_CAPACITY));
        }
    }

    @Test
    void shouldRollWithoutCreatingSegmentInlineWhenDutyCycleRanBefore()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            writer.doWork();
            assertTrue(ChannelReader.isOnStandby(JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY)),
                "next segment created ahead of need, linked on standby");
            for (long sequence = 0; sequence < 200; sequence++)
            {
                write(writer, scratch, sequence);
                writer.doWork();
            }
            assertTrue(writer.rolls() >= 10, "rolls=" + writer.rolls());
            assertEquals(0, writer.inlineSegmentCreations());
        }
        assertFalse(hasNextSegmentFile(), "close deletes the next segment");
    }

    @Test
    void shouldCreateSegmentInlineWhenDutyCycleNeverRan()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            for (long sequence = 0; sequence < 100; sequence++)
            {
                write(writer, scratch, sequence);
            }
            assertTrue(writer.rolls() > 0);
            assertEquals(writer.rolls(), writer.inlineSegmentCreations());
        }
    }

    @Test
    void shouldLeaveRolledMarkerThatPlainChannelReaderTakesForAnEndWhenSegmentIsSealed()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            long sequence = 0;
            while (0 == writer.rolls())
            {
                write(writer, scratch, sequence++);
            }
            try (ChannelReader reader = ChannelReader.open(JournalDescriptor.segmentPath(folder, 0)))
            {
                reader.seekToEnd();
                assertEquals(0, reader.poll(new JournalTestSupport.Checker(0), 10));
                assertEquals(ChannelState.ROLLED, reader.state());
                assertTrue(reader.state().isEnd());
                assertEquals(SEGMENT_CAPACITY, reader.header().channelId() + SEGMENT_CAPACITY);
            }
        }
    }

    @Test
    void shouldUnmapSegmentWhenReaderCrossesToNext() throws IOException
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            long sequence = 0;
            while (writer.rolls() < 3)
            {
                write(writer, scratch, sequence++);
            }
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            final String firstSegment = JournalDescriptor.segmentFileName(0);
            reader.poll(checker, 1);
            assertTrue(mapsContain(firstSegment), "the first segment is mapped while read");
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next);
            assertEquals(writer.position(), reader.position());
            assertEquals(JournalDescriptor.segmentPath(folder, 3L * SEGMENT_CAPACITY), reader.segmentPath());
            assertFalse(mapsContain(firstSegment), "no mapping of a segment the reader left");
            assertFalse(mapsContain(JournalDescriptor.segmentFileName(SEGMENT_CAPACITY)));
        }
    }

    @Test
    void shouldDeliverBlocksAtJournalPositionsWhenBlockPollingAcrossRolls()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            long sequence = 0;
            while (writer.rolls() < 5)
            {
                write(writer, scratch, sequence++);
            }
            final List<long[]> blocks = new ArrayList<>();
            while (reader.blockPoll((buffer, offset, length, position) ->
                blocks.add(new long[]{ position, length }), SEGMENT_CAPACITY) > 0)
            {
                assertTrue(blocks.size() <= 6, "blocks=" + blocks.size());
            }
            for (int i = 0; i < blocks.size(); i++)
            {
                assertEquals((long)i * SEGMENT_CAPACITY, blocks.get(i)[0], "each segment's block at its base");
            }
            assertEquals(6, blocks.size(), "one block per segment");
            final long[] last = blocks.get(blocks.size() - 1);
            assertEquals(writer.position(), last[0] + last[1]);
            assertEquals(writer.position(), reader.position());
        }
    }

    @Test
    void shouldFailWithAlreadyExistsWhenCreatingExistingJournal()
    {
        try (JournalWriter ignore = JournalWriter.create(writerContext(folder)))
        {
            final ChannelException ex =
                assertThrows(ChannelException.class, () -> JournalWriter.create(writerContext(folder)));
            assertEquals(ChannelException.Reason.ALREADY_EXISTS, ex.reason());
        }
        final ChannelException ex =
            assertThrows(ChannelException.class, () -> JournalWriter.create(writerContext(folder)));
        assertEquals(ChannelException.Reason.ALREADY_EXISTS, ex.reason());
    }

    @Test
    void shouldReturnCodesWhenRecordTooLongOrClosed()
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        assertEquals(JournalWriter.RECORD_TOO_LONG,
            writer.write(MSG_TYPE_ID, scratch, 0, JournalTestSupport.MAX_RECORD_LENGTH + 1));
        assertEquals(0, writer.position());
        writer.close();
        assertEquals(JournalWriter.JOURNAL_CLOSED, writer.write(MSG_TYPE_ID, scratch, 0, 8));
    }

    private void drain(final JournalReader reader, final JournalTestSupport.Checker checker)
    {
        while (reader.poll(checker, 100) > 0)
        {
            assertEquals(List.of(), checker.errors);
        }
    }

    private boolean hasNextSegmentFile() throws RuntimeException
    {
        try (Stream<Path> files = Files.list(folder))
        {
            return files.anyMatch((file) -> file.getFileName().toString().startsWith("next-") ||
                ChannelReader.isOnStandby(file));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void shouldReleaseTheMappingOfTheSegmentRolledFromWhenClosedBeforeTheNextDutyCycle()
    {
        final MappingReleaser releaser = new MappingReleaser();
        final JournalWriter writer = JournalWriter.create(writerContext(folder).mappingReleaser(releaser));
        long sequence = 0;
        while (writer.rolls() < 1)
        {
            write(writer, scratch, sequence++);
        }
        assertEquals(0, releaser.pending(), "held until the duty cycle");
        writer.close();
        assertEquals(2, releaser.pending(), "closing released the segment rolled from and the current one");
        releaser.onClose();
    }

    @Test
    void shouldUnmapSegmentsOnReleaserThreadWhenWriterAndReaderHaveReleaser() throws IOException
    {
        final MappingReleaser releaser = new MappingReleaser();
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).mappingReleaser(releaser));
            JournalReader reader = JournalReader.open(
                new JournalReader.Context().folder(folder).mappingReleaser(releaser)))
        {
            long sequence = 0;
            while (writer.rolls() < 3)
            {
                write(writer, scratch, sequence++);
            }
            assertEquals(2, releaser.pending(), "the last roll's mapping waits for the duty cycle, off the write call");
            writer.doWork();
            assertEquals(3, releaser.pending(), "the writer handed over each segment it rolled from");
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next);
            final String firstSegment = JournalDescriptor.segmentFileName(0);
            assertEquals(6, releaser.pending(), "and so did the reader, for each segment it crossed");
            assertTrue(mapsContain(firstSegment), "still mapped until the releaser runs");

            assertEquals(6, releaser.doWork());
            assertFalse(mapsContain(firstSegment), "unmapped by the releaser's duty cycle");
            assertFalse(mapsContain(JournalDescriptor.segmentFileName(2L * SEGMENT_CAPACITY)));
            assertTrue(mapsContain(JournalDescriptor.segmentFileName(3L * SEGMENT_CAPACITY)), "the current one stays");
        }
    }

    @Test
    void shouldRollIntoTheStandbyLinkedAheadWhileSeekToEndStaysInTheWritersSegment() throws IOException
    {
        final Path segment = JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader tail = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            long sequence = 0;
            assertTrue(write(writer, scratch, sequence++) > 0);
            writer.doWork(); // the next segment, linked on standby
            assertTrue(ChannelReader.isOnStandby(segment));
            assertFalse(Files.exists(JournalDescriptor.nextSegmentPath(folder, SEGMENT_CAPACITY)));
            final Object standbyFile = Files.readAttributes(segment, BasicFileAttributes.class).fileKey();

            final long end = tail.seekToEnd();
            assertEquals(writer.position(), end, "the end is in the writer's segment, not in the standby");
            final long firstAfterSeek = sequence;
            while (writer.rolls() == 0)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
            }
            assertTrue(write(writer, scratch, sequence++) > 0);
            assertEquals(standbyFile, Files.readAttributes(segment, BasicFileAttributes.class).fileKey(),
                "the roll only activated the file linked ahead");
            assertFalse(ChannelReader.isOnStandby(segment));

            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(firstAfterSeek);
            while (tail.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next, "every record written after the seek, those before the roll too");

            writer.doWork();
            assertTrue(ChannelReader.isOnStandby(JournalDescriptor.segmentPath(folder, 2L * SEGMENT_CAPACITY)));
            assertThrows(IllegalArgumentException.class, () -> tail.seek(2L * SEGMENT_CAPACITY + 64),
                "a position inside the standby is beyond the journal's end");
        }
        assertFalse(hasNextSegmentFile(), "close deletes the standby and no temporary name is left");
        assertFalse(Files.exists(JournalDescriptor.segmentPath(folder, 2L * SEGMENT_CAPACITY)));
    }

    @Test
    void shouldPrepareTheRollFromTheDutyCycleWithoutReadyingTheStandbyOrMovingTheEnd()
    {
        final long capacity = 64 * 1024; // a last eighth of many records
        final Path segment = JournalDescriptor.segmentPath(folder, capacity);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).segmentCapacity(capacity));
            JournalReader tail = JournalReader.open(new JournalReader.Context().folder(folder));
            JournalReader seeker = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            int preparedWrites = 0;
            while (writer.rolls() == 0)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork(); // in the last eighth of the segment, it prepares the roll each time
                if (writer.rolls() == 0 && writer.position() > capacity - capacity / 8)
                {
                    preparedWrites++;
                    assertTrue(ChannelReader.isOnStandby(segment), "the prepared successor stays on standby");
                    assertEquals(writer.position(), seeker.seekToEnd(), "the end stays in the writer's segment");
                    assertEquals(sequence, drain(tail, checker, sequence), "every record so far, none past the end");
                }
            }
            assertTrue(preparedWrites > 1, "writes in the last eighth: " + preparedWrites);
            assertFalse(ChannelReader.isOnStandby(segment), "the roll activated it");
            assertTrue(write(writer, scratch, sequence++) > 0);
            assertEquals(sequence, drain(tail, checker, sequence), "across the roll, in order");
        }
    }

    @Test
    void shouldRollAheadFromTheDutyCycleSoThatNoWriteRollsAndReadersFollowInOrder()
    {
        final long capacity = 64 * 1024;
        final long rollAhead = capacity / 4;
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).segmentCapacity(capacity).rollAheadBytes(rollAhead));
            JournalReader tail = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            writer.doWork(); // the first successor, made ahead
            long sequence = 0;
            while (writer.rolls() < 4)
            {
                final long rollsBefore = writer.rolls();
                assertTrue(write(writer, scratch, sequence++) > 0);
                assertEquals(rollsBefore, writer.rolls(), "no write rolls: the duty cycle rolled first");
                writer.doWork();
                if (writer.rolls() > rollsBefore)
                {
                    final long rolledBase = writer.currentSegmentBase() - capacity;
                    assertTrue(writer.position() == writer.currentSegmentBase(), "nothing written after the roll yet");
                    final JournalSeal seal = new JournalSeal();
                    assertTrue(seal.read(JournalDescriptor.segmentPath(folder, rolledBase)), "sealed");
                    assertTrue(seal.recordCount() > 0);
                }
                drain(tail, checker, sequence);
            }
            assertEquals(4, writer.rollsAhead());
            assertEquals(sequence, drain(tail, checker, sequence), "every record, in order, across four rolls");
        }
    }

    @Test
    void shouldNotRollAheadWhileClaimIsOutstandingAndCountTheCommittedClaimInTheSeal()
    {
        final long capacity = 64 * 1024;
        final RecordClaim claim = new RecordClaim();
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).segmentCapacity(capacity).rollAheadBytes(capacity / 4)))
        {
            writer.doWork();
            long sequence = 0;
            long records = 0;
            while (writer.position() < capacity - capacity / 4)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                records++;
            }
            assertTrue(writer.tryClaim(MSG_TYPE_ID, 8, claim) > 0);
            claim.buffer().putLong(claim.offset(), sequence++);
            writer.doWork();
            assertEquals(0, writer.rolls(), "not while the claim is outstanding");

            claim.commit();
            writer.doWork();
            assertEquals(1, writer.rollsAhead());
            final JournalSeal seal = new JournalSeal();
            assertTrue(seal.read(JournalDescriptor.segmentPath(folder, 0)));
            assertEquals(records + 1, seal.recordCount(), "the committed claim counted");
        }
    }

    @Test
    void shouldRefuseRollAheadOfMoreThanHalfASegment()
    {
        assertThrows(IllegalArgumentException.class,
            () -> writerContext(folder).rollAheadBytes(SEGMENT_CAPACITY / 2 + 1).conclude());
        assertThrows(IllegalArgumentException.class, () -> writerContext(folder).rollAheadBytes(-1).conclude());
        writerContext(folder).rollAheadBytes(SEGMENT_CAPACITY / 2).conclude();
    }

    private static long drain(final JournalReader reader, final JournalTestSupport.Checker checker, final long until)
    {
        for (int i = 0; i < 1_000 && checker.next < until; i++)
        {
            reader.poll(checker, 100);
        }
        assertEquals(List.of(), checker.errors);
        return checker.next;
    }

    static boolean mapsContain(final String fileName) throws IOException
    {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch((line) -> line.endsWith(fileName));
    }
}
