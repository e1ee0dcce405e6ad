package org.kekbit.journal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JournalDescriptorTest
{
    @ParameterizedTest
    @CsvSource({
        "4096, 0, 0, 0, 0",
        "4096, 8, 0, 8, 0",
        "4096, 4088, 0, 4088, 0",
        "4096, 4096, 4096, 0, 1",
        "4096, 4104, 4096, 8, 1",
        "64, 192, 192, 0, 3",
        "64, 200, 192, 8, 3",
        "1073741824, 3221225480, 3221225472, 8, 3",
        "1073741824, 9223372035781033992, 9223372035781033984, 8, 8589934591",
    })
    void shouldSplitPositionIntoBaseAndOffsetWhenCapacityIsPowerOfTwo(
        final long capacity, final long position, final long base, final int offset, final long index)
    {
        assertEquals(base, JournalDescriptor.segmentBase(position, capacity));
        assertEquals(offset, JournalDescriptor.segmentOffset(position, capacity));
        assertEquals(index, JournalDescriptor.segmentIndex(position, capacity));
        assertEquals(position, base + offset);
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, 4096, 123_456_789_000L, Long.MAX_VALUE - 7 })
    void shouldParseBaseFromNameWhenNameWasMadeFromIt(final long base)
    {
        final String name = JournalDescriptor.segmentFileName(base);
        assertEquals(JournalDescriptor.SEGMENT_NAME_DIGITS + ".kekbit".length(), name.length());
        assertEquals(base, JournalDescriptor.parseSegmentBase(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "0000000000000000000.kekbit", "000000000000000000000.kekbit", "0000000000000000000a.kekbit",
        "00000000000000000000.kekbi", "next-00000000000000000000.kekbit", "readers.positions",
        "99999999999999999999.kekbit" })
    void shouldRejectNameWhenNotExactlyASegmentName(final String name)
    {
        assertEquals(-1, JournalDescriptor.parseSegmentBase(name));
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, 32, 63, 100, 4095, 4097, 1L << 31, -4096 })
    void shouldRejectCapacityWhenNotPowerOfTwoInRange(final long capacity)
    {
        final ChannelException ex =
            assertThrows(ChannelException.class, () -> JournalDescriptor.checkSegmentCapacity(capacity));
        assertEquals(ChannelException.Reason.BAD_CAPACITY, ex.reason());
    }

    @ParameterizedTest
    @ValueSource(longs = { 64, 4096, 1L << 30 })
    void shouldAcceptCapacityWhenPowerOfTwoInRange(final long capacity)
    {
        JournalDescriptor.checkSegmentCapacity(capacity);
    }

    @ParameterizedTest
    @CsvSource({ "0, 64", "1, 192", "63, 8128" })
    void shouldPlaceSlotsAfterHeaderWhenIndexed(final int slot, final int offset)
    {
        assertEquals(offset, JournalDescriptor.slotOffset(slot));
        assertEquals(JournalDescriptor.slotOffset(JournalDescriptor.SLOT_COUNT),
            JournalDescriptor.positionsFileLength());
    }
}
