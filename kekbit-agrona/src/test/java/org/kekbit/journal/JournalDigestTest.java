package org.kekbit.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.SEGMENT_CAPACITY;
import static org.kekbit.journal.JournalTestSupport.write;

class JournalDigestTest
{
    @TempDir
    Path root;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldDigestEquallyToSegmentBaseWhetherOrNotEitherJournalMadeThatSegment() throws IOException
    {
        // The leader rolled into its second segment and wrote into it; the copy holds its first segment alone (a
        // mirror that has the seal but not yet the next segment); the fork holds the leader's second segment as if
        // it had made its own: another creation time in the header, as another writer's segment has.
        final Path leader = root.resolve("leader");
        long sequence = 0;
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(leader)))
        {
            while (writer.rolls() < 1 || writer.position() < SEGMENT_CAPACITY + 200)
            {
                assertTrue(write(writer, scratch, sequence++) > 0);
                writer.doWork();
            }
            writer.detach();
        }
        final long base = SEGMENT_CAPACITY;
        final Path copy = root.resolve("copy");
        Files.createDirectories(copy);
        Files.copy(JournalDescriptor.segmentPath(leader, 0), JournalDescriptor.segmentPath(copy, 0));
        final Path fork = root.resolve("fork");
        Files.createDirectories(fork);
        Files.copy(JournalDescriptor.segmentPath(leader, 0), JournalDescriptor.segmentPath(fork, 0));
        Files.copy(JournalDescriptor.segmentPath(leader, base), JournalDescriptor.segmentPath(fork, base));
        try (FileChannel channel = FileChannel.open(JournalDescriptor.segmentPath(fork, base),
            StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer creationTimeMs = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            creationTimeMs.putLong(0, 42L);
            channel.write(creationTimeMs, ChannelHeaderDecoder.creationTimeMsEncodingOffset());
        }
        assertFalse(Files.exists(JournalDescriptor.segmentPath(copy, base)));

        final JournalDigest atBase = JournalDigest.digest(leader, -1, base);
        assertEquals(atBase.digest(), JournalDigest.digest(copy, -1, base).digest());
        assertEquals(atBase.digest(), JournalDigest.digest(fork, -1, base).digest());
        assertEquals(1, atBase.segments());
        assertEquals(base, atBase.position());

        // Past the base each covers its second segment, header included: the fork's differs.
        final long end = JournalDigest.digest(leader, -1, -1).position();
        assertTrue(end > base);
        assertEquals(2, JournalDigest.digest(leader, -1, end).segments());
        assertNotEquals(atBase.digest(), JournalDigest.digest(leader, -1, end).digest());
        assertNotEquals(JournalDigest.digest(leader, -1, end).digest(), JournalDigest.digest(fork, -1, end).digest());
    }

    @Test
    void shouldDigestToCommittedEndAsToItsPositionWhenLastSegmentHasNothingCommitted()
    {
        // A closed journal resumes in a new segment: until a record is written there, the journal ends at its base.
        final Path folder = root.resolve("journal");
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(folder)))
        {
            for (long sequence = 0; sequence < 10; sequence++)
            {
                assertTrue(write(writer, scratch, sequence) > 0);
                writer.doWork();
            }
        }
        final long newBase;
        try (JournalWriter writer = JournalWriter.resume(JournalTestSupport.writerContext(folder)))
        {
            newBase = writer.currentSegmentBase();
            assertTrue(newBase > 0, "a closed journal resumes in a new segment");
            writer.detach();
        }

        final JournalDigest toEnd = JournalDigest.digest(folder, -1, -1);
        assertEquals(newBase, toEnd.position());
        assertEquals(toEnd.digest(), JournalDigest.digest(folder, -1, toEnd.position()).digest());
        assertEquals(toEnd.segments(), JournalDigest.digest(folder, -1, newBase).segments());
    }
}
