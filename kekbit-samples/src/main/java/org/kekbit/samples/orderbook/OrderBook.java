package org.kekbit.samples.orderbook;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Hashing;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportEncoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;
import org.kekbit.image.SnapshotClaim;
import org.kekbit.image.SnapshotWriter;
import org.kekbit.image.StateMachine;

/**
 * Limit order books, one per instrument, with price-time priority, as a {@link StateMachine}: it applies
 * NewOrderSingle commands and emits an ExecutionReport for each outcome to a {@link ReportSink} (the live instance
 * only: a shadow or a replay emits nothing).
 * <ul>
 *     <li>A LIMIT order (price above 0, quantity above 0) is acknowledged NEW, matches against the opposite side at
 *     the resting orders' prices while it crosses, each match a PARTIAL_FILL or FILL report for both orders, and
 *     rests with what is left.</li>
 *     <li>A MARKET order matches what there is and the rest is CANCELED.</li>
 *     <li>A NewOrderSingle with quantity 0 is a cancel of the resting order with that clOrdId (the trading schema has
 *     no cancel message): CANCELED, or REJECTED when no such order rests.</li>
 *     <li>Anything else (negative quantity, a LIMIT at price 0 or below, a clOrdId already resting, a record of
 *     another template) is REJECTED, or ignored when it is not a NewOrderSingle: never an exception.</li>
 * </ul>
 * Deterministic: time is the command's transactTimeNs, ids are counters in the state, books iterate in price order.
 * <p>
 * Allocation-free in steady state: applying a command (an order, a cancel, matching, the reports) allocates nothing
 * once the book has held as many orders and price levels as it holds now, so neither the live instance nor a shadow
 * replaying beside it feeds the garbage collector. Orders and price levels are pooled objects, linked in place (an
 * order knows its level, so a cancel is O(1)); each side of a book keeps its levels in an array sorted worst first, so
 * matching takes from and drops the best level at the end, and an order near the touch inserts its level with a short
 * copy (a level far from the touch costs a copy of the levels better than it when it is made and when it empties);
 * books are an array sorted by instrument; clOrdIds map to orders in an Agrona {@link Long2ObjectHashMap}. Pools,
 * arrays and the map only grow, and {@link #OrderBook(int)} sizes them up front.
 * <p>
 * Not threadsafe: one thread applies commands.
 */
public final class OrderBook implements StateMachine
{
    /**
     * Snapshot record: the counters.
     */
    public static final int SNAPSHOT_COUNTERS_TYPE_ID = 1;

    /**
     * Snapshot record: resting orders in book order, {@link #SNAPSHOT_ORDER_LENGTH} bytes each.
     */
    public static final int SNAPSHOT_ORDERS_TYPE_ID = 2;

    /**
     * Bytes of one resting order in a snapshot record.
     */
    public static final int SNAPSHOT_ORDER_LENGTH = 64;

    /**
     * Resting orders in each full {@link #SNAPSHOT_ORDERS_TYPE_ID} record; the last holds the rest.
     */
    public static final int SNAPSHOT_ORDERS_PER_RECORD = 64;

    /**
     * Bytes of the {@link #SNAPSHOT_COUNTERS_TYPE_ID} record: nextOrderId, nextExecId, lastTransactTimeNs and
     * commandCount, little endian.
     */
    public static final int SNAPSHOT_COUNTERS_LENGTH = 32;

    private static final byte[] UNKNOWN_ORDER = "unknown order".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DUPLICATE_ORDER = "duplicate clOrdId".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BAD_ORDER = "bad quantity, price or type".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_LIQUIDITY = "no liquidity left".getBytes(StandardCharsets.US_ASCII);

    /**
     * Resting orders {@link #OrderBook()} has room for before its pools and map grow.
     */
    public static final int DEFAULT_EXPECTED_ORDERS = 1024;

    private static final int INITIAL_BOOKS = 4;

