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
     * The reader read everything committed and the writer is gone without closing: its process has exited or its
     * heartbeat is older than the channel's timeout.
     */
    ABANDONED,

    /**
     * The reader found a record header no writer writes, at {@link ChannelReader#position()}. Sticky.
     */
    CORRUPT;

    /**
     * Whether no record can follow in this state, so a reader may stop polling. {@link #ABANDONED} counts as an end:
     * a writer restarted on the channel would be a new writer the reader may choose to follow.
     *
     * @return true for every state but {@link #OPEN}.
     */
    public boolean isEnd()
    {
        return this != OPEN;
    }
}
