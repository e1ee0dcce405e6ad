package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A channel made in a retired channel's file clears the old bytes only record by record as it writes: its readers
 * must still never see the old channel's bytes, and a closed one must hold exactly what a channel in a new file
 * would.
 */
class ChannelReuseTest
{
    private static final long TIMEOUT_MS = 1_000;
    private static final int CAPACITY = 1024 * 1024;
    private static final int MAX_RECORD_LENGTH = 4096;
    private static final int PAYLOAD_LENGTH = 200;
    private static final int SEAL_LENGTH = 56;
    private static final byte STALE = 0x55;

    @TempDir
    Path root;

    private final CachedEpochClock clock = new CachedEpochClock();

    @Test
    void shouldReadOnlyNewRecordsPastTheZeroedStartWhenFileHeldAFullerChannel()
    {
        final Path retired = retiredFullChannel();
        final int records = 3000; // most of the file

        try (ChannelWriter writer = ChannelWriter.createReusing(context(2), retired);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            int seen = 0;
            for (int i = 0; i < records; i++)
            {
                assertTrue(writer.write(1, payload(i), 0, PAYLOAD_LENGTH) > 0);
                seen += pollChecking(reader, seen);
                assertEquals(i + 1, seen, "the reader takes each record and stops after it");
            }
            assertEquals(0, pollChecking(reader, seen), "nothing after the last record");
            assertEquals(ChannelState.OPEN, reader.state());
        }
    }

    @Test
    void shouldLeaveOnlyZerosAfterEndMarkerWhenClosedEarly() throws IOException
    {
        final Path retired = retiredFullChannel();
        final long end;
        final Path path;
        try (ChannelWriter writer = ChannelWriter.createReusing(context(2), retired))
        {
            for (int i = 0; i < 1000; i++)
            {
                assertTrue(writer.write(1, payload(i), 0, PAYLOAD_LENGTH) > 0);
            }
            end = writer.position();
            path = writer.path();
        }

        final byte[] file = Files.readAllBytes(path);
        final int markerEnd = ChannelDescriptor.HEADER_LENGTH + (int)end + RecordDescriptor.HEADER_LENGTH;
        assertEquals(ChannelDescriptor.fileLength(CAPACITY), file.length);
        assertEquals(-1, firstNonZero(file, markerEnd, file.length), "the old channel's bytes are gone");
    }

    @Test
    void shouldLeaveOnlyZerosBetweenMarkerAndSealWhenRolledHoldingMapping() throws IOException
    {
        final Path retired = retiredFullChannel();
        final ChannelWriter writer = ChannelWriter.createReusing(context(2), retired);
        for (int i = 0; i < 1000; i++)
        {
            assertTrue(writer.write(1, payload(i), 0, PAYLOAD_LENGTH) > 0);
        }
        final long end = writer.position();
        final UnsafeBuffer seal = new UnsafeBuffer(new byte[SEAL_LENGTH]);
        seal.setMemory(0, SEAL_LENGTH, (byte)0x33);
        assertTrue(writer.rollHoldingMapping(seal, 0, SEAL_LENGTH));
        try (ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final UnsafeBuffer copy = new UnsafeBuffer(new byte[SEAL_LENGTH]);
            assertTrue(reader.readRollSeal(copy, 0, SEAL_LENGTH));
            assertEquals(0x33, copy.getByte(SEAL_LENGTH - 1));
        }
        final Path path = writer.path();
        assertTrue(null == writer.releaseHeldMapping(false));

        final byte[] file = Files.readAllBytes(path);
        final int markerEnd = ChannelDescriptor.HEADER_LENGTH + (int)end + RecordDescriptor.HEADER_LENGTH;
        final int sealStart = ChannelDescriptor.HEADER_LENGTH +
            (int)ChannelDescriptor.rollSealPosition(CAPACITY, SEAL_LENGTH + RecordDescriptor.ALIGNMENT);
        assertEquals(-1, firstNonZero(file, markerEnd, sealStart), "zeroed on release");
        assertEquals(0x33, file[sealStart]);
        final int trailer = ChannelDescriptor.HEADER_LENGTH + CAPACITY;
        assertEquals(-1, firstNonZero(file, trailer, file.length), "the trailer");
    }

