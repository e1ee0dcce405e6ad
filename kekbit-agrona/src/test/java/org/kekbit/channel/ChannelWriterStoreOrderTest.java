package org.kekbit.channel;

import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.mockito.InOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * Store order is the protocol: pinned here on a mocked {@link AtomicBuffer}, as Agrona's
 * {@code OneToOneRingBufferTest} pins its ring buffer's. A record's payload (or the zeroing of what a claim gave
 * back) always precedes the one release store of its header; the hand-over of a resumed channel stamps the
 * heartbeat before the take-over mark, and stores the new writer's process before publishing its pid.
 */
class ChannelWriterStoreOrderTest
{
    private static final long OWN_PID = 4242;
    private static final int CAPACITY = 1024;
    private static final int MAX_RECORD_LENGTH = 256;
    private static final long TIMEOUT_MS = 1000;
    private static final int MSG_TYPE_ID = 7;
    private static final int PID_OFFSET = ChannelHeaderDecoder.writerPidEncodingOffset();
    private static final int FORMAT_VERSION_OFFSET = ChannelHeaderDecoder.formatVersionEncodingOffset();
    private static final int START_TICKS_OFFSET = ChannelHeaderDecoder.writerStartTicksEncodingOffset();
    private static final int NAMESPACE_OFFSET = ChannelHeaderDecoder.writerNamespaceIdEncodingOffset();
    private static final int HEARTBEAT_OFFSET = ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset();

    private final AtomicBuffer buffer = mock(AtomicBuffer.class);
    private final CachedEpochClock clock = new CachedEpochClock();
    private ChannelWriter writer;

    @BeforeEach
    void before()
    {
        when(buffer.getLong(PID_OFFSET)).thenReturn(OWN_PID);
        writer = new ChannelWriter(buffer, null, Path.of("mock.kekbit"), null, clock, 1, OWN_PID, CAPACITY,
            MAX_RECORD_LENGTH, RecordDescriptor.ALIGNMENT, TIMEOUT_MS, 0, 0);
    }

    @Test
    void shouldCopyPayloadThenReleaseHeaderWhenWriting()
    {
        final UnsafeBuffer src = new UnsafeBuffer(new byte[20]);
        final int recordOffset = ChannelDescriptor.HEADER_LENGTH;

        assertEquals(32, writer.write(MSG_TYPE_ID, src, 3, 17));

        final InOrder inOrder = inOrder(buffer);
        inOrder.verify(buffer).putBytes(recordOffset + RecordDescriptor.HEADER_LENGTH, src, 3, 17);
        inOrder.verify(buffer).putLongRelease(recordOffset, header(RecordDescriptor.HEADER_LENGTH + 17, MSG_TYPE_ID));
        inOrder.verifyNoMoreInteractions();
    }

    @Test
    void shouldZeroGivenBackTailThenReleaseHeaderWhenCommittingShorterThanClaimed()
    {
        final RecordClaim claim = new RecordClaim();
        final int recordOffset = ChannelDescriptor.HEADER_LENGTH;
        assertEquals(112, writer.tryClaim(MSG_TYPE_ID, 100, claim));

        assertEquals(24, claim.commit(10));

        final InOrder inOrder = inOrder(buffer);
        inOrder.verify(buffer).setMemory(recordOffset + 24, 112 - 24, (byte)0);
        inOrder.verify(buffer).putLongRelease(recordOffset, header(RecordDescriptor.HEADER_LENGTH + 10, MSG_TYPE_ID));
        verify(buffer, never()).putLong(anyInt(), anyLong());
        verify(buffer, never()).putInt(anyInt(), anyInt());
    }

    @Test
    void shouldOnlyZeroClaimAndNeverStoreHeaderWhenAborting()
    {
        final RecordClaim claim = new RecordClaim();
        writer.tryClaim(MSG_TYPE_ID, 100, claim);

        claim.abort();

        verify(buffer).setMemory(ChannelDescriptor.HEADER_LENGTH, 112, (byte)0);
        verify(buffer, never()).putLongRelease(eq(ChannelDescriptor.HEADER_LENGTH), anyLong());
        assertThrows(IllegalStateException.class, claim::abort, "a claim ends once");
    }

    @Test
    void shouldReleaseFullMarkerAloneWhenRecordDoesNotFit()
    {
        final UnsafeBuffer src = new UnsafeBuffer(new byte[MAX_RECORD_LENGTH]);
        for (int i = 0; i < 4; i++)
        {
            writer.write(MSG_TYPE_ID, src, 0, MAX_RECORD_LENGTH - 8); // 256 bytes each: 1024 exactly
        }

        assertEquals(ChannelWriter.CHANNEL_FULL, writer.write(MSG_TYPE_ID, src, 0, 0));

        verify(buffer).putLongRelease(
            ChannelDescriptor.HEADER_LENGTH + CAPACITY, header(RecordDescriptor.HEADER_LENGTH, -2));
        writer.close();
        verify(buffer, never()).putLongRelease(
            ChannelDescriptor.HEADER_LENGTH + CAPACITY, header(RecordDescriptor.HEADER_LENGTH, -1));
        assertEquals(true, writer.isFull(), "still FULL after close");
    }

