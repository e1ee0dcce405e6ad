package org.kekbit.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.IntConsumer;

import org.agrona.CloseHelper;
import org.agrona.collections.LongArrayList;
import org.kekbit.StorageInfo;
import org.kekbit.channel.ChannelCut;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;

/**
 * Cut a journal nobody writes at a record end: every record after the position goes, so the journal holds exactly
 * what a journal whose writer stopped at the position holds (killed there, or detached), byte for byte in its
 * segments, and {@link JournalWriter#resume}, readers, digests and a mirror's protocol see an ordinary journal that
 * ends there. For a hot standby whose outputs mirror ran ahead of its commands (docs/system-images.md), or to drop
 * a damaged tail before a bad record.
 * <pre>{@code
 * final long oldEnd = JournalCut.cut(folder, position, (msgTypeId, buffer, offset, length) -> keep(...));
 * }</pre>
 * <b>What goes.</b> With the position in the newest segment, the records after it there (and a CLOSED marker). With
 * the position in an older segment, every later segment, newest first, then that segment's ROLLED marker and seal,
 * then its records after the position. A position equal to a segment's base keeps the segment before it sealed and
 * empties that segment. A standby successor (the next segment made ahead of need, which holds nothing) is deleted,
 * and so is the journal's index ({@code journal.index}, derived: rebuild it with {@link JournalIndexer#rebuild}),
 * whose entries could name positions past the cut. A cut at the journal's end removes nothing and keeps a CLOSED
 * marker there.
 * <p>
 * <b>Refused in one line, with nothing changed</b> (everything is checked before the first write): a position that
 * is no record end of the journal (before its oldest segment, past its end, inside a record: IllegalArgumentException);
 * a writer that is alive (the newest segment is taken over for the cut by the take-over rule of
 * {@link ChannelWriter#resume}, and a journal that rolled since it was listed is refused too:
 * {@link ChannelException.Reason#WRITER_ACTIVE}, in this process as in another); an
 * indexer that runs (WRITER_ACTIVE); a named reader whose committed position is past the cut, alive or not (it
 * would resume inside the journal's new records: remove it with {@link JournalNamedReaders#remove} or let it be
 * refused; IllegalStateException); a segment of a later journal format (INCOMPATIBLE_VERSION).
 * <p>
 * <b>Crash safety.</b> Records go only from the end of the journal: a later segment is deleted only once the
 * ROLLED marker of the one before it is gone, and the records of the position's segment only once no later
 * segment remains. So a process killed at any point leaves a prefix of the journal it cut, ending at a record end
 * at or after the position, in a state a killed writer can leave: an ordinary last segment, or a segment without
 * its marker before its ready successor (which {@link JournalWriter#resume} repairs as after a writer killed in a
 * roll, keeping that successor). Never a torn record, a seal that names records that are gone, a hole before a later
 * segment, or a ROLLED last segment. Each step is forced (the segment's mapping; the folder after a deletion) before
 * the next begins, so the order survives a power loss too. Running the same cut again finishes it, and the journal
 * is then byte for byte what an uninterrupted cut leaves, but for one thing a kill can leave: the process fields of
 * the newest segment's header (pid, start, heartbeat) naming the killed cut, a dead resumer to the liveness rule, where
 * a cut that ends gives them back to the writer; no digest covers them. {@link ChannelCut} says how one segment is
 * cut.
 * <p>
 * Not a lock: a {@link JournalWriter#resume} or reopen started on the same journal while a cut deletes segments is
 * not excluded once the newest segment is gone; run one at a time. Readers that read records after the position
 * before the cut have seen records the journal no longer holds. Cold path: lists the folder, maps the segments from
 * the position's on.
 */
public final class JournalCut
{
    private static final long NO_STANDBY = -1;
    private static final IntConsumer NO_STEP_HOOK = (step) -> {};

    private JournalCut()
    {
    }

