package org.kekbit.journal;

import java.nio.file.Path;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.BlockHandler;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelSource;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordDescriptor;

/**
 * The committed bytes of a journal as they lie in its segments, from any record boundary, for copying the journal
 * elsewhere segment by segment (a replica on another host, {@link JournalMirror}): a {@link ChannelSource} per
 * segment, crossing each roll. Blocks carry journal positions (a segment's base plus the position inside it). A roll
 * is not a block: {@link Handler#onRoll} hands out the ROLLED marker's position, the seal the writer left with it and
 * the next segment's header, which is all a copy needs to roll the same way. A CLOSED end marker is a block, as in a
 * channel; a journal reopened since (CLOSED turned into ROLLED) rolls on from it.
 * <p>
 * It is a reader: it runs in the writer's process or any process beside it and never slows the writer.
 * <p>
 * Opened with a reader name ({@link #open(JournalReader.Context)}), it reads as that named {@link JournalReader}: the
 * reader holds the name, says which segments the source may map (so a journal that recycles its segments can be
 * served: a segment the source may still map is deleted rather than re-used), and records the position the copy
 * acknowledged ({@link #commit(long)}), which protects retention when the context says so (the default). Opened
 * without a name, a journal that recycles its segments is refused, as an unnamed reader refuses it.
 * <p>
 * Not threadsafe: one thread polls, seeks and closes.
 */
public final class JournalSource implements AutoCloseable, BlockHandler
{
    /**
     * Receives a journal's bytes: blocks of whole records (and a CLOSED marker), and each roll.
     */
    public interface Handler extends BlockHandler
    {
        /**
         * Called once per roll, after every record of the segment was delivered. The buffers stay valid until the
         * next poll, so a caller may keep sending from them.
         *
         * @param markerPosition journal position of the ROLLED marker.
         * @param seal           holding the seal's bytes ({@link JournalDescriptor#SEAL_LENGTH}).
         * @param sealOffset     of the seal in its buffer.
         * @param sealLength     of the seal, 0 when the segment has none.
         * @param nextBase       base position of the next segment.
         * @param nextHeader     holding the next segment's channel header.
         * @param headerOffset   of the header, {@link ChannelDescriptor#HEADER_LENGTH} bytes.
         */
        void onRoll(
            long markerPosition,
            DirectBuffer seal,
            int sealOffset,
            int sealLength,
            long nextBase,
            DirectBuffer nextHeader,
            int headerOffset);
    }

    /**
     * Returned by {@link #commit(long)} when the position acknowledged is not a record end of the journal.
     */
    public static final long NOT_A_RECORD_END = -2;

    private final Path folder;
    private final JournalReader reader;
    private final long segmentCapacity;
    private final UnsafeBuffer seal = new UnsafeBuffer(new byte[JournalDescriptor.SEAL_LENGTH]);
    private final UnsafeBuffer nextHeader = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
    private ChannelSource segment;
    private long base;
    private Handler handler;
    private boolean isRollDue;
    private String corruption;
    private boolean isTruncated;

    private JournalSource(final Path folder, final JournalReader reader, final ChannelSource segment, final long base)
    {
        this.folder = folder;
        this.reader = reader;
        this.segment = segment;
        this.base = base;
        this.segmentCapacity = segment.capacity();
    }

    /**
     * Open a journal as a source without a reader name, at the start of its oldest segment. Cold path: lists the
     * folder.
     *
     * @param folder of the journal.
     * @return the source.
     * @throws ChannelException with {@link ChannelException.Reason#NOT_FOUND} when the folder holds no segment, with
     *                          {@link ChannelException.Reason#NAMED_READERS_ONLY} when the journal recycles its
     *                          segments, or as {@link ChannelSource#open(Path)} throws.
     */
    public static JournalSource open(final Path folder)
    {
        return open(new JournalReader.Context().folder(folder));
    }

