package org.kekbit.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ProcessLiveness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;
import static org.mockito.Mockito.mock;

class JournalNamedReadersTest
{
    private static final long TIMEOUT_MS = 10_000;

    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldStampTheHeartbeatOfANamedReaderThatOnlySeeksOrCommits()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(5_000);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            write(writer, scratch, 0);
        }
        try (JournalReader source = JournalReader.open(
            new JournalReader.Context().folder(folder).name("source").epochClock(clock));
            JournalSource journalSource = JournalSource.open(
                new JournalReader.Context().folder(folder).name("replica").epochClock(clock)))
        {
            final long opened = heartbeatOf("source");
            clock.update(5_000 + TIMEOUT_MS);
            source.seekToEnd();
            assertEquals(opened, heartbeatOf("source"), "a seek stamps nothing");
            source.keepAlive();
            assertEquals(5_000 + TIMEOUT_MS, heartbeatOf("source"));

            clock.update(5_000 + 2 * TIMEOUT_MS);
            source.commit();
            assertEquals(5_000 + 2 * TIMEOUT_MS, heartbeatOf("source"), "a reader that commits is alive");

            journalSource.poll(mock(JournalSource.Handler.class), 4096);
            assertEquals(5_000 + 2 * TIMEOUT_MS, heartbeatOf("replica"), "a replication source's poll stamps it");
        }
    }

    private long heartbeatOf(final String name)
    {
        return JournalNamedReaders.list(folder, 0, TIMEOUT_MS).stream()
            .filter((reader) -> name.equals(reader.name())).findFirst().orElseThrow().heartbeatTimeMs();
    }

    @Test
    void shouldListEveryNameWithPositionCommitTimeLivenessAndProtection()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(5_000);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            for (long sequence = 0; sequence < 20; sequence++)
            {
                write(writer, scratch, sequence);
            }
        }
        try (JournalReader audit = JournalReader.open(
            new JournalReader.Context().folder(folder).name("audit").epochClock(clock)))
        {
            audit.poll((msgTypeId, buffer, offset, length) -> {}, 5);
            clock.update(6_000);
            final long committed = audit.commit();
            JournalReader.open(new JournalReader.Context().folder(folder).name("report").protectRetention(false))
                .close();

            final List<JournalNamedReaders.NamedReader> readers = JournalNamedReaders.list(folder, 6_000, TIMEOUT_MS);

            assertEquals(2, readers.size(), readers.toString());
            final JournalNamedReaders.NamedReader first = readers.get(0);
            assertEquals("audit", first.name());
            assertEquals(committed, first.position());
            assertEquals(6_000, first.commitTimeMs());
            assertEquals(ProcessLiveness.currentPid(), first.ownerPid());
            assertTrue(first.isAlive(), "held by an open reader of this JVM");
            assertTrue(first.protectsRetention());
            final JournalNamedReaders.NamedReader second = readers.get(1);
            assertEquals("report", second.name());
            assertEquals(0, second.position(), "a new name starts at the oldest segment and commits it");
            assertEquals(0, second.ownerPid(), "closed: released");
            assertFalse(second.isAlive());
            assertFalse(second.protectsRetention());
        }
    }

    @Test
    void shouldListNothingAndCreateNothingWhenJournalHasNoPositionsFile()
    {
        assertEquals(List.of(), JournalNamedReaders.list(folder, 0, TIMEOUT_MS));
        assertFalse(JournalNamedReaders.remove(folder, "audit", 0, TIMEOUT_MS));
        assertFalse(Files.exists(folder.resolve(JournalDescriptor.POSITIONS_FILE_NAME)));
    }

    @Test
    void shouldRefuseToRemoveLiveReaderAndFreeItsSlotOnceItIsDead()
    {
        final JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("audit"));
        final long nowMs = System.currentTimeMillis();

        final ChannelException refused = assertThrows(ChannelException.class,
            () -> JournalNamedReaders.remove(folder, "audit", nowMs, TIMEOUT_MS));
        assertEquals(ChannelException.Reason.READER_ACTIVE, refused.reason());
        assertEquals(1, JournalNamedReaders.list(folder, nowMs, TIMEOUT_MS).size(), "still there");

        reader.crash(); // as if killed: the slot still names this process, which no longer holds it
        assertFalse(JournalNamedReaders.list(folder, nowMs, TIMEOUT_MS).get(0).isAlive());
        assertTrue(JournalNamedReaders.remove(folder, "audit", nowMs, TIMEOUT_MS));
        assertEquals(List.of(), JournalNamedReaders.list(folder, nowMs, TIMEOUT_MS));
        assertFalse(JournalNamedReaders.remove(folder, "audit", nowMs, TIMEOUT_MS), "gone");

        try (JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            assertEquals(0, positions.bind("other", true), "the freed slot is bound again first");
            assertEquals(JournalDescriptor.NULL_POSITION, positions.position(0), "nothing of the old name is left");
            assertEquals(0, positions.ownerPid(0));
            assertTrue(positions.claim(0, nowMs, TIMEOUT_MS), "free for a new reader");
            positions.release(0);
        }
        try (JournalReader again = JournalReader.open(new JournalReader.Context().folder(folder).name("audit")))
        {
            assertEquals(1, JournalNamedReaders.list(folder, nowMs, TIMEOUT_MS).stream()
                .filter((named) -> "audit".equals(named.name())).count(), "a removed name can be used again");
            assertEquals(0, again.position());
        }
    }
}
