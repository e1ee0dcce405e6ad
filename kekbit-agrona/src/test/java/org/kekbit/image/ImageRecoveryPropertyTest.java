package org.kekbit.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For random command sequences with snapshots requested at random moments: the digest of the live state equals the
 * digest after recovery from every snapshot taken (loaded, then the journal replayed after it) and after a replay of
 * the whole journal from an empty state, and a relaunch recovers it too. Segments of 4 KiB roll every ~120 commands
 * and snapshot files start at 256 bytes, so rolls and snapshot growth are part of every long sequence.
 */
class ImageRecoveryPropertyTest
{
    private static final int SNAPSHOT = -1;

    /**
     * One step: a command (type, key, amount) or, with type {@link #SNAPSHOT}, a snapshot request.
     */
    static final class Step
    {
        final int type;
        final long key;
        final long amount;

        Step(final int type, final long key, final long amount)
        {
            this.type = type;
            this.key = key;
            this.amount = amount;
        }

        public String toString()
        {
            return SNAPSHOT == type ? "snapshot" : type + ":" + key + ":" + amount;
        }
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        final Arbitrary<Step> command = Combinators.combine(
            Arbitraries.of(LedgerStateMachine.SET, LedgerStateMachine.ADD, LedgerStateMachine.REMOVE, 9),
            Arbitraries.longs().between(0, 40),
            Arbitraries.longs().between(-1000, 1000)).as(Step::new);
        final Arbitrary<Step> snapshot = Arbitraries.just(new Step(SNAPSHOT, 0, 0));
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(30, command),
            net.jqwik.api.Tuple.of(1, snapshot)).list().ofMaxSize(600);
    }

    @Property(tries = 40)
    void shouldRecoverLiveDigestFromEverySnapshotAndFromEmpty(
        @ForAll("steps") final List<Step> steps, @ForAll final boolean shadow) throws Exception
    {
        final Path folder = Files.createTempDirectory("kekbit-image-property");
        try
        {
            check(folder, steps, shadow);
        }
        finally
        {
            deleteRecursively(folder);
        }
    }

    private static void check(final Path folder, final List<Step> steps, final boolean shadow) throws Exception
    {
        final SystemImage.Context ctx = new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotMode(shadow ? SystemImage.SnapshotMode.SHADOW : SystemImage.SnapshotMode.INLINE)
            .snapshotIntervalBytes(0)
            .snapshotsKept(Integer.MAX_VALUE)
            .snapshotInitialCapacity(256)
            .segmentCapacity(4096)
            .maxRecordLength(64)
            .preTouch(false)
            .forcePolicy(SystemImage.ForcePolicy.NONE);
        final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);
        final long liveDigest;
        final long end;
        try (SystemImage image = SystemImage.launch(ctx))
        {
            long timeNs = 0;
            for (final Step step : steps)
            {
                if (SNAPSHOT == step.type)
                {
                    image.requestSnapshot();
                }
                else
                {
                    LedgerStateMachine.encode(command, 0, step.key, step.amount, timeNs += 17);
                    assertTrue(image.submit(step.type, command, 0, LedgerStateMachine.COMMAND_LENGTH) > 0);
                }
                image.doWork();
            }
            while (image.shadowPosition() < image.position() ||
                (shadow && image.snapshotPosition() < lastRequested(steps, image)))
            {
                Thread.onSpinWait(); // the shadow catches up with the last request
                assertEquals(0, image.snapshotFailureCount(), () -> String.valueOf(image.lastSnapshotFailure()));
            }
            liveDigest = image.stateMachine().stateDigest();
            end = image.position();
        }

        final Path journal = ImageDescriptor.journalFolder(folder);
        final LedgerStateMachine fromEmpty = new LedgerStateMachine();
        SystemImage.replay(ctx, journal, fromEmpty, 0, end);
        assertEquals(liveDigest, fromEmpty.stateDigest(), "replay from empty");

        final List<SnapshotFile> snapshots = ImageFolder.snapshots(folder);
        for (final SnapshotFile snapshot : snapshots)
        {
            assertEquals(SnapshotFile.Status.COMPLETE, snapshot.status(), snapshot::toString);
            final LedgerStateMachine recovered = new LedgerStateMachine();
            ImageFolder.load(snapshot.path(), recovered);
            SystemImage.replay(ctx, journal, recovered, snapshot.position(), end);
            assertEquals(liveDigest, recovered.stateDigest(), "recovered from " + snapshot);
        }

        try (SystemImage image = SystemImage.launch(ctx))
        {
            assertEquals(snapshots.isEmpty() ? -1 : snapshots.get(snapshots.size() - 1).position(),
                image.recoveredSnapshotPosition());
            assertEquals(liveDigest, image.stateMachine().stateDigest(), "relaunched");
        }
    }

    /**
     * Position of the last snapshot request, as the image saw it: 0 when none.
     */
    private static long lastRequested(final List<Step> steps, final SystemImage image)
    {
        return steps.stream().anyMatch(step -> SNAPSHOT == step.type) ? lastRequestPosition(steps, image) : -1;
    }

    private static long lastRequestPosition(final List<Step> steps, final SystemImage image)
    {
        // Each command is 24 bytes + 8 header = 32 bytes, and a 4 KiB segment holds 128 of them with no gap, so the
        // position after n commands is 32 n.
        long commands = 0;
        long atLastRequest = 0;
        for (final Step step : steps)
        {
            if (SNAPSHOT == step.type)
            {
                atLastRequest = commands;
            }
            else
            {
                commands++;
            }
        }
        return 32 * atLastRequest;
    }

    static void deleteRecursively(final Path folder) throws IOException
    {
        try (Stream<Path> files = Files.walk(folder))
        {
            final List<Path> all = new ArrayList<>();
            files.sorted(Comparator.reverseOrder()).forEach(all::add);
            for (final Path file : all)
            {
                Files.deleteIfExists(file);
            }
        }
    }
}
