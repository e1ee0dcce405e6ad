package org.kekbit.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.alignedRecordLength;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.createWriter;
import static org.kekbit.channel.ChannelTestSupport.payload;
import static org.kekbit.channel.ChannelTestSupport.recordFileOffset;

/**
 * {@link RecordClaim#byteBuffer()}: a direct view of the claimed payload, one per writer, positioned per claim.
 */
class RecordClaimTest
{
    @TempDir
    Path root;

    @Test
    void shouldSpanClaimedPayloadWhenByteBufferIsTaken()
    {
        try (ChannelWriter writer = createWriter(root, 64 * 1024, 1024);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final RecordClaim claim = new RecordClaim();
            writer.write(1, payload(5, 1), 0, 5);
            final long position = writer.position();
            final byte[] expected = bytes(payload(100, 2), 0, 100);

            writer.tryClaim(2, 100, claim);
            final ByteBuffer view = claim.byteBuffer();
            assertTrue(view.isDirect());
            assertEquals(ByteOrder.LITTLE_ENDIAN, view.order());
            assertEquals(RecordDescriptor.payloadOffset((int)recordFileOffset(position)), view.position());
            assertEquals(100, view.remaining());
            view.put(expected);
            claim.commit();

            final List<byte[]> received = new ArrayList<>();
            assertEquals(2, reader.poll((msgTypeId, buffer, offset, length) ->
                received.add(bytes(buffer, offset, length)), 10));
            assertArrayEquals(expected, received.get(1));
        }
    }

    @Test
    void shouldReuseOneViewWhenClaimingAgainOnSameWriter()
    {
        try (ChannelWriter writer = createWriter(root, 64 * 1024, 1024))
        {
            final RecordClaim claim = new RecordClaim();
            writer.tryClaim(1, 16, claim);
            final ByteBuffer first = claim.byteBuffer();
            final int firstPosition = first.position();
            claim.commit();

            writer.tryClaim(1, 40, claim);
            final ByteBuffer second = claim.byteBuffer();

            assertSame(first, second);
            assertEquals(firstPosition + alignedRecordLength(16), second.position());
            assertEquals(40, second.remaining());
            claim.abort();
        }
    }

    @Test
    void shouldTakeNewViewWhenClaimMovesToAnotherWriter()
    {
        try (ChannelWriter writer = createWriter(root.resolve("a"), 64 * 1024, 1024);
            ChannelWriter otherWriter = createWriter(root.resolve("b"), 64 * 1024, 1024);
            ChannelReader otherReader = ChannelReader.open(otherWriter.path()))
        {
            final RecordClaim claim = new RecordClaim();
            writer.tryClaim(1, 8, claim);
            final ByteBuffer first = claim.byteBuffer();
            claim.commit();

            otherWriter.tryClaim(1, 8, claim);
            final ByteBuffer second = claim.byteBuffer();
            second.putLong(second.position(), 0x0102_0304_0506_0708L);
            claim.commit();

            assertNotSame(first, second);
            final long[] received = new long[1];
            assertEquals(1, otherReader.poll((msgTypeId, buffer, offset, length) ->
                received[0] = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN), 10));
            assertEquals(0x0102_0304_0506_0708L, received[0]);
        }
    }

    @Test
    void shouldThrowWhenByteBufferIsTakenWithoutOutstandingClaim()
    {
        try (ChannelWriter writer = createWriter(root, 64 * 1024, 1024))
        {
            final RecordClaim claim = new RecordClaim();
            assertThrows(IllegalStateException.class, claim::byteBuffer);

            writer.tryClaim(1, 8, claim);
            claim.commit();
            assertThrows(IllegalStateException.class, claim::byteBuffer);

            writer.tryClaim(1, 8, claim);
            writer.close();
            assertThrows(IllegalStateException.class, claim::byteBuffer);
        }
    }
}
