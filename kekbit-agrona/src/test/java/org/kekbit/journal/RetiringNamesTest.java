package org.kekbit.journal;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class RetiringNamesTest
{
    private static final long CAPACITY = 64 * 1024;
    private final Path folder = Path.of("/journal");

    @Test
    void shouldHandBackTheNamesKeptForABase()
    {
        final RetiringNames names = new RetiringNames(folder, CAPACITY, 4);
        final Path segmentPath = JournalDescriptor.segmentPath(folder, 3 * CAPACITY);
        final Path recyclePath = JournalDescriptor.recyclePath(folder, 3 * CAPACITY);

        names.put(3 * CAPACITY, segmentPath, recyclePath);

        assertSame(segmentPath, names.segmentPath(3 * CAPACITY));
        assertSame(recyclePath, names.recyclePath(3 * CAPACITY));
    }

    @Test
    void shouldMakeTheNamesOfABaseNotKeptOrOverwritten()
    {
        final RetiringNames names = new RetiringNames(folder, CAPACITY, 4);
        names.put(CAPACITY, JournalDescriptor.segmentPath(folder, CAPACITY),
            JournalDescriptor.recyclePath(folder, CAPACITY));
        names.made(5 * CAPACITY, JournalDescriptor.segmentPath(folder, 5 * CAPACITY)); // the same slot: overwritten

        assertEquals(JournalDescriptor.segmentPath(folder, CAPACITY), names.segmentPath(CAPACITY));
        assertEquals(JournalDescriptor.recyclePath(folder, CAPACITY), names.recyclePath(CAPACITY));
        assertEquals(JournalDescriptor.recyclePath(folder, 5 * CAPACITY), names.recyclePath(5 * CAPACITY));
        assertEquals(JournalDescriptor.segmentPath(folder, 2 * CAPACITY), names.segmentPath(2 * CAPACITY));
    }

    @Test
    void shouldKeepNothingForAWriterThatDoesNotRecycle()
    {
        final RetiringNames names = new RetiringNames(folder, CAPACITY, 0);
        names.made(0, JournalDescriptor.segmentPath(folder, 0));

        assertEquals(JournalDescriptor.recyclePath(folder, 0), names.recyclePath(0));
    }
}
