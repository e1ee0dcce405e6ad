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
 * SHA-256 over each segment in order, as {@link ChannelDigest#update} covers a channel: its immutable header fields,
 * then, for a segment that ended (ROLLED, or CLOSED), every byte after the header (records, marker, the bytes never
 * written and the seal), and for the segment being written, its data up to a record end. Two journals with equal
 * digests from the same first segment to the same position hold the same segments, byte for byte but the process
 * fields of each header.
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
     *                   everything committed.
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
            if (toPosition >= 0 && base > toPosition)
            {
                break;
            }
            final Path path = JournalDescriptor.segmentPath(folder, base);
            final long capacity;
            final boolean isEnded;
            try (ChannelSource segment = ChannelSource.open(path))
            {
                capacity = segment.capacity();
                isEnded = isEnded(segment);
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

    private static boolean isEnded(final ChannelSource segment)
    {
        while (segment.poll(JournalDigest::ignoreBlock, Integer.MAX_VALUE) > 0)
        {
            // every committed record, then the end marker
        }
        final ChannelState endState = segment.endState();
        return ChannelState.ROLLED == endState || ChannelState.CLOSED == endState;
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
     * Journal position the digest covers up to: a segment's end for a whole sealed segment.
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
