package org.kekbit.replication;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSource;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.MAX_CHUNK_LENGTH;
import static org.kekbit.replication.ReplicationJournalLoopbackTest.SEGMENT_CAPACITY;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * A journal whose writer recycles its segments, served by a source that reads as a named reader: the reader says
 * which segments the source maps (so none is re-used under it), and commits what the follower acknowledged (so
 * retention, when the name protects it, keeps what a follower that is away still needs). Loopback, one process.
 */
@Timeout(90)
class ReplicationJournalRecyclingTest
{
    private static final String READER_NAME = "replica";
    private static final int RETAINED_SEGMENTS = 2;

    @TempDir
    Path tmp;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture(LONG_RECORD_LENGTH);

    private EmbeddedMediaDriver driver;
    private JournalWriter writer;
    private ReplicationSource source;
    private ReplicationSink sink;
    private JournalReader mirrorReader;
    private long seq;

    @Test
    void shouldMirrorARecyclingJournalByteIdenticalWhenServedAsANamedReader()
    {
        start(true);
        startSink();
        writeLive(3000);
        assertTrue(writer.rolls() > 40, "rolls=" + writer.rolls());
        assertTrue(writer.recycledSegments() > 0, "the writer re-used retired segments: " +
            writer.recycledSegments());
        assertTrue(writer.oldestSegmentBase() > 0, "retention retired the oldest segments");

        final long written = closeWriterAndAwaitEnd();
        // The name committed what the follower acknowledged as durable: the CLOSED marker's start, no further.
        source.close();
        try (JournalReader named = JournalReader.open(leaderReader()))
        {
            assertEquals(written, named.position());
        }
    }

    @Test
    void shouldKeepWhatAFollowerThatIsAwayStillNeedsWhenTheNameProtectsRetention()
    {
        start(true);
        startSink();
        writeLive(300);
        pump(() -> source.durablePosition() == writer.position(), 10_000, "the durable ack", this::cycle);
        final long acked = writer.position();
        sink.close(); // the follower goes away; the leader writes on, far past its retention limit
        writeAlone(1500);
        assertTrue(writer.rolls() > 20, "rolls=" + writer.rolls());
        assertEquals(JournalDescriptor.segmentBase(acked, SEGMENT_CAPACITY), writer.oldestSegmentBase(),
            "the segment the follower is in is kept, and retention deleted everything before it");
        assertTrue(writer.recycledSegments() > 0, "segments before it were re-used: " + writer.recycledSegments());

        startSink(); // back, from its mirror; once the old session timed out, the name is free again
        writeLive(300);
        closeWriterAndAwaitEnd();
    }

    @Test
    void shouldRejectAFollowerThatWasAwayWhenTheNameDoesNotProtectRetention()
    {
        start(false);
        startSink();
        writeLive(300);
        pump(() -> source.durablePosition() == writer.position(), 10_000, "the durable ack", this::cycle);
        final long acked = writer.position();
        sink.close();
        writeAlone(1500);
        assertTrue(writer.oldestSegmentBase() > acked, "retention deleted the segment the follower is in");

        startSink();
        pump(sink::isFailed, 20_000, "the reject", this::cycle);
        assertTrue(sink.failure().contains("SEGMENT_NOT_FOUND"), sink.failure());
        assertFalse(sink.failure().contains("\n"), "one line");
    }

    @Test
    void shouldRefuseARecyclingJournalWithOneLineWhenTheSourceHasNoReaderName()
    {
        driver = fx.launchDriver(tmp.resolve("aeron"), 0, 0);
        writer = fx.own(JournalWriter.create(leaderContext()));
        ReplicationJournalLoopbackTest.write(writer, fx.scratch, seq++);

        final ChannelException ex = assertThrows(ChannelException.class, () -> new ReplicationSource(
            ReplicationFixture.sourceContext(driver, tmp.resolve("leader"))));
        assertEquals(ChannelException.Reason.NAMED_READERS_ONLY, ex.reason());
        assertFalse(ex.getMessage().contains("\n"), "one line");
        assertTrue(ex.getMessage().contains("give the reader a name"), ex.getMessage());

        final ChannelException direct = assertThrows(ChannelException.class,
            () -> JournalSource.open(tmp.resolve("leader")));
        assertEquals(ChannelException.Reason.NAMED_READERS_ONLY, direct.reason());
    }

