package org.kekbit.journal;

import java.nio.file.Path;

import org.agrona.BitUtil;
import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.RecordDescriptor;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of a journal: a folder of segments, each an ordinary channel file, and one file of named reader positions.
 * <pre>
 *  journal folder/
 *    00000000000000000000.kekbit      segment at journal position 0          (sealed: ends with ROLLED)
 *    00000000000000004096.kekbit      segment at journal position 4096       (sealed)
 *    00000000000000008192.kekbit      segment being written                   (no end marker yet)
 *    00000000000000012288.kekbit      the standby: next segment linked ahead  (formatVersion 0, not ready)
 *    next-00000000000000016384.kekbit a next segment being made, before it is linked on standby
 *    recycle-00000000000000000000.kekbit a retired segment kept for re-use (recycling journals only)
 *    readers.positions                named readers' slots
 *    readers.segments                 the segment each named reader maps (recycling journals only)
 * </pre>
 * Every segment has the same capacity, a power of two fixed for the journal's life, and is named by its base
 * journal position in 20 zero-padded decimal digits (Kafka's width) and the channel suffix. A journal position is
 * 64-bit: the segment's base plus the channel position inside it. So the base of the segment holding a position is
 * {@code position & ~(capacity - 1)} and the offset inside it {@code position & (capacity - 1)}, Aeron's term
 * arithmetic; the channel id in each segment's header is its base position.
 * <p>
 * <b>Journal format version.</b> Every segment's channel header carries the version of the journal format it was
 * written in ({@link #JOURNAL_FORMAT_VERSION}, in the header field {@code journalFormatVersion}); 0 is a segment made
 * before journal format versions existed, read as version 1. A change to the journal's files that a reader of the
 * previous version could misread bumps it, and every place that opens a segment refuses a version above the one it
 * knows ({@link #checkJournalFormatVersion(int, Path)}), rather than misreading it.
 * <p>
 * <b>Roll rule.</b> Records never straddle segments. A record whose aligned length does not fit in what is left of
 * the current segment goes to the next segment, at offset 0; the writer first makes the next segment visible under
 * its name (a hard link of a file it created, allocated and pre-touched beforehand), then leaves a ROLLED end marker
 * ({@link RecordDescriptor#ROLLED_MSG_TYPE_ID}) after the last record of the current one, in the segment's trailer
 * when the records fill it exactly. The bytes between the marker and the end of the segment are never written: the
 * journal positions there are skipped, so journal positions increase but are not contiguous across a roll. A
 * position equal to a segment's end is the same number as the next segment's base, and both denote the same place
 * in the stream.
 * <p>
 * <b>Reader positions file</b> ({@link #POSITIONS_FILE_NAME}), all fields little endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  Signature "*KEKPOS*" (8 bytes)               |
 *  +---------------------------------------------------------------+
 *  |        Format Version (stored last, 0 while written)          |
 *  +---------------------------------------------------------------+
 *  |                          Slot Count                           |
 *  +---------------------------------------------------------------+
 *  |                          Slot Length                          |
 *  +---------------------------------------------------------------+
 *  |       Recycling (4): 1 while the writer recycles segments     |
 *  +---------------------------------------------------------------+
 *  |                   Reserved up to 64 bytes                    ...
 *  +---------------------------------------------------------------+
 *  |                 Slot 0 .. Slot Count - 1                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Each slot, {@link #SLOT_LENGTH} bytes, one named reader:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |   Owner Pid (8): 0 free, -pid while claimed, pid when held    |
 *  +---------------------------------------------------------------+
 *  |                      Owner Start Ticks (8)                    |
 *  +---------------------------------------------------------------+
 *  |                      Owner Namespace Id (8)                   |
 *  +---------------------------------------------------------------+
 *  |                      Heartbeat Time Ms (8)                    |
 *  +---------------------------------------------------------------+
 *  |       Committed Position (8), -1 when nothing committed       |
 *  +---------------------------------------------------------------+
 *  |                        Commit Time Ms (8)                     |
 *  +---------------------------------------------------------------+
 *  |        Flags (4): bit 0 protects retention                    |
 *  +---------------------------------------------------------------+
 *  |        Name Length (4): 0 for an unused slot, stored last     |
 *  +---------------------------------------------------------------+
 *  |             Name, US-ASCII, up to 72 bytes                   ...
 *  +---------------------------------------------------------------+
 * </pre>
 * <b>Recycling</b> ({@link #READING_SEGMENTS_FILE_NAME}): a journal whose writer re-uses retired segments holds
 * this file, and only named readers may read it. Each named reader stores the base of the lowest segment it may map
 * in its slot's entry before it opens that segment; the writer renames a retired segment to its
 * {@link #RECYCLE_PREFIX} name, then re-uses it only when no live reader's entry is at or below its base (else it
 * deletes it, which is always safe for a mapping). All fields little endian:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                  Signature "*KEKSEG*" (8 bytes)               |
 *  +---------------------------------------------------------------+
 *  |  Format Version (4, stored last)  |      Slot Count (4)       |
 *  +---------------------------------------------------------------+
 *  |                   Reserved up to 64 bytes                    ...
 *  +---------------------------------------------------------------+
 *  |  Slot i: lowest segment base the reader may map (8): -1 any,  |
 *  |          Long.MAX_VALUE none                                 ...
 *  +---------------------------------------------------------------+
 * </pre>
 * <b>Seal</b>, left at the end of a segment's data region with its ROLLED marker
 * ({@link org.kekbit.channel.ChannelWriter#roll(org.agrona.DirectBuffer, int, int)}), so a sealed segment can be
 * searched without scanning it; all fields little endian, {@link #SEAL_LENGTH} bytes and the marker's position:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |   Seal Version (4), 1      |   Seal Length (4), 56            |
 *  +---------------------------------------------------------------+
 *  |                       Record Count (8)                        |
 *  +---------------------------------------------------------------+
 *  |           First Sequence (8), NULL_VALUE when unknown         |
 *  +---------------------------------------------------------------+
 *  |                       Last Sequence (8)                       |
 *  +---------------------------------------------------------------+
 *  |                    First Timestamp Ns (8)                     |
 *  +---------------------------------------------------------------+
 *  |                     Last Timestamp Ns (8)                     |
 *  +---------------------------------------------------------------+
 *  |                        Roll Time Ms (8)                       |
 *  +---------------------------------------------------------------+
 *  |        ROLLED marker's position (8), stored by the channel    |
 *  +---------------------------------------------------------------+
 * </pre>
 * <b>Index file</b> ({@link #INDEX_FILE_NAME}), derived from the segments by a {@link JournalIndexer}, rebuildable at
 * any time; all fields little endian:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                  Signature "*KEKIDX*" (8 bytes)               |
 *  +---------------------------------------------------------------+
 *  |  Format Version (4, stored last)  |   Entry Length (4), 32    |
 *  +---------------------------------------------------------------+
 *  |  Sequence Offset (4), -1 none     |  Timestamp Offset (4)     |
 *  +---------------------------------------------------------------+
 *  |  Interval Bytes (4)               |  Reserved (4)             |
 *  +---------------------------------------------------------------+
 *  |                      Segment Capacity (8)                     |
 *  +---------------------------------------------------------------+
 *  |        Indexed Position (8): entries are complete up to it    |
 *  +---------------------------------------------------------------+
 *  |               Entry Count (8), stored with release            |
 *  +---------------------------------------------------------------+
 *  |                   Reserved up to 64 bytes                    ...
 *  +---------------------------------------------------------------+
 *  |  Entry i: Position (8) | Sequence (8) | Timestamp Ns (8) | 0  ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class JournalDescriptor
{
    /**
     * Version of the journal format this library writes into every segment's header, and the highest it reads.
     */
    public static final int JOURNAL_FORMAT_VERSION = 1;

    /**
     * Suffix of a segment's file name: the channel suffix.
     */
    public static final String SEGMENT_SUFFIX = ChannelDescriptor.FILE_SUFFIX;

    /**
     * Digits of the base position in a segment's file name.
     */
    public static final int SEGMENT_NAME_DIGITS = 20;

    /**
     * Prefix of the name the next segment is created under before it is linked on standby under its segment name:
     * no reader takes a file so named for a segment.
     */
    public static final String NEXT_SEGMENT_PREFIX = "next-";

    /**
     * Prefix of the name a retired segment is renamed to when the writer recycles segments: no reader takes a file
     * so named, and the segment creator turns it into the next segment.
     */
    public static final String RECYCLE_PREFIX = "recycle-";

    /**
     * Name of the file a journal's mirror makes ahead of need, a step per duty cycle, to become its next segment at
     * the leader's roll: not a segment.
     */
    public static final String SPARE_SEGMENT_NAME = "spare.kekbit-next";

    /**
     * Name of the file, in a journal that recycles its segments, where each named reader says which segments it may
     * map; its presence tells unnamed readers that they may not read the journal.
     */
    public static final String READING_SEGMENTS_FILE_NAME = "readers.segments";

    /**
     * Signature of the reading segments file.
     */
    public static final String READING_SEGMENTS_SIGNATURE = "*KEKSEG*";

    /**
     * Format version of the reading segments file.
     */
    public static final int READING_SEGMENTS_FORMAT_VERSION = 1;

    /**
     * Offset of the format version in the reading segments file.
     */
    public static final int READING_SEGMENTS_FORMAT_VERSION_OFFSET = READING_SEGMENTS_SIGNATURE.length();

    /**
     * Offset of the slot count in the reading segments file.
     */
    public static final int READING_SEGMENTS_SLOT_COUNT_OFFSET = READING_SEGMENTS_FORMAT_VERSION_OFFSET + SIZE_OF_INT;

    /**
     * Length of the reading segments file's header.
     */
    public static final int READING_SEGMENTS_HEADER_LENGTH = BitUtil.CACHE_LINE_LENGTH;

    /**
     * A reader's entry when it may map any segment: the value it holds between claiming its slot and opening one.
     */
    public static final long READING_ANY_SEGMENT = -1;

    /**
     * A reader's entry when it maps no segment.
     */
    public static final long READING_NO_SEGMENT = Long.MAX_VALUE;

    /**
     * Smallest segment capacity: the smallest power of two a channel may have.
     */
    public static final int MIN_SEGMENT_CAPACITY = 64;

    /**
     * Largest segment capacity: the largest power of two a channel may have.
     */
    public static final int MAX_SEGMENT_CAPACITY = 1 << 30;

    /**
     * Name of the named readers' positions file in the journal folder.
     */
    public static final String POSITIONS_FILE_NAME = "readers.positions";

    /**
     * Signature at the start of the positions file.
     */
    public static final String POSITIONS_SIGNATURE = "*KEKPOS*";

    /**
     * Format version of the positions file.
     */
    public static final int POSITIONS_FORMAT_VERSION = 1;

    /**
     * Offset of the format version in the positions file.
     */
    public static final int POSITIONS_FORMAT_VERSION_OFFSET = POSITIONS_SIGNATURE.length();

    /**
     * Offset of the slot count in the positions file.
     */
    public static final int POSITIONS_SLOT_COUNT_OFFSET = POSITIONS_FORMAT_VERSION_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the slot length in the positions file.
     */
    public static final int POSITIONS_SLOT_LENGTH_OFFSET = POSITIONS_SLOT_COUNT_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the recycling flag in the positions file (reserved, so 0, in files of writers that never recycled):
     * 1 while the journal's writer recycles its segments, so that named readers find the reading segments file with
     * a load of their mapping instead of a system call at each segment.
     */
    public static final int POSITIONS_RECYCLING_OFFSET = POSITIONS_SLOT_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Length of the positions file's header; the slots follow it.
     */
    public static final int POSITIONS_HEADER_LENGTH = BitUtil.CACHE_LINE_LENGTH;

    /**
     * Offset of the owner's pid in a slot.
     */
    public static final int SLOT_OWNER_PID_OFFSET = 0;

    /**
     * Offset of the owner's start ticks in a slot.
     */
    public static final int SLOT_OWNER_START_TICKS_OFFSET = SLOT_OWNER_PID_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the owner's namespace id in a slot.
     */
    public static final int SLOT_OWNER_NAMESPACE_ID_OFFSET = SLOT_OWNER_START_TICKS_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the owner's heartbeat in a slot.
     */
    public static final int SLOT_HEARTBEAT_TIME_OFFSET = SLOT_OWNER_NAMESPACE_ID_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the committed position in a slot.
     */
    public static final int SLOT_POSITION_OFFSET = SLOT_HEARTBEAT_TIME_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the commit time in a slot.
     */
    public static final int SLOT_COMMIT_TIME_OFFSET = SLOT_POSITION_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the flags in a slot.
     */
    public static final int SLOT_FLAGS_OFFSET = SLOT_COMMIT_TIME_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the name's length in a slot.
     */
    public static final int SLOT_NAME_LENGTH_OFFSET = SLOT_FLAGS_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the name in a slot.
     */
    public static final int SLOT_NAME_OFFSET = SLOT_NAME_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Length of a slot: two cache lines, so readers committing in different slots do not share a line.
     */
    public static final int SLOT_LENGTH = 2 * BitUtil.CACHE_LINE_LENGTH;

    /**
     * Longest name of a named reader, in bytes.
     */
    public static final int MAX_NAME_LENGTH = SLOT_LENGTH - SLOT_NAME_OFFSET;

    /**
     * Slots in a positions file: the most named readers a journal has.
     */
    public static final int SLOT_COUNT = 64;

    /**
     * Flag of a slot whose reader protects retention.
     */
    public static final int FLAG_PROTECTS_RETENTION = 1;

    /**
     * Committed position of a slot with nothing committed.
     */
    public static final long NULL_POSITION = -1;

    /**
     * Value of a seal or index field that is not known (no record, or no stage at the configured offset).
     */
    public static final long NULL_VALUE = Long.MIN_VALUE;

    /**
     * Version of the seal this library writes; a reader takes the fields it knows from any version at least 1.
     */
    public static final int SEAL_VERSION = 1;

    /**
     * Offset of the version in a seal.
     */
    public static final int SEAL_VERSION_OFFSET = 0;

    /**
     * Offset of the seal's length in a seal.
     */
    public static final int SEAL_LENGTH_OFFSET = SEAL_VERSION_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the record count in a seal.
     */
    public static final int SEAL_RECORD_COUNT_OFFSET = SEAL_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the first record's sequence in a seal.
     */
    public static final int SEAL_FIRST_SEQUENCE_OFFSET = SEAL_RECORD_COUNT_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the last record's sequence in a seal.
     */
    public static final int SEAL_LAST_SEQUENCE_OFFSET = SEAL_FIRST_SEQUENCE_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the first record's timestamp in a seal.
     */
    public static final int SEAL_FIRST_TIMESTAMP_OFFSET = SEAL_LAST_SEQUENCE_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the last record's timestamp in a seal.
     */
    public static final int SEAL_LAST_TIMESTAMP_OFFSET = SEAL_FIRST_TIMESTAMP_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the roll time in a seal.
     */
    public static final int SEAL_ROLL_TIME_OFFSET = SEAL_LAST_TIMESTAMP_OFFSET + SIZE_OF_LONG;

    /**
     * Length of the seal's fields; the channel stores the marker's position after them.
     */
    public static final int SEAL_LENGTH = SEAL_ROLL_TIME_OFFSET + SIZE_OF_LONG;

    /**
     * Bytes a writer keeps free at the end of a segment for the seal: its fields and the marker's position.
     */
    public static final int SEAL_REGION_LENGTH = SEAL_LENGTH + SIZE_OF_LONG;

    /**
     * Bytes a writer keeps free after the records of a segment that holds more than one: the ROLLED marker and the
     * seal region, so every such segment is sealed.
     */
    public static final int ROLL_RESERVE_LENGTH = RecordDescriptor.HEADER_LENGTH + SEAL_REGION_LENGTH;

    /**
     * Name of the index file in the journal folder.
     */
    public static final String INDEX_FILE_NAME = "journal.index";

    /**
     * Name of the empty file whose lock (fcntl, released by the OS when its holder dies) the one indexer of a
     * journal holds while it runs.
     */
    public static final String INDEX_LOCK_FILE_NAME = "journal.index.lock";

    /**
     * Name the indexer writes a compacted index under before it renames it over {@link #INDEX_FILE_NAME}.
     */
    public static final String INDEX_TEMP_FILE_NAME = "journal.index.tmp";

    /**
     * Signature at the start of the index file.
     */
    public static final String INDEX_SIGNATURE = "*KEKIDX*";

    /**
     * Format version of the index file.
     */
    public static final int INDEX_FORMAT_VERSION = 1;

    /**
     * Offset of the format version in the index file.
     */
    public static final int INDEX_FORMAT_VERSION_OFFSET = INDEX_SIGNATURE.length();

    /**
     * Offset of the entry length in the index file.
     */
    public static final int INDEX_ENTRY_LENGTH_OFFSET = INDEX_FORMAT_VERSION_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the payload offset of the sequence in the index file.
     */
    public static final int INDEX_SEQUENCE_OFFSET_OFFSET = INDEX_ENTRY_LENGTH_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the payload offset of the timestamp in the index file.
     */
    public static final int INDEX_TIMESTAMP_OFFSET_OFFSET = INDEX_SEQUENCE_OFFSET_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the interval between entries in the index file.
     */
    public static final int INDEX_INTERVAL_OFFSET = INDEX_TIMESTAMP_OFFSET_OFFSET + SIZE_OF_INT;

    /**
     * Offset of the segment capacity in the index file.
     */
    public static final int INDEX_SEGMENT_CAPACITY_OFFSET = INDEX_INTERVAL_OFFSET + 2 * SIZE_OF_INT;

    /**
     * Offset of the position up to which the index is complete.
     */
    public static final int INDEX_INDEXED_POSITION_OFFSET = INDEX_SEGMENT_CAPACITY_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the entry count in the index file.
     */
    public static final int INDEX_ENTRY_COUNT_OFFSET = INDEX_INDEXED_POSITION_OFFSET + SIZE_OF_LONG;

    /**
     * Length of the index file's header; the entries follow it.
     */
    public static final int INDEX_HEADER_LENGTH = BitUtil.CACHE_LINE_LENGTH;

    /**
     * Offset of the record's journal position in an index entry.
     */
    public static final int ENTRY_POSITION_OFFSET = 0;

    /**
     * Offset of the record's sequence in an index entry.
     */
    public static final int ENTRY_SEQUENCE_OFFSET = ENTRY_POSITION_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the record's timestamp in an index entry.
     */
    public static final int ENTRY_TIMESTAMP_OFFSET = ENTRY_SEQUENCE_OFFSET + SIZE_OF_LONG;

    /**
     * Length of an index entry.
     */
    public static final int INDEX_ENTRY_LENGTH = 4 * SIZE_OF_LONG;

    private JournalDescriptor()
    {
    }

    /**
     * Offset of an entry in the index file.
     *
     * @param entry index.
     * @return the offset.
     */
    public static long indexEntryOffset(final long entry)
    {
        return INDEX_HEADER_LENGTH + entry * INDEX_ENTRY_LENGTH;
    }

    /**
     * Check a segment capacity: a power of two from {@link #MIN_SEGMENT_CAPACITY} to {@link #MAX_SEGMENT_CAPACITY}.
     *
     * @param segmentCapacity to check.
     * @throws ChannelException with {@link ChannelException.Reason#BAD_CAPACITY} when it is not.
     */
    public static void checkSegmentCapacity(final long segmentCapacity)
    {
        if (segmentCapacity < MIN_SEGMENT_CAPACITY || segmentCapacity > MAX_SEGMENT_CAPACITY ||
            !BitUtil.isPowerOfTwo(segmentCapacity))
        {
            throw new ChannelException(ChannelException.Reason.BAD_CAPACITY,
                "segment capacity must be a power of two in " + MIN_SEGMENT_CAPACITY + ".." + MAX_SEGMENT_CAPACITY +
                ": segmentCapacity=" + segmentCapacity);
        }
    }

    /**
     * Check a segment's journal format version is one this library reads: 0 (a segment made before journal format
     * versions existed) up to {@link #JOURNAL_FORMAT_VERSION}. Cold path: once per segment opened.
     *
     * @param journalFormatVersion from the segment's header.
     * @param segment              the header was read from, named in the message.
     * @throws ChannelException with {@link ChannelException.Reason#INCOMPATIBLE_VERSION} when it is not.
     */
    public static void checkJournalFormatVersion(final int journalFormatVersion, final Path segment)
    {
        if (journalFormatVersion < 0 || journalFormatVersion > JOURNAL_FORMAT_VERSION)
        {
            throw new ChannelException(ChannelException.Reason.INCOMPATIBLE_VERSION,
                "incompatible journal format version: expected 0.." + JOURNAL_FORMAT_VERSION + ", actual=" +
                journalFormatVersion + (journalFormatVersion > JOURNAL_FORMAT_VERSION ?
                " (a later journal format: upgrade kekbit to read it)" : "") + ", file=" + segment);
        }
    }

    /**
     * Check a maximum record length lets a record of that length fit an empty segment.
     *
     * @param maxRecordLength to check.
     * @param segmentCapacity of the journal.
     * @throws ChannelException with {@link ChannelException.Reason#BAD_MAX_RECORD_LENGTH} when it does not.
     */
    public static void checkMaxRecordLength(final int maxRecordLength, final long segmentCapacity)
    {
        ChannelDescriptor.checkMaxRecordLength(maxRecordLength, segmentCapacity);
    }

    /**
     * Base position of the segment holding a journal position.
     *
     * @param position        in the journal.
     * @param segmentCapacity of the journal, a power of two.
     * @return the segment's base position.
     */
    public static long segmentBase(final long position, final long segmentCapacity)
    {
        return position & ~(segmentCapacity - 1);
    }

    /**
     * Offset of a journal position inside its segment: the channel position there.
     *
     * @param position        in the journal.
     * @param segmentCapacity of the journal, a power of two.
     * @return the offset in the segment.
     */
    public static int segmentOffset(final long position, final long segmentCapacity)
    {
        return (int)(position & (segmentCapacity - 1));
    }

    /**
     * Index of a segment, counted from the journal's first: its base over the capacity, a shift.
     *
     * @param position        in the journal.
     * @param segmentCapacity of the journal, a power of two.
     * @return the segment's index.
     */
    public static long segmentIndex(final long position, final long segmentCapacity)
    {
        return position >>> Long.numberOfTrailingZeros(segmentCapacity);
    }

    /**
     * File name of the segment at a base position: 20 zero-padded digits and the channel suffix.
     *
     * @param basePosition of the segment, not negative.
     * @return the file name.
     */
    public static String segmentFileName(final long basePosition)
    {
        final String digits = Long.toString(basePosition);
        final StringBuilder name = new StringBuilder(SEGMENT_NAME_DIGITS + SEGMENT_SUFFIX.length());
        for (int i = digits.length(); i < SEGMENT_NAME_DIGITS; i++)
        {
            name.append('0');
        }
        return name.append(digits).append(SEGMENT_SUFFIX).toString();
    }

    /**
     * Path of the segment at a base position.
     *
     * @param folder       of the journal.
     * @param basePosition of the segment.
     * @return the path.
     */
    public static Path segmentPath(final Path folder, final long basePosition)
    {
        return folder.resolve(segmentFileName(basePosition));
    }

    /**
     * Path the next segment is created under before it is linked on standby to {@link #segmentPath(Path, long)}.
     *
     * @param folder       of the journal.
     * @param basePosition of the segment.
     * @return the path.
     */
    public static Path nextSegmentPath(final Path folder, final long basePosition)
    {
        return folder.resolve(NEXT_SEGMENT_PREFIX + segmentFileName(basePosition));
    }

    /**
     * Path a retired segment is renamed to when the writer recycles it.
     *
     * @param folder       of the journal.
     * @param basePosition of the retired segment.
     * @return the path.
     */
    public static Path recyclePath(final Path folder, final long basePosition)
    {
        return folder.resolve(RECYCLE_PREFIX + segmentFileName(basePosition));
    }

    /**
     * Length of the reading segments file.
     *
     * @return the length in bytes.
     */
    public static int readingSegmentsFileLength()
    {
        return READING_SEGMENTS_HEADER_LENGTH + SLOT_COUNT * SIZE_OF_LONG;
    }

    /**
     * Offset of a slot's entry in the reading segments file.
     *
     * @param slot index, the same as in the positions file.
     * @return the offset.
     */
    public static int readingSegmentOffset(final int slot)
    {
        return READING_SEGMENTS_HEADER_LENGTH + slot * SIZE_OF_LONG;
    }

    /**
     * Leave out the standby successor, the next segment a writer links ahead of its roll and has not activated yet:
     * it holds nothing of the journal. The one rule for every listing of a journal's segments. Reads the last
     * segment's header: never on a hot path.
     *
     * @param folder of the journal.
     * @param bases  of the segment files in the folder, in ascending order; the last is removed when on standby.
     */
    public static void dropStandbySuccessor(final Path folder, final LongArrayList bases)
    {
        final int last = bases.size() - 1;
        // A standby is never the first: retention never deletes the writer's segment before it.
        if (last > 0 && ChannelReader.isOnStandby(segmentPath(folder, bases.getLong(last))))
        {
            bases.removeAt(last);
        }
    }

    /**
     * Base position a segment's file name gives.
     *
     * @param fileName to parse.
     * @return the base position, or -1 when the name is not exactly a segment's.
     */
    public static long parseSegmentBase(final String fileName)
    {
        if (fileName.length() != SEGMENT_NAME_DIGITS + SEGMENT_SUFFIX.length() || !fileName.endsWith(SEGMENT_SUFFIX))
        {
            return -1;
        }
        long base = 0;
        for (int i = 0; i < SEGMENT_NAME_DIGITS; i++)
        {
            final char c = fileName.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            base = base * 10 + (c - '0');
            if (base < 0)
            {
                return -1;
            }
        }
        return base;
    }

    /**
     * Length of the positions file.
     *
     * @return the length in bytes.
     */
    public static int positionsFileLength()
    {
        return POSITIONS_HEADER_LENGTH + SLOT_COUNT * SLOT_LENGTH;
    }

    /**
     * Offset of a slot in the positions file.
     *
     * @param slot index.
     * @return the offset.
     */
    public static int slotOffset(final int slot)
    {
        return POSITIONS_HEADER_LENGTH + slot * SLOT_LENGTH;
    }
}