    /**
     * Open a journal as a source, at the start of its oldest segment. With a reader name in the context, the source
     * reads as that named reader (see the class comment): it holds the name until closed, and its committed position
     * moves only by {@link #commit(long)}. The context's {@link JournalReader.Context#protectRetention(boolean)}
     * decides, when the name is new to the journal, whether the position the copy acknowledged holds retention back.
     * Cold path: lists the folder.
     *
     * @param ctx of the reader under the source, concluded by this call.
     * @return the source.
     * @throws ChannelException with {@link ChannelException.Reason#NOT_FOUND} when the folder holds no segment, with
     *                          {@link ChannelException.Reason#NAMED_READERS_ONLY} when the journal recycles its
     *                          segments and the context has no name, with
     *                          {@link ChannelException.Reason#READER_ACTIVE} when a live reader holds the name, or as
     *                          {@link JournalReader#open(JournalReader.Context)} and {@link ChannelSource#open(Path)}
     *                          throw.
     */
    public static JournalSource open(final JournalReader.Context ctx)
    {
        final JournalReader reader = JournalReader.open(ctx); // the one place that refuses an unnamed reader
        final Path folder = ctx.folder();
        ChannelSource segment = null;
        try
        {
            final long base;
            if (null == ctx.name())
            {
                reader.close(); // it protects nothing: it only asked whether the journal recycles
                final LongArrayList bases = JournalFiles.segmentBases(folder);
                base = bases.isEmpty() ? -1 : bases.getLong(0);
            }
            else
            {
                // The oldest segment, published by the reader before the source maps it.
                base = reader.seekToStart();
                if (null == reader.segmentPath())
                {
                    throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no journal segment in " + folder);
                }
            }
            if (base < 0)
            {
                throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no journal segment in " + folder);
            }
            segment = JournalFiles.openSegmentSource(JournalDescriptor.segmentPath(folder, base));
            JournalDescriptor.checkSegmentCapacity(segment.capacity());
            return new JournalSource(folder, null == ctx.name() ? null : reader, segment, base);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.closeAll(segment, reader);
            throw ex;
        }
    }

    /**
     * Whether a path is a journal's folder (a folder holding at least one segment) rather than a channel's file.
     * Cold path: lists the folder.
     *
     * @param path to look at.
     * @return true for a journal's folder.
     */
    public static boolean isJournal(final Path path)
    {
        return !JournalFiles.segmentBases(path).isEmpty();
    }

    /**
     * Deliver what is committed after the position: whole records of the current segment, at most
     * {@code blockLengthLimit} bytes of them (or the first record alone when it is longer), a CLOSED marker as a
     * last block, or the roll to the next segment. Never blocks; allocates nothing but at a roll, which opens the
     * next segment.
     *
     * @param handler          to call.
     * @param blockLengthLimit most bytes to deliver when the first record is shorter.
     * @return the number of bytes delivered (a roll counts as the marker's 8), 0 when nothing new is committed, the
     * journal is closed and its marker delivered, or it is CORRUPT (see {@link #corruption()}).
     */
    public int poll(final Handler handler, final int blockLengthLimit)
    {
        if (null != reader)
        {
            reader.keepAlive(); // it moves by seeks, which stamp no heartbeat, and its follower may be quiet
        }
        if (null == segment || null != corruption)
        {
            return 0;
        }
        if (segment.isEnded())
        {
            final ChannelState endState = ChannelState.CLOSED == segment.endState() ?
                segment.recheckEnd() : segment.endState();
            if (ChannelState.ROLLED == endState && segment.isEnded())
            {
                return roll(handler); // sought past the marker: the roll is still to be handed out
            }
            if (segment.isEnded())
            {
                return 0;
            }
        }

        this.handler = handler;
        final int length;
        try
        {
            length = segment.poll(this, blockLengthLimit);
        }
        finally
        {
            this.handler = null;
        }
        if (isRollDue)
        {
            isRollDue = false;
            return roll(handler);
        }
        return length;
    }

    /**
     * Called by the segment's source: a block is passed on with its journal position; the ROLLED marker is kept
     * back for {@link Handler#onRoll}.
     *
     * @param buffer   holding the block.
     * @param offset   of the block.
     * @param length   of the block.
     * @param position of the block in the segment.
     */
    public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
    {
        if (segment.isEnded() && ChannelState.ROLLED == segment.endState())
        {
            isRollDue = true;
            return;
        }
        handler.onBlock(buffer, offset, length, base + position);
    }