    private final Long2ObjectHashMap<Order> ordersByClOrdId;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final NewOrderSingleDecoder orderDecoder = new NewOrderSingleDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ExecutionReportEncoder reportEncoder = new ExecutionReportEncoder();
    private final UnsafeBuffer reportBuffer = new UnsafeBuffer(new byte[256]);
    private final SnapshotClaim snapshotClaim = new SnapshotClaim();
    private Book[] books = new Book[INITIAL_BOOKS];
    private int bookCount;
    private Order freeOrders;
    private Level freeLevels;
    private boolean isLoading;
    private ReportSink sink;
    private long nextOrderId = 1;
    private long nextExecId = 1;
    private long lastTransactTimeNs;
    private long commandCount;

    /**
     * An order book with room for {@link #DEFAULT_EXPECTED_ORDERS} resting orders before it grows.
     */
    public OrderBook()
    {
        this(DEFAULT_EXPECTED_ORDERS);
    }

    /**
     * An order book with room for a number of resting orders (and as many price levels) before its pools and map
     * grow: past it, the first time the book holds more, it allocates.
     *
     * @param expectedOrders resting orders to make room for, 0 or more.
     * @throws IllegalArgumentException when negative.
     */
    public OrderBook(final int expectedOrders)
    {
        if (expectedOrders < 0)
        {
            throw new IllegalArgumentException("expectedOrders must not be negative: " + expectedOrders);
        }
        ordersByClOrdId = new Long2ObjectHashMap<>(
            (int)Math.min(1 << 30, (long)Math.ceil((expectedOrders + 1L) / (double)Hashing.DEFAULT_LOAD_FACTOR)),
            Hashing.DEFAULT_LOAD_FACTOR);
        for (int i = 0; i <= expectedOrders; i++) // and the incoming one
        {
            releaseOrder(new Order());
            releaseLevel(new Level());
        }
    }

    /**
     * Where the live instance's ExecutionReports go: SBE-encoded, message header first.
     */
    @FunctionalInterface
    public interface ReportSink
    {
        /**
         * One ExecutionReport.
         *
         * @param buffer holding it.
         * @param offset of its message header.
         * @param length of header and message.
         */
        void onReport(DirectBuffer buffer, int offset, int length);
    }

    /**
     * Send ExecutionReports to a sink from now on; wire it after the image has recovered, so replay emits nothing.
     *
     * @param sink to send to, or null for none.
     * @return this for a fluent API.
     */
    public OrderBook reportSink(final ReportSink sink)
    {
        this.sink = sink;
        return this;
    }

    /**
     * The execId of the last ExecutionReport this state produced, emitted or not: execIds are 1, 2, 3, ... in
     * journal order, a function of the commands alone, so they number the outputs as the journal numbers the inputs.
     *
     * @return the execId, 0 before the first report.
     */
    public long lastExecId()
    {
        return nextExecId - 1;
    }

