package org.kekbit;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

/**
 * Configuration every Kekbit context shares, on the model of Aeron's {@code CommonContext}: the clock and whether to
 * pre-touch the pages of the files it maps. {@link org.kekbit.channel.ChannelContext} adds where a channel is,
 * {@link org.kekbit.journal.JournalContext} where a journal is; each component's {@code Context} adds only its own
 * fields.
 *
 * @param <C> the concrete context, for a fluent API.
 */
public abstract class CommonContext<C extends CommonContext<C>>
{
    private EpochClock epochClock = SystemEpochClock.INSTANCE;
    private boolean preTouch;
    private MappingReleaser mappingReleaser;

    /**
     * A context with the given pre-touch default.
     *
     * @param preTouch the default: true for writers, false for readers.
     */
    protected CommonContext(final boolean preTouch)
    {
        this.preTouch = preTouch;
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
     * Whether to map every page of a file in when it is opened or created, so that no record stalls on a page
     * fault. On by default for writers, off for readers.
     *
     * @param preTouch true to touch every page.
     * @return this for a fluent API.
     */
    public C preTouch(final boolean preTouch)
    {
        this.preTouch = preTouch;
        return self();
    }

    /**
     * Whether every page is touched when a file is opened or created.
     *
     * @return true when pages are touched.
     */
    public boolean preTouch()
    {
        return preTouch;
    }

    /**
     * Where the files this component is done with get unmapped: by default (null) at once, on the thread that is done
     * with them; with a {@link MappingReleaser}, on the thread that runs it, which keeps the milliseconds of unmapping
     * a large file off a low-latency thread (a journal's roll unmaps a segment in every writer and reader).
     *
     * @param mappingReleaser to hand mappings to, or null to unmap at once.
     * @return this for a fluent API.
     */
    public C mappingReleaser(final MappingReleaser mappingReleaser)
    {
        this.mappingReleaser = mappingReleaser;
        return self();
    }

    /**
     * Where the files this component is done with get unmapped.
     *
     * @return the releaser, or null when they are unmapped at once.
     */
    public MappingReleaser mappingReleaser()
    {
        return mappingReleaser;
    }

    /**
     * Check the shared fields.
     *
     * @throws IllegalArgumentException when the clock is null.
     */
    protected void concludeCommon()
    {
        if (null == epochClock)
        {
            throw new IllegalArgumentException("epochClock must not be null");
        }
    }

    /**
     * This context as its concrete type.
     *
     * @return this.
     */
    @SuppressWarnings("unchecked")
    protected final C self()
    {
        return (C)this;
    }
}
