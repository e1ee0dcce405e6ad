package org.kekbit.image;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An image's hot paths (submit, claim and commit, the serving duty cycle between snapshots, group commit on tmpfs or a
 * disk) allocate nothing, measured as the journal's hot path test measures; the state machine is one that allocates
 * nothing itself.
 */
class ImageHotPathAllocationTest
{
    private static final int ITERATIONS = 20_000;
    private static final int MEASURED_RUNS = 5;

    @TempDir
    Path folder;

    @ParameterizedTest
    @EnumSource(value = SystemImage.ForcePolicy.class, names = {"GROUP", "GROUP_ON_AGENT"})
    void shouldAllocateNothingWhenSubmittingClaimingAndRunningDutyCycle(final SystemImage.ForcePolicy forcePolicy)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final UnsafeBuffer command = new UnsafeBuffer(new byte[LedgerStateMachine.COMMAND_LENGTH]);
        final CommandClaim claim = new CommandClaim();

        try (SystemImage image = SystemImage.launch(new SystemImage.Context()
            .imageFolder(folder)
            .stateMachineSupplier(LedgerStateMachine::new)
            .snapshotIntervalBytes(0)
            .segmentCapacity(64 * 1024 * 1024)
            .preTouch(false)
            .forcePolicy(forcePolicy) // GROUP_ON_AGENT: the agent is not run, submit only publishes the position
            .forceIntervalNs(Long.MAX_VALUE)))
        {
            image.doWork(); // the next segment exists: no roll happens in the measured runs
            run(image, command, claim);
            run(image, command, claim);

            long leastAllocated = Long.MAX_VALUE;
            for (int r = 0; r < MEASURED_RUNS && leastAllocated > 0; r++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                run(image, command, claim);
                leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, leastAllocated, "bytes allocated over " + 2 * ITERATIONS + " submits and claims");
        }
    }

    private static void run(final SystemImage image, final UnsafeBuffer command, final CommandClaim claim)
    {
        for (int i = 0; i < ITERATIONS; i++)
        {
            // Keys repeat so the ledger's map stops growing after the warm-up runs.
            LedgerStateMachine.encode(command, 0, i & 63, i, i);
            image.submit(LedgerStateMachine.ADD, command, 0, LedgerStateMachine.COMMAND_LENGTH);
            if (image.tryClaim(LedgerStateMachine.SET, LedgerStateMachine.COMMAND_LENGTH, claim) > 0)
            {
                LedgerStateMachine.encode(claim.buffer(), claim.offset(), i & 63, i, i);
                claim.commit();
            }
            image.doWork();
        }
    }
}
