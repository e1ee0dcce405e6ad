package org.kekbit.channel;

import java.nio.ByteOrder;

import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;

import static org.agrona.BitUtil.SIZE_OF_INT;

/**
 * Framing of the records in a channel's data region.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Frame Length: header + payload (commit word)          |
 *  +---------------------------------------------------------------+
 *  |                       Message Type Id                         |
 *  +---------------------------------------------------------------+
 *  |                           Payload                            ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 *  |   Padding up to the next multiple of the record alignment     |
 *  +---------------------------------------------------------------+
 * </pre>
 * Both header words are little endian. A record is committed by storing its header last, after the payload: both
 * words in one 8-byte store with release semantics. Readers load the header the same way, in one 8-byte load with
 * acquire semantics, so a non-zero frame length guarantees the type and payload are visible. Storing the header once
 * per record means a reader spinning on it takes the cache line from the writer once per record, not between every
 * store. The file is zero-filled at creation and never reused, so a frame length of 0 means nothing has been
 * committed there yet.
 * <p>
 * Records are aligned to the channel's record alignment, a power of two from {@link #ALIGNMENT} = 8 bytes (the
 * default) to {@link #MAX_RECORD_ALIGNMENT}, chosen by its writer and kept in its header: every position in the data
 * region is then a multiple of 8, the commit word always naturally aligned for atomic access, and an 8-byte field
 * at the start of a payload aligned too (SBE blocks, timestamps, sequences). At 8 a 32-byte payload costs 40 bytes
 * of channel; at 64 (a cache line) it costs 64, but no two records share a line, which streams small records faster
 * when a reader keeps up with the writer (docs/format.md, "Alignment").
 * <p>
 * Negative message type ids are reserved for end markers, which are a bare header with a frame length of
 * {@link #HEADER_LENGTH}: {@link #CLOSED_MSG_TYPE_ID}, {@link #FULL_MSG_TYPE_ID} and {@link #ROLLED_MSG_TYPE_ID}.
 */
public final class RecordDescriptor
{
    /**
     * Offset of the frame length within a record.
     */
    public static final int FRAME_LENGTH_OFFSET = 0;

    /**
     * Offset of the message type id within a record.
     */
    public static final int MSG_TYPE_ID_OFFSET = FRAME_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Length of a record header; the payload follows it.
     */
    public static final int HEADER_LENGTH = MSG_TYPE_ID_OFFSET + SIZE_OF_INT;

    /**
     * Alignment of every position in the data region, and the default record alignment.
     */
    public static final int ALIGNMENT = 8;

    /**
     * Largest record alignment a channel may have: two cache lines, the pair some processors fetch together.
     */
    public static final int MAX_RECORD_ALIGNMENT = 128;

    /**
     * Type id of the end marker a writer leaves when it closes the channel.
     */
    public static final int CLOSED_MSG_TYPE_ID = -1;

    /**
     * Type id of the end marker a writer leaves when a record did not fit.
     */
    public static final int FULL_MSG_TYPE_ID = -2;

    /**
     * Type id of the end marker a journal's writer leaves in a segment when the next record did not fit in what is
     * left of it: the journal continues in the next segment, which exists before this marker is written.
     */
    public static final int ROLLED_MSG_TYPE_ID = -3;

    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private RecordDescriptor()
    {
    }

    /**
     * Length of a frame carrying a payload, before alignment.
     *
     * @param payloadLength of the record.
     * @return the frame length.
     */
    public static int frameLength(final int payloadLength)
    {
        return HEADER_LENGTH + payloadLength;
    }

    /**
     * Space a frame takes in the data region.
     *
     * @param frameLength     of the record.
     * @param recordAlignment of the channel, one {@link #isValidRecordAlignment(int)} accepts.
     * @return the frame length rounded up to the record alignment.
     */
    public static int alignedLength(final int frameLength, final int recordAlignment)
    {
        return BitUtil.align(frameLength, recordAlignment);
    }

    /**
     * Where the record being delivered starts, from within a record handler, where the reader's position is already
     * past the record.
     *
     * @param positionAfter   the reader's position after the record.
     * @param payloadLength   of the record, as handed to the handler.
     * @param recordAlignment of the channel or segment being read.
     * @return the position of the record's header.
     */
    public static long recordStart(final long positionAfter, final int payloadLength, final int recordAlignment)
    {
        return positionAfter - alignedLength(frameLength(payloadLength), recordAlignment);
    }

    /**
     * Check a record alignment is a power of two from {@link #ALIGNMENT} to {@link #MAX_RECORD_ALIGNMENT}.
     *
     * @param recordAlignment to check.
     * @return whether it is one.
     */
    public static boolean isValidRecordAlignment(final int recordAlignment)
    {
        return recordAlignment >= ALIGNMENT && recordAlignment <= MAX_RECORD_ALIGNMENT &&
            BitUtil.isPowerOfTwo(recordAlignment);
    }

