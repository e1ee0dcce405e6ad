package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * File system operations behind creating and opening channels: exclusive creation, allocation and mapping.
 */
final class ChannelFiles
{
    private static final int ZERO_CHUNK_LENGTH = 1024 * 1024;
    private static final int PAGE_STRIDE = 4096;

    /**
     * Where {@link #preTouch(MappedByteBuffer, int, boolean)} publishes what it read, so the reads stay.
     */
    private static volatile int preTouchSink;

    private ChannelFiles()
    {
    }

    /**
     * Create a uniquely named file beside the channel's path, allocate every byte of it by writing zeros (so a full
     * disk fails here and not with SIGBUS later), and map it read-write.
     */
    static MappedByteBuffer createAndMapTemp(
        final Path tempPath, final long fileLength, final Set<PosixFilePermission> permissions)
    {
        try
        {
            Files.createDirectories(tempPath.getParent());
        }
        catch (final IOException ex)
        {
            throw ioError("cannot create folder " + tempPath.getParent(), ex);
        }

        try (FileChannel channel = FileChannel.open(tempPath, Set.of(
            StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
            permissionsAttribute(tempPath, permissions)))
        {
            if (permissionsAttribute(tempPath, permissions).length > 0)
            {
                Files.setPosixFilePermissions(tempPath, permissions); // the creation attribute is cut by umask
            }
            allocate(channel, fileLength, tempPath);
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, fileLength);
        }
        catch (final ChannelException ex)
        {
            deleteQuietly(tempPath);
            throw ex;
        }
        catch (final IOException | RuntimeException ex)
        {
            deleteQuietly(tempPath);
            throw ioError("cannot create channel file " + tempPath + ": " + ex, ex);
        }
    }

    /**
     * Make a fully written temp file visible under the channel's path, atomically and only if no file is there:
     * a hard link fails when the target exists, so of two racing creators exactly one wins, and readers never see
     * a half-written file. The temp name is removed either way.
     */
    static void publish(final Path tempPath, final Path path)
    {
        try
        {
            Files.createLink(path, tempPath);
        }
        catch (final FileAlreadyExistsException ex)
        {
            throw new ChannelException(ChannelException.Reason.ALREADY_EXISTS, "channel already exists: " + path, ex);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw ioError("cannot publish channel file " + path + ": " + ex, ex);
        }
        finally
        {
            deleteQuietly(tempPath);
        }
    }

    /**
     * Touch one byte per page so that the pages are mapped in before the first record needs them.
     * <p>
     * The bytes read are summed into {@link #preTouchSink}: once C2 compiles this method it drops loads whose value
     * goes nowhere, and a read-only pre-touch then maps nothing in (1 fault instead of one per 16 pages).
     */
    static void preTouch(final MappedByteBuffer buffer, final int from, final boolean write)
    {
        final int limit = buffer.capacity();
        int sum = 0;
        for (int i = from; i < limit; i += PAGE_STRIDE)
        {
            final byte value = buffer.get(i);
            if (write)
            {
                buffer.put(i, value);
            }
            else
            {
                sum += value;
            }
        }
        preTouchSink = sum;
    }

    /**
     * Read the first bytes of a file, at most {@code buffer.capacity()} of them.
     *
     * @return the number of bytes read.
     */
    static int readPrefix(final FileChannel channel, final ByteBuffer buffer) throws IOException
    {
        buffer.clear();
        while (buffer.hasRemaining())
        {
            if (channel.read(buffer, buffer.position()) < 0)
            {
                break;
            }
        }
        return buffer.position();
    }

    /**
     * Open a channel file for reading, mapping the failure to a reason.
     */
    static FileChannel openForRead(final Path path)
    {
        if (Files.isDirectory(path))
        {
            throw new ChannelException(ChannelException.Reason.NOT_A_CHANNEL, "not a channel, a directory: " + path);
        }

        try
        {
            return FileChannel.open(path, StandardOpenOption.READ);
        }
        catch (final NoSuchFileException ex)
        {
            throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no channel file: " + path, ex);
        }
        catch (final AccessDeniedException ex)
        {
            throw ioError("no permission to read channel file: " + path, ex);
        }
        catch (final IOException ex)
        {
            throw ioError("cannot open channel file " + path + ": " + ex, ex);
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
            // Best effort: a leftover temp file has a unique name and blocks nobody.
        }
    }

    static ChannelException ioError(final String message, final Throwable cause)
    {
        return new ChannelException(ChannelException.Reason.IO_ERROR, message, cause);
    }

    private static void allocate(final FileChannel channel, final long fileLength, final Path path)
    {
        final ByteBuffer zeros = ByteBuffer.allocateDirect((int)Math.min(ZERO_CHUNK_LENGTH, fileLength));
        long position = 0;
        try
        {
            while (position < fileLength)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), fileLength - position));
                while (zeros.hasRemaining())
                {
                    position += channel.write(zeros, position);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ioError("cannot allocate " + fileLength + " bytes for channel file " + path + " (allocated " +
                position + "): " + ex.getMessage(), ex);
        }
    }

    private static FileAttribute<?>[] permissionsAttribute(final Path path, final Set<PosixFilePermission> permissions)
    {
        if (null == permissions || !path.getFileSystem().supportedFileAttributeViews().contains("posix"))
        {
            return new FileAttribute<?>[0];
        }

        return new FileAttribute<?>[]{ PosixFilePermissions.asFileAttribute(permissions) };
    }
}