    /**
     * Cut a journal after a record end.
     *
     * @param folder   of the journal.
     * @param position a record end of the journal (or a segment's base): what stays is what lies before it.
     * @return the journal position where the journal ended before the cut (the position itself when nothing went).
     * @throws IllegalArgumentException when the position is no record end of the journal.
     * @throws IllegalStateException    when a named reader committed a position past it.
     * @throws ChannelException         with {@link ChannelException.Reason#NOT_FOUND} when the folder holds no
     *                                  segment, {@link ChannelException.Reason#WRITER_ACTIVE} when the writer or an
     *                                  indexer is alive, {@link ChannelException.Reason#INCOMPATIBLE_VERSION}, or
     *                                  {@link ChannelException.Reason#IO_ERROR}.
     */
    public static long cut(final Path folder, final long position)
    {
        return cut(folder, position, null, NO_STEP_HOOK);
    }

    /**
     * Cut a journal after a record end as {@link #cut(Path, long)} does, handing each record that goes to a handler
     * first, in journal order, before anything is written: to count, keep or print what the cut removes. A cut run
     * again after a crash hands over what was left to remove.
     *
     * @param folder   of the journal.
     * @param position a record end of the journal (or a segment's base).
     * @param onCut    given each record after the position; null for none.
     * @return as {@link #cut(Path, long)}.
     * @throws IllegalArgumentException as {@link #cut(Path, long)}.
     * @throws IllegalStateException    as {@link #cut(Path, long)}.
     * @throws ChannelException         as {@link #cut(Path, long)}.
     */
    public static long cut(final Path folder, final long position, final RecordHandler onCut)
    {
        return cut(folder, position, onCut, NO_STEP_HOOK);
    }

    /**
     * The cut, calling a hook after each step (0: checked and the newest segment taken over, nothing written; then
     * after each write), for tests that stop it there as a crash would.
     */
    static long cut(final Path folder, final long position, final RecordHandler onCut, final IntConsumer onStep)
    {
        final LongArrayList bases = JournalFiles.allSegmentBases(folder);
        if (bases.isEmpty())
        {
            throw new ChannelException(ChannelException.Reason.NOT_FOUND, "no journal segment in " + folder);
        }
        final long listedLastBase = bases.getLong(bases.size() - 1);
        long standbyBase = NO_STANDBY;
        if (bases.size() > 1 &&
            ChannelReader.isOnStandby(JournalDescriptor.segmentPath(folder, bases.getLong(bases.size() - 1))))
        {
            standbyBase = bases.removeAt(bases.size() - 1);
        }
        final long newestBase = bases.getLong(bases.size() - 1);
        final long cutBase = segmentBaseOf(folder, bases, position);
        final long capacity = checkSegments(folder, bases, cutBase);
        final int cutIndex = bases.indexOf(cutBase);
        checkRecordEnd(folder, cutBase, position - cutBase, capacity);
        checkNamedReaders(folder, position);

        final FileChannel indexLock = lockIndex(folder);
        try (ChannelCut newest = ChannelCut.open(new ChannelWriter.Context()
            .path(JournalDescriptor.segmentPath(folder, newestBase))))
        {
            checkNoWriter(folder, listedLastBase, newestBase, capacity, newest);
            final long oldEnd = newestBase + newest.endPosition();
            if (position > oldEnd)
            {
                throw new IllegalArgumentException("position is past the journal's end: position=" + position +
                    ", end=" + oldEnd + ", folder=" + folder);
            }
            if (cutBase == newestBase && position == oldEnd &&
                (ChannelState.CLOSED == newest.endState() || ChannelState.FULL == newest.endState()))
            {
                return oldEnd; // ends there already, with its marker
            }
            if (null != onCut)
            {
                handCutRecords(folder, bases, cutIndex, position - cutBase, onCut);
            }
            int step = 0;
            onStep.accept(step++);

            if (position < oldEnd || cutBase != newestBase)
            {
                // Entries past the cut would send a seek into the new records; the index is derived.
                deleteFile(folder.resolve(JournalDescriptor.INDEX_FILE_NAME));
                deleteFile(folder.resolve(JournalDescriptor.INDEX_TEMP_FILE_NAME));
                onStep.accept(step++);
                if (NO_STANDBY != standbyBase)
                {
                    step = deleteSegment(folder, standbyBase, onStep, step);
                }
            }
            for (int i = bases.size() - 1; i > cutIndex; i--)
            {
                // The marker of the segment before goes first: a ROLLED last segment would read as a lost one.
                final long previousBase = bases.getLong(i - 1);
                try (ChannelCut previous = ChannelCut.open(new ChannelWriter.Context()
                    .path(JournalDescriptor.segmentPath(folder, previousBase))))
                {
                    previous.cut(previous.endPosition());
                }
                onStep.accept(step++);
                step = deleteSegment(folder, bases.getLong(i), onStep, step);
            }
            if (cutBase == newestBase)
            {
                newest.cut(position - cutBase);
            }
            else
            {
                try (ChannelCut segment = ChannelCut.open(new ChannelWriter.Context()
                    .path(JournalDescriptor.segmentPath(folder, cutBase))))
                {
                    segment.cut(position - cutBase);
                }
            }
            onStep.accept(step);
            return oldEnd;
        }
        finally
        {
            CloseHelper.quietClose(indexLock); // closing the channel releases the lock
        }
    }

