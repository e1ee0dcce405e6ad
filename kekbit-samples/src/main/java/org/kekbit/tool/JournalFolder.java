package org.kekbit.tool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalNamedReaders;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSeal;

/**
 * A journal folder as the tool sees it: its segments, by the names {@link JournalDescriptor} gives them, and the
 * checks of the chain they form. One place decides what the commands accept as a journal folder: a folder holding
 * at least one segment or a positions file, and nothing but segments, next segments created ahead of need, the
 * positions file and the temp files their creators leave for a moment.
 */
final class JournalFolder
{
    private static final int POLL_LIMIT = 4096;
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path folder;
    private final LongArrayList bases;

    private JournalFolder(final Path folder, final LongArrayList bases)
    {
        this.folder = folder;
        this.bases = bases;
    }

    /**
     * Whether a path names a folder, so that a command reads it as a journal rather than a channel file.
     */
    static boolean isFolder(final Path path)
    {
        return Files.isDirectory(path);
    }

    /**
     * List a journal folder, refusing one that is not a journal's.
     *
     * @throws ToolException with {@link KekbitTool#EXIT_USAGE} when the folder holds no segment and no positions
     *                       file, or holds a file a journal does not make.
     */
    static JournalFolder open(final Path folder)
    {
        final LongArrayList bases = new LongArrayList();
        final List<String> foreign = new ArrayList<>();
        boolean hasPositions = false;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder))
        {
            for (final Path file : files)
            {
                final String name = file.getFileName().toString();
                final long base = JournalDescriptor.parseSegmentBase(name);
                if (base >= 0 && Files.isRegularFile(file))
                {
                    bases.addLong(base);
                }
                else if (JournalDescriptor.POSITIONS_FILE_NAME.equals(name) && Files.isRegularFile(file))
                {
                    hasPositions = true;
                }
                else if (!(isTransient(name) || isIndex(name) || isRecycling(name) ||
                    JournalDescriptor.SPARE_SEGMENT_NAME.equals(name)) || !Files.isRegularFile(file))
                {
                    foreign.add(name);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        if (bases.isEmpty() && !hasPositions)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "not a journal folder: " + folder + " holds no " +
                "segment (" + JournalDescriptor.segmentFileName(0) + " and on) and no " +
                JournalDescriptor.POSITIONS_FILE_NAME);
        }
        if (!foreign.isEmpty())
        {
            foreign.sort(null);
            throw new ToolException(KekbitTool.EXIT_USAGE, "foreign file in journal folder " + folder + ": " +
                String.join(", ", foreign) + " (a journal folder holds only its segments, next-* and recycle-* " +
                "segments, " + JournalDescriptor.POSITIONS_FILE_NAME + ", " +
                JournalDescriptor.READING_SEGMENTS_FILE_NAME + ", " + JournalDescriptor.SPARE_SEGMENT_NAME + " and " +
                JournalDescriptor.INDEX_FILE_NAME + ")");
        }
        bases.sort(null);
        JournalDescriptor.dropStandbySuccessor(folder, bases);
        return new JournalFolder(folder, bases);
    }

    /**
     * What a writer that recycles its segments keeps beside them: the reading segments file (and its temp file for a
     * moment) and a retired segment kept for re-use.
     */
    private static boolean isRecycling(final String name)
    {
        if (name.startsWith(JournalDescriptor.RECYCLE_PREFIX))
        {
            return JournalDescriptor.parseSegmentBase(name.substring(JournalDescriptor.RECYCLE_PREFIX.length())) >= 0;
        }
        return JournalDescriptor.READING_SEGMENTS_FILE_NAME.equals(name) ||
            (name.startsWith(JournalDescriptor.READING_SEGMENTS_FILE_NAME + ".") && name.endsWith(TEMP_SUFFIX));
    }

    /**
     * The sparse index a {@code JournalIndexer} keeps, its lock file and the file it compacts it into.
     */
    private static boolean isIndex(final String name)
    {
        return JournalDescriptor.INDEX_FILE_NAME.equals(name) || JournalDescriptor.INDEX_LOCK_FILE_NAME.equals(name) ||
            JournalDescriptor.INDEX_TEMP_FILE_NAME.equals(name);
    }

    /**
     * A next segment created ahead of need, or a temp file a creator of a segment or the positions file is about to
     * link: present for a moment, never foreign.
     */
    private static boolean isTransient(final String name)
    {
        if (name.startsWith(JournalDescriptor.NEXT_SEGMENT_PREFIX))
        {
            final String rest = name.substring(JournalDescriptor.NEXT_SEGMENT_PREFIX.length());
            if (JournalDescriptor.parseSegmentBase(rest) >= 0)
            {
                return true;
            }
            return rest.endsWith(TEMP_SUFFIX) && isTempOfSegment(rest);
        }
        return name.endsWith(TEMP_SUFFIX) &&
            (isTempOfSegment(name) || name.startsWith(JournalDescriptor.POSITIONS_FILE_NAME + "."));
    }

    private static boolean isTempOfSegment(final String name)
    {
        final int length = JournalDescriptor.SEGMENT_NAME_DIGITS + JournalDescriptor.SEGMENT_SUFFIX.length();
        return name.length() > length && '.' == name.charAt(length) &&
            JournalDescriptor.parseSegmentBase(name.substring(0, length)) >= 0;
    }

    Path folder()
    {
        return folder;
    }

    LongArrayList bases()
    {
        return bases;
    }

    boolean isEmpty()
    {
        return bases.isEmpty();
    }

    Path segmentPath(final long base)
    {
        return JournalDescriptor.segmentPath(folder, base);
    }

    /**
     * The named readers, judged by the default heartbeat timeout of a reader.
     */
    List<JournalNamedReaders.NamedReader> namedReaders()
    {
        return JournalNamedReaders.list(folder, System.currentTimeMillis(), JournalReader.Context.DEFAULT_TIMEOUT_MS);
    }

    /**
     * Journal position after the last committed record: the last segment's base plus its end.
     */
    long endPosition()
    {
        if (bases.isEmpty())
        {
            return 0;
        }
        final long base = bases.getLong(bases.size() - 1);
        try (ChannelReader reader = JournalReader.openSegment(segmentPath(base)))
        {
            return base + reader.seekToEnd();
        }
    }

    /**
     * Records committed after a journal position: those after it in its own segment (scanned), every later sealed
     * segment's from its seal, and the last segment's (scanned). At most two segments are read through.
     *
     * @param position a reader's committed position.
     * @return the count; -1 when the position's segment is gone (the reader is truncated).
     */
    long recordsAfter(final long position)
    {
        if (bases.isEmpty())
        {
            return 0;
        }
        if (position < bases.getLong(0))
        {
            return -1;
        }
        final JournalSeal seal = new JournalSeal();
        final int last = bases.size() - 1;
        long records = 0;
        for (int i = 0; i <= last; i++)
        {
            final long base = bases.getLong(i);
            try (ChannelReader reader = JournalReader.openSegment(segmentPath(base)))
            {
                if (i < last && position >= base + reader.capacity())
                {
                    continue; // wholly before the position
                }
                if (position > base)
                {
                    reader.seek(position - base); // the position's own segment
                    records += countRecords(reader);
                }
                else if (i < last && seal.read(reader))
                {
                    records += seal.recordCount();
                }
                else
                {
                    records += countRecords(reader);
                }
            }
        }
        return records;
    }

    private static long countRecords(final ChannelReader reader)
    {
        final long[] count = new long[1];
        while (reader.poll((msgTypeId, buffer, offset, length) -> count[0]++, POLL_LIMIT) > 0)
        {
            // count every record
        }
        return count[0];
    }

    /**
     * Read every segment with every check a reader makes, and check the chain: one capacity, each segment's channel
     * id its base, contiguous bases, every segment but the last sealed with ROLLED, and each seal (where a segment
     * has one) agreeing with the records read and with the previous seal's keys.
     */
    Scan scan()
    {
        final Scan scan = new Scan();
        long expectedBase = -1;
        for (int i = 0; i < bases.size(); i++)
        {
            final long base = bases.getLong(i);
            final boolean isLast = i == bases.size() - 1;
            if (expectedBase >= 0 && base != expectedBase && null == scan.fault)
            {
                scan.fault = "missing segment in the chain: " + JournalDescriptor.segmentFileName(expectedBase) +
                    " (journal position " + expectedBase + ") between " +
                    JournalDescriptor.segmentFileName(bases.getLong(i - 1)) + " and " +
                    JournalDescriptor.segmentFileName(base);
            }
            final Segment segment = Segment.read(segmentPath(base), base);
            scan.segments.add(segment);
            scan.records += segment.records;
            scan.sealedSegments += null == segment.seal ? 0 : 1;
            scan.bytes += segment.bytes;
            if (0 == scan.segmentCapacity)
            {
                scan.segmentCapacity = segment.capacity;
            }
            expectedBase = base + scan.segmentCapacity;
            if (null == scan.fault)
            {
                scan.fault = segmentFault(scan, segment, isLast);
            }
            if (isLast)
            {
                scan.endPosition = base + segment.position;
                scan.lastState = segment.state;
            }
        }
        return scan;
    }

    private String segmentFault(final Scan scan, final Segment segment, final boolean isLast)
    {
        final String name = segment.path.getFileName().toString();
        if (ChannelState.CORRUPT == segment.state)
        {
            return "segment " + name + " corrupt: " + segment.corruption;
        }
        if (segment.capacity != scan.segmentCapacity)
        {
            return "segment " + name + " has another capacity: expected=" + scan.segmentCapacity + ", actual=" +
                segment.capacity;
        }
        if (segment.channelId != segment.base)
        {
            return "segment " + name + " is not this journal's: its channel id is not its base position: " +
                "expected=" + segment.base + ", actual=" + segment.channelId;
        }
        if (ChannelState.FULL == segment.state)
        {
            return "segment " + name + " is FULL, which a journal's writer never leaves: it rolls";
        }
        if (!isLast && ChannelState.ROLLED != segment.state)
        {
            return "segment " + name + " is not sealed with ROLLED but a segment follows it: state=" + segment.state +
                (ChannelState.OPEN == segment.state || ChannelState.ABANDONED == segment.state ?
                " (a writer that died between linking the next segment and sealing this one leaves this; resuming " +
                "the journal repairs it)" : "");
        }
        final String sealFault = sealFault(scan, segment);
        if (null != sealFault)
        {
            return sealFault;
        }
        if (isLast && ChannelState.ROLLED == segment.state &&
            !Files.exists(segmentPath(segment.base + scan.segmentCapacity)))
        {
            return "missing segment in the chain: " +
                JournalDescriptor.segmentFileName(segment.base + scan.segmentCapacity) + " (journal position " +
                (segment.base + scan.segmentCapacity) + "), the successor " + name + " was rolled to";
        }
        return null;
    }

    /**
     * A seal that disagrees with the records it seals, or keys that go back from the previous segment's seal. The
     * seal is optional: a segment without one is not judged.
     */
    private static String sealFault(final Scan scan, final Segment segment)
    {
        final JournalSeal seal = segment.seal;
        if (null == seal)
        {
            return null;
        }
        final String name = segment.path.getFileName().toString();
        if (seal.recordCount() != segment.records)
        {
            return "segment " + name + " has a seal that disagrees with its records: recordCount=" +
                seal.recordCount() + ", read=" + segment.records;
        }
        if (isDecreasing(seal.firstSequence(), seal.lastSequence()) ||
            isDecreasing(seal.firstTimestampNs(), seal.lastTimestampNs()))
        {
            return "segment " + name + " has a seal whose keys go back: sequences " + seal.firstSequence() + ".." +
                seal.lastSequence() + ", timestamps " + seal.firstTimestampNs() + ".." + seal.lastTimestampNs();
        }
        final int index = scan.segments.indexOf(segment);
        final JournalSeal previous = index > 0 ? scan.segments.get(index - 1).seal : null;
        if (null != previous && (isDecreasing(previous.lastSequence(), seal.firstSequence()) ||
            isDecreasing(previous.lastTimestampNs(), seal.firstTimestampNs())))
        {
            return "segment " + name + " has a seal whose first keys go back from the previous segment's last: " +
                "sequence " + previous.lastSequence() + " then " + seal.firstSequence() + ", timestamp " +
                previous.lastTimestampNs() + " then " + seal.firstTimestampNs();
        }
        return null;
    }

    private static boolean isDecreasing(final long earlier, final long later)
    {
        return JournalDescriptor.NULL_VALUE != earlier && JournalDescriptor.NULL_VALUE != later && later < earlier;
    }

    /**
     * What a scan of the segments found.
     */
    static final class Scan
    {
        final List<Segment> segments = new ArrayList<>();
        long segmentCapacity;
        long sealedSegments;
        long records;
        long bytes;
        long endPosition;
        ChannelState lastState;
        String fault;

        /**
         * State of the journal: its last segment's, or CORRUPT when the chain is broken anywhere.
         */
        String state()
        {
            if (null != fault)
            {
                return "CORRUPT";
            }
            if (null == lastState || ChannelState.ROLLED == lastState)
            {
                return "OPEN"; // no segment yet, or the writer rolled after the folder was listed
            }
            return lastState.name();
        }
    }

    /**
     * One segment read to its end.
     */
    static final class Segment implements RecordHandler
    {
        final Path path;
        final long base;
        long records;
        long bytes;
        long position;
        long capacity;
        long channelId;
        long fileLength;
        int journalFormatVersion;
        int recordAlignment;
        ChannelState state;
        String corruption;
        JournalSeal seal;

        private Segment(final Path path, final long base)
        {
            this.path = path;
            this.base = base;
        }

        static Segment read(final Path path, final long base)
        {
            final Segment segment = new Segment(path, base);
            // A segment of a later journal format is refused with one line, never misread.
            try (ChannelReader reader = JournalReader.openSegment(path))
            {
                while (reader.poll(segment, POLL_LIMIT) > 0)
                {
                    // count every record
                }
                segment.state = reader.state();
                segment.corruption = reader.corruption();
                segment.position = reader.position();
                segment.capacity = reader.capacity();
                segment.channelId = reader.channelId();
                segment.journalFormatVersion = reader.header().journalFormatVersion();
                segment.recordAlignment = reader.recordAlignment();
                segment.fileLength = Files.size(path);
                final JournalSeal seal = new JournalSeal();
                segment.seal = ChannelState.ROLLED == segment.state && seal.read(reader) ? seal : null;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            return segment;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            records++;
            bytes += length;
        }
    }
}
