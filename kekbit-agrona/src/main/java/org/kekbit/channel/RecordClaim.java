package org.kekbit.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A record claimed with {@link ChannelWriter#tryClaim(int, int, RecordClaim)} for zero-copy writing: encode the
 * payload into {@link #buffer()} from {@link #offset()}, then {@link #commit()} or {@link #abort()}. One claim can
 * be reused for any number of records; it holds no memory of its own.
 * <pre>{@code
 * final RecordClaim claim = new RecordClaim();
 * if (writer.tryClaim(MSG_TYPE_ID, encoder.sbeBlockLength(), claim) > 0)
 * {
 *     encoder.wrap(claim.buffer(), claim.offset()).price(price).quantity(quantity);
 *     claim.commit();
 * }
 * }</pre>
 * Not threadsafe: it belongs to the writer's thread.
 */
public final class RecordClaim
{
    private final UnsafeBuffer payload = new UnsafeBuffer(0, 0);
    private ChannelWriter writer;
    private int recordOffset;
    private int frameLength;
    private int msgTypeId;
    private ByteBuffer view;
    private ChannelWriter viewWriter;

    void wrap(
        final ChannelWriter writer,
        final long channelAddress,
        final int recordOffset,
        final int frameLength,
        final int msgTypeId)
    {
        if (this.writer != writer) // a reference store into an old object costs G1 a fence
        {
            this.writer = writer;
        }
        this.recordOffset = recordOffset;
        this.frameLength = frameLength;
        this.msgTypeId = msgTypeId;
        // By address: wrapping another buffer would check bounds and store its references on every claim.
        final long payloadAddress = channelAddress + RecordDescriptor.payloadOffset(recordOffset);
        payload.wrap(payloadAddress, frameLength - RecordDescriptor.HEADER_LENGTH);
    }

    /**
     * Buffer to encode the payload into; it spans exactly the claimed payload.
     *
     * @return the buffer.
     */
    public MutableDirectBuffer buffer()
    {
        return payload;
    }

    /**
     * The claimed payload as a direct {@link ByteBuffer}, for JDK APIs that take one and run fastest, or only, on
     * a direct buffer: {@link java.util.zip.CRC32C#update(ByteBuffer)} (an intrinsic), message digests, ciphers,
     * channel reads. Its position is the payload's first byte and its limit the byte after its last; its byte order
     * is little endian.
     * <p>
     * It is a view of the whole channel file, so its position is also the payload's offset in the file: touch only
     * the bytes from position to limit. The claim keeps one view per writer: the first call after the claim was
     * used with another writer creates it, every later call only sets its position and limit, and
     * {@link #buffer()}, {@link ChannelWriter#tryClaim(int, int, RecordClaim)} and {@link #commit()} never touch it.
     * Valid until the claim is committed or aborted.
     *
     * @return the view, positioned on the payload.
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public ByteBuffer byteBuffer()
    {
        if (!isOutstanding())
        {
            throw new IllegalStateException("no outstanding claim");
        }
        if (viewWriter != writer)
        {
            view = writer.mappedBuffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            viewWriter = writer;
        }
        final int payloadOffset = RecordDescriptor.payloadOffset(recordOffset);
        view.limit(payloadOffset + payload.capacity()).position(payloadOffset);

        return view;
    }

    /**
     * Offset of the payload in {@link #buffer()}.
     *
     * @return the offset, always 0.
     */
    public int offset()
    {
        return 0;
    }

    /**
     * Length of the claimed payload.
     *
     * @return the length in bytes.
     */
    public int length()
    {
        return payload.capacity();
    }

    /**
     * Alignment of the records of the channel the claim is on: a commit of fewer bytes than claimed gives back the
     * difference of the two aligned lengths.
     *
     * @return the record alignment in bytes.
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public int recordAlignment()
    {
        return checkedWriter().recordAlignment();
    }

    /**
     * Publish the record to readers.
     *
     * @return the position after the record, as {@link ChannelWriter#write(int, org.agrona.DirectBuffer, int, int)}
     * returns it.
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public long commit()
    {
        return checkedWriter().commit(this, recordOffset, frameLength, frameLength, msgTypeId);
    }

    /**
     * Publish the record with a shorter payload than claimed, for encodings whose length is known only once
     * written (SBE groups and var data): claim the most it can take, encode, then commit what was used. The unused
     * tail goes back to the channel.
     *
     * @param length of the payload to publish, from 0 to {@link #length()}.
     * @return the position after the record.
     * @throws IllegalStateException    if the claim is not outstanding.
     * @throws IllegalArgumentException if the length is negative or more than was claimed.
     */
    public long commit(final int length)
    {
        final ChannelWriter writer = checkedWriter();
        if (length < 0 || length > payload.capacity())
        {
            throw new IllegalArgumentException("length out of range: expected 0.." + payload.capacity() +
                ", actual=" + length);
        }
        return writer.commit(this, recordOffset, frameLength, RecordDescriptor.frameLength(length), msgTypeId);
    }

    /**
     * Give the claimed space back: nothing is published and the next record takes its place.
     *
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public void abort()
    {
        checkedWriter().abort(this, recordOffset, frameLength);
    }

    /**
     * Whether the claim is outstanding: claimed and not yet committed or aborted, on a writer still open. The writer
     * keeps that state; the claim only asks it.
     *
     * @return true while outstanding.
     */
    public boolean isOutstanding()
    {
        return null != writer && writer.isOutstanding(this);
    }

    /**
     * Drop the view of the channel, so it cannot outlive the record or the mapping.
     */
    void release()
    {
        payload.wrap(0L, 0);
    }

    private ChannelWriter checkedWriter()
    {
        if (!isOutstanding())
        {
            throw new IllegalStateException("no outstanding claim: it was committed, aborted or its writer closed");
        }
        return writer;
    }
}
