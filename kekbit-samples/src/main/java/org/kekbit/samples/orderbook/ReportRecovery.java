package org.kekbit.samples.orderbook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.MessageHeaderDecoder;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.image.SystemImage;
import org.kekbit.journal.JournalCut;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSource;
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
 * <p>
 * A hot standby's outputs are a mirror of its leader's, replicated apart from the commands, so at a takeover they can
 * be ahead of the state: reports of commands the standby never received. {@link #cutAfter} removes them before the
 * new leader writes (its own reports take those execIds), and {@link #recover} refuses an output ahead of the state
 * rather than number two reports alike.
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
            // Newest segment first: the last report is in the newest segment that holds one, so a launch reads one
            // segment, not the whole output.
            final long[] bases = segmentBasesNewestFirst(reportsFolder);
            for (int i = 0; i < bases.length && 0 == last.execId; i++)
            {
                reader.seek(bases[i]);
                while (reader.poll(last, 4096) > 0)
                {
                    // to the end: the writer is this process's, so nothing is appended meanwhile
                }
            }
        }
        return last.execId;
    }

    /**
     * Cut an output journal after its last report of an execId at most a given one: for a hot standby that takes
     * over, whose mirror of its leader's reports may hold reports of commands its mirror of the commands lacks (the
     * two are replicated apart). The state the new leader serves from has numbered its reports up to
     * {@code lastExecId} and numbers the next ones from there: a report after it in the output would leave two
     * reports with one execId in the history. Run before the output's writer resumes it ({@link JournalCut}: nobody
     * may write it meanwhile).
     *
     * @param reportsFolder of the output journal; nothing is done when it holds no journal.
     * @param lastExecId    of the state the new leader serves from.
     * @return how many reports were cut: the outputs of commands the new leader does not have.
     */
    public static long cutAfter(final Path reportsFolder, final long lastExecId)
    {
        if (!JournalSource.isJournal(reportsFolder))
        {
            return 0;
        }
        final KeptEnd kept = new KeptEnd(lastExecId);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(reportsFolder)))
        {
            kept.reader = reader;
            // execIds only grow: the cut lies in the newest segment whose first report is not past lastExecId (in
            // the oldest when none is), so only the segments from that one on are read.
            final long[] bases = segmentBasesNewestFirst(reportsFolder);
            for (int i = 0; i < bases.length; i++)
            {
                reader.seek(bases[i]);
                final FirstExecId first = new FirstExecId();
                if (i == bases.length - 1 || (reader.poll(first, 1) > 0 && first.execId <= lastExecId))
                {
                    reader.seek(bases[i]);
                    kept.position = reader.position();
                    break;
                }
            }
            while (0 == kept.after && reader.poll(kept, 4096) > 0)
            {
                // up to the first report past lastExecId: the mirror's writer has stopped
            }
        }
        if (0 == kept.after)
        {
            return 0;
        }
        final long[] cut = {0};
        JournalCut.cut(reportsFolder, kept.position, (msgTypeId, buffer, offset, length) -> cut[0]++);
        return cut[0];
    }

    /**
     * Write the reports the output lacks, after the image has recovered and before it serves.
     *
     * @param image           recovered, not serving yet: its live book and its journal's end.
     * @param lastWrittenExecId the execId of the last report in the output.
     * @param output          of the reports.
     * @return how many reports were written.
     * @throws IllegalStateException when the output holds reports the state has not numbered yet (an output ahead of
     *                               the state: {@link #cutAfter} first), when the commands after the last report are
     *                               no longer in the journal, or when the rebuilt book differs from the live one.
     */
    public static long recover(final SystemImage image, final long lastWrittenExecId, final ReportOutput output)
    {
        final OrderBook live = (OrderBook)image.stateMachine();
        if (live.lastExecId() < lastWrittenExecId)
        {
            throw new IllegalStateException("the output holds reports past the state: lastWrittenExecId=" +
                lastWrittenExecId + ", state's lastExecId=" + live.lastExecId() + " (the next reports would repeat " +
                "execIds; cut the output first: ReportRecovery.cutAfter)");
        }
        if (live.lastExecId() == lastWrittenExecId)
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

    /**
     * The journal's segments, newest first, but a standby successor (made ahead of a roll, holding nothing), left
     * out by the library's one rule for listings ({@link JournalDescriptor#dropStandbySuccessor}).
     */
    private static long[] segmentBasesNewestFirst(final Path journalFolder)
    {
        try (Stream<Path> files = Files.list(journalFolder))
        {
            final LongArrayList bases = new LongArrayList();
            files.mapToLong((file) -> JournalDescriptor.parseSegmentBase(file.getFileName().toString()))
                .filter((base) -> base >= 0).sorted().forEach(bases::addLong);
            JournalDescriptor.dropStandbySuccessor(journalFolder, bases);
            final long[] newestFirst = new long[bases.size()];
            for (int i = 0; i < newestFirst.length; i++)
            {
                newestFirst[i] = bases.getLong(newestFirst.length - 1 - i);
            }
            return newestFirst;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list " + journalFolder + ": " + ex, ex);
        }
    }

    private static final class FirstExecId implements RecordHandler
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final ExecutionReportDecoder report = new ExecutionReportDecoder();
        private long execId = Long.MIN_VALUE; // a record of another type: not past any execId

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (ExecutionReportDecoder.TEMPLATE_ID == msgTypeId)
            {
                execId = execIdOf(header, report, buffer, offset);
            }
        }
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

    /**
     * The position after the last report of an execId at most a given one, and how many reports follow it.
     */
    private static final class KeptEnd implements RecordHandler
    {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final ExecutionReportDecoder report = new ExecutionReportDecoder();
        private final long lastExecId;
        private JournalReader reader;
        private long position;
        private long after;

        KeptEnd(final long lastExecId)
        {
            this.lastExecId = lastExecId;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (0 == after && (ExecutionReportDecoder.TEMPLATE_ID != msgTypeId ||
                execIdOf(header, report, buffer, offset) <= lastExecId))
            {
                position = reader.position();
            }
            else
            {
                after++; // execIds only grow: every record from the first past lastExecId goes
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
