package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.StorageInfo;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

/**
 * File system operations behind creating and opening channels: exclusive creation, allocation and mapping.
 */
final class ChannelFiles
{
    /**
     * Suffix of the temp file a channel is written under before it is published.
     */
    static final String TEMP_SUFFIX = ".tmp";

    private static final int ZERO_CHUNK_LENGTH = 1024 * 1024;
    private static final int PAGE_STRIDE = 4096;
    private static final AtomicLong TEMP_FILE_COUNTER = new AtomicLong();

    /**
     * A temp file whose creator cannot be seen from here (another pid namespace) is taken for left behind once it
     * has not changed for this long: creation writes it continuously.
     */
    static final long STALE_TEMP_FILE_MS = 60_000;

    /**
     * Where {@link #preTouch(MappedByteBuffer, int, boolean)} publishes what it read, so the reads stay.
     */
    private static volatile int preTouchSink;

    private ChannelFiles()
    {
    }

    /**
     * Unique name beside a channel's path for its creator to write it under:
     * {@code <channel file>.<namespaceId hex>.<pid>.<startTicks>.<counter>.tmp}, so that a file left by a creator
     * that died names it exactly, for {@link WriterLiveness#isCreatorAlive}.
     */
    static Path tempPath(final Path path, final ProcessIdentity creator)
    {
        return path.resolveSibling(path.getFileName() + "." + Long.toHexString(creator.namespaceId) + "." +
            creator.pid + "." + creator.startTicks + "." + TEMP_FILE_COUNTER.incrementAndGet() + TEMP_SUFFIX);
    }

    /**
     * Creator a temp file's name records.
     *
     * @return the creator, or null when the name is not one {@link #tempPath(Path, ProcessIdentity)} makes.
     */
    static ProcessIdentity tempFileCreator(final String fileName)
    {
        final int channelSuffixIndex = fileName.indexOf(ChannelDescriptor.FILE_SUFFIX + ".");
        if (!fileName.endsWith(TEMP_SUFFIX) || channelSuffixIndex <= 0)
        {
            return null;
        }

        final String[] fields = fileName.substring(channelSuffixIndex + ChannelDescriptor.FILE_SUFFIX.length() + 1,
            fileName.length() - TEMP_SUFFIX.length()).split("\\.");
        try
        {
            if (4 == fields.length)
            {
                Long.parseLong(fields[3]);
                return new ProcessIdentity(
                    Long.parseLong(fields[1]), Long.parseLong(fields[2]), Long.parseUnsignedLong(fields[0], 16));
            }
        }
        catch (final NumberFormatException ignore)
        {
            // not a temp file of ours
        }
        return null;
    }

    /**
     * Delete the temp files under a root, in its channel folders, whose creator is gone.
     */
    static List<Path> deleteStaleTempFiles(final Path root)
    {
        final List<Path> deleted = new ArrayList<>();
        if (!Files.isDirectory(root))
        {
            return deleted;
        }

        try (DirectoryStream<Path> folders = Files.newDirectoryStream(root, Files::isDirectory))
        {
            for (final Path folder : folders)
            {
                deleteStaleTempFiles(folder, deleted);
            }
        }
        catch (final IOException ex)
        {
            throw ioError("cannot delete stale temp files under " + root + ": " + ex, ex);
        }

        return deleted;
    }

    /**
     * Delete the temp files in one channel folder whose creator is gone; best effort, for a creation beside them.
     */
    static void deleteStaleTempFilesBeside(final Path channelPath)
    {
        try
        {
            deleteStaleTempFiles(channelPath.getParent(), new ArrayList<>());
        }
        catch (final IOException ignore)
        {
            // A folder that cannot be listed fails the creation itself with a clearer message.
        }
    }

    private static void deleteStaleTempFiles(final Path folder, final List<Path> deleted) throws IOException
    {
        if (!Files.isDirectory(folder))
        {
            return;
        }

        // Names as strings, not a glob over paths: the folder may be a journal's, with thousands of segments.
        final String[] names = folder.toFile().list();
        if (null == names)
        {
            throw new IOException("cannot list " + folder);
        }
        for (final String name : names)
        {
            final ProcessIdentity creator = name.endsWith(TEMP_SUFFIX) ? tempFileCreator(name) : null;
            if (null != creator)
            {
                final Path file = folder.resolve(name);
                if (!WriterLiveness.isCreatorAlive(creator.pid, creator.startTicks, creator.namespaceId,
                    lastModifiedMs(file), System.currentTimeMillis(), STALE_TEMP_FILE_MS) && Files.deleteIfExists(file))
                {
                    deleted.add(file);
                }
            }
        }
    }

