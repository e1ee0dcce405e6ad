package org.kekbit.benchmarks;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SustainedStreamingBenchmarkTest
{
    private final SustainedStreamingBenchmark.SequencedConsumer consumer =
        new SustainedStreamingBenchmark.SequencedConsumer()
        {
            protected int poll(final int limit)
            {
                return 0;
            }
        };

    @Test
    void shouldAcceptRecordsWhenSequencesFollowEachOther()
    {
        consumer.payloadLength = 32;
        consumer.check(0, 32);
        consumer.check(1, 32);

        assertEquals(2, consumer.expectedSequence);
    }

    @Test
    void shouldFailWhenARecordIsMissing()
    {
        consumer.payloadLength = 32;
        consumer.check(0, 32);

        assertThrows(IllegalStateException.class, () -> consumer.check(2, 32));
    }

    @Test
    void shouldFailWhenTheLengthDiffers()
    {
        consumer.payloadLength = 32;

        assertThrows(IllegalStateException.class, () -> consumer.check(0, 40));
    }
}
