package org.kekbit.image;

import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A system image in a child JVM for {@link ImageCrashTest}: it launches (recovering), prints
 * {@code READY position=P digest=D snapshot=S}, then submits commands as fast as it can, with shadow snapshots every
 * few segments of a state large enough that a snapshot takes a while, until it is killed.
 */
public final class ImageChildMain
{
    static final int KEYS = 40_000;

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
            final SystemImage image = SystemImage.launch(context(Path.of(args[0])));
            System.out.println("READY position=" + image.position() + " digest=" + image.stateMachine().stateDigest() +
                " snapshot=" + image.recoveredSnapshotPosition());
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
            }
        }
        catch (final Throwable ex)
        {
            System.out.println("ERROR " + ex);
            ex.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
