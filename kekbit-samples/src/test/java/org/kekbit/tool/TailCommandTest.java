package org.kekbit.tool;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.QuoteEncoder;
import org.kekbit.codecs.trading.Side;
import org.kekbit.codecs.trading.TradeEncoder;
import org.kekbit.sbe.SbeRecordClaim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.assertNoStackTrace;
import static org.kekbit.tool.ToolTestSupport.assertOneErrorLine;
import static org.kekbit.tool.ToolTestSupport.closedChannel;
import static org.kekbit.tool.ToolTestSupport.corruptRecordAt;
import static org.kekbit.tool.ToolTestSupport.run;
import static org.kekbit.tool.ToolTestSupport.writeText;

class TailCommandTest
{
    @TempDir
    Path root;

    @Test
    void shouldPrintEachPayloadAsOneLineWhenFormatIsText()
    {
        final Path file = closedChannel(root, 1, "alpha", "wörld ✓", "", "two\nlines\tand a tab");

        final ToolResult result = run("tail", file.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("alpha\nwörld ✓\n\ntwo\\nlines\tand a tab\n", result.out());
        assertEquals("", result.err());
    }

    @Test
    void shouldPrintPositionTypeLengthAndDumpWhenFormatIsHex()
    {
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            writeText(writer, "Hi");
            final byte[] bytes = "0123456789abcdefXYZ".getBytes(StandardCharsets.US_ASCII);
            writer.write(7, new UnsafeBuffer(bytes), 0, bytes.length);
            file = writer.path();
        }

        final ToolResult result = run("tail", file.toString(), "--format", "hex");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals(
            "position=0 msgTypeId=0 length=2\n" +
            "00000000  48 69                                             |Hi|\n" +
            "position=16 msgTypeId=7 length=19\n" +
            "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n" +
            "00000010  58 59 5a                                          |XYZ|\n",
            result.out());
    }

    @Test
    void shouldDecodeTradingMessagesWhenFormatIsSbe()
    {
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            writeTradingMessages(writer);
            final byte[] other = {1, 2, 3};
            writer.write(99, new UnsafeBuffer(other), 0, other.length);
            writer.write(TradeEncoder.TEMPLATE_ID, new UnsafeBuffer(other), 0, other.length); // too short for SBE
            file = writer.path();
        }

