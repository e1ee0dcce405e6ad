package org.kekbit.image;

import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shadow's snapshot written in slices of work separated by pauses ({@link SystemImage.Context#shadowSnapshotPauseNs}):
 * the clock is read every {@link SnapshotWriter#PACE_CHECK_RECORDS} records, a pause follows each slice used up, and
 * the snapshot is the same complete snapshot.
 */
class SnapshotPacingTest
{
    private static final int RECORDS = 100 * SnapshotWriter.PACE_CHECK_RECORDS;

    @TempDir
    Path folder;

    @Test
    void shouldPauseAfterEverySliceUsedUp()
    {
        assertEquals(100, pausesWriting(1, 1), "a slice of 1 ns is used up at every clock read");
    }

    @Test
    void shouldReadClockEveryCheckAndPauseOnlyOnceSliceIsUsedUp()
    {
        // The clock moves 1 us a read: a slice of 2.5 us ends at every third check (the read after a pause starts it).
        assertEquals(33, pausesWriting(2_500, 1));
    }

    @Test
    void shouldPaceClaimedRecordsAsWrittenOnes()
    {
        assertEquals(100, pausesWriting(1, 1, true), "a claim is paced when committed");
    }

    @Test
    void shouldNotPauseWhenPauseIsZero()
    {
        assertEquals(0, pausesWriting(1, 0));
    }

    @Test
    void shouldRefuseSliceOrPauseOutOfRangeInOneLine()
    {
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new SystemImage.Context().imageFolder(folder)
                .stateMachineSupplier(LedgerStateMachine::new).shadowSnapshotSliceNs(0).conclude());
        assertEquals("shadowSnapshotSliceNs must be positive and shadowSnapshotPauseNs not negative: " +
            "shadowSnapshotSliceNs=0, shadowSnapshotPauseNs=0", ex.getMessage());
    }

    private long pausesWriting(final long sliceNs, final long pauseNs)
    {
        return pausesWriting(sliceNs, pauseNs, false);
    }

    private long pausesWriting(final long sliceNs, final long pauseNs, final boolean isClaiming)
    {
        final long[] nowNs = {0};
        final NanoClock clock = () -> nowNs[0] += 1_000;
        final SnapshotStore store = new SnapshotStore(folder, 1024 * 1024, SystemEpochClock.INSTANCE, 10, 1024 * 1024);
        store.pacing(clock, sliceNs, pauseNs);
        final ManyRecords state = new ManyRecords();
        state.isClaiming = isClaiming;
        assertEquals(0, store.write(state, 0));
        assertTrue(Files.exists(ImageDescriptor.snapshotsFolder(folder).resolve(ImageDescriptor.snapshotFileName(0))));

        final ManyRecords loaded = new ManyRecords();
        ImageFolder.load(ImageDescriptor.snapshotsFolder(folder).resolve(ImageDescriptor.snapshotFileName(0)), loaded);
        assertEquals(RECORDS, loaded.loadedRecords, "the paced snapshot is complete");
        return store.pauseCount();
    }

    /**
     * Writes {@link #RECORDS} records of 8 bytes.
     */
    private static final class ManyRecords implements StateMachine
    {
        private final UnsafeBuffer record = new UnsafeBuffer(new byte[8]);
        private final SnapshotClaim claim = new SnapshotClaim();
        boolean isClaiming;
        int loadedRecords;

        public void apply(
            final long position, final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
        }

        public void writeSnapshot(final SnapshotWriter writer)
        {
            for (int i = 0; i < RECORDS; i++)
            {
                if (isClaiming)
                {
                    if (!writer.tryClaim(1, 8, claim))
                    {
                        return;
                    }
                    claim.buffer().putLong(claim.offset(), i);
                    claim.commit();
                    continue;
                }
                record.putLong(0, i);
                if (!writer.write(1, record, 0, 8))
                {
                    return;
                }
            }
        }

        public void loadSnapshot(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            assertEquals(loadedRecords, buffer.getLong(offset));
            loadedRecords++;
        }

        public long stateDigest()
        {
            return loadedRecords;
        }
    }
}
