package org.kekbit.replication;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.MAX_CHUNK_LENGTH;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
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

    @TempDir
    Path tmp;

    private EmbeddedMediaDriver driver;
    private JournalWriter writer;
    private ReplicationSource source;
    private ReplicationSink sink;
    private JournalReader mirrorReader;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[LONG_RECORD_LENGTH]);
    private final ReplicationTestSupport.RecordChecker checker =
        new ReplicationTestSupport.RecordChecker(LONG_RECORD_LENGTH);
    private long seq;

    @AfterEach
    void after()
    {
        CloseHelper.closeAll(mirrorReader, sink, source, writer, driver);
    }

    @Test
    void shouldCatchUpFromTheLeadersFilesWhenStartedLateThenFollowLive()
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron"), 0, 0);
        writer = JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(tmp.resolve("leader"))
            .segmentCapacity(SEGMENT_CAPACITY));
        while (writer.position() < LATE_BYTES)
        {
            ReplicationJournalLoopbackTest.write(writer, scratch, seq++);
        }
        final long written = writer.position();
        final long recordsWritten = seq;
        assertTrue(writer.rolls() >= LATE_BYTES / SEGMENT_CAPACITY - 1, "rolls=" + writer.rolls());

        source = new ReplicationSource(new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(tmp.resolve("leader"))
            .maxChunkLength(MAX_CHUNK_LENGTH));
        sink = new ReplicationSink(new ReplicationSink.Context()
            .aeron(driver.aeron())
            .controlEndpoint(source.controlEndpoint())
            .dataEndpoint(LOOPBACK + ":0")
            .mirrorDir(tmp.resolve("mirror")));

        // Catch-up alone: nothing is written until the mirror holds all the leader had.
        final long startNs = System.nanoTime();
        final long catchUpTimeoutMs = 30_000 + LATE_BYTES / (10 * 1024 * 1024) * 1000;
        pump(() -> checker.nextSeq == recordsWritten, catchUpTimeoutMs, "catch-up to " + written, this::cycle);
        final long catchUpNs = System.nanoTime() - startNs;
        assertEquals(written, sink.receivedPosition());
        System.out.printf("%s: caught up %,d bytes (%,d records, %d segments) in %d ms, %.1f MB/s (loaded machine)%n",
            getClass().getSimpleName(), written, recordsWritten, writer.rolls() + 1,
            TimeUnit.NANOSECONDS.toMillis(catchUpNs), written * 1000.0 / catchUpNs);

        // Then live: each record written goes through while the writer goes on, across rolls.
        final long rollsBefore = writer.rolls();
        final long liveEnd = seq + LIVE_RECORDS;
        pump(() -> checker.nextSeq == liveEnd, 60_000, "live records", () ->
        {
            if (seq < liveEnd && seq - checker.nextSeq < 100)
            {
                ReplicationJournalLoopbackTest.write(writer, scratch, seq++);
            }
            return 1 + cycle();
        });
        assertTrue(seq == liveEnd);

        final long end = writer.position();
        writer.close();
        pump(() -> sink.isEnded(), 30_000, "the CLOSED marker on the mirror", this::cycle);
        mirrorReader.poll(checker, Integer.MAX_VALUE);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertEquals(end + 8, sink.receivedPosition());
        assertEquals(liveEnd, checker.nextSeq);
        assertTrue(writer.rolls() >= rollsBefore);
        ReplicationJournalLoopbackTest.assertJournalsIdentical(tmp.resolve("leader"), sink.mirrorPath());
    }

    private int cycle()
    {
        int work = source.doWork() + sink.doWork() + (writer.isClosed() ? 0 : writer.doWork());
        if (null == mirrorReader && sink.isJournal())
        {
            mirrorReader = JournalReader.open(new JournalReader.Context().folder(sink.mirrorPath()));
        }
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(checker, 1000);
        }
        return work;
    }
}
