package org.kekbit.samples.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelState;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.journal.JournalNamedReaders;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.sbe.SbeRecordDispatcher;
import org.kekbit.tool.KekbitTool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
            PipelineConfiguration.of(root, 50_000, 0, 0), new PrintStream(output, true, StandardCharsets.UTF_8));

        assertEquals(50_000, result.quotes().journaled());
        assertEquals(5_000, result.orders().journaled());
        assertEquals(5_000, result.executions().journaled());
        assertEquals(0, result.sequenceErrors());
        assertEquals(ChannelState.CLOSED, result.executions().endState());
        assertEquals(5_000, result.latencyNs().getTotalCount());
        assertTrue(result.isValid());

        final String text = output.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("every order got its execution report: yes"), text);
        assertTrue(text.contains(TradingPipeline.journalFolder(root, 0).toString()), text);
        assertTrue(text.contains("queueing delay, us, from the quote's write (5,000 orders)"), text);
        assertTrue(text.contains("warm-up: none, every order is measured"), text);
        assertTrue(text.contains("1 thread [feed+strategy+exchange+journal] on " +
            Runtime.getRuntime().availableProcessors() + " cores (1-min load average "), text);
        assertTrue(text.contains("); idle strategy yielding (Thread.yield, never parks); readers do not pre-touch"),
            text);
    }

    @Test
    @Timeout(120)
    void shouldLeaveChannelsAFreshReaderCanCheckWhenPipelineEnds()
    {
        TradingPipeline.run(new PipelineConfiguration(root, 2_000, 0, 4, 0, PipelineConfiguration.DEFAULT_THREADS,
            PipelineConfiguration.DEFAULT_IDLE, false),
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
        try (JournalReader reader = JournalReader.open(
            new JournalReader.Context().folder(TradingPipeline.journalFolder(root, 2))))
        {
            while (reader.poll(dispatcher, 100) > 0)
            {
                assertTrue(fills[0] <= 500);
            }
            assertEquals(JournalState.CLOSED, reader.state());
        }
        assertEquals(500, fills[0]);
    }

    @Test
    @Timeout(120)
    void shouldRollEveryJournalAndLeaveNamedReaderAtEachEndWhenSegmentsAreSmall()
    {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final PipelineConfiguration config = new PipelineConfiguration(root, 50_000, 0, 10, 0,
            PipelineConfiguration.DEFAULT_THREADS, PipelineConfiguration.DEFAULT_IDLE, false, 64 * 1024);

        final TradingPipeline.Result result = TradingPipeline.run(config, new PrintStream(output, true,
            StandardCharsets.UTF_8));

        final String text = output.toString(StandardCharsets.UTF_8);
        assertTrue(result.isValid(), text);
        for (int i = 0; i < 3; i++)
        {
            final Path folder = TradingPipeline.journalFolder(root, i);
            final ByteArrayOutputStream verifyOutput = new ByteArrayOutputStream();
            final int exitCode = KekbitTool.run(new String[]{ "verify", folder.toString() },
                new PrintStream(verifyOutput, true, StandardCharsets.UTF_8), System.err);
            final String verify = verifyOutput.toString(StandardCharsets.UTF_8);
            assertEquals(KekbitTool.EXIT_OK, exitCode, verify);
            assertTrue(verify.contains("state: CLOSED"), verify);
            final int segments = Integer.parseInt(verify.replaceAll("(?s).*segments: (\\d+).*", "$1"));
            assertTrue(segments >= 5, folder + ": " + verify);
            final long endPosition = Long.parseLong(verify.replaceAll("(?s).*position: (\\d+).*", "$1"));

            final List<JournalNamedReaders.NamedReader> readers =
                JournalNamedReaders.list(folder, System.currentTimeMillis(), 10_000);
            assertEquals(1, readers.size(), readers.toString());
            assertEquals(TradingPipeline.READER_NAME, readers.get(0).name());
            assertEquals(endPosition, readers.get(0).position(), "the journal committed up to the end");
            assertFalse(readers.get(0).isAlive(), "closed with the pipeline");
            assertTrue(text.contains("named reader journal of " + List.of("quotes", "orders", "executions").get(i) +
                ": committed position " + String.format(Locale.ROOT, "%,d", endPosition) +
                ", 0 bytes behind the end"), text);
        }
        assertTrue(text.matches("(?s).*quotes .* CLOSED +\\d+  " + Pattern.quote(
            TradingPipeline.journalFolder(root, 0).toString()) + " \\(\\d+ rolls; \\d+ segments made inline\\).*"),
            text);
        assertTrue(text.contains(
            "journal segments of 64 KiB made, mapped for the readers and unmapped on one more thread"), text);
    }

    @Test
    @Timeout(120)
    void shouldReplacePreviousRunWhenRunTwiceInSameRoot()
    {
        final PipelineConfiguration config = PipelineConfiguration.of(root, 1_000, 0, 0);
        final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        assertTrue(TradingPipeline.run(config, out).isValid());
        assertTrue(TradingPipeline.run(config, out).isValid());
    }

    @Test
    void shouldRejectUnusableSettingsWhenConfigured()
    {
        assertThrows(IllegalArgumentException.class, () -> PipelineConfiguration.of(root, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> PipelineConfiguration.of(root, 10, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> PipelineConfiguration.of(root, 10, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> PipelineConfiguration.of(root, 10, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> config(10, 0, 0, "feed+strategy+exchange+journal", "x"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "feed", "feed+strategy+exchange", "feed+strategy+exchange+journal+feed",
        "feed+strategy/exchange+journal/", "feed+strategy+exchange+journal+broker", "feed strategy exchange journal" })
    void shouldRejectThreadLayoutWhenAgentMissingRepeatedOrUnknown(final String threads)
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> config(10, 0, 0, threads, "yielding"));
        assertTrue(ex.getMessage().startsWith("kekbit.pipeline.threads must name each of feed, strategy"),
            ex.getMessage());
    }

    @Test
    void shouldParseThreadLayoutWhenAgentsSplitOverThreads()
    {
        final PipelineConfiguration config = config(10, 0, 0, " Feed+exchange / strategy+journal ", "BusySpin");

        assertEquals(List.of(List.of("feed", "exchange"), List.of("strategy", "journal")), config.threadAgents());
        assertEquals("busyspin", config.idle());
        assertTrue(config.newIdleStrategy() instanceof BusySpinIdleStrategy);
    }

    @Test
    void shouldUseDefaultsWhenNoPropertySet()
    {
        final PipelineConfiguration config = PipelineConfiguration.fromProperties(new Properties());

        assertEquals(2_000_000, config.quotes());
        assertEquals(400_000, config.rate());
        assertEquals(10, config.orderEvery());
        assertEquals(400_000, config.warmupQuotes());
        assertEquals(List.of(List.of("feed", "strategy", "exchange", "journal")), config.threadAgents());
        assertEquals("yielding", config.idle());
        assertTrue(config.newIdleStrategy() instanceof YieldingIdleStrategy);
        assertFalse(config.preTouch());
        assertEquals(8 * 1024 * 1024, config.segmentCapacity());
    }

    @Test
    void shouldReadEverySettingWhenPropertiesSet()
    {
        final Properties properties = new Properties();
        properties.setProperty("kekbit.pipeline.root", root.toString());
        properties.setProperty("kekbit.pipeline.quotes", "1,000");
        properties.setProperty("kekbit.pipeline.rate", "0");
        properties.setProperty("kekbit.pipeline.orderEvery", "4");
        properties.setProperty("kekbit.pipeline.threads", "journal/feed+exchange+strategy");
        properties.setProperty("kekbit.pipeline.idle", "backoff");
        properties.setProperty("kekbit.pipeline.preTouch", "TRUE");
        properties.setProperty("kekbit.pipeline.segmentCapacity", "65536");

        final PipelineConfiguration config = PipelineConfiguration.fromProperties(properties);

        assertEquals(root, config.root());
        assertEquals(1_000, config.quotes());
        assertEquals(0, config.rate());
        assertEquals(4, config.orderEvery());
        assertEquals(200, config.warmupQuotes(), "a fifth of the quotes when fewer than 400,000");
        assertEquals(50, config.warmupOrders());
        assertEquals(List.of(List.of("journal"), List.of("feed", "exchange", "strategy")), config.threadAgents());
        assertTrue(config.newIdleStrategy() instanceof BackoffIdleStrategy);
        assertTrue(config.preTouch());
        assertEquals(65536, config.segmentCapacity());
    }

    @ParameterizedTest
    @ValueSource(strings = { "kekbit.pipeline.preTouch=yes", "kekbit.pipeline.idle=sleeping",
        "kekbit.pipeline.warmup=2000000", "kekbit.pipeline.orderEvery=4294967296", "kekbit.pipeline.rate=fast",
        "kekbit.pipeline.segmentCapacity=1000000", "kekbit.pipeline.segmentCapacity=2048" })
    void shouldNamePropertyWhenValueUnusable(final String setting)
    {
        final Properties properties = new Properties();
        final String[] nameAndValue = setting.split("=");
        properties.setProperty(nameAndValue[0], nameAndValue[1]);

        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> PipelineConfiguration.fromProperties(properties));
        assertTrue(ex.getMessage().startsWith(nameAndValue[0] + " "), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { "feed+strategy+exchange+journal", "feed+exchange/strategy+journal",
        "feed/strategy/exchange/journal" })
    @Timeout(120)
    void shouldMeasureEveryOrderAfterWarmupAndDescribeRunWhenRateLimited(final String threads)
    {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        // 20,000 quotes at 200,000/s: 0.1 s, of which the first 4,000 quotes (400 orders) are warm-up.
        final TradingPipeline.Result result = TradingPipeline.run(config(20_000, 200_000, 4_000, threads, "backoff"),
            new PrintStream(output, true, StandardCharsets.UTF_8));

        final String text = output.toString(StandardCharsets.UTF_8);
        assertTrue(result.isValid(), text);
        assertEquals(2_000, result.executions().journaled());
        assertEquals(400, result.warmupOrders());
        assertEquals(1_600, result.latencyNs().getTotalCount(), "every order after the warm-up, and no other");
        assertTrue(text.contains("latency run: 20,000 quotes at 200,000/s, one order every 10 quotes"), text);
        assertTrue(text.contains(threads.split("/").length + (threads.contains("/") ? " threads" : " thread") +
            " [" + threads.replace("/", "] [") + "] on " + Runtime.getRuntime().availableProcessors() + " cores " +
            "(1-min load average "), text);
        assertTrue(text.contains("); idle strategy backoff (100 spins, 10 yields, then parks of 1 us doubling to " +
            "100 us); readers pre-touch their pages"), text);
        assertTrue(text.contains("warm-up: the first 4,000 quotes (0.02 s) and their 400 orders are not measured"),
            text);
        assertTrue(text.matches("(?s).*\\nlatency, us, from the quote's intended send time \\(1,600 orders\\)" +
            " +p50 +p90 +p99 +p99\\.9 +max\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n  quote-to-execution: report read by the journal( +\\d+\\.\\d){5}\\n.*"),
            text);
        assertTrue(text.contains("journal: followed every channel to its end, saw every record written " +
            "(24,000 records), 0 out of sequence"), text);
    }

    @Test
    @Timeout(120)
    void shouldLabelDelaysAsQueueingWhenRunAtFullSpeed()
    {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        TradingPipeline.run(PipelineConfiguration.of(root, 10_000, 0, 1_000),
            new PrintStream(output, true, StandardCharsets.UTF_8));

        final String text = output.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("throughput run: 10,000 quotes at full speed"), text);
        assertTrue(text.contains("queueing delay, us, from the quote's write (900 orders)"), text);
        assertFalse(text.contains("latency, us"), text);
        assertFalse(text.contains("rate limiter"), text);
    }

    @Test
    void shouldSayFiguresAreNotLatencyWhenFeedFellBehindSchedule()
    {
        final Histogram feedLatenessNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (int i = 0; i < 80; i++)
        {
            feedLatenessNs.recordValue(2_000);
        }
        for (int i = 0; i < 20; i++)
        {
            feedLatenessNs.recordValue(TimeUnit.MILLISECONDS.toNanos(250));
        }

        final String note = TradingPipeline.feedBehindNote(feedLatenessNs, 400_000, 11.5, 2);

        assertNotNull(note);
        assertTrue(note.startsWith("  (NOT Kekbit's latency: the feed fell behind its schedule, one quote in ten " +
            "written 250."), note); // HdrHistogram keeps 3 significant digits
        assertTrue(note.contains(" ms or more late."), note);
        assertTrue(note.contains("could not run 400,000 quotes/s beside its other work (1-min load average 11.5 " +
            "on 2 cores)"), note);
    }

    @Test
    void shouldAddNoNoteWhenFeedKeptSchedule()
    {
        final Histogram feedLatenessNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (int i = 0; i < 99; i++)
        {
            feedLatenessNs.recordValue(1_000 + i * 100);
        }
        feedLatenessNs.recordValue(TimeUnit.MILLISECONDS.toNanos(40)); // one stall is latency, not a late feed

        assertNull(TradingPipeline.feedBehindNote(feedLatenessNs, 400_000, 0.2, 2));
    }

    private PipelineConfiguration config(
        final long quotes, final long rate, final long warmupQuotes, final String threads, final String idle)
    {
        return new PipelineConfiguration(root, quotes, rate, 10, warmupQuotes, threads, idle, true);
    }
}
