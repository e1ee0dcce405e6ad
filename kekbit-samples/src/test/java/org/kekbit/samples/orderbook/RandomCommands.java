package org.kekbit.samples.orderbook;

import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.Side;

/**
 * A seeded stream of order book commands that reaches every path: limit orders on both sides within a spread of
 * ticks (so they rest, cross, fill partly or fully and make and empty levels), market orders, cancels of resting and of
 * gone orders, duplicate clOrdIds, bad orders (negative quantity, LIMIT at price 0, unknown side or type) and records
 * that are not orders. Each order is cancelled {@code maxAge} commands after it was sent, if it still rests, so the
 * book stays under {@code maxAge} orders: a steady state. Encodes into one reused buffer; allocates nothing per
 * command.
 */
final class RandomCommands
{
    static final int NOT_AN_ORDER_TYPE_ID = 99;
    private static final long MID_PRICE = 100_00000000L;
    private static final long TICK = 1000000L;

    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
    private final SplittableRandom random;
    private final int instruments;
    private final int spreadTicks;
    private final long[] sent;
    private long step;
    private long nextClOrdId = 1;
    int msgTypeId;
    int length;

    RandomCommands(final long seed, final int instruments, final int spreadTicks, final int maxAge)
    {
        this.random = new SplittableRandom(seed);
        this.instruments = instruments;
        this.spreadTicks = spreadTicks;
        this.sent = new long[maxAge];
    }

    /**
     * Encode the next command into {@link #buffer}: its type id in {@link #msgTypeId}, its length in {@link #length}.
     */
    void next()
    {
        final long step = this.step++;
        final int slot = (int)(step % sent.length);
        final long expiring = sent[slot];
        sent[slot] = 0;
        final int dice = random.nextInt(100);
        msgTypeId = NewOrderSingleEncoder.TEMPLATE_ID;
        if (0 != expiring)
        {
            encode(expiring, Side.BUY.value(), OrdType.LIMIT.value(), 0, 0); // its cancel, or a reject when gone
        }
        else if (dice < 10)
        {
            encode(sent[random.nextInt(sent.length)], Side.SELL.value(), OrdType.LIMIT.value(), 0, 0);
        }
        else if (dice < 12)
        {
            // A clOrdId sent again: a duplicate while it rests, a new order (cancelled when its slot expires) after.
            final long resent = sent[random.nextInt(sent.length)];
            encode(0 == resent ? nextClOrdId : resent, Side.BUY.value(), OrdType.LIMIT.value(), price(),
                0 == resent ? 0 : 5);
        }
        else if (dice < 13)
        {
            final int bad = random.nextInt(4);
            encode(nextClOrdId++, 2 == bad ? 9 : Side.BUY.value(), 3 == bad ? 9 : OrdType.LIMIT.value(),
                1 == bad ? 0 : price(), 0 == bad ? -5 : 5);
        }
        else if (dice < 14)
        {
            msgTypeId = NOT_AN_ORDER_TYPE_ID;
            buffer.putLong(0, step);
            length = 1 + random.nextInt(12); // too short for a header, or a header of another template
        }
        else
        {
            final long clOrdId = nextClOrdId++;
            final boolean isMarket = dice < 19;
            encode(clOrdId, random.nextBoolean() ? Side.BUY.value() : Side.SELL.value(),
                isMarket ? OrdType.MARKET.value() : OrdType.LIMIT.value(), isMarket ? 0 : price(),
                1 + random.nextInt(100));
            sent[slot] = clOrdId;
        }
    }

    private long price()
    {
        return MID_PRICE + (random.nextInt(2 * spreadTicks + 1) - spreadTicks) * TICK;
    }

    private void encode(final long clOrdId, final int side, final int ordType, final long price, final long quantity)
    {
        order.wrapAndApplyHeader(buffer, 0, header)
            .clOrdId(clOrdId)
            .instrumentId(1 + random.nextInt(instruments))
            .quantity(quantity)
            .sendingTimeNs(step)
            .transactTimeNs(step)
            .originTimeNs(-step);
        buffer.putByte(MessageHeaderEncoder.ENCODED_LENGTH + NewOrderSingleEncoder.sideEncodingOffset(), (byte)side);
        buffer.putByte(MessageHeaderEncoder.ENCODED_LENGTH + NewOrderSingleEncoder.ordTypeEncodingOffset(),
            (byte)ordType);
        order.price().mantissa(price);
        order.putAccount(buffer, 0, 0);
        length = MessageHeaderEncoder.ENCODED_LENGTH + order.encodedLength();
    }
}
