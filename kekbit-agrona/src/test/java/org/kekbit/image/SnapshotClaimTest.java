package org.kekbit.image;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshot records claimed and encoded in place ({@link SnapshotWriter#tryClaim(int, int, SnapshotClaim)}) are the
 * records {@link SnapshotWriter#write} copies: same bytes, same counts, same checksum in the END marker.
 */
class SnapshotClaimTest
{
    private static final long POSITION = 4096;
    private static final long TIME_MS = 1_700_000_000_000L;

    @TempDir
    Path folder;

    @Test
    void shouldWriteSameFileWhenClaimingAsWhenWriting()
    {
        final Path written = folder.resolve("written");
        final Path claimed = folder.resolve("claimed");
        final UnsafeBuffer record = new UnsafeBuffer(new byte[1000]);

        final SnapshotWriter writer = new SnapshotWriter();
        ChannelWriter channel = create(written, 64 * 1024);
        assertTrue(writer.begin(channel, POSITION, TIME_MS));
        for (int i = 0; i < 20; i++)
        {
            fill(record, 0, 8 + 40 * i, i);
            assertTrue(writer.write(i % 3, record, 0, 8 + 40 * i));
        }
        assertTrue(writer.finishState());
        assertTrue(writer.end());
        channel.close();

        final SnapshotClaim claim = new SnapshotClaim();
        channel = create(claimed, 64 * 1024);
        assertTrue(writer.begin(channel, POSITION, TIME_MS));
        for (int i = 0; i < 20; i++)
        {
            if (1 == i % 4)
            {
                assertTrue(writer.tryClaim(7, 512, claim)); // given back: neither in the file nor counted
                claim.buffer().setMemory(0, 512, (byte)0x5A);
                claim.abort();
                assertFalse(claim.isOutstanding());
            }
            final int length = 8 + 40 * i;
            assertTrue(writer.tryClaim(i % 3, 0 == i % 2 ? length : length + 100, claim));
            assertTrue(claim.isOutstanding());
            fill(claim.buffer(), claim.offset(), length, i);
            if (0 == i % 2)
            {
                claim.commit();
            }
            else
            {
                claim.commit(length); // claimed the most, committed what was used
            }
            assertFalse(claim.isOutstanding());
        }
        assertEquals(20, writer.recordCount());
        assertTrue(writer.finishState());
        assertTrue(writer.end());
        channel.close();

        final List<byte[]> expected = records(written);
        final List<byte[]> actual = records(claimed);
        assertEquals(22, expected.size(), "BEGIN, 20 records, END");
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++)
        {
            assertArrayEquals(expected.get(i), actual.get(i), "record " + i + ", the last being END with the checksum");
        }
        final SnapshotFile verified = ImageFolder.verify(claimed, POSITION, false);
        assertEquals(SnapshotFile.Status.COMPLETE, verified.status(), verified.problem());
        assertEquals(20, verified.recordCount());
    }

    @Test
    void shouldFindDamageInClaimedRecord() throws IOException
    {
        final Path file = folder.resolve("damaged");
        final SnapshotWriter writer = new SnapshotWriter();
        final SnapshotClaim claim = new SnapshotClaim();
        final ChannelWriter channel = create(file, 64 * 1024);
        assertTrue(writer.begin(channel, POSITION, TIME_MS));
        assertTrue(writer.tryClaim(1, 64, claim));
        fill(claim.buffer(), claim.offset(), 64, 1);
        final long payloadOffsetInFile = claim.recordClaim.byteBuffer().position();
        claim.commit();
        assertTrue(writer.finishState());
        assertTrue(writer.end());
        channel.close();
        assertEquals(SnapshotFile.Status.COMPLETE, ImageFolder.verify(file, POSITION, false).status());

        try (FileChannel fileChannel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            fileChannel.write(ByteBuffer.wrap(new byte[]{(byte)0xFF}), payloadOffsetInFile + 10);
        }
        final SnapshotFile verified = ImageFolder.verify(file, POSITION, false);
        assertEquals(SnapshotFile.Status.DAMAGED, verified.status());
        assertTrue(verified.problem().startsWith("checksum mismatch"), verified.problem());
    }

    @Test
    void shouldRefuseClaimThatLeavesNoRoomForEndMarkerAndStayFull()
    {
        final SnapshotWriter writer = new SnapshotWriter();
        final SnapshotClaim claim = new SnapshotClaim();
        final ChannelWriter channel = create(folder.resolve("full"), 4096);
        assertTrue(writer.begin(channel, POSITION, TIME_MS));
        assertFalse(writer.tryClaim(1, 4096, claim));
        assertFalse(claim.isOutstanding());
        assertFalse(writer.tryClaim(1, 8, claim), "full from then on: the state is written again");
        assertFalse(writer.write(1, new UnsafeBuffer(new byte[8]), 0, 8));
        assertFalse(writer.finishState());
        assertFalse(writer.end());
        channel.close();
    }

    @Test
    void shouldRefuseMisuseWithOneLineErrors()
    {
        final SnapshotWriter writer = new SnapshotWriter();
        final SnapshotClaim claim = new SnapshotClaim();
        final ChannelWriter channel = create(folder.resolve("misuse"), 64 * 1024);
        assertTrue(writer.begin(channel, POSITION, TIME_MS));
        assertThrows(IllegalArgumentException.class,
            () -> writer.tryClaim(ImageDescriptor.RESERVED_MSG_TYPE_ID_FROM, 8, claim));
        assertThrows(IllegalArgumentException.class, () -> writer.tryClaim(-1, 8, claim));
        assertThrows(IllegalArgumentException.class, () -> writer.tryClaim(1, -8, claim));
        assertThrows(IllegalStateException.class, claim::commit, "never claimed");

        assertTrue(writer.tryClaim(1, 16, claim));
        assertThrows(IllegalStateException.class, () -> writer.tryClaim(1, 8, new SnapshotClaim()));
        assertThrows(IllegalStateException.class, () -> writer.write(1, new UnsafeBuffer(new byte[8]), 0, 8));
        assertThrows(IllegalArgumentException.class, () -> claim.commit(17));
        assertThrows(IllegalArgumentException.class, () -> claim.commit(-1));
        final IllegalStateException returned = assertThrows(IllegalStateException.class, writer::finishState);
        assertTrue(returned.getMessage().startsWith("writeSnapshot returned with a snapshot claim outstanding"));

        claim.commit(16);
        assertThrows(IllegalStateException.class, claim::commit, "committed already");
        assertThrows(IllegalStateException.class, claim::abort);
        assertTrue(writer.finishState());
        assertTrue(writer.end());
        channel.close();
        assertEquals(1, ImageFolder.verify(folder.resolve("misuse"), POSITION, false).recordCount());
    }

    @Test
    void shouldAllocateNothingWhenClaimingAndCommittingAfterFirstClaimOfSnapshot()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SnapshotWriter writer = new SnapshotWriter();
        final SnapshotClaim claim = new SnapshotClaim();
        final ChannelWriter channel = create(folder.resolve("allocation"), 16 * 1024 * 1024);
        assertTrue(writer.begin(channel, POSITION, TIME_MS));
        claimAndCommit(writer, claim, 1000); // the first makes the claim's view of this file, and the JIT warms up
        long leastAllocated = Long.MAX_VALUE;
        for (int run = 0; run < 5 && leastAllocated > 0; run++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            claimAndCommit(writer, claim, 1000);
            leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0, leastAllocated, "bytes allocated over 1000 claims and commits");
        assertTrue(writer.finishState());
        assertTrue(writer.end());
        channel.close();
    }

    @Test
    @Timeout(60)
    void shouldRecoverStateWhoseSnapshotsAreClaimedWrittenAgainIntoLargerFile()
    {
        final UnsafeBuffer command = new UnsafeBuffer(new byte[8]);
        final long digest;
        try (SystemImage image = SystemImage.launch(claimingImage()))
        {
            for (int i = 0; i < 5000; i++)
            {
                command.putLong(0, 31L * i + 7);
                assertTrue(image.submit(1, command, 0, 8) > 0);
            }
            image.requestSnapshot();
            image.doWork();
            assertEquals(0, image.snapshotFailureCount(), () -> String.valueOf(image.lastSnapshotFailure()));
            assertEquals(image.position(), image.snapshotPosition());
            digest = image.stateMachine().stateDigest();
        }
        final List<SnapshotFile> snapshots = ImageFolder.snapshots(folder.resolve("image"));
        assertEquals(1, snapshots.size());
        assertEquals(SnapshotFile.Status.COMPLETE, snapshots.get(0).status(), snapshots.get(0).problem());
        assertTrue(snapshots.get(0).fileLength() > 5000 * 8, "written again into a larger file");

        try (SystemImage image = SystemImage.launch(claimingImage()))
        {
            assertEquals(snapshots.get(0).position(), image.recoveredSnapshotPosition());
            assertEquals(0, image.replayedRecords());
            assertEquals(digest, image.stateMachine().stateDigest());
        }
    }

    @Test
    void shouldFailSnapshotOfStateMachineThatLeavesClaimOutstanding()
    {
        final UnsafeBuffer command = new UnsafeBuffer(new byte[8]);
        try (SystemImage image = SystemImage.launch(claimingImage().stateMachineSupplier(() ->
        {
            final ClaimingStateMachine stateMachine = new ClaimingStateMachine();
            stateMachine.leavesClaimOutstanding = true;
            return stateMachine;
        })))
        {
            assertTrue(image.submit(1, command, 0, 8) > 0);
            image.requestSnapshot();
            final IllegalStateException ex = assertThrows(IllegalStateException.class, image::doWork);
            assertTrue(ex.getMessage().startsWith("writeSnapshot returned with a snapshot claim outstanding"),
                ex.getMessage());
        }
        for (final SnapshotFile snapshot : ImageFolder.snapshots(folder.resolve("image")))
        {
            assertTrue(SnapshotFile.Status.COMPLETE != snapshot.status(), "never complete: " + snapshot);
        }
    }

    private SystemImage.Context claimingImage()
    {
        return new SystemImage.Context()
            .imageFolder(folder.resolve("image"))
            .stateMachineSupplier(ClaimingStateMachine::new)
            .snapshotMode(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)
            .snapshotInitialCapacity(4096) // far smaller than the state
            .segmentCapacity(1024 * 1024)
            .preTouch(false)
            .forcePolicy(SystemImage.ForcePolicy.NONE);
    }

    private static void claimAndCommit(final SnapshotWriter writer, final SnapshotClaim claim, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (writer.tryClaim(1, 64, claim))
            {
                claim.buffer().putLong(claim.offset(), i);
                claim.commit(32);
            }
        }
    }

    private ChannelWriter create(final Path file, final long capacity)
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(TIME_MS);
        return ChannelWriter.create(new ChannelWriter.Context()
            .path(file)
            .channelId(POSITION)
            .capacity(capacity)
            .epochClock(clock)
            .preTouch(false));
    }

    private static void fill(final MutableDirectBuffer buffer, final int offset, final int length, final int seed)
    {
        for (int b = 0; b < length; b++)
        {
            buffer.putByte(offset + b, (byte)(seed * 31 + b));
        }
    }

    private static List<byte[]> records(final Path file)
    {
        final List<byte[]> records = new ArrayList<>();
        try (ChannelReader reader = ChannelReader.open(file))
        {
            while (reader.poll((final int msgTypeId, final DirectBuffer buffer, final int offset, final int length) ->
            {
                final byte[] record = new byte[4 + length];
                new UnsafeBuffer(record).putInt(0, msgTypeId);
                buffer.getBytes(offset, record, 4, length);
                records.add(record);
            }, 100) > 0)
            {
                // all of them
            }
        }
        return records;
    }

    /**
     * A state of longs, snapshotted through claims: records of up to 64 longs, each claimed for 64 and committed with
     * what it holds.
     */
    static final class ClaimingStateMachine implements StateMachine
    {
        private static final int LONGS_PER_RECORD = 64;
        private final SnapshotClaim claim = new SnapshotClaim();
        private final List<Long> values = new ArrayList<>();
        boolean leavesClaimOutstanding;

        public void apply(
            final long position, final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            values.add(buffer.getLong(offset));
        }

        public void writeSnapshot(final SnapshotWriter writer)
        {
            for (int from = 0; from < values.size(); from += LONGS_PER_RECORD)
            {
                if (!writer.tryClaim(1, LONGS_PER_RECORD * 8, claim))
                {
                    return;
                }
                final int count = Math.min(LONGS_PER_RECORD, values.size() - from);
                for (int i = 0; i < count; i++)
                {
                    claim.buffer().putLong(claim.offset() + 8 * i, values.get(from + i), ByteOrder.LITTLE_ENDIAN);
                }
                claim.commit(8 * count);
            }
            if (leavesClaimOutstanding && writer.tryClaim(2, 8, claim))
            {
                claim.buffer().putLong(claim.offset(), values.size()); // and forgets to commit it
            }
        }

        public void loadSnapshot(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            for (int at = offset; at < offset + length; at += 8)
            {
                values.add(buffer.getLong(at, ByteOrder.LITTLE_ENDIAN));
            }
        }

        public long stateDigest()
        {
            return values.hashCode() * 31L + values.size();
        }
    }
}
