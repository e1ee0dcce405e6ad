package org.kekbit.image;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImageDescriptorTest
{
    @Test
    void shouldNameSnapshotsByZeroPaddedPositionAndParseThemBack()
    {
        assertEquals("snapshot-00000000000000065536.kekbit", ImageDescriptor.snapshotFileName(65536));
        assertEquals("partial-00000000000000065536-1700000000000.kekbit",
            ImageDescriptor.incompleteFileName(ImageDescriptor.PARTIAL_PREFIX, 65536, 1_700_000_000_000L));
        assertEquals(65536, ImageDescriptor.parsePosition(ImageDescriptor.snapshotFileName(65536)));
        assertEquals(Long.MAX_VALUE, ImageDescriptor.parsePosition(ImageDescriptor.snapshotFileName(Long.MAX_VALUE)));
        assertEquals(0, ImageDescriptor.parsePosition(
            ImageDescriptor.incompleteFileName(ImageDescriptor.DAMAGED_PREFIX, 0, 5)));
        assertThrows(IllegalArgumentException.class, () -> ImageDescriptor.snapshotFileName(-1));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "snapshot-65536.kekbit",
        "snapshot-0000000000000006553a.kekbit",
        "snapshot-00000000000000065536.kekbit.tmp",
        "snapshot-99999999999999999999.kekbit",
        "partial-00000000000000065536.kekbit",
        "damaged-00000000000000065536_5.kekbit",
        "00000000000000065536.kekbit",
        "readers.positions"})
    void shouldNotTakeOtherNamesForSnapshots(final String name)
    {
        assertEquals(-1, ImageDescriptor.parsePosition(name));
    }

    @Test
    void shouldLayOutMarkersAsDocumented()
    {
        assertEquals(32, ImageDescriptor.BEGIN_LENGTH);
        assertEquals(32, ImageDescriptor.END_LENGTH);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[32]);
        ImageDescriptor.writeBegin(buffer, 0, 4096, 77);
        final byte[] magic = new byte[8];
        buffer.getBytes(0, magic);
        assertEquals("KEKIMAGE", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(ImageDescriptor.VERSION, buffer.getInt(8, ByteOrder.LITTLE_ENDIAN));
        assertEquals(4096, buffer.getLong(16, ByteOrder.LITTLE_ENDIAN));
        assertEquals(77, buffer.getLong(24, ByteOrder.LITTLE_ENDIAN));

        ImageDescriptor.writeEnd(buffer, 0, 4096, 3, 48, 0xCAFE);
        assertEquals(4096, buffer.getLong(0, ByteOrder.LITTLE_ENDIAN));
        assertEquals(3, buffer.getLong(8, ByteOrder.LITTLE_ENDIAN));
        assertEquals(48, buffer.getLong(16, ByteOrder.LITTLE_ENDIAN));
        assertEquals(0xCAFE, buffer.getInt(24, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void shouldRejectReservedTypeIdsInStateMachineRecords()
    {
        final SnapshotWriter writer = new SnapshotWriter();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
        assertThrows(IllegalArgumentException.class,
            () -> writer.write(ImageDescriptor.RESERVED_MSG_TYPE_ID_FROM, buffer, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> writer.write(-1, buffer, 0, 8));
    }
}
