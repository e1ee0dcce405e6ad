package org.kekbit.samples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.SystemImage;
import org.kekbit.journal.JournalCut;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.samples.orderbook.OrderBook;
import org.kekbit.samples.orderbook.ReportRecovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.OrderBookStandbyTest.assertReportsAreReplay;
import static org.kekbit.samples.OrderBookStandbyTest.field;
import static org.kekbit.samples.OrderBookStandbyTest.replay;

/**
 * The report steps of a hot standby's takeover, made deterministic: in one JVM, without replication, a standby
 * folder is made from a leader's as its two mirrors could hold them at the leader's death. Its command journal is
 * the leader's cut back to an earlier command (a command mirror that lagged: {@link JournalCut}), and its reports
 * journal the leader's whole (a reports mirror ahead of the commands: reports of commands the standby never
 * received) or cut back further still (behind). Only segment files are copied, as a mirror holds no positions file.
 * Then the takeover's steps: {@link ReportRecovery#cutAfter} at the state's lastExecId, and the service launched on
 * the folder ({@link OrderBookService#serve}: launch, {@link ReportRecovery#recover}, new orders). The new leader's
 * reports journal must then be exactly the reports of a fresh replay of its command journal, each execId once.
 */
class OrderBookReportsTakeoverTest
{
    private static final long LEADER_ORDERS = 3000;
    private static final long MIRRORED_ORDERS = 2000;
    private static final long NEW_ORDERS = 500;

    @TempDir
    Path dir;

    @Test
    void shouldCutReportsOfCommandsStandbyLacksThenWriteEachExecIdOnceWhenReportsMirrorIsAhead() throws IOException
    {
        final Path leader = dir.resolve("leader");
        final long leaderReports = run(leader, LEADER_ORDERS).reports;
        final Path standby = standbyOf(leader, MIRRORED_ORDERS);
        final long lastExecId = lastExecId(standby);
        assertTrue(leaderReports > lastExecId, "the reports mirror is ahead: " + leaderReports + " > " + lastExecId);

        final int segmentsBefore = segments(reports(standby));
        assertEquals(leaderReports - lastExecId, ReportRecovery.cutAfter(reports(standby), lastExecId),
            "the reports of the commands the standby lacks are cut, and only those");
        assertTrue(segments(reports(standby)) < segmentsBefore, "the cut went back over segments: " +
            segmentsBefore + " before, " + segments(reports(standby)) + " after");
        assertEquals(lastExecId, ReportRecovery.lastWrittenExecId(reports(standby)));

        final Served served = run(standby, NEW_ORDERS);
        assertEquals(0, served.rebuilt, "nothing to rebuild: the mirror held every report of the mirrored commands");
        assertEquals(served.reports, assertReportsAreReplay(standby, served.position, "ahead"));
    }

    @Test
    void shouldRebuildOnlyReportsMirrorLacksWhenReportsMirrorIsBehind() throws IOException
    {
        final Path leader = dir.resolve("leader");
        run(leader, LEADER_ORDERS);
        final Path standby = standbyOf(leader, MIRRORED_ORDERS);
        final long lastExecId = lastExecId(standby);
        final long mirroredReports = lastExecId - 100;
        JournalCut.cut(reports(standby), endOfRecord(reports(standby), mirroredReports)); // a reports mirror behind

        assertEquals(0, ReportRecovery.cutAfter(reports(standby), lastExecId), "nothing ahead to cut");

        final Served served = run(standby, NEW_ORDERS);
        assertEquals(lastExecId - mirroredReports, served.rebuilt, "only the gap is rebuilt");
        assertEquals(served.reports, assertReportsAreReplay(standby, served.position, "behind"));
    }

    @Test
    void shouldRefuseToServeWhenReportsAheadOfStateAreNotCut() throws IOException
    {
        final Path leader = dir.resolve("leader");
        final long leaderReports = run(leader, LEADER_ORDERS).reports;
        final Path standby = standbyOf(leader, MIRRORED_ORDERS);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> run(standby, NEW_ORDERS));

        assertTrue(ex.getMessage().contains("past the state"), ex.getMessage());
        assertEquals(leaderReports, ReportRecovery.lastWrittenExecId(reports(standby)), "no report written");
    }

    /**
     * The folder a standby of the leader holds when its command mirror had the first {@code orders} commands and its
     * reports mirror every report of the leader.
     */
    private Path standbyOf(final Path leader, final long orders) throws IOException
    {
        final Path standby = dir.resolve("standby");
        final Path journal = ImageDescriptor.journalFolder(standby);
        copySegments(ImageDescriptor.journalFolder(leader), journal);
        copySegments(reports(leader), reports(standby));
        JournalCut.cut(journal, endOfRecord(journal, orders));
        return standby;
    }

    private static long lastExecId(final Path imageDir)
    {
        final Path journal = ImageDescriptor.journalFolder(imageDir);
        return replay(journal, OrderBookStandbyTest.journalEnd(journal), new OrderBook()).lastExecId();
    }

    private static Path reports(final Path imageDir)
    {
        return imageDir.resolve(OrderBookService.REPORTS_FOLDER);
    }

    private static long endOfRecord(final Path journal, final long count)
    {
        final long[] end = {-1};
        final long[] seen = {0};
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(journal)))
        {
            while (seen[0] < count && reader.poll((msgTypeId, buffer, offset, length) ->
            {
                if (++seen[0] == count)
                {
                    end[0] = reader.position();
                }
            }, 1) > 0)
            {
                // up to the record
            }
        }
        assertEquals(count, seen[0], "journal " + journal + " holds fewer records");
        return end[0];
    }

    private static int segments(final Path journal) throws IOException
    {
        try (Stream<Path> files = Files.list(journal))
        {
            return (int)files.filter((file) -> JournalDescriptor.parseSegmentBase(file.getFileName().toString()) >= 0)
                .count();
        }
    }

    private static void copySegments(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (JournalDescriptor.parseSegmentBase(file.getFileName().toString()) >= 0)
                {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }

    private static Served run(final Path imageDir, final long orders)
    {
        final OrderBookService.Options options = new OrderBookService.Options();
        options.dir = imageDir;
        options.orders = orders;
        options.segmentCapacity = 64 * 1024; // commands and reports over several segments: cuts and searches
        options.reportsSegmentCapacity = 64 * 1024; // across segments
        final Served served = new Served();
        final String line = OrderBookService.serve(options, Long.MAX_VALUE, served);
        served.position = field(line, "position");
        return served;
    }

    /**
     * What a launch rebuilt, and the reports the service holds once its orders are done.
     */
    private static final class Served implements OrderBookService.ServeHook
    {
        long rebuilt = -1;
        long reports;
        long position;

        public void recovered(final SystemImage image, final long reportsRebuilt)
        {
            rebuilt = reportsRebuilt;
        }

        public void generated(final SystemImage image, final String line, final Runnable reportsDuty)
        {
            reports = ((OrderBook)image.stateMachine()).lastExecId();
        }
    }
}
