package org.kekbit.channel;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of a channel file: a header, the data region holding the records, and a trailer.
 * <pre>
 *   0                                 HEADER_LENGTH          HEADER_LENGTH + capacity
 *   |                                       |                               |
 *   +---------------------------------------+-------------------------------+-------------+
 *   |            Header (128 bytes)         |   Data region (capacity)      | Trailer (8) |
 *   +---------------------------------------+-------------------------------+-------------+
 * </pre>
 * Records fill the data region from position 0 upwards and never wrap. The trailer is room for exactly one record
 * header so that an end marker (CLOSED or FULL) always fits, even when the records fill the data region exactly.
 * Positions handed out by writers and readers count bytes from the start of the data region, so they run from 0 to
 * {@code capacity} inclusive.
 * <p>
 * The header is encoded by the SBE codec generated from {@code channel/channel-header.xml}, without an SBE message
 * header, little endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  Signature "*KEKBIT*" (8 bytes)               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |             Format Version (written last, release)            |
 *  +---------------------------------------------------------------+
 *  |                        Header Length                          |
 *  +---------------------------------------------------------------+
 *  |                         Channel Id                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Writer Id                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Capacity                             |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Max Record Length                        |
 *  +---------------------------------------------------------------+
 *  |                      Record Alignment                         |
 *  +---------------------------------------------------------------+
 *  |                         Timeout Ms                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Creation Time Ms                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         Writer Pid                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Writer Start Time Ms                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Heartbeat Time Ms (kept fresh by the writer)         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Reserved up to 128 bytes                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 * A header is trusted only once its format version is non-zero: the writer stores it last with release semantics
 * and readers load it with acquire semantics before they decode anything else.
 */
public final class ChannelDescriptor
{
    /**
     * Signature at the start of every channel file.
     */
    public static final String SIGNATURE = "*KEKBIT*";

    /**
     * Version of the file format written by this library; readers refuse any other.
     */
    public static final int FORMAT_VERSION = 1;

    /**
     * File name suffix of a channel.
     */
    public static final String FILE_SUFFIX = ".kekbit";

    /**
     * Offset of the signature.
     */
    public static final int SIGNATURE_OFFSET = 0;

    /**
     * Length of the signature.
     */
    public static final int SIGNATURE_LENGTH = 8;

    /**
     * Offset of the format version: 0 while the header is being written.
     */
    public static final int FORMAT_VERSION_OFFSET = SIGNATURE_OFFSET + SIGNATURE_LENGTH;

    /**
     * Offset of the header length, which is also the offset of the data region.
     */
    public static final int HEADER_LENGTH_OFFSET = FORMAT_VERSION_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the channel id.
     */
    public static final int CHANNEL_ID_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the writer id.
     */
    public static final int WRITER_ID_OFFSET = CHANNEL_ID_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the capacity of the data region.
     */
    public static final int CAPACITY_OFFSET = WRITER_ID_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the maximum payload length of a record.
     */
    public static final int MAX_RECORD_LENGTH_OFFSET = CAPACITY_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the record alignment.
     */
    public static final int RECORD_ALIGNMENT_OFFSET = MAX_RECORD_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the writer timeout.
     */
    public static final int TIMEOUT_OFFSET = RECORD_ALIGNMENT_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the creation time.
     */
    public static final int CREATION_TIME_OFFSET = TIMEOUT_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the writer's process id.
     */
    public static final int WRITER_PID_OFFSET = CREATION_TIME_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the start time of the writer's process.
     */
    public static final int WRITER_START_TIME_OFFSET = WRITER_PID_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the writer's heartbeat time.
     */
    public static final int HEARTBEAT_TIME_OFFSET = WRITER_START_TIME_OFFSET + SIZE_OF_LONG;

    /**
     * Length of the header, a multiple of the cache line so the data region starts on one.
     */
    public static final int HEADER_LENGTH = 2 * BitUtil.CACHE_LINE_LENGTH;

    /**
     * Length of the trailer: room for one end marker.
     */
    public static final int TRAILER_LENGTH = RecordDescriptor.HEADER_LENGTH;

    /**
     * Smallest capacity a channel may have.
     */
    public static final int MIN_CAPACITY = 64;

    /**
     * Largest capacity a channel may have: the whole file must be addressable by one {@code UnsafeBuffer}.
     */
    public static final int MAX_CAPACITY =
        (Integer.MAX_VALUE - HEADER_LENGTH - TRAILER_LENGTH) & ~(RecordDescriptor.ALIGNMENT - 1);

    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private ChannelDescriptor()
    {
    }

