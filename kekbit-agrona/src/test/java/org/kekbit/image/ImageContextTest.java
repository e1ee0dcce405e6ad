package org.kekbit.image;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.MappingReleaser;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SystemImage.Context} holds its journal's {@link JournalWriter.Context}: its journal settings are that
 * object's, and whatever is set on it reaches the journal.
 */
class ImageContextTest
{
    private static final long SEGMENT_CAPACITY = 64 * 1024;

    @TempDir
    Path folder;

    @Test
    void shouldSetAndReadJournalSettingsOnJournalContext()
    {
        final SystemImage.Context ctx = new SystemImage.Context();
        final JournalWriter.Context journal = ctx.journalContext();
        assertEquals(JournalWriter.Context.DEFAULT_SEGMENT_CAPACITY, ctx.segmentCapacity());
        assertEquals(-1, ctx.maxRecordLength());
        assertTrue(ctx.preTouch());

        final MappingReleaser releaser = new MappingReleaser();
        final CachedEpochClock clock = new CachedEpochClock();
        ctx.segmentCapacity(SEGMENT_CAPACITY).maxRecordLength(1024).retainedSegments(3).preTouch(false)
            .createSegmentsOnAgent(true).mappingReleaser(releaser).epochClock(clock);
        assertEquals(SEGMENT_CAPACITY, journal.segmentCapacity());
        assertEquals(1024, journal.maxRecordLength());
        assertEquals(3, journal.retainedSegments());
        assertFalse(journal.preTouch());
        assertTrue(journal.createSegmentsOnAgent());
        assertSame(releaser, journal.mappingReleaser());
        assertSame(clock, journal.epochClock());

        journal.segmentCapacity(2 * SEGMENT_CAPACITY).maxRecordLength(512).retainedSegments(5).preTouch(true)
            .createSegmentsOnAgent(false).mappingReleaser(null).epochClock(new CachedEpochClock());
        assertEquals(2 * SEGMENT_CAPACITY, ctx.segmentCapacity());
        assertEquals(512, ctx.maxRecordLength());
        assertEquals(5, ctx.retainedSegments());
        assertTrue(ctx.preTouch());
        assertFalse(ctx.createSegmentsOnAgent());
        assertEquals(null, ctx.mappingReleaser());
        assertSame(journal.epochClock(), ctx.epochClock());
        releaser.onClose();
    }

    @Test
    @Timeout(60)
    void shouldRetainJournalAsJournalContextSaysFromOldestKeptSnapshotOn()
    {
        final Path kept = folder.resolve("kept");
        final Path retained = folder.resolve("retained");
        fillAndSnapshot(context(kept));
        final SystemImage.Context ctx = context(retained);
        ctx.journalContext().retainedBytes(2 * SEGMENT_CAPACITY);
        fillAndSnapshot(ctx);

        final Path keptJournal = ImageDescriptor.journalFolder(kept);
        final Path retainedJournal = ImageDescriptor.journalFolder(retained);
        assertTrue(Files.exists(keptJournal.resolve(JournalDescriptor.segmentFileName(0))), "no limit: all kept");
        assertFalse(Files.exists(retainedJournal.resolve(JournalDescriptor.segmentFileName(0))),
            "the journal context's retention deleted the first segment");
        assertTrue(segmentCount(retainedJournal) < segmentCount(keptJournal));

        // What is left still recovers: the snapshot and the journal after it.
        try (SystemImage image = SystemImage.launch(context(retained)))
        {
            assertTrue(image.recoveredSnapshotPosition() > SEGMENT_CAPACITY);
            assertEquals(ctx.journalContext().folder(), ImageDescriptor.journalFolder(retained));
        }
    }

