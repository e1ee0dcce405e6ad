package org.kekbit.samples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.image.SystemImage;
import org.kekbit.journal.JournalReader;
import org.kekbit.samples.SampleTestSupport.Output;
import org.kekbit.samples.orderbook.OrderBook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.SampleTestSupport.assertOneLineError;

class OrderBookServiceTest
{
    private static final Pattern LINE = Pattern.compile("state-digest=[0-9a-f]{16} position=[0-9]+");

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldPrintOneLineAndRecoverSameLineOnSecondRun() throws IOException
    {
        final Output first = new Output();
        assertEquals(0, OrderBookService.launch(new String[]{"--dir", dir.toString(), "--orders", "60000"},
            first.stream, new Output().stream));
        final List<String> lines = first.lines();
        assertEquals(1, lines.size(), first.text());
        assertTrue(LINE.matcher(lines.get(0)).matches(), lines.get(0));

        final List<SnapshotFile> snapshots = ImageFolder.snapshots(dir);
        assertTrue(snapshots.size() >= 1, "60,000 orders of ~90 bytes journal past a 4 MiB interval");
        snapshots.forEach(snapshot -> assertEquals(SnapshotFile.Status.COMPLETE, snapshot.status()));

        final Output second = new Output();
        assertEquals(0, OrderBookService.launch(new String[]{"--dir", dir.toString(), "--orders", "0"},
            second.stream, new Output().stream));
        assertEquals(lines, second.lines(), "recovered from the snapshot and the journal after it");

        final Output third = new Output();
        assertEquals(0, OrderBookService.launch(new String[]{"--dir", dir.toString(), "--orders", "500"},
            third.stream, new Output().stream));
        assertNotEquals(lines, third.lines());

        // A fresh replay of the whole journal, without the snapshots, builds the book the last run printed.
        final Path copy = dir.resolveSibling(dir.getFileName() + "-journal-only");
        copyFolder(dir.resolve(ImageDescriptor.JOURNAL_FOLDER), copy.resolve(ImageDescriptor.JOURNAL_FOLDER));
        final long position = Long.parseLong(third.lines().get(0).replaceAll(".*position=", ""));
        try (SystemImage image = SystemImage.launch(new SystemImage.Context().imageFolder(copy)
            .stateMachineSupplier(OrderBook::new).snapshotMode(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(-1, image.recoveredSnapshotPosition());
            assertEquals(position, image.position());
            assertEquals(third.lines().get(0), String.format("state-digest=%016x position=%d",
                image.stateMachine().stateDigest(), image.position()));
        }
        finally
        {
            deleteFolder(copy);
        }
    }

    @Test
    @Timeout(60)
    void shouldWriteExecutionReportsToOutputJournal()
    {
        assertEquals(0, OrderBookService.launch(new String[]{"--dir", dir.toString(), "--orders", "2000"},
            new Output().stream, new Output().stream));
        final int[] byType = new int[16];
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final ExecutionReportDecoder report = new ExecutionReportDecoder();
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(dir.resolve(OrderBookService.REPORTS_FOLDER))))
        {
            while (reader.poll((final int msgTypeId, final DirectBuffer buffer, final int offset, final int length) ->
            {
                assertEquals(ExecutionReportDecoder.TEMPLATE_ID, msgTypeId);
                header.wrap(buffer, offset);
                report.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                    header.version());
                byType[report.execType().value()]++;
            }, 1000) > 0)
            {
                // all of them
            }
        }
        assertTrue(byType[ExecType.NEW.value()] > 1000, "most orders are acknowledged");
        assertTrue(byType[ExecType.FILL.value()] > 100, "crossing orders fill");
        assertTrue(byType[ExecType.CANCELED.value()] > 10, "cancels and unfilled market orders");
        assertTrue(byType[ExecType.REJECTED.value()] > 0, "cancels of orders that are gone");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void shouldRebuildReportsLostByCrashExactlyOnceInJournalOrder(final boolean midSnapshot)
    {
        final Path reference = dir.resolve("reference");
        final Path crashed = dir.resolve("crashed");
        OrderBookService.run(reference, 30_000);
        OrderBookService.run(reference, 30_000);
        final List<long[]> expected = reports(reference);

        OrderBookService.run(crashed, 30_000);
        final int firstRunReports = reports(crashed).size();
        if (midSnapshot)
        {
            snapshotInline(crashed); // usable: it holds no command whose report gets lost
        }
        final String line = OrderBookService.run(crashed, 30_000, 1000);
        assertEquals(firstRunReports + 1000, reports(crashed).size(), "the rest were lost, as a crash loses them");
        snapshotInline(crashed); // the newest snapshot holds commands whose reports were lost: never rebuilt from

        assertEquals(line, OrderBookService.run(crashed, 0), "the same state recovered");
        final List<long[]> actual = reports(crashed);
        assertEquals(expected.size(), actual.size(), "none lost, none twice");
        for (int i = 0; i < expected.size(); i++)
        {
            assertEquals(i + 1, actual.get(i)[0], "execIds 1, 2, 3, ... in journal order");
            assertArrayEquals(expected.get(i), actual.get(i), "report " + i + " as an uninterrupted run wrote it");
        }

        OrderBookService.run(crashed, 0);
        assertEquals(expected.size(), reports(crashed).size(), "a clean restart rebuilds nothing");
    }

