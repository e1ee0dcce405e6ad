package org.kekbit.journal;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

import org.agrona.IoUtil;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelSource;
import org.kekbit.channel.ProcessLiveness;

/**
 * File system operations of a journal, all on cold paths: listing the segments once on open, and linking the next
 * segment into place at a roll.
 */
final class JournalFiles
{
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final CopyOption[] ATOMIC_MOVE = { StandardCopyOption.ATOMIC_MOVE };

    private JournalFiles()
    {
    }

    /**
     * Open a segment read-only as {@link ChannelReader#open(Path)} does, refusing one of a later journal format.
     *
     * @throws ChannelException as {@link ChannelReader#open(Path)} does, or with
     *                          {@link ChannelException.Reason#INCOMPATIBLE_VERSION}.
     */
    static ChannelReader openSegment(final Path path)
    {
        return checkSegment(ChannelReader.open(path));
    }

    /**
     * Open a segment as a {@link ChannelSource}, refusing one of a later journal format.
     */
    static ChannelSource openSegmentSource(final Path path)
    {
        final ChannelSource source = ChannelSource.open(path);
        try
        {
            JournalDescriptor.checkJournalFormatVersion(source.journalFormatVersion(), path);
        }
        catch (final ChannelException ex)
        {
            source.close();
            throw ex;
        }
        return source;
    }

    /**
     * Check an open segment's journal format version, closing the reader when it is refused.
     *
     * @return the reader.
     * @throws ChannelException with {@link ChannelException.Reason#INCOMPATIBLE_VERSION}.
     */
    static ChannelReader checkSegment(final ChannelReader reader)
    {
        try
        {
            JournalDescriptor.checkJournalFormatVersion(reader.header().journalFormatVersion(), reader.path());
        }
        catch (final ChannelException ex)
        {
            reader.close();
            throw ex;
        }
        return reader;
    }

    /**
     * Base positions of the segments of a journal, in ascending order: the segments in its folder but the standby
     * successor, the next segment linked ahead of the roll and not activated yet, which holds nothing of the journal.
     * Lists the folder, and reads the last segment's header: never on a hot path.
     *
     * @param folder of the journal.
     * @return the bases, empty when there is no segment or no folder.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the folder cannot be listed.
     */
    static LongArrayList segmentBases(final Path folder)
    {
        final LongArrayList bases = allSegmentBases(folder);
        JournalDescriptor.dropStandbySuccessor(folder, bases);
        return bases;
    }

    /**
     * Base positions of every segment file in a journal folder, the standby successor included, in ascending order.
     *
     * @param folder of the journal.
     * @return the bases, empty when there is no segment or no folder.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the folder cannot be listed.
     */
    static LongArrayList allSegmentBases(final Path folder)
    {
        final LongArrayList bases = new LongArrayList();
        if (!Files.isDirectory(folder))
        {
            return bases;
        }
        // Names as strings, no Path per entry and no glob: a journal folder may hold thousands of segments.
        final String[] names = folder.toFile().list();
        if (null == names)
        {
            throw ioError("cannot list journal folder " + folder, null);
        }
        for (final String name : names)
        {
            final long base = JournalDescriptor.parseSegmentBase(name);
            if (base >= 0)
            {
                bases.addLong(base);
            }
        }
        bases.sort(null);
        return bases;
    }

    /**
     * Make a complete file visible under a segment's name: a hard link, which fails when the name exists, then
     * (on a disk file system) an fsync of the folder so the link survives a power loss. The first name stays; the
     * caller removes it.
     *
     * @param from       the file under its other name.
     * @param to         the segment's path.
     * @param syncFolder whether to fsync the folder after: {@link org.kekbit.StorageInfo#isFolderSyncNeeded(Path)}.
     * @throws ChannelException with {@link ChannelException.Reason#ALREADY_EXISTS} or
     *                          {@link ChannelException.Reason#IO_ERROR}.
     */
    static void link(final Path from, final Path to, final boolean syncFolder)
    {
        try
        {
            Files.createLink(to, from);
            if (syncFolder)
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

    /**
     * Rename a file atomically.
     *
     * @return true when renamed; false when the file was missing or could not be renamed.
     */
    static boolean renameQuietly(final Path from, final Path to)
    {
        try
        {
            Files.move(from, to, ATOMIC_MOVE); // one array for every call: a recycling writer renames at each roll
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * Delete the retired segments a recycling writer kept for re-use and died with. Lists the folder: at create and
     * resume only.
     *
     * @param folder of the journal.
     */
    static void deleteRetiredFiles(final Path folder)
    {
        final String[] names = folder.toFile().list();
        if (null != names)
        {
            for (final String name : names)
            {
                if (name.startsWith(JournalDescriptor.RECYCLE_PREFIX))
                {
                    deleteQuietly(folder.resolve(name));
                }
            }
        }
    }

    /**
     * Create a small mapped file of the journal once: written under a temp name (its header by the given writer,
     * which stores the format version last), forced, then hard-linked to its name, so that readers never see it half
     * written and of two racing creators one file wins and both use it.
     *
     * @param path   of the file.
     * @param length of the file.
     * @param header writes the header into the new file's mapping.
     * @param what   the file, for messages.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when it cannot be created.
     */
    static void createOnce(final Path path, final int length, final Consumer<UnsafeBuffer> header, final String what)
    {
        final Path tempPath = path.resolveSibling(
            path.getFileName() + "." + ProcessLiveness.currentPid() + "." + System.nanoTime() + ".tmp");
        try
        {
            try (FileChannel channel = FileChannel.open(tempPath,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
                header.accept(new UnsafeBuffer(mapped));
                mapped.force();
                IoUtil.unmap(mapped);
            }
            Files.createLink(path, tempPath);
        }
        catch (final FileAlreadyExistsException ignore)
        {
            // Another creator won: its file is complete, as ours would have been.
        }
        catch (final IOException ex)
        {
            throw ioError("cannot create " + what + " " + path + ": " + ex, ex);
        }
        finally
        {
            deleteQuietly(tempPath); // best effort: a leftover temp name blocks nobody
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

    /**
     * Convert between native order and the files' little endian order, for the atomic accessors.
     */
    static int le(final int value)
    {
        return NATIVE_LITTLE_ENDIAN ? value : Integer.reverseBytes(value);
    }

    /**
     * Convert between native order and the files' little endian order, for the atomic accessors.
     */
    static long le(final long value)
    {
        return NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value);
    }

    static ChannelException ioError(final String message, final Throwable cause)
    {
        return new ChannelException(ChannelException.Reason.IO_ERROR, message, cause);
    }
}
