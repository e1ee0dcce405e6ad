package org.kekbit.journal;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ProcessLiveness;

import static org.kekbit.journal.JournalDescriptor.FLAG_PROTECTS_RETENTION;
import static org.kekbit.journal.JournalDescriptor.MAX_NAME_LENGTH;
import static org.kekbit.journal.JournalDescriptor.NULL_POSITION;
import static org.kekbit.journal.JournalDescriptor.POSITIONS_FORMAT_VERSION;
import static org.kekbit.journal.JournalDescriptor.POSITIONS_FORMAT_VERSION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.POSITIONS_SIGNATURE;
import static org.kekbit.journal.JournalDescriptor.POSITIONS_SLOT_COUNT_OFFSET;
import static org.kekbit.journal.JournalDescriptor.POSITIONS_SLOT_LENGTH_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_COMMIT_TIME_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_COUNT;
import static org.kekbit.journal.JournalDescriptor.SLOT_FLAGS_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_HEARTBEAT_TIME_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_LENGTH;
import static org.kekbit.journal.JournalDescriptor.SLOT_NAME_LENGTH_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_NAME_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_OWNER_NAMESPACE_ID_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_OWNER_PID_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_OWNER_START_TICKS_OFFSET;
import static org.kekbit.journal.JournalDescriptor.SLOT_POSITION_OFFSET;
import static org.kekbit.journal.JournalDescriptor.slotOffset;

/**
 * The named readers' positions file of a journal, mapped read-write (layout in {@link JournalDescriptor}).
 * <p>
 * A name is bound to a slot once, for good, under an exclusive file lock (held for a scan of 64 slots, on the open
 * path only), so two processes never give one name two slots. Who holds a slot is decided by compare-and-set on its
 * owner pid: free (0) or held by a dead owner, by the channel's liveness rule ({@link ProcessLiveness}), it is
 * swapped for {@code -pid}, the owner's start ticks, namespace id and heartbeat are stored, and a second
 * compare-and-set publishes {@code pid}; a claim in progress ({@code -pid}) is judged by its heartbeat alone. In one
 * JVM, a registry of held slots answers first, as it does for channel writers. A commit is one release store of the
 * position, after a plain store of the commit time.
 * <p>
 * Not threadsafe: an instance belongs to one reader or one writer.
 */
final class JournalReaderPositions implements AutoCloseable
{
    private static final ConcurrentHashMap<Object, Boolean> HELD_SLOTS = new ConcurrentHashMap<>();
    private static final Object NAME_LOCK = new Object();

    private final Path path;
    private final Object[] heldSlotKeys = new Object[JournalDescriptor.SLOT_COUNT]; // made once: isHeld runs per roll
    private final MappedByteBuffer mappedBuffer;
    private final UnsafeBuffer buffer;
    private boolean isClosed;

    private JournalReaderPositions(final Path path, final Object fileKey, final MappedByteBuffer mappedBuffer)
    {
        this.path = path;
        for (int slot = 0; slot < heldSlotKeys.length; slot++)
        {
            heldSlotKeys[slot] = List.of(fileKey, slot);
        }
        this.mappedBuffer = mappedBuffer;
        this.buffer = new UnsafeBuffer(mappedBuffer);
    }

    /**
     * Map a journal's positions file, creating it when it is missing (written under a temp name, then linked: of two
     * racing creators, one file wins and both use it).
     *
     * @param folder of the journal.
     * @return the mapped file.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} or
     *                          {@link ChannelException.Reason#NOT_A_CHANNEL} when the file is not a positions file.
     */
    static JournalReaderPositions openOrCreate(final Path folder)
    {
        final Path path = folder.resolve(JournalDescriptor.POSITIONS_FILE_NAME);
        if (!Files.exists(path))
        {
            create(path);
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long length = channel.size();
            if (length < JournalDescriptor.positionsFileLength())
            {
                throw new ChannelException(ChannelException.Reason.TRUNCATED, "positions file too short: expected=" +
                    JournalDescriptor.positionsFileLength() + ", actual=" + length + ", file=" + path);
            }
            final MappedByteBuffer mapped = channel.map(
                FileChannel.MapMode.READ_WRITE, 0, JournalDescriptor.positionsFileLength());
            final UnsafeBuffer header = new UnsafeBuffer(mapped);
            final byte[] signature = new byte[POSITIONS_SIGNATURE.length()];
            header.getBytes(0, signature);
            final int version = le(header.getIntVolatile(POSITIONS_FORMAT_VERSION_OFFSET));
            final String actual = new String(signature, StandardCharsets.US_ASCII);
            if (!POSITIONS_SIGNATURE.equals(actual) || POSITIONS_FORMAT_VERSION != version ||
                SLOT_COUNT != header.getInt(POSITIONS_SLOT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN) ||
                SLOT_LENGTH != header.getInt(POSITIONS_SLOT_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN))
            {
                IoUtil.unmap(mapped);
                throw new ChannelException(ChannelException.Reason.INCOMPATIBLE_VERSION,
                    "not a positions file of version " + POSITIONS_FORMAT_VERSION + ": signature=" + actual +
                    ", formatVersion=" + version + ", file=" + path);
            }
            final Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return new JournalReaderPositions(path, null != key ? key : path.toRealPath().toString(), mapped);
        }
        catch (final IOException ex)
        {
            throw new ChannelException(ChannelException.Reason.IO_ERROR,
                "cannot open positions file " + path + ": " + ex, ex);
        }
    }