    @Test
    void shouldGiveJournalCopyOfEverySettingOfJournalContext() throws ReflectiveOperationException
    {
        // Every field of the context and its bases set to a value unlike its default: a setting the copy misses, or
        // one added later of a type this test does not know, fails here.
        final JournalWriter.Context original = new JournalWriter.Context();
        final List<Field> fields = new ArrayList<>();
        for (Class<?> type = JournalWriter.Context.class; Object.class != type; type = type.getSuperclass())
        {
            for (final Field field : type.getDeclaredFields())
            {
                if (!Modifier.isStatic(field.getModifiers()))
                {
                    field.setAccessible(true);
                    fields.add(field);
                }
            }
        }
        int distinct = 1000;
        for (final Field field : fields)
        {
            final Class<?> type = field.getType();
            distinct++;
            if (long.class == type)
            {
                field.setLong(original, distinct);
            }
            else if (int.class == type)
            {
                field.setInt(original, distinct);
            }
            else if (boolean.class == type)
            {
                field.setBoolean(original, !field.getBoolean(new JournalWriter.Context()));
            }
            else if (Path.class == type)
            {
                field.set(original, folder.resolve("f" + distinct));
            }
            else if (EpochClock.class == type)
            {
                field.set(original, new CachedEpochClock());
            }
            else if (MappingReleaser.class == type)
            {
                field.set(original, new MappingReleaser());
            }
            else
            {
                throw new AssertionError("a journal setting of a type this test does not know: " + field);
            }
        }
        assertTrue(fields.size() >= 17, "fields: " + fields);

        final JournalWriter.Context copy = original.clone();
        assertNotSame(original, copy, "a writer keeps its context: each gets its own");
        for (final Field field : fields)
        {
            assertEquals(field.get(original), field.get(copy), "copied: " + field.getName());
        }
    }

    @Test
    void shouldLeaveContextAsSetWhenLaunchedAndLaunchAgain()
    {
        final SystemImage.Context ctx = context(folder.resolve("again"));
        try (SystemImage image = SystemImage.launch(ctx))
        {
            assertTrue(image.position() >= 0);
            assertEquals(-1, ctx.maxRecordLength(), "the journal's default, not what its conclude() made of it");
        }
        assertEquals(ImageDescriptor.journalFolder(folder.resolve("again")), ctx.journalContext().folder());
        try (SystemImage image = SystemImage.launch(ctx.imageFolder(folder.resolve("other"))))
        {
            assertEquals(ImageDescriptor.journalFolder(folder.resolve("other")), ctx.journalContext().folder());
        }
    }

    @Test
    void shouldRefuseJournalFolderApartFromImageInOneLine()
    {
        final SystemImage.Context ctx = context(folder.resolve("image"));
        ctx.journalContext().folder(folder.resolve("elsewhere"));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertEquals("the journal's folder is the image's, not set apart: expected=" +
            ImageDescriptor.journalFolder(folder.resolve("image")) + ", actual=" + folder.resolve("elsewhere"),
            ex.getMessage());

        ctx.journalContext().folder(ImageDescriptor.journalFolder(folder.resolve("image")));
        ctx.conclude();
    }

    private static SystemImage.Context context(final Path imageFolder)
    {
        return new SystemImage.Context()
            .imageFolder(imageFolder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotMode(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)
            .snapshotsKept(1)
            .segmentCapacity(SEGMENT_CAPACITY)
            .preTouch(false);
    }

    private static void fillAndSnapshot(final SystemImage.Context ctx)
    {
        final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);
        try (SystemImage image = SystemImage.launch(ctx))
        {
            for (int i = 0; image.position() < 8 * SEGMENT_CAPACITY; i++)
            {
                LedgerStateMachine.encode(command, 0, i % 16, i, i);
                assertTrue(image.submit(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH) > 0);
                image.doWork();
            }
            image.requestSnapshot();
            for (int i = 0; i < 20; i++)
            {
                image.doWork(); // snapshot, then retention: at most one segment deleted per duty cycle
            }
            assertEquals(image.position(), image.snapshotPosition());
        }
    }

    private static long segmentCount(final Path journalFolder)
    {
        try (Stream<Path> files = Files.list(journalFolder))
        {
            return files.filter((file) -> file.getFileName().toString().endsWith(JournalDescriptor.SEGMENT_SUFFIX))
                .count();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
