package org.kekbit.samples;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Properties;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

/**
 * Where the samples' channels live and how the samples wait, shared by the samples that run as separate processes.
 * Every setting has a default, so each sample runs with no setting at all; the {@code fromProperties} factory reads
 * them from system properties placed before the class name:
 * <ul>
 *     <li>{@code kekbit.sample.root}: folder of the channels; /dev/shm/kekbit where there is one, else kekbit in the
 *     temp folder.</li>
 *     <li>{@code kekbit.sample.channel}: id of the sample's channel, decimal or 0x hex; each sample has its own
 *     default so that they can run side by side.</li>
 *     <li>{@code kekbit.sample.timeout}: milliseconds to wait for a peer's channel to appear, 60,000 by default.</li>
 *     <li>{@code kekbit.sample.idle}: idle strategy of the duty cycles: {@code backoff}, {@code yielding},
 *     {@code sleeping} or {@code busyspin}; each sample has its own default.</li>
 *     <li>{@code kekbit.sample.capacity}: capacity of the channels of text samples in bytes, 1 MiB by default.</li>
 *     <li>{@code kekbit.sample.keep}: true to keep the channels a sample would delete at its end.</li>
 * </ul>
 * Not threadsafe: configure on one thread, then share read-only.
 */
public final class SampleChannels
{
    /**
     * System property naming the folder of the channels.
     */
    public static final String ROOT_PROPERTY = "kekbit.sample.root";

    /**
     * System property holding the id of the sample's channel.
     */
    public static final String CHANNEL_PROPERTY = "kekbit.sample.channel";

    /**
     * System property holding how long to wait for a peer's channel, in milliseconds.
     */
    public static final String TIMEOUT_PROPERTY = "kekbit.sample.timeout";

    /**
     * System property naming the idle strategy of the duty cycles.
     */
    public static final String IDLE_PROPERTY = "kekbit.sample.idle";

    /**
     * System property holding the capacity of the text samples' channels, in bytes.
     */
    public static final String CAPACITY_PROPERTY = "kekbit.sample.capacity";

    /**
     * System property: true to keep the channels a sample deletes at its end.
     */
    public static final String KEEP_PROPERTY = "kekbit.sample.keep";

    /**
     * Default wait for a peer's channel.
     */
    public static final long DEFAULT_TIMEOUT_MS = 60_000;

    /**
     * Default capacity of the text samples' channels: 1 MiB.
     */
    public static final long DEFAULT_CAPACITY = 1024 * 1024;

    /**
     * Pause between attempts to open a channel that is not there yet.
     */
    static final long AWAIT_IDLE_MS = 10;

    private Path root = ChannelWriter.Context.defaultRoot();
    private long channelId;
    private long timeoutMs = DEFAULT_TIMEOUT_MS;
    private String idle = "backoff";
    private long capacity = DEFAULT_CAPACITY;
    private boolean keep;

    /**
     * Settings read from properties, with defaults for the ones not set.
     *
     * @param properties       to read, usually {@link System#getProperties()}.
     * @param defaultChannelId of the sample, used when {@value #CHANNEL_PROPERTY} is not set.
     * @param defaultIdle      name of the sample's idle strategy, used when {@value #IDLE_PROPERTY} is not set.
     * @return the settings.
     * @throws IllegalArgumentException naming the property whose value is not usable.
     */
    public static SampleChannels fromProperties(
        final Properties properties, final long defaultChannelId, final String defaultIdle)
    {
        final String root = properties.getProperty(ROOT_PROPERTY);
        final String keep = properties.getProperty(KEEP_PROPERTY, "false");
        if (!"true".equalsIgnoreCase(keep) && !"false".equalsIgnoreCase(keep))
        {
            throw new IllegalArgumentException(KEEP_PROPERTY + " must be true or false: actual=" + keep);
        }

        final SampleChannels channels = new SampleChannels()
            .channelId(longProperty(properties, CHANNEL_PROPERTY, defaultChannelId))
            .timeoutMs(longProperty(properties, TIMEOUT_PROPERTY, DEFAULT_TIMEOUT_MS))
            .idle(properties.getProperty(IDLE_PROPERTY, defaultIdle))
            .capacity(longProperty(properties, CAPACITY_PROPERTY, DEFAULT_CAPACITY))
            .keep(Boolean.parseBoolean(keep));
        if (null != root)
        {
            if (root.isBlank())
            {
                throw new IllegalArgumentException(ROOT_PROPERTY + " must not be empty");
            }
            channels.root(Paths.get(root));
        }

        return channels;
    }