    private static void create(final Path path)
    {
        JournalFiles.createOnce(path, JournalDescriptor.positionsFileLength(), (buffer) ->
        {
            buffer.putBytes(0, POSITIONS_SIGNATURE.getBytes(StandardCharsets.US_ASCII));
            buffer.putInt(POSITIONS_SLOT_COUNT_OFFSET, SLOT_COUNT, ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(POSITIONS_SLOT_LENGTH_OFFSET, SLOT_LENGTH, ByteOrder.LITTLE_ENDIAN);
            buffer.putIntRelease(POSITIONS_FORMAT_VERSION_OFFSET, le(POSITIONS_FORMAT_VERSION));
        }, "positions file");
    }

    /**
     * Whether a journal folder has a positions file.
     *
     * @param folder of the journal.
     * @return true when it has one.
     */
    static boolean exists(final Path folder)
    {
        return Files.exists(folder.resolve(JournalDescriptor.POSITIONS_FILE_NAME));
    }

    /**
     * Find the slot bound to a name, binding a free one when there is none.
     *
     * @param name    of the reader.
     * @param protect whether a newly bound slot protects retention.
     * @return the slot, or -1 when the name is new and every slot is bound.
     */
    int bind(final String name, final boolean protect)
    {
        final byte[] nameBytes = nameBytes(name);
        synchronized (NAME_LOCK) // a file lock is held by the process: threads of one JVM take turns first
        {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock ignore = channel.lock())
            {
                int freeSlot = -1;
                for (int slot = 0; slot < SLOT_COUNT; slot++)
                {
                    final int length = nameLength(slot);
                    if (0 == length)
                    {
                        freeSlot = -1 == freeSlot ? slot : freeSlot;
                    }
                    else if (isName(slot, nameBytes))
                    {
                        return slot;
                    }
                }
                if (-1 != freeSlot)
                {
                    final int offset = slotOffset(freeSlot);
                    buffer.putLong(offset + SLOT_POSITION_OFFSET, NULL_POSITION, ByteOrder.LITTLE_ENDIAN);
                    buffer.putLong(offset + SLOT_COMMIT_TIME_OFFSET, 0, ByteOrder.LITTLE_ENDIAN);
                    buffer.putInt(offset + SLOT_FLAGS_OFFSET, protect ? FLAG_PROTECTS_RETENTION : 0,
                        ByteOrder.LITTLE_ENDIAN);
                    buffer.putBytes(offset + SLOT_NAME_OFFSET, nameBytes);
                    buffer.putIntRelease(offset + SLOT_NAME_LENGTH_OFFSET, le(nameBytes.length));
                }
                return freeSlot;
            }
            catch (final IOException ex)
            {
                throw new ChannelException(ChannelException.Reason.IO_ERROR,
                    "cannot lock positions file " + path + ": " + ex, ex);
            }
        }
    }

