package org.kekbit.journal;

import java.nio.file.Path;
import java.util.function.LongConsumer;

import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

/**
 * The one answer to "may this segment be deleted?", for the writer's duty cycle and for
 * {@link JournalWriter#prune(JournalWriter.Context)} from outside the writer's process. Only the oldest segment is
 * ever a candidate, and never the last one (the writer's): retention deletes whole sealed segments, oldest first.
 * <p>
 * A soft limit ({@code retainedSegments}, {@code retainedBytes}, {@code retentionMs}) deletes the oldest segment only
 * when no named reader that protects retention still needs it (its committed position is before the segment's end).
 * A hard cap ({@code hardCapSegments}, {@code hardCapBytes}) deletes it anyway: such a reader then finds the segment
 * gone and reports {@link JournalState#TRUNCATED} at its position, never a silent skip.
 * <p>
 * A segment's age is the time of its roll: its seal's roll time, or for a segment without a seal the creation time
 * of the segment two after it (created after the roll into the segment after it, so never earlier than this
 * segment's roll): the age is never overstated, and a segment is kept at least as long as asked.
 * <p>
 * Not threadsafe: one per writer or per prune call.
 */
final class JournalRetention
{
    private static final long UNKNOWN = Long.MIN_VALUE;

    private final Path folder;
    private final int retainedSegments;
    private final long retainedBytes;
    private final long retentionMs;
    private final int hardCapSegments;
    private final long hardCapBytes;
    private long rollTimeBase = -1;
    private long rollTimeMs = UNKNOWN;

    JournalRetention(final JournalWriter.Context ctx)
    {
        this.folder = ctx.folder();
        this.retainedSegments = ctx.retainedSegments();
        this.retainedBytes = ctx.retainedBytes();
        this.retentionMs = ctx.retentionMs();
        this.hardCapSegments = ctx.hardCapSegments();
        this.hardCapBytes = ctx.hardCapBytes();
    }

    /**
     * Whether any limit is set.
     *
     * @return false when the journal keeps every segment.
     */
    boolean isEnabled()
    {
        return retainedSegments > 0 || retainedBytes > 0 || retentionMs > 0 || hardCapSegments > 0 ||
            hardCapBytes > 0;
    }

    /**
     * Whether the oldest segment may be deleted now. Cheap when no limit is reached: the readers' positions are
     * scanned only then.
     *
     * @param oldestBase      of the oldest segment.
     * @param lastBase        of the last segment, the writer's.
     * @param segmentCapacity of the journal.
     * @param positions       of the named readers, or null when the journal has none.
     * @param nowMs           now.
     * @return true when it may.
     */
    boolean mayDeleteOldest(
        final long oldestBase,
        final long lastBase,
        final long segmentCapacity,
        final JournalReaderPositions positions,
        final long nowMs)
    {
        if (oldestBase >= lastBase)
        {
            return false;
        }
        final long sealed = (lastBase - oldestBase) / segmentCapacity;
        final long bytes = (sealed + 1) * ChannelDescriptor.fileLength(segmentCapacity);
        if ((hardCapSegments > 0 && sealed > hardCapSegments) || (hardCapBytes > 0 && bytes > hardCapBytes))
        {
            return true;
        }
        if (!isOverSoftLimit(oldestBase, lastBase, segmentCapacity, nowMs))
        {
            return false;
        }
        final long slowest = null == positions ? JournalDescriptor.NULL_POSITION :
            positions.slowestProtectingPosition();
        return JournalDescriptor.NULL_POSITION == slowest || slowest >= oldestBase + segmentCapacity;
    }

    private boolean isOverSoftLimit(
        final long oldestBase, final long lastBase, final long segmentCapacity, final long nowMs)
    {
        final long sealed = (lastBase - oldestBase) / segmentCapacity;
        final long bytes = (sealed + 1) * ChannelDescriptor.fileLength(segmentCapacity);
        return (retainedSegments > 0 && sealed > retainedSegments) ||
            (retainedBytes > 0 && bytes > retainedBytes) ||
            (retentionMs > 0 && isOlderThanRetention(oldestBase, lastBase, segmentCapacity, nowMs));
    }

