package org.kekbit.tool;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelException;
import org.kekbit.replication.EmbeddedMediaDriver;
import org.kekbit.replication.ReplicationSink;
import org.kekbit.replication.ReplicationSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code kekbit replicate serve PATH --control HOST:PORT} and {@code kekbit replicate follow --control HOST:PORT
 * --into DIR}: the two sides of replication over Aeron, each with a media driver embedded in its own
 * {@code aeron.dir} (a fresh temp folder, deleted on exit). Both run until interrupted, or with {@code --until-ended}
 * until the channel ended and its end reached the follower. Status goes to standard output once per interval.
 */
@Command(
    name = "replicate",
    description = "Mirror a channel to another host over Aeron, byte for byte; readers tail the mirror live.")
final class ReplicateCommand implements Callable<Integer>
{
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    /**
     * Called without a subcommand.
     *
     * @return never, it throws.
     */
    public Integer call()
    {
        throw new ToolException(KekbitTool.EXIT_USAGE, "missing subcommand: serve or follow (see 'kekbit replicate " +
            "--help')");
    }

    private static EmbeddedMediaDriver launchDriver(final Path aeronDir, final String what)
    {
        try
        {
            final Path dir = null != aeronDir ? aeronDir : Files.createTempDirectory("kekbit-aeron-" + what + "-");
            return EmbeddedMediaDriver.launch(dir, 0, 0);
        }
        catch (final IOException ex)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot create an aeron.dir: " + ex.getMessage());
        }
    }

    private static ToolException usage(final RuntimeException ex)
    {
        return new ToolException(KekbitTool.EXIT_USAGE, ex.getMessage());
    }

    /**
     * The leader side.
     */
    @Command(name = "serve", description = "Serve a channel, or a journal segment by segment, to followers, " +
        "beside its live writer.")
    static final class Serve implements Callable<Integer>
    {
        private final PrintStream out;

        @Parameters(index = "0", paramLabel = "PATH", description = "Channel file, or journal folder, to serve.")
        private Path path;

        @Option(names = "--control", required = true, paramLabel = "HOST:PORT",
            description = "Endpoint followers say hello to, on this host.")
        private String control;

        @Option(names = "--aeron-dir", paramLabel = "DIR", description = "aeron.dir of the embedded media driver; " +
            "a fresh temp folder by default. Deleted on exit.")
        private Path aeronDir;

        @Option(names = "--max-chunk", paramLabel = "BYTES", converter = Converters.ByteSize.class,
            description = "Longest run of channel bytes per message; longer records go in parts. Default 64k.")
        private long maxChunkLength = ReplicationSource.Context.DEFAULT_MAX_CHUNK_LENGTH;

        @Option(names = "--term-length", paramLabel = "BYTES", converter = Converters.ByteSize.class,
            description = "Term length of each follower's publication, a power of 2. Default 16m.")
        private long termLength = ReplicationSource.Context.DEFAULT_TERM_LENGTH;

        @Option(names = "--until-ended", description = "Exit once the channel ended (the journal was closed) and a " +
            "follower acknowledged its end.")
        private boolean untilEnded;

        @Option(names = "--reader-name", paramLabel = "NAME", description = "Read the journal as this named reader " +
            "(needed for a journal that recycles its segments); its position follows the follower's " +
            "acknowledgements, and one follower at a time is served under it.")
        private String readerName;

        @Option(names = "--protect-retention", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --reader-name new to the journal: the writer's retention deletes nothing the " +
                "follower has not acknowledged (on by default; --no-protect-retention lets a follower that is away " +
                "too long be refused instead).")
        private boolean protectRetention;

        @Option(names = "--commit", paramLabel = "durable|received", description = "Which acknowledged position " +
            "the named reader commits: durable (forced by the follower's --force policy, the default) or received.")
        private String commit = "durable";

        @Option(names = "--idle", paramLabel = "IDLE", converter = IdleOption.class, description = IdleOption.HELP)
        private IdleStrategy idle = IdleOption.defaultIdle();

        @Option(names = "--status-interval", paramLabel = "DURATION", converter = Converters.Duration.class,
            description = "How often to print positions, 0 for never. Default 1s.")
        private long statusIntervalMs = 1000;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        private boolean help;

        Serve(final PrintStream out)
        {
            this.out = out;
        }

        /**
         * Serve until interrupted or, with --until-ended, until the end reached a follower.
         *
         * @return the exit code.
         */
        public Integer call()
        {
            AgronaAccess.check();
            final ReplicationSource.Context ctx = new ReplicationSource.Context()
                .controlEndpoint(control)
                .channelPath(path)
                .maxChunkLength((int)Math.min(Integer.MAX_VALUE, maxChunkLength))
                .termLength((int)Math.min(Integer.MAX_VALUE, termLength))
                .readerName(readerName)
                .protectRetention(protectRetention)
                .commitReceived(commitReceived(commit));
            final EmbeddedMediaDriver driver = launchDriver(aeronDir, "serve");
            ReplicationSource source = null;
            boolean isLooping = false;
            try
            {
                source = new ReplicationSource(ctx.aeron(driver.aeron()));
                out.println("serving " + path + " on " + control + " (aeron.dir " + driver.aeronDirectoryName() + ")");
                out.flush();
                final ReplicationSource running = source;
                isLooping = true; // from here the loop closes the source and the driver
                return Loop.run(idle, running::doWork, () -> untilEnded && running.isEndAcknowledged(),
                    statusIntervalMs,
                    () ->
                    "sent=" + running.sentPosition() + " received=" + running.receivedPosition() + " durable=" +
                    running.durablePosition() + " followers=" + running.followerCount() +
                    (null == running.lastError() ? "" : " last-error=" + running.lastError()), out, running, driver);
            }
            catch (final IllegalArgumentException | ChannelException ex)
            {
                throw usage(ex);
            }
            finally
            {
                if (!isLooping)
                {
                    CloseHelper.closeAll(source, driver); // the loop never started
                }
            }
        }

        private static boolean commitReceived(final String commit)
        {
            if ("durable".equals(commit) || "received".equals(commit))
            {
                return "received".equals(commit);
            }
            throw new ToolException(KekbitTool.EXIT_USAGE, "--commit must be durable or received: actual=" + commit);
        }
    }

    /**
     * The follower side.
     */
    @Command(name = "follow", description = "Keep a mirror of a leader's channel or journal in a folder, live.")
    static final class Follow implements Callable<Integer>
    {
        private final PrintStream out;

        @Option(names = "--control", required = true, paramLabel = "HOST:PORT",
            description = "The leader's control endpoint.")
        private String control;

        @Option(names = "--into", required = true, paramLabel = "DIR",
            description = "Folder of the mirror: a channel root (<hi>/<lo>.kekbit) for a channel, the journal's " +
                "folder itself (its segments) for a journal.")
        private Path into;

        @Option(names = "--channel", paramLabel = "ID", converter = Converters.ChannelId.class,
            description = "Channel to mirror; by default whatever the leader serves.")
        private long channelId;

        @Option(names = "--data", paramLabel = "HOST:PORT", description = "Local endpoint to receive on; by " +
            "default the address toward the leader and a free port.")
        private String data;

        @Option(names = "--force", paramLabel = "never|poll|DURATION", description = "When to force the mirror " +
            "to storage: never (the default: it survives this process's crash, not the host's), poll (after " +
            "every batch), or an interval such as 10ms.")
        private String force = "never";

        @Option(names = "--aeron-dir", paramLabel = "DIR", description = "aeron.dir of the embedded media driver; " +
            "a fresh temp folder by default. Deleted on exit.")
        private Path aeronDir;

        @Option(names = "--until-ended", description = "Exit once the mirror holds the leader's end marker (a " +
            "closed journal's CLOSED marker).")
        private boolean untilEnded;

        @Option(names = "--idle", paramLabel = "IDLE", converter = IdleOption.class, description = IdleOption.HELP)
        private IdleStrategy idle = IdleOption.defaultIdle();

        @Option(names = "--status-interval", paramLabel = "DURATION", converter = Converters.Duration.class,
            description = "How often to print positions, 0 for never. Default 1s.")
        private long statusIntervalMs = 1000;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        private boolean help;

        Follow(final PrintStream out)
        {
            this.out = out;
        }

        /**
         * Follow until interrupted, rejected or, with --until-ended, until the mirror ended.
         *
         * @return the exit code: 1 when the leader rejected this follower.
         */
        public Integer call()
        {
            AgronaAccess.check();
            final ReplicationSink.Context ctx = new ReplicationSink.Context()
                .controlEndpoint(control)
                .mirrorDir(into)
                .channelId(channelId)
                .dataEndpoint(data)
                .forceIntervalNs(forcePolicy(force));
            final EmbeddedMediaDriver driver = launchDriver(aeronDir, "follow");
            ReplicationSink sink = null;
            boolean isLooping = false;
            try
            {
                sink = new ReplicationSink(ctx.aeron(driver.aeron()));
                out.println("following " + control + " into " + into + " (aeron.dir " + driver.aeronDirectoryName() +
                    ")");
                out.flush();
                final ReplicationSink running = sink;
                isLooping = true; // from here the loop closes the sink and the driver
                final long[] endedAtNs = {0};
                final int code = Loop.run(idle, running::doWork, () ->
                {
                    if (running.isFailed())
                    {
                        return true;
                    }
                    if (untilEnded && running.isEnded() && 0 == endedAtNs[0])
                    {
                        endedAtNs[0] = System.nanoTime();
                    }
                    // A moment after the end, so the last acks reach the leader.
                    return 0 != endedAtNs[0] && System.nanoTime() - endedAtNs[0] > TimeUnit.MILLISECONDS.toNanos(500);
                }, statusIntervalMs, () -> "received=" + running.receivedPosition() + " durable=" +
                    running.durablePosition() + " leader=" + running.leaderPosition() + " lag=" +
                    Math.max(0, running.leaderPosition() - running.receivedPosition()) + " mirror=" +
                    running.mirrorPath(), out, running, driver);
                if (running.isFailed())
                {
                    throw new ToolException(KekbitTool.EXIT_FAILED, running.failure());
                }
                return code;
            }
            catch (final IllegalArgumentException | ChannelException ex)
            {
                throw usage(ex);
            }
            finally
            {
                if (!isLooping)
                {
                    CloseHelper.closeAll(sink, driver); // the loop never started
                }
            }
        }

        private static long forcePolicy(final String force)
        {
            if ("never".equals(force))
            {
                return ReplicationSink.FORCE_NEVER;
            }
            if ("poll".equals(force))
            {
                return ReplicationSink.FORCE_EVERY_POLL;
            }
            try
            {
                return TimeUnit.MILLISECONDS.toNanos(new Converters.Duration().convert(force));
            }
            catch (final Exception ex)
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "--force must be never, poll or a duration such as " +
                    "10ms: actual=" + force);
            }
        }
    }

    /**
     * The {@code --idle} option of both sides: how the duty cycle waits when it found nothing to do. Agrona's
     * strategies by their aliases, with the waits in the value.
     */
    static final class IdleOption implements ITypeConverter<IdleStrategy>
    {
        static final String HELP = "How the duty cycle waits when idle: spin (busy: a core at 100%), yield, " +
            "backoff[:MAX_PARK] (spin, yield, then park from 1us up to MAX_PARK, 1ms by default), or " +
            "sleep:DURATION (sleep-ns style: park that long each time). Durations take ns, us, ms or s. Default " +
            "backoff.";

        private static final long DEFAULT_MAX_PARK_NS = 1_000_000;
        private static final String[] UNITS = {"ns", "us", "ms", "s"};
        private static final long[] UNIT_NS = {1, 1_000, 1_000_000, 1_000_000_000};

        static IdleStrategy defaultIdle()
        {
            return backoff(DEFAULT_MAX_PARK_NS);
        }

        public IdleStrategy convert(final String value)
        {
            final String text = value.trim().toLowerCase(Locale.ROOT);
            final int colon = text.indexOf(':');
            final String kind = colon < 0 ? text : text.substring(0, colon);
            final String argument = colon < 0 ? null : text.substring(colon + 1);
            if (null == argument && ("spin".equals(kind) || "busy".equals(kind)))
            {
                return new BusySpinIdleStrategy();
            }
            if (null == argument && "yield".equals(kind))
            {
                return new YieldingIdleStrategy();
            }
            if ("backoff".equals(kind))
            {
                return backoff(null == argument ? DEFAULT_MAX_PARK_NS : durationNs(value, argument, 1_000));
            }
            if (null != argument && ("sleep".equals(kind) || "sleep-ns".equals(kind)))
            {
                return new SleepingIdleStrategy(durationNs(value, argument, 1));
            }
            throw new TypeConversionException("expected spin, yield, backoff, backoff:MAX_PARK or sleep:DURATION " +
                "(such as backoff:100us or sleep:50us), actual='" + value + "'");
        }

        private static IdleStrategy backoff(final long maxParkNs)
        {
            return new BackoffIdleStrategy(100, 10, 1_000, maxParkNs);
        }

        private static long durationNs(final String value, final String text, final long minNs)
        {
            for (int i = 0; i < UNITS.length; i++)
            {
                if (text.endsWith(UNITS[i])) // ns, us and ms before s
                {
                    try
                    {
                        final long amount = Long.parseLong(text.substring(0, text.length() - UNITS[i].length())
                            .replace("_", ""));
                        final long ns = Math.multiplyExact(amount, UNIT_NS[i]);
                        if (ns >= minNs && ns <= UNIT_NS[3])
                        {
                            return ns;
                        }
                    }
                    catch (final NumberFormatException | ArithmeticException ignore)
                    {
                        // reported below
                    }
                    break;
                }
            }
            throw new TypeConversionException("expected a duration from " + minNs + "ns to 1s with a unit (ns, us, " +
                "ms or s), such as 100us, actual='" + value + "'");
        }
    }

    /**
     * The duty cycle both sides run until told to stop: by the condition, or by a signal (the JVM's shutdown hook).
     */
    static final class Loop
    {
        private Loop()
        {
        }

        interface Work
        {
            int doWork();
        }

        interface Condition
        {
            boolean isDone();
        }

        interface Status
        {
            String line();
        }

        /**
         * Run the duty cycle until done or signalled, then close the agent and the driver: here, so that a signal's
         * shutdown hook can wait until the mirror is unmapped and the aeron.dir deleted before the JVM exits.
         */
        static int run(
            final IdleStrategy idle,
            final Work work,
            final Condition isDone,
            final long statusIntervalMs,
            final Status status,
            final PrintStream out,
            final AutoCloseable agent,
            final AutoCloseable driver)
        {
            final AtomicBoolean isStopping = new AtomicBoolean();
            final CountDownLatch closed = new CountDownLatch(1);
            final Thread hook = new Thread(() ->
            {
                isStopping.set(true);
                try
                {
                    closed.await(5, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ignore)
                {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try
            {
                long lastStatusMs = System.currentTimeMillis();
                while (!isDone.isDone() && !isStopping.get())
                {
                    idle.idle(work.doWork());
                    final long nowMs = System.currentTimeMillis();
                    if (statusIntervalMs > 0 && nowMs - lastStatusMs >= statusIntervalMs)
                    {
                        out.println(status.line());
                        out.flush();
                        lastStatusMs = nowMs;
                    }
                }
                out.println(status.line());
                out.flush();
                return KekbitTool.EXIT_OK;
            }
            finally
            {
                CloseHelper.closeAll(agent, driver);
                closed.countDown();
                try
                {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
                catch (final IllegalStateException ignore)
                {
                    // shutting down: the hook is running and waits for the latch, released above
                }
            }
        }
    }
}
