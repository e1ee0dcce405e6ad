package org.kekbit.samples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.StandbyImage;
import org.kekbit.image.SystemImage;
import org.kekbit.replication.EmbeddedMediaDriver;
import org.kekbit.replication.ReplicationSink;
import org.kekbit.replication.ReplicationSource;
import org.kekbit.samples.orderbook.OrderBook;

/**
 * The replicated roles of {@link OrderBookService}: a leader that serves its image's journal over Aeron, and a hot
 * standby that mirrors it, keeps its own order book and snapshots from the mirror, and takes over when the leader
 * dies.
 * <ul>
 * <li><b>Leader</b> ({@code --serve HOST:PORT}): the service as without replication, plus a
 * {@link ReplicationSource} serving the image's journal folder on its own thread, and a subscription on the same
 * control endpoint (stream {@link #LIVENESS_STREAM_ID}) that standbys watch. It prints the state line once the orders
 * are done and then serves until it is stopped (Ctrl-C or kill).</li>
 * <li><b>Standby</b> ({@code --standby-of HOST:PORT}): a {@link ReplicationSink} mirrors the leader's journal into
 * this image folder's journal (its own thread), a {@link StandbyImage} applies the mirror to an order book of its own
 * and writes the snapshots (the main thread). It prints {@code standby following=HOST:PORT resumed=<p> snapshot=<s>
 * applied=<p> standby-digest=<hex>} once it hears the leader: where the mirror resumed (0 on an empty folder), the
 * snapshot its book recovered from and that book. Killed and restarted on its folder, it resumes both.
 * The leader is judged dead when an Aeron publication to its liveness stream, connected before, has heard no status
 * message from it for {@code --takeover-after-ms} (Aeron's publication connection timeout): the standby then closes
 * the sink, applies what the mirror holds, closes, and launches the image on its folder, whose journal writer resumes
 * the mirror; it prints {@code takeover standby-digest=<hex> mirrored=<p> state-digest=<hex> position=<p>
 * snapshot=<s> replayed=<bytes> handed-over=<true|false> recovery-snapshot=<p> takeover-ms=<ms> drain-ms=<ms>
 * launch-ms=<ms> reports-ms=<ms>} (the standby's book at the end of the mirror, then the new leader's: the standby's
 * handed over to the launch ({@link SystemImage.Context#takeOverFrom}), or recovered from the newest snapshot and the
 * mirror when the standby lagged; then the pause from the leader judged dead to the first command the new leader can
 * take, and its parts), generates
 * {@code --orders N} orders and prints the state line; with {@code --serve} it then serves as a leader.</li>
 * </ul>
 * A folder whose image ever served ({@link #SERVED_MARKER}) is refused as a standby: its journal may hold a tail the
 * new leader does not have. The replication protocol rejects such a follower too ({@code DIVERGED}, from protocol
 * version 3 on both sides); the marker stays as belt and braces: it refuses before anything connects, also against an
 * older leader, and in the operator's terms.
 * Replication is asynchronous: what the leader had journaled and not yet sent when it died is not in the mirror,
 * and the new leader goes on without it (docs/system-images.md, "Hot standby").
 */
final class OrderBookReplication
{
    /**
     * Stream id, on the leader's control endpoint, of the subscription standbys watch to tell the leader is alive.
     */
    static final int LIVENESS_STREAM_ID = 1109;

    /**
     * Silence after which a standby takes over unless told: 2 s.
     */
    static final long DEFAULT_TAKEOVER_AFTER_MS = 2000;

    /**
     * File an image folder gains before its image first launches as a writer (a leader, a standby that took over, or
     * a service without replication): from then on its journal may hold commands no standby mirrored, so the folder
     * must never follow another leader (a standby refuses it).
     */
    static final String SERVED_MARKER = "served";

    /**
     * What the {@link #SERVED_MARKER} file says, for whoever finds it.
     */
    static final String SERVED_MARKER_TEXT =
        "this image served (it journaled commands of its own): it must not follow another leader\n";

    private static final String CONNECTION_TIMEOUT_PROPERTY = "aeron.publication.connection.timeout";

    private OrderBookReplication()
    {
    }

    /**
     * Run the leader: serve the journal, generate the orders, print the state line, serve until stopped.
     */
    static void lead(final OrderBookService.Options options, final PrintStream out)
    {
        try (EmbeddedMediaDriver driver = launchDriver(options, "leader"))
        {
            OrderBookService.serve(options, Long.MAX_VALUE, new Leader(options, driver, out));
        }
    }

