package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelMirror;
import org.kekbit.channel.ChannelState;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

/**
 * The writer of a journal's mirror: a folder whose segments are byte-identical copies of another journal's (its
 * leader's), fed as a {@link JournalSource} hands them out. Each segment is a {@link ChannelMirror} under the
 * segment's own name, created from the leader segment's header; a roll creates the next segment first, then leaves
 * the seal and the ROLLED marker in the current one, in the order the leader's {@link JournalWriter} does, so an
 * ordinary {@link JournalReader} on the mirror reads straight through rolls and never finds a ROLLED marker without
 * its successor, nor a torn record, even when the mirror's process is killed mid-chunk.
 * <pre>{@code
 * try (JournalMirror mirror = JournalMirror.open(folder))
 * {
 *     mirror.startSegment(base, leaderSegmentHeader, 0); // the segment the leader starts sending from
 *     long received = mirror.write(position, chunk, 0, chunkLength);
 *     received = mirror.roll(markerPosition, seal, 0, sealLength, nextBase, nextHeader, 0);
 *     // GAP: resume from mirror.position(); BAD_DATA or CLOSED: stop
 * }
 * }</pre>
 * A mirror keeps no {@code readers.positions} file and creates no next segment ahead of need: a named reader on the
 * follower creates the positions file when it first opens, and the next segment comes from the leader at its roll.
 * Retention is the leader's business: segments deleted there stay in the mirror until pruned on the follower
 * ({@link JournalWriter#prune}). Writes are idempotent: bytes and rolls before {@link #receivedPosition()} are
 * skipped.
 * <p>
 * Not threadsafe: one thread writes, rolls, forces, runs the duty cycle and closes.
 */
public final class JournalMirror implements AutoCloseable
{
    /**
     * The bytes start after {@link #receivedPosition()}: some are missing; resume from {@link #position()}.
     */
    public static final long GAP = ChannelMirror.GAP;

    /**
     * The bytes, roll or header are not the leader's journal's as this mirror holds it: nothing was committed.
     */
    public static final long BAD_DATA = ChannelMirror.BAD_DATA;

    /**
     * The mirror was closed, or a segment taken over by a resumed writer.
     */
    public static final long CLOSED = ChannelMirror.CLOSED;

    private final Path folder;
    private final LongArrayList unforcedBases = new LongArrayList();
    private ChannelMirror segment;
    private long base;
    private long segmentCapacity;
    private boolean isClosed;
    private JournalSpareSegment spare;
    private long spareRolls;

    private JournalMirror(final Path folder, final ChannelMirror segment, final long base)
    {
        this.folder = folder;
        this.segment = segment;
        this.base = base;
        this.segmentCapacity = null == segment ? 0 : segment.capacity();
    }

    /**
     * Open a journal's mirror: its newest segment reopened as {@link ChannelMirror#open(Path)} reopens a channel's
     * mirror after a crash (the last committed record found, what a killed mirror left after it zeroed), or no
     * segment yet when the folder holds none. Creates the folder when missing.
     *
     * @param folder of the mirror.
     * @return the mirror.
     * @throws ChannelException as {@link ChannelMirror#open(Path)} throws, with
     *                          {@link ChannelException.Reason#IO_ERROR} when the folder cannot be made or listed, or
     *                          with {@link ChannelException.Reason#INCOMPATIBLE_VERSION} when a segment it reopens is
     *                          of a later journal format.
     */
    public static JournalMirror open(final Path folder)
    {
        try
        {
            Files.createDirectories(folder);
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot create journal folder " + folder + ": " + ex, ex);
        }
        JournalFiles.deleteQuietly(folder.resolve(JournalDescriptor.SPARE_SEGMENT_NAME)); // a killed mirror's
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        if (bases.isEmpty())
        {
            return new JournalMirror(folder, null, 0);
        }
        long base = bases.getLong(bases.size() - 1);
        ChannelMirror segment = null;
        if (bases.size() > 1)
        {
            // Killed between creating the next segment and rolling this one: carry on in this one; the roll reuses
            // the next segment, still empty.
            final long previousBase = bases.getLong(bases.size() - 2);
            final ChannelMirror previous =
                checked(ChannelMirror.open(JournalDescriptor.segmentPath(folder, previousBase)));
            if (previous.isEnded())
            {
                previous.close();
            }
            else
            {
                segment = previous;
                base = previousBase;
            }
        }
        if (null == segment)
        {
            segment = checked(ChannelMirror.open(JournalDescriptor.segmentPath(folder, base)));
        }
        try
        {
            JournalDescriptor.checkSegmentCapacity(segment.capacity());
        }
        catch (final ChannelException ex)
        {
            segment.close();
            throw ex;
        }
        return new JournalMirror(folder, segment, base);
    }

