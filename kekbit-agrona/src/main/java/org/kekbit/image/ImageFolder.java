package org.kekbit.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.agrona.DirectBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;

/**
 * Reading an image folder without running it: which snapshots it holds and whether each can be loaded, for tools,
 * tests and {@link SystemImage}'s recovery; and writing a durable marker file beside the image
 * ({@link #writeMarker}). Every method lists, reads or writes files: cold paths only.
 */
public final class ImageFolder
{
    private static final int POLL_LIMIT = 4096;

    private ImageFolder()
    {
    }

    /**
     * Whether a folder is laid out as an image: it has a journal folder and a snapshots folder.
     *
     * @param folder to look at.
     * @return true when it is an image's folder.
     */
    public static boolean isImage(final Path folder)
    {
        return Files.isDirectory(ImageDescriptor.journalFolder(folder)) &&
            Files.isDirectory(ImageDescriptor.snapshotsFolder(folder));
    }

    /**
     * Write a small marker file in an image folder so that it survives a power loss before the caller goes on (the
     * order book sample's {@code served} file, which fences a folder that served): the text written when the file
     * does not exist yet, then the file forced, then the image folder forced, and, when the image folder had to be
     * created, each folder created and the existing one it was created in, so every link on the way is on storage.
     * A file that exists is kept as it is and forced again: a process that died between the write and the force
     * left nothing a next call does not finish. Forcing is the one the snapshots use (fsync of the file, then of
     * each folder).
     *
     * @param imageFolder of the image, created when missing.
     * @param name        of the marker file in it.
     * @param text        of a new marker, in UTF-8.
     * @return the marker's path.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} naming the marker when it cannot be
     *                          written or forced (a folder that cannot be created or written).
     */
    public static Path writeMarker(final Path imageFolder, final String name, final String text)
    {
        final Path folder = imageFolder.toAbsolutePath();
        final Path marker = folder.resolve(name);
        Path existing = folder;
        while (null != existing && !Files.exists(existing))
        {
            existing = existing.getParent();
        }
        try
        {
            Files.createDirectories(folder);
            if (!Files.exists(marker))
            {
                Files.writeString(marker, text, StandardCharsets.UTF_8);
            }
        }
        catch (final IOException ex)
        {
            throw new ChannelException(ChannelException.Reason.IO_ERROR, "cannot write " + marker + ": " + ex, ex);
        }
        SnapshotStore.forceFile(marker);
        for (Path created = folder; null != created; created = created.getParent())
        {
            SnapshotStore.forceFile(created); // its entry for the marker, or for the folder created in it
            if (created.equals(existing))
            {
                break;
            }
        }
        return marker;
    }

