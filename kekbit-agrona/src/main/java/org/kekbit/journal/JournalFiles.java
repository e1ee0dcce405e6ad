package org.kekbit.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelException;

/**
 * File system operations of a journal, all on cold paths: listing the segments once on open, and linking the next
 * segment into place at a roll.
 */
final class JournalFiles
{
    private JournalFiles()
    {
    }

    /**
     * Base positions of the segments in a journal folder, in ascending order. Lists the folder: never on a hot path.
     *
     * @param folder of the journal.
     * @return the bases, empty when there is no segment or no folder.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the folder cannot be listed.
     */
    static LongArrayList segmentBases(final Path folder)
    {
        final LongArrayList bases = new LongArrayList();
        if (!Files.isDirectory(folder))
        {
            return bases;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*" + JournalDescriptor.SEGMENT_SUFFIX))
        {
            for (final Path file : files)
            {
                final long base = JournalDescriptor.parseSegmentBase(file.getFileName().toString());
                if (base >= 0)
                {
                    bases.addLong(base);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ioError("cannot list journal folder " + folder + ": " + ex, ex);
        }
        bases.sort(null);
        return bases;
    }

    /**
     * Make a complete file visible under a segment's name: a hard link, which fails when the name exists, then
     * (on a disk file system) an fsync of the folder so the link survives a power loss. The first name stays; the
     * caller removes it.
     *
     * @param from the file under its other name.
     * @param to   the segment's path.
     * @throws ChannelException with {@link ChannelException.Reason#ALREADY_EXISTS} or
     *                          {@link ChannelException.Reason#IO_ERROR}.
     */
    static void link(final Path from, final Path to)
    {
        try
        {
            Files.createLink(to, from);
            if (!"tmpfs".equals(Files.getFileStore(to.getParent()).type()))
            {
                try (FileChannel channel = FileChannel.open(to.getParent(), StandardOpenOption.READ))
                {
                    channel.force(true);
                }
            }
        }
        catch (final FileAlreadyExistsException ex)
        {
            throw new ChannelException(ChannelException.Reason.ALREADY_EXISTS, "segment already exists: " + to, ex);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw ioError("cannot link segment " + to + ": " + ex, ex);
        }
    }

    /**
     * Flush a file's written pages to storage; a file deleted meanwhile (retention) has nothing left to force.
     *
     * @param path of the file.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR}.
     */
    static void force(final Path path)
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            channel.force(false);
        }
        catch (final NoSuchFileException ignore)
        {
            // deleted by retention: nothing to force
        }
        catch (final IOException ex)
        {
            throw ioError("cannot force " + path + ": " + ex, ex);
        }
    }

    static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignore)
        {
            // best effort: a leftover next segment is deleted by the next resume
        }
    }

    static ChannelException ioError(final String message, final Throwable cause)
    {
        return new ChannelException(ChannelException.Reason.IO_ERROR, message, cause);
    }
}
