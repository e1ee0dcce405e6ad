package org.kekbit.replication;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * A follower in a JVM of its own, for the tests that kill it:
 * {@code SinkMain AERON_DIR CONTROL_ENDPOINT MIRROR_DIR [DATA_ENDPOINT [LOSS_RATE SEED [IMAGE_LIVENESS_MS]]]}.
 * Runs until the mirror holds the leader's end marker and has acknowledged it, then exits 0; exits 1 when rejected.
 */
public final class SinkMain
{
    private SinkMain()
    {
    }

    /**
     * Run the sink.
     *
     * @param args the aeron directory, the leader's control endpoint, the mirror folder and, optionally, the local
     *             data endpoint (loopback by default), the fraction of data frames its driver drops, the loss
     *             generator's seed and how long its driver keeps the image of a leader it no longer hears from.
     */
    public static void main(final String[] args)
    {
        final Path aeronDir = Paths.get(args[0]);
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 100_000);
        final double lossRate = args.length > 4 ? Double.parseDouble(args[4]) : 0;
        final long lossSeed = args.length > 5 ? Long.parseLong(args[5]) : 0;
        final long imageLivenessNs = args.length > 6 ? TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[6])) : 0;
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(aeronDir, lossRate, lossSeed, imageLivenessNs);
            ReplicationSink sink = new ReplicationSink(new ReplicationSink.Context()
                .aeron(driver.aeron())
                .controlEndpoint(args[1])
                .dataEndpoint(args.length > 3 ? args[3] : ReplicationTestSupport.LOOPBACK + ":0")
                .mirrorDir(Paths.get(args[2]))
                .forceIntervalNs(ReplicationSink.FORCE_EVERY_POLL)))
        {
            System.out.println("following");
            long endedAtNs = 0;
            final StallReport stall = new StallReport(sink::receivedPosition, sink::describe);
            while (!sink.isFailed())
            {
                idle.idle(sink.doWork());
                stall.check();
                if (sink.isEnded() && 0 == endedAtNs)
                {
                    endedAtNs = System.nanoTime();
                }
                if (0 != endedAtNs && System.nanoTime() - endedAtNs > 1_000_000_000L)
                {
                    break; // the last acks went out
                }
            }
            if (sink.isFailed())
            {
                System.out.println("failed: " + sink.failure());
                System.exit(1);
            }
            System.out.println("ended naks=" + driver.naksSent());
        }
    }
}
