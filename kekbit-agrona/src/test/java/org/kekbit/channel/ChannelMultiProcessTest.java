package org.kekbit.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Channels shared between JVMs: readers following writers in other processes, writers killed with SIGKILL, racing
 * creators and corrupt files read with Agrona's bounds checks off. The other processes run {@link ChildMain}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelMultiProcessTest
{
    /**
     * Long enough that a reader seeing a writer gone within the test can only have seen its process die.
     */
    private static final long WRITER_TIMEOUT_MS = 60_000;
    private static final long AWAIT_MS = 30_000;
    private static final int PAGE_SIZE = 4096;

    @TempDir
    Path root;

    private final List<ChildProcess> children = new ArrayList<>();
    private int lossesAtLink;

    @AfterEach
    void killChildren()
    {
        children.forEach(ChildProcess::close);
    }

    @Test
    void shouldDeliverEveryRecordInOrderToReaderInAnotherProcessWhileWriterWrites() throws Exception
    {
        final int records = 200_000;
        final ChannelWriter.Context ctx = new ChannelWriter.Context()
            .root(root).channelId(1).capacity(32 * 1024 * 1024).timeoutMs(WRITER_TIMEOUT_MS).conclude();
        // Started first, the reader waits for the channel to appear, then follows it while it is written.
        final ChildProcess reader = start("reader", ChildMain.READER, ctx.path().toString(), String.valueOf(AWAIT_MS));

        final long position;
        try (ChannelWriter writer = ChannelWriter.create(ctx))
        {
            reader.awaitLine("OPENED");
            final CheckedRecord record = new CheckedRecord();
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CheckedRecord.MAX_LENGTH));
            for (long sequence = 0; sequence < records; sequence++)
            {
                final int length = record.encode(buffer, 0, sequence);
                final long result = writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length);
                if (result < 0)
                {
                    fail("write failed: result=" + result + ", sequence=" + sequence);
                }
                writer.doWork();
            }
            position = writer.position();
        }

        final Map<String, String> result = reader.awaitValues("RESULT");
        assertEquals("true", result.get("ok"), reader::transcript);
        assertEquals(String.valueOf(records), result.get("records"), reader::transcript);
        assertEquals(String.valueOf(records - 1), result.get("lastSeq"), reader::transcript);
        assertEquals(ChannelState.CLOSED.name(), result.get("state"), reader::transcript);
        assertEquals(String.valueOf(position), result.get("position"), reader::transcript);
        assertEquals(0, reader.awaitExit(), reader::transcript);
    }

    @Test
    void shouldReportAbandonedBeforeTimeoutWithEveryCommittedRecordWhenWriterProcessIsKilled() throws Exception
    {
        final int records = 5_000;
        final ChildProcess writer = start("writer", ChildMain.WRITER, root.toString(), "2", String.valueOf(1 << 20),
            String.valueOf(WRITER_TIMEOUT_MS), String.valueOf(records), "0", ChildMain.THEN_HANG);
        final Path path = readyPath(writer);
        final long position = Long.parseLong(writer.awaitValues("WRITTEN").get("position"));
        writer.awaitLine("CLAIMED sequence=" + records);

        try (ChannelReader reader = ChannelReader.open(path);
            ChannelReader timeoutOnlyReader = ChannelReader.open(
                new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            drain(reader, verifier);
            assertEquals(records, verifier.records());
            assertNull(verifier.error());
            assertEquals(position, reader.position());
            assertEquals(ChannelState.OPEN, reader.state(), "writer process alive");
            assertEquals(ChannelState.OPEN, timeoutOnlyReader.state(), "writer process alive");

            writer.kill();
            final long killedNs = System.nanoTime();
            final ChannelState state = awaitEnd(reader, verifier);
            final long detectionMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);

            assertEquals(ChannelState.ABANDONED, state);
            assertTrue(detectionMs < WRITER_TIMEOUT_MS / 10, "detected after " + detectionMs + " ms");
            assertEquals(records, verifier.records(), "the claimed, uncommitted record must not be delivered");
            assertNull(verifier.error());
            assertEquals(position, reader.position());

            // The heartbeat is still fresh: only the process check can have told the writer is gone.
            drain(timeoutOnlyReader, new CheckedRecord.Verifier());
            assertEquals(ChannelState.OPEN, timeoutOnlyReader.state());
        }

        // The claim did leave its payload in the file; its header, stored only at commit, is missing.
        final ByteBuffer claimed = readAt(path, ChannelDescriptor.HEADER_LENGTH + position,
            RecordDescriptor.HEADER_LENGTH + Long.BYTES);
        assertEquals(0, claimed.getInt(RecordDescriptor.FRAME_LENGTH_OFFSET));
        assertEquals(0, claimed.getInt(RecordDescriptor.MSG_TYPE_ID_OFFSET));
        assertEquals(records, claimed.getLong(RecordDescriptor.HEADER_LENGTH + CheckedRecord.SEQUENCE_OFFSET));
    }

    @Test
    void shouldReportAbandonedPromptlyWhenKilledWriterProcessIsNeverReaped() throws Exception
    {
        final long timeoutMs = 2_000;
        final int records = 1_000;
        final ChildProcess writer = startUnreaped("unreaped-writer", ChildMain.WRITER, root.toString(), "5",
            String.valueOf(1 << 20), String.valueOf(timeoutMs), String.valueOf(records), "0", ChildMain.THEN_HANG);
        final Path path = readyPath(writer);
        writer.awaitLine("CLAIMED sequence=" + records);

        try (ChannelReader reader = ChannelReader.open(path);
            ChannelReader timeoutOnlyReader = ChannelReader.open(
                new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            final long writerPid = reader.header().writerPid();
            assertEquals(Optional.of(writer.pid()),
                ProcessHandle.of(writerPid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid),
                "the writer's parent is the shell that never waits for it");

            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            drain(reader, verifier);
            drain(timeoutOnlyReader, new CheckedRecord.Verifier());
            assertEquals(records, verifier.records());

            // The heartbeat crosses processes: a live writer stays OPEN to a reader for longer than the timeout.
            final long observeUntilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs + timeoutMs / 2);
            while (System.nanoTime() < observeUntilNs)
            {
                assertEquals(ChannelState.OPEN, timeoutOnlyReader.state(), writer::transcript);
                assertEquals(ChannelState.OPEN, reader.state(), writer::transcript);
                Thread.sleep(10);
            }

            // Killed, the writer stays a zombie, which ProcessHandle counts as alive: the process state in /proc
            // tells, well before the heartbeat times out; a reader that does not check the process waits for that.
            ProcessHandle.of(writerPid).ifPresent(ProcessHandle::destroyForcibly);
            final long killedNs = System.nanoTime();
            assertEquals(ChannelState.ABANDONED, awaitEnd(reader, verifier));
            final long detectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
            assertTrue(detectedMs < timeoutMs / 2, "zombie writer detected after " + detectedMs + " ms");
            assertEquals(ChannelState.ABANDONED, awaitEnd(timeoutOnlyReader, new CheckedRecord.Verifier()));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs) >= timeoutMs / 2,
                "the timeout-only reader waited for the heartbeat to go stale");
            assertEquals(records, verifier.records());
            assertNull(verifier.error());
        }
    }

    @Test
    void shouldEndChildReaderAbandonedWithEveryCommittedRecordWhenWriterProcessIsKilledWhileWriting()
        throws Exception
    {
        final long killAfterRecords = 20_000;
        final ChildProcess writer = start("writer", ChildMain.WRITER, root.toString(), "3",
            String.valueOf(32 << 20), String.valueOf(WRITER_TIMEOUT_MS), "-1", "100", ChildMain.THEN_HANG);
        final Path path = readyPath(writer);
        final ChildProcess reader = start("reader", ChildMain.READER, path.toString(), String.valueOf(AWAIT_MS));
        reader.awaitLine("OPENED");

        try (ChannelReader monitor = ChannelReader.open(path))
        {
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
            while (verifier.records() < killAfterRecords)
            {
                if (0 == monitor.poll(verifier, 1000))
                {
                    assertEquals(ChannelState.OPEN, monitor.state(), writer::transcript);
                    assertTrue(System.nanoTime() < deadlineNs, writer::transcript);
                    Thread.onSpinWait();
                }
            }
            writer.kill();

            final Map<String, String> result = reader.awaitValues("RESULT");
            assertEquals(ChannelState.ABANDONED, awaitEnd(monitor, verifier));
            assertNull(verifier.error());

            final CheckedRecord.Verifier freshVerifier = new CheckedRecord.Verifier();
            try (ChannelReader fresh = ChannelReader.open(path))
            {
                assertEquals(ChannelState.ABANDONED, awaitEnd(fresh, freshVerifier));
                assertNull(freshVerifier.error());
                final long committed = freshVerifier.records();
                assertTrue(committed >= killAfterRecords, "committed=" + committed);
                assertEquals(committed, verifier.records());
                assertEquals(fresh.position(), monitor.position());

                assertEquals("true", result.get("ok"), reader::transcript);
                assertEquals(ChannelState.ABANDONED.name(), result.get("state"), reader::transcript);
                assertEquals(String.valueOf(committed), result.get("records"), reader::transcript);
                assertEquals(String.valueOf(committed - 1), result.get("lastSeq"), reader::transcript);
                assertEquals(String.valueOf(fresh.position()), result.get("position"), reader::transcript);
            }
        }
        assertEquals(0, reader.awaitExit(), reader::transcript);
    }

    @Test
    void shouldLetExactlyOneProcessCreateChannelWhenProcessesRace() throws Exception
    {
        final int processes = 4;
        final int rounds = 5;
        final long channelId = 100;
        final Path channelRoot = root.resolve("channels");
        for (int i = 0; i < processes; i++)
        {
            start("creator-" + i, ChildMain.CREATE, channelRoot.toString(), String.valueOf(channelId),
                String.valueOf(rounds));
        }

        for (int round = 0; round < rounds; round++)
        {
            final ChildProcess winner = race(round);
            final Path path = ChannelDescriptor.channelPath(channelRoot, channelId + round);
            try (ChannelReader reader = ChannelReader.open(path))
            {
                assertEquals(channelId + round, reader.channelId());
                assertEquals(winner.pid(), reader.header().writerPid(), "the file is the winner's");
                final CheckedRecord record = new CheckedRecord();
                final long winnerPid = winner.pid();
                final String[] error = new String[1];
                assertEquals(1, reader.poll(
                    (msgTypeId, buffer, offset, length) -> error[0] = record.verify(buffer, offset, length, winnerPid),
                    10));
                assertNull(error[0]);
                assertEquals(ChannelState.CLOSED, reader.state());
            }
            try (Stream<Path> files = Files.list(path.getParent()))
            {
                final List<String> names = files.map((file) -> file.getFileName().toString()).toList();
                assertEquals(round + 1, names.size(), names::toString);
                assertTrue(names.stream().allMatch((name) -> name.endsWith(ChannelDescriptor.FILE_SUFFIX)),
                    () -> "leftover temp files: " + names);
            }
        }

        for (final ChildProcess child : children)
        {
            assertEquals(0, child.awaitExit(), child::transcript);
        }
        // Losing at the existence check proves nothing about the race; nearly every loss is at the link.
        assertTrue(lossesAtLink > 0, () -> "no creator lost at the exclusive link\n" + transcripts());
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void shouldReportCorruptInChildWithoutBoundsChecksWhenRecordHeaderIsCorrupt(final Corruption corruption)
        throws Exception
    {
        final int records = 300;
        final int corruptRecord = 200;
        // The file is exactly 16 pages, so a frame running past the data region would leave the mapping.
        final int capacity = 16 * PAGE_SIZE - ChannelDescriptor.HEADER_LENGTH - ChannelDescriptor.TRAILER_LENGTH;
        final long[] positions = new long[records + 1];
        final Path path;
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root).channelId(4).capacity(capacity).timeoutMs(WRITER_TIMEOUT_MS)))
        {
            path = writer.path();
            final CheckedRecord record = new CheckedRecord();
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CheckedRecord.MAX_LENGTH));
            for (int i = 0; i < records; i++)
            {
                final int length = record.encode(buffer, 0, i);
                positions[i + 1] = writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length);
                assertTrue(positions[i + 1] > 0);
            }
            assertEquals(capacity - RecordDescriptor.HEADER_LENGTH, writer.maxRecordLength());
        }

        final long position = positions[corruptRecord];
        assertTrue(position > PAGE_SIZE + RecordDescriptor.HEADER_LENGTH, "position=" + position);
        corruption.apply(path, ChannelDescriptor.HEADER_LENGTH + position, capacity);

        final ChildProcess reader = start("reader", List.of("-Dagrona.disable.bounds.checks=true"),
            ChildMain.READER, path.toString(), String.valueOf(AWAIT_MS));
        reader.awaitLine("BOUNDS_CHECKS false");
        final Map<String, String> result = reader.awaitValues("RESULT");
        assertEquals(0, reader.awaitExit(), reader::transcript);
        assertEquals(ChannelState.CORRUPT.name(), result.get("state"), reader::transcript);
        assertEquals(String.valueOf(position), result.get("position"), reader::transcript);
        assertEquals(String.valueOf(corruptRecord), result.get("records"), reader::transcript);
        assertEquals("true", result.get("ok"), reader::transcript);
        assertTrue(reader.transcript().contains("CORRUPTION bad record header at position=" + position + ":"),
            reader::transcript);
    }

    /**
     * Record headers no writer writes, patched into a closed channel's file.
     */
    enum Corruption
    {
        HUGE_FRAME_LENGTH
        {
            void apply(final Path path, final long recordOffset, final int capacity) throws IOException
            {
                writeIntAt(path, recordOffset + RecordDescriptor.FRAME_LENGTH_OFFSET, 0x7fff_fff0);
            }
        },

        FRAME_PAST_CAPACITY
        {
            void apply(final Path path, final long recordOffset, final int capacity) throws IOException
            {
                // A payload of exactly the maximum record length, so only the capacity check can catch it.
                writeIntAt(path, recordOffset + RecordDescriptor.FRAME_LENGTH_OFFSET, capacity);
            }
        },

        NEGATIVE_FRAME_LENGTH
        {
            void apply(final Path path, final long recordOffset, final int capacity) throws IOException
            {
                writeIntAt(path, recordOffset + RecordDescriptor.FRAME_LENGTH_OFFSET, -64);
            }
        },

        UNKNOWN_NEGATIVE_MSG_TYPE_ID
        {
            void apply(final Path path, final long recordOffset, final int capacity) throws IOException
            {
                writeIntAt(path, recordOffset + RecordDescriptor.MSG_TYPE_ID_OFFSET, -7);
            }
        };

        abstract void apply(Path path, long recordOffset, int capacity) throws IOException;
    }

    /**
     * Release every child into one round of the race once all are ready, and check exactly one won.
     *
     * @return the winner.
     */
    private ChildProcess race(final int round) throws Exception
    {
        for (final ChildProcess child : children)
        {
            child.awaitLine("READY " + round);
        }
        for (final ChildProcess child : children)
        {
            child.send("GO " + round);
        }

        final String won = "WON " + round;
        final String lost = "LOST " + round + " ";
        ChildProcess winner = null;
        for (final ChildProcess child : children)
        {
            final String line = child.awaitLine(
                (candidate) -> candidate.equals(won) || candidate.startsWith(lost), won + " or " + lost, AWAIT_MS);
            if (line.equals(won))
            {
                if (null != winner)
                {
                    fail("two winners in round " + round + "\n" + transcripts());
                }
                winner = child;
            }
            else
            {
                assertTrue(line.startsWith(lost + ChannelException.Reason.ALREADY_EXISTS + " "), line);
                lossesAtLink += line.contains(" at=link ") ? 1 : 0;
            }
        }
        if (null == winner)
        {
            fail("no winner in round " + round + "\n" + transcripts());
        }

        return winner;
    }

    private ChildProcess start(final String name, final String... args)
    {
        return start(name, List.of(), args);
    }

    private ChildProcess start(final String name, final List<String> jvmArgs, final String... args)
    {
        final ChildProcess child = ChildProcess.start(name, jvmArgs, args);
        children.add(child);
        return child;
    }

    private ChildProcess startUnreaped(final String name, final String... args)
    {
        final ChildProcess child = ChildProcess.startUnreaped(name, args);
        children.add(child);
        return child;
    }

    private String transcripts()
    {
        final StringBuilder builder = new StringBuilder();
        children.forEach((child) -> builder.append(child.transcript()));
        return builder.toString();
    }

    private static Path readyPath(final ChildProcess writer) throws InterruptedException
    {
        return Path.of(writer.awaitLine("READY ").substring("READY ".length()));
    }

    /**
     * Poll until nothing more is committed.
     */
    private static void drain(final ChannelReader reader, final CheckedRecord.Verifier verifier)
    {
        while (reader.poll(verifier, 1000) > 0)
        {
            Thread.onSpinWait();
        }
    }

    /**
     * Poll until the channel ends, which must happen well before the writer's timeout.
     */
    private static ChannelState awaitEnd(final ChannelReader reader, final CheckedRecord.Verifier verifier)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WRITER_TIMEOUT_MS / 10);
        ChannelState state;
        while (!(state = reader.state()).isEndOrAbandoned())
        {
            if (0 == reader.poll(verifier, 1000))
            {
                assertTrue(System.nanoTime() < deadlineNs, "channel did not end: state=" + state);
                Thread.sleep(1);
            }
        }
        drain(reader, verifier);
        return state;
    }

    private static ByteBuffer readAt(final Path path, final long offset, final int length) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            while (bytes.hasRemaining())
            {
                if (channel.read(bytes, offset + bytes.position()) < 0)
                {
                    fail("file ends before offset=" + (offset + bytes.position()));
                }
            }
        }
        return bytes.flip();
    }

    private static void writeIntAt(final Path path, final long offset, final int value) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putInt(0, value);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE))
        {
            while (bytes.hasRemaining())
            {
                channel.write(bytes, offset + bytes.position());
            }
        }
    }
}
