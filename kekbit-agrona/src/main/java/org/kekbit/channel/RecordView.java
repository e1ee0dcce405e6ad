package org.kekbit.channel;

import org.agrona.DirectBuffer;

/**
 * One record as the iterator of a {@link ChannelReader} (or of a journal's reader) hands it out. The iterator reuses
 * a single view, so its values are valid until the next call to {@code next()}.
 */
public final class RecordView
{
    private DirectBuffer buffer;
    private int msgTypeId;
    private int offset;
    private int length;
    private long position;

    /**
     * An empty view, for a reader in another package that hands out views of its own, such as a journal's reader.
     */
    public RecordView()
    {
    }

    /**
     * Point the view at a record: for the reader that owns the view, never for its users.
     *
     * @param msgTypeId of the record.
     * @param buffer    read-only buffer holding the payload.
     * @param offset    of the payload in the buffer.
     * @param length    of the payload.
     * @param position  just after the record, as the reader counts positions.
     */
    public void set(
        final int msgTypeId, final DirectBuffer buffer, final int offset, final int length, final long position)
    {
        this.msgTypeId = msgTypeId;
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.position = position;
    }

    /**
     * Message type id of the record.
     *
     * @return the message type id.
     */
    public int msgTypeId()
    {
        return msgTypeId;
    }

    /**
     * Read-only buffer holding the payload.
     *
     * @return the buffer.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Offset of the payload in {@link #buffer()}.
     *
     * @return the offset.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * Length of the payload.
     *
     * @return the length in bytes.
     */
    public int length()
    {
        return length;
    }

    /**
     * Position just after this record: the value the writer returned when it committed it.
     *
     * @return the position.
     */
    public long position()
    {
        return position;
    }
}
