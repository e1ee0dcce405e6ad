package org.kekbit.image;

import java.nio.file.Path;

/**
 * What an image folder holds for one snapshot file, as {@link ImageFolder#snapshots(Path)} finds it: for tools and
 * tests. Immutable.
 */
public final class SnapshotFile
{
    /**
     * Whether a snapshot can be loaded.
     */
    public enum Status
    {
        /**
         * Named complete, and its markers, counts and checksum match: recovery may load it.
         */
        COMPLETE,

        /**
         * A partial snapshot: being written now, or left by a writer that died. Never loaded.
         */
        INCOMPLETE,

        /**
         * Named complete but failing verification, or renamed damaged by an earlier recovery. Never loaded.
         */
        DAMAGED
    }

    private final Path path;
    private final long position;
    private final Status status;
    private final long fileLength;
    private final long creationTimeMs;
    private final long recordCount;
    private final long dataLength;
    private final String problem;

    SnapshotFile(
        final Path path,
        final long position,
        final Status status,
        final long fileLength,
        final long creationTimeMs,
        final long recordCount,
        final long dataLength,
        final String problem)
    {
        this.path = path;
        this.position = position;
        this.status = status;
        this.fileLength = fileLength;
        this.creationTimeMs = creationTimeMs;
        this.recordCount = recordCount;
        this.dataLength = dataLength;
        this.problem = problem;
    }

    /**
     * The file.
     *
     * @return its path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Journal position of the state the snapshot holds, from its name.
     *
     * @return the position.
     */
    public long position()
    {
        return position;
    }

    /**
     * Whether it can be loaded.
     *
     * @return the status.
     */
    public Status status()
    {
        return status;
    }

    /**
     * Length of the file.
     *
     * @return bytes.
     */
    public long fileLength()
    {
        return fileLength;
    }

    /**
     * When the snapshot was begun, from its BEGIN marker, or the file's modification time without one.
     *
     * @return epoch ms.
     */
    public long creationTimeMs()
    {
        return creationTimeMs;
    }

    /**
     * The state machine's records in a complete snapshot.
     *
     * @return the count, or -1 when not complete.
     */
    public long recordCount()
    {
        return recordCount;
    }

    /**
     * Bytes of records in a complete snapshot, markers and record headers included: what its channel needed of its
     * capacity.
     *
     * @return the length, or -1 when not complete.
     */
    public long dataLength()
    {
        return dataLength;
    }

    /**
     * Why the snapshot cannot be loaded.
     *
     * @return a description, or null when complete.
     */
    public String problem()
    {
        return problem;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "SnapshotFile{position=" + position + ", status=" + status + ", fileLength=" + fileLength +
            ", creationTimeMs=" + creationTimeMs + ", recordCount=" + recordCount +
            (null == problem ? "" : ", problem=" + problem) + ", path=" + path + "}";
    }
}