    private boolean isOlderThanRetention(
        final long oldestBase, final long lastBase, final long segmentCapacity, final long nowMs)
    {
        final long rollTimeMs = rollTimeMs(oldestBase, lastBase, segmentCapacity);
        return UNKNOWN != rollTimeMs && nowMs - rollTimeMs > retentionMs;
    }

    /**
     * Forget the cached roll time, for example after a roll made a later bound known.
     */
    void onRoll()
    {
        if (UNKNOWN == rollTimeMs)
        {
            rollTimeBase = -1;
        }
    }

    private long rollTimeMs(final long base, final long lastBase, final long segmentCapacity)
    {
        if (base != rollTimeBase)
        {
            rollTimeBase = base;
            rollTimeMs = readRollTimeMs(folder, base, lastBase, segmentCapacity);
        }
        return rollTimeMs;
    }

    /**
     * Time a sealed segment was rolled, or a time no earlier than that.
     */
    static long readRollTimeMs(final Path folder, final long base, final long lastBase, final long segmentCapacity)
    {
        final JournalSeal seal = new JournalSeal();
        if (seal.read(JournalDescriptor.segmentPath(folder, base)))
        {
            return seal.rollTimeMs();
        }
        final long laterBase = base + 2 * segmentCapacity;
        if (laterBase > lastBase)
        {
            return UNKNOWN;
        }
        try (ChannelReader reader = JournalFiles.openSegment(JournalDescriptor.segmentPath(folder, laterBase)))
        {
            return reader.header().creationTimeMs();
        }
        catch (final ChannelException ex)
        {
            return UNKNOWN;
        }
    }

    /**
     * Apply retention to a journal folder from outside its writer: delete oldest segments while a limit says so.
     *
     * @param ctx       the folder, the clock and the limits.
     * @param onDeleted   given the base of each segment deleted.
     * @param onHeld      given the base of each segment a soft limit would delete but a protecting reader needs.
     * @return the number of segments deleted.
     */
    static int prune(final JournalWriter.Context ctx, final LongConsumer onDeleted, final LongConsumer onHeld)
    {
        final JournalRetention retention = new JournalRetention(ctx);
        final LongArrayList bases = JournalFiles.segmentBases(ctx.folder());
        if (!retention.isEnabled() || bases.size() < 2)
        {
            return 0;
        }
        final long lastBase = bases.getLong(bases.size() - 1);
        final long segmentCapacity = segmentCapacity(ctx.folder(), lastBase);
        final JournalReaderPositions positions = JournalReaderPositions.exists(ctx.folder()) ?
            JournalReaderPositions.openOrCreate(ctx.folder()) : null;
        try
        {
            int deleted = 0;
            int i = 0;
            for (; i < bases.size() - 1; i++)
            {
                final long base = bases.getLong(i);
                if (!retention.mayDeleteOldest(base, lastBase, segmentCapacity, positions, ctx.epochClock().time()))
                {
                    break;
                }
                if (delete(ctx.folder(), base))
                {
                    deleted++;
                    onDeleted.accept(base);
                }
            }
            // Stopped by a protecting reader where a soft limit still says delete: it holds this one and every later
            // segment the limit would reach, as if each older one were gone.
            for (; i < bases.size() - 1; i++)
            {
                final long base = bases.getLong(i);
                if (!retention.isOverSoftLimit(base, lastBase, segmentCapacity, ctx.epochClock().time()))
                {
                    break;
                }
                onHeld.accept(base);
            }
            return deleted;
        }
        finally
        {
            if (null != positions)
            {
                positions.close();
            }
        }
    }

    /**
     * Delete a segment. A segment that is not a channel or cannot be deleted stays: retention is best effort.
     *
     * @return true when a file was deleted.
     */
    static boolean delete(final Path folder, final long base)
    {
        try
        {
            return ChannelWriter.delete(JournalDescriptor.segmentPath(folder, base));
        }
        catch (final ChannelException ex)
        {
            return false;
        }
    }

    private static long segmentCapacity(final Path folder, final long base)
    {
        try (ChannelReader reader = JournalFiles.openSegment(JournalDescriptor.segmentPath(folder, base)))
        {
            final long capacity = reader.capacity();
            JournalDescriptor.checkSegmentCapacity(capacity);
            return capacity;
        }
    }
}
