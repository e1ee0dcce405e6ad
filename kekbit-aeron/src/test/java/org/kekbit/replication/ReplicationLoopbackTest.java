package org.kekbit.replication;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.LONG_RECORD_LENGTH;
import static org.kekbit.replication.ReplicationTestSupport.pump;
import static org.kekbit.replication.ReplicationTestSupport.recordLength;
import static org.kekbit.replication.ReplicationTestSupport.write;

/**
 * Source and sink in one process on one embedded media driver, over loopback UDP, driven by the test's thread so
 * the test reads the mirror between every duty cycle.
 */
@Timeout(60)
class ReplicationLoopbackTest
{
    private static final long CHANNEL_ID = 0x42_0000_0001L;
    private static final int CAPACITY = 16 * 1024 * 1024;

    @RegisterExtension
    final ReplicationFixture fx = new ReplicationFixture();

    private ChannelWriter writer;

    @Test
    void shouldMirrorByteIdenticalWhenFollowerTailsTheWriterLive()
    {
        start(0);
        fx.startSink();
        fx.writeLive(3000, writer);
        closeWriterAndAwaitEnd();
    }

    @Test
    void shouldCatchUpALateFollowerFromTheLeadersFileThenFollowLive()
    {
        start(0);
        for (int i = 0; i < 6000; i++)
        {
            write(writer, fx.scratch, fx.seq, recordLength(fx.seq, LONG_RECORD_LENGTH));
            fx.seq++;
        }
        final long written = writer.position();

        fx.startSink();
        pump(() -> fx.sink.receivedPosition() == written, 20_000, "catch-up to " + written, this::cycle);
        pump(() -> fx.source.receivedPosition() == written, 5_000, "the leader learning it from the acks", this::cycle);
        assertEquals(written, fx.sink.leaderPosition(), "the follower knows the leader's position: lag 0");
        fx.writeLive(1000, writer);
        closeWriterAndAwaitEnd();
    }

    @Test
    void shouldTellACatchingUpFollowerWhereTheLeaderIsWhileTheLeaderWrites()
    {
        start(0, TimeUnit.MILLISECONDS.toNanos(1));
        writeRecords(3000);
        fx.startSink();
        pump(() -> fx.sink.receivedPosition() > 0, 10_000, "the catch-up to begin", this::cycle);
        writeRecords(3000);
        final long written = writer.position();

        final long[] leaderPositionWhileBehind = { -1 };
        pump(
            () ->
            {
                if (fx.sink.receivedPosition() < written)
                {
                    leaderPositionWhileBehind[0] = Math.max(leaderPositionWhileBehind[0], fx.sink.leaderPosition());
                }
                return fx.sink.receivedPosition() == written;
            },
            20_000, "catch-up to " + written, this::cycle);
        assertEquals(written, leaderPositionWhileBehind[0],
            "the follower learnt the leader's position while catching up, not only once caught up");
    }

    @ParameterizedTest
    @ValueSource(doubles = { 0.05, 0.2 })
    void shouldMirrorByteIdenticalWhenTheNetworkLosesFrames(final double lossRate)
    {
        start(lossRate);
        fx.startSink();
        fx.writeLive(2000, writer);
        closeWriterAndAwaitEnd();
        assertTrue(fx.driver.naksSent() > 0, "frames were lost and repaired");
    }