    /**
     * Claim a bound slot for this process, unless a live owner holds it.
     *
     * @param slot      bound to the reader's name.
     * @param nowMs     now.
     * @param timeoutMs after which an owner seen only through its heartbeat is dead.
     * @return true when this reader now holds the slot.
     */
    boolean claim(final int slot, final long nowMs, final long timeoutMs)
    {
        final Object key = heldSlotKeys[slot];
        if (null != HELD_SLOTS.putIfAbsent(key, Boolean.TRUE))
        {
            return false; // held in this JVM
        }

        final int offset = slotOffset(slot);
        final long pid = le(buffer.getLongAcquire(offset + SLOT_OWNER_PID_OFFSET));
        final long startTicks = le(buffer.getLongAcquire(offset + SLOT_OWNER_START_TICKS_OFFSET));
        final long namespaceId = le(buffer.getLongAcquire(offset + SLOT_OWNER_NAMESPACE_ID_OFFSET));
        final long heartbeatTimeMs = le(buffer.getLongAcquire(offset + SLOT_HEARTBEAT_TIME_OFFSET));
        final boolean isTriple = pid == le(buffer.getLongAcquire(offset + SLOT_OWNER_PID_OFFSET));
        final boolean isOwnerAlive =
            isOwnerAlive(pid, startTicks, namespaceId, heartbeatTimeMs, isTriple, nowMs, timeoutMs);

        final long self = ProcessLiveness.currentPid();
        if (isOwnerAlive || !buffer.compareAndSetLong(offset + SLOT_OWNER_PID_OFFSET, le(pid), le(-self)))
        {
            HELD_SLOTS.remove(key);
            return false;
        }
        buffer.putLongRelease(offset + SLOT_HEARTBEAT_TIME_OFFSET, le(nowMs));
        buffer.putLongRelease(offset + SLOT_OWNER_START_TICKS_OFFSET, le(ProcessLiveness.currentStartTicks()));
        buffer.putLongRelease(offset + SLOT_OWNER_NAMESPACE_ID_OFFSET, le(ProcessLiveness.currentNamespaceId()));
        if (!buffer.compareAndSetLong(offset + SLOT_OWNER_PID_OFFSET, le(-self), le(self)))
        {
            HELD_SLOTS.remove(key);
            return false; // another claimer judged this claim stale and took it: it holds the slot
        }

        return true;
    }

    /**
     * Whether a slot's owner is alive by the rule {@link #claim(int, long, long)} applies: a holder in this JVM is;
     * otherwise the owner the slot records, judged by the channel's liveness rule. An unbound or released slot has
     * no owner.
     *
     * @param slot      to look at.
     * @param nowMs     now.
     * @param timeoutMs after which an owner seen only through its heartbeat is dead.
     * @return true when a live reader holds the slot.
     */
    boolean isHeld(final int slot, final long nowMs, final long timeoutMs)
    {
        if (HELD_SLOTS.containsKey(heldSlotKeys[slot]))
        {
            return true;
        }
        final int offset = slotOffset(slot);
        final long pid = le(buffer.getLongAcquire(offset + SLOT_OWNER_PID_OFFSET));
        final long startTicks = le(buffer.getLongAcquire(offset + SLOT_OWNER_START_TICKS_OFFSET));
        final long namespaceId = le(buffer.getLongAcquire(offset + SLOT_OWNER_NAMESPACE_ID_OFFSET));
        final long heartbeatTimeMs = le(buffer.getLongAcquire(offset + SLOT_HEARTBEAT_TIME_OFFSET));
        final boolean isTriple = pid == le(buffer.getLongAcquire(offset + SLOT_OWNER_PID_OFFSET));
        return isOwnerAlive(pid, startTicks, namespaceId, heartbeatTimeMs, isTriple, nowMs, timeoutMs);
    }

    private static boolean isOwnerAlive(
        final long pid,
        final long startTicks,
        final long namespaceId,
        final long heartbeatTimeMs,
        final boolean isTriple,
        final long nowMs,
        final long timeoutMs)
    {
        if (0 == pid)
        {
            return false;
        }
        if (pid < 0 || !isTriple)
        {
            return ProcessLiveness.isAlive(0, 0, 0, heartbeatTimeMs, nowMs, timeoutMs);
        }
        if (ProcessLiveness.isCurrent(pid, startTicks, namespaceId))
        {
            return false; // this process, and not in the registry: a reader dropped without closing
        }
        return ProcessLiveness.isAlive(pid, startTicks, namespaceId, heartbeatTimeMs, nowMs, timeoutMs);
    }