    /**
     * Take the header of the leader's segment the leader starts sending from. An empty mirror creates that segment
     * from it (so a mirror may start at a later segment than the leader's first, when the leader's older ones were
     * deleted); a mirror with segments checks it is the segment it holds at that base, or a later one it does not
     * hold yet, which is created after the mirror's newest only when that one ended with ROLLED.
     *
     * @param base         of the segment, its channel id.
     * @param leaderHeader holding the segment's channel header.
     * @param offset       of the header.
     * @return the mirror's position, or {@link #BAD_DATA} when the header is not the leader's segment at that base
     * as this mirror holds it.
     * @throws ChannelException when the segment cannot be created, with
     *                          {@link ChannelException.Reason#INCOMPATIBLE_VERSION} when the leader's segment is of a
     *                          later journal format.
     */
    public long startSegment(final long base, final DirectBuffer leaderHeader, final int offset)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        if (!isSegmentHeader(base, leaderHeader, offset))
        {
            return BAD_DATA;
        }
        if (null == segment)
        {
            final Path path = JournalDescriptor.segmentPath(folder, base);
            JournalDescriptor.checkJournalFormatVersion(ChannelDescriptor.journalFormatVersion(leaderHeader, offset),
                path);
            segment = ChannelMirror.create(path, leaderHeader, offset);
            this.base = base;
            this.segmentCapacity = segment.capacity();
            return position();
        }
        if (base == this.base)
        {
            return ChannelDigest.headerDigest(leaderHeader, offset) == segment.headerDigest() ? position() : BAD_DATA;
        }
        return base < this.base ? position() : BAD_DATA; // an older segment: its bytes are duplicates
    }

    /**
     * Write the leader's bytes at their journal position and commit every record they complete, as
     * {@link ChannelMirror#write} does. Bytes before {@link #receivedPosition()} are skipped. Never allocates.
     *
     * @param position of the first byte, a journal position.
     * @param src      holding the bytes.
     * @param offset   of the bytes in src.
     * @param length   of the bytes.
     * @return the received journal position after the write, or {@link #GAP}, {@link #BAD_DATA} or {@link #CLOSED}.
     */
    public long write(final long position, final DirectBuffer src, final int offset, final int length)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        if (null == segment)
        {
            return GAP;
        }
        if (position < base)
        {
            return position + length <= base ? receivedPosition() : BAD_DATA;
        }
        if (JournalDescriptor.segmentBase(position, segmentCapacity) != base)
        {
            return GAP;
        }
        final long result = segment.write(position - base, src, offset, length);
        return result < 0 ? result : base + result;
    }

    /**
     * Roll as the leader rolled: create the next segment from its header (or reopen it, when a killed mirror created
     * it already), then leave the seal and the ROLLED marker in the current one with
     * {@link ChannelMirror#roll(long, DirectBuffer, int, int)}. A roll the mirror made already is skipped. Cold path,
     * once per segment.
     *
     * @param markerPosition journal position of the leader's ROLLED marker.
     * @param seal           holding the seal's bytes.
     * @param sealOffset     of the seal.
     * @param sealLength     of the seal, 0 when the leader's segment has none.
     * @param nextBase       base of the next segment.
     * @param nextHeader     holding the next segment's channel header.
     * @param headerOffset   of the header.
     * @return the mirror's position after the roll (the next segment's base), or {@link #GAP} when records before
     * the marker are missing, {@link #BAD_DATA} or {@link #CLOSED}.
     * @throws ChannelException when the next segment cannot be created, with
     *                          {@link ChannelException.Reason#INCOMPATIBLE_VERSION} when it is of a later journal
     *                          format.
     */
    public long roll(
        final long markerPosition,
        final DirectBuffer seal,
        final int sealOffset,
        final int sealLength,
        final long nextBase,
        final DirectBuffer nextHeader,
        final int headerOffset)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        if (null == segment)
        {
            return GAP;
        }
        if (nextBase <= base)
        {
            return position(); // rolled already
        }
        if (nextBase != base + segmentCapacity ||
            JournalDescriptor.segmentBase(markerPosition, segmentCapacity) != base ||
            !isSegmentHeader(nextBase, nextHeader, headerOffset))
        {
            return BAD_DATA;
        }
        if (markerPosition > base + segment.receivedPosition())
        {
            return GAP;
        }

        final Path nextPath = JournalDescriptor.segmentPath(folder, nextBase);
        JournalDescriptor.checkJournalFormatVersion(ChannelDescriptor.journalFormatVersion(nextHeader, headerOffset),
            nextPath);
        final ChannelMirror next = ChannelMirror.exists(nextPath) ? ChannelMirror.open(nextPath) :
            createNext(nextPath, nextHeader, headerOffset);
        if (next.headerDigest() != ChannelDigest.headerDigest(nextHeader, headerOffset))
        {
            next.close();
            return BAD_DATA;
        }
        final long result = segment.roll(markerPosition - base, seal, sealOffset, sealLength);
        if (result < 0)
        {
            next.close();
            return result;
        }
        segment.close();
        unforcedBases.addLong(base);
        segment = next;
        base = nextBase;
        return position();
    }

    /**
     * The next segment from the leader's header: in the spare the duty cycle made ahead when it is ready (renamed,
     * header written: no allocation, no page fault here), else allocated and pre-touched now.
     */
    private ChannelMirror createNext(final Path nextPath, final DirectBuffer nextHeader, final int headerOffset)
    {
        if (null != spare && spare.isReady())
        {
            final JournalSpareSegment ready = spare;
            spare = null; // the next duty cycles make the one after
            spareRolls++;
            return ChannelMirror.create(nextPath, nextHeader, headerOffset, ready.path(), ready.take());
        }
        return ChannelMirror.create(nextPath, nextHeader, headerOffset);
    }

    /**
     * A segment reopened, refused (and closed) when it is of a later journal format.
     */
    private static ChannelMirror checked(final ChannelMirror segment)
    {
        try
        {
            JournalDescriptor.checkJournalFormatVersion(segment.journalFormatVersion(), segment.path());
        }
        catch (final ChannelException ex)
        {
            segment.close();
            throw ex;
        }
        return segment;
    }

    private boolean isSegmentHeader(final long base, final DirectBuffer header, final int offset)
    {
        final ChannelHeaderDecoder decoder = new ChannelHeaderDecoder() // cold: once per segment
            .wrap(header, offset, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
        final long capacity = decoder.capacity();
        return decoder.channelId() == base && capacity >= JournalDescriptor.MIN_SEGMENT_CAPACITY &&
            capacity <= JournalDescriptor.MAX_SEGMENT_CAPACITY && Long.bitCount(capacity) == 1 &&
            (0 == segmentCapacity || capacity == segmentCapacity) &&
            JournalDescriptor.segmentOffset(base, capacity) == 0;
    }

    /**
     * Flush the committed records to storage, those of segments rolled from since the last call included.
     *
     * @return the durable journal position.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when a rolled segment cannot be forced.
     */
    public long force()
    {
        for (int i = 0, size = unforcedBases.size(); i < size; i++)
        {
            JournalFiles.force(JournalDescriptor.segmentPath(folder, unforcedBases.getLong(i)));
        }
        unforcedBases.clear();
        return null == segment ? 0 : base + segment.force();
    }

    /**
     * Keep the current segment's heartbeat fresh, as a writer's duty cycle does.
     *
     * @return work done.
     */
    public int doWork()
    {
        if (isClosed || null == segment)
        {
            return 0;
        }
        int workCount = segment.doWork();
        if (!segment.isEnded())
        {
            if (null == spare)
            {
                spare = new JournalSpareSegment(folder.resolve(JournalDescriptor.SPARE_SEGMENT_NAME),
                    ChannelDescriptor.fileLength(segmentCapacity));
            }
            workCount += spare.doWork(); // one step of the next segment's file at most: a duty cycle stays short
        }
        return workCount;
    }

    /**
     * Rolls whose next segment was the spare made ahead by the duty cycle, rather than made at the roll.
     *
     * @return the count since this mirror was opened.
     */
    public long spareRolls()
    {
        return spareRolls;
    }

    /**
     * Whether the mirror holds at least one segment.
     *
     * @return true once a segment was created or found.
     */
    public boolean hasSegment()
    {
        return null != segment;
    }

    /**
     * Journal position after the last record committed to the mirror (a CLOSED marker included), visible to its
     * readers: after a roll, the next segment's base.
     *
     * @return the position, 0 before the first segment.
     */
    public long position()
    {
        return null == segment ? 0 : base + segment.position();
    }

    /**
     * Journal position after the bytes received, past {@link #position()} inside a record whose body is not all in.
     *
     * @return the position.
     */
    public long receivedPosition()
    {
        return null == segment ? 0 : base + segment.receivedPosition();
    }

    /**
     * Journal position up to which the last {@link #force()} flushed.
     *
     * @return the position.
     */
    public long forcedPosition()
    {
        return null == segment ? 0 : base + segment.forcedPosition();
    }

    /**
     * Whether the mirror ended as its leader's journal was closed: the current segment holds a CLOSED marker.
     *
     * @return true once closed by the leader.
     */
    public boolean isEnded()
    {
        return null != segment && ChannelState.CLOSED == segment.endState();
    }

    /**
     * Base of the mirror's newest segment.
     *
     * @return the base, 0 before the first segment.
     */
    public long segmentBase()
    {
        return base;
    }

    /**
     * Digest of the newest segment's immutable header fields, as {@link ChannelDigest#headerDigest} computes it.
     *
     * @return the digest, 0 before the first segment.
     */
    public long headerDigest()
    {
        return null == segment ? 0 : segment.headerDigest();
    }

    /**
     * Digest of the newest segment's data from its start up to {@link #position()}, as
     * {@link ChannelMirror#dataDigest()} computes it: what a journal's follower says in its hello. Cold path: reads up
     * to a segment.
     *
     * @return the digest, 0 before the first segment (the digest of no bytes).
     * @throws IllegalStateException when the mirror is closed.
     */
    public long dataDigest()
    {
        if (isClosed)
        {
            throw new IllegalStateException("mirror closed: " + folder);
        }
        return null == segment ? 0 : segment.dataDigest();
    }

    /**
     * Folder of the mirror.
     *
     * @return the folder.
     */
    public Path folder()
    {
        return folder;
    }

    /**
     * Path of the newest segment.
     *
     * @return the path, or null before the first segment.
     */
    public Path segmentPath()
    {
        return null == segment ? null : segment.path();
    }

    /**
     * Unmap the current segment, leaving no end marker, as {@link ChannelMirror#close()} does. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            CloseHelper.close(segment);
            if (null != spare)
            {
                spare.close();
                spare = null;
            }
        }
    }
}
