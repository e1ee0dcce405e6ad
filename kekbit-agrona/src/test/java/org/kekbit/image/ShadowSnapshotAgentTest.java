package org.kekbit.image;

import java.nio.file.Path;

import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShadowSnapshotAgentTest
{
    @TempDir
    Path folder;

    @Test
    void shouldSaveItsProgressEveryIntervalWhileBehindRatherThanOnlyAtTheNewestRequest()
    {
        final Path journal = ImageDescriptor.journalFolder(folder);
        final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);
        final int records = 3000;
        final long[] positions = new long[records];
        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context().folder(journal)
            .segmentCapacity(1024 * 1024).preTouch(false)))
        {
            for (int i = 0; i < records; i++)
            {
                LedgerStateMachine.encode(command, 0, i % 7, i, i);
                positions[i] = writer.write(LedgerStateMachine.SET, command, 0, LedgerStateMachine.COMMAND_LENGTH);
                assertTrue(positions[i] > 0);
            }
            final long interval = positions[records - 1] / 4;

            final SnapshotStore store = new SnapshotStore(folder, writer.segmentCapacity(),
                SystemEpochClock.INSTANCE, 10, 4096);
            final ShadowSnapshotAgent shadow = new ShadowSnapshotAgent(new LedgerStateMachine(), store,
                JournalReader.open(new JournalReader.Context().folder(journal)
                    .name(ShadowSnapshotAgent.READER_NAME).protectRetention(false)), null, 0, interval);
            shadow.onStart();
            // The serving thread is far ahead (a shadow restarted behind it) and asks for the newest position.
            shadow.request(positions[records - 1]);
            long lastSnapshot = -1;
            int snapshotsOnTheWay = 0;
            while (shadow.appliedPosition() < positions[records - 1])
            {
                shadow.doWork();
                if (shadow.snapshotPosition() != lastSnapshot && shadow.snapshotCount() > 0)
                {
                    lastSnapshot = shadow.snapshotPosition();
                    snapshotsOnTheWay += lastSnapshot < positions[records - 1] ? 1 : 0;
                }
            }
            shadow.doWork();
            assertTrue(snapshotsOnTheWay >= 3, "snapshots while catching up: " + snapshotsOnTheWay);
            assertEquals(positions[records - 1], shadow.snapshotPosition(), "and one at the request");
            shadow.onClose();
        }
    }
}