    private int roll(final Handler handler)
    {
        final long nextBase = base + segmentCapacity;
        final ChannelSource next;
        try
        {
            next = JournalFiles.openSegmentSource(JournalDescriptor.segmentPath(folder, nextBase));
        }
        catch (final ChannelException ex)
        {
            isTruncated = ChannelException.Reason.NOT_FOUND == ex.reason(); // deleted by retention meanwhile
            corruption = "segment at " + base + " ended ROLLED but its successor cannot be opened: " +
                ex.getMessage();
            return 0;
        }
        final int sealLength = segment.readRollSeal(seal, 0, JournalDescriptor.SEAL_LENGTH) ?
            JournalDescriptor.SEAL_LENGTH : 0;
        next.headerBytes(nextHeader, 0);
        final long markerPosition = base + segment.position() - RecordDescriptor.HEADER_LENGTH;
        segment.close();
        segment = next;
        base = nextBase;
        handler.onRoll(markerPosition, seal, 0, sealLength, nextBase, nextHeader, 0);
        return RecordDescriptor.HEADER_LENGTH;
    }

    /**
     * Move to a journal position: the end of a committed record, a segment's base, or just after a CLOSED marker.
     * Cold path: may open another segment.
     *
     * @param position to move to.
     * @throws IllegalArgumentException when the position is beyond what is committed or not a record boundary.
     * @throws ChannelException         with {@link ChannelException.Reason#NOT_FOUND} when the segment holding it was
     *                                  deleted (retention) or never existed.
     */
    public void seek(final long position)
    {
        if (position < 0)
        {
            throw new IllegalArgumentException("position must not be negative: position=" + position);
        }
        final long targetBase = JournalDescriptor.segmentBase(position, segmentCapacity);
        if (null != reader)
        {
            // The reader says it may map the segment before the source maps it; it moves on by commit(long).
            reader.seek(targetBase);
            if (JournalState.TRUNCATED == reader.state())
            {
                throw new ChannelException(ChannelException.Reason.NOT_FOUND,
                    "journal segment deleted (retention): base=" + targetBase + ", folder=" + folder);
            }
        }
        if (targetBase != base || null == segment)
        {
            final ChannelSource target =
                JournalFiles.openSegmentSource(JournalDescriptor.segmentPath(folder, targetBase));
            CloseHelper.close(segment);
            segment = target;
            base = targetBase;
        }
        corruption = null;
        isTruncated = false;
        isRollDue = false;
        segment.seek(JournalDescriptor.segmentOffset(position, segmentCapacity));
    }

    /**
     * Commit, as this source's named reader position, a position the copy acknowledged: a record end at most what
     * was delivered (a position beyond it is taken as what was delivered; a CLOSED marker is not a record, so its
     * end commits as its start). The reader walks there from its last commit, so a commit costs in proportion to
     * the records since; it opens a segment only when the position is in a later one. With protection of retention
     * on, the writer then deletes no segment from this position on. Allocates nothing within a segment.
     *
     * @param position the copy acknowledged: a record end, or a segment's base.
     * @return the position committed, {@link JournalReader#NOT_NAMED} for a source without a reader name, or
     * {@link #NOT_A_RECORD_END} when the position is not a record end (nothing committed).
     */
    public long commit(final long position)
    {
        if (null == reader)
        {
            return JournalReader.NOT_NAMED;
        }
        final long delivered = null == segment ? base : position() - (isEnded() ? RecordDescriptor.HEADER_LENGTH : 0);
        final long target = Math.min(position, delivered);
        final long from = reader.position();
        if (target > from && !isTruncated)
        {
            try
            {
                reader.seek(target); // a seek, not a poll: a poll would cross a ROLLED marker the copy lacks
            }
            catch (final IllegalArgumentException ex)
            {
                return NOT_A_RECORD_END; // a copy that acknowledges mid-record: not a sink of ours
            }
            // Only opening another segment can find it deleted; state() may ask the OS, so only then.
            if (JournalDescriptor.segmentBase(target, segmentCapacity) !=
                JournalDescriptor.segmentBase(from, segmentCapacity) && JournalState.TRUNCATED == reader.state())
            {
                // Deleted by retention (not protected): the reader maps nothing now, so the source may not go on.
                isTruncated = true;
                corruption = "the segment of the acknowledged position " + target + " was deleted (retention)";
            }
        }
        return reader.commit();
    }

    /**
     * Name of the reader the source reads as.
     *
     * @return the name, or null for a source opened without one.
     */
    public String readerName()
    {
        return null == reader ? null : reader.name();
    }

