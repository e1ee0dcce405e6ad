package org.kekbit.replication;

import java.nio.file.Path;

import org.agrona.MutableDirectBuffer;
import org.kekbit.channel.ChannelSource;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSource;

/**
 * What a follower's session reads: a channel through a {@link ChannelSource}, or a journal through a
 * {@link JournalSource}, behind one shape so the session streams either the same way. The layout knowledge stays in
 * those two classes.
 * <p>
 * Not threadsafe: the source's duty cycle owns it.
 */
abstract class SourceStream implements AutoCloseable
{
    /**
     * Open what the source's context serves; a journal as the context's named reader, when it names one.
     */
    static SourceStream open(final ReplicationSource.Context ctx)
    {
        final Path path = ctx.channelPath();
        if (!JournalSource.isJournal(path))
        {
            return new Channel(ChannelSource.open(path));
        }
        return new Journal(JournalSource.open(new JournalReader.Context()
            .folder(path)
            .name(ctx.readerName())
            .protectRetention(ctx.protectRetention())),
            ctx.statusIntervalNs() * Journal.STATUS_INTERVALS_PER_NEWEST_REFRESH);
    }

    /**
     * Record the position the follower acknowledged as the named reader's: a journal's only, and never past what
     * was delivered. Hot: allocates nothing within a segment.
     */
    abstract void commit(long position);

    abstract boolean isJournal();

    abstract int poll(JournalSource.Handler handler, int blockLengthLimit);

    abstract void seek(long position);

    /**
     * Everything committed now: cold, may list a journal's folder.
     */
    abstract long committedPosition();

    /**
     * The leader's committed position for a status message, sent every status interval: cheap, and never behind
     * what is being delivered.
     */
    abstract long statusPosition(long nowNs);

    abstract long position();

    abstract long segmentBase(long position);

    abstract void headerBytes(MutableDirectBuffer dst, int offset);

    /**
     * Digest of the data from the start of the channel, or of the journal segment holding the position, up to the
     * position, as {@link org.kekbit.channel.ChannelDigest#dataDigest} computes it. Cold: reads up to a segment; call
     * it after a {@link #seek(long)} to the position.
     */
    abstract long dataDigest(long position);

    abstract boolean isEnded();

    abstract String corruption();

    /**
     * Whether a journal's next segment was deleted before it was reached: what {@link #corruption()} reports then.
     */
    abstract boolean isTruncated();

    public abstract void close();

    static final class Channel extends SourceStream
    {
        private final ChannelSource source;

        Channel(final ChannelSource source)
        {
            this.source = source;
        }

        boolean isJournal()
        {
            return false;
        }

        int poll(final JournalSource.Handler handler, final int blockLengthLimit)
        {
            return source.poll(handler, blockLengthLimit);
        }

        void seek(final long position)
        {
            source.seek(position);
        }

        long committedPosition()
        {
            return source.committedPosition();
        }

        long statusPosition(final long nowNs)
        {
            return source.committedPosition(); // walks only what was committed since the last call
        }

        long position()
        {
            return source.position();
        }

        long segmentBase(final long position)
        {
            return 0;
        }

        void headerBytes(final MutableDirectBuffer dst, final int offset)
        {
            source.headerBytes(dst, offset);
        }

        long dataDigest(final long position)
        {
            return source.dataDigest(position);
        }

        boolean isEnded()
        {
            return source.isEnded();
        }

        String corruption()
        {
            return org.kekbit.channel.ChannelState.CORRUPT == source.endState() ? source.corruption() : null;
        }

        boolean isTruncated()
        {
            return false;
        }

        void commit(final long position)
        {
            // a channel has no named readers
        }

        public void close()
        {
            source.close();
        }
    }

    static final class Journal extends SourceStream
    {
        /**
         * How often a session behind the leader's journal looks for what its newest segment holds, in status
         * intervals: every 1 s with the default 100 ms.
         */
        static final int STATUS_INTERVALS_PER_NEWEST_REFRESH = 10;

        private final JournalSource source;
        private final long newestRefreshIntervalNs;
        private long newestCommitted = -1;
        private long newestRefreshedAtNs = Long.MIN_VALUE / 2;

        Journal(final JournalSource source, final long newestRefreshIntervalNs)
        {
            this.source = source;
            this.newestRefreshIntervalNs = newestRefreshIntervalNs;
        }

        boolean isJournal()
        {
            return true;
        }

        int poll(final JournalSource.Handler handler, final int blockLengthLimit)
        {
            return source.poll(handler, blockLengthLimit);
        }

        void seek(final long position)
        {
            source.seek(position);
        }

        long committedPosition()
        {
            return source.committedPosition();
        }

        long statusPosition(final long nowNs)
        {
            final long delivering = source.segmentCommittedPosition();
            if (delivering > source.position() && nowNs - newestRefreshedAtNs >= newestRefreshIntervalNs)
            {
                // Behind, maybe by segments: what the newest segment holds costs a listing and a walk, so at most
                // once per interval, and never once caught up.
                newestCommitted = source.committedPosition();
                newestRefreshedAtNs = nowNs;
            }
            return Math.max(delivering, newestCommitted);
        }

        long position()
        {
            return source.position();
        }

        long segmentBase(final long position)
        {
            return org.kekbit.journal.JournalDescriptor.segmentBase(position, source.segmentCapacity());
        }

        long oldestSegmentBase()
        {
            return source.oldestSegmentBase();
        }

        long segmentCapacity()
        {
            return source.segmentCapacity();
        }

        void headerBytes(final MutableDirectBuffer dst, final int offset)
        {
            source.headerBytes(dst, offset);
        }

        long dataDigest(final long position)
        {
            return source.dataDigest(position);
        }

        boolean isEnded()
        {
            return source.isEnded();
        }

        String corruption()
        {
            return source.corruption();
        }

        boolean isTruncated()
        {
            return source.isTruncated();
        }

        void commit(final long position)
        {
            source.commit(position);
        }

        public void close()
        {
            source.close();
        }
    }
}
