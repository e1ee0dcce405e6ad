package org.kekbit.samples.orderbook;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportEncoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;
import org.kekbit.image.SnapshotWriter;
import org.kekbit.image.StateMachine;

/**
 * The order book as it was before it was made allocation-free ({@link OrderBook}), kept as the tests' oracle: books in
 * {@link TreeMap}s of {@link ArrayDeque}s, a new object per order and per level. {@link OrderBook} must emit the same
 * reports, the same digests and the same snapshot records as this one for any commands.
 */
final class TreeMapOrderBook implements StateMachine
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

    private static final int ORDERS_PER_SNAPSHOT_RECORD = 64;
    private static final byte[] UNKNOWN_ORDER = "unknown order".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DUPLICATE_ORDER = "duplicate clOrdId".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BAD_ORDER = "bad quantity, price or type".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_LIQUIDITY = "no liquidity left".getBytes(StandardCharsets.US_ASCII);

    private final TreeMap<Integer, Book> books = new TreeMap<>();
    private final Long2ObjectHashMap<Order> ordersByClOrdId = new Long2ObjectHashMap<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final NewOrderSingleDecoder orderDecoder = new NewOrderSingleDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ExecutionReportEncoder reportEncoder = new ExecutionReportEncoder();
    private final UnsafeBuffer reportBuffer = new UnsafeBuffer(new byte[256]);
    private final UnsafeBuffer snapshotBuffer =
        new UnsafeBuffer(new byte[ORDERS_PER_SNAPSHOT_RECORD * SNAPSHOT_ORDER_LENGTH]);
    private OrderBook.ReportSink sink;
    private long nextOrderId = 1;
    private long nextExecId = 1;
    private long lastTransactTimeNs;
    private long commandCount;

    /**
     * Send ExecutionReports to a sink from now on; wire it after the image has recovered, so replay emits nothing.
     *
     * @param sink to send to, or null for none.
     * @return this for a fluent API.
     */
    TreeMapOrderBook reportSink(final OrderBook.ReportSink sink)
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
        books.get(order.instrumentId).remove(order);
        report(order.orderId, order.clOrdId, order.instrumentId, order.side, ExecType.CANCELED, 0, 0, 0,
            order.cumQuantity, request.sendingTimeNs(), request.originTimeNs(), null);
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

        final Order order = new Order(nextOrderId++, request.clOrdId(), request.instrumentId(), side,
            OrdType.MARKET == ordType ? (Side.BUY == side ? Long.MAX_VALUE : Long.MIN_VALUE) : price, quantity,
            lastTransactTimeNs);
        report(order.orderId, order.clOrdId, order.instrumentId, side, ExecType.NEW, 0, 0, quantity, 0,
            request.sendingTimeNs(), request.originTimeNs(), null);

        final Book book = books.computeIfAbsent(order.instrumentId, id -> new Book());
        final TreeMap<Long, ArrayDeque<Order>> opposite = Side.BUY == side ? book.asks : book.bids;
        while (order.leavesQuantity > 0 && !opposite.isEmpty())
        {
            final Map.Entry<Long, ArrayDeque<Order>> best = opposite.firstEntry();
            final long bestPrice = best.getKey();
            if (Side.BUY == side ? bestPrice > order.price : bestPrice < order.price)
            {
                break;
            }
            final ArrayDeque<Order> level = best.getValue();
            final Order resting = level.peekFirst();
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
                level.pollFirst();
                ordersByClOrdId.remove(resting.clOrdId);
                if (level.isEmpty())
                {
                    opposite.pollFirstEntry();
                }
            }
        }

        if (order.leavesQuantity > 0)
        {
            if (OrdType.MARKET == ordType)
            {
                report(order.orderId, order.clOrdId, order.instrumentId, side, ExecType.CANCELED, 0, 0, 0,
                    order.cumQuantity, request.sendingTimeNs(), request.originTimeNs(), NO_LIQUIDITY);
            }
            else
            {
                book.add(order);
                ordersByClOrdId.put(order.clOrdId, order);
            }
        }
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
        final OrderBook.ReportSink sink = this.sink;
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
     * best first, time priority within a price).
     */
    public void writeSnapshot(final SnapshotWriter writer)
    {
        final UnsafeBuffer buffer = snapshotBuffer;
        buffer.putLong(0, nextOrderId, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(8, nextExecId, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(16, lastTransactTimeNs, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(24, commandCount, ByteOrder.LITTLE_ENDIAN);
        if (!writer.write(SNAPSHOT_COUNTERS_TYPE_ID, buffer, 0, 32))
        {
            return;
        }
        int count = 0;
        for (final Book book : books.values())
        {
            for (final TreeMap<Long, ArrayDeque<Order>> side : book.sides)
            {
                for (final ArrayDeque<Order> level : side.values())
                {
                    for (final Order order : level)
                    {
                        order.encode(buffer, count * SNAPSHOT_ORDER_LENGTH);
                        if (++count == ORDERS_PER_SNAPSHOT_RECORD)
                        {
                            if (!writer.write(SNAPSHOT_ORDERS_TYPE_ID, buffer, 0, count * SNAPSHOT_ORDER_LENGTH))
                            {
                                return;
                            }
                            count = 0;
                        }
                    }
                }
            }
        }
        if (count > 0)
        {
            writer.write(SNAPSHOT_ORDERS_TYPE_ID, buffer, 0, count * SNAPSHOT_ORDER_LENGTH);
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
            for (int at = offset; at < offset + length; at += SNAPSHOT_ORDER_LENGTH)
            {
                final Order order = Order.decode(buffer, at);
                books.computeIfAbsent(order.instrumentId, id -> new Book()).add(order);
                ordersByClOrdId.put(order.clOrdId, order);
            }
        }
    }

    /**
     * {@inheritDoc} Here: the counters and every resting order in book order, queue positions included.
     */
    public long stateDigest()
    {
        long digest = mix(nextOrderId) ^ mix(nextExecId + 1) ^ mix(lastTransactTimeNs + 2) ^ mix(commandCount + 3);
        for (final Map.Entry<Integer, Book> entry : books.entrySet())
        {
            for (final TreeMap<Long, ArrayDeque<Order>> side : entry.getValue().sides)
            {
                for (final ArrayDeque<Order> level : side.values())
                {
                    for (final Order order : level)
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
        final Book book = books.get(instrumentId);
        return null == book || book.bids.isEmpty() ? Long.MIN_VALUE : book.bids.firstKey();
    }

    /**
     * Best ask of an instrument.
     *
     * @param instrumentId of the book.
     * @return the price mantissa, or {@link Long#MAX_VALUE} when no ask rests.
     */
    public long bestAsk(final int instrumentId)
    {
        final Book book = books.get(instrumentId);
        return null == book || book.asks.isEmpty() ? Long.MAX_VALUE : book.asks.firstKey();
    }

    private static long mix(final long value)
    {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static final class Book
    {
        final TreeMap<Long, ArrayDeque<Order>> bids = new TreeMap<>(Comparator.reverseOrder());
        final TreeMap<Long, ArrayDeque<Order>> asks = new TreeMap<>();
        final TreeMap<Long, ArrayDeque<Order>>[] sides = sides(bids, asks);

        @SuppressWarnings("unchecked")
        private static TreeMap<Long, ArrayDeque<Order>>[] sides(
            final TreeMap<Long, ArrayDeque<Order>> bids, final TreeMap<Long, ArrayDeque<Order>> asks)
        {
            return new TreeMap[]{bids, asks};
        }

        void add(final Order order)
        {
            (Side.BUY == order.side ? bids : asks).computeIfAbsent(order.price, price -> new ArrayDeque<>())
                .addLast(order);
        }

        void remove(final Order order)
        {
            final TreeMap<Long, ArrayDeque<Order>> side = Side.BUY == order.side ? bids : asks;
            final ArrayDeque<Order> level = side.get(order.price);
            level.remove(order);
            if (level.isEmpty())
            {
                side.remove(order.price);
            }
        }
    }

    private static final class Order
    {
        final long orderId;
        final long clOrdId;
        final int instrumentId;
        final Side side;
        final long price;
        final long quantity;
        final long transactTimeNs;
        long leavesQuantity;
        long cumQuantity;

        Order(
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
        }

        void fill(final long matched)
        {
            leavesQuantity -= matched;
            cumQuantity += matched;
        }

        void encode(final UnsafeBuffer buffer, final int offset)
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

        static Order decode(final DirectBuffer buffer, final int offset)
        {
            final Order order = new Order(
                buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN),
                buffer.getInt(offset + 16, ByteOrder.LITTLE_ENDIAN),
                Side.get((short)buffer.getInt(offset + 20, ByteOrder.LITTLE_ENDIAN)),
                buffer.getLong(offset + 24, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + 32, ByteOrder.LITTLE_ENDIAN),
                buffer.getLong(offset + 56, ByteOrder.LITTLE_ENDIAN));
            order.leavesQuantity = buffer.getLong(offset + 40, ByteOrder.LITTLE_ENDIAN);
            order.cumQuantity = buffer.getLong(offset + 48, ByteOrder.LITTLE_ENDIAN);
            return order;
        }
    }
}
