package org.kekbit.replication;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * A follower started after the leader's journal holds a lot of data (64 MiB by default, 1 GiB in the long run with
 * {@code -Dkekbit.replication.lateBytes=1073741824}): it catches up from the leader's segment files, a
 * {@link JournalReader} on the mirror checking every record as it lands, then follows live writes; at the end the
 * segments are byte-identical. Source and sink share one embedded media driver over loopback UDP.
 */
@Timeout(120)
class ReplicationJournalLateFollowerTest
{
    private static final long LATE_BYTES = Long.getLong("kekbit.replication.lateBytes", 64L * 1024 * 1024);
    private static final long SEGMENT_CAPACITY = 16 * 1024 * 1024;
    private static final int LIVE_RECORDS = 5000;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private JournalWriter writer;

    @Test
    void shouldCatchUpFromTheLeadersFilesWhenStartedLateThenFollowLive()
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), 0, 0);
        writer = fx.own(JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(fx.tmp.resolve("leader"))
            .segmentCapacity(SEGMENT_CAPACITY)));
        while (writer.position() < LATE_BYTES)
        {
            ReplicationJournalLoopbackTest.write(writer, fx.scratch, fx.seq++);
        }
        final long written = writer.position();
        final long recordsWritten = fx.seq;
        assertTrue(writer.rolls() >= LATE_BYTES / SEGMENT_CAPACITY - 1, "rolls=" + writer.rolls());

        fx.source = new ReplicationSource(fx.sourceContext(fx.tmp.resolve("leader"))
            .termLength(ReplicationSource.Context.DEFAULT_TERM_LENGTH));
        fx.sink = new ReplicationSink(fx.sinkContext(fx.source.controlEndpoint(), fx.tmp.resolve("mirror")));

        // Catch-up alone: nothing is written until the mirror holds all the leader had.
        final long startNs = System.nanoTime();
        final long catchUpTimeoutMs = 30_000 + LATE_BYTES / (10 * 1024 * 1024) * 1000;
        pump(() -> fx.checker.nextSeq == recordsWritten, catchUpTimeoutMs, "catch-up to " + written, this::cycle);
        final long catchUpNs = System.nanoTime() - startNs;
        assertEquals(written, fx.sink.receivedPosition());
        System.out.printf("%s: caught up %,d bytes (%,d records, %d segments) in %d ms, %.1f MB/s (loaded machine)%n",
            getClass().getSimpleName(), written, recordsWritten, writer.rolls() + 1,
            TimeUnit.NANOSECONDS.toMillis(catchUpNs), written * 1000.0 / catchUpNs);

        // Then live: each record written goes through while the writer goes on, across rolls.
        final long rollsBefore = writer.rolls();
        final long liveEnd = fx.seq + LIVE_RECORDS;
        pump(() -> fx.checker.nextSeq == liveEnd, 60_000, "live records", () ->
        {
            if (fx.seq < liveEnd && fx.seq - fx.checker.nextSeq < 100)
            {
                ReplicationJournalLoopbackTest.write(writer, fx.scratch, fx.seq++);
            }
            return 1 + cycle();
        });
        assertTrue(fx.seq == liveEnd);

        final long end = writer.position();
        writer.close();
        pump(() -> fx.sink.isEnded(), 30_000, "the CLOSED marker on the mirror", this::cycle);
        fx.journalMirror.poll(fx.checker, Integer.MAX_VALUE);
        assertEquals(JournalState.CLOSED, fx.journalMirror.state());
        assertEquals(end + 8, fx.sink.receivedPosition());
        assertEquals(liveEnd, fx.checker.nextSeq);
        assertTrue(writer.rolls() >= rollsBefore);
        ReplicationJournalLoopbackTest.assertJournalsIdentical(fx.tmp.resolve("leader"), fx.sink.mirrorPath());
    }

    private int cycle()
    {
        return fx.cycle(writer);
    }
}
