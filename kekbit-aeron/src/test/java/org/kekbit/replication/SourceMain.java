package org.kekbit.replication;

import java.nio.file.Paths;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * A source in a JVM of its own, for the tests that kill it: {@code SourceMain AERON_DIR CONTROL_ENDPOINT PATH}.
 * Serves the channel until a follower acknowledged its end, then exits 0.
 */
public final class SourceMain
{
    private SourceMain()
    {
    }

    /**
     * Run the source.
     *
     * @param args the aeron directory, the control endpoint and the channel's path.
     */
    public static void main(final String[] args)
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 100_000);
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(Paths.get(args[0]), 0, 0);
            ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
                .aeron(driver.aeron())
                .controlEndpoint(args[1])
                .channelPath(Paths.get(args[2]))
                .termLength(1024 * 1024)
                .maxChunkLength(4096)))
        {
            System.out.println("serving");
            final StallReport stall = new StallReport(source::sentPosition, source::describe);
            while (!source.isEndAcknowledged())
            {
                idle.idle(source.doWork());
                stall.check();
            }
        }
        System.out.println("ended");
    }
}