    private static void snapshotInline(final Path imageFolder)
    {
        try (SystemImage image = SystemImage.launch(new SystemImage.Context().imageFolder(imageFolder)
            .stateMachineSupplier(OrderBook::new).snapshotMode(SystemImage.SnapshotMode.INLINE)))
        {
            image.requestSnapshot();
            image.doWork();
            assertEquals(image.position(), image.snapshotPosition());
        }
    }

    /**
     * The reports of an output journal, what does not depend on the wall clock: execId, orderId, clOrdId, execType,
     * lastQuantity, leavesQuantity, cumQuantity.
     */
    private static List<long[]> reports(final Path imageFolder)
    {
        final List<long[]> reports = new ArrayList<>();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final ExecutionReportDecoder report = new ExecutionReportDecoder();
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(imageFolder.resolve(OrderBookService.REPORTS_FOLDER))))
        {
            while (reader.poll((final int msgTypeId, final DirectBuffer buffer, final int offset, final int length) ->
            {
                header.wrap(buffer, offset);
                report.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                    header.version());
                reports.add(new long[]{report.execId(), report.orderId(), report.clOrdId(), report.execTypeRaw(),
                    report.lastQuantity(), report.leavesQuantity(), report.cumQuantity()});
            }, 4096) > 0)
            {
                // all of them
            }
        }
        return reports;
    }

    @Test
    void shouldExitWithOneLineErrorOnBadArguments()
    {
        final Output err = new Output();
        assertEquals(SampleMain.EXIT_BAD_INPUT, OrderBookService.launch(new String[]{"--orders", "5"},
            new Output().stream, err.stream));
        assertOneLineError(err.text(), "--dir DIR is required");

        final Output err2 = new Output();
        assertEquals(SampleMain.EXIT_BAD_INPUT, OrderBookService.launch(
            new String[]{"--dir", dir.toString(), "--orders", "many"}, new Output().stream, err2.stream));
        assertOneLineError(err2.text(), "--orders is not a number: many");

        final String d = dir.toString();
        assertBadArguments("--serve must be HOST:PORT: 40100", "--dir", d, "--serve", "40100");
        assertBadArguments("--standby-of has a port out of range: h:70000", "--dir", d, "--standby-of", "h:70000");
        assertBadArguments("--serve and --standby-of name the same endpoint: h:1", "--dir", d, "--serve", "h:1",
            "--standby-of", "h:1");
        assertBadArguments("--segment must be a power of two of 64k or more: 100k", "--dir", d, "--segment", "100k");
        assertBadArguments("--takeover-after-ms must be 100 or more: 10", "--dir", d, "--takeover-after-ms", "10");
        assertBadArguments("--rate needs a value", "--dir", d, "--rate");
        assertBadArguments("unexpected argument: --fast", "--dir", d, "--fast", "yes");
    }

    @Test
    void shouldRefuseToStartStandbyOnFolderWhoseImageServed()
    {
        // A deposed leader's folder (or any that journaled commands of its own) would mix its unreplicated tail
        // with the new leader's history: the standby refuses it before it opens anything.
        OrderBookService.run(dir, 10);
        assertTrue(Files.exists(dir.resolve(OrderBookReplication.SERVED_MARKER)));
        assertBadArguments("has served (as a leader, or a standby that took over)", "--dir", dir.toString(),
            "--standby-of", "127.0.0.1:40999", "--aeron-dir", dir.resolve("aeron").toString());
        assertFalse(Files.exists(dir.resolve("aeron")), "refused before launching a media driver");
    }

    @Test
    void shouldWriteServedMarkerWithItsTextInFoldersItCreatesAndKeepAnExistingOne() throws IOException
    {
        final Path image = dir.resolve("a").resolve("b");
        OrderBookReplication.markServed(image);
        final Path marker = image.resolve(OrderBookReplication.SERVED_MARKER);
        assertEquals(OrderBookReplication.SERVED_MARKER_TEXT, Files.readString(marker));

        // A marker left by an earlier launch is kept (and forced again), not rewritten.
        Files.writeString(marker, "written by an earlier launch\n");
        OrderBookReplication.markServed(image);
        assertEquals("written by an earlier launch\n", Files.readString(marker));
    }

    @Test
    void shouldStopWithOneLineWhenServedMarkerCannotBeWritten() throws IOException
    {
        // A path under a regular file cannot be made a folder, for root too (permissions would not stop root).
        final Path blocker = Files.writeString(dir.resolve("not-a-folder"), "x");
        final Path image = blocker.resolve("image");
        final Output err = new Output();
        assertEquals(SampleMain.EXIT_BAD_INPUT, OrderBookService.launch(
            new String[]{ "--dir", image.toString(), "--orders", "0" }, new Output().stream, err.stream));
        assertOneLineError(err.text(), "cannot write " + image.toAbsolutePath().resolve(
            OrderBookReplication.SERVED_MARKER));
    }

    private static void assertBadArguments(final String expected, final String... args)
    {
        final Output err = new Output();
        assertEquals(SampleMain.EXIT_BAD_INPUT, OrderBookService.launch(args, new Output().stream, err.stream));
        assertOneLineError(err.text(), expected);
    }

    private static void copyFolder(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    private static void deleteFolder(final Path folder) throws IOException
    {
        try (Stream<Path> files = Files.walk(folder))
        {
            for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(file);
            }
        }
    }

    @Test
    void shouldLayOutImageFolder()
    {
        OrderBookService.run(dir, 10);
        assertTrue(ImageFolder.isImage(dir));
        assertTrue(dir.resolve(ImageDescriptor.JOURNAL_FOLDER).toFile().isDirectory());
    }
}