    /**
     * Length of the file of a channel of the given capacity.
     *
     * @param capacity of the data region.
     * @return the file length in bytes.
     */
    public static long fileLength(final long capacity)
    {
        return HEADER_LENGTH + capacity + TRAILER_LENGTH;
    }

    /**
     * Path of a channel's file under a root folder, following the original kekbit convention
     * {@code <root>/<hhhh_hhhh>/<hhhh_hhhh>.kekbit} where the folder is the high half of the channel id in hex and
     * the file name the low half.
     *
     * @param root      folder holding all channels.
     * @param channelId of the channel.
     * @return the path of the channel's file.
     */
    public static Path channelPath(final Path root, final long channelId)
    {
        return root.resolve(hexHalf((int)(channelId >>> 32))).resolve(hexHalf((int)channelId) + FILE_SUFFIX);
    }

    /**
     * Check a capacity is within the limits and a multiple of the record alignment.
     *
     * @param capacity to check.
     * @throws ChannelException with {@link ChannelException.Reason#BAD_CAPACITY} when it is not.
     */
    public static void checkCapacity(final long capacity)
    {
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY)
        {
            throw new ChannelException(ChannelException.Reason.BAD_CAPACITY,
                "capacity out of range: expected " + MIN_CAPACITY + ".." + MAX_CAPACITY + ", actual=" + capacity);
        }

        if ((capacity & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            throw new ChannelException(ChannelException.Reason.BAD_CAPACITY,
                "capacity must be a multiple of " + RecordDescriptor.ALIGNMENT + ": actual=" + capacity);
        }
    }

    /**
     * Check a maximum record length fits a channel of the given capacity.
     *
     * @param maxRecordLength largest payload of a record.
     * @param capacity        of the data region, already checked.
     * @throws ChannelException with {@link ChannelException.Reason#BAD_MAX_RECORD_LENGTH} when it does not.
     */
    public static void checkMaxRecordLength(final long maxRecordLength, final long capacity)
    {
        final long limit = maxRecordLengthLimit(capacity);
        if (maxRecordLength < 0 || maxRecordLength > limit)
        {
            throw new ChannelException(ChannelException.Reason.BAD_MAX_RECORD_LENGTH,
                "maxRecordLength out of range: expected 0.." + limit + ", actual=" + maxRecordLength);
        }
    }

    /**
     * Largest maximum record length a channel of the given capacity can have: one record filling the data region.
     *
     * @param capacity of the data region.
     * @return the limit in bytes.
     */
    public static long maxRecordLengthLimit(final long capacity)
    {
        return capacity - RecordDescriptor.HEADER_LENGTH;
    }

    /**
     * Check a writer timeout is positive.
     *
     * @param timeoutMs to check.
     * @throws ChannelException with {@link ChannelException.Reason#BAD_HEADER} when it is not.
     */
    public static void checkTimeout(final long timeoutMs)
    {
        if (timeoutMs <= 0)
        {
            throw new ChannelException(ChannelException.Reason.BAD_HEADER,
                "timeoutMs must be positive: actual=" + timeoutMs);
        }
    }

