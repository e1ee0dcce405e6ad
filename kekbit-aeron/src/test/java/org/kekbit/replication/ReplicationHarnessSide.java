package org.kekbit.replication;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import org.kekbit.replication.ReplicationHarnessRoles.Outcome;

/**
 * One side of {@link ReplicationHarness}'s two hosts, in a JVM of its own inside a network namespace, started by
 * {@link ReplicationHarnessNetns}: {@code ReplicationHarnessSide leader|follower WORK_DIR name=value...} (the
 * harness's settings for {@link ReplicationHarnessRoles}). Its standard input takes one command a line; its standard
 * output answers:
 * <ul>
 *     <li>{@code clock}: {@code clock NANOTIME} at once, from the thread that reads the input;</li>
 *     <li>{@code run raw|replicated NAME COUNT PACED PORT}: with an embedded media driver of its own in
 *     {@code WORK_DIR/aeron-SIDE-NAME}, the leader sets up the raw publisher to the follower's address and
 *     {@code PORT}, or a journal writer in {@code WORK_DIR/NAME/leader} and its source on the leader's address and
 *     {@code PORT}; the follower the raw subscriber, or the sink into {@code WORK_DIR/NAME/mirror} and a reader of
 *     it. It answers {@code ready NAME} once connected, runs on {@code go}, answers {@code done NAME} and its fields
 *     of the {@link Outcome} once it has sent (seen) every message, goes on with its duty cycle until {@code stop}
 *     (the other side may still need it), then closes and answers {@code closed NAME};</li>
 *     <li>{@code exit}: exits 0.</li>
 * </ul>
 * A failure answers {@code failed} and one line, then its stack trace, and exits 1; so does the end of its input
 * (the harness is gone).
 */
public final class ReplicationHarnessSide
{
    private final String side;
    private final Path work;
    private final ReplicationHarnessRoles roles;
    private final BlockingQueue<String> commands = new LinkedBlockingQueue<>();

    private ReplicationHarnessSide(final String side, final Path work, final ReplicationHarnessRoles roles)
    {
        this.side = side;
        this.work = work;
        this.roles = roles;
    }

    /**
     * Run a side until told to exit.
     *
     * @param args {@code leader} or {@code follower}, the work folder and the harness's settings.
     */
    public static void main(final String[] args)
    {
        try
        {
            if (args.length < 2 || !("leader".equals(args[0]) || "follower".equals(args[0])))
            {
                throw new IllegalArgumentException(
                    "usage: ReplicationHarnessSide leader|follower WORK_DIR name=value...");
            }
            final ReplicationHarness harness =
                new ReplicationHarness(ReplicationHarness.parse(Arrays.copyOfRange(args, 2, args.length)));
            final ReplicationHarnessSide side = new ReplicationHarnessSide(args[0], Paths.get(args[1]), harness.roles);
            side.readInput();
            side.serve();
        }
        catch (final Throwable ex)
        {
            answer("failed " + ex);
            ex.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0);
    }

