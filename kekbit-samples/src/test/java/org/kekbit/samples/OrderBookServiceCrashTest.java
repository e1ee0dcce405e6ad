package org.kekbit.samples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.samples.OrderBookStandbyTest.Child;
import org.kekbit.samples.orderbook.OrderBook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.OrderBookStandbyTest.awaitAtLeast;
import static org.kekbit.samples.OrderBookStandbyTest.journalEnd;

/**
 * ExecutionReports exactly once across real crashes: the service runs in a JVM of its own at full speed and is killed
 * with {@code kill -9} at random moments (between journaling a command and writing its reports, mid-report,
 * mid-snapshot), restarted each time; at the end the output journal holds every report the command journal implies
 * exactly once, in journal order, as a fresh replay of the command journal writes them. {@code -Dkekbit.reportKills=N}
 * runs N kills (default 3), {@code -Dkekbit.reportKillSeed=S} replays a run.
 */
class OrderBookServiceCrashTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void shouldWriteEveryReportExactlyOnceAfterKillsAtRandomMoments() throws Exception
    {
        final int kills = Integer.getInteger("kekbit.reportKills", 3);
        final long seed = Long.getLong("kekbit.reportKillSeed", System.nanoTime());
        final Random random = new Random(seed);
        final Path journal = ImageDescriptor.journalFolder(dir);
        long behindAfterKills = 0;
        for (int kill = 0; kill < kills; kill++)
        {
            final long startEnd = journalEnd(journal);
            final Child child = Child.start("--dir", dir.toString(), "--orders", "50000000", "--rate", "50000",
                "--snapshot-interval", "1m", "--segment", "1m");
            try
            {
                // Once the service recovered and journaled a random amount of new orders: a file state, not a delay,
                // so a JVM slow to start under load is still killed while it takes orders.
                final long target = startEnd + 16 * 1024 + random.nextInt(2 * 1024 * 1024);
                awaitAtLeast(child, () -> journalEnd(journal), target,
                    "seed=" + seed + " kill=" + kill + ": the service journaled no orders");
            }
            finally
            {
                child.kill();
            }
            final List<long[]> written = reports(dir);
            final List<long[]> implied = impliedReports(dir);
            assertTrue(written.size() <= implied.size(), "seed=" + seed + ": the output is ahead of the journal");
            behindAfterKills += implied.size() - written.size();
        }

        final String line = OrderBookService.run(dir, 0);
        final List<long[]> expected = impliedReports(dir);
        final List<long[]> actual = reports(dir);
        assertTrue(expected.size() > 1000, "the service ran: " + expected.size() + " reports");
        assertEquals(expected.size(), actual.size(), "seed=" + seed + ": none lost, none twice");
        for (int i = 0; i < expected.size(); i++)
        {
            assertEquals(i + 1, actual.get(i)[0], "seed=" + seed + ": execIds 1, 2, 3, ... in journal order");
            assertArrayEquals(expected.get(i), actual.get(i), "seed=" + seed + ": report " + i);
        }
        System.out.println("OrderBookServiceCrashTest seed=" + seed + ": " + kills + " kills, the output was " +
            behindAfterKills + " reports behind the journal after them in all, " + expected.size() +
            " reports exactly once at the end (" + line + ")");
    }

    /**
     * The reports of the output journal, what does not depend on the wall clock: execId, orderId, clOrdId, execType,
     * lastQuantity, leavesQuantity, cumQuantity.
     */
    private static List<long[]> reports(final Path imageFolder)
    {
        final List<long[]> reports = new ArrayList<>();
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(imageFolder.resolve(OrderBookService.REPORTS_FOLDER))))
        {
            final Decoder decoder = new Decoder(reports);
            while (reader.poll((msgTypeId, buffer, offset, length) -> decoder.add(buffer, offset), 4096) > 0)
            {
                // all of them
            }
        }
        return reports;
    }

    /**
     * The reports a fresh book writes when it applies the whole command journal.
     */
    private static List<long[]> impliedReports(final Path imageFolder)
    {
        final List<long[]> reports = new ArrayList<>();
        final Decoder decoder = new Decoder(reports);
        final OrderBook book = new OrderBook();
        book.reportSink((buffer, offset, length) -> decoder.add(buffer, offset));
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(ImageDescriptor.journalFolder(imageFolder))))
        {
            while (reader.poll((msgTypeId, buffer, offset, length) ->
                book.apply(reader.position(), msgTypeId, buffer, offset, length), 4096) > 0)
            {
                // all of them
            }
        }
        return reports;
    }

    private static final class Decoder
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final ExecutionReportDecoder report = new ExecutionReportDecoder();
        private final List<long[]> reports;

        Decoder(final List<long[]> reports)
        {
            this.reports = reports;
        }

        void add(final DirectBuffer buffer, final int offset)
        {
            header.wrap(buffer, offset);
            report.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
            reports.add(new long[]{report.execId(), report.orderId(), report.clOrdId(), report.execTypeRaw(),
                report.lastQuantity(), report.leavesQuantity(), report.cumQuantity()});
        }
    }
}