    /**
     * Offset of the payload of a record.
     *
     * @param recordOffset of the record in the buffer.
     * @return the offset of its payload.
     */
    public static int payloadOffset(final int recordOffset)
    {
        return recordOffset + HEADER_LENGTH;
    }

    /**
     * Check a message type id is not one of the reserved, negative ones.
     *
     * @param msgTypeId to check.
     * @throws IllegalArgumentException when it is negative.
     */
    public static void checkMsgTypeId(final int msgTypeId)
    {
        if (msgTypeId < 0)
        {
            throw new IllegalArgumentException("message type id must not be negative: msgTypeId=" + msgTypeId);
        }
    }

    /**
     * Load a record's frame length with acquire semantics.
     *
     * @param buffer       over the file.
     * @param recordOffset of the record.
     * @return the frame length, 0 when nothing is committed there yet.
     */
    public static int frameLengthAcquire(final AtomicBuffer buffer, final int recordOffset)
    {
        return littleEndian(buffer.getIntAcquire(recordOffset + FRAME_LENGTH_OFFSET));
    }

    /**
     * Load a record's whole header, frame length and message type id, with acquire semantics: one load that matches
     * the writer's one store.
     *
     * @param buffer       over the file.
     * @param recordOffset of the record, a multiple of {@link #ALIGNMENT}.
     * @return the header; {@link #headerFrameLength(long)} of it is 0 when nothing is committed there yet.
     */
    public static long headerAcquire(final AtomicBuffer buffer, final int recordOffset)
    {
        return littleEndian(buffer.getLongAcquire(recordOffset + FRAME_LENGTH_OFFSET));
    }

    /**
     * Frame length in a header loaded with {@link #headerAcquire(AtomicBuffer, int)}.
     *
     * @param header as loaded.
     * @return the frame length.
     */
    public static int headerFrameLength(final long header)
    {
        return (int)header;
    }

    /**
     * Message type id in a header loaded with {@link #headerAcquire(AtomicBuffer, int)}.
     *
     * @param header as loaded.
     * @return the message type id.
     */
    public static int headerMsgTypeId(final long header)
    {
        return (int)(header >>> 32);
    }

    /**
     * Whether a header loaded with {@link #headerAcquire(AtomicBuffer, int)} is an end marker: CLOSED, FULL or
     * ROLLED, a header alone.
     *
     * @param header as loaded.
     * @return true for an end marker.
     */
    static boolean isEndMarker(final long header)
    {
        final int msgTypeId = headerMsgTypeId(header);
        return HEADER_LENGTH == headerFrameLength(header) &&
            (CLOSED_MSG_TYPE_ID == msgTypeId || FULL_MSG_TYPE_ID == msgTypeId || ROLLED_MSG_TYPE_ID == msgTypeId);
    }

    /**
     * The state an end marker's message type id stands for.
     *
     * @param msgTypeId of an end marker ({@link #isEndMarker(long)}).
     * @return CLOSED, FULL or ROLLED.
     */
    static ChannelState endMarkerState(final int msgTypeId)
    {
        if (CLOSED_MSG_TYPE_ID == msgTypeId)
        {
            return ChannelState.CLOSED;
        }
        return FULL_MSG_TYPE_ID == msgTypeId ? ChannelState.FULL : ChannelState.ROLLED;
    }

    /**
     * Commit a record by storing its frame length and message type id together with release semantics, after its
     * payload. Only the writer stores headers: package-private so no other code can damage a channel.
     *
     * @param buffer       over the file.
     * @param recordOffset of the record, a multiple of {@link #ALIGNMENT}.
     * @param frameLength  to store.
     * @param msgTypeId    to store.
     */
    static void headerRelease(
        final AtomicBuffer buffer, final int recordOffset, final int frameLength, final int msgTypeId)
    {
        buffer.putLongRelease(recordOffset + FRAME_LENGTH_OFFSET, headerWord(frameLength, msgTypeId));
    }

    /**
     * A record header as the 8-byte word stored in the file.
     *
     * @param frameLength of the record.
     * @param msgTypeId   of the record.
     * @return the word, in the file's byte order.
     */
    static long headerWord(final int frameLength, final int msgTypeId)
    {
        // Little endian: the frame length is the low half of the word, the type id the high half.
        return littleEndian(((long)msgTypeId << 32) | (frameLength & 0xFFFF_FFFFL));
    }

    /**
     * Convert between native order and the file's little endian order; the JIT folds it away on little endian
     * machines. Atomic accessors have no byte order parameter, hence this.
     *
     * @param value in one order.
     * @return the value in the other.
     */
    static int littleEndian(final int value)
    {
        return NATIVE_LITTLE_ENDIAN ? value : Integer.reverseBytes(value);
    }

    /**
     * Convert between native order and the file's little endian order.
     *
     * @param value in one order.
     * @return the value in the other.
     */
    static long littleEndian(final long value)
    {
        return NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value);
    }
}
