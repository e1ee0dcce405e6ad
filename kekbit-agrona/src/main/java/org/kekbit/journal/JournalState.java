package org.kekbit.journal;

/**
 * State of a journal as one reader sees it at its position.
 */
public enum JournalState
{
    /**
     * The writer is alive, or there are records left to read, or the segment to read is not there yet: keep polling.
     */
    OPEN,

    /**
     * The reader reached the marker the writer left on close: no record follows unless a writer reopens the journal
     * ({@link JournalWriter#resume(JournalWriter.Context)}), which a reader that polls on sees as a roll.
     */
    CLOSED,

    /**
     * The reader read everything committed and the writer is gone without closing, by the channel's liveness rule.
     * Not an end: a writer may resume the journal, and the state turns back to {@link #OPEN}.
     */
    ABANDONED,

    /**
     * The reader found a record header no writer writes, or a segment that is not one, or a segment of a later
     * journal format than this library reads ({@link JournalReader#corruption()} says which). Sticky until a seek.
     */
    CORRUPT,

    /**
     * The segment the reader needs next was deleted (retention, or by hand): the records at its position are gone.
     * Never a silent skip: the reader stays at its position until it seeks, for example to the start.
     */
    TRUNCATED;

    /**
     * Whether no record can follow without a seek: {@link #CLOSED}, {@link #CORRUPT} and {@link #TRUNCATED}.
     *
     * @return true for those.
     */
    public boolean isEnd()
    {
        return CLOSED == this || CORRUPT == this || TRUNCATED == this;
    }
}
