package org.kekbit.samples;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleChannelsTest
{
    @Test
    @Timeout(10)
    void shouldUseDefaultsWhenNoPropertyIsSet()
    {
        final SampleChannels channels = SampleChannels.fromProperties(new Properties(), 42, "yielding");

        assertEquals(ChannelWriter.Context.defaultRoot(), channels.root());
        assertEquals(42, channels.channelId());
        assertEquals(SampleChannels.DEFAULT_TIMEOUT_MS, channels.timeoutMs());
        assertEquals(SampleChannels.DEFAULT_CAPACITY, channels.capacity());
        assertEquals("yielding", channels.idle());
        assertFalse(channels.keep());
    }

    @Test
    @Timeout(10)
    void shouldReadEverySettingWhenPropertiesAreSet()
    {
        final Properties properties = new Properties();
        properties.setProperty(SampleChannels.ROOT_PROPERTY, "/tmp/somewhere");
        properties.setProperty(SampleChannels.CHANNEL_PROPERTY, "0x1_0000_002A");
        properties.setProperty(SampleChannels.TIMEOUT_PROPERTY, "1,500");
        properties.setProperty(SampleChannels.IDLE_PROPERTY, " BusySpin ");
        properties.setProperty(SampleChannels.CAPACITY_PROPERTY, "65_536");
        properties.setProperty(SampleChannels.KEEP_PROPERTY, "TRUE");

        final SampleChannels channels = SampleChannels.fromProperties(properties, 1, "backoff");

        assertEquals(Paths.get("/tmp/somewhere"), channels.root());
        assertEquals(0x1_0000_002AL, channels.channelId());
        assertEquals(1500, channels.timeoutMs());
        assertEquals("busyspin", channels.idle());
        assertEquals(65_536, channels.capacity());
        assertTrue(channels.keep());
    }

    @Test
    @Timeout(10)
    void shouldMakeIdleStrategyOfEachKindWhenAsked()
    {
        final SampleChannels channels = new SampleChannels();

        assertInstanceOf(BackoffIdleStrategy.class, channels.idle("backoff").newIdleStrategy());
        assertInstanceOf(YieldingIdleStrategy.class, channels.idle("yielding").newIdleStrategy());
        assertInstanceOf(SleepingMillisIdleStrategy.class, channels.idle("sleeping").newIdleStrategy());
        assertInstanceOf(BusySpinIdleStrategy.class, channels.idle("busyspin").newIdleStrategy());
    }

    @Test
    @Timeout(10)
    void shouldBuildContextsUnderTheRootWhenAskedForAChannel()
    {
        final Path root = Paths.get("/tmp/root");
        final SampleChannels channels = new SampleChannels().root(root).capacity(4096);

        final ChannelWriter.Context writerContext = channels.writerContext(7).conclude();

        assertEquals(root, writerContext.root());
        assertEquals(7, writerContext.channelId());
        assertEquals(4096, writerContext.capacity());
        assertEquals(writerContext.path(), channels.readerContext(7).conclude().path());
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource(delimiter = '|', value = {
        "kekbit.sample.channel  | forty-two | kekbit.sample.channel must be a number: actual=forty-two",
        "kekbit.sample.timeout  | 0         | kekbit.sample.timeout must be positive: actual=0",
        "kekbit.sample.timeout  | soon      | kekbit.sample.timeout must be a number: actual=soon",
        "kekbit.sample.idle     | fast      | kekbit.sample.idle must be backoff, yielding, sleeping or busyspin",
        "kekbit.sample.capacity | 100       | kekbit.sample.capacity: capacity must be a multiple of 8: actual=100",
        "kekbit.sample.capacity | 8         | kekbit.sample.capacity: capacity out of range",
        "kekbit.sample.keep     | maybe     | kekbit.sample.keep must be true or false: actual=maybe",
        "kekbit.sample.root     | ' '       | kekbit.sample.root must not be empty",
    })
    void shouldNameThePropertyWhenItsValueIsNotUsable(final String name, final String value, final String message)
    {
        final Properties properties = new Properties();
        properties.setProperty(name, value);

        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> SampleChannels.fromProperties(properties, 1, "backoff"));

        assertTrue(ex.getMessage().startsWith(message), ex.getMessage());
    }
}