    @Test
    void shouldNotPublishStaleBytesWhenResumedAfterCrashPastWhereDeadWriterZeroed()
    {
        final Path retired = retiredFullChannel();
        final ChannelWriter crashed = ChannelWriter.createReusing(context(2), retired);
        final int before = 100;
        for (int i = 0; i < before; i++)
        {
            assertTrue(crashed.write(1, payload(i), 0, PAYLOAD_LENGTH) > 0);
        }
        crashed.crash();
        clock.advance(TIMEOUT_MS + 1);

        final int after = 3000; // far past where the dead writer stopped
        try (ChannelWriter resumed = ChannelWriter.resume(context(2));
            ChannelReader reader = ChannelReader.open(resumed.path()))
        {
            int seen = pollChecking(reader, 0);
            assertEquals(before, seen);
            for (int i = before; i < before + after; i++)
            {
                assertTrue(resumed.write(1, payload(i), 0, PAYLOAD_LENGTH) > 0);
                seen += pollChecking(reader, seen);
                assertEquals(i + 1, seen, "the reader takes each record and stops after it");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 8, 64, 128 })
    void shouldHoldSameDataBytesAsChannelInNewFileWhenClosedButPaddingAbove8(final int recordAlignment)
        throws IOException
    {
        final Path retired = retiredFullChannel();
        final Path reused;
        final Path fresh;
        final List<long[]> paddings = new ArrayList<>(); // [from, to) file offsets of each record's padding
        try (ChannelWriter inReused = ChannelWriter.createReusing(
            context(2).recordAlignment(recordAlignment), retired);
            ChannelWriter inNew = ChannelWriter.create(context(3).recordAlignment(recordAlignment)))
        {
            final UnsafeBuffer source = new UnsafeBuffer(new byte[MAX_RECORD_LENGTH]);
            source.setMemory(0, MAX_RECORD_LENGTH, (byte)0x22);
            for (int i = 0; i < 2000; i++)
            {
                final int length = i * 7 % 301; // every padding up to the alignment, and empty records
                final long start = ChannelDescriptor.HEADER_LENGTH + inNew.position();
                assertTrue(inReused.write(i, source, 0, length) > 0);
                final long end = ChannelDescriptor.HEADER_LENGTH + inNew.write(i, source, 0, length);
                assertTrue(end > ChannelDescriptor.HEADER_LENGTH);
                paddings.add(new long[]{ start + RecordDescriptor.frameLength(length), end });
            }
            reused = inReused.path();
            fresh = inNew.path();
        }

        final byte[] reusedBytes = Files.readAllBytes(reused);
        final byte[] freshBytes = Files.readAllBytes(fresh);
        int record = 0;
        int staleBytes = 0;
        for (int i = ChannelDescriptor.HEADER_LENGTH; i < freshBytes.length; i++)
        {
            while (record < paddings.size() && i >= paddings.get(record)[1])
            {
                record++;
            }
            final boolean isPadding = record < paddings.size() && i >= paddings.get(record)[0];
            if (isPadding && recordAlignment > RecordDescriptor.ALIGNMENT)
            {
                staleBytes += reusedBytes[i] == freshBytes[i] ? 0 : 1;
                continue; // the old bytes may stay in the padding of records aligned beyond 8, never read
            }
            assertEquals(freshBytes[i], reusedBytes[i], "data byte at file offset " + i);
        }
        assertEquals(recordAlignment > RecordDescriptor.ALIGNMENT, staleBytes > 0, "stale padding bytes");
    }

    @Test
    void shouldAllocateNothingWhenWritingAndClaimingInReusedFile()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final Path retired = retiredFullChannel();
        final UnsafeBuffer source = payload(0);
        final RecordClaim claim = new RecordClaim();
        try (ChannelWriter writer = ChannelWriter.createReusing(context(2), retired))
        {
            long leastAllocated = Long.MAX_VALUE;
            for (int run = 0; run < 7; run++) // two to warm up, then the least of five
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 300; i++)
                {
                    writer.write(1, source, 0, i % 41);
                    if (writer.tryClaim(1, i % 37, claim) > 0)
                    {
                        claim.commit();
                    }
                }
                final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                leastAllocated = run < 2 ? leastAllocated : Math.min(leastAllocated, allocated);
            }
            assertTrue(writer.position() < CAPACITY, "no FULL in the measured runs");
            assertEquals(0, leastAllocated, "bytes allocated over 300 writes and claims");
        }
    }

    @Test
    void shouldLeaveStaleBytesToTheWriterAtCreation()
    {
        final Path retired = retiredFullChannel();
        try (ChannelWriter writer = ChannelWriter.createReusing(context(2), retired))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(writer.mappedBuffer());
            assertEquals(0, buffer.getLong(ChannelDescriptor.HEADER_LENGTH), "the first record's header word");
            assertFalse(0 == buffer.getLong(ChannelDescriptor.HEADER_LENGTH + 1024), "not zeroed at creation");
        }
    }

    @Test
    void shouldShowZerosInClaimAndReadClaimedRecordsWhenFileReused()
    {
        final Path retired = retiredFullChannel();
        final RecordClaim claim = new RecordClaim();
        try (ChannelWriter writer = ChannelWriter.createReusing(context(2), retired);
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            int seen = 0;
            for (int i = 0; i < 2000; i++)
            {
                assertTrue(writer.tryClaim(1, PAYLOAD_LENGTH + 5, claim) > 0);
                for (int b = 0; b < PAYLOAD_LENGTH + 5; b++)
                {
                    assertEquals(0, claim.buffer().getByte(claim.offset() + b), "byte " + b + " of claim " + i);
                }
                claim.buffer().putBytes(claim.offset(), payload(i), 0, PAYLOAD_LENGTH);
                claim.commit(PAYLOAD_LENGTH);
                seen += pollChecking(reader, seen);
                assertEquals(i + 1, seen);
            }
        }
    }

    /**
     * A channel filled to its end with records whose every byte is {@link #STALE} but their headers, then retired
     * under another name, as a journal's retention does.
     */
    private Path retiredFullChannel()
    {
        final Path retired = root.resolve("retired");
        final Path path;
        try (ChannelWriter old = ChannelWriter.create(context(1)))
        {
            final UnsafeBuffer stale = new UnsafeBuffer(new byte[PAYLOAD_LENGTH + 48]);
            stale.setMemory(0, stale.capacity(), STALE);
            while (old.write(7, stale, 0, stale.capacity()) > 0)
            {
                stale.putLong(0, old.position()); // a different record each time, stale all the same
            }
            path = old.path();
        }
        try
        {
            Files.move(path, retired);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
        return retired;
    }

    /**
     * Poll one batch, checking each record is one this test wrote: type 1, the payload of its sequence.
     */
    private static int pollChecking(final ChannelReader reader, final int first)
    {
        final int[] next = { first };
        return reader.poll((msgTypeId, buffer, offset, length) ->
        {
            assertEquals(1, msgTypeId, "record " + next[0]);
            assertEquals(PAYLOAD_LENGTH, length, "record " + next[0]);
            assertEquals(next[0], buffer.getInt(offset), "record " + next[0]);
            next[0]++;
        }, 1000);
    }

    private static UnsafeBuffer payload(final int sequence)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);
        payload.setMemory(0, PAYLOAD_LENGTH, (byte)0x11);
        payload.putInt(0, sequence);
        return payload;
    }

    private static int firstNonZero(final byte[] bytes, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (0 != bytes[i])
            {
                return i;
            }
        }
        return -1;
    }

    private ChannelWriter.Context context(final long channelId)
    {
        return ChannelTestSupport.writerContext(root, CAPACITY, MAX_RECORD_LENGTH)
            .channelId(channelId)
            .timeoutMs(TIMEOUT_MS)
            .epochClock(clock);
    }
}