        final ToolResult result = run("tail", file.toString(), "--format", "SBE");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        final String[] lines = result.out().split("\n");
        assertEquals(6, lines.length, result.out());
        assertTrue(lines[0].startsWith("[Quote]") && lines[0].contains("instrumentId=7") &&
            lines[0].contains("bidSize=100") && lines[0].contains("side=BUY") && lines[0].contains("side=SELL"),
            lines[0]);
        assertTrue(lines[1].startsWith("[Trade]") && lines[1].contains("aggressorSide=SELL") &&
            lines[1].contains("size=25"), lines[1]);
        assertTrue(lines[2].startsWith("[NewOrderSingle]") && lines[2].contains("clOrdId=11") &&
            lines[2].contains("account='ACC-1'"), lines[2]);
        assertTrue(lines[3].startsWith("[ExecutionReport]") && lines[3].contains("execType=FILL") &&
            lines[3].contains("text='filled'"), lines[3]);
        assertEquals("msgTypeId=99 length=3", lines[4]);
        assertTrue(lines[5].startsWith("msgTypeId=2 length=3 undecodable: "), lines[5]);
        assertNoStackTrace(result);
    }

    @Test
    void shouldPrintNothingWhenFromEndOfCommittedRecords()
    {
        final Path file = closedChannel(root, 1, "one", "two");

        final ToolResult result = run("tail", file.toString(), "--from", "end");

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("", result.out());
    }

    @Test
    void shouldStartAtRecordWhenFromIsItsPosition()
    {
        final long[] positions;
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            positions = writeText(writer, "one", "two", "three");
            file = writer.path();
        }

        assertEquals("two\nthree\n", run("tail", file.toString(), "--from", String.valueOf(positions[0])).out());
        assertEquals("three\n", run("tail", file.toString(), "--from", String.valueOf(positions[1])).out());
        assertEquals("", run("tail", file.toString(), "--from", String.valueOf(positions[2])).out());
        assertEquals("one\ntwo\nthree\n", run("tail", file.toString(), "--from", "0").out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"3", "8", "4096", "-8", "99999999999"})
    void shouldFailWithOneLineWhenFromIsNotARecordBoundary(final String position)
    {
        final Path file = closedChannel(root, 1, "a record longer than eight bytes", "two");

        final ToolResult result = run("tail", file.toString(), "--from", position);

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("--from " + position), result.err());
        assertEquals("", result.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"middle", "", "0x10", "1.5"})
    void shouldFailWithOneLineWhenFromIsNotAPosition(final String from)
    {
        final Path file = closedChannel(root, 1, "one");

        assertOneErrorLine(run("tail", file.toString(), "--from", from), KekbitTool.EXIT_USAGE);
    }

    @Test
    void shouldPrintGoodRecordsThenFailWhenChannelIsCorrupt() throws Exception
    {
        final long[] positions;
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            positions = writeText(writer, "one", "two", "three");
            file = writer.path();
        }
        corruptRecordAt(file, positions[1]);

        final ToolResult result = run("tail", file.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_FAILED);
        assertEquals("one\ntwo\n", result.out());
        assertTrue(result.err().contains("corrupt") && result.err().contains("position=" + positions[1]),
            result.err());
    }

    @Test
    @Timeout(30)
    void shouldEndFollowingWhenWriterCloses() throws Exception
    {
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            writeText(writer, "first");
            final ToolTestSupport.WatchedOutput output = new ToolTestSupport.WatchedOutput("first\n");
            final AtomicInteger exitCode = new AtomicInteger(-1);
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final Thread tail = new Thread(() -> exitCode.set(KekbitTool.run(
                new String[]{ "tail", "--follow", writer.path().toString() },
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(output, false, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))));
            tail.setDaemon(true); // a tail that never ends must not keep the test JVM alive
            tail.start();

            output.awaitText(); // the tail has printed what was there and is now waiting for more
            writeText(writer, "second", "third");
            writer.doWork();
            writer.close();
            tail.join();

            assertEquals(KekbitTool.EXIT_OK, exitCode.get(), err.toString(StandardCharsets.UTF_8));
            assertEquals("first\nsecond\nthird\n", output.text());
            assertEquals("tail: stopped at position=" + writer.position() + ": channel CLOSED\n",
                err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    @Timeout(30)
    void shouldEndFollowingWhenChannelIsFull()
    {
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1).capacity(64)))
        {
            writeText(writer, "0123456789abcdef0123", "0123456789abcdef0123");
            assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(0, new UnsafeBuffer(new byte[8]), 0, 8));
            file = writer.path();

            final ToolResult result = run("tail", "--follow", file.toString());

            assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
            assertEquals("0123456789abcdef0123\n0123456789abcdef0123\n", result.out());
            assertEquals("tail: stopped at position=64: channel FULL\n", result.err());
        }
    }

    @Test
    @Timeout(30)
    void shouldFollowAbandonedChannelForAbandonedWaitThenSayWhy() throws Exception
    {
        final CachedEpochClock stoppedClock = new CachedEpochClock(); // the heartbeat stays at 1970
        try (ChannelWriter writer = ChannelWriter.create(
            ToolTestSupport.context(root, 1).epochClock(stoppedClock).timeoutMs(1000)))
        {
            writeText(writer, "last words");
            ToolTestSupport.moveWriterToAnotherNamespace(writer.path()); // judged by its stale heartbeat: ABANDONED

            final long startNs = System.nanoTime();
            final ToolResult result = run("tail", "--follow", "--abandoned-wait", "300ms", writer.path().toString());
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

            assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
            assertEquals("last words\n", result.out());
            assertEquals("tail: stopped at position=" + writer.position() + ": channel ABANDONED\n", result.err());
            assertTrue(tookMs >= 300, "followed the abandoned channel for " + tookMs + " ms, not 300");
        }
    }

    @Test
    @Timeout(30)
    void shouldStopAfterOneBatchAndExitZeroWhenReaderOfOutputHasGone()
    {
        final Path file = channelOfManyRecords(100_000);
        final ToolTestSupport.ClosedOutput closedOutput = new ToolTestSupport.ClosedOutput();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = KekbitTool.run(new String[]{ "tail", file.toString() },
            new ByteArrayInputStream(new byte[0]), new PrintStream(closedOutput, false, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), () -> closedOutput.writes() > 0);

        assertEquals(KekbitTool.EXIT_OK, exitCode, err.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        // One write per line: a batch of records at most, not the 100,000 a tail to the end would attempt.
        assertTrue(closedOutput.writes() <= 2 * 1024, "writes=" + closedOutput.writes());
    }

    @Test
    @Timeout(30)
    void shouldStopAfterOneBatchAndExitOneWhenOutputCannotBeWritten()
    {
        final Path file = channelOfManyRecords(100_000);
        final ToolTestSupport.ClosedOutput failingOutput = new ToolTestSupport.ClosedOutput();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int exitCode = KekbitTool.run(new String[]{ "tail", file.toString() },
            new ByteArrayInputStream(new byte[0]), new PrintStream(failingOutput, false, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

        final ToolResult result = new ToolResult(exitCode, "", err.toString(StandardCharsets.UTF_8));
        assertOneErrorLine(result, KekbitTool.EXIT_FAILED);
        assertTrue(result.err().contains("cannot write the output"), result.err());
        assertTrue(failingOutput.writes() <= 2 * 1024, "writes=" + failingOutput.writes());
    }

    @Test
    @Timeout(30)
    void shouldStopFollowingIdleChannelWhenReaderOfOutputHasGone() throws Exception
    {
        // The writer stays alive and silent for longer than the test may run: only the output can end the tail.
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1).timeoutMs(120_000)))
        {
            writeText(writer, "first");
            final ToolTestSupport.WatchedOutput output = new ToolTestSupport.WatchedOutput("first\n");
            final AtomicBoolean isReaderGone = new AtomicBoolean();
            final AtomicInteger exitCode = new AtomicInteger(-1);
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final Thread tail = new Thread(() -> exitCode.set(KekbitTool.run(
                new String[]{ "tail", "--follow", writer.path().toString() },
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(output, false, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                isReaderGone::get)));
            tail.setDaemon(true);
            tail.start();

            output.awaitText();
            isReaderGone.set(true);
            tail.join();

            assertEquals(KekbitTool.EXIT_OK, exitCode.get(), err.toString(StandardCharsets.UTF_8));
            assertEquals("first\n", output.text());
            assertEquals("", err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    @Timeout(60)
    void shouldExitAtOnceWhenPipeIsClosedWhileFollowingIdleChannelInItsOwnProcess() throws Exception
    {
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1).timeoutMs(120_000)))
        {
            writeText(writer, "first");
            final Process tail = ToolTestSupport.startToolProcess("tail", "--follow", writer.path().toString());
            try
            {
                final BufferedReader lines = new BufferedReader(
                    new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("first", lines.readLine());

                lines.close(); // as head does after its lines: the pipe has no reader any more

                assertTrue(tail.waitFor(20, TimeUnit.SECONDS), "tail --follow still runs with its pipe closed");
                final String err = new String(tail.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(KekbitTool.EXIT_OK, tail.exitValue(), err);
                assertEquals("", err);
            }
            finally
            {
                tail.destroyForcibly();
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldExitAtOnceWhenPipeIsClosedWhileReadingManyRecordsInItsOwnProcess() throws Exception
    {
        final Path file = channelOfManyRecords(2_000_000);
        final Process tail = ToolTestSupport.startToolProcess("tail", file.toString());
        try
        {
            final BufferedReader lines = new BufferedReader(
                new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("record-0", lines.readLine());

            lines.close();

            assertTrue(tail.waitFor(20, TimeUnit.SECONDS), "tail still runs with its pipe closed");
            final String err = new String(tail.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(KekbitTool.EXIT_OK, tail.exitValue(), err);
            assertEquals("", err);
        }
        finally
        {
            tail.destroyForcibly();
        }
    }

    @Test
    @Timeout(30)
    void shouldWaitForChannelToAppearWhenWaitIsGiven() throws Exception
    {
        final Path file = ChannelDescriptor.channelPath(root, 1);
        final ToolTestSupport.WatchedOutput output = new ToolTestSupport.WatchedOutput("first\n");
        final AtomicInteger exitCode = new AtomicInteger(-1);
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final Thread tail = new Thread(() -> exitCode.set(KekbitTool.run(
            new String[]{ "tail", "--follow", "--wait", "25s", file.toString() },
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(output, false, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8))));
        tail.setDaemon(true);
        tail.start();
        while (Thread.State.TIMED_WAITING != tail.getState()) // idling between attempts to open a missing file
        {
            assertTrue(tail.isAlive(), err.toString(StandardCharsets.UTF_8));
            Thread.onSpinWait();
        }

        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            writeText(writer, "first");
            output.awaitText();
            writeText(writer, "second");
        }
        tail.join();

        assertEquals(KekbitTool.EXIT_OK, exitCode.get(), err.toString(StandardCharsets.UTF_8));
        assertEquals("first\nsecond\n", output.text());
    }

    @Test
    @Timeout(30)
    void shouldFailWithOneLineWhenChannelDoesNotAppearWithinWait()
    {
        final Path file = ChannelDescriptor.channelPath(root, 1);

        final ToolResult result = run("tail", "--follow", "--wait", "200ms", file.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("not ready after 200 ms"), result.err());
        assertTrue(result.err().contains(file.toString()), result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-1s", "5x", "ms", "1.5s"})
    void shouldFailWithOneLineWhenWaitIsNotADuration(final String duration)
    {
        final Path file = closedChannel(root, 1, "one");

        final ToolResult result = run("tail", "--wait", duration, file.toString());

        assertOneErrorLine(result, KekbitTool.EXIT_USAGE);
        assertTrue(result.err().contains("--wait"), result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"00 01 02", "c3 28", "ff", "41 7f"})
    void shouldHintAtHexAndSbeOnceWhenTextFormatMeetsBinaryPayloads(final String hexBytes)
    {
        final byte[] binary = HexFormat.ofDelimiter(" ").parseHex(hexBytes);
        final long[] positions;
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 1)))
        {
            positions = writeText(writer, "text");
            writer.write(3, new UnsafeBuffer(binary), 0, binary.length);
            writer.write(3, new UnsafeBuffer(binary), 0, binary.length);
            writeText(writer, "more text");
            file = writer.path();
        }

        final ToolResult result = run("tail", file.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals(4, result.out().split("\n").length, result.out());
        assertTrue(result.err().startsWith("kekbit: hint: the record at position=" + positions[0] +
            " (msgTypeId=3, length=" + binary.length + ") is not text"), result.err());
        assertTrue(result.err().contains("--format hex") && result.err().contains("--format sbe"), result.err());
        assertEquals(1, result.err().split("\n", -1).length - 1, "one line, once: " + result.err());
    }

    @Test
    void shouldNotHintWhenPayloadsAreTextEvenWithReplacementCharacter()
    {
        final Path file = closedChannel(root, 1, "plain", "tab\tand\r\nnewline", "\uFFFD is a character", "ünï");

        final ToolResult result = run("tail", file.toString());

        assertEquals(KekbitTool.EXIT_OK, result.exitCode(), result.err());
        assertEquals("", result.err());
    }

    private Path channelOfManyRecords(final int records)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[32]);
        final long capacity = records *
            (long)RecordDescriptor.alignedLength(RecordDescriptor.frameLength(16), RecordDescriptor.ALIGNMENT) +
            ChannelDescriptor.MIN_CAPACITY;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(root, 2).capacity(capacity)))
        {
            for (int i = 0; i < records; i++)
            {
                final int length = payload.putStringWithoutLengthAscii(0, "record-" + i);
                assertTrue(writer.write(0, payload, 0, length) > 0);
            }
            return writer.path();
        }
    }

    private static void writeTradingMessages(final ChannelWriter writer)
    {
        final SbeRecordClaim claim = new SbeRecordClaim();

        final QuoteEncoder quote = new QuoteEncoder();
        assertTrue(claim.tryClaim(writer, quote,
            QuoteEncoder.LevelsEncoder.sbeHeaderSize() + 2 * QuoteEncoder.LevelsEncoder.sbeBlockLength()) > 0);
        quote.instrumentId(7).sendingTimeNs(1_000).transactTimeNs(900);
        quote.bidPrice().mantissa(10_125_000_000L);
        quote.bidSize(100);
        quote.askPrice().mantissa(10_130_000_000L);
        quote.askSize(200);
        final QuoteEncoder.LevelsEncoder levels = quote.levelsCount(2);
        levels.next().side(Side.BUY).size(50).price().mantissa(10_120_000_000L);
        levels.next().side(Side.SELL).size(60).price().mantissa(10_135_000_000L);
        claim.commit();

        final TradeEncoder trade = new TradeEncoder();
        assertTrue(claim.tryClaim(writer, trade, 0) > 0);
        trade.instrumentId(7).sendingTimeNs(2_000).transactTimeNs(1_900).size(25).aggressorSide(Side.SELL);
        trade.price().mantissa(10_130_000_000L);
        claim.commit();

        final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
        assertTrue(claim.tryClaim(writer, order, NewOrderSingleEncoder.accountHeaderLength() + 16) > 0);
        order.clOrdId(11).instrumentId(7).side(Side.BUY).ordType(OrdType.LIMIT).quantity(25)
            .sendingTimeNs(3_000).transactTimeNs(2_900).originTimeNs(1_000);
        order.price().mantissa(10_130_000_000L);
        order.account("ACC-1");
        claim.commit();

        final ExecutionReportEncoder report = new ExecutionReportEncoder();
        assertTrue(claim.tryClaim(writer, report, ExecutionReportEncoder.textHeaderLength() + 16) > 0);
        report.orderId(21).clOrdId(11).execId(31).instrumentId(7).side(Side.BUY).execType(ExecType.FILL)
            .lastQuantity(25).leavesQuantity(0).cumQuantity(25).sendingTimeNs(4_000).transactTimeNs(3_900)
            .originTimeNs(1_000);
        report.lastPrice().mantissa(10_130_000_000L);
        report.text("filled");
        claim.commit();
    }
}
