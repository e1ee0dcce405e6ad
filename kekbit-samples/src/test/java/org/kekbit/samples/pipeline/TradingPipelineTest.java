package org.kekbit.samples.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.sbe.SbeRecordDispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TradingPipelineTest
{
    @TempDir
    Path root;

    @Test
    @Timeout(120)
    void shouldGiveEveryOrderItsExecutionReportWhenPipelineRuns()
    {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final TradingPipeline.Result result = TradingPipeline.run(
            new PipelineConfiguration(root, 50_000, 0, 10), new PrintStream(output, true, StandardCharsets.UTF_8));

        assertEquals(50_000, result.quotes());
        assertEquals(5_000, result.orders());
        assertEquals(5_000, result.executions());
        assertEquals(0, result.sequenceErrors());
        assertEquals(ChannelState.CLOSED, result.executionsEnd());
        assertEquals(5_000, result.latencyNs().getTotalCount());
        assertTrue(result.isValid());

        final String text = output.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("every order got its execution report: yes"), text);
        assertTrue(text.contains(ChannelDescriptor.channelPath(root, TradingPipeline.QUOTES_CHANNEL_ID).toString()));
        assertTrue(text.contains("quote-to-execution latency"), text);
    }

    @Test
    @Timeout(120)
    void shouldLeaveChannelsAFreshReaderCanCheckWhenPipelineEnds()
    {
        TradingPipeline.run(new PipelineConfiguration(root, 2_000, 0, 4),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        final long[] fills = new long[1];
        final long[] lastClOrdId = new long[1];
        final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new ExecutionReportDecoder(), report ->
        {
            assertEquals(ExecType.FILL, report.execType());
            assertEquals(lastClOrdId[0] + 1, report.clOrdId());
            lastClOrdId[0] = report.clOrdId();
            fills[0]++;
        });
        try (ChannelReader reader = ChannelReader.open(
            ChannelDescriptor.channelPath(root, TradingPipeline.EXECUTIONS_CHANNEL_ID)))
        {
            while (reader.poll(dispatcher, 100) > 0)
            {
                assertTrue(fills[0] <= 500);
            }
            assertEquals(ChannelState.CLOSED, reader.state());
        }
        assertEquals(500, fills[0]);
    }

    @Test
    @Timeout(120)
    void shouldReplacePreviousRunWhenRunTwiceInSameRoot()
    {
        final PipelineConfiguration config = new PipelineConfiguration(root, 1_000, 0, 10);
        final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        assertTrue(TradingPipeline.run(config, out).isValid());
        assertTrue(TradingPipeline.run(config, out).isValid());
    }

    @Test
    void shouldRejectUnusableSettingsWhenConfigured()
    {
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfiguration(root, 0, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfiguration(root, 10, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfiguration(root, 10, 0, 0));
    }
}
