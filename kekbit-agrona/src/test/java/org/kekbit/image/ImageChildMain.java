package org.kekbit.image;

import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A system image in a child JVM for {@link ImageCrashTest}: it launches (recovering), prints
 * {@code READY position=P digest=D snapshot=S recoverySnapshot=R replayed=B}, then submits commands as fast as it can,
 * with shadow snapshots every few segments of a state large enough that a snapshot takes a while, until it is killed.
 * With a second argument {@value #HALT_IN_SNAPSHOT} it dies ({@code Runtime.halt}, as a kill -9) inside the first
 * snapshot it writes, after its records and before its END marker: in launch, that is the recovery snapshot. With
 * {@value #FILL} it takes no snapshot and dies once the journal is three recovery thresholds long, printing
 * {@code FILLED position=P} (the journal of a process that is gone, as another process's launch needs it).
 */
public final class ImageChildMain
{
    static final int KEYS = 40_000;
    static final String HALT_IN_SNAPSHOT = "halt-in-snapshot";
    static final String FILL = "fill";

    private ImageChildMain()
    {
    }

    static SystemImage.Context context(final Path folder)
    {
        return new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotIntervalBytes(48 * 1024)
            .snapshotsKept(2)
            .retainedSegments(4)
            .snapshotInitialCapacity(4096)
            .segmentCapacity(32 * 1024)
            .preTouch(false)
            .forcePolicy(SystemImage.ForcePolicy.NONE);
    }

    /**
     * Run the image until killed.
     *
     * @param args the image folder.
     */
    public static void main(final String[] args)
    {
        try
        {
            final SystemImage.Context ctx = context(Path.of(args[0]));
            final String mode = args.length > 1 ? args[1] : "";
            final long fillTo = 3 * ctx.recoverySnapshotThresholdBytes();
            if (HALT_IN_SNAPSHOT.equals(mode))
            {
                ctx.stateMachineSupplier(HaltInSnapshot::new);
            }
            else if (FILL.equals(mode))
            {
                ctx.snapshotMode(SystemImage.SnapshotMode.INLINE).snapshotIntervalBytes(0);
            }
            final SystemImage image = SystemImage.launch(ctx);
            System.out.println("READY position=" + image.position() + " digest=" + image.stateMachine().stateDigest() +
                " snapshot=" + image.recoveredSnapshotPosition() + " recoverySnapshot=" +
                image.recoverySnapshotPosition() + " replayed=" +
                (image.position() - Math.max(0, image.recoveredSnapshotPosition())));
            System.out.flush();
            final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);
            long i = image.position() / 32;
            while (true)
            {
                final long key = (i * 7919) % KEYS;
                LedgerStateMachine.encode(command, 0, key, i, i);
                final long position = image.submit(0 == i % 11 ? LedgerStateMachine.REMOVE : LedgerStateMachine.ADD,
                    command, 0, LedgerStateMachine.COMMAND_LENGTH);
                if (position < 0)
                {
                    throw new IllegalStateException("submit failed: " + position);
                }
                image.doWork();
                i++;
                if (FILL.equals(mode) && position > fillTo)
                {
                    System.out.println("FILLED position=" + position);
                    System.out.flush();
                    Runtime.getRuntime().halt(9);
                }
            }
        }
        catch (final Throwable ex)
        {
            System.out.println("ERROR " + ex);
            ex.printStackTrace(System.out);
            System.exit(1);
        }
    }

    /**
     * A ledger whose process dies in the middle of writing its first snapshot.
     */
    static final class HaltInSnapshot implements StateMachine
    {
        private final LedgerStateMachine ledger = new LedgerStateMachine();

        public void apply(
            final long position, final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            ledger.apply(position, msgTypeId, buffer, offset, length);
        }

        public void writeSnapshot(final SnapshotWriter writer)
        {
            ledger.writeSnapshot(writer);
            System.out.println("HALT snapshot=" + writer.position() + " records=" + writer.recordCount());
            System.out.flush();
            Runtime.getRuntime().halt(9);
        }

        public void loadSnapshot(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            ledger.loadSnapshot(msgTypeId, buffer, offset, length);
        }

        public long stateDigest()
        {
            return ledger.stateDigest();
        }
    }
}
