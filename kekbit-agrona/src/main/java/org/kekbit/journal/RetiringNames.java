package org.kekbit.journal;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The two names a recycling writer renames a segment between when it retires it (its segment name and its recycle
 * name), made when the segment is made, by the segment creator agent off the writing thread, and kept by base until
 * the segment retires: so that retiring, on the writer's duty cycle, allocates no path. A base whose names were not
 * kept (overwritten while retention held the segment back, or made before this writer started) has them made then.
 * Not threadsafe: the writer's thread only.
 */
final class RetiringNames
{
    private final Path folder;
    private final long segmentCapacity;
    private final long[] bases;
    private final Path[] segmentPaths;
    private final Path[] recyclePaths;

    RetiringNames(final Path folder, final long segmentCapacity, final int capacity)
    {
        this.folder = folder;
        this.segmentCapacity = segmentCapacity;
        this.bases = new long[capacity];
        this.segmentPaths = new Path[capacity];
        this.recyclePaths = new Path[capacity];
        Arrays.fill(bases, -1);
    }

    /**
     * Keep the names of a segment made at a base.
     */
    void put(final long base, final Path segmentPath, final Path recyclePath)
    {
        if (bases.length > 0 && null != segmentPath && null != recyclePath)
        {
            final int index = index(base);
            bases[index] = base;
            segmentPaths[index] = segmentPath;
            recyclePaths[index] = recyclePath;
        }
    }

    /**
     * Keep the names of a segment the writer made itself, making its recycle name (the writer's thread allocates
     * there anyway).
     */
    void made(final long base, final Path segmentPath)
    {
        if (bases.length > 0)
        {
            put(base, segmentPath, JournalDescriptor.recyclePath(folder, base));
        }
    }

    Path segmentPath(final long base)
    {
        return isKept(base) ? segmentPaths[index(base)] : JournalDescriptor.segmentPath(folder, base);
    }

    Path recyclePath(final long base)
    {
        return isKept(base) ? recyclePaths[index(base)] : JournalDescriptor.recyclePath(folder, base);
    }

    private boolean isKept(final long base)
    {
        return bases.length > 0 && bases[index(base)] == base;
    }

    private int index(final long base)
    {
        return (int)((base / segmentCapacity) % bases.length);
    }
}
