package org.kekbit.samples.orderbook;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OrderBookTest
{
    private final UnsafeBuffer command = new UnsafeBuffer(new byte[256]);
    private final OrderBook book = new OrderBook();
    private final List<String> reports = new ArrayList<>();
    private long position;

    OrderBookTest()
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final ExecutionReportDecoder report = new ExecutionReportDecoder();
        book.reportSink((buffer, offset, length) ->
        {
            header.wrap(buffer, offset);
            report.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
            reports.add(report.clOrdId() + " " + report.execType() + " last=" + report.lastQuantity() + "@" +
                report.lastPrice().mantissa() + " leaves=" + report.leavesQuantity() + " cum=" + report.cumQuantity());
        });
    }

    private void order(final long clOrdId, final Side side, final OrdType type, final long price, final long qty)
    {
        final NewOrderSingleEncoder encoder = new NewOrderSingleEncoder()
            .wrapAndApplyHeader(command, 0, new MessageHeaderEncoder())
            .clOrdId(clOrdId).instrumentId(1).side(side).ordType(type).quantity(qty).transactTimeNs(clOrdId);
        encoder.price().mantissa(price);
        encoder.putAccount(command, 0, 0);
        book.apply(position += 64, NewOrderSingleEncoder.TEMPLATE_ID, command, 0,
            MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    @Test
    void shouldMatchCrossingLimitOrderAtRestingPricesInPriceTimePriority()
    {
        order(1, Side.SELL, OrdType.LIMIT, 101, 10);
        order(2, Side.SELL, OrdType.LIMIT, 100, 5);
        order(3, Side.SELL, OrdType.LIMIT, 100, 5);
        reports.clear();
        order(4, Side.BUY, OrdType.LIMIT, 101, 12);
        assertEquals(List.of(
            "4 NEW last=0@0 leaves=12 cum=0",
            "4 PARTIAL_FILL last=5@100 leaves=7 cum=5",
            "2 FILL last=5@100 leaves=0 cum=5",
            "4 PARTIAL_FILL last=5@100 leaves=2 cum=10",
            "3 FILL last=5@100 leaves=0 cum=5",
            "4 FILL last=2@101 leaves=0 cum=12",
            "1 PARTIAL_FILL last=2@101 leaves=8 cum=2"), reports);
        assertEquals(1, book.restingOrderCount());
        assertEquals(101, book.bestAsk(1));
        assertEquals(Long.MIN_VALUE, book.bestBid(1));
    }

    @Test
    void shouldCancelRestingOrderAndRejectCancelOfUnknownOne()
    {
        order(1, Side.BUY, OrdType.LIMIT, 99, 10);
        order(1, Side.BUY, OrdType.LIMIT, 0, 0);
        order(1, Side.BUY, OrdType.LIMIT, 0, 0);
        assertEquals(List.of("1 NEW last=0@0 leaves=10 cum=0", "1 CANCELED last=0@0 leaves=0 cum=0",
            "1 REJECTED last=0@0 leaves=0 cum=0"), reports);
        assertEquals(0, book.restingOrderCount());
    }

    @Test
    void shouldCancelWhatMarketOrderCannotFillAndRejectBadOrders()
    {
        order(1, Side.SELL, OrdType.LIMIT, 100, 3);
        reports.clear();
        order(2, Side.BUY, OrdType.MARKET, 0, 5);
        order(3, Side.BUY, OrdType.LIMIT, -1, 5);
        order(4, Side.BUY, OrdType.LIMIT, 100, -5);
        assertEquals(List.of("2 NEW last=0@0 leaves=5 cum=0", "2 PARTIAL_FILL last=3@100 leaves=2 cum=3",
            "1 FILL last=3@100 leaves=0 cum=3", "2 CANCELED last=0@0 leaves=0 cum=3",
            "3 REJECTED last=0@0 leaves=0 cum=0", "4 REJECTED last=0@0 leaves=0 cum=0"), reports);
        assertEquals(ExecType.CANCELED, ExecType.get((short)4));
    }

    @Test
    void shouldIgnoreRecordsThatAreNotOrdersAndNeverThrowOnBadEnumValues()
    {
        book.apply(8, 99, command, 0, 4);
        order(5, Side.BUY, OrdType.LIMIT, 100, 1);
        command.putByte(MessageHeaderEncoder.ENCODED_LENGTH + NewOrderSingleEncoder.sideEncodingOffset(), (byte)9);
        book.apply(position += 64, NewOrderSingleEncoder.TEMPLATE_ID, command, 0, 100);
        assertEquals(1, book.restingOrderCount());
        assertEquals("5 REJECTED last=0@0 leaves=0 cum=0", reports.get(reports.size() - 1));
    }
}
