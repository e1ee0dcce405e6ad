package org.kekbit.samples.orderbook;

import java.nio.file.Path;
import java.util.List;

import org.agrona.DirectBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.image.SystemImage;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;

/**
 * Exactly-once ExecutionReports across crashes, the recipe of docs/system-images.md made concrete. Commands are
 * journaled before they are applied and reports are written while they are applied, so a crash can leave the output
 * journal behind the state (a command journaled but not applied, or applied halfway), never ahead of it. Each report's
 * execId is a counter of the state ({@link OrderBook#lastExecId()}): the output's position derived from the command
 * journal. After the image has recovered, {@link #recover} compares the last execId in the output journal with the
 * state's and, when reports are missing, rebuilds them from the command journal: a scratch book is loaded from the
 * newest snapshot that does not already hold a missing report's command (or starts empty, from the journal's
 * start), the commands after it are applied to it, and only the reports numbered after the last one written go to the
 * output. None is lost, none is written twice; the scratch book must end exactly where the live one is, or recovery
 * fails.
 * <p>
 * A crash during this rebuild leaves a shorter gap, which the next launch rebuilds the same way.
 */
public final class ReportRecovery
{
    /**
     * Where rebuilt reports go: the same output as the live ones.
     */
    @FunctionalInterface
    public interface ReportOutput
    {
        /**
         * Write one report.
         *
         * @param buffer holding it.
         * @param offset of its message header.
         * @param length of header and message.
         */
        void write(DirectBuffer buffer, int offset, int length);
    }

    private ReportRecovery()
    {
    }

    /**
     * The execId of the last report in an output journal.
     *
     * @param reportsFolder of the output journal.
     * @return the execId, 0 when the journal holds none.
     */
    public static long lastWrittenExecId(final Path reportsFolder)
    {
        final LastExecId last = new LastExecId();
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(reportsFolder)))
        {
            while (reader.poll(last, 4096) > 0)
            {
                // to the end: the writer is this process's, so nothing is appended meanwhile
            }
        }
        return last.execId;
    }

    /**
     * Write the reports the output lacks, after the image has recovered and before it serves.
     *
     * @param image           recovered, not serving yet: its live book and its journal's end.
     * @param lastWrittenExecId the execId of the last report in the output.
     * @param output          of the reports.
     * @return how many reports were written.
     * @throws IllegalStateException when the commands after the last report are no longer in the journal, or the
     *                               rebuilt book differs from the live one.
     */
    public static long recover(final SystemImage image, final long lastWrittenExecId, final ReportOutput output)
    {
        final OrderBook live = (OrderBook)image.stateMachine();
        if (live.lastExecId() <= lastWrittenExecId)
        {
            return 0; // nothing missing: the common case, after a clean stop or a crash between commands
        }

        OrderBook scratch = null;
        long from = 0;
        final List<SnapshotFile> snapshots = ImageFolder.snapshots(image.imageFolder());
        for (int i = snapshots.size() - 1; i >= 0 && null == scratch; i--)
        {
            final SnapshotFile snapshot = snapshots.get(i);
            if (SnapshotFile.Status.COMPLETE == snapshot.status())
            {
                final OrderBook candidate = new OrderBook();
                ImageFolder.load(snapshot, candidate);
                if (candidate.lastExecId() <= lastWrittenExecId) // it holds no command whose report is missing
                {
                    scratch = candidate;
                    from = snapshot.position();
                }
            }
        }
        if (null == scratch)
        {
            scratch = new OrderBook();
        }

        final Filter filter = new Filter(lastWrittenExecId, output);
        scratch.reportSink(filter);
        replay(image, scratch, from);
        if (scratch.lastExecId() != live.lastExecId() || scratch.stateDigest() != live.stateDigest())
        {
            throw new IllegalStateException("rebuilt book differs from the recovered one: lastExecId=" +
                scratch.lastExecId() + " vs " + live.lastExecId());
        }
        return filter.written;
    }

    private static void replay(final SystemImage image, final OrderBook scratch, final long from)
    {
        final long to = image.position();
        final Applier applier = new Applier(scratch);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(ImageDescriptor.journalFolder(image.imageFolder()))))
        {
            applier.reader = reader;
            reader.seek(from);
            while (reader.position() < to)
            {
                if (0 == reader.poll(applier, 4096) && JournalState.OPEN != reader.state())
                {
                    throw new IllegalStateException("the commands after the last report written are no longer in " +
                        "the journal: from=" + from + ", state=" + reader.state() + " at " + reader.position());
                }
            }
        }
        catch (final ChannelException ex)
        {
            throw new IllegalStateException("the commands after the last report written cannot be read: " +
                ex.getMessage(), ex);
        }
    }

    private static long execIdOf(
        final MessageHeaderDecoder header,
        final ExecutionReportDecoder report,
        final DirectBuffer buffer,
        final int offset)
    {
        header.wrap(buffer, offset);
        report.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        return report.execId();
    }

    private static final class LastExecId implements RecordHandler
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final ExecutionReportDecoder report = new ExecutionReportDecoder();
        private long execId;

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (ExecutionReportDecoder.TEMPLATE_ID == msgTypeId)
            {
                execId = execIdOf(header, report, buffer, offset);
            }
        }
    }

    private static final class Filter implements OrderBook.ReportSink
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final ExecutionReportDecoder report = new ExecutionReportDecoder();
        private final long lastWrittenExecId;
        private final ReportOutput output;
        private long written;

        Filter(final long lastWrittenExecId, final ReportOutput output)
        {
            this.lastWrittenExecId = lastWrittenExecId;
            this.output = output;
        }

        public void onReport(final DirectBuffer buffer, final int offset, final int length)
        {
            if (execIdOf(header, report, buffer, offset) > lastWrittenExecId)
            {
                output.write(buffer, offset, length);
                written++;
            }
        }
    }

    private static final class Applier implements RecordHandler
    {
        private final OrderBook book;
        private JournalReader reader;

        Applier(final OrderBook book)
        {
            this.book = book;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            book.apply(reader.position(), msgTypeId, buffer, offset, length);
        }
    }
}
