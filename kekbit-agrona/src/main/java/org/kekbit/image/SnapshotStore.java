package org.kekbit.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.agrona.BitUtil;
import org.agrona.concurrent.EpochClock;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;

/**
 * The snapshots folder of one image: writing a snapshot (partial name, forced, linked, folder forced), keeping the
 * newest ones, protecting the journal from the oldest kept one on, and finding the newest loadable one at recovery.
 * Used by one thread at a time: the launching thread, then the one taking snapshots.
 */
final class SnapshotStore
{
    /**
     * Name of the journal reader whose committed position is the oldest kept snapshot's: it protects retention.
     */
    static final String PROTECTING_READER_NAME = "image-snapshots";

    private final Path folder;
    private final Path journalFolder;
    private final long segmentCapacity;
    private final EpochClock epochClock;
    private final int snapshotsKept;
    private final long initialCapacity;
    private final SnapshotWriter writer = new SnapshotWriter();
    private long forcedJournalBase;
    private long nextCapacity;
    private long lastPosition = -1;

    SnapshotStore(
        final Path imageFolder,
        final long segmentCapacity,
        final EpochClock epochClock,
        final int snapshotsKept,
        final long initialCapacity)
    {
        this.folder = ImageDescriptor.snapshotsFolder(imageFolder);
        this.journalFolder = ImageDescriptor.journalFolder(imageFolder);
        this.segmentCapacity = segmentCapacity;
        this.epochClock = epochClock;
        this.snapshotsKept = snapshotsKept;
        this.initialCapacity = initialCapacity;
        this.nextCapacity = initialCapacity;
        try
        {
            Files.createDirectories(folder);
        }
        catch (final IOException ex)
        {
            throw ioError("cannot create snapshots folder " + folder + ": " + ex, ex);
        }
    }

    /**
     * Position of the last snapshot written or loaded.
     */
    long lastPosition()
    {
        return lastPosition;
    }

    /**
     * Load the newest complete snapshot the journal can be replayed after, renaming damaged ones as they are found.
     *
     * @param stateMachine     fresh, loaded when a snapshot is found; null to find the snapshot only (the state is
     *                         had otherwise: a standby's handed over).
     * @param journalStart     base of the journal's oldest segment.
     * @param journalEnd       position after the journal's last record.
     * @return the snapshot's position, or -1 when there is none and the journal must be replayed from 0.
     * @throws ChannelException with {@link ChannelException.Reason#TRUNCATED} when no snapshot is usable and the
     *                          journal no longer starts at 0.
     */
    long recover(final StateMachine stateMachine, final long journalStart, final long journalEnd)
    {
        final List<Path> files = ImageFolder.snapshotPaths(folder);
        for (int i = files.size() - 1; i >= 0; i--)
        {
            final Path file = files.get(i);
            final String name = file.getFileName().toString();
            if (!name.startsWith(ImageDescriptor.SNAPSHOT_PREFIX))
            {
                continue;
            }
            final long position = ImageDescriptor.parsePosition(name);
            if (position > journalEnd)
            {
                markDamaged(file, position); // the journal lost records the snapshot holds: it cannot go on from it
                continue;
            }
            if (position < journalStart)
            {
                continue; // the journal after it is gone: older ones are no better
            }
            final SnapshotFile verified = ImageFolder.verify(file, position, true);
            if (null == verified)
            {
                continue;
            }
            if (SnapshotFile.Status.COMPLETE != verified.status())
            {
                markDamaged(file, position);
                continue;
            }
            if (null != stateMachine)
            {
                ImageFolder.load(file, stateMachine);
            }
            lastPosition = position;
            // The journal up to it was forced before it was linked: the next write forces from its segment on only.
            forcedJournalBase = 0 == position ? 0 : JournalDescriptor.segmentBase(position - 1, segmentCapacity);
            nextCapacity = Math.max(initialCapacity, capacityFor(verified.dataLength()));
            return position;
        }
        if (journalStart > 0)
        {
            throw new ChannelException(ChannelException.Reason.TRUNCATED, "no usable snapshot and the journal " +
                "starts at " + journalStart + ", not 0: the state cannot be rebuilt, folder=" + folder.getParent());
        }
        return -1;
    }

