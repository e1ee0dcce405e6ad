package org.kekbit.journal;

import java.nio.file.Path;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

/**
 * Configuration shared by a journal's writer and readers: the folder and the clock. {@link JournalWriter.Context}
 * and {@link JournalReader.Context} add only their own fields.
 *
 * @param <C> the concrete context, for a fluent API.
 */
public abstract class JournalContext<C extends JournalContext<C>>
{
    private Path folder;
    private EpochClock epochClock = SystemEpochClock.INSTANCE;
    private int sequenceOffset = -1;
    private int timestampOffset = -1;

    JournalContext()
    {
    }

    /**
     * Folder of the journal: its segments and its positions file.
     *
     * @param folder of the journal.
     * @return this for a fluent API.
     */
    public C folder(final Path folder)
    {
        this.folder = folder;
        return self();
    }

    /**
     * Folder of the journal.
     *
     * @return the folder.
     */
    public Path folder()
    {
        return folder;
    }

    /**
     * Clock for heartbeats, commit times and liveness.
     *
     * @param epochClock to use.
     * @return this for a fluent API.
     */
    public C epochClock(final EpochClock epochClock)
    {
        this.epochClock = epochClock;
        return self();
    }

    /**
     * Clock for heartbeats, commit times and liveness.
     *
     * @return the clock.
     */
    public EpochClock epochClock()
    {
        return epochClock;
    }

    /**
     * Offset in every record's payload of the little-endian 8-byte sequence a
     * {@link org.kekbit.stage.SequenceStage} writes ({@link org.kekbit.stage.StagedWriter#stageOffset(int)}), for the
     * writer's seals, the indexer and {@link JournalReader#seekToSequence(long)}; -1, the default, when records carry
     * none. Sequences must not decrease along the journal.
     *
     * @param sequenceOffset in the payload, or -1.
     * @return this for a fluent API.
     */
    public C sequenceOffset(final int sequenceOffset)
    {
        this.sequenceOffset = sequenceOffset;
        return self();
    }

    /**
     * Offset in every record's payload of its sequence.
     *
     * @return the offset, or -1 when records carry none.
     */
    public int sequenceOffset()
    {
        return sequenceOffset;
    }

    /**
     * Offset in every record's payload of the little-endian 8-byte epoch-ns timestamp a
     * {@link org.kekbit.stage.TimestampStage} writes, for the writer's seals, the indexer and
     * {@link JournalReader#seekToTimestamp(long)}; -1, the default, when records carry none. Seeking by time finds
     * the first record stamped at or after a time when timestamps do not decrease along the journal.
     *
     * @param timestampOffset in the payload, or -1.
     * @return this for a fluent API.
     */
    public C timestampOffset(final int timestampOffset)
    {
        this.timestampOffset = timestampOffset;
        return self();
    }

    /**
     * Offset in every record's payload of its timestamp.
     *
     * @return the offset, or -1 when records carry none.
     */
    public int timestampOffset()
    {
        return timestampOffset;
    }

    void concludeShared()
    {
        if (sequenceOffset < -1 || timestampOffset < -1)
        {
            throw new IllegalArgumentException("payload offsets must be -1 (none) or positive: sequenceOffset=" +
                sequenceOffset + ", timestampOffset=" + timestampOffset);
        }
        if (null == folder)
        {
            throw new IllegalArgumentException("folder must be set");
        }
        if (null == epochClock)
        {
            throw new IllegalArgumentException("epochClock must not be null");
        }
    }

    @SuppressWarnings("unchecked")
    private C self()
    {
        return (C)this;
    }
}
