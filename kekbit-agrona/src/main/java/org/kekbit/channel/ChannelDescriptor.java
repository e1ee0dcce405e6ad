package org.kekbit.channel;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.kekbit.channel.RecordDescriptor.littleEndian;

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
 *  |     Writer Pid (minus the resumer's pid during a take-over)   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |       Writer Start Ticks (clock ticks since boot, Linux)      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Heartbeat Time Ms (kept fresh by the writer)         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |     Writer Namespace Id (boot id XOR pid namespace inode)     |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |      Journal Format Version (0 when no journal's segment)     |
 *  +---------------------------------------------------------------+
 *  |                 Reserved up to 128 bytes                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 * The offsets come from the generated codec; none is defined here. A header is trusted only once its format
 * version is non-zero: the writer stores it last with release semantics and readers load it with acquire semantics
 * before they decode anything else. Writer pid, start ticks and namespace id describe the writer's process and are
 * read as one triple; {@link WriterLiveness} owns that protocol and every judgement of the writer's liveness. The
 * journal format version is written with the other fields before the format version is published and never changes;
 * a channel reader ignores it, and a journal's readers refuse a value above the one they know
 * ({@code org.kekbit.journal.JournalDescriptor}).
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
    public static final int FORMAT_VERSION = 2;

    /**
     * File name suffix of a channel.
     */
    public static final String FILE_SUFFIX = ".kekbit";

    /**
     * Length of the signature.
     */
    public static final int SIGNATURE_LENGTH = ChannelHeaderDecoder.signatureLength();

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

    private static final String VALID_RECORD_ALIGNMENTS =
        "a power of two from " + RecordDescriptor.ALIGNMENT + " to " + RecordDescriptor.MAX_RECORD_ALIGNMENT;

    // The few offsets that need atomic access, from the codec: the schema is the header's only layout.
    private static final int FORMAT_VERSION_OFFSET = ChannelHeaderDecoder.formatVersionEncodingOffset();
    private static final int WRITER_PID_OFFSET = ChannelHeaderDecoder.writerPidEncodingOffset();
    private static final int WRITER_START_TICKS_OFFSET = ChannelHeaderDecoder.writerStartTicksEncodingOffset();
    private static final int WRITER_NAMESPACE_ID_OFFSET = ChannelHeaderDecoder.writerNamespaceIdEncodingOffset();
    private static final int HEARTBEAT_TIME_OFFSET = ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset();
    private static final int JOURNAL_FORMAT_VERSION_OFFSET = ChannelHeaderDecoder.journalFormatVersionEncodingOffset();

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
     * Position in the data region of a roll seal of a given length: the seal a journal's writer may leave with the
     * ROLLED marker takes the last {@code sealLength} bytes of the data region, its last 8 bytes holding the
     * position of the marker (little endian), so a reader can check the bytes there are a seal and not a record.
     * <pre>
     *   ... records | ROLLED marker | never written | seal (sealLength - 8) | marker position (8) | trailer
     *                                               ^ rollSealPosition(capacity, sealLength)
     * </pre>
     *
     * @param capacity   of the data region.
     * @param sealLength of the seal, the marker position included, a positive multiple of
     *                   {@link RecordDescriptor#ALIGNMENT}.
     * @return the position of the seal's first byte in the data region.
     */
    public static long rollSealPosition(final long capacity, final int sealLength)
    {
        return capacity - sealLength;
    }

    /**
     * Check the length of a roll seal.
     *
     * @param sealLength to check: a positive multiple of {@link RecordDescriptor#ALIGNMENT} of at least 16.
     * @throws IllegalArgumentException when it is not.
     */
    public static void checkRollSealLength(final int sealLength)
    {
        if (sealLength < 2 * RecordDescriptor.ALIGNMENT || (sealLength & (RecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException("roll seal length must be a multiple of 8 from 16: sealLength=" +
                sealLength);
        }
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
     * Check a record alignment is a power of two from {@link RecordDescriptor#ALIGNMENT} to
     * {@link RecordDescriptor#MAX_RECORD_ALIGNMENT} and divides the capacity, so a record can end exactly at it.
     *
     * @param recordAlignment to check.
     * @param capacity        of the data region, already checked.
     * @throws ChannelException with {@link ChannelException.Reason#BAD_HEADER} when the alignment is not one, or
     *                          {@link ChannelException.Reason#BAD_CAPACITY} when it does not divide the capacity.
     */
    public static void checkRecordAlignment(final int recordAlignment, final long capacity)
    {
        if (!RecordDescriptor.isValidRecordAlignment(recordAlignment))
        {
            throw new ChannelException(ChannelException.Reason.BAD_HEADER,
                "bad recordAlignment: expected " + VALID_RECORD_ALIGNMENTS + ", actual=" + recordAlignment);
        }
        if ((capacity & (recordAlignment - 1)) != 0)
        {
            throw new ChannelException(ChannelException.Reason.BAD_CAPACITY,
                "capacity must be a multiple of the record alignment " + recordAlignment + ": actual=" + capacity);
        }
    }

    /**
     * The value of the header's {@code recordAlignmentCheck} for a record alignment: 0 for the default, so that such
     * a header is written as before the field existed, otherwise the alignment's bitwise complement. A damaged
     * alignment that is still a power of two would have readers take bytes inside records for headers: the check
     * makes any one damaged field refused.
     *
     * @param recordAlignment of the channel.
     * @return the check value.
     */
    public static int recordAlignmentCheck(final int recordAlignment)
    {
        return RecordDescriptor.ALIGNMENT == recordAlignment ? 0 : ~recordAlignment;
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
        return checkHeader(file, header, fileLength, false);
    }

    /**
     * Check a channel header as {@link #checkHeader(Path, UnsafeBuffer, long)} does, taking a header whose
     * {@code formatVersion} is still 0 for one of this version when {@code isStandbyAccepted}: a channel on standby
     * ({@link ChannelWriter.Context#standby(boolean)}) has every other field written before it is linked.
     *
     * @param file              the header was read from, named in messages.
     * @param header            the bytes read from the start of the file, at most {@link #HEADER_LENGTH} of them.
     * @param fileLength        of the file.
     * @param isStandbyAccepted true to accept a header on standby.
     * @return a decoder wrapped around the header.
     * @throws ChannelException naming the cause and the expected and actual values.
     */
    public static ChannelHeaderDecoder checkHeader(
        final Path file, final UnsafeBuffer header, final long fileLength, final boolean isStandbyAccepted)
    {
        final int length = header.capacity();
        final byte[] signature = new byte[SIGNATURE_LENGTH];
        header.getBytes(ChannelHeaderDecoder.signatureEncodingOffset(), signature, 0,
            Math.min(length, signature.length));
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
        if (0 == formatVersion && !isStandbyAccepted)
        {
            throw new ChannelException(ChannelException.Reason.NOT_READY,
                "channel header not ready yet: formatVersion=0, file=" + file);
        }
        if (FORMAT_VERSION != formatVersion && 0 != formatVersion)
        {
            throw new ChannelException(ChannelException.Reason.INCOMPATIBLE_VERSION, "incompatible version: " +
                "expected=" + FORMAT_VERSION + ", actual=" + formatVersion + ", file=" + file);
        }

        final ChannelHeaderDecoder decoder = new ChannelHeaderDecoder().wrap(
            header, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
        checkField("headerLength", HEADER_LENGTH, decoder.headerLength(), file);

        final int recordAlignment = decoder.recordAlignment();
        if (!RecordDescriptor.isValidRecordAlignment(recordAlignment) ||
            recordAlignmentCheck(recordAlignment) != decoder.recordAlignmentCheck())
        {
            throw new ChannelException(ChannelException.Reason.BAD_HEADER, "bad recordAlignment: expected " +
                VALID_RECORD_ALIGNMENTS + " that recordAlignmentCheck=" + decoder.recordAlignmentCheck() +
                " confirms, actual=" + recordAlignment + ", file=" + file);
        }

        try
        {
            checkCapacity(decoder.capacity());
            checkRecordAlignment(decoder.recordAlignment(), decoder.capacity());
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
     * The journal format version of a channel header held in a buffer: the version of the journal format a journal's
     * segment was written in, 0 for a channel that is no journal's segment (or a segment made before journal format
     * versions existed). Immutable once the header is ready, so a plain load after the format version's acquire.
     *
     * @param header holding a channel header, a ready one or a copy of one.
     * @param offset of the header in the buffer.
     * @return the journal format version.
     */
    public static int journalFormatVersion(final DirectBuffer header, final int offset)
    {
        return header.getInt(offset + JOURNAL_FORMAT_VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN);
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
     * Store the format version with release semantics, publishing a header written before it.
     */
    static void formatVersionRelease(final AtomicBuffer buffer, final int formatVersion)
    {
        buffer.putIntRelease(FORMAT_VERSION_OFFSET, littleEndian(formatVersion));
    }

    /**
     * Take the cache line of the format version exclusively without changing it: a compare-and-set of a standby's 0 to
     * 0, ahead of the activation's store (see {@link ChannelWriter#prepareToRoll()}).
     */
    static void ownStandbyFormatVersionLine(final AtomicBuffer buffer)
    {
        buffer.compareAndSetInt(FORMAT_VERSION_OFFSET, 0, 0);
    }

    /**
     * Load the writer's process id with acquire semantics: negative, minus the resumer's pid, while a resumer takes
     * the channel over. Loaded before and after the start ticks and namespace id it publishes, to read them as a
     * pair (see {@link WriterLiveness}).
     */
    static long writerPidAcquire(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getLongAcquire(WRITER_PID_OFFSET));
    }

    /**
     * Load the writer's process id without ordering: the writer's own check that nobody took its channel over.
     */
    static long writerPid(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getLong(WRITER_PID_OFFSET));
    }

    /**
     * Swap the writer's process id atomically (a full fence): of several resumers exactly one succeeds, and the
     * final swap publishes the start ticks and namespace id stored before it.
     */
    static boolean writerPidCompareAndSet(final AtomicBuffer buffer, final long expectedWriterPid, final long writerPid)
    {
        return buffer.compareAndSetLong(WRITER_PID_OFFSET, littleEndian(expectedWriterPid), littleEndian(writerPid));
    }

    /**
     * Load the start ticks of the writer's process with acquire semantics.
     */
    static long writerStartTicksAcquire(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getLongAcquire(WRITER_START_TICKS_OFFSET));
    }

    /**
     * Load the writer's namespace id with acquire semantics.
     */
    static long writerNamespaceIdAcquire(final AtomicBuffer buffer)
    {
        return littleEndian(buffer.getLongAcquire(WRITER_NAMESPACE_ID_OFFSET));
    }

    /**
     * Store the writer's process identity while its pid is the take-over mark: ordered before the pid's final
     * compare-and-set.
     */
    static void writerProcessOrdered(final AtomicBuffer buffer, final long startTicks, final long namespaceId)
    {
        buffer.putLongRelease(WRITER_START_TICKS_OFFSET, littleEndian(startTicks));
        buffer.putLongRelease(WRITER_NAMESPACE_ID_OFFSET, littleEndian(namespaceId));
    }

    /**
     * Store the writer's heartbeat with release semantics.
     */
    static void heartbeatTimeMsRelease(final AtomicBuffer buffer, final long heartbeatTimeMs)
    {
        buffer.putLongRelease(HEARTBEAT_TIME_OFFSET, littleEndian(heartbeatTimeMs));
    }

    /**
     * Swap the writer's heartbeat atomically: for a {@link ChannelCut} that gives a channel back, putting back the
     * heartbeat its take-over stamped unless someone stamped another since.
     */
    static boolean heartbeatTimeMsCompareAndSet(
        final AtomicBuffer buffer, final long expected, final long heartbeatTimeMs)
    {
        return buffer.compareAndSetLong(HEARTBEAT_TIME_OFFSET, littleEndian(expected), littleEndian(heartbeatTimeMs));
    }

    private static String hexHalf(final int half)
    {
        final String hex = String.format("%08x", half);
        return hex.substring(0, 4) + '_' + hex.substring(4);
    }
}