    /**
     * Free the slot bound to a name, for good: the name, its committed position and its protection of retention go,
     * and the slot can be bound to another name. Refused while a live reader holds the name. Under the file lock,
     * so no open binds the name meanwhile; the slot is marked claimed by this process, with a fresh heartbeat, while
     * it is cleared, so no reader claims it half-cleared.
     *
     * @param name      of the reader.
     * @param nowMs     now.
     * @param timeoutMs after which an owner seen only through its heartbeat is dead.
     * @return the slot freed, or -1 when no slot is bound to the name.
     * @throws ChannelException with {@link ChannelException.Reason#READER_ACTIVE} when a live reader holds it.
     */
    int remove(final String name, final long nowMs, final long timeoutMs)
    {
        final byte[] nameBytes = nameBytes(name);
        synchronized (NAME_LOCK)
        {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock ignore = channel.lock())
            {
                int slot = -1;
                for (int i = 0; i < SLOT_COUNT && -1 == slot; i++)
                {
                    slot = 0 != nameLength(i) && isName(i, nameBytes) ? i : -1;
                }
                if (-1 == slot)
                {
                    return -1;
                }
                final int offset = slotOffset(slot);
                final long pid = le(buffer.getLongAcquire(offset + SLOT_OWNER_PID_OFFSET));
                final long self = ProcessLiveness.currentPid();
                if (isHeld(slot, nowMs, timeoutMs) ||
                    !buffer.compareAndSetLong(offset + SLOT_OWNER_PID_OFFSET, le(pid), le(-self)))
                {
                    throw new ChannelException(ChannelException.Reason.READER_ACTIVE,
                        "named reader is held by a live reader: name=" + name + ", file=" + path);
                }
                buffer.putLongRelease(offset + SLOT_HEARTBEAT_TIME_OFFSET, le(nowMs));
                buffer.putIntRelease(offset + SLOT_NAME_LENGTH_OFFSET, 0);
                buffer.putInt(offset + SLOT_FLAGS_OFFSET, 0);
                buffer.putLong(offset + SLOT_COMMIT_TIME_OFFSET, 0);
                buffer.putLong(offset + SLOT_POSITION_OFFSET, le(NULL_POSITION));
                buffer.putLongRelease(offset + SLOT_OWNER_PID_OFFSET, 0);
                return slot;
            }
            catch (final IOException ex)
            {
                throw new ChannelException(ChannelException.Reason.IO_ERROR,
                    "cannot lock positions file " + path + ": " + ex, ex);
            }
        }
    }

    /**
     * Name bound to a slot.
     *
     * @param slot to read.
     * @return the name, or null for an unbound slot.
     */
    String name(final int slot)
    {
        final int length = nameLength(slot);
        if (length <= 0 || length > MAX_NAME_LENGTH)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(slotOffset(slot) + SLOT_NAME_OFFSET, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /**
     * Whether a slot's reader protects retention.
     *
     * @param slot to read.
     * @return true when it does.
     */
    boolean protectsRetention(final int slot)
    {
        return 0 != (buffer.getInt(slotOffset(slot) + SLOT_FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN) &
            FLAG_PROTECTS_RETENTION);
    }

    /**
     * Last heartbeat of a slot's owner.
     *
     * @param slot to read.
     * @return epoch ms, 0 when never held.
     */
    long heartbeatTimeMs(final int slot)
    {
        return le(buffer.getLongAcquire(slotOffset(slot) + SLOT_HEARTBEAT_TIME_OFFSET));
    }

    /**
     * Pid of a slot's owner as recorded: 0 free, negative while a claim is in progress.
     *
     * @param slot to read.
     * @return the pid.
     */
    long ownerPid(final int slot)
    {
        return le(buffer.getLongAcquire(slotOffset(slot) + SLOT_OWNER_PID_OFFSET));
    }

    /**
     * Give a held slot back: free for the next claimer, its name and committed position kept.
     *
     * @param slot held by this reader.
     */
    void release(final int slot)
    {
        final int offset = slotOffset(slot);
        buffer.compareAndSetLong(offset + SLOT_OWNER_PID_OFFSET, le(ProcessLiveness.currentPid()), 0);
        HELD_SLOTS.remove(heldSlotKeys[slot]);
    }

    /**
     * Stop holding a slot as a killed process would, for tests: the owner pid is left as it is.
     *
     * @param slot held by this reader.
     */
    void forget(final int slot)
    {
        HELD_SLOTS.remove(heldSlotKeys[slot]);
    }

    /**
     * Commit a position: a plain store of the time, then one release store of the position.
     *
     * @param slot     held by this reader.
     * @param position to commit.
     * @param nowMs    commit time.
     */
    void commit(final int slot, final long position, final long nowMs)
    {
        final int offset = slotOffset(slot);
        buffer.putLong(offset + SLOT_COMMIT_TIME_OFFSET, le(nowMs));
        buffer.putLongRelease(offset + SLOT_POSITION_OFFSET, le(position));
    }

    /**
     * Stamp a held slot's heartbeat.
     *
     * @param slot  held by this reader.
     * @param nowMs now.
     */
    void heartbeat(final int slot, final long nowMs)
    {
        buffer.putLongRelease(slotOffset(slot) + SLOT_HEARTBEAT_TIME_OFFSET, le(nowMs));
    }

    /**
     * Whether the journal's writer recycles its segments: then {@link JournalReadingSegments}' file exists.
     *
     * @return true while it does.
     */
    boolean isRecycling()
    {
        return 0 != buffer.getIntVolatile(JournalDescriptor.POSITIONS_RECYCLING_OFFSET);
    }

    /**
     * Writer side: say whether the writer recycles, after creating the reading segments file or before deleting it.
     *
     * @param isRecycling true when it does.
     */
    void recycling(final boolean isRecycling)
    {
        buffer.putIntVolatile(JournalDescriptor.POSITIONS_RECYCLING_OFFSET, le(isRecycling ? 1 : 0));
    }

    /**
     * Last committed position of a slot.
     *
     * @param slot to read.
     * @return the position, or {@link JournalDescriptor#NULL_POSITION}.
     */
    long position(final int slot)
    {
        return le(buffer.getLongAcquire(slotOffset(slot) + SLOT_POSITION_OFFSET));
    }

    /**
     * Last commit time of a slot.
     *
     * @param slot to read.
     * @return epoch ms, 0 when never committed.
     */
    long commitTimeMs(final int slot)
    {
        return le(buffer.getLongVolatile(slotOffset(slot) + SLOT_COMMIT_TIME_OFFSET));
    }

    /**
     * Slowest committed position of the readers that protect retention, alive or not: a named reader's position is
     * durable, so a reader killed still needs what follows it.
     *
     * @return the position, or {@link JournalDescriptor#NULL_POSITION} when no reader protects retention.
     */
    long slowestProtectingPosition()
    {
        long slowest = Long.MAX_VALUE;
        for (int slot = 0; slot < SLOT_COUNT; slot++)
        {
            final int offset = slotOffset(slot);
            if (0 != nameLength(slot) &&
                0 != (buffer.getInt(offset + SLOT_FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN) & FLAG_PROTECTS_RETENTION))
            {
                final long position = position(slot);
                if (position >= 0 && position < slowest)
                {
                    slowest = position;
                }
            }
        }
        return Long.MAX_VALUE == slowest ? NULL_POSITION : slowest;
    }

    /**
     * Path of the file.
     *
     * @return the path.
     */
    Path path()
    {
        return path;
    }

    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            buffer.wrap(0, 0);
            IoUtil.unmap(mappedBuffer);
        }
    }

    private int nameLength(final int slot)
    {
        return le(buffer.getIntAcquire(slotOffset(slot) + SLOT_NAME_LENGTH_OFFSET));
    }

    private boolean isName(final int slot, final byte[] nameBytes)
    {
        if (nameLength(slot) != nameBytes.length)
        {
            return false;
        }
        final int offset = slotOffset(slot) + SLOT_NAME_OFFSET;
        for (int i = 0; i < nameBytes.length; i++)
        {
            if (buffer.getByte(offset + i) != nameBytes[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Check a reader's name: 1 to {@link JournalDescriptor#MAX_NAME_LENGTH} printable US-ASCII characters.
     *
     * @param name to check.
     * @return its bytes.
     * @throws IllegalArgumentException when it is not such a name.
     */
    static byte[] nameBytes(final String name)
    {
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("reader name must have 1.." + MAX_NAME_LENGTH +
                " characters: length=" + name.length());
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c < 0x21 || c > 0x7E)
            {
                throw new IllegalArgumentException("reader name must be printable US-ASCII without spaces: " + name);
            }
        }
        return name.getBytes(StandardCharsets.US_ASCII);
    }

    private static int le(final int value)
    {
        return JournalFiles.le(value);
    }

    private static long le(final long value)
    {
        return JournalFiles.le(value);
    }
}
