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
import org.agrona.concurrent.Agent;
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
import org.kekbit.samples.orderbook.ReportRecovery;

/**
 * The replicated roles of {@link OrderBookService}: a leader that serves its image's journal over Aeron, and a hot
 * standby that mirrors it, keeps its own order book and snapshots from the mirror, and takes over when the leader
 * dies.
 * <ul>
 * <li><b>Leader</b> ({@code --serve HOST:PORT}): the service as without replication, plus two
 * {@link ReplicationSource}s, a thread each, serving the image's journal folder (the commands) and the reports journal
 * (the outputs, streams {@link #REPORTS_CONTROL_STREAM_ID} and {@link #REPORTS_DATA_STREAM_ID}), and a subscription on
 * the same control endpoint (stream {@link #LIVENESS_STREAM_ID}) that standbys watch. It prints the state line once
 * the orders are done and then serves until it is stopped (Ctrl-C or kill).</li>
 * <li><b>Standby</b> ({@code --standby-of HOST:PORT}): two {@link ReplicationSink}s (a thread each) mirror the leader's
 * journal into this image folder's journal and its reports journal into this folder's reports journal, a
 * {@link StandbyImage} applies the command mirror to an order book of its own and writes the snapshots (the main
 * thread). It prints {@code standby following=HOST:PORT resumed=<p> reports-resumed=<p> snapshot=<s> applied=<p>
 * standby-digest=<hex>} once it hears the leader: where the two mirrors resumed (0 on an empty folder), the snapshot
 * its book recovered from and that book. Killed and restarted on its folder, it resumes all three.
 * The leader is judged dead when an Aeron publication to its liveness stream, connected before, has heard no status
 * message from it for {@code --takeover-after-ms} (Aeron's publication connection timeout): the standby then closes
 * the sinks, applies what the command mirror holds, closes, cuts the reports mirror back to the last report of a
 * command it has ({@link ReportRecovery#cutAfter}: the two mirrors are replicated apart, so the reports can be ahead),
 * and launches the image on its folder, whose journal writer resumes the mirror; the reports the reports mirror lacks
 * are then rebuilt. It prints {@code takeover standby-digest=<hex> mirrored=<p> state-digest=<hex> position=<p>
 * snapshot=<s> replayed=<bytes> handed-over=<true|false> recovery-snapshot=<p> reports-cut=<n> reports-rebuilt=<n>
 * takeover-ms=<ms> drain-ms=<ms> launch-ms=<ms> reports-ms=<ms>} (the standby's book at the end of the mirror, then
 * the new leader's: the standby's handed over to the launch ({@link SystemImage.Context#takeOverFrom}), or recovered
 * from the newest snapshot and the mirror when the standby lagged; the reports cut from the mirror and rebuilt; then
 * the pause from the leader judged dead to the first command the new leader can take, and its parts, reports-ms being
 * the cut and the rebuild), generates {@code --orders N} orders and prints the state line; with {@code --serve} it
 * then serves as a leader.</li>
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
     * Control stream id of the reports journal's replication, on the same endpoint as the commands' (which use the
     * defaults, {@link org.kekbit.replication.ReplicationContext#DEFAULT_CONTROL_STREAM_ID} and its data stream).
     */
    static final int REPORTS_CONTROL_STREAM_ID = 1102;

    /**
     * Data stream id of the reports journal's replication.
     */
    static final int REPORTS_DATA_STREAM_ID = 1103;

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

    /**
     * For tests, a system property naming a file: while the file exists, a standby does not run its command mirror's
     * sink (the reports mirror's runs on), so the reports mirror gets ahead of the commands' before the leader is
     * killed, as it can by chance.
     */
    static final String PAUSE_COMMANDS_FILE_PROPERTY = "kekbit.standbyPauseCommandsFile";

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
        final Path reportsMirror = options.dir.resolve(OrderBookService.REPORTS_FOLDER);
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
            final ReplicationSink reportsSink = reportsSink(driver, options.standbyOf, reportsMirror, sink);
            final String pauseFile = System.getProperty(PAUSE_COMMANDS_FILE_PROPERTY);
            final Agent commandsAgent = null == pauseFile ? sink : new PausedWhileFileExists(sink, Path.of(pauseFile));
            // A thread each: the reports are about 3.5 times the commands' bytes, and must not slow their mirror.
            final AgentRunner sinkRunner = new AgentRunner(
                idleStrategy(), Throwable::printStackTrace, null, commandsAgent);
            final AgentRunner reportsSinkRunner = new AgentRunner(
                idleStrategy(), Throwable::printStackTrace, null, reportsSink);
            StandbyImage standby = null;
            ExclusivePublication liveness = null;
            try
            {
                // A restarted standby resumes its own mirrors at their last committed records, and its book from its
                // newest complete snapshot: say where, and the book it recovered, for whoever checks the restart.
                final long resumed = sink.receivedPosition();
                final long reportsResumed = reportsSink.receivedPosition();
                standby = new StandbyImage(ctx);
                final String following = String.format("standby following=%s resumed=%d reports-resumed=%d " +
                    "snapshot=%d applied=%d standby-digest=%016x", options.standbyOf, resumed, reportsResumed,
                    standby.recoveredSnapshotPosition(), standby.appliedPosition(),
                    standby.stateMachine().stateDigest());
                liveness = driver.aeron().addExclusivePublication(
                    controlChannel(options.standbyOf), LIVENESS_STREAM_ID);
                AgentRunner.startOnThread(sinkRunner);
                AgentRunner.startOnThread(reportsSinkRunner);
                followUntilLeaderDies(out, following, sink, reportsSink, standby, liveness);
                deadNs = System.nanoTime();

                // The leader is gone: nothing more comes. Stop the mirrors' writers, then apply what they committed.
                CloseHelper.closeAll(sinkRunner, reportsSinkRunner);
                while (standby.doWork() > 0)
                {
                    // to the mirror's end
                }
                takeoverLine = String.format("standby-digest=%016x mirrored=%d", standby.stateMachine().stateDigest(),
                    standby.appliedPosition());
            }
            finally
            {
                CloseHelper.closeAll(liveness, standby, sinkRunner, reportsSinkRunner);
            }
            handOver = standby; // its book is at the mirror's end: the launch takes it over, no snapshot or replay
            drainedNs = System.nanoTime();
        }

        // The reports mirror may hold reports of commands the command mirror lacks (replicated apart): the new
        // leader numbers its next reports from its book's lastExecId on, so those go before its output is written.
        final long lastExecId = ((OrderBook)handOver.stateMachine()).lastExecId();
        final long reportsCut = ReportRecovery.cutAfter(reportsMirror, lastExecId);
        final long cutNs = System.nanoTime();
        final Takeover takeover = new Takeover(takeoverLine, handOver, reportsCut, deadNs, drainedNs, cutNs, out);
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

                    public void recovered(final SystemImage image, final long reportsRebuilt)
                    {
                        takeover.recovered(image, reportsRebuilt);
                        super.recovered(image, reportsRebuilt);
                    }
                });
            }
        }
    }

    /**
     * The sink of the leader's reports journal, beside the commands' sink (closed when this one cannot be made).
     */
    private static ReplicationSink reportsSink(
        final EmbeddedMediaDriver driver, final String leader, final Path mirror, final ReplicationSink commandsSink)
    {
        try
        {
            return new ReplicationSink(new ReplicationSink.Context()
                .aeron(driver.aeron())
                .controlEndpoint(leader)
                .controlStreamId(REPORTS_CONTROL_STREAM_ID)
                .dataStreamId(REPORTS_DATA_STREAM_ID)
                .mirrorDir(mirror));
        }
        catch (final RuntimeException ex)
        {
            commandsSink.close();
            throw ex;
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
        final ReplicationSink reportsSink,
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
            if (reportsSink.isFailed())
            {
                throw new IllegalStateException("the leader refused this standby's reports mirror: " +
                    reportsSink.failure());
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
     * For tests ({@link #PAUSE_COMMANDS_FILE_PROPERTY}): an agent whose duty cycle does nothing while a file exists,
     * looked for once a millisecond.
     */
    private static final class PausedWhileFileExists implements Agent
    {
        private static final long CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

        private final Agent agent;
        private final Path file;
        private long nextCheckNs = System.nanoTime();
        private boolean isPaused;

        PausedWhileFileExists(final Agent agent, final Path file)
        {
            this.agent = agent;
            this.file = file;
        }

        public int doWork() throws Exception
        {
            final long nowNs = System.nanoTime();
            if (nowNs - nextCheckNs >= 0)
            {
                nextCheckNs = nowNs + CHECK_INTERVAL_NS;
                isPaused = Files.exists(file);
            }
            return isPaused ? 0 : agent.doWork();
        }

        public void onClose()
        {
            agent.onClose();
        }

        public String roleName()
        {
            return agent.roleName();
        }
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

        public void recovered(final SystemImage image, final long reportsRebuilt)
        {
            // Served from launch: a standby catches up while the orders run. The reports journal exists by now.
            final ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
                .aeron(driver.aeron())
                .controlEndpoint(options.serve)
                .channelPath(ImageDescriptor.journalFolder(options.dir)));
            final ReplicationSource reportsSource;
            try
            {
                reportsSource = new ReplicationSource(new ReplicationSource.Context()
                    .aeron(driver.aeron())
                    .controlEndpoint(options.serve)
                    .controlStreamId(REPORTS_CONTROL_STREAM_ID)
                    .dataStreamId(REPORTS_DATA_STREAM_ID)
                    .channelPath(options.dir.resolve(OrderBookService.REPORTS_FOLDER)));
            }
            catch (final RuntimeException ex)
            {
                source.close();
                throw ex;
            }
            final Subscription liveness = driver.aeron().addSubscription(
                controlChannel(options.serve), LIVENESS_STREAM_ID);
            // A thread each, as on the standby: the reports' larger stream must not hold the commands' back.
            final AgentRunner runner = new AgentRunner(idleStrategy(), Throwable::printStackTrace, null, source);
            final AgentRunner reportsRunner = new AgentRunner(
                idleStrategy(), Throwable::printStackTrace, null, reportsSource);
            AgentRunner.startOnThread(runner);
            AgentRunner.startOnThread(reportsRunner);
            // Both live until the process stops: the leader never stops serving on its own.
            Runtime.getRuntime().addShutdownHook(
                new Thread(() -> CloseHelper.closeAll(runner, reportsRunner, liveness)));
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
        private final long reportsCut;
        private final long deadNs;
        private final long drainedNs;
        private final long cutNs;
        private final PrintStream out;
        private long launchedNs;

        Takeover(
            final String standbyLine,
            final StandbyImage standby,
            final long reportsCut,
            final long deadNs,
            final long drainedNs,
            final long cutNs,
            final PrintStream out)
        {
            this.standbyLine = standbyLine;
            this.standby = standby;
            this.reportsCut = reportsCut;
            this.deadNs = deadNs;
            this.drainedNs = drainedNs;
            this.cutNs = cutNs;
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

        public void recovered(final SystemImage image, final long reportsRebuilt)
        {
            final long readyNs = System.nanoTime();
            final long snapshot = image.recoveredSnapshotPosition();
            out.println("takeover " + standbyLine + " " + OrderBookService.stateLine(image) + " snapshot=" +
                snapshot + " replayed=" + (image.position() - Math.max(0, snapshot)) + " handed-over=" +
                (image.stateMachine() == standby.stateMachine()) + " recovery-snapshot=" +
                image.recoverySnapshotPosition() + " reports-cut=" + reportsCut + " reports-rebuilt=" +
                reportsRebuilt + " takeover-ms=" + millis(readyNs - deadNs) + " drain-ms=" +
                millis(drainedNs - deadNs) + " launch-ms=" + millis(launchedNs - cutNs) + " reports-ms=" +
                millis(cutNs - drainedNs + readyNs - launchedNs));
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
