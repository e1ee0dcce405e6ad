package org.kekbit.channel;

import org.agrona.DirectBuffer;

/**
 * One record as the iterator of a {@link ChannelReader} hands it out. The iterator reuses a single view, so its
 * values are valid until the next call to {@code next()}.
 */
public final class RecordView
{
    private DirectBuffer buffer;
    private int msgTypeId;
    private int offset;
    private int length;
    private long position;

    RecordView()
    {
    }

    void set(
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
