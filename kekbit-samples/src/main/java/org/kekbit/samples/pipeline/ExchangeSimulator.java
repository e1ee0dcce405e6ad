package org.kekbit.samples.pipeline;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.trading.ExecType;
import org.kekbit.codecs.trading.ExecutionReportEncoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;
import org.kekbit.sbe.SbeRecordClaim;
import org.kekbit.sbe.SbeRecordDispatcher;

/**
 * Fills every order in full at its limit price and reports it on the execution channel, which it closes once the
 * order channel has ended.
 */
final class ExchangeSimulator implements Agent
{
    private static final int POLL_LIMIT = 64;
    private static final UnsafeBuffer TEXT = new UnsafeBuffer("filled".getBytes(StandardCharsets.US_ASCII));
    static final int MAX_REPORT_LENGTH =
        ExecutionReportEncoder.BLOCK_LENGTH + ExecutionReportEncoder.textHeaderLength() + TEXT.capacity();

    private final JournalReader orders;
    private final JournalWriter executions;
    private final EpochNanoClock clock;
    private final SbeRecordClaim claim = new SbeRecordClaim();
    private final ExecutionReportEncoder report = new ExecutionReportEncoder();
    private final SbeRecordDispatcher dispatcher;
    private volatile long reportsSent;
    private volatile boolean isDone;

    ExchangeSimulator(final JournalReader orders, final JournalWriter executions, final EpochNanoClock clock)
    {
        this.orders = orders;
        this.executions = executions;
        this.clock = clock;
        this.dispatcher = new SbeRecordDispatcher().on(new NewOrderSingleDecoder(), this::onOrder);
    }

    public int doWork()
    {
        if (isDone)
        {
            return 0;
        }

        final int workCount = orders.poll(dispatcher, POLL_LIMIT);
        if (0 == workCount && JournalState.OPEN != orders.state())
        {
            executions.close();
            isDone = true;
        }

        return workCount;
    }

    public void onClose()
    {
        orders.close();
    }

    public String roleName()
    {
        return "exchange-simulator";
    }

    long reportsSent()
    {
        return reportsSent;
    }

    boolean isDone()
    {
        return isDone;
    }

    private void onOrder(final NewOrderSingleDecoder order)
    {
        final long result = JournalClaims.tryClaim(
            claim, executions, report, MAX_REPORT_LENGTH - ExecutionReportEncoder.BLOCK_LENGTH);
        if (result < 0)
        {
            throw new IllegalStateException("execution channel refused a report: code=" + result);
        }

        final long sequence = reportsSent + 1;
        final long nowNs = clock.nanoTime();
        report.orderId(sequence)
            .clOrdId(order.clOrdId())
            .execId(sequence)
            .instrumentId(order.instrumentId())
            .side(order.side())
            .execType(ExecType.FILL)
            .lastQuantity(order.quantity())
            .leavesQuantity(0)
            .cumQuantity(order.quantity())
            .sendingTimeNs(nowNs)
            .transactTimeNs(nowNs)
            .originTimeNs(order.originTimeNs());
        report.lastPrice().mantissa(order.price().mantissa());
        report.putText(TEXT, 0, TEXT.capacity());
        claim.commit();
        reportsSent = sequence;
    }
}