    /**
     * Check a channel header read from a file, in the order that tells the causes apart: signature, length,
     * readiness, version, then the fields. The checks a reader needs before it may map and trust the file.
     *
     * @param file       the header was read from, named in messages.
     * @param header     the bytes read from the start of the file, at most {@link #HEADER_LENGTH} of them.
     * @param fileLength of the file.
     * @return a decoder wrapped around the header.
     * @throws ChannelException naming the cause and the expected and actual values.
     */
    public static ChannelHeaderDecoder checkHeader(final Path file, final UnsafeBuffer header, final long fileLength)
    {
        final int length = header.capacity();
        final byte[] signature = new byte[SIGNATURE_LENGTH];
        header.getBytes(0, signature, 0, Math.min(length, signature.length));
        final String actualSignature = new String(signature, 0, Math.min(length, signature.length),
            StandardCharsets.US_ASCII);
        if (!SIGNATURE.equals(actualSignature))
        {
            throw new ChannelException(ChannelException.Reason.NOT_A_CHANNEL, "not a channel: signature expected=" +
                SIGNATURE + ", actual=" + printable(actualSignature) + ", file=" + file);
        }

        if (length < HEADER_LENGTH)
        {
            throw new ChannelException(ChannelException.Reason.TRUNCATED, "file shorter than a channel header: " +
                "expected>=" + HEADER_LENGTH + ", actual=" + length + ", file=" + file);
        }

        final int formatVersion = formatVersionAcquire(header);
        if (0 == formatVersion)
        {
            throw new ChannelException(ChannelException.Reason.NOT_READY,
                "channel header not ready yet: formatVersion=0, file=" + file);
        }
        if (FORMAT_VERSION != formatVersion)
        {
            throw new ChannelException(ChannelException.Reason.INCOMPATIBLE_VERSION, "incompatible version: " +
                "expected=" + FORMAT_VERSION + ", actual=" + formatVersion + ", file=" + file);
        }

        final ChannelHeaderDecoder decoder = new ChannelHeaderDecoder().wrap(
            header, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
        checkField("headerLength", HEADER_LENGTH, decoder.headerLength(), file);
        checkField("recordAlignment", RecordDescriptor.ALIGNMENT, decoder.recordAlignment(), file);

        try
        {
            checkCapacity(decoder.capacity());
            checkMaxRecordLength(decoder.maxRecordLength(), decoder.capacity());
            checkTimeout(decoder.timeoutMs());
        }
        catch (final ChannelException ex)
        {
            throw new ChannelException(ex.reason(), ex.getMessage() + ", file=" + file, ex);
        }

        final long expectedLength = fileLength(decoder.capacity());
        if (fileLength < expectedLength)
        {
            throw new ChannelException(ChannelException.Reason.TRUNCATED, "channel file truncated: expected length>=" +
                expectedLength + ", actual=" + fileLength + ", file=" + file);
        }

        return decoder;
    }

    private static void checkField(final String name, final long expected, final long actual, final Path file)
    {
        if (expected != actual)
        {
            throw new ChannelException(ChannelException.Reason.BAD_HEADER,
                "bad " + name + ": expected=" + expected + ", actual=" + actual + ", file=" + file);
        }
    }

    private static String printable(final String text)
    {
        final StringBuilder builder = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            builder.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return builder.toString();
    }

    /**
     * Load the format version with acquire semantics: 0 means the header is not ready.
     *
     * @param buffer over the file.
     * @return the format version.
     */
    public static int formatVersionAcquire(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getIntAcquire(FORMAT_VERSION_OFFSET));
    }

    /**
     * Store the format version with release semantics, publishing a header written before it.
     *
     * @param buffer        over the file.
     * @param formatVersion to store.
     */
    public static void formatVersionRelease(final AtomicBuffer buffer, final int formatVersion)
    {
        buffer.putIntRelease(FORMAT_VERSION_OFFSET, littleEndian(formatVersion));
    }

    /**
     * Load the writer's process id with acquire semantics: negative, minus the resumer's pid, while a resumer takes
     * the channel over.
     *
     * @param buffer over the file.
     * @return the writer's pid.
     */
    public static long writerPidAcquire(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getLongAcquire(WRITER_PID_OFFSET));
    }

    /**
     * Store the writer's process id with release semantics, publishing its start time stored before it.
     *
     * @param buffer    over the file.
     * @param writerPid to store.
     */
    public static void writerPidRelease(final AtomicBuffer buffer, final long writerPid)
    {
        buffer.putLongRelease(WRITER_PID_OFFSET, littleEndian(writerPid));
    }

    /**
     * Swap the writer's process id atomically: of several writers resuming a channel, exactly one succeeds.
     *
     * @param buffer            over the file, mapped read-write.
     * @param expectedWriterPid the pid the caller saw.
     * @param writerPid         to store.
     * @return true when this caller stored it.
     */
    public static boolean writerPidCompareAndSet(
        final AtomicBuffer buffer, final long expectedWriterPid, final long writerPid)
    {
        return buffer.compareAndSetLong(
            WRITER_PID_OFFSET, littleEndian(expectedWriterPid), littleEndian(writerPid));
    }

    /**
     * Load the writer's heartbeat with acquire semantics.
     *
     * @param buffer over the file.
     * @return the heartbeat time in epoch milliseconds.
     */
    public static long heartbeatTimeMsAcquire(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getLongAcquire(HEARTBEAT_TIME_OFFSET));
    }

    /**
     * Store the writer's heartbeat with release semantics.
     *
     * @param buffer          over the file.
     * @param heartbeatTimeMs in epoch milliseconds.
     */
    public static void heartbeatTimeMsRelease(final AtomicBuffer buffer, final long heartbeatTimeMs)
    {
        buffer.putLongRelease(HEARTBEAT_TIME_OFFSET, littleEndian(heartbeatTimeMs));
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

    private static String hexHalf(final int half)
    {
        final String hex = String.format("%08x", half);
        return hex.substring(0, 4) + '_' + hex.substring(4);
    }
}