    /**
     * Base of the segment a position denotes: the one that holds it, or, for a position equal to the end of the
     * newest segment's data region (a record that fills it), that segment.
     */
    private static long segmentBaseOf(final Path folder, final LongArrayList bases, final long position)
    {
        final long oldest = bases.getLong(0);
        if (position < oldest)
        {
            throw new IllegalArgumentException("position is before the journal's oldest segment: position=" +
                position + ", oldest=" + oldest + ", folder=" + folder);
        }
        final long capacity = segmentCapacity(folder, bases.getLong(bases.size() - 1));
        final long base = JournalDescriptor.segmentBase(position, capacity);
        if (bases.containsLong(base))
        {
            return base;
        }
        if (position == base && bases.containsLong(base - capacity))
        {
            return base - capacity;
        }
        throw new IllegalArgumentException("position is past the journal's end or in a missing segment: position=" +
            position + ", newest segment=" + bases.getLong(bases.size() - 1) + ", folder=" + folder);
    }

    /**
     * Every segment the cut writes or deletes is of a journal format this library knows, and of one capacity: checked
     * before anything is written, as a resume does.
     *
     * @return the segment capacity.
     */
    private static long checkSegments(final Path folder, final LongArrayList bases, final long fromBase)
    {
        final long capacity = segmentCapacity(folder, bases.getLong(bases.size() - 1));
        for (int i = bases.indexOf(fromBase), size = bases.size(); i < size; i++)
        {
            final Path path = JournalDescriptor.segmentPath(folder, bases.getLong(i));
            try (ChannelReader reader = JournalFiles.openSegment(path))
            {
                if (reader.capacity() != capacity)
                {
                    throw new ChannelException(ChannelException.Reason.BAD_CAPACITY, "segments of two capacities: " +
                        "expected=" + capacity + ", actual=" + reader.capacity() + ", file=" + path);
                }
            }
        }
        return capacity;
    }

    private static long segmentCapacity(final Path folder, final long base)
    {
        try (ChannelReader reader = JournalFiles.openSegment(JournalDescriptor.segmentPath(folder, base)))
        {
            JournalDescriptor.checkSegmentCapacity(reader.capacity());
            return reader.capacity();
        }
    }

    private static void checkRecordEnd(final Path folder, final long base, final long offset, final long capacity)
    {
        if (offset > capacity)
        {
            throw new IllegalArgumentException("position is no record end: offset=" + offset + " in the segment at " +
                base + ", folder=" + folder);
        }
        try (ChannelReader reader = JournalFiles.openSegment(JournalDescriptor.segmentPath(folder, base)))
        {
            reader.seek(offset);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            throw new IllegalArgumentException("position is no record end of the journal: position=" +
                (base + offset) + " (" + ex.getMessage() + "), folder=" + folder, ex);
        }
    }

