package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.journalFormatVersion;
import static org.kekbit.journal.JournalTestSupport.patchJournalFormatVersion;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

/**
 * The journal format version in every segment's header: written by every path that makes a segment, and checked
 * by every path that opens one, so that a journal of a later format is refused rather than misread.
 */
class JournalFormatVersionTest
{
    private static final int LATER = JournalDescriptor.JOURNAL_FORMAT_VERSION + 1;

    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @ParameterizedTest
    @ValueSource(strings = { "inline", "agent", "recycling" })
    void shouldWriteJournalFormatVersionIntoEverySegmentWhenSegmentsAreMadeAnyWay(final String how) throws Exception
    {
        final JournalWriter.Context ctx = writerContext(folder);
        if ("agent".equals(how))
        {
            ctx.createSegmentsOnAgent(true);
        }
        if ("recycling".equals(how))
        {
            ctx.retainedSegments(1).recycleSegments(true);
        }
        try (JournalWriter writer = JournalWriter.create(ctx);
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            long sequence = 0;
            while (writer.rolls() < 12)
            {
                if (write(writer, scratch, sequence) > 0)
                {
                    sequence++;
                }
                writer.doWork();
                if ("agent".equals(how))
                {
                    writer.segmentCreator().doWork();
                }
                while (reader.poll((msgTypeId, buffer, offset, length) -> {}, 100) > 0)
                {
                    reader.commit();
                }
            }
            if ("recycling".equals(how))
            {
                assertTrue(writer.recycledSegments() > 0, "recycled=" + writer.recycledSegments());
            }

            final LongArrayList bases = JournalFiles.allSegmentBases(folder); // the standby successor included
            assertTrue(bases.size() >= 2, bases.toString());
            for (int i = 0; i < bases.size(); i++)
            {
                final Path segment = JournalDescriptor.segmentPath(folder, bases.getLong(i));
                assertEquals(JournalDescriptor.JOURNAL_FORMAT_VERSION, journalFormatVersion(segment),
                    segment.getFileName().toString());
            }
        }
    }