    private static long lastModifiedMs(final Path file)
    {
        try
        {
            return Files.getLastModifiedTime(file).toMillis();
        }
        catch (final IOException ex)
        {
            return System.currentTimeMillis(); // it changed under us: taken for fresh
        }
    }

    /**
     * Identity of a channel that all links to its file share: the file system's key (device and inode), or its real
     * path where the file system has none, with its creation time, so that an inode reused by a later file is another
     * channel.
     */
    static Object fileKey(final Path path, final long creationTimeMs)
    {
        try
        {
            final Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return List.of(null != key ? key : path.toRealPath().toString(), creationTimeMs);
        }
        catch (final NoSuchFileException ex)
        {
            // Deleted since it was opened (a journal's retention): as if it had not been there.
            throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no channel file: " + path, ex);
        }
        catch (final IOException ex)
        {
            throw ioError("cannot read attributes of channel file " + path + ": " + ex, ex);
        }
    }

    /**
     * Delete a channel file after checking it is one, unless a writer of this JVM has it open.
     */
    static boolean deleteChannel(final Path path)
    {
        if (!Files.exists(path))
        {
            return false;
        }
        final long creationTimeMs;
        try (FileChannel channel = openForRead(path))
        {
            final ByteBuffer prefix = ByteBuffer.allocate(ChannelDescriptor.HEADER_LENGTH);
            final int length = readPrefix(channel, prefix);
            final String signature = new String(prefix.array(), 0,
                Math.min(length, ChannelDescriptor.SIGNATURE_LENGTH), StandardCharsets.US_ASCII);
            if (!ChannelDescriptor.SIGNATURE.equals(signature))
            {
                throw new ChannelException(ChannelException.Reason.NOT_A_CHANNEL,
                    "not a channel, not deleted: " + path);
            }
            creationTimeMs = length < ChannelDescriptor.HEADER_LENGTH ? 0 : new ChannelHeaderDecoder().wrap(
                new UnsafeBuffer(prefix.array()), 0, ChannelHeaderDecoder.BLOCK_LENGTH,
                ChannelHeaderDecoder.SCHEMA_VERSION).creationTimeMs();
        }
        catch (final IOException ex)
        {
            throw ioError("cannot read channel file " + path + ": " + ex, ex);
        }
        if (WriterLiveness.isOpenInThisJvm(fileKey(path, creationTimeMs)))
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "a writer of this process has the channel open, not deleted: " + path);
        }

        try
        {
            return Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw ioError("cannot delete channel file " + path + ": " + ex, ex);
        }
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
     * Zero the bytes of a range that are not zero, chunk by chunk: reads every byte but writes only chunks that hold
     * something, so a range already zero (a fresh file, a hole) is not dirtied, and a disk file gets no writes for it.
     * Cold path.
     *
     * @param buffer over the file.
     * @param from   offset of the range, a multiple of 8.
     * @param to     end of the range, a multiple of 8.
     */
    static void zeroWhereNotZero(final AtomicBuffer buffer, final int from, final int to)
    {
        for (int chunk = from; chunk < to; chunk += ZERO_CHUNK_LENGTH)
        {
            final int chunkEnd = (int)Math.min(to, (long)chunk + ZERO_CHUNK_LENGTH);
            for (int offset = chunk; offset < chunkEnd; offset += Long.BYTES)
            {
                if (0 != buffer.getLong(offset))
                {
                    buffer.setMemory(chunk, chunkEnd - chunk, (byte)0);
                    break;
                }
            }
        }
    }

    /**
     * Take a retired channel's file for a new channel: rename it to the new channel's temp name, map it read-write
     * (or take the mapping its writer kept) and zero its first {@code zeroLength} bytes (the file's pages are
     * allocated already, so no full disk can fail later). The new writer clears the rest record by record as it
     * goes ({@link ChannelWriter#createReusing(ChannelWriter.Context, Path)}).
     *
     * @param retiredMapping the whole retired file mapped read-write, owned by this call from now on; or null.
     * @param zeroLength     bytes from the start of the file to zero now: 0 for a file that holds only zeros already
     *                       (a spare just made).
     * @return the mapping, or null (the retired file deleted) when it is missing or of another length.
     */
    static MappedByteBuffer reuseAndMapTemp(
        final Path retiredFile,
        final Path tempPath,
        final long fileLength,
        final MappedByteBuffer retiredMapping,
        final long zeroLength)
    {
        final boolean isMappingUsable = null != retiredMapping && retiredMapping.capacity() == fileLength;
        if (null != retiredMapping && !isMappingUsable)
        {
            IoUtil.unmap(retiredMapping);
        }
        try
        {
            Files.move(retiredFile, tempPath, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            deleteQuietly(retiredFile);
            if (isMappingUsable)
            {
                IoUtil.unmap(retiredMapping);
            }
            return null;
        }

        MappedByteBuffer mapped = isMappingUsable ? retiredMapping : null;
        try
        {
            if (null == mapped)
            {
                try (FileChannel channel = FileChannel.open(
                    tempPath, StandardOpenOption.READ, StandardOpenOption.WRITE))
                {
                    if (channel.size() != fileLength)
                    {
                        deleteQuietly(tempPath);
                        return null;
                    }
                    mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileLength);
                }
            }
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final long zeroEnd = Math.min(fileLength, zeroLength);
            for (int offset = 0; offset < zeroEnd; offset += ZERO_CHUNK_LENGTH)
            {
                // In chunks: one memset of a whole segment would hold back every safepoint of the JVM meanwhile.
                buffer.setMemory(offset, (int)Math.min(ZERO_CHUNK_LENGTH, zeroEnd - offset), (byte)0);
            }
            return mapped;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            deleteQuietly(tempPath);
            throw ioError("cannot re-use channel file " + retiredFile + " as " + tempPath + ": " + ex, ex);
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
            forceFolderOnDisk(path.getParent());
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
     * Touch one byte per page from {@code from} to {@code to} so that the pages are mapped in before the first record
     * needs them. The index is a long: an int would overflow past the end of a channel near
     * {@link ChannelDescriptor#MAX_CAPACITY}.
     * <p>
     * The bytes read are summed into {@link #preTouchSink}: once C2 compiles this method it drops loads whose value
     * goes nowhere, and a read-only pre-touch then maps nothing in (1 fault instead of one per 16 pages).
     */
    static void preTouch(final MappedByteBuffer buffer, final int from, final int to, final boolean write)
    {
        int sum = 0;
        for (long index = from; index < to; index += PAGE_STRIDE)
        {
            final int i = (int)index;
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
     * Whether opening a channel file is worth trying now: false while there is no file, or while its header is still
     * being written (format version 0), found without throwing, for waiting in a loop.
     */
    static boolean isReadyToOpen(final Path path)
    {
        if (!path.toFile().isFile())
        {
            return false;
        }

        final int prefixLength = ChannelDescriptor.SIGNATURE_LENGTH + Integer.BYTES;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final ByteBuffer prefix = ByteBuffer.allocate(prefixLength);
            final int length = readPrefix(channel, prefix);
            final boolean isSignature = length >= ChannelDescriptor.SIGNATURE_LENGTH && ChannelDescriptor.SIGNATURE
                .equals(new String(prefix.array(), 0, ChannelDescriptor.SIGNATURE_LENGTH, StandardCharsets.US_ASCII));
            return !isSignature || (length == prefixLength &&
                0 != ChannelDescriptor.formatVersionAcquire(new UnsafeBuffer(prefix.array())));
        }
        catch (final IOException ex)
        {
            return true; // let open report why
        }
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

    /**
     * Make a new link survive a power loss where the file system is on a disk: fsync the folder, as a journal must.
     * On tmpfs there is nothing to flush.
     */
    private static void forceFolderOnDisk(final Path folder) throws IOException
    {
        if (StorageInfo.isFolderSyncNeeded(folder))
        {
            try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ))
            {
                channel.force(true);
            }
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