    @Test
    void shouldRejectAFollowerWhoseMirrorIsOfAnotherChannelWithTheSameId() throws Exception
    {
        start(0);
        // Another channel with the same id (created at another time) where the follower keeps its mirror.
        final Path otherRoot = fx.tmp.resolve("other");
        try (ChannelWriter other = ChannelWriter.create(new ChannelWriter.Context()
            .root(otherRoot).channelId(CHANNEL_ID).capacity(64 * 1024).preTouch(false)))
        {
            write(other, fx.scratch, 0, 8);
        }
        final Path mirrorDir = fx.tmp.resolve("mirror");
        Files.createDirectories(ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID).getParent());
        Files.copy(ChannelDescriptor.channelPath(otherRoot, CHANNEL_ID),
            ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID));
        final byte[] before = Files.readAllBytes(ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID));

        fx.sink = new ReplicationSink(fx.sinkContext(fx.source.controlEndpoint(), mirrorDir).channelId(CHANNEL_ID));
        pump(fx.sink::isFailed, 10_000, "the reject", fx.source::doWork, fx.sink::doWork);

        assertTrue(fx.sink.failure().contains("HEADER_MISMATCH"), fx.sink.failure());
        fx.sink.close();
        final byte[] after = Files.readAllBytes(ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID));
        assertEquals(before.length, after.length);
        // The data region is untouched; only the header's process fields changed when the sink reopened it.
        assertArrayEquals(
            java.util.Arrays.copyOfRange(before, ChannelDescriptor.HEADER_LENGTH, before.length),
            java.util.Arrays.copyOfRange(after, ChannelDescriptor.HEADER_LENGTH, after.length));
    }

    @Test
    void shouldKeepALeaderReaderBehindWhatTheFollowerAcknowledgedAndAwaitReplicated()
    {
        start(0);
        final CountersReader counters = fx.driver.aeron().countersReader();
        final ReplicatedPosition received = ReplicatedPosition.received(counters, CHANNEL_ID);
        final ReplicatedPosition durable = ReplicatedPosition.durable(counters, CHANNEL_ID);
        final IdleStrategy pumping = new IdleStrategy()
        {
            public void idle(final int workCount)
            {
                cycle();
            }

            public void idle()
            {
                cycle();
            }

            public void reset()
            {
            }
        };
        final NanoClock clock = SystemNanoClock.INSTANCE;

        final long first = write(writer, fx.scratch, fx.seq, recordLength(fx.seq, LONG_RECORD_LENGTH));
        fx.seq++;
        assertEquals(ReplicatedPosition.TIMED_OUT, durable.awaitReplicated(
            first, clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), clock, pumping), "no follower yet");
        fx.startSink();
        assertEquals(ReplicatedPosition.REPLICATED, durable.awaitReplicated(
            first, clock.nanoTime() + TimeUnit.SECONDS.toNanos(10), clock, pumping));

        try (ChannelReader bounded = ChannelReader.open(writer.path()))
        {
            final ReplicationTestSupport.RecordChecker boundedChecker =
                new ReplicationTestSupport.RecordChecker(LONG_RECORD_LENGTH);
            for (int i = 0; i < 2000; i++)
            {
                write(writer, fx.scratch, fx.seq, recordLength(fx.seq, LONG_RECORD_LENGTH));
                fx.seq++;
                cycle();
                bounded.poll(boundedChecker, 100, received.get());
                assertTrue(bounded.position() <= fx.sink.receivedPosition(),
                    "a leader reader saw an unreplicated record");
            }
            assertTrue(bounded.position() < writer.position(), "the bound held the reader back at least once");

            assertEquals(ReplicatedPosition.REPLICATED, durable.awaitReplicated(
                writer.position(), clock.nanoTime() + TimeUnit.SECONDS.toNanos(10), clock, pumping));
            bounded.poll(boundedChecker, Integer.MAX_VALUE, received.get());
            assertEquals(writer.position(), bounded.position());
            assertEquals(fx.seq, boundedChecker.nextSeq);
        }

        assertEquals(ReplicatedPosition.NOT_AVAILABLE, ReplicatedPosition.durable(counters, 0x7777)
            .awaitReplicated(8, clock.nanoTime(), clock, pumping), "no source serves that channel");
        closeWriterAndAwaitEnd();
    }

    private void start(final double lossRate)
    {
        start(lossRate, new ReplicationSource.Context().statusIntervalNs());
    }

    private void start(final double lossRate, final long statusIntervalNs)
    {
        fx.launchDriver(fx.tmp.resolve("aeron"), lossRate, 42);
        writer = fx.own(ChannelWriter.create(new ChannelWriter.Context()
            .root(fx.tmp.resolve("leader")).channelId(CHANNEL_ID).capacity(CAPACITY).maxRecordLength(64 * 1024)
            .preTouch(false)));
        fx.source = new ReplicationSource(fx.sourceContext(writer.path()).statusIntervalNs(statusIntervalNs));
    }

    private void writeRecords(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            write(writer, fx.scratch, fx.seq, recordLength(fx.seq, LONG_RECORD_LENGTH));
            fx.seq++;
        }
    }

    private int cycle()
    {
        return fx.cycle(writer);
    }

    private void closeWriterAndAwaitEnd()
    {
        final long written = fx.closeAndAwaitEnd(writer);

        final Path leaderPath = ChannelDescriptor.channelPath(fx.tmp.resolve("leader"), CHANNEL_ID);
        final ChannelDigest.Result leader = ChannelDigest.digest(leaderPath, -1);
        final ChannelDigest.Result mirror = ChannelDigest.digest(fx.sink.mirrorPath(), -1);
        assertEquals(written, leader.position());
        assertEquals(leader.position(), mirror.position());
        assertEquals(leader.digest(), mirror.digest());
    }
}
