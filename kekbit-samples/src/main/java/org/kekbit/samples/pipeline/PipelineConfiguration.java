package org.kekbit.samples.pipeline;

import java.nio.file.Path;
import java.nio.file.Paths;

import org.kekbit.channel.ChannelWriter;

import static org.kekbit.samples.SampleChannels.longProperty;

/**
 * Settings of the trading pipeline, from system properties with defaults that finish in a few seconds:
 * <ul>
 *     <li>{@code kekbit.pipeline.root}: folder of the run; {@code pipeline} under the default channel root
 *     (/dev/shm/kekbit, or the temp folder where there is no /dev/shm). Its channels are replaced on each run.</li>
 *     <li>{@code kekbit.pipeline.quotes}: quotes the feed publishes, 2,000,000 by default.</li>
 *     <li>{@code kekbit.pipeline.rate}: quotes per second, 400,000 by default; 0 publishes as fast as possible.</li>
 *     <li>{@code kekbit.pipeline.orderEvery}: the strategy sends one order every this many quotes, 10 by default.</li>
 * </ul>
 *
 * @param root       folder of the run's channels.
 * @param quotes     to publish.
 * @param rate       quotes per second, 0 for as fast as possible.
 * @param orderEvery quotes per order.
 */
public record PipelineConfiguration(Path root, long quotes, long rate, int orderEvery)
{
    /**
     * Validate the settings.
     *
     * @param root       folder of the run's channels.
     * @param quotes     to publish.
     * @param rate       quotes per second, 0 for as fast as possible.
     * @param orderEvery quotes per order.
     */
    public PipelineConfiguration
    {
        if (quotes <= 0)
        {
            throw new IllegalArgumentException("kekbit.pipeline.quotes must be positive: actual=" + quotes);
        }
        if (rate < 0)
        {
            throw new IllegalArgumentException("kekbit.pipeline.rate must not be negative: actual=" + rate);
        }
        if (orderEvery <= 0)
        {
            throw new IllegalArgumentException("kekbit.pipeline.orderEvery must be positive: actual=" + orderEvery);
        }
    }

    /**
     * Settings from system properties.
     *
     * @return the settings.
     * @throws IllegalArgumentException naming the property whose value is not usable.
     */
    public static PipelineConfiguration fromSystemProperties()
    {
        final String root = System.getProperty("kekbit.pipeline.root");
        return new PipelineConfiguration(
            null == root ? ChannelWriter.Context.defaultRoot().resolve("pipeline") : Paths.get(root),
            longProperty(System.getProperties(), "kekbit.pipeline.quotes", 2_000_000),
            longProperty(System.getProperties(), "kekbit.pipeline.rate", 400_000),
            (int)longProperty(System.getProperties(), "kekbit.pipeline.orderEvery", 10));
    }

    /**
     * Orders the strategy will send.
     *
     * @return the number of orders.
     */
    public long orders()
    {
        return quotes / orderEvery;
    }
}
