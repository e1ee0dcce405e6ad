package org.kekbit.samples;

import java.nio.file.Path;
import java.nio.file.Paths;

import org.kekbit.channel.ChannelWriter;

/**
 * Settings shared by the samples, read from system properties so every sample runs with no argument at all.
 * <ul>
 *     <li>{@code kekbit.sample.root}: folder of the channels; /dev/shm/kekbit where there is one, else the temp
 *     folder.</li>
 *     <li>{@code kekbit.sample.records}: records to send, 10,000,000 by default.</li>
 *     <li>{@code kekbit.sample.payload}: payload length in bytes, at least 16, 32 by default.</li>
 *     <li>{@code kekbit.sample.keep}: true to keep the channel file after the run, false by default.</li>
 * </ul>
 */
public final class SampleConfiguration
{
    private final Path root;
    private final long records;
    private final int payloadLength;
    private final boolean keep;

    /**
     * Settings with explicit values.
     *
     * @param root          folder of the channels.
     * @param records       to send.
     * @param payloadLength of each record.
     * @param keep          true to keep the channel file.
     */
    public SampleConfiguration(final Path root, final long records, final int payloadLength, final boolean keep)
    {
        if (records <= 0)
        {
            throw new IllegalArgumentException("kekbit.sample.records must be positive: actual=" + records);
        }
        if (payloadLength < 16)
        {
            throw new IllegalArgumentException("kekbit.sample.payload must be at least 16: actual=" + payloadLength);
        }
        this.root = root;
        this.records = records;
        this.payloadLength = payloadLength;
        this.keep = keep;
    }

    /**
     * Settings from system properties, with defaults for the ones not set.
     *
     * @return the settings.
     * @throws IllegalArgumentException naming the property whose value is not usable.
     */
    public static SampleConfiguration fromSystemProperties()
    {
        final String root = System.getProperty("kekbit.sample.root");
        return new SampleConfiguration(
            null == root ? ChannelWriter.Context.defaultRoot() : Paths.get(root),
            SampleChannels.longProperty(System.getProperties(), "kekbit.sample.records", 10_000_000L),
            (int)SampleChannels.longProperty(System.getProperties(), "kekbit.sample.payload", 32),
            Boolean.getBoolean("kekbit.sample.keep"));
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
     * Records to send.
     *
     * @return the count.
     */
    public long records()
    {
        return records;
    }

    /**
     * Payload length of each record.
     *
     * @return the length in bytes.
     */
    public int payloadLength()
    {
        return payloadLength;
    }

    /**
     * Whether to keep the channel file after the run.
     *
     * @return true to keep it.
     */
    public boolean keep()
    {
        return keep;
    }
}