    /**
     * Write a snapshot of a state machine at a journal position, then keep the newest and protect the journal.
     *
     * @param stateMachine holding the state at the position, not changed during the call.
     * @param position     of the journal the state is at.
     * @return the position, or -1 when a complete snapshot at that position exists already.
     * @throws ChannelException when the snapshot cannot be written, or does not fit the largest channel.
     */
    long write(final StateMachine stateMachine, final long position)
    {
        final Path complete = folder.resolve(ImageDescriptor.snapshotFileName(position));
        if (Files.exists(complete))
        {
            return -1;
        }
        forceJournalTo(position); // a snapshot must never be ahead of the journal that survives a power loss

        long capacity = nextCapacity;
        while (true)
        {
            final long timeMs = epochClock.time();
            final Path partial = folder.resolve(
                ImageDescriptor.incompleteFileName(ImageDescriptor.PARTIAL_PREFIX, position, timeMs));
            final ChannelWriter channel = ChannelWriter.create(new ChannelWriter.Context()
                .path(partial)
                .channelId(position)
                .capacity(capacity)
                .maxRecordLength((int)ChannelDescriptor.maxRecordLengthLimit(capacity))
                .epochClock(epochClock)
                .preTouch(false));
            final boolean isComplete;
            final long usedBytes;
            try
            {
                isComplete = writer.begin(channel, position, timeMs) && writeState(stateMachine) && writer.end();
                usedBytes = channel.position();
                if (isComplete)
                {
                    channel.force();
                }
            }
            finally
            {
                channel.close();
            }

            if (isComplete)
            {
                forceFile(partial); // the CLOSED marker close() left
                link(partial, complete);
                deleteQuietly(partial);
                forceFolder();
                nextCapacity = Math.max(initialCapacity, capacityFor(usedBytes));
                lastPosition = position;
                prune();
                return position;
            }

            deleteQuietly(partial);
            if (capacity >= ChannelDescriptor.MAX_CAPACITY)
            {
                throw new ChannelException(ChannelException.Reason.BAD_CAPACITY, "state does not fit the largest " +
                    "snapshot channel: capacity=" + capacity + ", position=" + position);
            }
            capacity = Math.min(ChannelDescriptor.MAX_CAPACITY, 2 * capacity);
            nextCapacity = capacity;
        }
    }

    /**
     * Keep the newest complete snapshots, delete the files of any kind older than the oldest kept, then move the
     * protecting reader to the oldest kept one (only after the deletions, so a crash between keeps more journal).
     */
    void prune()
    {
        final List<Path> files = ImageFolder.snapshotPaths(folder);
        final List<Long> complete = new ArrayList<>();
        for (final Path file : files)
        {
            if (file.getFileName().toString().startsWith(ImageDescriptor.SNAPSHOT_PREFIX))
            {
                complete.add(ImageDescriptor.parsePosition(file.getFileName().toString()));
            }
        }
        if (complete.isEmpty())
        {
            protect(0);
            return;
        }
        final long oldestKept = complete.get(Math.max(0, complete.size() - snapshotsKept));
        for (final Path file : files)
        {
            if (ImageDescriptor.parsePosition(file.getFileName().toString()) < oldestKept)
            {
                deleteSnapshot(file);
            }
        }
        protect(oldestKept);
    }

    private boolean writeState(final StateMachine stateMachine)
    {
        stateMachine.writeSnapshot(writer);
        return writer.finishState();
    }

    /**
     * Commit the protecting named reader at a position: the journal's retention keeps every segment from it on.
     */
    private void protect(final long position)
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(journalFolder)
            .name(PROTECTING_READER_NAME)
            .protectRetention(true)
            .epochClock(epochClock)))
        {
            reader.seek(position);
            reader.commit();
        }
    }

    /**
     * Force the journal's segments from the one after the last forced snapshot's up to the position: the serving
     * thread's writer may not have forced them yet (its force policy), and the page cache is shared.
     */
    private void forceJournalTo(final long position)
    {
        if (0 == position)
        {
            return;
        }
        final long lastBase = JournalDescriptor.segmentBase(position - 1, segmentCapacity);
        for (long base = Math.min(forcedJournalBase, lastBase); base <= lastBase; base += segmentCapacity)
        {
            forceFile(JournalDescriptor.segmentPath(journalFolder, base));
        }
        forcedJournalBase = lastBase;
    }

    private void markDamaged(final Path file, final long position)
    {
        final Path damaged = folder.resolve(
            ImageDescriptor.incompleteFileName(ImageDescriptor.DAMAGED_PREFIX, position, epochClock.time()));
        try
        {
            Files.move(file, damaged);
        }
        catch (final IOException ex)
        {
            throw ioError("cannot rename damaged snapshot " + file + ": " + ex, ex);
        }
    }

    private static long capacityFor(final long bytes)
    {
        final long capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(ChannelDescriptor.MIN_CAPACITY, 2 * bytes));
        return Math.min(ChannelDescriptor.MAX_CAPACITY, capacity);
    }

    private static void deleteSnapshot(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ignore)
        {
            // pruning is best effort: the next snapshot tries again
        }
    }

    private static void deleteQuietly(final Path file)
    {
        deleteSnapshot(file);
    }

    private static void link(final Path from, final Path to)
    {
        try
        {
            Files.createLink(to, from);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw ioError("cannot link snapshot " + to + ": " + ex, ex);
        }
    }

    /**
     * Force a file's data and metadata, or a folder's entries, to storage: one helper for every fsync of the image
     * side (snapshots, the folder they are linked in, {@link ImageFolder#writeMarker}). A file deleted meanwhile
     * has nothing left to force.
     *
     * @param file or folder to force.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR}.
     */
    static void forceFile(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        catch (final NoSuchFileException ignore)
        {
            // a journal segment deleted by retention: nothing of it is needed
        }
        catch (final IOException ex)
        {
            throw ioError("cannot force " + file + ": " + ex, ex);
        }
    }

    private void forceFolder()
    {
        forceFile(folder);
    }

    private static ChannelException ioError(final String message, final Throwable cause)
    {
        return new ChannelException(ChannelException.Reason.IO_ERROR, message, cause);
    }
}
