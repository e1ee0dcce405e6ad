package org.kekbit.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.codecs.replication.HelloEncoder;
import org.kekbit.codecs.replication.MessageHeaderDecoder;
import org.kekbit.codecs.replication.MessageHeaderEncoder;
import org.kekbit.codecs.replication.MirrorKind;
import org.kekbit.codecs.replication.MirrorStartDecoder;
import org.kekbit.codecs.replication.RejectDecoder;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * Two histories that share [0, M) and part inside one channel or segment, as a failover makes them: a leader
 * mirrored by three standbys that stopped at M' &lt; M &lt; L, then the one at M promoted (resumed as the writer, as
 * a standby takes over) writing records of its own. Its first record differs from the old leader's in one byte, and
 * every record has one length, so the standby at L stands at a record end of the new leader's, in a segment (or
 * channel) with the same header: only the digest of its bytes can tell. That standby is rejected ({@code DIVERGED})
 * and its mirror is left byte for byte as it was; the one at M', a true prefix, resumes and ends identical.
 */
@Timeout(90)
class ReplicationDivergenceTest
{
    private static final long CHANNEL_ID = 0x42_0000_0002L;
    private static final int PAYLOAD_LENGTH = 120; // a 128-byte frame
    private static final int PREFIX_RECORDS = 600;
    private static final int PROMOTED_RECORDS = 650;
    private static final int OLD_LEADER_RECORDS = 700;
    private static final int NEW_LEADER_RECORDS = 740;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    @Test
    void shouldRejectAFollowerWhoseJournalDivergedInsideItsSegmentAndLeaveItsMirrorUntouched()
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), 0, 0);
        final Path leader = fx.tmp.resolve("old-leader");
        final JournalWriter old = fx.own(JournalWriter.create(ReplicationJournalLoopbackTest.journalContext(leader)));
        fx.source = new ReplicationSource(fx.sourceContext(leader));
        final Path prefix = fx.tmp.resolve("standby-prefix");
        final Path promoted = fx.tmp.resolve("standby-promoted");
        final Path diverged = fx.tmp.resolve("standby-diverged");
        final long prefixEnd = mirrorAt(PREFIX_RECORDS, old, prefix);
        mirrorAt(PROMOTED_RECORDS, old, promoted);
        final long oldEnd = mirrorAt(OLD_LEADER_RECORDS, old, diverged);
        assertTrue(old.rolls() >= 2, "the histories part after earlier segments: rolls=" + old.rolls());
        fx.source.close();
        old.close();

        // The standby at M takes over: its mirror resumed as the journal's writer, its own records after M.
        final JournalWriter promotedWriter =
            fx.own(JournalWriter.resume(ReplicationJournalLoopbackTest.journalContext(promoted)));
        for (int seq = PROMOTED_RECORDS; seq < NEW_LEADER_RECORDS; seq++)
        {
            write(promotedWriter, seq, true);
        }
        final long newEnd = promotedWriter.position();
        final long base = JournalDescriptor.segmentBase(oldEnd, ReplicationJournalLoopbackTest.SEGMENT_CAPACITY);
        assertTrue(base > 0 && base == JournalDescriptor.segmentBase(newEnd,
            ReplicationJournalLoopbackTest.SEGMENT_CAPACITY), "one segment, after the first, holds M..L and beyond");
        assertTrue(base < prefixEnd, "the prefix standby is in that segment too");
        fx.source = new ReplicationSource(fx.sourceContext(promoted));

        final List<byte[]> before = journalBytes(diverged);
        final ReplicationSink divergedSink =
            fx.own(new ReplicationSink(fx.sinkContext(fx.source.controlEndpoint(), diverged)));
        awaitRejectOrMirrored(divergedSink, newEnd);
        assertRejectedDiverged(divergedSink.failure(), oldEnd, newEnd);
        assertTrue(fx.source.lastError().contains("divergent history"), fx.source.lastError());
        divergedSink.close();
        assertJournalBytesEqual(before, journalBytes(diverged));

        final ReplicationSink prefixSink =
            fx.own(new ReplicationSink(fx.sinkContext(fx.source.controlEndpoint(), prefix)));
        pump(() -> prefixSink.receivedPosition() == newEnd, 20_000, "the prefix standby to catch up",
            fx.source::doWork, prefixSink::doWork);
        assertFalse(prefixSink.isFailed(), prefixSink.failure());
        assertEquals(JournalDigest.digest(promoted, -1, newEnd).digest(),
            JournalDigest.digest(prefix, -1, newEnd).digest());

        assertVersion2HelloAcceptedUnchecked(diverged, base, oldEnd);
    }

    @ParameterizedTest(name = "mirror known at the hello: {0}")
    @ValueSource(booleans = { true, false })
    void shouldRejectAFollowerWhoseChannelDivergedAndLeaveItsMirrorUntouched(final boolean isMirrorKnownAtHello)
        throws IOException
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), 0, 0);
        final ChannelWriter old = fx.own(ChannelWriter.create(new ChannelWriter.Context()
            .root(fx.tmp.resolve("old-leader")).channelId(CHANNEL_ID).capacity(1024 * 1024).preTouch(false)));
        fx.source = new ReplicationSource(fx.sourceContext(old.path()));
        final Path prefix = fx.tmp.resolve("standby-prefix");
        final Path promoted = fx.tmp.resolve("standby-promoted");
        final Path diverged = fx.tmp.resolve("standby-diverged");
        channelMirrorAt(PREFIX_RECORDS, old, prefix);
        channelMirrorAt(PROMOTED_RECORDS, old, promoted);
        final long oldEnd = channelMirrorAt(OLD_LEADER_RECORDS, old, diverged);
        fx.source.close();
        old.close();

        final ChannelWriter promotedWriter = fx.own(ChannelWriter.resume(new ChannelWriter.Context()
            .path(ChannelDescriptor.channelPath(promoted, CHANNEL_ID)).preTouch(false)));
        for (int seq = PROMOTED_RECORDS; seq < NEW_LEADER_RECORDS; seq++)
        {
            write(promotedWriter, seq, true);
        }
        final long newEnd = promotedWriter.position();
        fx.source = new ReplicationSource(fx.sourceContext(promotedWriter.path()));

        // Known at the hello, the hello's digest is checked; found only when the leader's MirrorStart names the
        // channel, the resume's is, and nothing the leader streams meanwhile may reach the mirror.
        final Path divergedFile = ChannelDescriptor.channelPath(diverged, CHANNEL_ID);
        final byte[] before = Files.readAllBytes(divergedFile);
        final ReplicationSink divergedSink = fx.own(new ReplicationSink(channelSinkContext(diverged,
            isMirrorKnownAtHello)));
        awaitRejectOrMirrored(divergedSink, newEnd);
        assertRejectedDiverged(divergedSink.failure(), oldEnd, newEnd);
        divergedSink.close();
        final byte[] after = Files.readAllBytes(divergedFile);
        assertArrayEquals(Arrays.copyOfRange(before, ChannelDescriptor.HEADER_LENGTH, before.length),
            Arrays.copyOfRange(after, ChannelDescriptor.HEADER_LENGTH, after.length), "the mirror's bytes");

        final ReplicationSink prefixSink = fx.own(new ReplicationSink(channelSinkContext(prefix,
            isMirrorKnownAtHello)));
        pump(() -> prefixSink.receivedPosition() == newEnd, 20_000, "the prefix standby to catch up",
            fx.source::doWork, prefixSink::doWork);
        assertFalse(prefixSink.isFailed(), prefixSink.failure());
        assertEquals(ChannelDigest.digest(promotedWriter.path(), newEnd).digest(),
            ChannelDigest.digest(ChannelDescriptor.channelPath(prefix, CHANNEL_ID), newEnd).digest());
    }

    private ReplicationSink.Context channelSinkContext(final Path dir, final boolean isMirrorKnownAtHello)
    {
        final ReplicationSink.Context ctx = fx.sinkContext(fx.source.controlEndpoint(), dir);
        return isMirrorKnownAtHello ? ctx.channelId(CHANNEL_ID) : ctx;
    }

    /**
     * Until the follower is rejected, or has taken the new leader's records after its own: a journal neither leader
     * wrote.
     */
    private void awaitRejectOrMirrored(final ReplicationSink sink, final long newEnd)
    {
        pump(() -> sink.isFailed() || sink.receivedPosition() == newEnd, 20_000, "the reject", fx.source::doWork,
            sink::doWork);
        assertTrue(sink.isFailed(), "accepted: the mirror took the new leader's records after its own, up to " +
            sink.receivedPosition());
    }

    private static void assertRejectedDiverged(final String failure, final long followerPosition, final long leaderEnd)
    {
        assertTrue(failure.contains("(DIVERGED)"), failure);
        assertTrue(failure.contains("leader position=" + leaderEnd), failure);
        assertTrue(failure.contains("follower position=" + followerPosition), failure);
        assertFalse(failure.contains("\n"), "one line: " + failure);
    }

    /**
     * The leader's records up to {@code records}, mirrored by a new standby into {@code folder}, which then stops.
     *
     * @return the position mirrored.
     */
    private long mirrorAt(final int records, final JournalWriter writer, final Path folder)
    {
        while (fx.seq < records)
        {
            write(writer, fx.seq++, false);
        }
        return mirror(folder, writer.position());
    }

    private long channelMirrorAt(final int records, final ChannelWriter writer, final Path folder)
    {
        while (fx.seq < records)
        {
            write(writer, fx.seq++, false);
        }
        return mirror(folder, writer.position());
    }

    private long mirror(final Path folder, final long end)
    {
        try (ReplicationSink standby = new ReplicationSink(fx.sinkContext(fx.source.controlEndpoint(), folder)))
        {
            pump(() -> standby.receivedPosition() == end, 20_000, "a standby to mirror up to " + end,
                fx.source::doWork, standby::doWork);
        }
        return end;
    }

    /**
     * Record {@code seq}, of one length: the same bytes in both histories but for the first record the promoted
     * standby writes, which differs in one byte.
     */
    private void write(final JournalWriter writer, final long seq, final boolean isNewLeader)
    {
        fill(seq, isNewLeader);
        assertTrue(writer.write(1, fx.scratch, 0, PAYLOAD_LENGTH) > 0);
        writer.doWork();
    }

    private void write(final ChannelWriter writer, final long seq, final boolean isNewLeader)
    {
        fill(seq, isNewLeader);
        assertTrue(writer.write(1, fx.scratch, 0, PAYLOAD_LENGTH) > 0);
    }

    private void fill(final long seq, final boolean isNewLeader)
    {
        fx.scratch.putLong(0, seq);
        for (int i = 8; i < PAYLOAD_LENGTH; i++)
        {
            fx.scratch.putByte(i, (byte)(seq * 31 + i));
        }
        if (isNewLeader && PROMOTED_RECORDS == seq)
        {
            fx.scratch.putByte(PAYLOAD_LENGTH / 2, (byte)~fx.scratch.getByte(PAYLOAD_LENGTH / 2));
        }
    }

    /**
     * A version 2 follower sends no data digest: the leader takes its hello as before, unchecked (documented).
     */
    private void assertVersion2HelloAcceptedUnchecked(final Path diverged, final long base, final long position)
    {
        final Aeron aeron = fx.driver.aeron();
        final String dataChannel = "aeron:udp?endpoint=" + ReplicationTestSupport.LOOPBACK + ":" +
            ReplicationTestSupport.freeUdpPort();
        final Subscription data = fx.own(aeron.addSubscription(dataChannel, ReplicationContext.DEFAULT_DATA_STREAM_ID));
        final Publication control = fx.own(aeron.addExclusivePublication(
            "aeron:udp?endpoint=" + fx.source.controlEndpoint(), ReplicationContext.DEFAULT_CONTROL_STREAM_ID));
        final UnsafeBuffer segmentHeader = new UnsafeBuffer(readAll(JournalDescriptor.segmentPath(diverged, base)));
        final UnsafeBuffer hello = new UnsafeBuffer(new byte[256]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final HelloEncoder encoder = new HelloEncoder().wrapAndApplyHeader(hello, 0, header);
        header.version(2).blockLength(HelloEncoder.dataDigestEncodingOffset()); // version 2 ends before dataDigest
        encoder.followerId(9).channelId(base).headerDigest(ChannelDigest.headerDigest(segmentHeader, 0))
            .position(position).kind(MirrorKind.JOURNAL);
        final int v2Length = MessageHeaderEncoder.ENCODED_LENGTH + HelloEncoder.dataDigestEncodingOffset();
        hello.putInt(v2Length, dataChannel.length(), ByteOrder.LITTLE_ENDIAN);
        hello.putStringWithoutLengthAscii(v2Length + 4, dataChannel);
        final int helloLength = v2Length + 4 + dataChannel.length();

        final long[] startPosition = { -1 };
        final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        final MirrorStartDecoder start = new MirrorStartDecoder();
        final FragmentHandler onData = (buffer, offset, length, frameHeader) ->
        {
            headerDecoder.wrap(buffer, offset);
            if (MirrorStartDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                startPosition[0] = start.wrapAndApplyHeader(buffer, offset, headerDecoder).startPosition();
            }
            else if (RejectDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                throw new AssertionError("a version 2 hello rejected: " +
                    new RejectDecoder().wrapAndApplyHeader(buffer, offset, headerDecoder).message());
            }
        };
        pump(() -> -1 != startPosition[0], 20_000, "the MirrorStart", fx.source::doWork, () ->
            (control.offer(hello, 0, helloLength) > 0 ? 1 : 0) + data.poll(onData, 10));
        assertEquals(position, startPosition[0], "served from its position, its history unchecked");
    }

    /**
     * Every segment's bytes after the header (data region and trailer); the header's process fields change when a
     * sink reopens the mirror.
     */
    private static List<byte[]> journalBytes(final Path folder)
    {
        final List<byte[]> segments = new ArrayList<>();
        for (final Path segment : ReplicationJournalLoopbackTest.segments(folder))
        {
            final byte[] bytes = readAll(segment);
            segments.add(Arrays.copyOfRange(bytes, ChannelDescriptor.HEADER_LENGTH, bytes.length));
        }
        return segments;
    }

    private static void assertJournalBytesEqual(final List<byte[]> expected, final List<byte[]> actual)
    {
        assertEquals(expected.size(), actual.size(), "segments");
        for (int i = 0; i < expected.size(); i++)
        {
            assertArrayEquals(expected.get(i), actual.get(i), "segment " + i);
        }
    }

    private static byte[] readAll(final Path path)
    {
        try
        {
            return Files.readAllBytes(path);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
