package org.kekbit.channel;

import java.nio.file.Path;
import java.util.Random;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelMirrorTest
{
    private static final int CAPACITY = 256 * 1024;
    private static final int MAX_RECORD_LENGTH = 8 * 1024;

    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(ints = { 8, 16, 64, 1000, 8192, 65536 })
    void shouldMirrorByteIdenticalWhenBytesComeInPiecesOfAnySizeWithDuplicates(final int maxPieceLength)
    {
        final Random random = new Random(maxPieceLength);
        final Path mirrorPath = root.resolve("mirror.kekbit");
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelSource source = ChannelSource.open(writer.path()))
        {
            final long end = writeRecords(writer, random, 200);
            writer.close();

            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            try (ChannelMirror mirror = ChannelMirror.create(mirrorPath, header, 0);
                ChannelReader mirrorReader = ChannelReader.open(mirrorPath))
            {
                assertEquals(source.headerDigest(), mirror.headerDigest());
                final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
                final BlockHandler toMirror = (buffer, offset, length, position) ->
                {
                    int sent = 0;
                    while (sent < length)
                    {
                        final int piece = Math.min(length - sent,
                            8 * (1 + random.nextInt(Math.max(1, maxPieceLength / 8))));
                        assertTrue(mirror.write(position + sent, buffer, offset + sent, piece) >= 0);
                        if (random.nextInt(4) == 0)
                        {
                            // a duplicate of what came already, overlapping the piece just written
                            final int back = Math.min(sent + piece, 8 * random.nextInt(16));
                            assertEquals(mirror.receivedPosition(), mirror.write(
                                position + sent + piece - back, buffer, offset + sent + piece - back, back));
                        }
                        sent += piece;
                        mirrorReader.poll(seen, Integer.MAX_VALUE); // readers tail it while it is written
                    }
                };
                while (source.poll(toMirror, 1 + random.nextInt(4096)) > 0)
                {
                    mirror.force();
                }

                assertTrue(mirror.isEnded());
                assertEquals(end + RecordDescriptor.HEADER_LENGTH, mirror.position());
                assertEquals(mirror.position(), mirror.force());
                mirrorReader.poll(seen, Integer.MAX_VALUE);
                assertEquals(ChannelState.CLOSED, mirrorReader.state());
                assertEquals(200, seen.size());
                for (int i = 0; i < seen.size(); i++)
                {
                    assertEquals(i, seen.get(i).msgTypeId());
                }
            }
        }

        final ChannelDigest.Result leaderDigest = ChannelDigest.digest(
            ChannelDescriptor.channelPath(root, ChannelTestSupport.CHANNEL_ID), -1);
        final ChannelDigest.Result mirrorDigest = ChannelDigest.digest(mirrorPath, -1);
        assertEquals(leaderDigest.position(), mirrorDigest.position());
        assertEquals(leaderDigest.digest(), mirrorDigest.digest());
    }

    @Test
    void shouldReopenAtLastCommittedRecordAndZeroThePartOfARecordWhenKilledMidRecord()
    {
        final Path mirrorPath = root.resolve("mirror.kekbit");
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelSource source = ChannelSource.open(writer.path()))
        {
            writer.write(1, payload(100, 1), 0, 100);
            final long first = writer.position();
            writer.write(2, payload(4000, 2), 0, 4000);
            final long second = writer.position();

            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            final byte[] all = new byte[(int)second];
            source.poll((buffer, offset, length, position) -> buffer.getBytes(offset, all, 0, length), CAPACITY);
            final UnsafeBuffer bytes = new UnsafeBuffer(all);

            final ChannelMirror mirror = ChannelMirror.create(mirrorPath, header, 0);
            assertEquals(first + 1024, mirror.write(0, bytes, 0, (int)first + 1024), "half of the second record");
            assertEquals(first, mirror.position());
            mirror.close(); // as a kill leaves it: no end marker, a part of a record past the last commit

            try (ChannelReader reader = ChannelReader.open(mirrorPath))
            {
                final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
                reader.poll(seen, 10);
                assertEquals(1, seen.size(), "the torn record is never seen");
                assertEquals(ChannelState.ABANDONED, reader.state());
            }

            try (ChannelMirror reopened = ChannelMirror.open(mirrorPath);
                ChannelReader reader = ChannelReader.open(mirrorPath))
            {
                assertEquals(first, reopened.position());
                assertEquals(first, reopened.receivedPosition());
                assertEquals(second, reopened.write(0, bytes, 0, all.length), "resent from 0: the overlap skipped");
                final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
                reader.poll(seen, 10);
                assertEquals(2, seen.size());
                assertArrayEquals(bytes(payload(4000, 2), 0, 4000), seen.get(1).payload());
            }
        }
    }

    @Test
    void shouldLetAStandbyResumeItsMirrorAsTheWriterOnceTheMirrorStops()
    {
        final Path mirrorPath = root.resolve("mirror.kekbit");
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelSource source = ChannelSource.open(writer.path()))
        {
            writer.write(1, payload(100, 1), 0, 100);
            writer.write(2, payload(200, 2), 0, 200);
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);

            final ChannelMirror mirror = ChannelMirror.create(mirrorPath, header, 0);
            source.poll((buffer, offset, length, position) -> mirror.write(position, buffer, offset, length), CAPACITY);
            final long mirrored = mirror.position();
            assertEquals(writer.position(), mirrored);

            final ChannelException whileMirrored = assertThrows(ChannelException.class,
                () -> ChannelWriter.resume(new ChannelWriter.Context().path(mirrorPath)));
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, whileMirrored.reason(), "the mirror is its writer");
            mirror.close(); // the leader died: the standby stops following

            try (ChannelWriter standby = ChannelWriter.resume(new ChannelWriter.Context().path(mirrorPath));
                ChannelReader reader = ChannelReader.open(mirrorPath))
            {
                assertEquals(mirrored, standby.position());
                assertTrue(standby.write(3, payload(50, 3), 0, 50) > mirrored);
                final ChannelTestSupport.RecordCollector seen = new ChannelTestSupport.RecordCollector();
                reader.poll(seen, 10);
                assertEquals(3, seen.size());
                assertEquals(3, seen.get(2).msgTypeId());
            }
        }
    }

    @Test
    void shouldReportGapAndBadDataWithoutCommittingAnything()
    {
        final Path mirrorPath = root.resolve("mirror.kekbit");
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelSource source = ChannelSource.open(writer.path()))
        {
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            try (ChannelMirror mirror = ChannelMirror.create(mirrorPath, header, 0))
            {
                final UnsafeBuffer bad = new UnsafeBuffer(new byte[64]);
                assertEquals(ChannelMirror.GAP, mirror.write(8, bad, 0, 8));
                assertEquals(ChannelMirror.BAD_DATA, mirror.write(0, bad, 0, 12), "not a multiple of 8");
                bad.putInt(0, MAX_RECORD_LENGTH + 100);
                assertEquals(ChannelMirror.BAD_DATA, mirror.write(0, bad, 0, 64), "longer than the max record");
                bad.putInt(0, 16);
                bad.putInt(4, -7);
                assertEquals(ChannelMirror.BAD_DATA, mirror.write(0, bad, 0, 64), "no such end marker");
                assertEquals(0, mirror.position());
            }
        }
    }

    @Test
    void shouldRefuseAHeaderThatIsNotAChannelHeaderAndGiveDifferentChannelsDifferentDigests()
    {
        final UnsafeBuffer notAHeader = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> ChannelMirror.create(root.resolve("m.kekbit"), notAHeader, 0));
        assertEquals(ChannelException.Reason.NOT_A_CHANNEL, ex.reason());

        try (ChannelWriter one = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelWriter other = ChannelWriter.create(ChannelTestSupport.writerContext(root, CAPACITY,
                MAX_RECORD_LENGTH).channelId(7));
            ChannelSource oneSource = ChannelSource.open(one.path());
            ChannelSource otherSource = ChannelSource.open(other.path()))
        {
            assertNotEquals(oneSource.headerDigest(), otherSource.headerDigest());
        }
    }

    @Test
    void shouldGiveTheLeaderAndItsMirrorEqualDataDigestsAndTellOneByteAnywhereBeforeThePosition()
    {
        final Path mirrorPath = root.resolve("mirror.kekbit");
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, MAX_RECORD_LENGTH);
            ChannelSource source = ChannelSource.open(writer.path()))
        {
            final long end = writeRecords(writer, new Random(5), 300);
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            try (ChannelMirror mirror = ChannelMirror.create(mirrorPath, header, 0))
            {
                assertEquals(0, mirror.dataDigest(), "no bytes: the digest of nothing");
                while (source.poll((buffer, offset, length, position) ->
                    mirror.write(position, buffer, offset, length), 4096) > 0)
                {
                    assertEquals(source.dataDigest(mirror.position()), mirror.dataDigest());
                }
                assertEquals(end, mirror.position());
                assertEquals(source.dataDigest(end), mirror.dataDigest());
                assertNotEquals(source.dataDigest(end), source.dataDigest(end - 8), "the position counts");
            }

            // One bit flipped in the first record: every later byte equal, the digest differs.
            final UnsafeBuffer copy = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH + (int)end]);
            source.seek(0);
            source.poll((buffer, offset, length, position) ->
                copy.putBytes(ChannelDescriptor.HEADER_LENGTH + (int)position, buffer, offset, length), CAPACITY);
            final long digest = ChannelDigest.dataDigest(copy, end);
            assertEquals(source.dataDigest(end), digest, "a heap copy digests as the mapping does");
            final int flipped = ChannelDescriptor.HEADER_LENGTH + 12;
            copy.putByte(flipped, (byte)(copy.getByte(flipped) ^ 1));
            assertNotEquals(digest, ChannelDigest.dataDigest(copy, end));
            assertThrows(IllegalArgumentException.class, () -> ChannelDigest.dataDigest(copy, end + 8));
        }

        // The leader closed: the mirror ends with its marker and, reopened ended, digests through a mapping of its own.
        try (ChannelSource source = ChannelSource.open(
            ChannelDescriptor.channelPath(root, ChannelTestSupport.CHANNEL_ID));
            ChannelMirror mirror = ChannelMirror.open(mirrorPath))
        {
            while (source.poll((buffer, offset, length, position) ->
                mirror.write(position, buffer, offset, length), 4096) > 0)
            {
                // the records again (skipped as duplicates), then the end marker
            }
            assertTrue(mirror.isEnded());
        }
        try (ChannelSource source = ChannelSource.open(
            ChannelDescriptor.channelPath(root, ChannelTestSupport.CHANNEL_ID));
            ChannelMirror ended = ChannelMirror.open(mirrorPath))
        {
            assertTrue(ended.isEnded());
            source.seek(ended.position());
            assertEquals(source.dataDigest(ended.position()), ended.dataDigest());
        }
    }

    private static long writeRecords(final ChannelWriter writer, final Random random, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final int length = random.nextInt(10) == 0 ? random.nextInt(MAX_RECORD_LENGTH) : random.nextInt(200);
            final DirectBuffer payload = payload(length, i);
            assertTrue(writer.write(i, payload, 0, length) > 0);
        }
        return writer.position();
    }
}
