package org.kekbit.replication;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
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
    private static final int MAX_CHUNK_LENGTH = 4096;
    private static final int LONG_RECORD_LENGTH = 3 * MAX_CHUNK_LENGTH + 1000;

    @TempDir
    Path tmp;

    private EmbeddedMediaDriver driver;
    private ChannelWriter writer;
    private ReplicationSource source;
    private ReplicationSink sink;
    private ChannelReader mirrorReader;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[LONG_RECORD_LENGTH]);
    private final ReplicationTestSupport.RecordChecker checker =
        new ReplicationTestSupport.RecordChecker(LONG_RECORD_LENGTH);
    private long seq;

    @AfterEach
    void after()
    {
        CloseHelper.closeAll(mirrorReader, sink, source, writer, driver);
        assertFalse(Files.exists(tmp.resolve("aeron")), "aeron.dir deleted");
    }

    @Test
    void shouldMirrorByteIdenticalWhenFollowerTailsTheWriterLive()
    {
        start(0);
        startSink();
        writeLive(3000);
        closeWriterAndAwaitEnd();
    }

    @Test
    void shouldCatchUpALateFollowerFromTheLeadersFileThenFollowLive()
    {
        start(0);
        for (int i = 0; i < 6000; i++)
        {
            write(writer, scratch, seq, recordLength(seq, LONG_RECORD_LENGTH));
            seq++;
        }
        final long written = writer.position();

        startSink();
        pump(() -> sink.receivedPosition() == written, 20_000, "catch-up to " + written, this::cycle);
        pump(() -> source.receivedPosition() == written, 5_000, "the leader learning it from the acks", this::cycle);
        assertEquals(written, sink.leaderPosition(), "the follower knows the leader's position: lag 0");
        writeLive(1000);
        closeWriterAndAwaitEnd();
    }

    @ParameterizedTest
    @ValueSource(doubles = { 0.05, 0.2 })
    void shouldMirrorByteIdenticalWhenTheNetworkLosesFrames(final double lossRate)
    {
        start(lossRate);
        startSink();
        writeLive(2000);
        closeWriterAndAwaitEnd();
        assertTrue(driver.naksSent() > 0, "frames were lost and repaired");
    }

    @Test
    void shouldRejectAFollowerWhoseMirrorIsOfAnotherChannelWithTheSameId() throws Exception
    {
        start(0);
        // Another channel with the same id (created at another time) where the follower keeps its mirror.
        final Path otherRoot = tmp.resolve("other");
        try (ChannelWriter other = ChannelWriter.create(new ChannelWriter.Context()
            .root(otherRoot).channelId(CHANNEL_ID).capacity(64 * 1024).preTouch(false)))
        {
            write(other, scratch, 0, 8);
        }
        final Path mirrorDir = tmp.resolve("mirror");
        Files.createDirectories(ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID).getParent());
        Files.copy(ChannelDescriptor.channelPath(otherRoot, CHANNEL_ID),
            ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID));
        final byte[] before = Files.readAllBytes(ChannelDescriptor.channelPath(mirrorDir, CHANNEL_ID));

        sink = new ReplicationSink(new ReplicationSink.Context()
            .aeron(driver.aeron()).controlEndpoint(source.controlEndpoint()).dataEndpoint(LOOPBACK + ":0")
            .mirrorDir(mirrorDir).channelId(CHANNEL_ID));
        pump(sink::isFailed, 10_000, "the reject", source::doWork, sink::doWork);

        assertTrue(sink.failure().contains("HEADER_MISMATCH"), sink.failure());
        sink.close();
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
        final CountersReader counters = driver.aeron().countersReader();
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

        final long first = write(writer, scratch, seq, recordLength(seq, LONG_RECORD_LENGTH));
        seq++;
        assertEquals(ReplicatedPosition.TIMED_OUT, durable.awaitReplicated(
            first, clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), clock, pumping), "no follower yet");
        startSink();
        assertEquals(ReplicatedPosition.REPLICATED, durable.awaitReplicated(
            first, clock.nanoTime() + TimeUnit.SECONDS.toNanos(10), clock, pumping));

        try (ChannelReader bounded = ChannelReader.open(writer.path()))
        {
            final ReplicationTestSupport.RecordChecker boundedChecker =
                new ReplicationTestSupport.RecordChecker(LONG_RECORD_LENGTH);
            for (int i = 0; i < 2000; i++)
            {
                write(writer, scratch, seq, recordLength(seq, LONG_RECORD_LENGTH));
                seq++;
                cycle();
                bounded.poll(boundedChecker, 100, received.get());
                assertTrue(bounded.position() <= sink.receivedPosition(), "a leader reader saw an unreplicated record");
            }
            assertTrue(bounded.position() < writer.position(), "the bound held the reader back at least once");

            assertEquals(ReplicatedPosition.REPLICATED, durable.awaitReplicated(
                writer.position(), clock.nanoTime() + TimeUnit.SECONDS.toNanos(10), clock, pumping));
            bounded.poll(boundedChecker, Integer.MAX_VALUE, received.get());
            assertEquals(writer.position(), bounded.position());
            assertEquals(seq, boundedChecker.nextSeq);
        }

        assertEquals(ReplicatedPosition.NOT_AVAILABLE, ReplicatedPosition.durable(counters, 0x7777)
            .awaitReplicated(8, clock.nanoTime(), clock, pumping), "no source serves that channel");
        closeWriterAndAwaitEnd();
    }

    private void start(final double lossRate)
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron"), lossRate, 42);
        writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(tmp.resolve("leader")).channelId(CHANNEL_ID).capacity(CAPACITY).maxRecordLength(64 * 1024)
            .preTouch(false));
        source = new ReplicationSource(new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(writer.path())
            .termLength(1024 * 1024)
            .maxChunkLength(MAX_CHUNK_LENGTH));
    }

    private void startSink()
    {
        sink = new ReplicationSink(new ReplicationSink.Context()
            .aeron(driver.aeron())
            .controlEndpoint(source.controlEndpoint())
            .dataEndpoint(LOOPBACK + ":0")
            .mirrorDir(tmp.resolve("mirror"))
            .forceIntervalNs(ReplicationSink.FORCE_EVERY_POLL));
    }

    private int cycle()
    {
        int work = source.doWork() + (null == sink ? 0 : sink.doWork()) + writer.doWork();
        if (null == mirrorReader && null != sink && null != sink.mirrorPath())
        {
            mirrorReader = ChannelReader.open(sink.mirrorPath());
        }
        if (null != mirrorReader)
        {
            work += mirrorReader.poll(checker, 1000); // every record, as the sink commits it: never torn
        }
        return work;
    }

    private void writeLive(final int count)
    {
        final long end = seq + count;
        pump(() -> seq == end, 30_000, "live writes", () ->
        {
            for (int i = 0; i < 10 && seq < end; i++)
            {
                write(writer, scratch, seq, recordLength(seq, LONG_RECORD_LENGTH));
                seq++;
            }
            return 1 + cycle();
        });
    }

    private void closeWriterAndAwaitEnd()
    {
        final long written = writer.position();
        writer.close();
        pump(() -> sink.isEnded() && checker.nextSeq == seq, 30_000, "the end marker on the mirror", this::cycle);

        assertEquals(ChannelState.CLOSED, mirrorReader.state());
        assertEquals(written + 8, sink.receivedPosition());
        pump(() -> source.durablePosition() == written + 8, 5_000, "the durable ack", this::cycle);

        final Path leaderPath = ChannelDescriptor.channelPath(tmp.resolve("leader"), CHANNEL_ID);
        final ChannelDigest.Result leader = ChannelDigest.digest(leaderPath, -1);
        final ChannelDigest.Result mirror = ChannelDigest.digest(sink.mirrorPath(), -1);
        assertEquals(written, leader.position());
        assertEquals(leader.position(), mirror.position());
        assertEquals(leader.digest(), mirror.digest());
    }
}
