package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelMirror;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.write;

class JournalMirrorTest
{
    @TempDir
    Path root;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @ParameterizedTest
    @CsvSource({ "8, 8", "64, 8", "1000, 8", "8192, 8", "64, 64", "1000, 128" })
    void shouldMirrorSegmentsByteIdenticalWithSealsWhenBytesComeInPiecesWithDuplicates(
        final int maxPieceLength, final int recordAlignment)
    {
        final Random random = new Random(maxPieceLength);
        final Path leader = root.resolve("leader");
        final Path follower = root.resolve("follower");
        long sequence = 0;
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader).sequenceOffset(0)
            .recordAlignment(recordAlignment));
            JournalSource source = JournalSource.open(leader);
            JournalMirror mirror = JournalMirror.open(follower))
        {
            final Pump pump = new Pump(mirror, random, maxPieceLength);
            startAt(source, mirror);
            final JournalReader reader = JournalReader.open(new JournalReader.Context().folder(follower));
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            for (; sequence < 1_000; sequence++)
            {
                assertTrue(write(writer, scratch, sequence) > 0);
                writer.doWork();
                if (random.nextInt(8) == 0)
                {
                    pump.drain(source);
                    reader.poll(checker, Integer.MAX_VALUE); // a reader tails the mirror as it is written
                }
            }
            assertTrue(writer.rolls() > 30, "rolls=" + writer.rolls());
            writer.close();
            pump.drain(source);
            assertTrue(mirror.isEnded(), "the leader's CLOSED marker ends the mirror");
            assertEquals(writer.position() + 8, mirror.position());
            while (reader.poll(checker, Integer.MAX_VALUE) > 0)
            {
                // the rest
            }
            assertEquals(JournalState.CLOSED, reader.state());
            assertEquals(sequence, checker.next);
            assertTrue(checker.errors.isEmpty(), checker.errors.toString());
            reader.close();
        }

        assertSegmentsIdentical(leader, follower);
        assertEquals(JournalDigest.digest(leader, -1, -1).digest(), JournalDigest.digest(follower, -1, -1).digest());
        final JournalSeal seal = new JournalSeal();
        assertTrue(seal.read(JournalDescriptor.segmentPath(follower, 0)), "the mirror's first segment is sealed");
        assertEquals(0, seal.firstSequence());
    }

    @Test
    void shouldRollIntoTheSpareItsDutyCycleMadeAheadAndStayByteIdentical()
    {
        final Random random = new Random(7);
        final Path leader = root.resolve("leader");
        final Path follower = root.resolve("follower");
        final Path spare = follower.resolve(JournalDescriptor.SPARE_SEGMENT_NAME);
        long sequence = 0;
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader).sequenceOffset(0));
            JournalSource source = JournalSource.open(leader);
            JournalMirror mirror = JournalMirror.open(follower);
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(follower)))
        {
            final Pump pump = new Pump(mirror, random, 1000);
            startAt(source, mirror);
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            for (; sequence < 1_000; sequence++)
            {
                assertTrue(write(writer, scratch, sequence) > 0);
                writer.doWork();
                if (random.nextInt(4) == 0)
                {
                    pump.drain(source);
                    for (int i = 0; i < 8; i++)
                    {
                        mirror.doWork(); // open, allocate, map, pre-touch: a 4 KiB segment's spare in 4 steps
                    }
                    reader.poll(checker, Integer.MAX_VALUE);
                }
            }
            assertTrue(java.nio.file.Files.exists(spare), "a spare is made ahead of the next roll");
            writer.close();
            pump.drain(source);
            while (reader.poll(checker, Integer.MAX_VALUE) > 0)
            {
                // the rest
            }
            assertEquals(sequence, checker.next);
            assertEquals(List.of(), checker.errors);
            assertTrue(mirror.spareRolls() > 20, "spare rolls=" + mirror.spareRolls() + " of " + writer.rolls());
        }
        assertFalse(java.nio.file.Files.exists(spare), "close deletes a spare not used");
        assertSegmentsIdentical(leader, follower);
        assertEquals(JournalDigest.digest(leader, -1, -1).digest(), JournalDigest.digest(follower, -1, -1).digest());
    }

    @Test
    void shouldResumeFromLastCommittedRecordWhenKilledAnywhereIncludingBetweenCreatingNextSegmentAndRoll()
    {
        final Random random = new Random(7);
        final Path leader = root.resolve("leader");
        final Path follower = root.resolve("follower");
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader));
            JournalSource source = JournalSource.open(leader))
        {
            for (long sequence = 0; sequence < 1_500; sequence++)
            {
                assertTrue(write(writer, scratch, sequence) > 0);
                writer.doWork();
            }

            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            JournalReader reader = null;
            int kills = 0;
            boolean isDone = false;
            while (!isDone)
            {
                final JournalMirror mirror = JournalMirror.open(follower);
                startAt(source, mirror);
                if (null == reader)
                {
                    reader = JournalReader.open(new JournalReader.Context().folder(follower));
                }
                final Pump pump = new Pump(mirror, random, 256);
                pump.killAfterBytes = 2_000 + random.nextInt(20_000);
                pump.killBetweenCreateAndRoll = 0 == kills % 3;
                isDone = pump.drain(source);
                if (isDone)
                {
                    writer.close();
                    isDone = pump.drain(source) && mirror.isEnded();
                }
                reader.poll(checker, Integer.MAX_VALUE);
                mirror.close(); // as a kill leaves it: no end marker, maybe a part of a record past the last commit
                kills++;
            }
            assertTrue(kills > 10, "kills=" + kills);
            while (reader.poll(checker, Integer.MAX_VALUE) > 0)
            {
                // the rest
            }
            assertTrue(checker.errors.isEmpty(), checker.errors.toString());
            assertEquals(1_500, checker.next, "every record once, in order, none torn");
            reader.close();
        }
        assertSegmentsIdentical(leader, follower);
    }

    @Test
    void shouldTurnClosedIntoRolledWhenLeaderJournalIsReopened()
    {
        final Path leader = root.resolve("leader");
        final Path follower = root.resolve("follower");
        try (JournalMirror mirror = JournalMirror.open(follower))
        {
            final Pump pump = new Pump(mirror, new Random(3), 4096);
            try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader));
                JournalSource source = JournalSource.open(leader))
            {
                startAt(source, mirror);
                for (long sequence = 0; sequence < 20; sequence++)
                {
                    write(writer, scratch, sequence);
                }
                writer.close();
                pump.drain(source);
                assertTrue(mirror.isEnded());

                try (JournalWriter resumed = JournalWriter.resume(JournalTestSupport.writerContext(leader)))
                {
                    for (long sequence = 20; sequence < 40; sequence++)
                    {
                        write(resumed, scratch, sequence);
                    }
                    pump.drain(source);
                    assertFalse(mirror.isEnded(), "rolled on from the CLOSED marker");
                    assertEquals(resumed.position(), mirror.position());
                }
                pump.drain(source);
            }
        }
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(follower)))
        {
            final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
            while (reader.poll(checker, Integer.MAX_VALUE) > 0)
            {
                // all
            }
            assertEquals(40, checker.next);
            assertTrue(checker.errors.isEmpty(), checker.errors.toString());
        }
        assertSegmentsIdentical(leader, follower);
    }

    @Test
    void shouldStartAtLeadersOldestSegmentWhenOlderOnesWereDeleted()
    {
        final Path leader = root.resolve("leader");
        final Path follower = root.resolve("follower");
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader).retainedSegments(3)))
        {
            for (long sequence = 0; sequence < 500; sequence++)
            {
                write(writer, scratch, sequence);
                writer.doWork();
            }
            try (JournalSource source = JournalSource.open(leader);
                JournalMirror mirror = JournalMirror.open(follower))
            {
                assertTrue(source.segmentBase() > 0);
                startAt(source, mirror);
                new Pump(mirror, new Random(5), 4096).drain(source);
                assertEquals(writer.position(), mirror.position());
                assertEquals(source.segmentBase(), mirror.segmentBase());
            }
            final long from = JournalFiles.segmentBases(leader).getLong(0);
            assertEquals(JournalDigest.digest(leader, from, writer.position()).digest(),
                JournalDigest.digest(follower, from, writer.position()).digest());
        }
    }

    @Test
    void shouldRefuseAHeaderOfAnotherJournalOrABaseThatIsNotItsChannelId()
    {
        final Path leader = root.resolve("leader");
        final Path other = root.resolve("other");
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader));
            JournalWriter otherWriter = JournalWriter.create(JournalTestSupport.writerContext(other).timeoutMs(1234));
            JournalSource source = JournalSource.open(leader);
            JournalSource otherSource = JournalSource.open(other);
            JournalMirror mirror = JournalMirror.open(root.resolve("follower")))
        {
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            assertEquals(JournalMirror.BAD_DATA, mirror.startSegment(4096, header, 0), "channel id 0 at base 4096");
            assertEquals(0, mirror.startSegment(0, header, 0));
            otherSource.headerBytes(header, 0);
            assertEquals(JournalMirror.BAD_DATA, mirror.startSegment(0, header, 0), "another journal's segment 0");
            assertEquals(JournalMirror.GAP, mirror.write(4096, scratch, 0, 8));
            assertTrue(writer.position() >= 0 && otherWriter.position() >= 0);
        }
    }

    @Test
    void shouldStopAndSayTruncatedWhenTheNextSegmentWasDeletedBeforeTheSourceReachedIt() throws IOException
    {
        final Path leader = root.resolve("leader");
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader));
            JournalSource source = JournalSource.open(leader);
            JournalMirror mirror = JournalMirror.open(root.resolve("follower")))
        {
            for (long sequence = 0; sequence < 100; sequence++)
            {
                write(writer, scratch, sequence);
            }
            assertTrue(writer.rolls() > 2);
            Files.delete(JournalDescriptor.segmentPath(leader, JournalTestSupport.SEGMENT_CAPACITY));
            startAt(source, mirror);
            new Pump(mirror, new Random(9), 4096).drain(source);
            assertTrue(source.isTruncated());
            assertTrue(source.corruption().contains("successor"), source.corruption());
            assertTrue(mirror.position() > 0 && mirror.position() < JournalTestSupport.SEGMENT_CAPACITY,
                "the first segment's records, and no roll without a successor: " + mirror.position());
            assertEquals(0, source.poll(new Pump(mirror, new Random(9), 8), 4096), "nothing more");
        }
    }

    private static void startAt(final JournalSource source, final JournalMirror mirror)
    {
        if (mirror.hasSegment())
        {
            source.seek(mirror.position());
        }
        final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
        source.headerBytes(header, 0);
        assertTrue(mirror.startSegment(source.segmentBase(), header, 0) >= 0);
        source.seek(mirror.position());
    }

    static void assertSegmentsIdentical(final Path leader, final Path follower)
    {
        final LongArrayList leaderBases = JournalFiles.segmentBases(leader);
        final LongArrayList followerBases = JournalFiles.segmentBases(follower);
        assertEquals(leaderBases, followerBases);
        for (int i = 0; i < leaderBases.size(); i++)
        {
            final Path a = JournalDescriptor.segmentPath(leader, leaderBases.getLong(i));
            final Path b = JournalDescriptor.segmentPath(follower, followerBases.getLong(i));
            final byte[] leaderBytes = readAll(a);
            final byte[] followerBytes = readAll(b);
            assertEquals(leaderBytes.length, followerBytes.length);
            assertArrayEquals(Arrays.copyOfRange(leaderBytes, ChannelDescriptor.HEADER_LENGTH, leaderBytes.length),
                Arrays.copyOfRange(followerBytes, ChannelDescriptor.HEADER_LENGTH, followerBytes.length),
                "data region and trailer of " + a.getFileName());
            assertEquals(ChannelDigest.headerDigest(new UnsafeBuffer(leaderBytes), 0),
                ChannelDigest.headerDigest(new UnsafeBuffer(followerBytes), 0), "immutable header fields");
            assertEquals(JournalDescriptor.JOURNAL_FORMAT_VERSION, JournalTestSupport.journalFormatVersion(b),
                "the mirror's segment carries its leader's journal format version: " + b.getFileName());
        }
    }

    private static byte[] readAll(final Path path)
    {
        try
        {
            return Files.readAllBytes(path);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /**
     * Feeds a mirror from a source in random pieces with duplicates, as a network would, optionally "killed" after a
     * number of bytes (mid-record) or between creating the next segment and rolling.
     */
    static final class Pump implements JournalSource.Handler
    {
        private final JournalMirror mirror;
        private final Random random;
        private final int maxPieceLength;
        long killAfterBytes = Long.MAX_VALUE;
        boolean killBetweenCreateAndRoll;
        private long bytes;
        private boolean isKilled;

        Pump(final JournalMirror mirror, final Random random, final int maxPieceLength)
        {
            this.mirror = mirror;
            this.random = random;
            this.maxPieceLength = maxPieceLength;
        }

        /**
         * @return true when everything was delivered, false when killed.
         */
        boolean drain(final JournalSource source)
        {
            while (!isKilled && source.poll(this, 1 + random.nextInt(4096)) > 0)
            {
                if (random.nextInt(64) == 0)
                {
                    mirror.force(); // rolled segments too
                }
            }
            return !isKilled;
        }

        public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
        {
            int sent = 0;
            while (sent < length && !isKilled)
            {
                final int piece = Math.min(length - sent, 8 * (1 + random.nextInt(Math.max(1, maxPieceLength / 8))));
                assertEquals(position + sent + piece, mirror.write(position + sent, buffer, offset + sent, piece));
                if (random.nextInt(4) == 0)
                {
                    final int back = Math.min(sent + piece, 8 * random.nextInt(16));
                    assertEquals(mirror.receivedPosition(), mirror.write(
                        position + sent + piece - back, buffer, offset + sent + piece - back, back));
                }
                sent += piece;
                bytes += piece;
                isKilled = bytes >= killAfterBytes && !killBetweenCreateAndRoll;
            }
        }

        public void onRoll(
            final long markerPosition,
            final DirectBuffer seal,
            final int sealOffset,
            final int sealLength,
            final long nextBase,
            final DirectBuffer nextHeader,
            final int headerOffset)
        {
            if (isKilled)
            {
                return;
            }
            if (killBetweenCreateAndRoll && bytes >= killAfterBytes)
            {
                ChannelMirror.create(JournalDescriptor.segmentPath(mirror.folder(), nextBase), nextHeader, headerOffset)
                    .close();
                isKilled = true;
                return;
            }
            assertEquals(nextBase, mirror.roll(
                markerPosition, seal, sealOffset, sealLength, nextBase, nextHeader, headerOffset));
            assertEquals(nextBase, mirror.roll(
                markerPosition, seal, sealOffset, sealLength, nextBase, nextHeader, headerOffset), "idempotent");
        }
    }
}