    /**
     * Journal position after the bytes delivered so far: after a roll, the next segment's base.
     *
     * @return the position.
     */
    public long position()
    {
        return base + segment.position();
    }

    /**
     * Journal position after everything committed now in the newest segment, a CLOSED marker included. Cold path:
     * lists the folder and walks the newest segment's records.
     *
     * @return the position, or -1 when the journal has no segment left.
     */
    public long committedPosition()
    {
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        if (bases.isEmpty())
        {
            return -1;
        }
        final long lastBase = bases.getLong(bases.size() - 1);
        if (lastBase == base)
        {
            return base + segment.committedPosition();
        }
        try (ChannelSource last = JournalFiles.openSegmentSource(JournalDescriptor.segmentPath(folder, lastBase)))
        {
            return lastBase + last.committedPosition();
        }
    }

    /**
     * Journal position after what is committed in the segment being delivered: {@link #committedPosition()} while it
     * is the newest one, which is the case once caught up. Walks the records not yet delivered; lists nothing.
     *
     * @return the position.
     */
    public long segmentCommittedPosition()
    {
        return base + segment.committedPosition();
    }

    /**
     * Base of the oldest segment there is. Cold path: lists the folder.
     *
     * @return the base, or -1 when none is left.
     */
    public long oldestSegmentBase()
    {
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        return bases.isEmpty() ? -1 : bases.getLong(0);
    }

    /**
     * Whether the journal was closed and its CLOSED marker delivered: nothing more comes unless it is reopened.
     *
     * @return true once the CLOSED marker was delivered.
     */
    public boolean isEnded()
    {
        return segment.isEnded() && ChannelState.CLOSED == segment.endState();
    }

    /**
     * Why the journal cannot be delivered on: a segment CORRUPT at the position, or a successor that cannot be
     * opened.
     *
     * @return the description, or null.
     */
    public String corruption()
    {
        if (null != corruption)
        {
            return corruption;
        }
        final String segmentCorruption = ChannelState.CORRUPT == segment.endState() ? segment.corruption() : null;
        return null == segmentCorruption ? null : "segment at " + base + ": " + segmentCorruption;
    }

    /**
     * Whether delivery stopped because the next segment was deleted (retention) before it was reached: then
     * {@link #corruption()} says so, and the records there are gone rather than bad.
     *
     * @return true when the successor of a rolled segment is missing.
     */
    public boolean isTruncated()
    {
        return isTruncated;
    }

    /**
     * Copy the current segment's channel header, {@link ChannelDescriptor#HEADER_LENGTH} bytes.
     *
     * @param dst    to copy into.
     * @param offset in dst.
     */
    public void headerBytes(final MutableDirectBuffer dst, final int offset)
    {
        segment.headerBytes(dst, offset);
    }

    /**
     * Digest of the current segment's immutable header fields.
     *
     * @return the digest.
     */
    public long headerDigest()
    {
        return segment.headerDigest();
    }

    /**
     * Digest of the data of the segment holding a journal position, from the segment's start up to it, as
     * {@link org.kekbit.channel.ChannelDigest#dataDigest} computes it: what a leader compares with the digest a
     * journal's follower says of its newest segment. Call it after {@link #seek(long)} to that position. Cold path:
     * reads up to a segment.
     *
     * @param position a journal position in the segment being delivered; its base covers nothing.
     * @return the digest.
     * @throws IllegalStateException    when the position is not in the segment being delivered.
     * @throws IllegalArgumentException when the position is past the segment.
     */
    public long dataDigest(final long position)
    {
        if (null == segment || JournalDescriptor.segmentBase(position, segmentCapacity) != base)
        {
            throw new IllegalStateException("position not in the segment being delivered: position=" + position +
                ", base=" + base);
        }
        return segment.dataDigest(position - base);
    }

    /**
     * Base position of the segment being delivered.
     *
     * @return the base.
     */
    public long segmentBase()
    {
        return base;
    }

    /**
     * Capacity of every segment.
     *
     * @return the capacity.
     */
    public long segmentCapacity()
    {
        return segmentCapacity;
    }

    /**
     * Folder of the journal.
     *
     * @return the folder.
     */
    public Path folder()
    {
        return folder;
    }

    /**
     * Unmap the current segment. Idempotent.
     */
    public void close()
    {
        CloseHelper.closeAll(segment, reader);
    }
}
