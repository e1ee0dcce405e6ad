package org.kekbit.replication;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalDigest;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalSeal;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
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
    static final int MAX_CHUNK_LENGTH = 4096;
    static final int LONG_RECORD_LENGTH = 3 * MAX_CHUNK_LENGTH + 1000;

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
        assertFalse(Files.exists(tmp.resolve("aeron")), "aeron.dir deleted");
    }

    @Test
    void shouldMirrorJournalByteIdenticalThroughManyRollsWhenTheNetworkLosesFrames()
    {
        start(0.1);
        startSink();
        writeLive(3000);
        assertTrue(writer.rolls() > 40, "rolls=" + writer.rolls());
        closeWriterAndAwaitEnd();
        assertTrue(driver.naksSent() > 0, "frames were lost and repaired");

        final CountersReader counters = driver.aeron().countersReader();
        final long journalId = ReplicatedPosition.journalId(tmp.resolve("leader"));
        assertEquals(source.channelId(), journalId);
        assertEquals(writer.position() + 8, ReplicatedPosition.durable(counters, journalId).get(),
            "awaitReplicated works with journal positions");
        assertEquals(journalId, sink.counterKey(), "the sink's counters carry the journal's id");
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

        startSink();
        pump(() -> sink.receivedPosition() == written, 20_000, "catch-up to " + written, this::cycle);
        pump(() -> source.receivedPosition() == written, 5_000, "the leader learning it from the acks", this::cycle);
        writeLive(1000);
        closeWriterAndAwaitEnd();
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
            JournalDescriptor.segmentPath(tmp.resolve("leader"), segmentBase).toFile(), "rw"))
        {
            file.seek(ChannelDescriptor.HEADER_LENGTH + JournalDescriptor.segmentOffset(badRecord, SEGMENT_CAPACITY));
            file.write(new byte[] { (byte)0xF0, (byte)0xFF, (byte)0xFF, 0x7F });
        }

        startSink();
        pump(sink::isFailed, 20_000, "the reject", this::cycle);
        assertTrue(sink.failure().contains("SOURCE_CORRUPT"), sink.failure());
        assertFalse(sink.failure().contains("\n"), "one line");
        assertTrue(null != source.lastError() && source.lastError().contains("CORRUPT"), source.lastError());
        assertEquals(badRecord, sink.receivedPosition(), "the mirror holds everything before the bad record");
    }

    @Test
    void shouldRejectTheFollowerWhenTheLeadersChannelIsCorrupt() throws IOException
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron"), 0, 0);
        final long end;
        final Path path;
        try (ChannelWriter channel = ChannelWriter.create(new ChannelWriter.Context()
            .root(tmp.resolve("leader")).channelId(0x4242).capacity(1024 * 1024).preTouch(false)))
        {
            for (int i = 0; i < 10; i++)
            {
                ReplicationTestSupport.write(channel, scratch, i, 100);
            }
            end = channel.position();
            ReplicationTestSupport.write(channel, scratch, 10, 100);
            path = channel.path();
        }
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            file.seek(ChannelDescriptor.HEADER_LENGTH + end);
            file.write(new byte[] { (byte)0xF0, (byte)0xFF, (byte)0xFF, 0x7F });
        }
        source = new ReplicationSource(new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(path));
        startSink();
        pump(sink::isFailed, 20_000, "the reject", source::doWork, sink::doWork);
        assertTrue(sink.failure().contains("SOURCE_CORRUPT"), sink.failure());
        assertEquals(end, sink.receivedPosition());
        assertEquals(0x4242, sink.counterKey(), "the sink's counters carry the channel's id");
    }

    private void start(final double lossRate)
    {
        driver = EmbeddedMediaDriver.launch(tmp.resolve("aeron"), lossRate, 42);
        writer = JournalWriter.create(journalContext(tmp.resolve("leader")).sequenceOffset(0));
        source = new ReplicationSource(new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(tmp.resolve("leader"))
            .termLength(1024 * 1024)
            .maxChunkLength(MAX_CHUNK_LENGTH));
        assertTrue(source.isJournal());
    }

    static JournalWriter.Context journalContext(final Path folder)
    {
        return new JournalWriter.Context()
            .folder(folder)
            .segmentCapacity(SEGMENT_CAPACITY)
            .maxRecordLength(16 * 1024)
            .preTouch(false);
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

    private long write()
    {
        final long result = write(writer, scratch, seq);
        seq++;
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
        int work = source.doWork() + (null == sink ? 0 : sink.doWork()) + (writer.isClosed() ? 0 : writer.doWork());
        if (null == mirrorReader && null != sink && sink.isJournal())
        {
            mirrorReader = JournalReader.open(new JournalReader.Context().folder(sink.mirrorPath()));
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
        pump(() -> seq == end, 60_000, "live writes", () ->
        {
            for (int i = 0; i < 10 && seq < end; i++)
            {
                write();
            }
            return 1 + cycle();
        });
    }

    private void closeWriterAndAwaitEnd()
    {
        final long written = writer.position();
        writer.close();
        pump(() -> sink.isEnded() && checker.nextSeq == seq, 30_000, "the CLOSED marker on the mirror", this::cycle);
        assertEquals(JournalState.CLOSED, mirrorReader.state());
        assertEquals(written + 8, sink.receivedPosition());
        pump(() -> source.durablePosition() == written + 8, 5_000, "the durable ack", this::cycle);
        assertJournalsIdentical(tmp.resolve("leader"), sink.mirrorPath());
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
     * Same segment names, each byte-identical but the process fields of its header; equal seals.
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