    /**
     * Run the standby until the leader dies, then take over.
     */
    static void standby(final OrderBookService.Options options, final PrintStream out)
    {
        checkNeverServed(options.dir);
        final SystemImage.Context ctx = new SystemImage.Context()
            .imageFolder(options.dir)
            .stateMachineSupplier(OrderBook::new)
            .snapshotIntervalBytes(options.snapshotIntervalBytes);
        final String takeoverLine;
        final StandbyImage handOver;
        final long deadNs;
        final long drainedNs;
        try (EmbeddedMediaDriver driver = launchDriver(options, "standby"))
        {
            final ReplicationSink sink = new ReplicationSink(new ReplicationSink.Context()
                .aeron(driver.aeron())
                .controlEndpoint(options.standbyOf)
                .mirrorDir(ImageDescriptor.journalFolder(options.dir)));
            final AgentRunner sinkRunner = new AgentRunner(
                idleStrategy(), Throwable::printStackTrace, null, sink);
            StandbyImage standby = null;
            ExclusivePublication liveness = null;
            try
            {
                // A restarted standby resumes its own mirror at its last committed record, and its book from its
                // newest complete snapshot: say where, and the book it recovered, for whoever checks the restart.
                final long resumed = sink.receivedPosition();
                standby = new StandbyImage(ctx);
                final String following = String.format("standby following=%s resumed=%d snapshot=%d applied=%d " +
                    "standby-digest=%016x", options.standbyOf, resumed, standby.recoveredSnapshotPosition(),
                    standby.appliedPosition(), standby.stateMachine().stateDigest());
                liveness = driver.aeron().addExclusivePublication(
                    controlChannel(options.standbyOf), LIVENESS_STREAM_ID);
                AgentRunner.startOnThread(sinkRunner);
                followUntilLeaderDies(out, following, sink, standby, liveness);
                deadNs = System.nanoTime();

                // The leader is gone: nothing more comes. Stop the mirror's writer, then apply what it committed.
                CloseHelper.close(sinkRunner);
                while (standby.doWork() > 0)
                {
                    // to the mirror's end
                }
                takeoverLine = String.format("standby-digest=%016x mirrored=%d", standby.stateMachine().stateDigest(),
                    standby.appliedPosition());
            }
            finally
            {
                CloseHelper.closeAll(liveness, standby, sinkRunner);
            }
            handOver = standby; // its book is at the mirror's end: the launch takes it over, no snapshot or replay
            drainedNs = System.nanoTime();
        }

        final Takeover takeover = new Takeover(takeoverLine, handOver, deadNs, drainedNs, out);
        if (null == options.serve)
        {
            out.println(OrderBookService.serve(options, Long.MAX_VALUE, takeover));
        }
        else
        {
            try (EmbeddedMediaDriver driver = launchDriver(options, "leader-after-takeover"))
            {
                OrderBookService.serve(options, Long.MAX_VALUE, new Leader(options, driver, out)
                {
                    public void configure(final SystemImage.Context ctx)
                    {
                        takeover.configure(ctx);
                    }

                    public void launched(final SystemImage image)
                    {
                        takeover.launched(image);
                    }

                    public void recovered(final SystemImage image)
                    {
                        takeover.recovered(image);
                        super.recovered(image);
                    }
                });
            }
        }
    }

    /**
     * Mark an image folder as written by a serving image, before its image launches: durably (written, forced, the
     * folder forced), since a power loss that kept a command this image journaled but lost the marker would let the
     * folder follow another leader.
     *
     * @param imageFolder of the image.
     * @throws org.kekbit.channel.ChannelException with IO_ERROR when the marker cannot be written or forced.
     */
    static void markServed(final Path imageFolder)
    {
        ImageFolder.writeMarker(imageFolder, SERVED_MARKER, SERVED_MARKER_TEXT);
    }

    /**
     * A folder whose image served may hold a journal tail no standby mirrored (a deposed leader's): followed from its
     * end, the mirror would mix two histories. A version 3 leader rejects it (the digest of the bytes before the
     * position differs: {@code DIVERGED}); refuse it here first, before anything connects, and also against a leader
     * that does not check (docs/system-images.md, "Fencing").
     */
    private static void checkNeverServed(final Path imageFolder)
    {
        if (Files.exists(imageFolder.resolve(SERVED_MARKER)))
        {
            throw new IllegalArgumentException("the image in " + imageFolder + " has served (as a leader, or a " +
                "standby that took over): its journal may hold commands the new leader does not have, so it cannot " +
                "follow one; move it aside and start the standby on an empty folder");
        }
    }