    /**
     * One name for a journal position that has two. The end of the last record of a segment that ended with ROLLED
     * and the next segment's base are one place in the record stream (nothing lies between them: the rest of the
     * segment is skipped) under two numbers. The lower one is said by whoever stopped before the ROLLED marker: a
     * writer, mirror or reader in a segment not rolled yet, a mirror reopened after it was killed between making the
     * next segment and rolling, a standby that applied the mirror up to there. The higher one is said by a reader
     * that read the marker, a writer after the roll, and a resume that completed a roll cut short (it seals the
     * segment at its last record and writes on at the next base). Positions from different sources are compared
     * through this, never with {@code ==} alone; a journal digest is compared at the lower name
     * ({@link org.kekbit.journal.JournalDigest}).
     * <p>
     * Cold path: opens a reader of the journal, seeks (which may scan the segment) and reads at most one record.
     *
     * @param journalFolder of the journal.
     * @param position      a record end or a segment's base in it.
     * @return the next segment's base when a ROLLED marker lies at the position and the next segment is there (not
     * on standby); otherwise the position.
     * @throws IllegalArgumentException when the position is not a record end or a segment's base of the journal.
     * @throws ChannelException         when the journal cannot be read.
     */
    public static long nextBaseWhenRolledAt(final Path journalFolder, final long position)
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journalFolder)))
        {
            reader.seek(position);
            // A block never spans a roll: at a ROLLED marker the reader delivers nothing and crosses to the next base.
            final int delivered = reader.blockPoll(ImageFolder::ignoreBlock, 1);
            return 0 == delivered ? reader.position() : position;
        }
    }

    private static void ignoreBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
    {
        // only where the reader stands after the block matters
    }

    /**
     * Every snapshot file of an image, oldest position first (for one position, complete before others), each
     * verified: a complete one is read through and its counts and checksum checked.
     *
     * @param imageFolder of the image.
     * @return the snapshots; empty when there is no snapshots folder.
     * @throws ChannelException with {@link ChannelException.Reason#IO_ERROR} when the folder cannot be listed.
     */
    public static List<SnapshotFile> snapshots(final Path imageFolder)
    {
        final List<SnapshotFile> snapshots = new ArrayList<>();
        for (final Path file : snapshotPaths(ImageDescriptor.snapshotsFolder(imageFolder)))
        {
            final String name = file.getFileName().toString();
            final long position = ImageDescriptor.parsePosition(name);
            if (name.startsWith(ImageDescriptor.SNAPSHOT_PREFIX))
            {
                final SnapshotFile verified = verify(file, position, false);
                if (null != verified)
                {
                    snapshots.add(verified);
                }
            }
            else if (!Files.exists(file))
            {
                continue; // deleted since the listing: pruned, or a partial that was linked
            }
            else
            {
                final boolean isPartial = name.startsWith(ImageDescriptor.PARTIAL_PREFIX);
                snapshots.add(new SnapshotFile(file, position,
                    isPartial ? SnapshotFile.Status.INCOMPLETE : SnapshotFile.Status.DAMAGED, length(file),
                    modifiedTimeMs(file), -1, -1,
                    isPartial ? "partial: being written, or its writer died" : "renamed damaged by a recovery"));
            }
        }
        return snapshots;
    }

    /**
     * Files in a snapshots folder named as snapshots of any kind, oldest position first, complete ones before others
     * at one position.
     */
    static List<Path> snapshotPaths(final Path snapshotsFolder)
    {
        final List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(snapshotsFolder))
        {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(snapshotsFolder))
        {
            for (final Path file : stream)
            {
                if (ImageDescriptor.parsePosition(file.getFileName().toString()) >= 0)
                {
                    files.add(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new ChannelException(ChannelException.Reason.IO_ERROR,
                "cannot list snapshots folder " + snapshotsFolder + ": " + ex, ex);
        }
        files.sort(Comparator
            .comparingLong((Path file) -> ImageDescriptor.parsePosition(file.getFileName().toString()))
            .thenComparing(file -> !file.getFileName().toString().startsWith(ImageDescriptor.SNAPSHOT_PREFIX))
            .thenComparing(file -> file.getFileName().toString()));
        return files;
    }

    /**
     * Read a snapshot through and check its markers, counts and checksum, and that the channel was closed after END.
     *
     * @param file             of the snapshot.
     * @param expectedPosition the position its name gives.
     * @param isRecovering     true to throw an I/O error rather than report the snapshot damaged.
     * @return what was found, {@link SnapshotFile.Status#COMPLETE} only when everything matches; null when the file
     * was deleted since it was listed (a running image prunes its snapshots).
     */
    static SnapshotFile verify(final Path file, final long expectedPosition, final boolean isRecovering)
    {
        final Verifier verifier = new Verifier(expectedPosition);
        try (ChannelReader reader = ChannelReader.open(file))
        {
            int count;
            do
            {
                count = reader.poll(verifier, POLL_LIMIT);
            }
            while (count > 0 && null == verifier.problem);

            String problem = verifier.problem;
            if (null == problem && !verifier.hasEnded)
            {
                problem = verifier.hasBegun ? "no END marker: the snapshot was not finished" : "no BEGIN marker";
            }
            final ChannelState state = reader.state();
            if (null == problem && ChannelState.CLOSED != state)
            {
                problem = "snapshot channel is " + state + " after its END marker, not CLOSED" +
                    (ChannelState.CORRUPT == state ? ": " + reader.corruption() : "");
            }
            if (null != problem)
            {
                return new SnapshotFile(file, expectedPosition, SnapshotFile.Status.DAMAGED, length(file),
                    verifier.hasBegun ? verifier.creationTimeMs : modifiedTimeMs(file), -1, -1, problem);
            }
            return new SnapshotFile(file, expectedPosition, SnapshotFile.Status.COMPLETE, length(file),
                verifier.creationTimeMs, verifier.recordCount, reader.position(), null);
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.NOT_FOUND == ex.reason() && !Files.exists(file))
            {
                return null;
            }
            if (ChannelException.Reason.IO_ERROR == ex.reason() && isRecovering)
            {
                throw ex; // the storage failed, not the snapshot: recovery must not rename a good one damaged
            }
            return new SnapshotFile(file, expectedPosition, SnapshotFile.Status.DAMAGED, length(file),
                modifiedTimeMs(file), -1, -1, "not a readable channel: " + ex.getMessage());
        }
    }

    /**
     * Load a complete snapshot into a fresh state machine, as recovery does: for tools and for services that rebuild
     * an older state (the order book sample regenerates the outputs a crash lost from one). The file is read as it
     * is now; it was verified when {@link #snapshots(Path)} listed it.
     *
     * @param snapshot     a {@link SnapshotFile.Status#COMPLETE} snapshot from {@link #snapshots(Path)}.
     * @param stateMachine fresh, to load into.
     * @return the number of the state machine's records loaded.
     * @throws IllegalArgumentException when the snapshot is not complete.
     * @throws ChannelException         with {@link ChannelException.Reason#NOT_FOUND} when it was deleted since
     *                                  (a running image keeps only the newest ones).
     */
    public static long load(final SnapshotFile snapshot, final StateMachine stateMachine)
    {
        if (SnapshotFile.Status.COMPLETE != snapshot.status())
        {
            throw new IllegalArgumentException("only a complete snapshot can be loaded: status=" + snapshot.status() +
                ", file=" + snapshot.path());
        }
        return load(snapshot.path(), stateMachine);
    }

    /**
     * Load a verified snapshot's records into a state machine, markers left out.
     *
     * @param file         of the snapshot.
     * @param stateMachine fresh, to load into.
     * @return the number of records loaded.
     */
    static long load(final Path file, final StateMachine stateMachine)
    {
        final Loader loader = new Loader(stateMachine);
        try (ChannelReader reader = ChannelReader.open(file))
        {
            while (reader.poll(loader, POLL_LIMIT) > 0)
            {
                // until END: verification found nothing after it but the CLOSED marker
            }
        }
        return loader.count;
    }

    private static long length(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static long modifiedTimeMs(final Path file)
    {
        try
        {
            return Files.getLastModifiedTime(file).toMillis();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static final class Verifier implements RecordHandler
    {
        private final SnapshotChecksum checksum = new SnapshotChecksum();
        private final long expectedPosition;
        private boolean hasBegun;
        private boolean hasEnded;
        private long creationTimeMs;
        private long recordCount;
        private long payloadBytes;
        private String problem;

        Verifier(final long expectedPosition)
        {
            this.expectedPosition = expectedPosition;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (null != problem)
            {
                return;
            }
            if (hasEnded)
            {
                problem = "a record after the END marker: type=" + msgTypeId;
            }
            else if (!hasBegun)
            {
                onBegin(msgTypeId, buffer, offset, length);
            }
            else if (ImageDescriptor.END_MSG_TYPE_ID == msgTypeId)
            {
                onEnd(buffer, offset, length);
            }
            else if (msgTypeId >= ImageDescriptor.RESERVED_MSG_TYPE_ID_FROM)
            {
                problem = "a reserved record type inside the snapshot: type=" + msgTypeId;
            }
            else
            {
                checksum.updateRecordHeader(msgTypeId, length);
                checksum.update(buffer, offset, length);
                recordCount++;
                payloadBytes += length;
            }
        }

        private void onBegin(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (ImageDescriptor.BEGIN_MSG_TYPE_ID != msgTypeId || ImageDescriptor.BEGIN_LENGTH != length ||
                ImageDescriptor.MAGIC != ImageDescriptor.longField(buffer, offset + ImageDescriptor.BEGIN_MAGIC_OFFSET))
            {
                problem = "no BEGIN marker: first record type=" + msgTypeId + ", length=" + length;
                return;
            }
            final int version = ImageDescriptor.intField(buffer, offset + ImageDescriptor.BEGIN_VERSION_OFFSET);
            final long position = ImageDescriptor.longField(buffer, offset + ImageDescriptor.BEGIN_POSITION_OFFSET);
            if (ImageDescriptor.VERSION != version)
            {
                problem = "incompatible snapshot version: expected=" + ImageDescriptor.VERSION + ", actual=" + version;
                return;
            }
            if (position != expectedPosition)
            {
                problem = "BEGIN position differs from the name's: expected=" + expectedPosition +
                    ", actual=" + position;
                return;
            }
            creationTimeMs = ImageDescriptor.longField(buffer, offset + ImageDescriptor.BEGIN_CREATION_TIME_OFFSET);
            checksum.reset();
            checksum.update(buffer, offset, length);
            hasBegun = true;
        }

        private void onEnd(final DirectBuffer buffer, final int offset, final int length)
        {
            hasEnded = true;
            if (ImageDescriptor.END_LENGTH != length)
            {
                problem = "END marker of a wrong length: expected=" + ImageDescriptor.END_LENGTH + ", actual=" + length;
                return;
            }
            final long position = ImageDescriptor.longField(buffer, offset + ImageDescriptor.END_POSITION_OFFSET);
            final long count = ImageDescriptor.longField(buffer, offset + ImageDescriptor.END_RECORD_COUNT_OFFSET);
            final long bytes = ImageDescriptor.longField(buffer, offset + ImageDescriptor.END_PAYLOAD_BYTES_OFFSET);
            final int expectedChecksum = ImageDescriptor.intField(buffer, offset + ImageDescriptor.END_CHECKSUM_OFFSET);
            if (position != expectedPosition)
            {
                problem = "END position differs: expected=" + expectedPosition + ", actual=" + position;
            }
            else if (count != recordCount || bytes != payloadBytes)
            {
                problem = "END counts differ: expected records=" + count + " bytes=" + bytes +
                    ", actual records=" + recordCount + " bytes=" + payloadBytes;
            }
            else if (expectedChecksum != checksum.value())
            {
                problem = "checksum mismatch: expected=" + Integer.toHexString(expectedChecksum) +
                    ", actual=" + Integer.toHexString(checksum.value());
            }
        }
    }

    private static final class Loader implements RecordHandler
    {
        private final StateMachine stateMachine;
        private long count;

        Loader(final StateMachine stateMachine)
        {
            this.stateMachine = stateMachine;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (msgTypeId < ImageDescriptor.RESERVED_MSG_TYPE_ID_FROM)
            {
                stateMachine.loadSnapshot(msgTypeId, buffer, offset, length);
                count++;
            }
        }
    }
}
