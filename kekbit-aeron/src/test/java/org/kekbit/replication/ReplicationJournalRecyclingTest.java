package org.kekbit.replication;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSource;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
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

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private JournalWriter writer;

    @Test
    void shouldMirrorARecyclingJournalByteIdenticalWhenServedAsANamedReader()
    {
        start(true);
        fx.startSink();
        writeLive(3000);
        assertTrue(writer.rolls() > 40, "rolls=" + writer.rolls());
        assertTrue(writer.recycledSegments() > 0, "the writer re-used retired segments: " +
            writer.recycledSegments());
        assertTrue(writer.oldestSegmentBase() > 0, "retention retired the oldest segments");

        final long written = closeWriterAndAwaitEnd();
        // The name committed what the follower acknowledged as durable: the CLOSED marker's start, no further.
        fx.source.close();
        try (JournalReader named = JournalReader.open(leaderReader()))
        {
            assertEquals(written, named.position());
        }
    }

    @Test
    void shouldKeepWhatAFollowerThatIsAwayStillNeedsWhenTheNameProtectsRetention()
    {
        final long acked = followerAwayWhileTheWriterGoesOn(true);
        assertTrue(writer.rolls() > 20, "rolls=" + writer.rolls());
        assertEquals(JournalDescriptor.segmentBase(acked, SEGMENT_CAPACITY), writer.oldestSegmentBase(),
            "the segment the follower is in is kept, and retention deleted everything before it");
        assertTrue(writer.recycledSegments() > 0, "segments before it were re-used: " + writer.recycledSegments());

        fx.startSink(); // back, from its mirror; once the old session timed out, the name is free again
        writeLive(300);
        closeWriterAndAwaitEnd();
    }

    @Test
    void shouldRejectAFollowerThatWasAwayWhenTheNameDoesNotProtectRetention()
    {
        final long acked = followerAwayWhileTheWriterGoesOn(false);
        assertTrue(writer.oldestSegmentBase() > acked, "retention deleted the segment the follower is in");

        fx.startSink();
        pump(fx.sink::isFailed, 20_000, "the reject", this::cycle);
        assertTrue(fx.sink.failure().contains("SEGMENT_NOT_FOUND"), fx.sink.failure());
        assertFalse(fx.sink.failure().contains("\n"), "one line");
    }

    @Test
    void shouldRefuseARecyclingJournalWithOneLineWhenTheSourceHasNoReaderName()
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), 0, 0);
        writer = fx.own(JournalWriter.create(leaderContext()));
        ReplicationJournalLoopbackTest.write(writer, fx.scratch, fx.seq++);

        final ChannelException ex = assertThrows(ChannelException.class, () -> new ReplicationSource(
            fx.sourceContext(fx.tmp.resolve("leader"))));
        assertEquals(ChannelException.Reason.NAMED_READERS_ONLY, ex.reason());
        assertFalse(ex.getMessage().contains("\n"), "one line");
        assertTrue(ex.getMessage().contains("give the reader a name"), ex.getMessage());

        final ChannelException direct = assertThrows(ChannelException.class,
            () -> JournalSource.open(fx.tmp.resolve("leader")));
        assertEquals(ChannelException.Reason.NAMED_READERS_ONLY, direct.reason());
    }

    private JournalWriter.Context leaderContext()
    {
        return ReplicationJournalLoopbackTest.journalContext(fx.tmp.resolve("leader"))
            .sequenceOffset(0)
            .recycleSegments(true)
            .retainedSegments(RETAINED_SEGMENTS);
    }

    private JournalReader.Context leaderReader()
    {
        return new JournalReader.Context().folder(fx.tmp.resolve("leader")).name(READER_NAME);
    }

    private void start(final boolean protectRetention)
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), 0, 0);
        writer = fx.own(JournalWriter.create(leaderContext()));
        fx.source = new ReplicationSource(fx.sourceContext(fx.tmp.resolve("leader"))
            .sessionTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .readerName(READER_NAME)
            .protectRetention(protectRetention));
    }

    private int cycle()
    {
        return fx.cycle(writer);
    }

    /**
     * Gated on the follower, so that retention, two segments behind the writer, never outruns it.
     */
    private void writeLive(final int count)
    {
        fx.writeLive(count, 200, writer);
    }

    /**
     * A follower acknowledges 300 records as durable and goes away; the leader writes 1,500 more, far past its
     * retention limit, with the source running (and rolling its reader on nothing new).
     *
     * @return the position the follower acknowledged.
     */
    private long followerAwayWhileTheWriterGoesOn(final boolean protectRetention)
    {
        start(protectRetention);
        fx.startSink();
        writeLive(300);
        pump(() -> fx.source.durablePosition() == writer.position(), 10_000, "the durable ack", this::cycle);
        final long acked = writer.position();
        fx.sink.close();
        for (int i = 0; i < 1500; i++)
        {
            ReplicationJournalLoopbackTest.write(writer, fx.scratch, fx.seq++);
            fx.source.doWork();
            writer.doWork(); // retention, one segment per call
        }
        return acked;
    }

    private long closeWriterAndAwaitEnd()
    {
        final long written = fx.closeAndAwaitEnd(writer);
        assertLeaderSegmentsMirrored();
        return written;
    }

    /**
     * The leader keeps only its newest segments; the mirror keeps all. Those the leader still holds are
     * byte-identical on the mirror, and the chains digest alike from the leader's oldest segment on.
     */
    private void assertLeaderSegmentsMirrored()
    {
        final Path leader = fx.tmp.resolve("leader");
        final Path mirror = fx.sink.mirrorPath();
        final List<Path> leaderSegments = ReplicationJournalLoopbackTest.segments(leader);
        final List<Path> mirrorSegments = ReplicationJournalLoopbackTest.segments(mirror);
        assertTrue(mirrorSegments.size() > leaderSegments.size(), "the mirror holds what the leader deleted");
        ReplicationJournalLoopbackTest.assertSegmentsIdentical(leaderSegments,
            mirrorSegments.subList(mirrorSegments.size() - leaderSegments.size(), mirrorSegments.size()));
        final long oldest = JournalDescriptor.parseSegmentBase(leaderSegments.get(0).getFileName().toString());
        assertEquals(JournalDigest.digest(leader, oldest, -1).digest(),
            JournalDigest.digest(mirror, oldest, -1).digest());
        assertEquals(0, fx.checker.nextSeq - fx.seq, "every record, from the first, reached the mirror's reader");
    }
}