    /**
     * {@inheritDoc} Here: a NewOrderSingle, as the class javadoc says.
     */
    public void apply(
        final long position, final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (isLoading)
        {
            finishLoading();
        }
        commandCount++;
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return;
        }
        headerDecoder.wrap(buffer, offset);
        if (NewOrderSingleDecoder.TEMPLATE_ID != headerDecoder.templateId() ||
            NewOrderSingleDecoder.SCHEMA_ID != headerDecoder.schemaId() ||
            MessageHeaderDecoder.ENCODED_LENGTH + headerDecoder.blockLength() > length)
        {
            return; // not an order: a deterministic no-op
        }
        final NewOrderSingleDecoder order = orderDecoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH,
            headerDecoder.blockLength(), headerDecoder.version());
        lastTransactTimeNs = order.transactTimeNs();
        final long quantity = order.quantity();
        if (0 == quantity)
        {
            cancel(order);
        }
        else
        {
            accept(order, quantity);
        }
    }

    private void cancel(final NewOrderSingleDecoder request)
    {
        final Order order = ordersByClOrdId.remove(request.clOrdId());
        if (null == order)
        {
            final Side side = Side.SELL.value() == request.sideRaw() ? Side.SELL : Side.BUY;
            report(0, request.clOrdId(), request.instrumentId(), side, ExecType.REJECTED, 0, 0, 0, 0,
                request.sendingTimeNs(), request.originTimeNs(), UNKNOWN_ORDER);
            return;
        }
        unlink(order);
        report(order.orderId, order.clOrdId, order.instrumentId, order.side, ExecType.CANCELED, 0, 0, 0,
            order.cumQuantity, request.sendingTimeNs(), request.originTimeNs(), null);
        releaseOrder(order);
    }

    private void accept(final NewOrderSingleDecoder request, final long quantity)
    {
        // Raw values: a generated enum's get() throws on a value it does not know, and apply must not throw.
        final short sideRaw = request.sideRaw();
        final short ordTypeRaw = request.ordTypeRaw();
        final long price = request.price().mantissa();
        if (quantity < 0 || (Side.BUY.value() != sideRaw && Side.SELL.value() != sideRaw) ||
            (OrdType.LIMIT.value() != ordTypeRaw && OrdType.MARKET.value() != ordTypeRaw) ||
            (OrdType.LIMIT.value() == ordTypeRaw && price <= 0))
        {
            report(0, request.clOrdId(), request.instrumentId(), Side.SELL.value() == sideRaw ? Side.SELL : Side.BUY,
                ExecType.REJECTED, 0, 0, 0, 0, request.sendingTimeNs(), request.originTimeNs(), BAD_ORDER);
            return;
        }
        final Side side = Side.get(sideRaw);
        final OrdType ordType = OrdType.get(ordTypeRaw);
        if (ordersByClOrdId.containsKey(request.clOrdId()))
        {
            report(0, request.clOrdId(), request.instrumentId(), side, ExecType.REJECTED, 0, 0, 0, 0,
                request.sendingTimeNs(), request.originTimeNs(), DUPLICATE_ORDER);
            return;
        }

        final Order order = acquireOrder().set(nextOrderId++, request.clOrdId(), request.instrumentId(), side,
            OrdType.MARKET == ordType ? (Side.BUY == side ? Long.MAX_VALUE : Long.MIN_VALUE) : price, quantity,
            lastTransactTimeNs);
        report(order.orderId, order.clOrdId, order.instrumentId, side, ExecType.NEW, 0, 0, quantity, 0,
            request.sendingTimeNs(), request.originTimeNs(), null);

        final Book book = book(order.instrumentId);
        final PriceLevels opposite = Side.BUY == side ? book.asks : book.bids;
        while (order.leavesQuantity > 0 && opposite.count > 0)
        {
            final Level best = opposite.levels[opposite.count - 1];
            final long bestPrice = best.price;
            if (Side.BUY == side ? bestPrice > order.price : bestPrice < order.price)
            {
                break;
            }
            final Order resting = best.head;
            final long matched = Math.min(order.leavesQuantity, resting.leavesQuantity);
            order.fill(matched);
            resting.fill(matched);
            report(order.orderId, order.clOrdId, order.instrumentId, side, fillType(order), bestPrice, matched,
                order.leavesQuantity, order.cumQuantity, request.sendingTimeNs(), request.originTimeNs(), null);
            report(resting.orderId, resting.clOrdId, resting.instrumentId, resting.side, fillType(resting),
                bestPrice, matched, resting.leavesQuantity, resting.cumQuantity, request.sendingTimeNs(),
                request.originTimeNs(), null);
            if (0 == resting.leavesQuantity)
            {
                ordersByClOrdId.remove(resting.clOrdId);
                unlink(resting);
                releaseOrder(resting);
            }
        }

        if (order.leavesQuantity > 0 && OrdType.LIMIT == ordType)
        {
            rest(Side.BUY == side ? book.bids : book.asks, order);
            ordersByClOrdId.put(order.clOrdId, order);
            return;
        }
        if (order.leavesQuantity > 0)
        {
            report(order.orderId, order.clOrdId, order.instrumentId, side, ExecType.CANCELED, 0, 0, 0,
                order.cumQuantity, request.sendingTimeNs(), request.originTimeNs(), NO_LIQUIDITY);
        }
        releaseOrder(order);
    }

    private static ExecType fillType(final Order order)
    {
        return 0 == order.leavesQuantity ? ExecType.FILL : ExecType.PARTIAL_FILL;
    }

    private void report(
        final long orderId,
        final long clOrdId,
        final int instrumentId,
        final Side side,
        final ExecType execType,
        final long lastPrice,
        final long lastQuantity,
        final long leavesQuantity,
        final long cumQuantity,
        final long sendingTimeNs,
        final long originTimeNs,
        final byte[] text)
    {
        final long execId = nextExecId++;
        final ReportSink sink = this.sink;
        if (null == sink)
        {
            return;
        }
        reportEncoder.wrapAndApplyHeader(reportBuffer, 0, headerEncoder)
            .orderId(orderId)
            .clOrdId(clOrdId)
            .execId(execId)
            .instrumentId(instrumentId)
            .side(side)
            .execType(execType)
            .lastQuantity(lastQuantity)
            .leavesQuantity(leavesQuantity)
            .cumQuantity(cumQuantity)
            .sendingTimeNs(sendingTimeNs)
            .transactTimeNs(lastTransactTimeNs)
            .originTimeNs(originTimeNs);
        reportEncoder.lastPrice().mantissa(lastPrice);
        if (null == text)
        {
            reportEncoder.putText(reportBuffer, 0, 0);
        }
        else
        {
            reportEncoder.putText(text, 0, text.length);
        }
        sink.onReport(reportBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + reportEncoder.encodedLength());
    }

    /**
     * {@inheritDoc} Here: the counters, then every resting order in book order (instrument, bids best first, asks
     * best first, time priority within a price), {@link #SNAPSHOT_ORDERS_PER_RECORD} to a record, each record claimed
     * in the snapshot file and the orders encoded straight into it.
     */
    public void writeSnapshot(final SnapshotWriter writer)
    {
        if (isLoading)
        {
            finishLoading();
        }
        final SnapshotClaim claim = snapshotClaim;
        if (!writer.tryClaim(SNAPSHOT_COUNTERS_TYPE_ID, SNAPSHOT_COUNTERS_LENGTH, claim))
        {
            return;
        }
        final MutableDirectBuffer counters = claim.buffer();
        final int at = claim.offset();
        counters.putLong(at, nextOrderId, ByteOrder.LITTLE_ENDIAN);
        counters.putLong(at + 8, nextExecId, ByteOrder.LITTLE_ENDIAN);
        counters.putLong(at + 16, lastTransactTimeNs, ByteOrder.LITTLE_ENDIAN);
        counters.putLong(at + 24, commandCount, ByteOrder.LITTLE_ENDIAN);
        claim.commit();

        // Every resting order is in the map: its size says how long each record is before the record is claimed.
        int left = ordersByClOrdId.size();
        int inRecord = 0;
        int recordOrders = 0;
        for (int b = 0; b < bookCount; b++)
        {
            final Book book = books[b];
            for (int s = 0; s < 2; s++)
            {
                final PriceLevels side = 0 == s ? book.bids : book.asks;
                for (int i = side.count - 1; i >= 0; i--)
                {
                    for (Order order = side.levels[i].head; null != order; order = order.next)
                    {
                        if (0 == inRecord)
                        {
                            if (0 == left)
                            {
                                throw new IllegalStateException("more resting orders in the books than in the map");
                            }
                            recordOrders = Math.min(SNAPSHOT_ORDERS_PER_RECORD, left);
                            if (!writer.tryClaim(
                                SNAPSHOT_ORDERS_TYPE_ID, recordOrders * SNAPSHOT_ORDER_LENGTH, claim))
                            {
                                return;
                            }
                        }
                        order.encode(claim.buffer(), claim.offset() + inRecord * SNAPSHOT_ORDER_LENGTH);
                        left--;
                        if (++inRecord == recordOrders)
                        {
                            claim.commit();
                            inRecord = 0;
                        }
                    }
                }
            }
        }
        if (0 != left)
        {
            throw new IllegalStateException("fewer resting orders in the books than in the map: " + left + " fewer");
        }
    }

    /**
     * {@inheritDoc} Here: the counters, or a batch of resting orders appended to their levels in the order written.
     */
    public void loadSnapshot(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (SNAPSHOT_COUNTERS_TYPE_ID == msgTypeId)
        {
            nextOrderId = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
            nextExecId = buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN);
            lastTransactTimeNs = buffer.getLong(offset + 16, ByteOrder.LITTLE_ENDIAN);
            commandCount = buffer.getLong(offset + 24, ByteOrder.LITTLE_ENDIAN);
        }
        else if (SNAPSHOT_ORDERS_TYPE_ID == msgTypeId)
        {
            isLoading = true;
            for (int at = offset; at < offset + length; at += SNAPSHOT_ORDER_LENGTH)
            {
                final Order order = acquireOrder().decode(buffer, at);
                final Book book = book(order.instrumentId);
                load(Side.BUY == order.side ? book.bids : book.asks, order);
                ordersByClOrdId.put(order.clOrdId, order);
            }
        }
    }

    /**
     * {@inheritDoc} Here: the counters and every resting order in book order, queue positions included.
     */
    public long stateDigest()
    {
        if (isLoading)
        {
            finishLoading();
        }
        long digest = mix(nextOrderId) ^ mix(nextExecId + 1) ^ mix(lastTransactTimeNs + 2) ^ mix(commandCount + 3);
        for (int b = 0; b < bookCount; b++)
        {
            final Book book = books[b];
            for (int s = 0; s < 2; s++)
            {
                final PriceLevels side = 0 == s ? book.bids : book.asks;
                for (int i = side.count - 1; i >= 0; i--)
                {
                    for (Order order = side.levels[i].head; null != order; order = order.next)
                    {
                        digest = mix(digest + order.orderId);
                        digest = mix(digest + order.clOrdId);
                        digest = mix(digest + order.instrumentId + 31L * order.side.value());
                        digest = mix(digest + order.price);
                        digest = mix(digest + order.quantity);
                        digest = mix(digest + order.leavesQuantity);
                        digest = mix(digest + order.transactTimeNs);
                    }
                }
            }
        }
        return mix(digest + ordersByClOrdId.size());
    }

    /**
     * Resting orders.
     *
     * @return the count.
     */
    public int restingOrderCount()
    {
        return ordersByClOrdId.size();
    }

    /**
     * Commands applied (orders, cancels and ignored records).
     *
     * @return the count.
     */
    public long commandCount()
    {
        return commandCount;
    }

    /**
     * Best bid of an instrument.
     *
     * @param instrumentId of the book.
     * @return the price mantissa, or {@link Long#MIN_VALUE} when no bid rests.
     */
    public long bestBid(final int instrumentId)
    {
        return bestPrice(instrumentId, true, Long.MIN_VALUE);
    }

    /**
     * Best ask of an instrument.
     *
     * @param instrumentId of the book.
     * @return the price mantissa, or {@link Long#MAX_VALUE} when no ask rests.
     */
    public long bestAsk(final int instrumentId)
    {
        return bestPrice(instrumentId, false, Long.MAX_VALUE);
    }

    private long bestPrice(final int instrumentId, final boolean isBid, final long nonePrice)
    {
        if (isLoading)
        {
            finishLoading();
        }
        final int index = findBook(instrumentId);
        if (index < 0)
        {
            return nonePrice;
        }
        final PriceLevels side = isBid ? books[index].bids : books[index].asks;
        return 0 == side.count ? nonePrice : side.levels[side.count - 1].price;
    }

    private static long mix(final long value)
    {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private int findBook(final int instrumentId)
    {
        int low = 0;
        int high = bookCount - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final int midId = books[mid].instrumentId;
            if (midId < instrumentId)
            {
                low = mid + 1;
            }
            else if (midId > instrumentId)
            {
                high = mid - 1;
            }
            else
            {
                return mid;
            }
        }
        return -(low + 1);
    }

    /**
     * The book of an instrument, made the first time the instrument is seen (the only time this allocates).
     */
    private Book book(final int instrumentId)
    {
        final int index = findBook(instrumentId);
        if (index >= 0)
        {
            return books[index];
        }
        final int at = -index - 1;
        if (bookCount == books.length)
        {
            books = Arrays.copyOf(books, 2 * books.length);
        }
        System.arraycopy(books, at, books, at + 1, bookCount - at);
        final Book book = new Book(instrumentId);
        books[at] = book;
        bookCount++;
        return book;
    }

    /**
     * Rest an order at the back of its price level, making the level when it is new.
     */
    private void rest(final PriceLevels side, final Order order)
    {
        final long key = side.key(order.price);
        final int index = side.find(key);
        final Level level;
        if (index >= 0)
        {
            level = side.levels[index];
        }
        else
        {
            level = acquireLevel(side, order.price);
            side.insert(-index - 1, key, level);
        }
        level.append(order);
    }

    /**
     * Rest an order read from a snapshot, where levels come best first: while they do, each new level is appended
     * after the last (worse than it) and the side is reversed once before it is used ({@link #finishLoading()}),
     * so loading is linear in the levels rather than a copy of every level per level.
     */
    private void load(final PriceLevels side, final Order order)
    {
        final long key = side.key(order.price);
        if (0 == side.count || (side.isBestFirst && key < side.keys[side.count - 1]))
        {
            side.isBestFirst = true;
            final Level level = acquireLevel(side, order.price);
            side.insert(side.count, key, level);
            level.append(order);
        }
        else if (side.isBestFirst && key == side.keys[side.count - 1])
        {
            side.levels[side.count - 1].append(order);
        }
        else
        {
            side.worstFirst();
            rest(side, order);
        }
    }

    private void finishLoading()
    {
        for (int b = 0; b < bookCount; b++)
        {
            books[b].bids.worstFirst();
            books[b].asks.worstFirst();
        }
        isLoading = false;
    }

    /**
     * Take a resting order out of its level, and the level out of its side when it empties.
     */
    private void unlink(final Order order)
    {
        final Level level = order.level;
        level.unlink(order);
        if (null == level.head)
        {
            level.side.remove(level);
            releaseLevel(level);
        }
    }

    private Order acquireOrder()
    {
        final Order order = freeOrders;
        if (null == order)
        {
            return new Order(); // the book holds more orders than ever before: it grows
        }
        freeOrders = order.next;
        order.next = null;
        return order;
    }

    private void releaseOrder(final Order order)
    {
        order.level = null;
        order.previous = null;
        order.next = freeOrders;
        freeOrders = order;
    }

    private Level acquireLevel(final PriceLevels side, final long price)
    {
        Level level = freeLevels;
        if (null == level)
        {
            level = new Level(); // more levels than ever before: it grows
        }
        else
        {
            freeLevels = level.nextFree;
            level.nextFree = null;
        }
        level.side = side;
        level.price = price;
        return level;
    }

    private void releaseLevel(final Level level)
    {
        level.side = null;
        level.head = null;
        level.tail = null;
        level.nextFree = freeLevels;
        freeLevels = level;
    }

    private static final class Book
    {
        final int instrumentId;
        final PriceLevels bids = new PriceLevels(true);
        final PriceLevels asks = new PriceLevels(false);

        Book(final int instrumentId)
        {
            this.instrumentId = instrumentId;
        }
    }

    /**
     * One side of a book: its levels sorted worst first by a key that grows as the price gets better (the price for
     * bids, its complement for asks, which cannot overflow), so the best level is the last.
     */
    private static final class PriceLevels
    {
        private static final int INITIAL_LEVELS = 16;

        final boolean isBid;
        long[] keys = new long[INITIAL_LEVELS];
        Level[] levels = new Level[INITIAL_LEVELS];
        int count;
        boolean isBestFirst; // while a snapshot loads: see OrderBook.load

        PriceLevels(final boolean isBid)
        {
            this.isBid = isBid;
        }

        long key(final long price)
        {
            return isBid ? price : ~price;
        }

        /**
         * @return the index of the level with the key, or -(index to insert it at) - 1.
         */
        int find(final long key)
        {
            return Arrays.binarySearch(keys, 0, count, key);
        }

        void insert(final int index, final long key, final Level level)
        {
            if (count == keys.length)
            {
                keys = Arrays.copyOf(keys, 2 * count); // more levels than ever before: it grows
                levels = Arrays.copyOf(levels, 2 * count);
            }
            System.arraycopy(keys, index, keys, index + 1, count - index);
            System.arraycopy(levels, index, levels, index + 1, count - index);
            keys[index] = key;
            levels[index] = level;
            count++;
        }

        void remove(final Level level)
        {
            // The best level, the one matching empties, is the last: no search and no copy.
            final int index = levels[count - 1] == level ? count - 1 : find(key(level.price));
            System.arraycopy(keys, index + 1, keys, index, count - index - 1);
            System.arraycopy(levels, index + 1, levels, index, count - index - 1);
            levels[--count] = null;
        }

        void worstFirst()
        {
            if (isBestFirst)
            {
                for (int i = 0, j = count - 1; i < j; i++, j--)
                {
                    final long key = keys[i];
                    keys[i] = keys[j];
                    keys[j] = key;
                    final Level level = levels[i];
                    levels[i] = levels[j];
                    levels[j] = level;
                }
                isBestFirst = false;
            }
        }
    }

    /**
     * The orders resting at one price, in time priority: a doubly linked list through the orders.
     */
    private static final class Level
    {
        PriceLevels side;
        long price;
        Order head;
        Order tail;
        Level nextFree;

        void append(final Order order)
        {
            order.level = this;
            order.previous = tail;
            order.next = null;
            if (null == tail)
            {
                head = order;
            }
            else
            {
                tail.next = order;
            }
            tail = order;
        }

        void unlink(final Order order)
        {
            final Order previous = order.previous;
            final Order next = order.next;
            if (null == previous)
            {
                head = next;
            }
            else
            {
                previous.next = next;
            }
            if (null == next)
            {
                tail = previous;
            }
            else
            {
                next.previous = previous;
            }
            order.previous = null;
            order.next = null;
            order.level = null;
        }
    }

    private static final class Order
    {
        long orderId;
        long clOrdId;
        int instrumentId;
        Side side;
        long price;
        long quantity;
        long transactTimeNs;
        long leavesQuantity;
        long cumQuantity;
        Level level;
        Order previous;
        Order next; // in its level, or in the free list

        Order set(
            final long orderId,
            final long clOrdId,
            final int instrumentId,
            final Side side,
            final long price,
            final long quantity,
            final long transactTimeNs)
        {
            this.orderId = orderId;
            this.clOrdId = clOrdId;
            this.instrumentId = instrumentId;
            this.side = side;
            this.price = price;
            this.quantity = quantity;
            this.transactTimeNs = transactTimeNs;
            this.leavesQuantity = quantity;
            this.cumQuantity = 0;
            return this;
        }

        void fill(final long matched)
        {
            leavesQuantity -= matched;
            cumQuantity += matched;
        }

        void encode(final MutableDirectBuffer buffer, final int offset)
        {
            buffer.putLong(offset, orderId, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + 8, clOrdId, ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(offset + 16, instrumentId, ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(offset + 20, side.value(), ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + 24, price, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + 32, quantity, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + 40, leavesQuantity, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + 48, cumQuantity, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + 56, transactTimeNs, ByteOrder.LITTLE_ENDIAN);
        }

        Order decode(final DirectBuffer buffer, final int offset)
        {
            set(buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN),
                buffer.getInt(offset + 16, ByteOrder.LITTLE_ENDIAN),
                Side.get((short)buffer.getInt(offset + 20, ByteOrder.LITTLE_ENDIAN)),
                buffer.getLong(offset + 24, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + 32, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + 56, ByteOrder.LITTLE_ENDIAN));
            leavesQuantity = buffer.getLong(offset + 40, ByteOrder.LITTLE_ENDIAN);
            cumQuantity = buffer.getLong(offset + 48, ByteOrder.LITTLE_ENDIAN);
            return this;
        }
    }
}
