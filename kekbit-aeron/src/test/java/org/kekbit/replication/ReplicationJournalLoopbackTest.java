package org.kekbit.replication;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.codecs.replication.HelloEncoder;
import org.kekbit.codecs.replication.MessageHeaderDecoder;
import org.kekbit.codecs.replication.MessageHeaderEncoder;
import org.kekbit.codecs.replication.RejectDecoder;
import org.kekbit.codecs.replication.RejectReason;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSeal;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationTestSupport.pump;
import static org.kekbit.replication.ReplicationTestSupport.recordLength;

/**
 * A journal replicated segment by segment: source and sink in one process on one embedded media driver over loopback
 * UDP, a {@link JournalReader} tailing the mirror between every duty cycle and checking every record.
 */
@Timeout(90)
class ReplicationJournalLoopbackTest
{
    static final int SEGMENT_CAPACITY = 32 * 1024;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private JournalWriter writer;

    @Test
    void shouldMirrorJournalByteIdenticalThroughManyRollsWhenTheNetworkLosesFrames()
    {
        start(0.1);
        fx.startSink();
        fx.writeLive(3000, Long.MAX_VALUE, writer);
        assertTrue(writer.rolls() > 40, "rolls=" + writer.rolls());
        closeWriterAndAwaitEnd();
        assertTrue(fx.driver.naksSent() > 0, "frames were lost and repaired");

        final CountersReader counters = fx.driver.aeron().countersReader();
        final long journalId = ReplicatedPosition.journalId(fx.tmp.resolve("leader"));
        assertEquals(fx.source.channelId(), journalId);
        assertEquals(writer.position() + 8, ReplicatedPosition.durable(counters, journalId).get(),
            "awaitReplicated works with journal positions");
        assertEquals(journalId, fx.sink.counterKey(), "the sink's counters carry the journal's id");
        assertNotEquals(CountersReader.NULL_COUNTER_ID, ReplicationCounters.find(
            counters, ReplicationCounters.SINK_RECEIVED_POSITION_TYPE_ID, journalId));
    }

    @Test
    void shouldCatchUpALateFollowerOnAJournalOfSeveralSegmentsThenFollowLive()
    {
        start(0);
        for (int i = 0; i < 2000; i++)
        {
            write();
        }
        assertTrue(writer.rolls() > 20, "rolls=" + writer.rolls());
        final long written = writer.position();

        fx.startSink();
        pump(() -> fx.sink.receivedPosition() == written, 20_000, "catch-up to " + written, this::cycle);
        pump(() -> fx.source.receivedPosition() == written, 5_000, "the leader learning it from the acks", this::cycle);
        fx.writeLive(1000, Long.MAX_VALUE, writer);
        closeWriterAndAwaitEnd();
    }

    @Test
    void shouldTellAFollowerSegmentsBehindWhereTheLeaderIsWhileTheLeaderWrites()
    {
        start(0, TimeUnit.MILLISECONDS.toNanos(1));
        for (int i = 0; i < 2000; i++)
        {
            write();
        }
        fx.startSink();
        pump(() -> fx.sink.receivedPosition() > 0, 10_000, "the catch-up to begin", this::cycle);
        final long rollsBefore = writer.rolls();
        for (int i = 0; i < 2000; i++)
        {
            write();
        }
        assertTrue(writer.rolls() > rollsBefore + 20, "rolls=" + writer.rolls());
        final long written = writer.position();

        final long[] leaderPositionWhileBehind = { -1 };
        pump(
            () ->
            {
                if (fx.sink.receivedPosition() < SEGMENT_CAPACITY * (written / SEGMENT_CAPACITY))
                {
                    leaderPositionWhileBehind[0] = Math.max(leaderPositionWhileBehind[0], fx.sink.leaderPosition());
                }
                return fx.sink.receivedPosition() == written;
            },
            20_000, "catch-up to " + written, this::cycle);
        assertEquals(written, leaderPositionWhileBehind[0],
            "the follower learnt the leader's position in its newest segment while segments behind");
    }

    @Test
    void shouldRejectTheFollowerWithOneLineWhenTheLeadersJournalIsCorrupt() throws IOException
    {
        start(0);
        final List<Long> ends = new ArrayList<>();
        for (int i = 0; i < 300; i++)
        {
            ends.add(write());
        }
        writer.close();
        // A record header in the second segment that no writer writes: a frame longer than the segment.
        final long badRecord = ends.stream().filter((end) -> end > SEGMENT_CAPACITY + 1024).findFirst().orElseThrow();
        final long segmentBase = JournalDescriptor.segmentBase(badRecord, SEGMENT_CAPACITY);
        try (RandomAccessFile file = new RandomAccessFile(
            JournalDescriptor.segmentPath(fx.tmp.resolve("leader"), segmentBase).toFile(), "rw"))
        {
            file.seek(ChannelDescriptor.HEADER_LENGTH + JournalDescriptor.segmentOffset(badRecord, SEGMENT_CAPACITY));
            file.write(new byte[] { (byte)0xF0, (byte)0xFF, (byte)0xFF, 0x7F });
        }

        fx.startSink();
        pump(fx.sink::isFailed, 20_000, "the reject", this::cycle);
        assertTrue(fx.sink.failure().contains("SOURCE_CORRUPT"), fx.sink.failure());
        assertFalse(fx.sink.failure().contains("\n"), "one line");
        assertTrue(null != fx.source.lastError() && fx.source.lastError().contains("CORRUPT"), fx.source.lastError());
        assertEquals(badRecord, fx.sink.receivedPosition(), "the mirror holds everything before the bad record");
    }

