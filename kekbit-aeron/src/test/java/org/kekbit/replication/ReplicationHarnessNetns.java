package org.kekbit.replication;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.kekbit.replication.ReplicationHarnessRoles.Outcome;

/**
 * {@link ReplicationHarness}'s two hosts on one machine ({@code hosts=netns}, root): {@link TwoHostNamespaces} makes a
 * leader and a follower network namespace joined by a veth pair, and one {@link ReplicationHarnessSide} JVM runs in
 * each, with its own embedded media driver per run. The leader's side sends (journal writer and source, or the raw
 * publisher to {@value TwoHostNamespaces#FOLLOWER_ADDRESS}), the follower's receives (sink and mirror reader, or the
 * raw subscriber); this process drives both through their standard input and reads their answers (see
 * {@link ReplicationHarnessSide} for the lines). Closing kills both JVMs and deletes the namespaces, also when this
 * JVM is stopped by a signal (a shutdown hook).
 * <p>
 * One-way latency subtracts a stamp taken in one namespace from a clock read in the other: both read the machine's
 * one CLOCK_MONOTONIC (network namespaces do not change clocks; only a time namespace would, and
 * {@code ip netns exec} makes none). Checked at the start: this JVM asks each side for its {@link System#nanoTime()}
 * {@value #CLOCK_EXCHANGES} times and bounds the difference by the request's send and the answer's arrival; a side
 * whose clock is outside those bounds fails the run.
 * <p>
 * Not threadsafe.
 */
final class ReplicationHarnessNetns implements ReplicationHarness.Hosts
{
    static final int CLOCK_EXCHANGES = 20;
    private static final int RAW_PORT = 40400;
    private static final int CONTROL_PORT = 40700;
    private static final long READY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final int LOG_LINES = 40;

    private final TwoHostNamespaces hosts = new TwoHostNamespaces();
    private final Thread cleanup = new Thread(hosts::close, "harness-netns-cleanup");
    private final List<String> description = new ArrayList<>();
    private final int rate;
    private final int length;
    private Side leader;
    private Side follower;
    private int runs;

    /**
     * Make the namespaces, start a side in each and check their clocks.
     *
     * @param work         folder of the runs' journals, mirrors and aeron directories, on a file system both see.
     * @param sideSettings the harness's settings each side needs, as {@code name=value}.
     * @param rate         messages per second of a latency run, for its time limit.
     * @param length       of a message, for a throughput run's time limit.
     */
    ReplicationHarnessNetns(final Path work, final List<String> sideSettings, final int rate, final int length)
    {
        this.rate = rate;
        this.length = length;
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            hosts.create();
            leader = new Side("leader", start(hosts.leaderNs, "leader", work, sideSettings));
            follower = new Side("follower", start(hosts.followerNs, "follower", work, sideSettings));
            description.add(String.format("  (two hosts: network namespaces %s (%s, sends) and %s (%s, receives) " +
                "joined by a veth pair, a JVM in each with its own embedded media driver per run)",
                hosts.leaderNs, TwoHostNamespaces.LEADER_ADDRESS, hosts.followerNs,
                TwoHostNamespaces.FOLLOWER_ADDRESS));
            description.add(leader.checkClock());
            description.add(follower.checkClock());
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /**
     * A side's JVM in its namespace, with the JVM's defaults (the compilers and collector a user runs), not the test
     * children's quick-start options.
     */
    private Process start(final String ns, final String name, final Path work, final List<String> settings)
    {
        final List<String> args = new ArrayList<>(List.of(name, work.toString()));
        args.addAll(settings);
        try
        {
            return hosts.startIn(ns, List.of(), ProcessBuilder.Redirect.PIPE, ReplicationHarnessSide.class.getName(),
                args.toArray(new String[0]));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start the " + name + " side: " + ex.getMessage(), ex);
        }
    }

    public List<String> describe()
    {
        return description;
    }

    public Outcome run(final String name, final boolean isReplicated, final long count, final boolean isPaced)
    {
        final int port = (isReplicated ? CONTROL_PORT : RAW_PORT) + runs++; // a fresh port per run
        final String command = String.join(" ", "run", isReplicated ? "replicated" : "raw", name,
            Long.toString(count), Boolean.toString(isPaced), Integer.toString(port));
        leader.send(command);
        follower.send(command);
        final long readyDeadlineNs = System.nanoTime() + READY_TIMEOUT_NS;
        leader.expect("ready " + name, readyDeadlineNs);
        follower.expect("ready " + name, readyDeadlineNs);
        follower.send("go");
        leader.send("go");

        // A limit against a hang, not a measure: the paced run's length, or 1 MB/s, and a minute.
        final long runNs = isPaced ? TimeUnit.SECONDS.toNanos(1) / rate * count : count * length * 1000L;
        final long doneDeadlineNs = System.nanoTime() + READY_TIMEOUT_NS + runNs;
        final Outcome outcome = new Outcome();
        outcome.decodeSender(leader.expect("done " + name, doneDeadlineNs));
        outcome.decodeReceiver(follower.expect("done " + name, doneDeadlineNs));
        leader.send("stop");
        follower.send("stop");
        final long closedDeadlineNs = System.nanoTime() + READY_TIMEOUT_NS;
        leader.expect("closed " + name, closedDeadlineNs);
        follower.expect("closed " + name, closedDeadlineNs);
        return outcome;
    }

    public void close()
    {
        try
        {
            if (null != leader)
            {
                leader.exit();
            }
            if (null != follower)
            {
                follower.exit();
            }
        }
        finally
        {
            hosts.close(); // kills what did not exit, deletes the namespaces
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException ex)
            {
                // Shutting down already: the hook runs, and closing twice is harmless.
            }
        }
    }