    @Test
    void shouldStoreNothingMoreWhenAnotherWriterTookChannelOver()
    {
        final UnsafeBuffer src = new UnsafeBuffer(new byte[8]);
        when(buffer.getLong(PID_OFFSET)).thenReturn(-99L);

        assertEquals(ChannelWriter.CHANNEL_TAKEN_OVER, writer.write(MSG_TYPE_ID, src, 0, 8));
        writer.close();

        verify(buffer, never()).putBytes(anyInt(), eq(src), anyInt(), anyInt());
        verify(buffer, never()).putLongRelease(anyInt(), anyLong());
    }

    @Test
    void shouldTakeTheStandbysFormatVersionLineWithoutChangingItWhenPreparingToRoll()
    {
        writer.prepareToRoll(); // the mock's header reads 0: a standby

        verify(buffer).compareAndSetInt(FORMAT_VERSION_OFFSET, 0, 0);
        verify(buffer, never()).putIntRelease(anyInt(), anyInt());
        verify(buffer, never()).putLongRelease(anyInt(), anyLong());
    }

    @Test
    void shouldEndAsTakenOverWithoutStoringWhenPreparingToRollFindsAnotherWritersPid()
    {
        final UnsafeBuffer src = new UnsafeBuffer(new byte[8]);
        when(buffer.getIntAcquire(FORMAT_VERSION_OFFSET)).thenReturn(ChannelDescriptor.FORMAT_VERSION);
        writer.prepareToRoll();
        assertEquals(false, writer.isTakenOver(), "still its own");

        when(buffer.getLong(PID_OFFSET)).thenReturn(-99L);
        writer.prepareToRoll();

        assertEquals(true, writer.isTakenOver());
        assertEquals(ChannelWriter.CHANNEL_TAKEN_OVER, writer.write(MSG_TYPE_ID, src, 0, 8));
        verify(buffer, never()).compareAndSetInt(anyInt(), anyInt(), anyInt());
        verify(buffer, never()).putLongRelease(anyInt(), anyLong());
    }

    @Test
    void shouldStampHeartbeatThenMarkThenPublishProcessThenPidWhenHandingOver()
    {
        final long deadPid = 77;
        final long nowMs = 50_000;
        final ProcessIdentity self = new ProcessIdentity(OWN_PID, 123, 0xABCDL);
        when(buffer.getLongAcquire(PID_OFFSET)).thenReturn(deadPid);
        when(buffer.getLongAcquire(NAMESPACE_OFFSET)).thenReturn(0x1234L); // a namespace this resumer cannot see
        when(buffer.getLongAcquire(HEARTBEAT_OFFSET)).thenReturn(nowMs - TIMEOUT_MS - 1);
        when(buffer.compareAndSetLong(PID_OFFSET, deadPid, -OWN_PID)).thenReturn(true);
        final long mark = WriterLiveness.publishedMark(OWN_PID);
        when(buffer.compareAndSetLong(PID_OFFSET, -OWN_PID, mark)).thenReturn(true);
        when(buffer.compareAndSetLong(PID_OFFSET, mark, OWN_PID)).thenReturn(true);

        assertEquals(deadPid, WriterLiveness.beginTakeOver(buffer, TIMEOUT_MS, nowMs, self, Path.of("mock")).pid);
        WriterLiveness.completeTakeOver(buffer, self, nowMs + 5, Path.of("mock"));

        final InOrder inOrder = inOrder(buffer);
        inOrder.verify(buffer).putLongRelease(HEARTBEAT_OFFSET, nowMs);
        inOrder.verify(buffer).compareAndSetLong(PID_OFFSET, deadPid, -OWN_PID);
        inOrder.verify(buffer).putLongRelease(START_TICKS_OFFSET, 123);
        inOrder.verify(buffer).putLongRelease(NAMESPACE_OFFSET, 0xABCDL);
        inOrder.verify(buffer).compareAndSetLong(PID_OFFSET, -OWN_PID, mark);
        inOrder.verify(buffer).putLongRelease(HEARTBEAT_OFFSET, nowMs + 5);
        inOrder.verify(buffer).compareAndSetLong(PID_OFFSET, mark, OWN_PID);
        inOrder.verify(buffer, never()).putLongRelease(anyInt(), anyLong());
        inOrder.verify(buffer, never()).compareAndSetLong(anyInt(), anyLong(), anyLong());
    }

    @Test
    void shouldRefuseAndStoreNothingWhenHeartbeatOfUnseenWriterIsFresh()
    {
        final ProcessIdentity self = new ProcessIdentity(OWN_PID, 123, 0xABCDL);
        when(buffer.getLongAcquire(PID_OFFSET)).thenReturn(77L);
        when(buffer.getLongAcquire(NAMESPACE_OFFSET)).thenReturn(0x1234L);
        when(buffer.getLongAcquire(HEARTBEAT_OFFSET)).thenReturn(50_000L - TIMEOUT_MS);

        final ChannelException ex = assertThrows(ChannelException.class,
            () -> WriterLiveness.beginTakeOver(buffer, TIMEOUT_MS, 50_000, self, Path.of("mock")));

        assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason());
        verify(buffer, never()).putLongRelease(anyInt(), anyLong());
        verify(buffer, never()).compareAndSetLong(anyInt(), anyLong(), anyLong());
    }

    private static long header(final int frameLength, final int msgTypeId)
    {
        return ((long)msgTypeId << 32) | (frameLength & 0xFFFF_FFFFL);
    }
}