    private JournalWriter.Context leaderContext()
    {
        return ReplicationJournalLoopbackTest.journalContext(tmp.resolve("leader"))
            .sequenceOffset(0)
            .recycleSegments(true)
            .retainedSegments(RETAINED_SEGMENTS);
    }

    private JournalReader.Context leaderReader()
    {
        return new JournalReader.Context().folder(tmp.resolve("leader")).name(READER_NAME);
    }

    private void start(final boolean protectRetention)
    {
        driver = fx.launchDriver(tmp.resolve("aeron"), 0, 0);
        writer = fx.own(JournalWriter.create(leaderContext()));
        source = fx.own(new ReplicationSource(ReplicationFixture.sourceContext(driver, tmp.resolve("leader"))
            .termLength(1024 * 1024)
            .maxChunkLength(MAX_CHUNK_LENGTH)
            .sessionTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .readerName(READER_NAME)
            .protectRetention(protectRetention)));
    }

    private void startSink()
    {
        sink = fx.own(new ReplicationSink(
            ReplicationFixture.sinkContext(driver, source.controlEndpoint(), tmp.resolve("mirror"))
            .forceIntervalNs(ReplicationSink.FORCE_EVERY_POLL)));
    }

    private int cycle()
    {
        int work = source.doWork() + sink.doWork() + (writer.isClosed() ? 0 : writer.doWork());
        if (null == mirrorReader && sink.isJournal())
        {
            mirrorReader = fx.own(JournalReader.open(new JournalReader.Context().folder(sink.mirrorPath())));
        }
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(fx.checker, 1000); // every record, as the sink commits it: never torn
        }
        return work;
    }

    private void writeLive(final int count)
    {
        final long end = seq + count;
        pump(() -> seq == end, 60_000, "live writes", () ->
        {
            // Gated on the follower, so that retention, two segments behind the writer, never outruns it.
            for (int i = 0; i < 10 && seq < end && seq - fx.checker.nextSeq < 200; i++)
            {
                ReplicationJournalLoopbackTest.write(writer, fx.scratch, seq++);
            }
            return 1 + cycle();
        });
    }

    private void writeAlone(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            ReplicationJournalLoopbackTest.write(writer, fx.scratch, seq++);
            source.doWork();
            writer.doWork(); // retention, one segment per call
        }
    }

    private long closeWriterAndAwaitEnd()
    {
        final long written = writer.position();
        writer.close();
        pump(() -> sink.isEnded() && fx.checker.nextSeq == seq, 30_000, "the CLOSED marker on the mirror",
            this::cycle);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertEquals(written + 8, sink.receivedPosition());
        pump(() -> source.durablePosition() == written + 8, 5_000, "the durable ack", this::cycle);
        assertLeaderSegmentsMirrored();
        return written;
    }

    /**
     * The leader keeps only its newest segments; the mirror keeps all. Those the leader still holds are
     * byte-identical on the mirror, and the chains digest alike from the leader's oldest segment on.
     */
    private void assertLeaderSegmentsMirrored()
    {
        final Path leader = tmp.resolve("leader");
        final Path mirror = sink.mirrorPath();
        final List<Path> leaderSegments = ReplicationJournalLoopbackTest.segments(leader);
        final List<Path> mirrorSegments = ReplicationJournalLoopbackTest.segments(mirror);
        assertTrue(mirrorSegments.size() > leaderSegments.size(), "the mirror holds what the leader deleted");
        ReplicationJournalLoopbackTest.assertSegmentsIdentical(leaderSegments,
            mirrorSegments.subList(mirrorSegments.size() - leaderSegments.size(), mirrorSegments.size()));
        final long oldest = JournalDescriptor.parseSegmentBase(leaderSegments.get(0).getFileName().toString());
        assertEquals(JournalDigest.digest(leader, oldest, -1).digest(),
            JournalDigest.digest(mirror, oldest, -1).digest());
        assertEquals(0, fx.checker.nextSeq - seq, "every record, from the first, reached the mirror's reader");
    }
}
