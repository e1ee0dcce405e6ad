package org.kekbit.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChildProcess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

/**
 * {@link JournalCut}: a journal cut at a position holds, file for file and byte for byte, what a journal whose
 * writer wrote the same records and stopped at that position holds (the reference, written with the same clock by
 * this process); a resume carries on there; refusals change nothing; a cut stopped after any of its steps, as a
 * crash stops it, leaves a prefix of the journal that readers read without error (and that a resume turns into a
 * prefix without a hole), and the same cut run again gives the same bytes. The simulated crash is an exception from
 * a step hook, so the cut's clean-up still gives the newest segment's header back, as a kill -9 would not (its mark
 * then names a dead resumer, which the next cut takes over: process fields only, which no digest covers).
 */
class JournalCutTest
{
    private static final int RECORDS = 60;
    private static final int NEW_RECORDS = 25;
    private static final int ATTEMPTS = 200;
    private static final AtomicLong TIME_MS = new AtomicLong(1_700_000_000_000L);

    @TempDir
    Path dir;

    private final CachedEpochClock clock = new CachedEpochClock();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    JournalCutTest()
    {
        // Journals of one test share a creation time, as the reference must; files of different tests must not: a
        // writer left open (rolled from, never released: no duty cycle) keeps its file's key in this JVM's registry
        // of open writers, and a later file on the same inode with the same creation time would be taken for it.
        clock.update(TIME_MS.addAndGet(3_600_000));
    }

    @Test
    void shouldLeaveWhatWriterStoppedThereLeavesWhenCutInNewestSegment()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final int keep = firstInSegment(positions, segmentOf(positions[RECORDS - 1])) + 1;
        assertTrue(keep < RECORDS - 1, "two records or more after the cut in the newest segment");
        final long position = positions[keep - 1];
        final String digestToPosition = JournalDigest.digest(original, -1, position).digest();

        final List<Long> cut = new ArrayList<>();
        assertEquals(positions[RECORDS - 1], JournalCut.cut(original, position,
            (msgTypeId, buffer, offset, length) -> cut.add(buffer.getLong(offset))));

