package org.kekbit.journal;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;

import static org.kekbit.journal.JournalDescriptor.READING_NO_SEGMENT;
import static org.kekbit.journal.JournalDescriptor.READING_SEGMENTS_FORMAT_VERSION;
import static org.kekbit.journal.JournalDescriptor.READING_SEGMENTS_FORMAT_VERSION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.READING_SEGMENTS_SIGNATURE;
import static org.kekbit.journal.JournalDescriptor.READING_SEGMENTS_SLOT_COUNT_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_COUNT;
import static org.kekbit.journal.JournalDescriptor.readingSegmentOffset;

/**
 * The one answer to "may this retired segment be re-used?" in a journal whose writer recycles its segments: the
 * reading segments file (layout in {@link JournalDescriptor}), where each named reader stores the lowest segment base
 * it may map before it opens a segment, and which the writer reads after it has renamed a retired segment away.
 * <p>
 * The two sides are a Dekker pair: the reader stores its base (a volatile store, so a full fence) and then opens the
 * segment by its name; the writer renames the segment (so that name opens nothing any more), fences, and then loads
 * every entry. Either the reader's open came after the rename and failed (it reports the segment gone, as it does
 * after retention deleted it), or the writer sees the reader's base and deletes the file instead of re-using it; a
 * deleted file stays intact for whoever maps it. A file created with zeros says "may map any segment from 0" for
 * every slot, so a reader that started before the writer enabled recycling holds recycling back while it lives.
 * <p>
 * Not threadsafe: an instance belongs to one reader or one writer.
 */
final class JournalReadingSegments implements AutoCloseable
{
    private final Path path;
    private final MappedByteBuffer mappedBuffer;
    private final UnsafeBuffer buffer;
    private boolean isClosed;

    private JournalReadingSegments(final Path path, final MappedByteBuffer mappedBuffer)
    {
        this.path = path;
        this.mappedBuffer = mappedBuffer;
        this.buffer = new UnsafeBuffer(mappedBuffer);
    }

    /**
     * Whether a journal recycles its segments, so that only named readers may read it.
     *
     * @param folder of the journal.
     * @return true when the reading segments file exists.
     */
    static boolean isRecycling(final Path folder)
    {
        return Files.exists(folder.resolve(JournalDescriptor.READING_SEGMENTS_FILE_NAME));
    }

    /**
     * Writer side: make the journal a recycling one, creating the file when missing (temp name, then linked: of two
     * racing creators one file wins), and map it.
     *
     * @param folder of the journal.
     * @return the mapped file.
     */
    static JournalReadingSegments openOrCreate(final Path folder)
    {
        final Path path = folder.resolve(JournalDescriptor.READING_SEGMENTS_FILE_NAME);
        if (!Files.exists(path))
        {
            create(path);
        }
        final JournalReadingSegments opened = openExisting(folder);
        if (null == opened)
        {
            throw JournalFiles.ioError("reading segments file vanished while opened: " + path, null);
        }
        return opened;
    }

    /**
     * Reader side: map the file when the journal recycles its segments.
     *
     * @param folder of the journal.
     * @return the mapped file, or null when the journal does not recycle.
     * @throws ChannelException with {@link ChannelException.Reason#INCOMPATIBLE_VERSION} for a foreign file.
     */
    static JournalReadingSegments openExisting(final Path folder)
    {
        final Path path = folder.resolve(JournalDescriptor.READING_SEGMENTS_FILE_NAME);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long length = channel.size();
            if (length < JournalDescriptor.readingSegmentsFileLength())
            {
                throw new ChannelException(ChannelException.Reason.TRUNCATED, "reading segments file too short: " +
                    "expected=" + JournalDescriptor.readingSegmentsFileLength() + ", actual=" + length +
                    ", file=" + path);
            }
            final MappedByteBuffer mapped = channel.map(
                FileChannel.MapMode.READ_WRITE, 0, JournalDescriptor.readingSegmentsFileLength());
            final UnsafeBuffer header = new UnsafeBuffer(mapped);
            final byte[] signature = new byte[READING_SEGMENTS_SIGNATURE.length()];
            header.getBytes(0, signature);
            final String actual = new String(signature, StandardCharsets.US_ASCII);
            final int version = JournalFiles.le(header.getIntVolatile(READING_SEGMENTS_FORMAT_VERSION_OFFSET));
            if (!READING_SEGMENTS_SIGNATURE.equals(actual) || READING_SEGMENTS_FORMAT_VERSION != version ||
                SLOT_COUNT != header.getInt(READING_SEGMENTS_SLOT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN))
            {
                IoUtil.unmap(mapped);
                throw new ChannelException(ChannelException.Reason.INCOMPATIBLE_VERSION,
                    "not a reading segments file of version " + READING_SEGMENTS_FORMAT_VERSION + ": signature=" +
                    actual + ", formatVersion=" + version + ", file=" + path);
            }
            return new JournalReadingSegments(path, mapped);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot open reading segments file " + path + ": " + ex, ex);
        }
    }

    /**
     * Writer side, for a writer that does not recycle: unnamed readers may read the journal again.
     *
     * @param folder of the journal.
     */
    static void stopRecycling(final Path folder)
    {
        JournalFiles.deleteQuietly(folder.resolve(JournalDescriptor.READING_SEGMENTS_FILE_NAME));
    }

    private static void create(final Path path)
    {
        JournalFiles.createOnce(path, JournalDescriptor.readingSegmentsFileLength(), (buffer) ->
        {
            buffer.putBytes(0, READING_SEGMENTS_SIGNATURE.getBytes(StandardCharsets.US_ASCII));
            buffer.putInt(READING_SEGMENTS_SLOT_COUNT_OFFSET, SLOT_COUNT, ByteOrder.LITTLE_ENDIAN);
            buffer.putIntRelease(
                READING_SEGMENTS_FORMAT_VERSION_OFFSET, JournalFiles.le(READING_SEGMENTS_FORMAT_VERSION));
        }, "reading segments file");
    }

    /**
     * Reader side: the lowest segment base this slot's reader may map from now on. Stored with a full fence, before
     * the reader opens a segment by its name.
     *
     * @param slot of the reader.
     * @param base the lowest base, {@link JournalDescriptor#READING_ANY_SEGMENT} or
     *             {@link JournalDescriptor#READING_NO_SEGMENT}.
     */
    void publish(final int slot, final long base)
    {
        buffer.putLongVolatile(readingSegmentOffset(slot), JournalFiles.le(base));
    }

    /**
     * Writer side, after renaming the retired segment away from its name: whether no live named reader may map it.
     *
     * @param positions of the journal, to judge which slots have a live owner.
     * @param base      of the retired segment.
     * @param nowMs     now.
     * @param timeoutMs after which an owner seen only through its heartbeat is dead.
     * @return true when the segment may be re-used; false when a live reader's entry is at or below it.
     */
    boolean mayRecycle(final JournalReaderPositions positions, final long base, final long nowMs, final long timeoutMs)
    {
        VarHandle.fullFence(); // the rename before the loads: the writer's half of the Dekker pair
        for (int slot = 0; slot < SLOT_COUNT; slot++)
        {
            final long readingBase = JournalFiles.le(buffer.getLongVolatile(readingSegmentOffset(slot)));
            if (READING_NO_SEGMENT != readingBase && readingBase <= base && positions.isHeld(slot, nowMs, timeoutMs))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * The file, for messages.
     *
     * @return the path.
     */
    Path path()
    {
        return path;
    }

    /**
     * Unmap the file.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            IoUtil.unmap(mappedBuffer);
        }
    }
}
