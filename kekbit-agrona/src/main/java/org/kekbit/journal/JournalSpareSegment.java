package org.kekbit.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A file of a segment's length made ahead of need a step at a time, for a {@link JournalMirror} whose next segment
 * comes from its leader only at the roll: allocated (zeros written, so a full disk fails here, not with a SIGBUS
 * later), mapped and pre-touched by the mirror's duty cycle in steps of {@link #STEP} bytes, so no duty cycle pays for
 * more than a step, and at the roll the mirror only renames it and writes the leader's header
 * ({@link org.kekbit.channel.ChannelMirror#create(Path, org.agrona.DirectBuffer, int, Path, MappedByteBuffer)}).
 * <p>
 * Not threadsafe: the mirror's thread.
 */
final class JournalSpareSegment implements AutoCloseable
{
    /**
     * Bytes allocated, or pre-touched, per step.
     */
    static final int STEP = 1024 * 1024;

    private static final int PAGE = 4096;

    private final Path path;
    private final long fileLength;
    private final ByteBuffer zeros;
    private FileChannel channel;
    private long allocated;
    private MappedByteBuffer mapping;
    private UnsafeBuffer view;
    private long touched;
    private boolean isFailed;

    JournalSpareSegment(final Path path, final long fileLength)
    {
        this.path = path;
        this.fileLength = fileLength;
        this.zeros = ByteBuffer.allocateDirect((int)Math.min(STEP, fileLength));
    }

    /**
     * One step of making the spare: open, allocate a step, map, or pre-touch a step.
     *
     * @return 1 when a step was taken, 0 when the spare is ready or making it failed.
     */
    int doWork()
    {
        if (isFailed || isReady())
        {
            return 0;
        }
        try
        {
            if (null == channel && null == mapping)
            {
                JournalFiles.deleteQuietly(path); // one a killed mirror left
                channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            }
            else if (allocated < fileLength)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), fileLength - allocated));
                while (zeros.hasRemaining())
                {
                    allocated += channel.write(zeros, allocated);
                }
            }
            else if (null == mapping)
            {
                mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileLength);
                view = new UnsafeBuffer(mapping);
                channel.close();
                channel = null;
            }
            else
            {
                final long end = Math.min(fileLength, touched + STEP);
                for (long i = touched; i < end; i += PAGE)
                {
                    view.putByte((int)i, (byte)0); // the page is zero: writing it maps it in for writing
                }
                touched = end;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            isFailed = true; // the roll creates the segment itself, and reports what fails there
            close();
        }
        return 1;
    }

    /**
     * Whether the spare is made: allocated, mapped and pre-touched.
     *
     * @return true when ready.
     */
    boolean isReady()
    {
        return null != mapping && touched >= fileLength;
    }

    /**
     * The file.
     *
     * @return its path.
     */
    Path path()
    {
        return path;
    }

    /**
     * Hand the mapping over with the file: the caller renames the file and owns the mapping from now on.
     *
     * @return the mapping of the whole file.
     */
    MappedByteBuffer take()
    {
        final MappedByteBuffer taken = mapping;
        mapping = null;
        view = null;
        return taken;
    }

    /**
     * Unmap and delete what was made and not taken.
     */
    public void close()
    {
        try
        {
            if (null != channel)
            {
                channel.close();
            }
        }
        catch (final IOException ignore)
        {
            // closing a file we only wrote zeros to: nothing to lose
        }
        channel = null;
        if (null != mapping)
        {
            IoUtil.unmap(mapping);
            mapping = null;
            view = null;
        }
        JournalFiles.deleteQuietly(path);
    }
}
