package org.kekbit.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelTestAccess;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordDescriptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.MSG_TYPE_ID;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalResumeTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldWriteMissingRolledMarkerWhenWriterDiedBetweenActivationAndMarker()
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        final JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder));
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        long sequence = 0;
        writer.doWork();
        while (RecordDescriptor.alignedLength(
            RecordDescriptor.frameLength(JournalTestSupport.length(sequence)), RecordDescriptor.ALIGNMENT) <=
            writer.currentSegment().remaining() - JournalDescriptor.ROLL_RESERVE_LENGTH)
        {
            write(writer, scratch, sequence++);
        }
        final long endOfFirst = writer.position();
        writer.activateNext(); // the roll's first half: the successor is ready
        JournalTestSupport.crash(writer); // before the ROLLED marker

        assertTrue(Files.exists(JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY)));
        while (reader.poll(checker, 100) > 0)
        {
            assertEquals(List.of(), checker.errors);
        }
        assertEquals(endOfFirst, reader.position(), "stuck at the end of the first segment: no marker");
        assertEquals(JournalState.ABANDONED, reader.state());

        try (JournalWriter resumed = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(SEGMENT_CAPACITY, resumed.position(), "the last segment is the linked successor");
            assertEquals(ChannelState.ROLLED, endStateOf(JournalDescriptor.segmentPath(folder, 0)));
            final JournalSeal seal = new JournalSeal();
            assertTrue(seal.read(JournalDescriptor.segmentPath(folder, 0)), "the repair seals the segment too");
            assertEquals(sequence, seal.recordCount());
            assertFalse(Files.exists(JournalDescriptor.nextSegmentPath(folder, SEGMENT_CAPACITY)));
            for (int i = 0; i < 50; i++)
            {
                assertTrue(write(resumed, scratch, sequence++) > 0);
            }
        }

        while (reader.poll(checker, 100) > 0)
        {
            assertEquals(List.of(), checker.errors);
        }
        assertEquals(sequence, checker.next);
        assertEquals(JournalState.CLOSED, reader.state());
        reader.close();
    }

    @Test
    void shouldResumeInTheWritersSegmentAndDeleteTheStandbyWhenWriterDiedBeforeTheRoll()
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        final JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder));
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        long sequence = 0;
        assertTrue(write(writer, scratch, sequence++) > 0);
        writer.doWork(); // links the next segment on standby
        final Path standby = JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY);
        assertTrue(ChannelReader.isOnStandby(standby));
        final long crashedAt = writer.position();
        JournalTestSupport.crash(writer);

        assertThrows(ChannelException.class, () -> ChannelReader.open(standby), "not ready: no reader opens it");
        try (JournalWriter resumed = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(crashedAt, resumed.position(), "resumed in the writer's segment, not in the standby");
            assertEquals(0, resumed.currentSegmentBase());
            assertFalse(Files.exists(standby), "the dead writer's standby is deleted");
            resumed.doWork();
            assertTrue(ChannelReader.isOnStandby(standby), "and the resumed writer links its own");
            while (resumed.rolls() < 2)
            {
                assertTrue(write(resumed, scratch, sequence++) > 0);
                resumed.doWork();
            }
        }
        while (reader.poll(checker, 100) > 0)
        {
            assertEquals(List.of(), checker.errors);
        }
        assertEquals(sequence, checker.next, "every record once, in order, across the crash");
        assertEquals(JournalState.CLOSED, reader.state());
        reader.close();
    }

    @Test
    void shouldCountTheWritersSegmentAsTheLastWhenPruningBesideAStandby()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            final long sequence = writeUntilRolls(writer, 2, 0);
            final long current = writer.currentSegmentBase();
            assertTrue(ChannelReader.isOnStandby(JournalDescriptor.segmentPath(folder, current + SEGMENT_CAPACITY)));

            assertEquals(1, JournalWriter.prune(new JournalWriter.Context().folder(folder).hardCapSegments(1)),
                "one of the two sealed segments: the standby is no segment, so the writer's is the last");
            assertTrue(Files.exists(JournalDescriptor.segmentPath(folder, current - SEGMENT_CAPACITY)));
            assertTrue(Files.exists(JournalDescriptor.segmentPath(folder, current)));
            assertTrue(write(writer, scratch, sequence) > 0);
        }
    }

    /**
     * Recovery after a crash costs one segment, not the journal: with every segment but the last two (the one
     * resumed, and the one before it whose ROLLED marker a crash mid-roll may lack) made unreadable, resume still
     * finds the end, and the journal goes on from its last committed record.
     */
    @Test
    void shouldResumeFromLastSegmentAloneWhenEveryOlderSegmentIsUnreadable() throws Exception
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        long sequence = writeUntilRolls(writer, 40, 0);
        assertTrue(write(writer, scratch, sequence++) > 0);
        final long lastBase = writer.currentSegmentBase();
        final long crashedAt = writer.position();
        JournalTestSupport.crash(writer);

        final byte[] zeros = new byte[SEGMENT_CAPACITY];
        for (long base = 0; base < lastBase - SEGMENT_CAPACITY; base += SEGMENT_CAPACITY)
        {
            Files.write(JournalDescriptor.segmentPath(folder, base), zeros); // not even a channel any more
        }
        assertThrows(ChannelException.class, () -> ChannelReader.open(JournalDescriptor.segmentPath(folder, 0)));

        try (JournalWriter resumed = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(crashedAt, resumed.position(), "after the last committed record");
            assertEquals(lastBase, resumed.currentSegmentBase());
            for (int i = 0; i < 50; i++)
            {
                assertTrue(write(resumed, scratch, sequence++) > 0);
                resumed.doWork();
            }
        }
        for (long base = 0; base < lastBase - SEGMENT_CAPACITY; base += SEGMENT_CAPACITY)
        {
            Files.delete(JournalDescriptor.segmentPath(folder, base)); // a reader starts at the oldest segment
        }
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(-1);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(JournalState.CLOSED, reader.state());
        }
        assertEquals(sequence, checker.next, "every record after the crash, in sequence with those before");
    }

    @Test
    void shouldRepairOnceWhenResumedTwiceAfterCrashBetweenActivationAndMarker()
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        long sequence = 0;
        while (RecordDescriptor.alignedLength(
            RecordDescriptor.frameLength(JournalTestSupport.length(sequence)), RecordDescriptor.ALIGNMENT) <=
            writer.currentSegment().remaining() - JournalDescriptor.ROLL_RESERVE_LENGTH)
        {
            write(writer, scratch, sequence++);
        }
        writer.doWork();
        writer.activateNext();
        JournalTestSupport.crash(writer);

        final JournalWriter first = JournalWriter.resume(writerContext(folder));
        JournalTestSupport.crash(first);
        try (JournalWriter second = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(SEGMENT_CAPACITY, second.position());
            assertEquals(ChannelState.ROLLED, endStateOf(JournalDescriptor.segmentPath(folder, 0)));
        }
    }

    @Test
    void shouldContinueSequenceWhenResumedAfterCrashWithClaimOutstanding()
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        long sequence = writeUntilRolls(writer, 5, 0);
        final long positionBeforeCrash = writer.position();
        final RecordClaim claim = new RecordClaim();
        assertTrue(writer.tryClaim(MSG_TYPE_ID, 16, claim) > 0);
        claim.buffer().putLong(0, -1L); // never committed
        JournalTestSupport.crash(writer);

        final ChannelException active = assertThrows(ChannelException.class, () ->
        {
            try (JournalWriter ignore = JournalWriter.create(writerContext(folder)))
            {
                // must not get here
            }
        });
        assertEquals(ChannelException.Reason.ALREADY_EXISTS, active.reason());

        try (JournalWriter resumed = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(positionBeforeCrash, resumed.position());
            final ChannelException twice =
                assertThrows(ChannelException.class, () -> JournalWriter.resume(writerContext(folder)));
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, twice.reason());
            while (resumed.rolls() < 3)
            {
                write(resumed, scratch, sequence++);
                resumed.doWork();
            }
        }

        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next);
            assertEquals(JournalState.CLOSED, reader.state());
        }
    }

    /**
     * A ROLLED last segment means the segment after it went (its successor is linked before the marker): resume says
     * so in one line and writes nothing, rather than writing on and hiding the lost records.
     */
    @Test
    void shouldRefuseResumeInOneLineWhenSegmentAfterRolledOneIsMissing() throws Exception
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        final long sequence = writeUntilRolls(writer, 2, 0);
        final long newestBase = writer.currentSegmentBase();
        JournalTestSupport.crash(writer);
        final org.agrona.collections.LongArrayList bases = JournalFiles.allSegmentBases(folder);
        for (int i = 0; i < bases.size(); i++)
        {
            if (bases.getLong(i) >= newestBase)
            {
                // The newest segment, and the standby after it: not copied with the folder.
                Files.delete(JournalDescriptor.segmentPath(folder, bases.getLong(i)));
            }
        }
        final Path rolled = JournalDescriptor.segmentPath(folder, newestBase - SEGMENT_CAPACITY);
        final byte[] before = Files.readAllBytes(rolled);

        final ChannelException ex =
            assertThrows(ChannelException.class, () -> JournalWriter.resume(writerContext(folder)));
        assertEquals(ChannelException.Reason.TRUNCATED, ex.reason());
        assertTrue(ex.getMessage().contains("the last segment is ROLLED but the segment after it is missing") &&
            ex.getMessage().contains(JournalDescriptor.segmentPath(folder, newestBase).getFileName().toString()),
            ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"));
        assertArrayEquals(before, Files.readAllBytes(rolled), "nothing written");
        assertEquals(2, JournalFiles.allSegmentBases(folder).size());
    }

    @Test
    void shouldRefuseResumeWhenJournalIsMissing()
    {
        final ChannelException missing =
            assertThrows(ChannelException.class, () -> JournalWriter.resume(writerContext(folder)));
        assertEquals(ChannelException.Reason.NOT_FOUND, missing.reason());
    }

    @Test
    void shouldWriteOnInNewSegmentAndLetReaderAtClosedReadOnWhenClosedJournalIsReopened()
    {
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        long sequence = 0;
        final long closedAt;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            while (writer.rolls() < 2)
            {
                write(writer, scratch, sequence++);
            }
            write(writer, scratch, sequence++);
            closedAt = writer.position();
            writer.close();
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(JournalState.CLOSED, reader.state());
            assertEquals(closedAt, reader.commit());
        }

        final long reopenedBase = JournalDescriptor.segmentBase(closedAt, SEGMENT_CAPACITY) + SEGMENT_CAPACITY;
        try (JournalReader stopped = JournalReader.open(new JournalReader.Context().folder(folder).name("follower"));
            JournalReader fresh = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            assertEquals(0, stopped.poll(checker, 100));
            assertEquals(JournalState.CLOSED, stopped.state(), "a named reader at the end before the reopen");

            try (JournalWriter reopened = JournalWriter.resume(writerContext(folder)))
            {
                assertEquals(reopenedBase, reopened.position(), "writes on in a new segment");
                assertEquals(ChannelState.ROLLED, endStateOf(JournalDescriptor.segmentPath(folder, reopenedBase -
                    SEGMENT_CAPACITY)), "the CLOSED marker is now ROLLED");
                final JournalSeal seal = new JournalSeal();
                assertTrue(seal.read(JournalDescriptor.segmentPath(folder, reopenedBase - SEGMENT_CAPACITY)));
                assertEquals(JournalState.OPEN, stopped.state(), "the reader that saw CLOSED sees the roll");
                for (int i = 0; i < 20; i++)
                {
                    assertTrue(write(reopened, scratch, sequence++) > 0);
                }
                final ChannelException second =
                    assertThrows(ChannelException.class, () -> JournalWriter.resume(writerContext(folder)));
                assertEquals(ChannelException.Reason.WRITER_ACTIVE, second.reason(), "the reopened writer lives");
            }

            while (stopped.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next, "every record once, across the reopen");
            assertEquals(JournalState.CLOSED, stopped.state());

            final JournalTestSupport.Checker freshChecker = new JournalTestSupport.Checker(0);
            while (fresh.poll(freshChecker, 100) > 0)
            {
                assertEquals(List.of(), freshChecker.errors);
            }
            assertEquals(sequence, freshChecker.next, "a new reader reads straight through");
        }
    }

    @Test
    void shouldRepairReopenWhenReopenerDiedBeforeTurningClosedIntoRolled()
    {
        long sequence = 0;
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            for (int i = 0; i < 5; i++)
            {
                write(writer, scratch, sequence++);
            }
        }
        // What a reopener that died after creating the next segment leaves: CLOSED before a linked segment.
        ChannelTestAccess.crash(ChannelWriter.create(new ChannelWriter.Context()
            .path(JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY)).channelId(SEGMENT_CAPACITY)
            .capacity(SEGMENT_CAPACITY).maxRecordLength(JournalTestSupport.MAX_RECORD_LENGTH).preTouch(false)));
        assertEquals(ChannelState.CLOSED, endStateOf(JournalDescriptor.segmentPath(folder, 0)));

        try (JournalWriter resumed = JournalWriter.resume(writerContext(folder)))
        {
            assertEquals(SEGMENT_CAPACITY, resumed.position());
            assertEquals(ChannelState.ROLLED, endStateOf(JournalDescriptor.segmentPath(folder, 0)));
            assertTrue(write(resumed, scratch, sequence++) > 0);
        }
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(sequence, checker.next);
        }
    }

    private static ChannelState endStateOf(final Path segment)
    {
        try (ChannelReader reader = ChannelReader.open(segment))
        {
            reader.seekToEnd();
            reader.poll(new JournalTestSupport.Checker(0), 1);
            return reader.endState();
        }
    }

    /**
     * Write records in sequence, running the duty cycle after each, until the journal has rolled that many times.
     *
     * @return the sequence of the next record.
     */
    private long writeUntilRolls(final JournalWriter writer, final long rolls, final long fromSequence)
    {
        long sequence = fromSequence;
        while (writer.rolls() < rolls)
        {
            assertTrue(write(writer, scratch, sequence++) > 0);
            writer.doWork();
        }
        return sequence;
    }
}
