package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalRecyclingTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);
    private final org.kekbit.channel.RecordHandler ignore = (msgTypeId, buffer, offset, length) ->
    {
    };

    @Test
    void shouldReuseRetiredSegmentFilesAndDeliverEveryRecordInOrder() throws IOException
    {
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).retainedSegments(2).recycleSegments(true));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            final Set<Object> files = new HashSet<>();
            long sequence = 0;
            while (writer.rolls() < 60)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
                reader.poll(checker, 100);
                reader.commit();
                files.add(fileKey(JournalDescriptor.segmentPath(folder, writer.currentSegmentBase())));
            }
            drainCommitting(reader, checker);

            assertEquals(List.of(), checker.errors);
            assertEquals(sequence, checker.next, "every record, once, in order");
            assertTrue(writer.recycledSegments() >= 50, "recycled=" + writer.recycledSegments());
            assertTrue(files.size() <= 6, "61 segments written in " + files.size() + " files");
            assertTrue(JournalFiles.segmentBases(folder).size() <= 3);
            assertTrue(countNamed(JournalDescriptor.RECYCLE_PREFIX) <= 2, "at most two retired files kept");
        }
        assertEquals(0, countNamed(JournalDescriptor.RECYCLE_PREFIX), "close deletes the retired file it kept");
    }

    @Test
    void shouldKeepTwoRetiredFilesWhenLaggingReaderReleasesSeveralSegmentsAtOnce() throws IOException
    {
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).retainedSegments(1).recycleSegments(true));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            while (writer.rolls() < 5) // the reader lags at the start: retention waits for it
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
            }
            assertEquals(0, countNamed(JournalDescriptor.RECYCLE_PREFIX));

            drainCommitting(reader, checker);
            for (int i = 0; i < 10; i++)
            {
                writer.doWork();
            }

            assertEquals(List.of(), checker.errors);
            assertEquals(2, countNamed(JournalDescriptor.RECYCLE_PREFIX), "both kept for the next segments");
            final long rollsBefore = writer.rolls();
            while (writer.rolls() < rollsBefore + 2)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
                reader.poll(checker, 100);
                reader.commit();
            }
            drainCommitting(reader, checker);
            assertEquals(List.of(), checker.errors);
            assertEquals(sequence, checker.next, "every record, once, in order, through the re-used files");
        }
    }

    @Test
    void shouldReuseRetiredSegmentFilesOnTheSegmentCreatorAgent() throws Exception
    {
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).retainedSegments(1).recycleSegments(true).createSegmentsOnAgent(true));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            while (writer.rolls() < 30)
            {
                final long result = write(writer, scratch, sequence);
                if (result > 0)
                {
                    sequence++;
                }
                writer.doWork();
                writer.segmentCreator().doWork();
                reader.poll(checker, 100);
                reader.commit();
            }
            drainCommitting(reader, checker);
            assertEquals(List.of(), checker.errors);
            assertEquals(sequence, checker.next);
            assertTrue(writer.recycledSegments() >= 20, "recycled=" + writer.recycledSegments());
        }
    }

    @Test
    void shouldReadRecycledSegmentsThroughTheMappingsTheReaderLeft()
    {
        final JournalSegmentPrefetcher prefetcher = new JournalSegmentPrefetcher();
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).retainedSegments(2).recycleSegments(true));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower")
                .prefetcher(prefetcher)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            while (writer.rolls() < 40)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
                prefetcher.doWork();
                reader.poll(checker, 100);
                reader.commit();
            }
            drainCommitting(reader, checker);
            assertEquals(List.of(), checker.errors, "records read through re-used mappings are the new ones");
            assertEquals(sequence, checker.next);
            assertTrue(reader.prefetchedSegments() > 20, "prefetched=" + reader.prefetchedSegments());
            assertTrue(reader.reusedMappings() > 10, "reused=" + reader.reusedMappings());
        }
        finally
        {
            prefetcher.onClose();
        }
    }

    @Test
    void shouldMapAfreshWhenTheGivenMappingIsOfAnotherFile() throws IOException
    {
        final Path a = folder.resolve("a.kekbit");
        final Path b = folder.resolve("b.kekbit");
        try (org.kekbit.channel.ChannelWriter writerA = org.kekbit.channel.ChannelWriter.create(
            new org.kekbit.channel.ChannelWriter.Context().path(a).capacity(4096).channelId(1).preTouch(false));
            org.kekbit.channel.ChannelWriter writerB = org.kekbit.channel.ChannelWriter.create(
                new org.kekbit.channel.ChannelWriter.Context().path(b).capacity(4096).channelId(2).preTouch(false)))
        {
            scratch.setMemory(0, 100, (byte)0x11);
            assertTrue(writerA.write(7, scratch, 0, 100) > 0);
            scratch.setMemory(0, 100, (byte)0x22);
            assertTrue(writerB.write(7, scratch, 0, 100) > 0);

            final org.kekbit.channel.ChannelReader readerA = org.kekbit.channel.ChannelReader.open(a);
            final java.nio.MappedByteBuffer mappingOfA = readerA.closeKeepingMapping();
            try (org.kekbit.channel.ChannelReader readerB = org.kekbit.channel.ChannelReader.open(
                new org.kekbit.channel.ChannelReader.Context().path(b), mappingOfA))
            {
                assertFalse(readerB.isMappingReused(), "a's mapping has a's header: not b's file");
                assertEquals(2, readerB.channelId());
                final int[] seen = new int[1];
                assertEquals(1, readerB.poll((msgTypeId, buffer, offset, length) -> seen[0] = buffer.getByte(offset),
                    10));
                assertEquals(0x22, seen[0], "b's record, read through b's own mapping");
            }

            final org.kekbit.channel.ChannelReader again = org.kekbit.channel.ChannelReader.open(a);
            final java.nio.MappedByteBuffer mappingAgain = again.closeKeepingMapping();
            try (org.kekbit.channel.ChannelReader readerA2 = org.kekbit.channel.ChannelReader.open(
                new org.kekbit.channel.ChannelReader.Context().path(a), mappingAgain))
            {
                assertTrue(readerA2.isMappingReused(), "the same file: its mapping serves again");
                assertEquals(1, readerA2.poll(ignore, 10));
            }
        }
    }

    @Test
    void shouldDeleteRatherThanReuseSegmentsALiveNamedReaderMayMap()
    {
        try (JournalWriter writer = JournalWriter.create(
            writerContext(folder).retainedSegments(1).recycleSegments(true));
            JournalReader careless = JournalReader.open(
                new JournalReader.Context().folder(folder).name("careless").protectRetention(false)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            long sequence = 0;
            assertTrue(write(writer, scratch, sequence++) > 0);
            assertEquals(1, careless.poll(checker, 1), "maps segment 0 and stays there");
            while (writer.rolls() < 10)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
            }
            writer.doWork();
            assertEquals(0, writer.recycledSegments(), "every retired segment is at or after the reader's");
            assertFalse(Files.exists(JournalDescriptor.segmentPath(folder, 0)), "retired all the same");

            while (careless.poll(checker, 100) > 0)
            {
                assertEquals(List.of(), checker.errors);
            }
            assertEquals(List.of(), checker.errors, "the deleted segment it maps stays intact");
            assertEquals(JournalState.TRUNCATED, careless.state(), "then the gap is reported, never skipped");

            careless.seekToStart();
            final JournalTestSupport.Checker resumed = new JournalTestSupport.Checker(-1);
            final long recycledBefore = writer.recycledSegments();
            while (writer.rolls() < 30)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
                careless.poll(resumed, 100);
            }
            assertEquals(List.of(), resumed.errors);
            assertTrue(writer.recycledSegments() > recycledBefore, "a reader that keeps up lets segments be reused");
        }
    }

    @Test
    void shouldRefuseUnnamedReaderOnlyWhileTheJournalRecycles()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).recycleSegments(true)))
        {
            write(writer, scratch, 0);
            final ChannelException ex = assertThrows(ChannelException.class,
                () -> JournalReader.open(new JournalReader.Context().folder(folder)));
            assertEquals(ChannelException.Reason.NAMED_READERS_ONLY, ex.reason());
            assertTrue(ex.getMessage().contains("give the reader a name"), ex.getMessage());
        }

        try (JournalWriter writer = JournalWriter.resume(writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            assertEquals(1, reader.poll(checker, 10));
            assertEquals(List.of(), checker.errors);
            assertFalse(JournalReadingSegments.isRecycling(folder));
            assertEquals(writer.position(), reader.position());
        }
    }

    @Test
    void shouldHoldRecyclingBackForANamedReaderThatOpenedBeforeTheJournalRecycled()
    {
        try (JournalWriter first = JournalWriter.create(writerContext(folder)))
        {
            write(first, scratch, 0);
        }
        try (JournalReader early = JournalReader.open(new JournalReader.Context().folder(folder).name("early")
            .protectRetention(false));
            JournalWriter writer = JournalWriter.resume(writerContext(folder).retainedSegments(1)
                .recycleSegments(true)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            assertEquals(1, early.poll(checker, 1));
            long sequence = 1;
            while (writer.rolls() < 10)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
            }
            assertEquals(0, writer.recycledSegments(), "its entry reads 0 (any segment) until it opens a segment");

            final JournalTestSupport.Checker rest = new JournalTestSupport.Checker(1);
            while (writer.rolls() < 30)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
                early.poll(rest, 100); // crosses: finds the journal recycling and says where it reads
            }
            assertEquals(List.of(), rest.errors);
            assertTrue(writer.recycledSegments() > 0, "recycled once it said where it reads");
        }
    }

    @Test
    void shouldDeleteRetiredFileACrashedWriterKept() throws IOException
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder).recycleSegments(true)))
        {
            write(writer, scratch, 0);
            JournalTestSupport.crash(writer);
        }
        final Path leftover = JournalDescriptor.recyclePath(folder, 0);
        Files.write(leftover, new byte[SEGMENT_CAPACITY]);
        try (JournalWriter writer = JournalWriter.resume(writerContext(folder).recycleSegments(true)))
        {
            assertFalse(Files.exists(leftover));
            assertTrue(JournalReadingSegments.isRecycling(folder));
            assertEquals(1, JournalFiles.segmentBases(folder).size());
            assertTrue(writer.position() > 0);
        }
    }

    @Test
    void shouldCreateSegmentInNewMemoryWhenRetiredFileHasAnotherLength() throws IOException
    {
        final Path retired = folder.resolve("retired");
        Files.write(retired, new byte[100]);
        try (org.kekbit.channel.ChannelWriter channel = org.kekbit.channel.ChannelWriter.createReusing(
            new org.kekbit.channel.ChannelWriter.Context().path(folder.resolve("c.kekbit")).capacity(4096)
                .preTouch(false), retired))
        {
            assertEquals(0, channel.position());
            assertFalse(Files.exists(retired), "the unusable file is deleted");
            assertEquals(org.kekbit.channel.ChannelDescriptor.fileLength(4096),
                Files.size(folder.resolve("c.kekbit")));
        }
    }

    @Test
    void shouldShowNoOldRecordAndLeaveOnlyZerosAfterEndOnceClosedWhenFileReused() throws IOException
    {
        final Path retired = folder.resolve("a.kekbit");
        final org.kekbit.channel.ChannelWriter.Context ctx = new org.kekbit.channel.ChannelWriter.Context()
            .path(retired).capacity(4096).preTouch(false);
        try (org.kekbit.channel.ChannelWriter old = org.kekbit.channel.ChannelWriter.create(ctx))
        {
            for (int i = 0; i < 20; i++)
            {
                scratch.setMemory(0, 100, (byte)0x5A);
                old.write(7, scratch, 0, 100);
            }
        }
        final Path reused = folder.resolve("b.kekbit");
        final long end;
        try (org.kekbit.channel.ChannelWriter channel = org.kekbit.channel.ChannelWriter.createReusing(
            new org.kekbit.channel.ChannelWriter.Context().path(reused).capacity(4096).channelId(42).preTouch(false),
            retired);
            org.kekbit.channel.ChannelReader reader = org.kekbit.channel.ChannelReader.open(reused))
        {
            assertFalse(Files.exists(retired));
            assertEquals(42, reader.channelId());
            assertEquals(0, reader.poll(ignore, 10), "no old record shows");
            assertTrue(channel.write(7, scratch, 0, 100) > 0);
            assertEquals(1, reader.poll(ignore, 10));
            assertEquals(0, reader.poll(ignore, 10), "nothing after the new record");
            end = channel.position();
        }

        // Closed: the end marker, then only zeros, as in a channel made in a new file.
        final byte[] bytes = Files.readAllBytes(reused);
        final int afterMarker = org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH + (int)end + 8;
        for (int i = afterMarker; i < bytes.length; i++)
        {
            assertEquals(0, bytes[i], "byte " + i);
        }
    }

    @Test
    void shouldReuseTheMappingTheRetiredWriterKept() throws IOException
    {
        final Path retired = folder.resolve("a.kekbit");
        final org.kekbit.channel.ChannelWriter old = org.kekbit.channel.ChannelWriter.create(
            new org.kekbit.channel.ChannelWriter.Context().path(retired).capacity(4096).preTouch(false));
        scratch.setMemory(0, 100, (byte)0x5A);
        assertTrue(old.write(7, scratch, 0, 100) > 0);
        assertTrue(old.rollHoldingMapping(scratch, 0, 8));
        assertTrue(old.isClosed(), "nothing can be written once rolled, held mapping or not");
        final java.nio.MappedByteBuffer kept = old.releaseHeldMapping(true);
        assertEquals(org.kekbit.channel.ChannelDescriptor.fileLength(4096), kept.capacity());
        assertEquals(null, old.releaseHeldMapping(true), "released: nothing more to hand over");
        assertEquals(false, old.rollHoldingMapping(scratch, 0, 8), "closed: no second marker");
        assertEquals(null, old.releaseHeldMapping(true), "closed: nothing held");

        final Path reused = folder.resolve("b.kekbit");
        try (org.kekbit.channel.ChannelWriter channel = org.kekbit.channel.ChannelWriter.createReusing(
            new org.kekbit.channel.ChannelWriter.Context().path(reused).capacity(4096).channelId(9).preTouch(false),
            retired, kept);
            org.kekbit.channel.ChannelReader reader = org.kekbit.channel.ChannelReader.open(reused))
        {
            assertEquals(9, reader.channelId());
            assertEquals(0, reader.poll(ignore, 10), "the old record and its ROLLED marker are gone");
            scratch.setMemory(0, 100, (byte)0x33);
            assertTrue(channel.write(8, scratch, 0, 100) > 0);
            final int[] seen = new int[2];
            assertEquals(1, reader.poll((msgTypeId, buffer, offset, length) ->
            {
                seen[0] = msgTypeId;
                seen[1] = buffer.getByte(offset + 99);
            }, 10));
            assertEquals(8, seen[0]);
            assertEquals(0x33, seen[1], "written through the kept mapping, read through the file");
        }
    }

    /**
     * Poll until nothing is left, committing after each poll as a named reader does.
     */
    private static void drainCommitting(final JournalReader reader, final JournalTestSupport.Checker checker)
    {
        while (reader.poll(checker, 100) > 0)
        {
            reader.commit();
        }
    }

    private static Object fileKey(final Path path) throws IOException
    {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private long countNamed(final String prefix) throws IOException
    {
        try (Stream<Path> files = Files.list(folder))
        {
            return files.filter((path) -> path.getFileName().toString().startsWith(prefix)).count();
        }
    }
}
