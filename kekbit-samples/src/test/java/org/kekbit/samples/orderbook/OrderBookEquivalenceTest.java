package org.kekbit.samples.orderbook;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.image.SnapshotWriter;
import org.kekbit.image.StateMachine;
import org.kekbit.image.SystemImage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The allocation-free {@link OrderBook} behaves exactly as the book it replaced ({@link TreeMapOrderBook}): for
 * random commands, the same reports byte for byte, the same digests and best prices, and the same snapshot records
 * byte for byte; and each loads the other's snapshots to the same digest.
 */
class OrderBookEquivalenceTest
{
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "1, 1, 3, 64, 30000",
        "2, 4, 20, 1024, 30000",
        "3, 2, 2000, 4096, 30000",
        "4, 16, 50, 100000, 20000"})
    @Timeout(120)
    void shouldEmitSameReportsAndDigestsAsTreeMapBook(
        final long seed, final int instruments, final int spreadTicks, final int maxAge, final int commands)
    {
        final OrderBook book = new OrderBook(16);
        final TreeMapOrderBook oracle = new TreeMapOrderBook();
        final Reports reports = new Reports();
        final Reports expected = new Reports();
        book.reportSink(reports);
        oracle.reportSink(expected);
        final RandomCommands random = new RandomCommands(seed, instruments, spreadTicks, maxAge);
        final int[] reportsByType = new int[256];
        for (int i = 0; i < commands; i++)
        {
            random.next();
            book.apply(i, random.msgTypeId, random.buffer, 0, random.length);
            oracle.apply(i, random.msgTypeId, random.buffer, 0, random.length);
            assertSameReports(expected, reports, "command " + i);
            if (expected.length > 0)
            {
                reportsByType[expected.lastExecType()]++;
            }
            expected.length = 0;
            reports.length = 0;
            assertEquals(oracle.lastExecId(), book.lastExecId());
            assertEquals(oracle.restingOrderCount(), book.restingOrderCount());
            if (0 == i % 997 || i == commands - 1)
            {
                assertEquals(oracle.stateDigest(), book.stateDigest(), "digest after command " + i);
                for (int instrument = 0; instrument <= instruments + 1; instrument++)
                {
                    assertEquals(oracle.bestBid(instrument), book.bestBid(instrument));
                    assertEquals(oracle.bestAsk(instrument), book.bestAsk(instrument));
                }
            }
        }
        for (final ExecType execType : new ExecType[]{
            ExecType.NEW, ExecType.PARTIAL_FILL, ExecType.FILL, ExecType.CANCELED, ExecType.REJECTED})
        {
            assertTrue(reportsByType[execType.value()] > 10, execType + " reached " + reportsByType[execType.value()]);
        }
        assertTrue(book.restingOrderCount() > 0, "orders rest: " + book.restingOrderCount());
    }

    @Test
    @Timeout(120)
    void shouldWriteSameSnapshotRecordsAsTreeMapBookAndLoadEachOthers()
    {
        final Path newFolder = dir.resolve("new");
        final Path oldFolder = dir.resolve("old");
        final RandomCommands random = new RandomCommands(5, 3, 500, 8000);
        try (SystemImage image = launch(newFolder, OrderBook::new);
            SystemImage oracle = launch(oldFolder, TreeMapOrderBook::new))
        {
            for (int i = 1; i <= 20_000; i++)
            {
                random.next();
                image.submit(random.msgTypeId, random.buffer, 0, random.length);
                oracle.submit(random.msgTypeId, random.buffer, 0, random.length);
                if (0 == i % 5000)
                {
                    image.requestSnapshot();
                    image.doWork();
                    oracle.requestSnapshot();
                    oracle.doWork();
                    assertEquals(image.position(), image.snapshotPosition());
                    assertEquals(oracle.position(), oracle.snapshotPosition());
                }
            }
            assertEquals(oracle.stateMachine().stateDigest(), image.stateMachine().stateDigest());
        }

        final List<SnapshotFile> snapshots = ImageFolder.snapshots(newFolder);
        final List<SnapshotFile> oracleSnapshots = ImageFolder.snapshots(oldFolder);
        assertEquals(3, snapshots.size(), "the newest kept");
        assertTrue(snapshots.get(2).fileLength() > 64 * 1024, "written again into a larger file than the first");
        assertEquals(snapshots.size(), oracleSnapshots.size());
        for (int s = 0; s < snapshots.size(); s++)
        {
            final SnapshotFile snapshot = snapshots.get(s);
            assertEquals(SnapshotFile.Status.COMPLETE, snapshot.status());
            assertEquals(oracleSnapshots.get(s).position(), snapshot.position());
            final Records records = new Records();
            final Records oracleRecords = new Records();
            ImageFolder.load(snapshot, records);
            ImageFolder.load(oracleSnapshots.get(s), oracleRecords);
            assertTrue(records.types.size() > 5, "batches of resting orders: " + records.types.size());
            assertEquals(oracleRecords.types, records.types);
            for (int r = 0; r < records.payloads.size(); r++)
            {
                assertArrayEquals(oracleRecords.payloads.get(r), records.payloads.get(r), "record " + r);
            }

            // Each loads the other's snapshot to the state the other wrote it from.
            final OrderBook loaded = new OrderBook();
            final TreeMapOrderBook oracleLoaded = new TreeMapOrderBook();
            ImageFolder.load(oracleSnapshots.get(s), loaded);
            ImageFolder.load(snapshot, oracleLoaded);
            assertEquals(oracleLoaded.stateDigest(), loaded.stateDigest());
        }
    }

    @Test
    void shouldLoadLevelsInAnyOrderKeepingTimePriority()
    {
        // Snapshots hold levels best first; a reader must not depend on it. Orders: bids at 100, 98, 99, 100, 97.
        final long[] bidPrices = {100, 98, 99, 100, 97};
        final UnsafeBuffer record = new UnsafeBuffer(new byte[bidPrices.length * OrderBook.SNAPSHOT_ORDER_LENGTH]);
        for (int i = 0; i < bidPrices.length; i++)
        {
            final int at = i * OrderBook.SNAPSHOT_ORDER_LENGTH;
            record.putLong(at, i + 1);
            record.putLong(at + 8, 100 + i);
            record.putInt(at + 16, 1);
            record.putInt(at + 20, Side.BUY.value());
            record.putLong(at + 24, bidPrices[i]);
            record.putLong(at + 32, 10);
            record.putLong(at + 40, 10);
            record.putLong(at + 56, i);
        }
        final OrderBook book = new OrderBook();
        final TreeMapOrderBook oracle = new TreeMapOrderBook();
        book.loadSnapshot(OrderBook.SNAPSHOT_ORDERS_TYPE_ID, record, 0, record.capacity());
        oracle.loadSnapshot(OrderBook.SNAPSHOT_ORDERS_TYPE_ID, record, 0, record.capacity());
        assertEquals(oracle.stateDigest(), book.stateDigest());
        assertEquals(100, book.bestBid(1));

        // A sell for 25 at 97 takes the two orders at 100 in their time order, then the one at 99.
        final Reports reports = new Reports();
        final Reports expected = new Reports();
        book.reportSink(reports);
        oracle.reportSink(expected);
        final UnsafeBuffer command = new UnsafeBuffer(new byte[256]);
        final NewOrderSingleEncoder order = new NewOrderSingleEncoder()
            .wrapAndApplyHeader(command, 0, new MessageHeaderEncoder())
            .clOrdId(500).instrumentId(1).side(Side.SELL).ordType(OrdType.LIMIT).quantity(25).transactTimeNs(9);
        order.price().mantissa(97);
        order.putAccount(command, 0, 0);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + order.encodedLength();
        book.apply(1, NewOrderSingleEncoder.TEMPLATE_ID, command, 0, length);
        oracle.apply(1, NewOrderSingleEncoder.TEMPLATE_ID, command, 0, length);
        assertTrue(expected.length > 0);
        assertSameReports(expected, reports, "the sell");
        assertEquals(oracle.stateDigest(), book.stateDigest());
        assertEquals(99, book.bestBid(1));
        assertEquals(3, book.restingOrderCount());
    }

    private static void assertSameReports(final Reports expected, final Reports actual, final String message)
    {
        assertEquals(expected.length, actual.length, message);
        for (int b = 0; b < expected.length; b++)
        {
            if (expected.buffer.getByte(b) != actual.buffer.getByte(b))
            {
                assertEquals(expected.buffer.getByte(b), actual.buffer.getByte(b), message + ", byte " + b);
            }
        }
    }

    private static SystemImage launch(final Path folder, final Supplier<StateMachine> supplier)
    {
        return SystemImage.launch(new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(supplier)
            .snapshotMode(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)
            .snapshotInitialCapacity(64 * 1024) // small: the snapshots are written again into larger files
            .segmentCapacity(1024 * 1024)
            .preTouch(false));
    }

    /**
     * The reports of one command, concatenated.
     */
    private static final class Reports implements OrderBook.ReportSink
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
        int length;
        private int lastOffset;

        public void onReport(final DirectBuffer src, final int offset, final int length)
        {
            buffer.putBytes(this.length, src, offset, length);
            lastOffset = this.length;
            this.length += length;
        }

        int lastExecType()
        {
            final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, lastOffset);
            return new ExecutionReportDecoder().wrap(buffer, lastOffset + MessageHeaderDecoder.ENCODED_LENGTH,
                header.blockLength(), header.version()).execTypeRaw();
        }
    }

    /**
     * A snapshot's records, for comparing two snapshots.
     */
    private static final class Records implements StateMachine
    {
        final List<Integer> types = new ArrayList<>();
        final List<byte[]> payloads = new ArrayList<>();

        public void apply(
            final long position, final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            throw new UnsupportedOperationException();
        }

        public void writeSnapshot(final SnapshotWriter writer)
        {
            throw new UnsupportedOperationException();
        }

        public void loadSnapshot(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] payload = new byte[length];
            buffer.getBytes(offset, payload);
            types.add(msgTypeId);
            payloads.add(payload);
        }

        public long stateDigest()
        {
            return 0;
        }
    }
}