    /**
     * Read a whole number from a property: decimal with optional {@code _} or {@code ,} separators, or hex after
     * {@code 0x}.
     *
     * @param properties   to read.
     * @param name         of the property.
     * @param defaultValue when the property is not set.
     * @return the value.
     * @throws IllegalArgumentException naming the property when its value is not a number.
     */
    public static long longProperty(final Properties properties, final String name, final long defaultValue)
    {
        final String value = properties.getProperty(name);
        if (null == value)
        {
            return defaultValue;
        }

        final String digits = value.trim().replace("_", "").replace(",", "");
        try
        {
            if (digits.startsWith("0x") || digits.startsWith("0X"))
            {
                return Long.parseUnsignedLong(digits.substring(2), 16);
            }

            return Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " must be a number: actual=" + value);
        }
    }

    /**
     * Configuration of a writer for a channel under the root, with the capacity of these settings.
     *
     * @param channelId of the channel.
     * @return a new context, to adjust further before {@link ChannelWriter#create(ChannelWriter.Context)}.
     */
    public ChannelWriter.Context writerContext(final long channelId)
    {
        return new ChannelWriter.Context().root(root).channelId(channelId).capacity(capacity);
    }

    /**
     * Configuration of a reader for a channel under the root.
     *
     * @param channelId of the channel.
     * @return a new context.
     */
    public ChannelReader.Context readerContext(final long channelId)
    {
        return new ChannelReader.Context().root(root).channelId(channelId);
    }

    /**
     * Open a channel under the root, waiting up to {@link #timeoutMs()} for its writer to create it.
     *
     * @param channelId of the channel.
     * @return a reader at position 0.
     * @throws org.kekbit.channel.ChannelException with reason TIMEOUT when the channel did not appear in time, or
     *                                             any reason {@link ChannelReader#open(ChannelReader.Context)} has.
     */
    public ChannelReader awaitReader(final long channelId)
    {
        return ChannelReader.awaitOpen(
            readerContext(channelId), new SleepingMillisIdleStrategy(AWAIT_IDLE_MS), timeoutMs);
    }

    /**
     * A new idle strategy of the configured kind; each duty cycle needs its own.
     *
     * @return the idle strategy.
     */
    public IdleStrategy newIdleStrategy()
    {
        return switch (idle)
        {
            case "backoff" -> new BackoffIdleStrategy();
            case "yielding" -> new YieldingIdleStrategy();
            case "sleeping" -> new SleepingMillisIdleStrategy(1);
            case "busyspin" -> new BusySpinIdleStrategy();
            default -> throw new IllegalStateException("unknown idle strategy: " + idle);
        };
    }

    /**
     * Folder of the channels.
     *
     * @param root folder.
     * @return this for a fluent API.
     * @throws IllegalArgumentException when the root is null.
     */
    public SampleChannels root(final Path root)
    {
        if (null == root)
        {
            throw new IllegalArgumentException(ROOT_PROPERTY + " must be set");
        }
        this.root = root;
        return this;
    }

    /**
     * Folder of the channels.
     *
     * @return the root folder.
     */
    public Path root()
    {
        return root;
    }

    /**
     * Id of the sample's channel.
     *
     * @param channelId of the channel.
     * @return this for a fluent API.
     */
    public SampleChannels channelId(final long channelId)
    {
        this.channelId = channelId;
        return this;
    }

    /**
     * Id of the sample's channel.
     *
     * @return the channel id.
     */
    public long channelId()
    {
        return channelId;
    }

    /**
     * How long to wait for a peer's channel to appear.
     *
     * @param timeoutMs in milliseconds, positive.
     * @return this for a fluent API.
     * @throws IllegalArgumentException when the timeout is not positive.
     */
    public SampleChannels timeoutMs(final long timeoutMs)
    {
        if (timeoutMs <= 0)
        {
            throw new IllegalArgumentException(TIMEOUT_PROPERTY + " must be positive: actual=" + timeoutMs);
        }
        this.timeoutMs = timeoutMs;
        return this;
    }

    /**
     * How long to wait for a peer's channel to appear.
     *
     * @return the timeout in milliseconds.
     */
    public long timeoutMs()
    {
        return timeoutMs;
    }

    /**
     * Kind of idle strategy of the duty cycles.
     *
     * @param idle one of {@code backoff}, {@code yielding}, {@code sleeping} or {@code busyspin}, in any case.
     * @return this for a fluent API.
     * @throws IllegalArgumentException when the kind is none of these.
     */
    public SampleChannels idle(final String idle)
    {
        final String name = null == idle ? "" : idle.trim().toLowerCase(Locale.ROOT);
        switch (name)
        {
            case "backoff", "yielding", "sleeping", "busyspin" -> this.idle = name;
            default -> throw new IllegalArgumentException(
                IDLE_PROPERTY + " must be backoff, yielding, sleeping or busyspin: actual=" + idle);
        }
        return this;
    }

    /**
     * Kind of idle strategy of the duty cycles.
     *
     * @return the name of the kind.
     */
    public String idle()
    {
        return idle;
    }

    /**
     * Capacity of the text samples' channels.
     *
     * @param capacity in bytes, within the limits of {@link ChannelDescriptor#checkCapacity(long)}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException when the capacity is out of range or misaligned.
     */
    public SampleChannels capacity(final long capacity)
    {
        try
        {
            ChannelDescriptor.checkCapacity(capacity);
        }
        catch (final ChannelException ex)
        {
            throw new IllegalArgumentException(CAPACITY_PROPERTY + ": " + ex.getMessage());
        }
        this.capacity = capacity;
        return this;
    }

    /**
     * Capacity of the text samples' channels.
     *
     * @return the capacity in bytes.
     */
    public long capacity()
    {
        return capacity;
    }

    /**
     * Whether to keep the channels a sample deletes at its end.
     *
     * @param keep true to keep them.
     * @return this for a fluent API.
     */
    public SampleChannels keep(final boolean keep)
    {
        this.keep = keep;
        return this;
    }

    /**
     * Whether to keep the channels a sample deletes at its end.
     *
     * @return true to keep them.
     */
    public boolean keep()
    {
        return keep;
    }
}
