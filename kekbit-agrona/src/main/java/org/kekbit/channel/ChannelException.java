package org.kekbit.channel;

/**
 * The one exception the cold paths of this package throw: creating, opening and validating channels. Its
 * {@link #reason()} tells the cause apart without parsing the message, and the message names expected and actual
 * values. Hot paths never throw it: they return negative codes.
 */
public final class ChannelException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * Why a channel could not be created or opened.
     */
    public enum Reason
    {
        /**
         * There is no file at the path.
         */
        NOT_FOUND,

        /**
         * The file is not a channel: its signature is wrong, or it is a directory.
         */
        NOT_A_CHANNEL,

        /**
         * The file is a channel whose header is still being written.
         */
        NOT_READY,

        /**
         * The channel was written in a format version this library cannot read.
         */
        INCOMPATIBLE_VERSION,

        /**
         * The capacity is out of range or misaligned.
         */
        BAD_CAPACITY,

        /**
         * The maximum record length does not fit the capacity.
         */
        BAD_MAX_RECORD_LENGTH,

        /**
         * Another header field (header length, record alignment, timeout) holds a value no writer writes.
         */
        BAD_HEADER,

        /**
         * The file is shorter than its header says.
         */
        TRUNCATED,

        /**
         * A channel with this path exists already: creation is exclusive.
         */
        ALREADY_EXISTS,

        /**
         * The channel's writer is still alive, or another writer took the channel over first: resuming it would
         * make two writers.
         */
        WRITER_ACTIVE,

        /**
         * The channel was closed or filled: it takes no more records.
         */
        ENDED,

        /**
         * A journal's named reader is held by a live reader, in this process or another: opening it again would
         * make two readers commit one position.
         */
        READER_ACTIVE,

        /**
         * The channel holds a record header no writer writes, so it cannot be resumed after it.
         */
        CORRUPT,

        /**
         * The channel did not appear or become ready before the deadline.
         */
        TIMEOUT,

        /**
         * The operating system refused an operation: no space, no permission, mapping failed.
         */
        IO_ERROR,

        /**
         * The journal recycles its segments, so only a named reader, which says which segments it maps, may read
         * it.
         */
        NAMED_READERS_ONLY
    }

    private final Reason reason;

    /**
     * Construct with a reason and a message naming expected and actual values.
     *
     * @param reason  of the failure.
     * @param message describing it.
     */
    public ChannelException(final Reason reason, final String message)
    {
        super(message);
        this.reason = reason;
    }

    /**
     * Construct with a reason, a message and the cause.
     *
     * @param reason  of the failure.
     * @param message describing it.
     * @param cause   of the failure.
     */
    public ChannelException(final Reason reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * Why the operation failed.
     *
     * @return the reason.
     */
    public Reason reason()
    {
        return reason;
    }
}