    @Test
    void shouldRejectTheFollowerWhenTheLeadersChannelIsCorrupt() throws IOException
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), 0, 0);
        final long end;
        final Path path;
        try (ChannelWriter channel = ChannelWriter.create(new ChannelWriter.Context()
            .root(fx.tmp.resolve("leader")).channelId(0x4242).capacity(1024 * 1024).preTouch(false)))
        {
            for (int i = 0; i < 10; i++)
            {
                ReplicationTestSupport.write(channel, fx.scratch, i, 100);
            }
            end = channel.position();
            ReplicationTestSupport.write(channel, fx.scratch, 10, 100);
            path = channel.path();
        }
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            file.seek(ChannelDescriptor.HEADER_LENGTH + end);
            file.write(new byte[] { (byte)0xF0, (byte)0xFF, (byte)0xFF, 0x7F });
        }
        fx.source = new ReplicationSource(fx.sourceContext(path));
        fx.startSink();
        pump(fx.sink::isFailed, 20_000, "the reject", fx.source::doWork, fx.sink::doWork);
        assertTrue(fx.sink.failure().contains("SOURCE_CORRUPT"), fx.sink.failure());
        assertEquals(end, fx.sink.receivedPosition());
        assertEquals(0x4242, fx.sink.counterKey(), "the sink's counters carry the channel's id");
    }

    @Test
    void shouldRejectAVersion1FollowerOfAJournalWithAReasonItsCodecKnows()
    {
        start(0);
        write();
        // A version 1 sink, by hand: its hello has no kind, and its codec throws on reasons added in version 2.
        final Aeron aeron = fx.driver.aeron();
        final String dataEndpoint = ReplicationTestSupport.LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort();
        final String dataChannel = "aeron:udp?endpoint=" + dataEndpoint;
        final Subscription data = fx.own(aeron.addSubscription(dataChannel, ReplicationContext.DEFAULT_DATA_STREAM_ID));
        final Publication control = fx.own(aeron.addExclusivePublication(
            "aeron:udp?endpoint=" + fx.source.controlEndpoint(), ReplicationContext.DEFAULT_CONTROL_STREAM_ID));
        final UnsafeBuffer hello = new UnsafeBuffer(new byte[256]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final HelloEncoder encoder = new HelloEncoder().wrapAndApplyHeader(hello, 0, header);
        header.version(1).blockLength(HelloEncoder.kindEncodingOffset()); // the version 1 block ends before kind
        encoder.followerId(7).channelId(0).headerDigest(0).position(0);
        final int v1Length = MessageHeaderEncoder.ENCODED_LENGTH + HelloEncoder.kindEncodingOffset();
        hello.putInt(v1Length, dataChannel.length(), ByteOrder.LITTLE_ENDIAN);
        hello.putStringWithoutLengthAscii(v1Length + 4, dataChannel);
        final int helloLength = v1Length + 4 + dataChannel.length();

        final int[] reason = { -1 };
        final String[] message = new String[1];
        final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        final RejectDecoder reject = new RejectDecoder();
        final FragmentHandler onData = (buffer, offset, length, frameHeader) ->
        {
            headerDecoder.wrap(buffer, offset);
            if (RejectDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                reject.wrapAndApplyHeader(buffer, offset, headerDecoder);
                reason[0] = reject.reasonRaw();
                message[0] = reject.message();
            }
        };
        pump(() -> -1 != reason[0], 20_000, "the reject", fx.source::doWork, () ->
            (control.offer(hello, 0, helloLength) > 0 ? 1 : 0) + data.poll(onData, 10));

        assertEquals(RejectReason.WRONG_CHANNEL.value(), reason[0], message[0]);
        assertTrue(message[0].contains("protocol version 2"), message[0]);
        assertEquals(RejectReason.WRONG_KIND, FollowerSession.reasonFor(RejectReason.WRONG_KIND, 2));
        assertEquals(RejectReason.DIVERGED, FollowerSession.reasonFor(RejectReason.DIVERGED, 3));
        assertEquals(RejectReason.POSITION_AHEAD, FollowerSession.reasonFor(RejectReason.DIVERGED, 2),
            "divergent history, as versions 1 and 2 say it");
        assertEquals(RejectReason.POSITION_AHEAD, FollowerSession.reasonFor(RejectReason.DIVERGED, 1));
        for (final RejectReason any : RejectReason.values())
        {
            if (RejectReason.NULL_VAL != any)
            {
                assertTrue(FollowerSession.reasonFor(any, 1).value() <= RejectReason.NOT_A_RECORD_BOUNDARY.value(),
                    any + " goes to a version 1 follower as a reason it decodes");
                assertTrue(FollowerSession.reasonFor(any, 2).value() <= RejectReason.SEGMENT_NOT_FOUND.value(),
                    any + " goes to a version 2 follower as a reason it decodes");
            }
        }
    }

    private void start(final double lossRate)
    {
        start(lossRate, new ReplicationSource.Context().statusIntervalNs());
    }

    private void start(final double lossRate, final long statusIntervalNs)
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), lossRate, 42);
        writer = fx.own(JournalWriter.create(journalContext(fx.tmp.resolve("leader")).sequenceOffset(0)));
        fx.source = new ReplicationSource(
            fx.sourceContext(fx.tmp.resolve("leader")).statusIntervalNs(statusIntervalNs));
        assertTrue(fx.source.isJournal());
    }

    static JournalWriter.Context journalContext(final Path folder)
    {
        return new JournalWriter.Context()
            .folder(folder)
            .segmentCapacity(SEGMENT_CAPACITY)
            .maxRecordLength(16 * 1024)
            .preTouch(false);
    }

    private long write()
    {
        final long result = write(writer, fx.scratch, fx.seq);
        fx.seq++;
        return result;
    }

    static long write(final JournalWriter writer, final UnsafeBuffer scratch, final long seq)
    {
        final int length = recordLength(seq, LONG_RECORD_LENGTH);
        scratch.putLong(0, seq);
        for (int i = 8; i < length; i++)
        {
            scratch.putByte(i, (byte)(seq * 31 + i));
        }
        final long result = writer.write((int)(seq & 0xFFFF), scratch, 0, length);
        assertTrue(result > 0, "write failed: " + result);
        writer.doWork();
        return result;
    }

    private int cycle()
    {
        return fx.cycle(writer);
    }

    private void closeWriterAndAwaitEnd()
    {
        fx.closeAndAwaitEnd(writer);
        assertJournalsIdentical(fx.tmp.resolve("leader"), fx.sink.mirrorPath());
    }

    /**
     * Same segments, each byte-identical but the process fields of its header; equal chain digests; equal seals.
     */
    static void assertJournalsIdentical(final Path leader, final Path follower)
    {
        final List<Path> leaderSegments = segments(leader);
        assertSegmentsIdentical(leaderSegments, segments(follower));
        assertTrue(new JournalSeal().read(leaderSegments.get(0)), "the first segment is sealed");
        assertEquals(JournalDigest.digest(leader, -1, -1).digest(), JournalDigest.digest(follower, -1, -1).digest());
    }

    /**
     * Same segment names, each byte-identical but the process fields of its header, each of this journal format
     * version; equal seals.
     */
    static void assertSegmentsIdentical(final List<Path> leaderSegments, final List<Path> followerSegments)
    {
        assertEquals(leaderSegments.stream().map(Path::getFileName).toList(),
            followerSegments.stream().map(Path::getFileName).toList());
        final JournalSeal leaderSeal = new JournalSeal();
        final JournalSeal followerSeal = new JournalSeal();
        for (int i = 0; i < leaderSegments.size(); i++)
        {
            final byte[] a = readAll(leaderSegments.get(i));
            final byte[] b = readAll(followerSegments.get(i));
            assertArrayEquals(Arrays.copyOfRange(a, ChannelDescriptor.HEADER_LENGTH, a.length),
                Arrays.copyOfRange(b, ChannelDescriptor.HEADER_LENGTH, b.length),
                "data region and trailer of " + leaderSegments.get(i).getFileName());
            assertEquals(ChannelDigest.headerDigest(new UnsafeBuffer(a), 0),
                ChannelDigest.headerDigest(new UnsafeBuffer(b), 0));
            assertEquals(JournalDescriptor.JOURNAL_FORMAT_VERSION,
                ChannelDescriptor.journalFormatVersion(new UnsafeBuffer(b), 0),
                "the follower's segment carries the journal format version: " + followerSegments.get(i).getFileName());
            assertEquals(leaderSeal.read(leaderSegments.get(i)), followerSeal.read(followerSegments.get(i)));
            assertEquals(leaderSeal.recordCount(), followerSeal.recordCount());
            assertEquals(leaderSeal.lastSequence(), followerSeal.lastSequence());
        }
    }

    static List<Path> segments(final Path folder)
    {
        try (Stream<Path> files = Files.list(folder))
        {
            return files.filter((path) -> JournalDescriptor.parseSegmentBase(path.getFileName().toString()) >= 0)
                .sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
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
            throw new AssertionError(ex);
        }
    }
}
