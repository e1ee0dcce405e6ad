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

    void concludeShared()
    {
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