    private void readInput()
    {
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)))
            {
                String command;
                while (null != (command = input.readLine()))
                {
                    if ("clock".equals(command))
                    {
                        answer("clock " + System.nanoTime());
                    }
                    else
                    {
                        commands.add(command);
                    }
                }
            }
            catch (final IOException ex)
            {
                answer("failed reading the input: " + ex.getMessage());
            }
            answer("failed: the input ended, the harness is gone");
            System.exit(1);
        }, "harness-input");
        reader.setDaemon(true);
        reader.start();
    }

    private void serve() throws InterruptedException
    {
        while (true)
        {
            final String command = commands.take();
            final String[] parts = command.split(" ");
            if ("exit".equals(command))
            {
                return;
            }
            if (6 != parts.length || !"run".equals(parts[0]))
            {
                throw new IllegalArgumentException("unknown command: " + command);
            }
            final String name = parts[2];
            final long count = Long.parseLong(parts[3]);
            final boolean isPaced = Boolean.parseBoolean(parts[4]);
            final int port = Integer.parseInt(parts[5]);
            try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(work.resolve("aeron-" + side + "-" + name),
                0, 0))
            {
                final boolean isLeader = "leader".equals(side);
                if ("replicated".equals(parts[1]))
                {
                    if (isLeader)
                    {
                        lead(driver.aeron(), name, count, isPaced, port);
                    }
                    else
                    {
                        follow(driver.aeron(), name, count, isPaced, port);
                    }
                }
                else if (isLeader)
                {
                    publish(driver.aeron(), name, count, isPaced, port);
                }
                else
                {
                    subscribe(driver.aeron(), name, count, isPaced, port);
                }
            }
            answer("closed " + name);
        }
    }

    private void publish(final Aeron aeron, final String name, final long count, final boolean isPaced, final int port)
    {
        try (ExclusivePublication publication = aeron.addExclusivePublication(
            ReplicationHarnessRoles.rawChannel(TwoHostNamespaces.FOLLOWER_ADDRESS + ":" + port),
            ReplicationHarnessRoles.RAW_STREAM_ID))
        {
            final Outcome outcome = new Outcome();
            measure(name, publication::isConnected, () -> 0, () ->
            {
                outcome.startNs = roles.publish(publication, count, isPaced);
                return outcome.senderFields();
            });
        }
    }

    private void subscribe(
        final Aeron aeron, final String name, final long count, final boolean isPaced, final int port)
    {
        try (Subscription subscription = aeron.addSubscription(
            ReplicationHarnessRoles.rawChannel(TwoHostNamespaces.FOLLOWER_ADDRESS + ":" + port),
            ReplicationHarnessRoles.RAW_STREAM_ID))
        {
            final ReplicationHarnessRoles.Receiver receiver = roles.receiver(count, isPaced);
            measure(name, subscription::isConnected, () -> 0, () ->
            {
                roles.subscribe(subscription, receiver);
                final Outcome outcome = new Outcome();
                receiver.describe(outcome);
                return outcome.receiverFields();
            });
        }
    }

    private void lead(final Aeron aeron, final String name, final long count, final boolean isPaced, final int port)
    {
        try (ReplicationHarnessRoles.Leader leader = roles.leader(aeron, work.resolve(name).resolve("leader"),
            TwoHostNamespaces.LEADER_ADDRESS + ":" + port))
        {
            final Outcome outcome = new Outcome();
            measure(name, leader::isReady, leader::doWork, () ->
            {
                leader.lead(count, isPaced, ReplicationHarnessRoles.leaderStage(isPaced), outcome);
                return outcome.senderFields();
            });
        }
    }

    private void follow(final Aeron aeron, final String name, final long count, final boolean isPaced, final int port)
    {
        try (ReplicationHarnessRoles.Follower follower = roles.follower(aeron,
            TwoHostNamespaces.LEADER_ADDRESS + ":" + port, TwoHostNamespaces.FOLLOWER_ADDRESS + ":0",
            work.resolve(name).resolve("mirror")))
        {
            final ReplicationHarnessRoles.Receiver receiver = roles.receiver(count, isPaced);
            measure(name, follower::isReady, follower::doWork, () ->
            {
                follower.follow(receiver);
                final Outcome outcome = new Outcome();
                follower.describe(receiver, outcome);
                return outcome.receiverFields();
            });
        }
    }

    /**
     * Connect, say ready, run the role on {@code go} and report, then keep the duty cycle until {@code stop}.
     */
    private void measure(
        final String name, final BooleanSupplier isReady, final IntSupplier dutyCycle, final Supplier<String> role)
    {
        roles.pumpUntil(isReady, dutyCycle);
        answer("ready " + name);
        await("go", dutyCycle);
        answer("done " + name + " " + role.get());
        await("stop", dutyCycle);
    }

    private void await(final String expected, final IntSupplier dutyCycle)
    {
        final String[] command = new String[1];
        roles.pumpUntil(() -> null != (command[0] = commands.poll()), dutyCycle);
        if (!expected.equals(command[0]))
        {
            throw new IllegalStateException("expected " + expected + ": actual=" + command[0]);
        }
    }

    private static void answer(final String text)
    {
        System.out.println(text);
        System.out.flush();
    }
}
