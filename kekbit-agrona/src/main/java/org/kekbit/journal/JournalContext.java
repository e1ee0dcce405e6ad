package org.kekbit.journal;

import java.nio.file.Path;

import org.kekbit.CommonContext;
import org.kekbit.channel.ChannelDescriptor;

/**
 * Configuration shared by a journal's writer, readers and indexer: the folder, the timeout and the payload offsets of
 * the keys records are searched by, with the clock and pre-touch of {@link CommonContext}.
 * {@link JournalWriter.Context}, {@link JournalReader.Context} and {@link JournalIndexer.Context} add only their own
 * fields.
 *
 * @param <C> the concrete context, for a fluent API.
 */
public abstract class JournalContext<C extends JournalContext<C>> extends CommonContext<C>
{
    /**
     * Default timeout: of the writer, recorded in every segment, and of a named reader's heartbeat.
     */
    public static final long DEFAULT_TIMEOUT_MS = 10_000;

    private Path folder;
    private long timeoutMs = DEFAULT_TIMEOUT_MS;
    private int sequenceOffset = -1;
    private int timestampOffset = -1;

    JournalContext(final boolean preTouch)
    {
        super(preTouch);
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
     * Timeout after which a process that cannot be seen is taken for dead when its heartbeat has not moved: for the
     * writer, the timeout recorded in every segment (see {@link org.kekbit.channel.ChannelWriter.Context#timeoutMs});
     * for a named reader, the timeout of its heartbeat in the positions file, after which its name can be claimed
     * again. Both stamp their heartbeat 20 times per timeout.
     *
     * @param timeoutMs in milliseconds.
     * @return this for a fluent API.
     */
    public C timeoutMs(final long timeoutMs)
    {
        this.timeoutMs = timeoutMs;
        return self();
    }

    /**
     * Timeout of the writer's or a named reader's heartbeat.
     *
     * @return the timeout in milliseconds.
     */
    public long timeoutMs()
    {
        return timeoutMs;
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
        concludeCommon();
        ChannelDescriptor.checkTimeout(timeoutMs);
    }
}
