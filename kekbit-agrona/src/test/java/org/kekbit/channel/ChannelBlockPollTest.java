package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.alignedRecordLength;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelBlockPollTest
{
    private static final int CAPACITY = 64 * 1024;
    private static final int MAX_RECORD_LENGTH = 1024;
    private static final int[] LENGTHS = { 0, 1, 7, 8, 32, 100, 1000, 13, 288, 5 };

    @TempDir
    Path root;

    private ChannelWriter writer;
    private ChannelReader reader;
    private final BlockCollector blocks = new BlockCollector();

    @BeforeEach
    void before()
    {
        writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
        reader = ChannelReader.open(writer.path());
    }

    @AfterEach
    void after()
    {
        reader.close();
        writer.close();
    }

    @Test
    void shouldDeliverCommittedRecordsAsTheyLieInTheChannelWhenLimitIsLarge()
    {
        final long end = writeRecords();

        assertEquals(end, reader.blockPoll(blocks, Integer.MAX_VALUE));
        assertEquals(1, blocks.size());
        assertEquals(0, blocks.positions.get(0));
        assertEquals(end, reader.position());
        assertRecords(blocks.concatenated(), LENGTHS);

        assertEquals(0, reader.blockPoll(blocks, Integer.MAX_VALUE), "nothing new committed");
        assertEquals(1, blocks.size(), "handler not called for nothing");
        assertEquals(ChannelState.OPEN, reader.state());
    }

    @Test
    void shouldSplitBlocksAtRecordBoundariesWithinLimit()
    {
        final long end = writeRecords();
        final int limit = 300;

        long delivered = 0;
        int length;
        while ((length = reader.blockPoll(blocks, limit)) > 0)
        {
            delivered += length;
        }

        assertEquals(end, delivered);
        long expectedPosition = 0;
        for (int i = 0; i < blocks.size(); i++)
        {
            final int blockLength = blocks.blocks.get(i).length;
            assertEquals(expectedPosition, blocks.positions.get(i));
            assertTrue(blockLength <= limit || blockLength == alignedRecordLength(1000),
                "only a record longer than the limit may exceed it: " + blockLength);
            assertEquals(0, blockLength % RecordDescriptor.ALIGNMENT);
            expectedPosition += blockLength;
        }
        assertTrue(blocks.size() > 3, "blocks: " + blocks.size());
        assertRecords(blocks.concatenated(), LENGTHS);
    }

    @Test
    void shouldResumeWherePollLeftOffAndPollWhereBlockPollLeftOff()
    {
        writeRecords();
        final RecordCollector collector = new RecordCollector();
        assertEquals(3, reader.poll(collector, 3));

        final int length = reader.blockPoll(blocks, alignedRecordLength(8) + alignedRecordLength(32));
        assertEquals(alignedRecordLength(8) + alignedRecordLength(32), length);
        assertRecords(blocks.concatenated(), new int[]{ 8, 32 });

        assertEquals(LENGTHS.length - 5, reader.poll(collector, Integer.MAX_VALUE));
        assertArrayEquals(bytes(payload(100, 5), 0, 100), collector.get(3).payload());
    }

    @Test
    void shouldStopBeforeEndMarkerAndReportClosed()
    {
        final long end = writeRecords();
        writer.close();

        assertEquals(end, reader.blockPoll(blocks, Integer.MAX_VALUE));
        assertEquals(ChannelState.CLOSED, reader.state());
        assertEquals(end, reader.position());
        assertEquals(0, reader.blockPoll(blocks, Integer.MAX_VALUE));
        assertEquals(1, blocks.size());
    }

    @Test
    void shouldDeliverRecordsBeforeBadHeaderThenTurnCorrupt() throws IOException
    {
        final long end = writeRecords();
        writer.close();
        final long badPosition = alignedRecordLength(0) + alignedRecordLength(1) + alignedRecordLength(7);
        final Path copy = root.resolve("copy.kekbit");
        Files.copy(writer.path(), copy);
        ChannelTestSupport.putRecordHeader(copy, badPosition, CAPACITY * 2, 3);

        try (ChannelReader corrupt = ChannelReader.open(copy))
        {
            assertEquals(badPosition, corrupt.blockPoll(blocks, Integer.MAX_VALUE));
            assertRecords(blocks.concatenated(), new int[]{ 0, 1, 7 });
            assertEquals(ChannelState.CORRUPT, corrupt.state());
            assertEquals(badPosition, corrupt.position());
            assertTrue(corrupt.corruption().contains("position=" + badPosition), corrupt.corruption());
            assertEquals(0, corrupt.blockPoll(blocks, Integer.MAX_VALUE));
            assertTrue(end > badPosition);
        }
    }

    @Test
    void shouldFindTheCommittedEndAheadOfASourceAsRecordsAreAddedAndAfterASeekBack()
    {
        try (ChannelSource source = ChannelSource.open(writer.path()))
        {
            assertEquals(0, source.committedPosition());
            final long first = writeRecords();
            assertEquals(first, source.committedPosition());
            assertTrue(source.poll(blocks, 64) > 0);
            assertTrue(source.position() < first, "part delivered");

            final long second = writeRecords();
            assertEquals(second, source.committedPosition(), "the walk goes on from where it stopped");
            assertEquals(second, source.committedPosition(), "nothing new");
            source.seek(0);
            assertEquals(second, source.committedPosition(), "after a seek back");

            writer.close();
            assertEquals(second, source.committedPosition(), "the end marker counts once delivered");
            while (!source.isEnded())
            {
                source.poll(blocks, Integer.MAX_VALUE);
            }
            assertEquals(second + RecordDescriptor.HEADER_LENGTH, source.committedPosition());
        }
    }

    private long writeRecords()
    {
        long position = 0;
        for (int i = 0; i < LENGTHS.length; i++)
        {
            position = writer.write(i, payload(LENGTHS[i], i), 0, LENGTHS[i]);
            assertTrue(position > 0);
        }
        return position;
    }

    /**
     * Walk a block as a replica would and check it holds the records written with {@link #writeRecords()}.
     */
    private static void assertRecords(final byte[] block, final int[] lengths)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(block);
        int offset = 0;
        for (final int length : lengths)
        {
            final int seed = indexOf(length);
            assertEquals(RecordDescriptor.frameLength(length), buffer.getInt(offset));
            assertEquals(seed, buffer.getInt(offset + RecordDescriptor.MSG_TYPE_ID_OFFSET));
            assertArrayEquals(bytes(payload(length, seed), 0, length),
                bytes(buffer, RecordDescriptor.payloadOffset(offset), length));
            offset += alignedRecordLength(length);
        }
        assertEquals(block.length, offset);
    }

    private static int indexOf(final int length)
    {
        for (int i = 0; i < LENGTHS.length; i++)
        {
            if (LENGTHS[i] == length)
            {
                return i;
            }
        }
        throw new IllegalArgumentException("not written: " + length);
    }

    private static final class BlockCollector implements BlockHandler
    {
        final List<byte[]> blocks = new ArrayList<>();
        final List<Long> positions = new ArrayList<>();

        public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
        {
            blocks.add(bytes(buffer, offset, length));
            positions.add(position);
        }

        int size()
        {
            return blocks.size();
        }

        byte[] concatenated()
        {
            final int total = blocks.stream().mapToInt(block -> block.length).sum();
            final byte[] all = new byte[total];
            int offset = 0;
            for (final byte[] block : blocks)
            {
                System.arraycopy(block, 0, all, offset, block.length);
                offset += block.length;
            }
            return all;
        }
    }
}
