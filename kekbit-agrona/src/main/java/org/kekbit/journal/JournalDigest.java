package org.kekbit.journal;

import java.nio.file.Path;
import java.security.MessageDigest;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelSource;

/**
 * Digest of a journal's chain of segments, to prove a mirror ({@link JournalMirror}) identical to its leader: one
 * SHA-256 over the segments in order, each as {@link ChannelDigest#update} covers a channel.
 * <p>
 * <b>What a digest to position P covers</b>: exactly the journal's bytes from the first segment's base up to P, and
 * nothing that depends on what the journal holds at or after P. In order, for each segment whose base is below P:
 * <ul>
 * <li>its immutable header fields (not the process fields: pid, heartbeat, ...);</li>
 * <li>when P is at or past the segment's end (base + capacity) and the segment ended (ROLLED or CLOSED): every byte
 * after the header, records, end marker, the bytes never written, the seal and the trailer;</li>
 * <li>otherwise its data up to P (P - base, which must be a record end), or up to its last committed record when P
 * is past what it committed and it has not ended.</li>
 * </ul>
 * A segment whose base is P or more is not covered, not even its header: digests of two journals at the base of a
 * segment are equal when their bytes before it are, whether or not either has already made that segment (by a roll
 * or a resume, or as a standby, which is never covered). A negative P means the journal's committed end: the end of
 * the last segment that ended, or the end of the last committed record in the segment after it, so a digest to -1
 * equals the digest to its {@link #position()}; a last segment with nothing committed (made by a roll or a resume,
 * not written yet) is not covered. P equal to the first segment's base covers nothing.
 * <p>
 * <b>Two names for the end of a rolled segment</b>: the end of its last record (where a journal reopened after a
 * crash, or a mirror, says it stands) and its end, the next segment's base (where a reader that read the ROLLED
 * marker stands) are one place in the record stream but not one digest: the first covers the records, the second
 * also the marker and the seal. Compare two journals at the lower name when either may have stopped before the seal
 * (docs/system-images.md, "Positions").
 * <p>
 * Cold path: allocates, reads every segment. Threadsafe.
 */
public final class JournalDigest
{
    private final long firstBase;
    private final long position;
    private final int segments;
    private final String digest;

    private JournalDigest(final long firstBase, final long position, final int segments, final String digest)
    {
        this.firstBase = firstBase;
        this.position = position;
        this.segments = segments;
        this.digest = digest;
    }

    /**
     * Digest a journal from a segment up to a position.
     *
     * @param folder     of the journal.
     * @param fromBase   base of the first segment to cover, or a negative value for the oldest there is.
     * @param toPosition journal position of a record end (or a segment's base) to stop at, or a negative value for
     *                   the journal's committed end (see the class javadoc for exactly what is covered).
     * @return the digest.
     * @throws ChannelException         with {@link ChannelException.Reason#NOT_FOUND} when the folder holds no
     *                                  segment or not the one asked for, or when a segment cannot be read.
     * @throws IllegalArgumentException when the position is not a record end.
     */
    public static JournalDigest digest(final Path folder, final long fromBase, final long toPosition)
    {
        final LongArrayList bases = JournalFiles.segmentBases(folder);
        if (bases.isEmpty())
        {
            throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no journal segment in " + folder);
        }
        final long first = fromBase < 0 ? bases.getLong(0) : fromBase;
        if (!bases.containsLong(first))
        {
            throw new ChannelException(ChannelException.Reason.NOT_FOUND,
                "no segment at base " + first + " in " + folder + " (oldest=" + bases.getLong(0) + ")");
        }

        final MessageDigest digest = ChannelDigest.newMessageDigest();
        long position = first;
        int segments = 0;
        for (int i = bases.indexOf(first), size = bases.size(); i < size; i++)
        {
            final long base = bases.getLong(i);
            if (toPosition >= 0 && base >= toPosition)
            {
                break; // bytes at or after the position: not even the header counts
            }
            final Path path = JournalDescriptor.segmentPath(folder, base);
            final long capacity;
            final ChannelState endState;
            final long committed;
            try (ChannelSource segment = JournalFiles.openSegmentSource(path))
            {
                capacity = segment.capacity();
                while (segment.poll(JournalDigest::ignoreBlock, Integer.MAX_VALUE) > 0)
                {
                    // every committed record, then the end marker
                }
                endState = segment.endState();
                committed = segment.position();
            }
            final boolean isEnded = ChannelState.ROLLED == endState || ChannelState.CLOSED == endState;
            if (toPosition < 0 && !isEnded && 0 == committed)
            {
                break; // the journal's end is this segment's base: its header is not before it
            }
            final boolean isWhole = isEnded && (toPosition < 0 || toPosition >= base + capacity);
            final long segmentTo = isWhole ? ChannelDigest.WHOLE_FILE :
                (toPosition < 0 || toPosition >= base + capacity ? -1 : toPosition - base);
            final long covered = ChannelDigest.update(digest, path, segmentTo, null);
            position = isWhole ? base + capacity : base + covered;
            segments++;
        }

        return new JournalDigest(first, position, segments, ChannelDigest.hex(digest.digest()));
    }

    private static void ignoreBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
    {
        // only the end state is wanted
    }

    /**
     * Base of the first segment covered.
     *
     * @return the base.
     */
    public long firstBase()
    {
        return firstBase;
    }

    /**
     * Journal position the digest covers up to: a segment's end for a whole ended segment, else the end of the last
     * record covered; the first base when nothing was covered.
     *
     * @return the position.
     */
    public long position()
    {
        return position;
    }

    /**
     * Segments covered.
     *
     * @return the count.
     */
    public int segments()
    {
        return segments;
    }

    /**
     * The digest in lower-case hex.
     *
     * @return the digest.
     */
    public String digest()
    {
        return digest;
    }
}