    /**
     * One side's JVM: its standard input takes commands, a thread reads its output lines as they come, each stamped
     * with {@link System#nanoTime()} on arrival.
     */
    private static final class Side
    {
        private final String name;
        private final Process process;
        private final OutputStream input;
        private final BlockingQueue<Line> lines = new LinkedBlockingQueue<>();
        private final Deque<String> log = new ArrayDeque<>();

        Side(final String name, final Process process)
        {
            this.name = name;
            this.process = process;
            input = process.getOutputStream();
            final Thread reader = new Thread(this::read, "harness-" + name + "-output");
            reader.setDaemon(true);
            reader.start();
        }

        private void read()
        {
            try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII)))
            {
                String text;
                while (null != (text = output.readLine()))
                {
                    lines.add(new Line(text, System.nanoTime()));
                }
            }
            catch (final IOException ex)
            {
                lines.add(new Line("output lost: " + ex.getMessage(), System.nanoTime()));
            }
            lines.add(Line.END);
        }

        void send(final String command)
        {
            try
            {
                input.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
                input.flush();
            }
            catch (final IOException ex)
            {
                throw failure("cannot send " + command + ": " + ex.getMessage());
            }
        }

        /**
         * Wait for the line that starts with {@code prefix}, keeping the others for a failure's message.
         *
         * @return what follows the prefix.
         */
        String expect(final String prefix, final long deadlineNs)
        {
            return expectLine(prefix, deadlineNs).text.substring(prefix.length());
        }

        private Line expectLine(final String prefix, final long deadlineNs)
        {
            try
            {
                while (true)
                {
                    final Line line = lines.poll(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (null == line)
                    {
                        throw failure("no '" + prefix + "' in time");
                    }
                    if (Line.END == line)
                    {
                        lines.add(Line.END);
                        throw failure("ended before '" + prefix + "'");
                    }
                    if (line.text.startsWith(prefix))
                    {
                        return line;
                    }
                    keep(line.text);
                    if (line.text.startsWith("failed"))
                    {
                        throw failure("failed before '" + prefix + "'");
                    }
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw failure("interrupted waiting for '" + prefix + "'");
            }
        }

        /**
         * The side's {@link System#nanoTime()} minus this JVM's, bounded by each exchange: asked after {@code t0},
         * answered before {@code t2}, so the difference lies in [answer - t2, answer - t0]; the bounds of all the
         * exchanges intersect.
         *
         * @return the line for the report.
         * @throws IllegalStateException when the bounds exclude 0: the clocks differ.
         */
        String checkClock()
        {
            long lowNs = Long.MIN_VALUE;
            long highNs = Long.MAX_VALUE;
            for (int i = 0; i < CLOCK_EXCHANGES; i++)
            {
                final long askedNs = System.nanoTime();
                send("clock");
                final Line answer = expectLine("clock ", askedNs + READY_TIMEOUT_NS);
                final long sideNs = Long.parseLong(answer.text.substring("clock ".length()).trim());
                lowNs = Math.max(lowNs, sideNs - answer.arrivedNs);
                highNs = Math.min(highNs, sideNs - askedNs);
            }
            if (lowNs > 0 || highNs < 0)
            {
                throw failure("its System.nanoTime() is not this JVM's: it differs by " + lowNs + " to " + highNs +
                    " ns, so one-way latencies across the namespaces would be wrong");
            }
            return String.format("  (clock check: the %s side's System.nanoTime() minus the harness's lies in " +
                "[%.1f, %.1f] us over %d exchanges: one clock)", name, lowNs / 1e3, highNs / 1e3, CLOCK_EXCHANGES);
        }

        void exit()
        {
            if (process.isAlive())
            {
                try
                {
                    send("exit");
                    process.waitFor(10, TimeUnit.SECONDS);
                }
                catch (final IllegalStateException ex)
                {
                    // Its input is gone: close() kills it.
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void keep(final String text)
        {
            log.addLast(text);
            if (log.size() > LOG_LINES)
            {
                log.removeFirst();
            }
        }

        private IllegalStateException failure(final String what)
        {
            // Let a dying side finish its stack trace.
            try
            {
                process.waitFor(2, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            Line line;
            while (null != (line = lines.poll()) && Line.END != line)
            {
                keep(line.text);
            }
            return new IllegalStateException("the " + name + " side: " + what + (process.isAlive() ? "" :
                " (exit " + process.exitValue() + ")") + ", its last lines:\n  " + String.join("\n  ", log));
        }
    }

    private record Line(String text, long arrivedNs)
    {
        static final Line END = new Line("", 0);
    }
}