    @Test
    void shouldLeaveJournalFormatVersionZeroWhenChannelIsNoJournalSegment()
    {
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .path(folder.resolve("plain.kekbit")).capacity(4096).preTouch(false)))
        {
            assertEquals(0, journalFormatVersion(writer.path()));
            try (ChannelReader reader = ChannelReader.open(writer.path()))
            {
                assertEquals(0, reader.header().journalFormatVersion());
            }
        }
        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.create(
            new ChannelWriter.Context().path(folder.resolve("negative.kekbit")).journalFormatVersion(-1)));
        assertEquals(ChannelException.Reason.BAD_HEADER, ex.reason());
        assertFalse(Files.exists(folder.resolve("negative.kekbit")));
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void shouldReportCorruptWithVersionsWhenNamedReaderCrossesIntoSegmentOfLaterFormat(final boolean isPrefetched)
    {
        final long[] ends = closedJournal(folder, 3);
        patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY), LATER);
        final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();
        final JournalReader.Context ctx = new JournalReader.Context().folder(folder).name("audit");
        if (isPrefetched)
        {
            ctx.prefetcher(prefetcher);
        }

        try (JournalReader reader = JournalReader.open(ctx))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            for (int i = 0; i < 100; i++)
            {
                prefetcher.doWork();
                reader.poll(checker, 10);
            }

            assertEquals(List.of(), checker.errors);
            assertEquals(ends[0], checker.next, "every record of the first segment, none after it");
            assertEquals(JournalState.CORRUPT, reader.state());
            assertTrue(reader.state().isEnd());
            final String corruption = reader.corruption();
            assertTrue(corruption.contains("incompatible journal format version: expected 0.." +
                JournalDescriptor.JOURNAL_FORMAT_VERSION + ", actual=" + LATER), corruption);
            assertFalse(corruption.contains("\n"), corruption);
            assertEquals(0, reader.poll(checker, 10), "sticky until a seek");
            assertEquals(0, reader.prefetchedSegments(), "the prefetcher does not prepare it either");
        }
        finally
        {
            prefetcher.onClose();
        }
    }

    @Test
    void shouldRefuseToOpenUnnamedReaderWhenFirstSegmentIsOfLaterFormat()
    {
        closedJournal(folder, 2);
        patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, 0), LATER);

        final ChannelException ex = assertThrows(ChannelException.class,
            () -> JournalReader.open(new JournalReader.Context().folder(folder)));

        assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, ex.reason());
        assertTrue(ex.getMessage().contains("actual=" + LATER), ex.getMessage());
        assertTrue(ex.getMessage().contains(JournalDescriptor.segmentFileName(0)), ex.getMessage());
        final ChannelException source = assertThrows(ChannelException.class, () -> JournalSource.open(folder));
        assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, source.reason());
        final ChannelException digest = assertThrows(ChannelException.class,
            () -> JournalDigest.digest(folder, -1, -1));
        assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, digest.reason());
    }

    @Test
    void shouldRefuseToSeekBySequenceWhenSegmentIsOfLaterFormat()
    {
        closedJournal(folder, 3);
        patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, SEGMENT_CAPACITY), LATER);

        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).sequenceOffset(0)))
        {
            final ChannelException ex = assertThrows(ChannelException.class, () -> reader.seekToSequence(1_000_000));
            assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, ex.reason());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void shouldRefuseToResumeAndChangeNothingWhenLastSegmentIsOfLaterFormat(final boolean isCrashed) throws IOException
    {
        final JournalWriter writer = JournalWriter.create(writerContext(folder));
        long sequence = 0;
        while (writer.rolls() < 2)
        {
            write(writer, scratch, sequence++);
        }
        if (isCrashed)
        {
            JournalTestSupport.crash(writer);
        }
        else
        {
            writer.close();
        }
        final LongArrayList bases = JournalFiles.allSegmentBases(folder);
        final Path last = JournalDescriptor.segmentPath(folder, 2L * SEGMENT_CAPACITY);
        patchJournalFormatVersion(last, LATER);
        final byte[] before = Files.readAllBytes(last);

        final ChannelException ex = assertThrows(ChannelException.class,
            () -> JournalWriter.resume(writerContext(folder)));

        assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, ex.reason());
        assertTrue(ex.getMessage().startsWith("incompatible journal format version: expected 0.." +
            JournalDescriptor.JOURNAL_FORMAT_VERSION + ", actual=" + LATER), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
        assertArrayEquals(before, Files.readAllBytes(last), "neither taken over nor repaired");
        assertEquals(bases, JournalFiles.allSegmentBases(folder), "no segment made or deleted");
        final ChannelException prune = assertThrows(ChannelException.class,
            () -> JournalWriter.prune(writerContext(folder).retainedSegments(1)));
        assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, prune.reason());
        assertEquals(bases, JournalFiles.allSegmentBases(folder), "nothing pruned");
    }

    @Test
    void shouldReadAndResumeWhenSegmentsWereMadeBeforeJournalFormatVersions()
    {
        final long[] ends = closedJournal(folder, 3);
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        for (int i = 0; i < bases.size(); i++)
        {
            patchJournalFormatVersion(JournalDescriptor.segmentPath(folder, bases.getLong(i)), 0);
        }

        final long total = ends[ends.length - 1];
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (reader.poll(checker, 100) > 0)
            {
                // every record
            }
            assertEquals(List.of(), checker.errors);
            assertEquals(total, checker.next);
            assertEquals(JournalState.CLOSED, reader.state());
        }

        try (JournalWriter writer = JournalWriter.resume(writerContext(folder)))
        {
            long sequence = total;
            final long rolls = writer.rolls();
            while (writer.rolls() < rolls + 2)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
            }
            assertEquals(0, journalFormatVersion(JournalDescriptor.segmentPath(folder, bases.getLong(0))));
            assertEquals(JournalDescriptor.JOURNAL_FORMAT_VERSION,
                journalFormatVersion(JournalDescriptor.segmentPath(folder, writer.currentSegmentBase())),
                "segments made from now on carry this version");
            writer.close();
            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
            {
                final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
                while (reader.poll(checker, 100) > 0)
                {
                    // old and new segments alike
                }
                assertEquals(List.of(), checker.errors);
                assertEquals(sequence, checker.next);
                assertNull(reader.corruption());
            }
        }
    }

    @Test
    void shouldRefuseToMirrorOrReopenSegmentOfLaterFormat()
    {
        final Path leader = folder.resolve("leader");
        final Path follower = folder.resolve("follower");
        closedJournal(leader, 2);
        final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
        try (JournalSource source = JournalSource.open(leader))
        {
            source.headerBytes(header, 0);
        }
        JournalTestSupport.encodeJournalFormatVersion(header, LATER);

        try (JournalMirror mirror = JournalMirror.open(follower))
        {
            final ChannelException ex = assertThrows(ChannelException.class,
                () -> mirror.startSegment(0, header, 0));
            assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, ex.reason());
        }
        assertFalse(Files.exists(JournalDescriptor.segmentPath(follower, 0)), "no segment made");

        JournalTestSupport.encodeJournalFormatVersion(header, JournalDescriptor.JOURNAL_FORMAT_VERSION);
        try (JournalMirror mirror = JournalMirror.open(follower))
        {
            assertEquals(0, mirror.startSegment(0, header, 0));
        }
        assertEquals(JournalDescriptor.JOURNAL_FORMAT_VERSION,
            journalFormatVersion(JournalDescriptor.segmentPath(follower, 0)), "the mirror copies its leader's");
        patchJournalFormatVersion(JournalDescriptor.segmentPath(follower, 0), LATER);
        final ChannelException reopen = assertThrows(ChannelException.class, () -> JournalMirror.open(follower));
        assertEquals(ChannelException.Reason.INCOMPATIBLE_VERSION, reopen.reason());
    }

    /**
     * A closed journal of some segments, made by this version, the last one holding 3 records.
     *
     * @return for each segment, the sequence after its last record.
     */
    private long[] closedJournal(final Path journal, final int segments)
    {
        final long[] ends = new long[segments];
        try (JournalWriter writer = JournalWriter.create(writerContext(journal).sequenceOffset(0)))
        {
            long sequence = 0;
            int segment = 0;
            while (segment < segments - 1)
            {
                final long rolls = writer.rolls();
                assertTrue(write(writer, scratch, sequence) > 0);
                if (writer.rolls() > rolls)
                {
                    ends[segment++] = sequence; // the record that rolled is the next segment's first
                }
                sequence++;
            }
            for (int i = 0; i < 3; i++)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
            }
            ends[segments - 1] = sequence;
        }
        return ends;
    }
}
