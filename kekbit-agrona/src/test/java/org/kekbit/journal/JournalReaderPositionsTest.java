package org.kekbit.journal;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ProcessLiveness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slot's owner is judged by the channel's liveness rule: where its process can be seen, the process decides;
 * elsewhere its heartbeat does.
 */
class JournalReaderPositionsTest
{
    private static final long TIMEOUT_MS = 60_000;
    private static final long NOW_MS = 1_000_000_000L;
    private static final long OTHER_NAMESPACE = 0x0123_4567_89AB_CDEFL;

    @TempDir
    Path folder;

    @Test
    void shouldRefuseClaimWhenUnseenOwnerHasFreshHeartbeatAndAllowItWhenStale() throws IOException
    {
        try (JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            final int slot = positions.bind("remote", true);
            setOwner(slot, 4242, 1, OTHER_NAMESPACE, NOW_MS - TIMEOUT_MS);
            assertFalse(positions.claim(slot, NOW_MS, TIMEOUT_MS), "heartbeat exactly timeoutMs old is alive");

            setOwner(slot, 4242, 1, OTHER_NAMESPACE, NOW_MS - TIMEOUT_MS - 1);
            assertTrue(positions.claim(slot, NOW_MS, TIMEOUT_MS));
            positions.release(slot);
        }
    }

    @Test
    void shouldAllowClaimWhenVisibleOwnerExitedWhateverItsHeartbeat() throws Exception
    {
        final Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        try (JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            final int slot = positions.bind("local", true);
            setOwner(slot, exited.pid(), 0, ProcessLiveness.currentNamespaceId(), NOW_MS);
            assertTrue(positions.claim(slot, NOW_MS, TIMEOUT_MS), "the process decides where it can be seen");
            positions.release(slot);

            final Process running = new ProcessBuilder("sleep", "30").start();
            try
            {
                setOwner(slot, running.pid(), 0, ProcessLiveness.currentNamespaceId(), 0);
                assertFalse(positions.claim(slot, NOW_MS, TIMEOUT_MS), "alive however stale its heartbeat");
            }
            finally
            {
                running.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void shouldKeepNameAndPositionWhenSlotIsReleased()
    {
        try (JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            final int slot = positions.bind("kept", false);
            assertEquals(JournalDescriptor.NULL_POSITION, positions.position(slot));
            assertTrue(positions.claim(slot, NOW_MS, TIMEOUT_MS));
            positions.commit(slot, 4096, NOW_MS);
            positions.release(slot);
            assertEquals(slot, positions.bind("kept", true));
            assertEquals(4096, positions.position(slot));
            assertEquals(NOW_MS, positions.commitTimeMs(slot));
            assertEquals(JournalDescriptor.NULL_POSITION, positions.slowestProtectingPosition(),
                "bound without protection, and the flag is fixed when first bound");
            assertTrue(positions.bind("other", true) != slot);
        }
    }

    private void setOwner(
        final int slot, final long pid, final long startTicks, final long namespaceId, final long heartbeatTimeMs)
        throws IOException
    {
        try (FileChannel channel = FileChannel.open(folder.resolve(JournalDescriptor.POSITIONS_FILE_NAME),
            StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer mapped =
                channel.map(FileChannel.MapMode.READ_WRITE, 0, JournalDescriptor.positionsFileLength());
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final int offset = JournalDescriptor.slotOffset(slot);
            buffer.putLong(offset + JournalDescriptor.SLOT_OWNER_PID_OFFSET, pid, ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + JournalDescriptor.SLOT_OWNER_START_TICKS_OFFSET, startTicks,
                ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + JournalDescriptor.SLOT_OWNER_NAMESPACE_ID_OFFSET, namespaceId,
                ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(offset + JournalDescriptor.SLOT_HEARTBEAT_TIME_OFFSET, heartbeatTimeMs,
                ByteOrder.LITTLE_ENDIAN);
            IoUtil.unmap(mapped);
        }
    }
}