        assertEquals(sequences(keep, RECORDS), cut, "the records cut, handed over in order first");
        writeAndCrash(dir.resolve("reference"), keep);
        assertSameFiles(dir.resolve("reference"), original);
        assertEquals(digestToPosition, JournalDigest.digest(original, -1, -1).digest());
        resumeWriteAndRead(original, position, keep);
    }

    @Test
    void shouldDeleteLaterSegmentsAndUnsealWhenCutInEarlierSegment()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final long segment = 2 * (long)SEGMENT_CAPACITY;
        assertTrue(segmentOf(positions[RECORDS - 1]) > segment + SEGMENT_CAPACITY, "segments after the cut's");
        final int keep = firstInSegment(positions, segment) + 1;
        final long position = positions[keep - 1];
        assertTrue(new JournalSeal().read(JournalDescriptor.segmentPath(original, segment)), "sealed before");

        final List<Long> cut = new ArrayList<>();
        JournalCut.cut(original, position, (msgTypeId, buffer, offset, length) -> cut.add(buffer.getLong(offset)));

        assertEquals(sequences(keep, RECORDS), cut);
        assertEquals(segment, JournalFiles.allSegmentBases(original).getLong(
            JournalFiles.allSegmentBases(original).size() - 1), "the later segments are gone");
        assertFalse(new JournalSeal().read(JournalDescriptor.segmentPath(original, segment)), "the seal is gone");
        writeAndCrash(dir.resolve("reference"), keep);
        assertSameFiles(dir.resolve("reference"), original);
        resumeWriteAndRead(original, position, keep);
    }

    @Test
    void shouldRemoveRolledMarkerWhenCutAtLastRecordOfRolledSegment()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final int keep = firstInSegment(positions, 2L * SEGMENT_CAPACITY); // the records of segments 0 and 1
        final long position = positions[keep - 1];
        assertEquals(SEGMENT_CAPACITY, segmentOf(position), "the end of segment 1's last record, before its marker");

        JournalCut.cut(original, position);

        writeAndCrash(dir.resolve("reference"), keep);
        assertSameFiles(dir.resolve("reference"), original);
        resumeWriteAndRead(original, position, keep);
    }

    @Test
    void shouldKeepSealedSegmentAndEmptyNextWhenCutAtSegmentBase()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final long base = 2L * SEGMENT_CAPACITY;
        final int keep = firstInSegment(positions, base);

        final List<Long> cut = new ArrayList<>();
        JournalCut.cut(original, base, (msgTypeId, buffer, offset, length) -> cut.add(buffer.getLong(offset)));

        assertEquals(sequences(keep, RECORDS), cut);
        assertTrue(new JournalSeal().read(JournalDescriptor.segmentPath(original, SEGMENT_CAPACITY)),
            "the segment before stays sealed");
        assertEquals(base, JournalFiles.allSegmentBases(original).getLong(
            JournalFiles.allSegmentBases(original).size() - 1));
        resumeWriteAndRead(original, base, keep);
    }

    @Test
    void shouldChangeNothingWhenCutAtEnd()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final Map<String, byte[]> before = files(original);

        assertEquals(positions[RECORDS - 1], JournalCut.cut(original, positions[RECORDS - 1],
            (msgTypeId, buffer, offset, length) -> fail("nothing to cut")));

        assertSameFiles(before, files(original));
    }

    @Test
    void shouldKeepClosedMarkerWhenCutAtEndOfClosedJournalAndRemoveItWhenCutBefore()
    {
        final Path original = dir.resolve("original");
        final long[] positions = new long[RECORDS];
        try (JournalWriter writer = JournalWriter.create(writerContext(original).epochClock(clock)))
        {
            for (int i = 0; i < RECORDS; i++)
            {
                positions[i] = write(writer, scratch, i);
            }
        }
        final Map<String, byte[]> before = files(original);

        JournalCut.cut(original, positions[RECORDS - 1]);
        assertSameFiles(before, files(original));

        JournalCut.cut(original, positions[RECORDS - 2]);
        resumeWriteAndRead(original, positions[RECORDS - 2], RECORDS - 1);
    }

    @Test
    void shouldRefusePositionThatIsNoRecordEndAndChangeNothing()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final Map<String, byte[]> before = files(original);
        final long inside = positions[RECORDS / 2] + 8; // records are 16 bytes at least
        final long end = positions[RECORDS - 1];

        for (final long position : new long[]{inside, positions[RECORDS / 2] + 1, end + 8, -8,
            segmentOf(end) + 2L * SEGMENT_CAPACITY})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> JournalCut.cut(original, position));
            assertFalse(ex.getMessage().contains("\n"), "one line: " + ex.getMessage());
            assertTrue(ex.getMessage().contains(Long.toString(position)), ex.getMessage());
        }
        assertSameFiles(before, files(original));
    }

    @Test
    void shouldRefuseLiveWriterOfThisProcessAndChangeNothing()
    {
        final Path original = dir.resolve("original");
        try (JournalWriter writer = JournalWriter.create(writerContext(original).epochClock(clock)))
        {
            for (int i = 0; i < RECORDS; i++)
            {
                write(writer, scratch, i);
            }
            final Map<String, byte[]> before = files(original);
            final long position = firstRecordEnd(original);
            final ChannelException ex = assertThrows(ChannelException.class, () -> JournalCut.cut(original, position));
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason());
            assertSameFiles(before, files(original));
        }
    }

    @Test
    @Timeout(120)
    void shouldRefuseLiveWriterOfAnotherProcessThenCutOnceItIsKilled() throws Exception
    {
        final Path folder = dir.resolve("child");
        try (ChildProcess writer = ChildProcess.start("writer", JournalChildMain.class, List.of(),
            JournalChildMain.WRITER, folder.toString(), Long.toString(SEGMENT_CAPACITY),
            Integer.toString(JournalTestSupport.MAX_RECORD_LENGTH), "0", "1"))
        {
            writer.awaitLine("WROTE");
            final long position = firstRecordEnd(folder);
            // The writer rolls every few milliseconds: some attempts list the folder just before a roll.
            for (int i = 0; i < ATTEMPTS; i++)
            {
                final ChannelException ex = assertThrows(ChannelException.class,
                    () -> JournalCut.cut(folder, position));
                assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason(), ex.getMessage());
                assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
            }
            writer.kill();
        }

        final List<Long> ends = recordEnds(folder);
        assertTrue(ends.size() > 1000, "every record the writer wrote is there, in order: " + ends.size());
        final int keep = ends.size() / 2;
        JournalCut.cut(folder, ends.get(keep - 1));
        resumeWriteAndRead(folder, ends.get(keep - 1), keep);
    }

    @Test
    void shouldRefuseNamedReaderCommittedPastCut()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(original).name("late")))
        {
            while (reader.poll((msgTypeId, buffer, offset, length) -> {}, 100) > 0)
            {
                reader.commit();
            }
        }
        final Map<String, byte[]> before = files(original);

        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> JournalCut.cut(original, positions[RECORDS / 2]));
        assertTrue(ex.getMessage().contains("late"), ex.getMessage());
        assertSameFiles(before, files(original));

        assertTrue(JournalNamedReaders.remove(original, "late", clock.time(), 60_000));
        JournalCut.cut(original, positions[RECORDS / 2]);
        resumeWriteAndRead(original, positions[RECORDS / 2], RECORDS / 2 + 1);
    }

    @Test
    void shouldRefuseWhileIndexerRunsAndDeleteIndexWhenCutting()
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final JournalIndexer.Context indexContext = new JournalIndexer.Context()
            .folder(original).sequenceOffset(0).intervalBytes(512);
        try (JournalIndexer indexer = JournalIndexer.open(indexContext))
        {
            while (indexer.doWork() > 0)
            {
                // index everything
            }
            final ChannelException ex = assertThrows(ChannelException.class,
                () -> JournalCut.cut(original, positions[RECORDS / 2]));
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason());
        }
        assertTrue(Files.exists(original.resolve(JournalDescriptor.INDEX_FILE_NAME)));

        JournalCut.cut(original, positions[RECORDS / 2]);

        assertFalse(Files.exists(original.resolve(JournalDescriptor.INDEX_FILE_NAME)), "its entries went past the cut");
        resumeWriteAndRead(original, positions[RECORDS / 2], RECORDS / 2 + 1);
    }

    @Test
    void shouldGiveSameBytesWhenCutAgainAfterCrashAtAnyStep() throws IOException
    {
        // A journal with an index and a standby successor, cut in segment 1 of 7 or so: every kind of step.
        final Path pristine = dir.resolve("pristine");
        final JournalWriter writer = JournalWriter.create(writerContext(pristine).epochClock(clock));
        final long[] positions = new long[RECORDS];
        for (int i = 0; i < RECORDS; i++)
        {
            positions[i] = write(writer, scratch, i);
        }
        writer.doWork(); // makes the standby successor
        assertTrue(ChannelReader.isOnStandby(
            JournalDescriptor.segmentPath(pristine, writer.currentSegmentBase() + SEGMENT_CAPACITY)));
        final long standbyBase = writer.currentSegmentBase() + SEGMENT_CAPACITY;
        JournalTestSupport.crash(writer);
        // As a writer killed between linking the standby and unlinking its temporary name leaves it: the cut must
        // not leave that name behind when it is stopped between deleting the two (JournalCutCrashTest found it).
        Files.copy(JournalDescriptor.segmentPath(pristine, standbyBase),
            JournalDescriptor.nextSegmentPath(pristine, standbyBase));
        JournalIndexer.rebuild(new JournalIndexer.Context().folder(pristine).sequenceOffset(0).intervalBytes(512));
        final int keep = firstInSegment(positions, SEGMENT_CAPACITY) + 2;
        final long position = positions[keep - 1];
        final Path reference = dir.resolve("reference");
        writeAndCrash(reference, keep);

        int steps = 0;
        for (int crashAt = 0; ; crashAt++)
        {
            final Path copy = copyOf(pristine, dir.resolve("crash-" + crashAt));
            final int stopAt = crashAt;
            boolean isCrashed = false;
            try
            {
                JournalCut.cut(copy, position, null, (step) ->
                {
                    if (step == stopAt)
                    {
                        throw new SimulatedCrash();
                    }
                });
            }
            catch (final SimulatedCrash ex)
            {
                isCrashed = true;
            }
            if (!isCrashed)
            {
                break;
            }
            steps++;
            checkPrefix(copy, keep);
            checkResumedPrefix(copyOf(copy, dir.resolve("resumed-" + crashAt)), keep);

            JournalCut.cut(copy, position);

            assertSameFiles(reference, copy);
        }
        assertTrue(steps >= 10, "index, standby's two names, three per later segment and the last: " + steps);
    }

    @Test
    void shouldZeroWhatCrashLeftAfterZeroHeaderWhenCutAgain() throws IOException
    {
        final Path original = dir.resolve("original");
        final long[] positions = writeAndCrash(original, RECORDS);
        final int keep = firstInSegment(positions, segmentOf(positions[RECORDS - 1])) + 1;
        final long position = positions[keep - 1];
        final Path newest = JournalDescriptor.segmentPath(original, segmentOf(position));
        final byte[] uncut = Files.readAllBytes(newest);

        JournalCut.cut(original, position);

        // As a cut killed between its store of the zero header and the zeroing after it leaves the segment.
        final byte[] halfCut = Files.readAllBytes(newest);
        final int afterHeader = ChannelDescriptor.HEADER_LENGTH + (int)(position - segmentOf(position)) + 8;
        System.arraycopy(uncut, afterHeader, halfCut, afterHeader, uncut.length - afterHeader);
        assertFalse(Arrays.equals(halfCut, Files.readAllBytes(newest)));
        Files.write(newest, halfCut);
        checkPrefix(original, keep);
        assertEquals(keep, recordEnds(original).size(), "readers stop at the zero header");

        JournalCut.cut(original, position);

        writeAndCrash(dir.resolve("reference"), keep);
        assertSameFiles(dir.resolve("reference"), original);
    }

    private long[] writeAndCrash(final Path folder, final int count)
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder).epochClock(clock));
        final long[] positions = new long[count];
        for (int i = 0; i < count; i++)
        {
            positions[i] = write(writer, scratch, i);
            assertTrue(positions[i] > 0);
        }
        JournalTestSupport.crash(writer);
        return positions;
    }

    /**
     * Resume after the cut: the writer is at the position; records written then follow the kept ones for a reader.
     */
    private void resumeWriteAndRead(final Path folder, final long position, final int kept)
    {
        clock.advance(60_000); // the segments it makes are not the cut ones (see the constructor)
        try (JournalWriter writer = JournalWriter.resume(writerContext(folder).epochClock(clock)))
        {
            assertEquals(position, writer.position(), "resumed where the journal was cut");
            for (int i = 0; i < NEW_RECORDS; i++)
            {
                assertTrue(write(writer, scratch, kept + i) > 0);
            }
        }
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(JournalState.CLOSED, reader.state());
        }
        assertEquals(kept + NEW_RECORDS, checker.next, "the kept records, then the new ones, each once");
    }

    /**
     * What a cut stopped part way leaves: records from the first in sequence, none torn, at least those kept,
     * ending as a killed writer's journal ends.
     */
    static void checkPrefix(final Path folder, final int kept)
    {
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(JournalState.ABANDONED, reader.state(), "at " + reader.position());
        }
        assertTrue(checker.next >= kept, "read " + checker.next + " < " + kept);
        assertEquals(List.of(), checker.errors);
    }

    /**
     * What a resume makes of a cut stopped part way, as after a writer killed in a roll: still a prefix of the
     * journal, every record once and in order, no hole.
     */
    private void checkResumedPrefix(final Path folder, final int kept)
    {
        JournalWriter.resume(writerContext(folder).epochClock(clock)).close();
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(JournalState.CLOSED, reader.state(), "at " + reader.position());
        }
        assertTrue(checker.next >= kept, "read " + checker.next + " < " + kept);
    }

    static List<Long> recordEnds(final Path folder)
    {
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            checker.reader = reader;
            while (reader.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
        }
        return checker.positions;
    }

    private static long firstRecordEnd(final Path folder)
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final long[] end = {-1};
            assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) -> end[0] = reader.position(), 1));
            return end[0];
        }
    }

    private static long segmentOf(final long position)
    {
        return JournalDescriptor.segmentBase(position - 1, SEGMENT_CAPACITY);
    }

    /**
     * Index of the first record written into a segment.
     */
    static int firstInSegment(final long[] positions, final long base)
    {
        for (int i = 0; i < positions.length; i++)
        {
            if (segmentOf(positions[i]) == base)
            {
                return i;
            }
        }
        throw new AssertionError("no record in the segment at " + base);
    }

    private static List<Long> sequences(final int from, final int to)
    {
        final List<Long> sequences = new ArrayList<>();
        for (long i = from; i < to; i++)
        {
            sequences.add(i);
        }
        return sequences;
    }

    static Path copyOf(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }

    /**
     * Every file of a journal folder, by name, but the index's lock (empty, left by an indexer that ran).
     */
    static Map<String, byte[]> files(final Path folder)
    {
        final Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(folder))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                final String name = path.getFileName().toString();
                if (!JournalDescriptor.INDEX_LOCK_FILE_NAME.equals(name))
                {
                    files.put(name, Files.readAllBytes(path));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return files;
    }

    private static void assertSameFiles(final Path expected, final Path actual)
    {
        assertSameFiles(files(expected), files(actual));
    }

    static void assertSameFiles(final Map<String, byte[]> expected, final Map<String, byte[]> actual)
    {
        assertEquals(expected.keySet(), actual.keySet());
        for (final Map.Entry<String, byte[]> file : expected.entrySet())
        {
            assertArrayEquals(file.getValue(), actual.get(file.getKey()), file.getKey());
        }
    }

    private static void fail(final String message)
    {
        throw new AssertionError(message);
    }

    private static final class SimulatedCrash extends RuntimeException
    {
        private static final long serialVersionUID = 1L;
    }
}