    /**
     * The newest segment is held now (taken over, or ended with a marker): a live writer can have moved on only
     * before, by a roll since the folder was listed, which leaves the held segment ROLLED before a successor, or a
     * file after the last one listed. Either way the journal is written: refuse.
     */
    private static void checkNoWriter(
        final Path folder,
        final long listedLastBase,
        final long newestBase,
        final long capacity,
        final ChannelCut newest)
    {
        final LongArrayList bases = JournalFiles.allSegmentBases(folder);
        if (bases.getLong(bases.size() - 1) > listedLastBase || (ChannelState.ROLLED == newest.endState() &&
            Files.exists(JournalDescriptor.segmentPath(folder, newestBase + capacity))))
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE, "the journal's writer is alive: it " +
                "rolled after the segment at " + newestBase + " while the cut began, folder=" + folder);
        }
    }

    private static void checkNamedReaders(final Path folder, final long position)
    {
        for (final JournalNamedReaders.NamedReader reader : JournalNamedReaders.list(folder, 0, 1))
        {
            if (reader.position() > position)
            {
                throw new IllegalStateException("named reader " + reader.name() + " committed a position past the " +
                    "cut: position=" + reader.position() + ", cut=" + position + ", folder=" + folder +
                    " (remove it first: JournalNamedReaders.remove)");
            }
        }
    }

    /**
     * Hold the index's lock, as an indexer does, when the journal has an index: no indexer runs during the cut.
     *
     * @return the locked file's channel, or null when the journal has no index.
     */
    private static FileChannel lockIndex(final Path folder)
    {
        final Path lockPath = folder.resolve(JournalDescriptor.INDEX_LOCK_FILE_NAME);
        if (!Files.exists(lockPath) && !Files.exists(folder.resolve(JournalDescriptor.INDEX_FILE_NAME)))
        {
            return null;
        }
        FileChannel channel = null;
        FileLock lock;
        try
        {
            channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            lock = null; // held by an indexer of this JVM
        }
        catch (final IOException ex)
        {
            CloseHelper.quietClose(channel);
            throw JournalFiles.ioError("cannot lock journal index " + lockPath + ": " + ex, ex);
        }
        if (null == lock)
        {
            CloseHelper.quietClose(channel);
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "an indexer holds the journal's index: lock=" + lockPath);
        }
        return channel;
    }

    private static void handCutRecords(
        final Path folder, final LongArrayList bases, final int cutIndex, final long offset, final RecordHandler onCut)
    {
        for (int i = cutIndex, size = bases.size(); i < size; i++)
        {
            try (ChannelReader reader = JournalFiles.openSegment(JournalDescriptor.segmentPath(folder,
                bases.getLong(i))))
            {
                reader.seek(i == cutIndex ? offset : 0);
                while (reader.poll(onCut, Integer.MAX_VALUE) > 0)
                {
                    // to the segment's end
                }
            }
        }
    }

    /**
     * Delete a segment file and the temp name a dead writer made it under, then force the folder: the deletion is
     * durable before the next step.
     */
    /**
     * Delete a segment's temporary name (left by a writer killed between linking a standby and unlinking it) and
     * then its name, calling the step hook after each; returns the next step.
     */
    private static int deleteSegment(final Path folder, final long base, final IntConsumer onStep, final int step)
    {
        // The temporary name first, forced: a cut killed (or a power loss) between the two must leave the segment
        // name, which the next run lists and deletes with this name, not an orphaned temporary file no listing
        // finds (found by JournalCutCrashTest).
        if (deleteFile(JournalDescriptor.nextSegmentPath(folder, base)))
        {
            forceFolder(folder);
        }
        onStep.accept(step);
        deleteFile(JournalDescriptor.segmentPath(folder, base));
        forceFolder(folder);
        onStep.accept(step + 1);
        return step + 2;
    }

    private static void forceFolder(final Path folder)
    {
        if (StorageInfo.isFolderSyncNeeded(folder))
        {
            try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ))
            {
                channel.force(true);
            }
            catch (final IOException ex)
            {
                throw JournalFiles.ioError("cannot force journal folder " + folder + ": " + ex, ex);
            }
        }
    }

    private static boolean deleteFile(final Path path)
    {
        try
        {
            return Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw JournalFiles.ioError("cannot delete " + path + ": " + ex, ex);
        }
    }
}
