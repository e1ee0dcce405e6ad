package org.kekbit.image;

import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelMirror;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalMirror;
import org.kekbit.journal.JournalSource;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A standby following a journal another writer appends to (as a replication sink does), its snapshots, its restart,
 * and the takeover by a launch on its folder.
 */
class StandbyImageTest
{
    private final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);

    @TempDir
    Path folder;

    @Test
    @Timeout(60)
    void shouldFollowSnapshotRestartAndHandOverToLaunchedImage()
    {
        final SystemImage.Context ctx = context();
        final LedgerStateMachine replica = new LedgerStateMachine();
        long position;

        // The standby starts before the journal has a segment: it waits for it.
        final StandbyImage standby = new StandbyImage(ctx);
        assertEquals(0, standby.doWork());
        assertEquals(-1, standby.snapshotPosition());

        final JournalWriter mirror = JournalWriter.create(new JournalWriter.Context()
            .folder(ImageDescriptor.journalFolder(folder)).segmentCapacity(64 * 1024).preTouch(false));
        try
        {
            position = write(mirror, replica, 0, 10_000);
            while (standby.appliedPosition() < position)
            {
                standby.doWork();
            }
            assertEquals(replica.stateDigest(), standby.stateMachine().stateDigest());
            assertTrue(standby.snapshotCount() >= 2, "a snapshot every 64 KiB: " + standby.snapshotCount());
            assertTrue(ImageFolder.snapshots(folder).size() <= ctx.snapshotsKept(), "the last K are kept");
            standby.close();

            // A standby restarted (its host crashed) recovers from its own newest snapshot and follows on.
            position = write(mirror, replica, 10_000, 3_000);
            try (StandbyImage restarted = new StandbyImage(context()))
            {
                assertTrue(restarted.recoveredSnapshotPosition() > 0);
                assertEquals(standby.snapshotPosition(), restarted.recoveredSnapshotPosition());
                while (restarted.doWork() > 0 || restarted.appliedPosition() < position)
                {
                    // to the end
                }
                assertEquals(position, restarted.appliedPosition());
                assertEquals(replica.stateDigest(), restarted.stateMachine().stateDigest());
            }
        }
        finally
        {
            mirror.detach(); // the mirror's writer stops as a sink closed or killed does
        }

        // Takeover: the image launched on the standby's folder resumes the mirror, recovered as the standby was.
        try (SystemImage image = SystemImage.launch(context()))
        {
            assertEquals(position, image.position());
            assertTrue(image.recoveredSnapshotPosition() > 0);
            assertEquals(replica.stateDigest(), image.stateMachine().stateDigest());
            LedgerStateMachine.encode(command, 0, 7, 1, 1);
            final long next = image.submit(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
            assertTrue(next > position, "serves after the takeover: " + next);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    @Timeout(60)
    void shouldLaunchFromHandedOverStateMachineOnlyWhenAtJournalEnd(final boolean isAtEnd)
    {
        final LedgerStateMachine replica = new LedgerStateMachine();
        final StandbyImage standby = new StandbyImage(context());
        final JournalWriter mirror = JournalWriter.create(new JournalWriter.Context()
            .folder(ImageDescriptor.journalFolder(folder)).segmentCapacity(64 * 1024).preTouch(false));
        long position;
        try
        {
            position = write(mirror, replica, 0, 5_000);
            while (standby.doWork() > 0 || standby.appliedPosition() < position)
            {
                // to the end
            }
            assertThrows(IllegalStateException.class, () -> context().takeOverFrom(standby), "not closed");
            if (!isAtEnd)
            {
                position = write(mirror, replica, 5_000, 700); // the standby lags: its state is not the end's
            }
        }
        finally
        {
            mirror.detach();
        }
        standby.close();
        assertTrue(standby.snapshotPosition() > 0);

        try (SystemImage image = SystemImage.launch(context().takeOverFrom(standby)))
        {
            assertEquals(position, image.position());
            assertEquals(standby.snapshotPosition(), image.recoveredSnapshotPosition());
            if (isAtEnd)
            {
                assertSame(standby.stateMachine(), image.stateMachine(), "handed over");
                assertEquals(0, image.replayedRecords(), "no replay");
            }
            else
            {
                assertNotSame(standby.stateMachine(), image.stateMachine(), "dropped: not at the end");
                assertTrue(image.replayedRecords() >= 700, "recovered as usual: " + image.replayedRecords());
            }
            assertEquals(replica.stateDigest(), image.stateMachine().stateDigest());

            LedgerStateMachine.encode(command, 0, 7, 1, 1);
            final long next = image.submit(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
            assertTrue(next > position, "serves after the takeover: " + next);
            replica.apply(next, LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
            assertEquals(replica.stateDigest(), image.stateMachine().stateDigest());
        }

        // Used once: the next launch recovers from the snapshot and the journal.
        try (SystemImage image = SystemImage.launch(context()))
        {
            assertNotSame(standby.stateMachine(), image.stateMachine());
            assertEquals(replica.stateDigest(), image.stateMachine().stateDigest());
        }
    }

    @Test
    @Timeout(60)
    void shouldHandOverWhenStandbyStoppedAtLastRecordOfSegmentWhoseRollTheLaunchCompleted()
    {
        // The mirror was killed between making the next segment and rolling the current one (and the leader died
        // before it sent the roll again): its current segment ends at its last record L, unrolled, and the next one
        // is there, empty. The standby applied up to L; the launch's resume completes the roll and writes on at the
        // next base B. L and B are one place: the standby's state machine is handed over.
        final Path leader = folder.resolve("leader");
        final Path mirrorFolder = ImageDescriptor.journalFolder(folder);
        final long segmentCapacity = 64 * 1024;
        final StandbyImage standby = new StandbyImage(context());
        final long lastRecordEnd;
        try (JournalWriter writer = JournalWriter.create(new JournalWriter.Context()
                .folder(leader).segmentCapacity(segmentCapacity).preTouch(false));
            JournalSource source = JournalSource.open(leader))
        {
            final LedgerStateMachine ignored = new LedgerStateMachine();
            for (long i = 0; writer.rolls() < 1; i++)
            {
                write(writer, ignored, i, 1);
            }
            final JournalMirror mirror = JournalMirror.open(mirrorFolder);
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            source.headerBytes(header, 0);
            assertTrue(mirror.startSegment(source.segmentBase(), header, 0) >= 0);
            final KilledBeforeRoll pump = new KilledBeforeRoll(mirror);
            while (!pump.isKilled && source.poll(pump, 4096) > 0)
            {
                // the first segment's records, then the kill at its roll
            }
            assertTrue(pump.isKilled);
            lastRecordEnd = mirror.position();
            mirror.close(); // as a kill leaves it
        }
        assertTrue(lastRecordEnd < segmentCapacity);
        assertTrue(Files.exists(JournalDescriptor.segmentPath(mirrorFolder, segmentCapacity)));
        while (standby.doWork() > 0)
        {
            // to the mirror's end
        }
        assertEquals(lastRecordEnd, standby.appliedPosition());
        standby.close();
        assertEquals(lastRecordEnd, ImageFolder.nextBaseWhenRolledAt(mirrorFolder, lastRecordEnd), "not rolled yet");

        try (SystemImage image = SystemImage.launch(context().takeOverFrom(standby)))
        {
            assertEquals(segmentCapacity, image.position(), "the resume completed the roll");
            assertEquals(segmentCapacity, ImageFolder.nextBaseWhenRolledAt(mirrorFolder, lastRecordEnd));
            assertEquals(segmentCapacity, ImageFolder.nextBaseWhenRolledAt(mirrorFolder, segmentCapacity));
            assertSame(standby.stateMachine(), image.stateMachine(), "handed over: one place, two names");
            assertEquals(0, image.replayedRecords());
            final LedgerStateMachine replayed = new LedgerStateMachine();
            SystemImage.replay(context(), mirrorFolder, replayed, 0, image.position());
            assertEquals(replayed.stateDigest(), image.stateMachine().stateDigest());
        }
    }

    @Test
    void shouldRefuseWhenSnapshotsButNoJournal() throws Exception
    {
        final SystemImage.Context ctx = context();
        Files.createDirectories(ImageDescriptor.snapshotsFolder(folder));
        Files.writeString(ImageDescriptor.snapshotsFolder(folder).resolve(ImageDescriptor.snapshotFileName(64)), "x");
        final ChannelException ex = assertThrows(ChannelException.class, () -> new StandbyImage(ctx));
        assertEquals(ChannelException.Reason.TRUNCATED, ex.reason());
    }

    /**
     * Mirrors the leader's records, then dies at the first roll after making the next segment, before rolling.
     */
    private static final class KilledBeforeRoll implements JournalSource.Handler
    {
        private final JournalMirror mirror;
        boolean isKilled;

        KilledBeforeRoll(final JournalMirror mirror)
        {
            this.mirror = mirror;
        }

        public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
        {
            if (isKilled)
            {
                return;
            }
            assertEquals(position + length, mirror.write(position, buffer, offset, length));
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
            if (!isKilled)
            {
                ChannelMirror.create(JournalDescriptor.segmentPath(mirror.folder(), nextBase), nextHeader, headerOffset)
                    .close();
                isKilled = true;
            }
        }
    }

    private SystemImage.Context context()
    {
        return new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotIntervalBytes(64 * 1024)
            .snapshotsKept(2)
            .snapshotInitialCapacity(4096)
            .segmentCapacity(64 * 1024)
            .preTouch(false)
            .snapshotMode(SystemImage.SnapshotMode.INLINE);
    }

    private long write(final JournalWriter mirror, final LedgerStateMachine replica, final long from, final int count)
    {
        long position = -1;
        for (long i = from; i < from + count; i++)
        {
            LedgerStateMachine.encode(command, 0, i % 500, i, i);
            position = mirror.write(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
            assertTrue(position > 0, "write: " + position);
            replica.apply(position, LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
            mirror.doWork();
        }
        return position;
    }
}
