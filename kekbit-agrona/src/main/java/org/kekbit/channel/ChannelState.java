package org.kekbit.channel;

/**
 * State of a channel as one reader sees it at its position.
 */
public enum ChannelState
{
    /**
     * The writer is alive or there are records left to read: keep polling.
     */
    OPEN,

    /**
     * The reader reached the marker the writer left on close: no record will ever follow.
     */
    CLOSED,

    /**
     * The reader reached the marker the writer left when a record did not fit: no record will ever follow.
     */
    FULL,

    /**
     * The reader reached the marker a journal's writer leaves in a segment it rolled over from: no record will ever
     * follow in this channel, the journal continues in the next segment (see {@code org.kekbit.journal}).
     */
    ROLLED,

    /**
     * The reader read everything committed and the writer is gone without closing: its process has exited or, where
     * its process cannot be seen, its heartbeat is older than the channel's timeout. Not an end: a writer may resume
     * the channel, and the state turns back to {@link #OPEN}.
     */
    ABANDONED,

    /**
     * The reader found a record header no writer writes, at {@link ChannelReader#position()}. Sticky.
     */
    CORRUPT;

    /**
     * Whether no record can ever follow in this state: {@link #CLOSED}, {@link #FULL}, {@link #ROLLED} and
     * {@link #CORRUPT}.
     * {@link #ABANDONED} is not an end, as a writer may resume the channel; a follower decides how long to wait for
     * one (see {@link ChannelReaderAgent}).
     *
     * @return true for CLOSED, FULL, ROLLED and CORRUPT.
     */
    public boolean isEnd()
    {
        return CLOSED == this || FULL == this || ROLLED == this || CORRUPT == this;
    }

    /**
     * Whether a reader in this state has nothing to read now and no live writer: an end, or ABANDONED.
     *
     * @return true for every state but {@link #OPEN}.
     */
    public boolean isEndOrAbandoned()
    {
        return OPEN != this;
    }
}
