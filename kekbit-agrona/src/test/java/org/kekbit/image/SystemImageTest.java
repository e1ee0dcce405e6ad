package org.kekbit.image;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SystemImageTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);

    SystemImage.Context context(final SystemImage.SnapshotMode mode)
    {
        return new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotMode(mode)
            .snapshotIntervalBytes(0)
            .segmentCapacity(64 * 1024)
            .snapshotInitialCapacity(4096)
            .preTouch(false)
            .forcePolicy(SystemImage.ForcePolicy.NONE);
    }

    long submit(final SystemImage image, final int type, final long key, final long amount)
    {
        LedgerStateMachine.encode(command, 0, key, amount, 1_000L * key + amount);
        final long position = image.submit(type, command, 0, LedgerStateMachine.COMMAND_LENGTH);
        assertTrue(position > 0, "submit: " + position);
        return position;
    }

    void submitMany(final SystemImage image, final int from, final int count)
    {
        for (int i = from; i < from + count; i++)
        {
            submit(image, 0 == i % 5 ? LedgerStateMachine.REMOVE : LedgerStateMachine.ADD, i % 97, i);
            image.doWork();
        }
    }

    static LedgerStateMachine ledger(final SystemImage image)
    {
        return (LedgerStateMachine)image.stateMachine();
    }

    @Test
    void shouldApplyJournaledCommandAndReturnJournalPosition()
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            final long first = submit(image, LedgerStateMachine.SET, 7, 100);
            final long second = submit(image, LedgerStateMachine.ADD, 7, 5);
            assertEquals(image.position(), second);
            assertTrue(second > first);
            assertEquals(105, ledger(image).balance(7));
            assertEquals(second, ledger(image).lastPosition(), "apply is given the position after the record");
            assertEquals(-1, image.recoveredSnapshotPosition());
        }
    }

    @Test
    void shouldRecoverByReplayingJournalFromEmptyWhenNoSnapshot()
    {
        final long digest;
        final long position;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 500);
            digest = image.stateMachine().stateDigest();
            position = image.position();
        }
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(-1, image.recoveredSnapshotPosition());
            assertEquals(500, image.replayedRecords());
            assertEquals(position, image.position());
            assertEquals(digest, image.stateMachine().stateDigest());
            submit(image, LedgerStateMachine.SET, 1, 1); // the journal carries on after a detach
            assertTrue(image.position() > position);
        }
    }

    @Test
    void shouldRecoverFromNewestSnapshotThenReplayOnlyJournalAfterIt()
    {
        final long digest;
        final long snapshotPosition;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 300);
            image.requestSnapshot();
            image.doWork();
            snapshotPosition = image.position();
            assertEquals(snapshotPosition, image.snapshotPosition());
            assertEquals(1, image.snapshotCount());
            submitMany(image, 300, 40);
            digest = image.stateMachine().stateDigest();
        }
        assertTrue(Files.exists(ImageDescriptor.snapshotsFolder(folder)
            .resolve(ImageDescriptor.snapshotFileName(snapshotPosition))));
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(snapshotPosition, image.recoveredSnapshotPosition());
            assertEquals(40, image.replayedRecords());
            assertEquals(digest, image.stateMachine().stateDigest());
            assertEquals(340, ledger(image).applied());
        }
    }

    @Test
    @Timeout(30)
    void shouldWriteSnapshotFromShadowInstanceWhileServingThreadGoesOn() throws Exception
    {
        final long digest;
        final long requestedAt;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)))
        {
            submitMany(image, 0, 1000);
            image.requestSnapshot();
            image.doWork();
            requestedAt = image.position();
            submitMany(image, 1000, 10);
            while (image.snapshotPosition() < requestedAt)
            {
                assertEquals(0, image.snapshotFailureCount(), () -> String.valueOf(image.lastSnapshotFailure()));
                TimeUnit.MILLISECONDS.sleep(1);
            }
            assertTrue(image.snapshotPosition() >= requestedAt);
            assertEquals(1, image.snapshotCount());
            digest = image.stateMachine().stateDigest();
        }

        final List<SnapshotFile> snapshots = ImageFolder.snapshots(folder);
        assertEquals(1, snapshots.size(), snapshots::toString);
        assertEquals(SnapshotFile.Status.COMPLETE, snapshots.get(0).status());
        assertTrue(snapshots.get(0).position() >= requestedAt);
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)))
        {
            assertEquals(snapshots.get(0).position(), image.recoveredSnapshotPosition());
            assertEquals(digest, image.stateMachine().stateDigest());
        }
    }

    @Test
    void shouldTakeSnapshotsEveryIntervalOfJournalBytes()
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(4096).snapshotsKept(100)))
        {
            submitMany(image, 0, 1000); // 32 bytes a record: a snapshot every 128 records, checked in each duty cycle
            final long position = image.position();
            final long count = image.snapshotCount();
            assertTrue(count >= position / (4096 + 32) && count <= position / 4096, count + " at " + position);
            assertEquals(image.snapshotCount(), ImageFolder.snapshots(folder).size());
        }
    }

    @Test
    void shouldNeverLoadDamagedSnapshotAndKeepItForInspection() throws IOException
    {
        final long older;
        final long newer;
        final long digest;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 200);
            image.requestSnapshot();
            image.doWork();
            older = image.snapshotPosition();
            submitMany(image, 200, 200);
            image.requestSnapshot();
            image.doWork();
            newer = image.snapshotPosition();
            submitMany(image, 400, 3);
            digest = image.stateMachine().stateDigest();
        }
        final Path newest = ImageDescriptor.snapshotsFolder(folder).resolve(ImageDescriptor.snapshotFileName(newer));
        flipByteInFirstUserRecord(newest);
        assertEquals(SnapshotFile.Status.DAMAGED, ImageFolder.snapshots(folder).get(1).status());

        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(older, image.recoveredSnapshotPosition(), "fell back to the older snapshot");
            assertEquals(digest, image.stateMachine().stateDigest());
        }
        assertFalse(Files.exists(newest));
        final List<String> names = fileNames(ImageDescriptor.snapshotsFolder(folder));
        assertTrue(names.stream().anyMatch(name -> name.startsWith("damaged-" + padded(newer))), names::toString);
    }

    @Test
    void shouldIgnorePartialSnapshotLeftByDeadWriter() throws IOException
    {
        final long digest;
        final long snapshotPosition;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 100);
            image.requestSnapshot();
            image.doWork();
            snapshotPosition = image.snapshotPosition();
            submitMany(image, 100, 100);
            digest = image.stateMachine().stateDigest();
        }
        // A writer killed after its END marker but before linking: a partial that would even verify.
        final Path snapshots = ImageDescriptor.snapshotsFolder(folder);
        Files.copy(snapshots.resolve(ImageDescriptor.snapshotFileName(snapshotPosition)),
            snapshots.resolve(ImageDescriptor.incompleteFileName(ImageDescriptor.PARTIAL_PREFIX, 999_999, 1)));

        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(snapshotPosition, image.recoveredSnapshotPosition());
            assertEquals(digest, image.stateMachine().stateDigest());
        }
        final List<SnapshotFile> listed = ImageFolder.snapshots(folder);
        assertEquals(SnapshotFile.Status.INCOMPLETE, listed.get(listed.size() - 1).status());
    }

    @Test
    void shouldRenameSnapshotAheadOfJournalAndRecoverFromJournal() throws IOException
    {
        final long digest;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 50);
            digest = image.stateMachine().stateDigest();
        }
        try (SystemImage other = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .imageFolder(folder.resolve("other"))))
        {
            submitMany(other, 0, 500);
            other.requestSnapshot();
            other.doWork();
            final Path snapshot = ImageDescriptor.snapshotsFolder(folder.resolve("other"))
                .resolve(ImageDescriptor.snapshotFileName(other.snapshotPosition()));
            Files.copy(snapshot, ImageDescriptor.snapshotsFolder(folder).resolve(snapshot.getFileName()));
        }

        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(-1, image.recoveredSnapshotPosition(), "a snapshot past the journal's end is not loaded");
            assertEquals(digest, image.stateMachine().stateDigest());
        }
    }

    @Test
    void shouldKeepNewestSnapshotsAndProtectJournalFromOldestKept() throws IOException
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .snapshotsKept(2).retainedSegments(1)))
        {
            long previous = -1;
            long oldestKept = -1;
            for (int round = 0; round < 6; round++)
            {
                submitMany(image, round * 2000, 2000); // 80,000 bytes a round: more than one segment
                image.requestSnapshot();
                image.doWork();
                oldestKept = previous;
                previous = image.snapshotPosition();
            }
            final List<SnapshotFile> snapshots = ImageFolder.snapshots(folder);
            assertEquals(List.of(oldestKept, previous),
                snapshots.stream().map(SnapshotFile::position).collect(Collectors.toList()));

            try (JournalReader protecting = JournalReader.open(new JournalReader.Context()
                .folder(ImageDescriptor.journalFolder(folder)).name(SnapshotStore.PROTECTING_READER_NAME)))
            {
                assertEquals(oldestKept, protecting.position(), "the protecting reader's committed position");
            }
            submitMany(image, 100_000, 10);
            final long oldestSegment = oldestSegmentBase();
            assertTrue(oldestSegment > 0, "retention deleted old segments");
            assertTrue(oldestSegment <= oldestKept, "but none the oldest kept snapshot needs: " + oldestSegment);
        }
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertTrue(image.recoveredSnapshotPosition() > 0);
        }
    }

    @Test
    void shouldGrowSnapshotFileWhenStateDoesNotFit()
    {
        final long digest;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .snapshotInitialCapacity(64)))
        {
            for (int i = 0; i < 3000; i++)
            {
                submit(image, LedgerStateMachine.SET, i, i * 3L);
            }
            image.requestSnapshot();
            image.doWork();
            assertEquals(1, image.snapshotCount());
            digest = image.stateMachine().stateDigest();
        }
        final SnapshotFile snapshot = ImageFolder.snapshots(folder).get(0);
        assertEquals(SnapshotFile.Status.COMPLETE, snapshot.status());
        assertTrue(snapshot.dataLength() > 3000 * 16);
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(0, image.replayedRecords());
            assertEquals(digest, image.stateMachine().stateDigest());
        }
    }

    @Test
    void shouldApplyClaimedCommandOnCommitAndNothingOnAbort()
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            final CommandClaim claim = new CommandClaim();
            assertTrue(image.tryClaim(LedgerStateMachine.SET, LedgerStateMachine.COMMAND_LENGTH, claim) > 0);
            LedgerStateMachine.encode(claim.buffer(), claim.offset(), 3, 33, 1);
            final long position = claim.commit();
            assertEquals(image.position(), position);
            assertEquals(33, ledger(image).balance(3));

            assertTrue(image.tryClaim(LedgerStateMachine.SET, LedgerStateMachine.COMMAND_LENGTH, claim) > 0);
            LedgerStateMachine.encode(claim.buffer(), claim.offset(), 3, 44, 2);
            claim.abort();
            assertEquals(33, ledger(image).balance(3));
            assertEquals(position, image.position());
            assertThrows(IllegalStateException.class, claim::commit);
        }
    }

    @Test
    void shouldReturnCodesForTooLongCommandAndClosedImage()
    {
        final SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE).maxRecordLength(64));
        final UnsafeBuffer tooLong = new UnsafeBuffer(new byte[65]);
        assertEquals(SystemImage.RECORD_TOO_LONG, image.submit(1, tooLong, 0, 65));
        assertEquals(0, ledger(image).applied());
        image.close();
        assertEquals(SystemImage.JOURNAL_CLOSED, image.submit(1, command, 0, LedgerStateMachine.COMMAND_LENGTH));
    }

    @Test
    void shouldRefuseSecondLiveImageOnSameFolder()
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)))
        {
            submit(image, LedgerStateMachine.SET, 1, 1);
            final ChannelException ex = assertThrows(ChannelException.class,
                () -> SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)));
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, ex.reason());
        }
    }

    @Test
    void shouldForceJournalByGroupCommit()
    {
        final long[] nowNs = {0};
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .forcePolicy(SystemImage.ForcePolicy.GROUP).forceIntervalNs(1000).nanoClock(() -> nowNs[0])))
        {
            final long position = submit(image, LedgerStateMachine.SET, 1, 1);
            assertNotEquals(position, image.forcedPosition());
            image.doWork();
            assertNotEquals(position, image.forcedPosition(), "not before the interval");
            nowNs[0] += 1000;
            image.doWork();
            assertEquals(position, image.forcedPosition());
        }
    }

    @Test
    @Timeout(30)
    void shouldStopTakingSnapshotsFromShadowWhoseApplyThrew() throws Exception
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)))
        {
            submit(image, LedgerStateMachine.SET, 1, 1);
            LedgerStateMachine.encode(command, 0, 2, 2, 2);
            assertThrows(IllegalStateException.class,
                () -> image.submit(LedgerStateMachine.POISON, command, 0, LedgerStateMachine.COMMAND_LENGTH));
            while (0 == image.snapshotFailureCount())
            {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            submit(image, LedgerStateMachine.SET, 3, 3);
            image.requestSnapshot();
            image.doWork();
            TimeUnit.MILLISECONDS.sleep(50);
            assertEquals(0, image.snapshotCount());
            assertTrue(image.lastSnapshotFailure() instanceof IllegalStateException);
        }
        assertEquals(List.of(), ImageFolder.snapshots(folder));
    }

    @Test
    @Timeout(30)
    void shouldRunShadowOnThreadFromContextsFactory() throws Exception
    {
        final List<Thread> made = new CopyOnWriteArrayList<>();
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)
            .shadowThreadFactory((runnable) ->
            {
                final Thread thread = new Thread(runnable, "low-priority-shadow");
                thread.setPriority(Thread.MIN_PRIORITY);
                made.add(thread);
                return thread;
            })))
        {
            assertEquals(1, made.size(), "the shadow's one thread");
            submitMany(image, 0, 100);
            image.requestSnapshot();
            image.doWork();
            while (0 == image.snapshotCount())
            {
                assertEquals(0, image.snapshotFailureCount(), () -> String.valueOf(image.lastSnapshotFailure()));
                TimeUnit.MILLISECONDS.sleep(1);
            }
            assertTrue(made.get(0).isAlive(), "the shadow runs on it");
        }
        made.get(0).join(10_000);
        assertFalse(made.get(0).isAlive(), "and it ends with the image");
    }

    @Test
    void shouldNameShadowReaderInJournal()
    {
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.SHADOW)))
        {
            submit(image, LedgerStateMachine.SET, 1, 1);
            final ChannelException ex = assertThrows(ChannelException.class, () -> JournalReader.open(
                new JournalReader.Context().folder(ImageDescriptor.journalFolder(folder))
                    .name(ShadowSnapshotAgent.READER_NAME)));
            assertEquals(ChannelException.Reason.READER_ACTIVE, ex.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(SystemImage.SnapshotMode.class)
    @Timeout(30)
    void shouldWriteRecoverySnapshotWhenReplayIsLongerThanThreshold(final SystemImage.SnapshotMode mode)
        throws Exception
    {
        final long digest;
        final long end;
        try (SystemImage image = SystemImage.launch(context(mode)))
        {
            submitMany(image, 0, 500); // 16,000 bytes of journal and no snapshot
            digest = image.stateMachine().stateDigest();
            end = image.position();
        }

        try (SystemImage image = SystemImage.launch(context(mode).recoverySnapshotThresholdBytes(end - 1)))
        {
            assertEquals(-1, image.recoveredSnapshotPosition());
            assertEquals(500, image.replayedRecords());
            assertEquals(end, image.recoverySnapshotPosition());
            assertEquals(end, image.snapshotPosition(), "the shadow starts from it");
            assertEquals(0, image.snapshotCount());
            assertEquals(digest, image.stateMachine().stateDigest());
            final List<SnapshotFile> snapshots = ImageFolder.snapshots(folder);
            assertEquals(1, snapshots.size(), snapshots::toString);
            assertEquals(SnapshotFile.Status.COMPLETE, snapshots.get(0).status());
            assertEquals(end, snapshots.get(0).position());
            assertEquals(end, readerPosition(SnapshotStore.PROTECTING_READER_NAME), "it protects the journal");

            // The image goes on from it: a later snapshot, by the shadow too, holds the same state as the live one.
            submitMany(image, 500, 50);
            image.requestSnapshot();
            image.doWork();
            final long requestedAt = image.position();
            while (image.snapshotPosition() < requestedAt)
            {
                assertEquals(0, image.snapshotFailureCount(), () -> String.valueOf(image.lastSnapshotFailure()));
                TimeUnit.MILLISECONDS.sleep(1);
            }
        }

        try (SystemImage image = SystemImage.launch(context(mode).recoverySnapshotThresholdBytes(end - 1)))
        {
            assertTrue(image.recoveredSnapshotPosition() > end);
            assertEquals(0, image.replayedRecords());
            assertEquals(-1, image.recoverySnapshotPosition(), "no replay, no recovery snapshot");
            assertEquals(550, ledger(image).applied());
        }
    }

    @Test
    void shouldWriteNoRecoverySnapshotWhenReplayIsNotLongerThanThreshold()
    {
        final long end;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 500);
            end = image.position();
        }
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .recoverySnapshotThresholdBytes(end)))
        {
            assertEquals(500, image.replayedRecords());
            assertEquals(-1, image.recoverySnapshotPosition());
            assertEquals(-1, image.snapshotPosition());
        }
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            assertEquals(-1, image.recoverySnapshotPosition(), "snapshots on request only: none by default");
        }
        assertEquals(List.of(), ImageFolder.snapshots(folder));

        // From the interval by default: two intervals of replay and more.
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(end / 2)))
        {
            assertEquals(-1, image.recoverySnapshotPosition(), "exactly two intervals");
        }
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(end / 2 - 32)))
        {
            assertEquals(end, image.recoverySnapshotPosition(), "more than two intervals");
        }
    }

    @Test
    void shouldResolveRecoverySnapshotThresholdAndRejectNegative()
    {
        final SystemImage.Context ctx = context(SystemImage.SnapshotMode.SHADOW);
        assertEquals(Long.MAX_VALUE, ctx.recoverySnapshotThresholdBytes());
        assertEquals(2 * 4096, ctx.snapshotIntervalBytes(4096).recoverySnapshotThresholdBytes());
        assertEquals(0, ctx.recoverySnapshotThresholdBytes(0).recoverySnapshotThresholdBytes());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ctx.recoverySnapshotThresholdBytes(-2).conclude());
        assertTrue(ex.getMessage().contains("recoverySnapshotThresholdBytes=-2"), ex.getMessage());
    }

    @Test
    void shouldRecoverAndRetryWhenRecoverySnapshotFailedPartWay()
    {
        final long digest;
        final long end;
        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)))
        {
            submitMany(image, 0, 500);
            digest = image.stateMachine().stateDigest();
            end = image.position();
        }
        // The state machine fails inside the recovery snapshot: launch fails, the partial file stays.
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> SystemImage.launch(
            context(SystemImage.SnapshotMode.INLINE).recoverySnapshotThresholdBytes(0)
                .stateMachineSupplier(() -> new LedgerStateMachine().failInSnapshot())));
        assertEquals("snapshot failed", ex.getMessage());
        assertEquals(SnapshotFile.Status.INCOMPLETE, ImageFolder.snapshots(folder).get(0).status());

        try (SystemImage image = SystemImage.launch(context(SystemImage.SnapshotMode.INLINE)
            .recoverySnapshotThresholdBytes(0)))
        {
            assertEquals(-1, image.recoveredSnapshotPosition(), "the partial is never loaded");
            assertEquals(digest, image.stateMachine().stateDigest());
            assertEquals(end, image.recoverySnapshotPosition());
        }
    }

    private long readerPosition(final String name)
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(ImageDescriptor.journalFolder(folder)).name(name)))
        {
            return reader.position();
        }
    }

    private long oldestSegmentBase() throws IOException
    {
        try (Stream<Path> files = Files.list(ImageDescriptor.journalFolder(folder)))
        {
            return files.map(file -> org.kekbit.journal.JournalDescriptor.parseSegmentBase(
                file.getFileName().toString())).filter(base -> base >= 0).min(Long::compare).orElseThrow();
        }
    }

    static void flipByteInFirstUserRecord(final Path snapshot) throws IOException
    {
        try (RandomAccessFile file = new RandomAccessFile(snapshot.toFile(), "rw"))
        {
            // header 128, BEGIN record 8 + 32, then the first user record's header 8: its first payload byte.
            final long offset = 128 + 40 + 8;
            file.seek(offset);
            final int value = file.read();
            file.seek(offset);
            file.write(value ^ 0x5A);
        }
    }

    static List<String> fileNames(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(file -> file.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    static String padded(final long position)
    {
        return String.format("%020d", position);
    }
}