    private static void followUntilLeaderDies(
        final PrintStream out,
        final String following,
        final ReplicationSink sink,
        final StandbyImage standby,
        final ExclusivePublication liveness)
    {
        final IdleStrategy idle = idleStrategy();
        boolean heard = false;
        while (true)
        {
            if (sink.isFailed())
            {
                throw new IllegalStateException("the leader refused this standby: " + sink.failure());
            }
            final boolean connected = liveness.isConnected();
            if (connected && !heard)
            {
                heard = true;
                out.println(following);
                out.flush();
            }
            else if (heard && !connected)
            {
                return;
            }
            idle.idle(standby.doWork());
        }
    }

    private static EmbeddedMediaDriver launchDriver(final OrderBookService.Options options, final String role)
    {
        if (null == System.getProperty(CONNECTION_TIMEOUT_PROPERTY))
        {
            // How long a publication stays connected to a receiver it no longer hears from: the standby's detector.
            System.setProperty(CONNECTION_TIMEOUT_PROPERTY, options.takeoverAfterMs + "ms");
        }
        final Path aeronDir;
        try
        {
            aeronDir = null != options.aeronDir ? options.aeronDir.resolve(role) :
                Files.createTempDirectory("kekbit-aeron-orderbook-" + role + "-");
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot create an aeron.dir: " + ex, ex);
        }
        return EmbeddedMediaDriver.launch(aeronDir, 0, 0);
    }

    private static String controlChannel(final String endpoint)
    {
        return new ReplicationSink.Context().controlEndpoint(endpoint).controlChannel();
    }

    private static IdleStrategy idleStrategy()
    {
        return new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * Serves the image's journal from launch, and keeps serving after the orders until the process stops.
     */
    private static class Leader implements OrderBookService.ServeHook
    {
        private final OrderBookService.Options options;
        private final EmbeddedMediaDriver driver;
        private final PrintStream out;

        Leader(final OrderBookService.Options options, final EmbeddedMediaDriver driver, final PrintStream out)
        {
            this.options = options;
            this.driver = driver;
            this.out = out;
        }

        public void recovered(final SystemImage image)
        {
            // Served from launch: a standby catches up while the orders run.
            final ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
                .aeron(driver.aeron())
                .controlEndpoint(options.serve)
                .channelPath(ImageDescriptor.journalFolder(options.dir)));
            final Subscription liveness = driver.aeron().addSubscription(
                controlChannel(options.serve), LIVENESS_STREAM_ID);
            final AgentRunner runner = new AgentRunner(idleStrategy(), Throwable::printStackTrace, null, source);
            AgentRunner.startOnThread(runner);
            // Both live until the process stops: the leader never stops serving on its own.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> CloseHelper.closeAll(runner, liveness)));
        }

        public void generated(final SystemImage image, final String line, final Runnable reports)
        {
            out.println(line);
            out.flush();
            while (!Thread.currentThread().isInterrupted())
            {
                image.doWork();
                reports.run();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    /**
     * Prints the takeover line once the image recovered on the standby's folder, with the takeover's pause: from the
     * moment the leader was judged dead to the moment the new leader can take its first command.
     */
    private static final class Takeover implements OrderBookService.ServeHook
    {
        private final String standbyLine;
        private final StandbyImage standby;
        private final long deadNs;
        private final long drainedNs;
        private final PrintStream out;
        private long launchedNs;

        Takeover(
            final String standbyLine,
            final StandbyImage standby,
            final long deadNs,
            final long drainedNs,
            final PrintStream out)
        {
            this.standbyLine = standbyLine;
            this.standby = standby;
            this.deadNs = deadNs;
            this.drainedNs = drainedNs;
            this.out = out;
        }

        public void configure(final SystemImage.Context ctx)
        {
            ctx.takeOverFrom(standby);
        }

        public void launched(final SystemImage image)
        {
            launchedNs = System.nanoTime();
        }

        public void recovered(final SystemImage image)
        {
            final long readyNs = System.nanoTime();
            final long snapshot = image.recoveredSnapshotPosition();
            out.println("takeover " + standbyLine + " " + OrderBookService.stateLine(image) + " snapshot=" +
                snapshot + " replayed=" + (image.position() - Math.max(0, snapshot)) + " handed-over=" +
                (image.stateMachine() == standby.stateMachine()) + " recovery-snapshot=" +
                image.recoverySnapshotPosition() + " takeover-ms=" + millis(readyNs - deadNs) + " drain-ms=" +
                millis(drainedNs - deadNs) + " launch-ms=" + millis(launchedNs - drainedNs) + " reports-ms=" +
                millis(readyNs - launchedNs));
            out.flush();
        }

        public void generated(final SystemImage image, final String line, final Runnable reports)
        {
        }

        private static String millis(final long ns)
        {
            return String.format(Locale.ROOT, "%.1f", ns / 1e6);
        }
    }
}
