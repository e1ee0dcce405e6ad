package org.kekbit.replication;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Two hosts on one machine for the two-host tests: a leader and a follower network namespace joined by a veth pair,
 * each end with an address that exists only inside its namespace. {@link #close()} kills the children started in
 * them and deletes both namespaces (and with them the pair), whatever happened.
 */
final class TwoHostNamespaces implements AutoCloseable
{
    static final String LEADER_ADDRESS = "10.213.0.1";
    static final String FOLLOWER_ADDRESS = "10.213.0.2";

    final String leaderNs = "kekl" + ProcessHandle.current().pid();
    final String followerNs = "kekf" + ProcessHandle.current().pid();
    private final String leaderLink = "kvl" + ProcessHandle.current().pid();
    private final String followerLink = "kvf" + ProcessHandle.current().pid();
    private final List<Process> children = new ArrayList<>();
    private boolean isCreated;

    /**
     * Why namespaces cannot be made here, or null when they can.
     *
     * @return the reason, or null.
     */
    static String whyNot()
    {
        if (!"root".equals(System.getProperty("user.name")))
        {
            return "network namespaces need root, running as " + System.getProperty("user.name");
        }
        final String probe = "kekprobe" + ProcessHandle.current().pid();
        final String result = run(List.of("ip", "netns", "add", probe));
        if (null != result)
        {
            return "cannot create a network namespace: " + result;
        }
        run(List.of("ip", "netns", "del", probe));
        return null;
    }

    void create()
    {
        isCreated = true;
        ip("netns", "add", leaderNs);
        ip("netns", "add", followerNs);
        ip("link", "add", leaderLink, "type", "veth", "peer", "name", followerLink);
        ip("link", "set", leaderLink, "netns", leaderNs);
        ip("link", "set", followerLink, "netns", followerNs);
        ip("-n", leaderNs, "addr", "add", LEADER_ADDRESS + "/30", "dev", leaderLink);
        ip("-n", followerNs, "addr", "add", FOLLOWER_ADDRESS + "/30", "dev", followerLink);
        for (final String ns : List.of(leaderNs, followerNs))
        {
            ip("-n", ns, "link", "set", "lo", "up");
        }
        ip("-n", leaderNs, "link", "set", leaderLink, "up");
        ip("-n", followerNs, "link", "set", followerLink, "up");
    }

    /**
     * Cut the link: the leader's end of the pair goes down, so nothing passes either way.
     */
    void cutLink()
    {
        ip("-n", leaderNs, "link", "set", leaderLink, "down");
    }

    void restoreLink()
    {
        ip("-n", leaderNs, "link", "set", leaderLink, "up");
    }

    /**
     * Start a JVM running a test main inside a namespace, its output in a log file.
     */
    Process startIn(final String ns, final Path log, final String mainClass, final String... args) throws IOException
    {
        return startIn(ns, List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
            ProcessBuilder.Redirect.to(log.toFile()), mainClass, args);
    }

    /**
     * Start a JVM running a test main inside a namespace with the JVM options given (Agrona's add-opens always), its
     * output and errors to {@code output}: {@link ProcessBuilder.Redirect#PIPE} for the caller to read them, as the
     * harness does. Its standard input is a pipe from the caller. It is killed on {@link #close()} as the others are.
     */
    Process startIn(
        final String ns,
        final List<String> jvmOptions,
        final ProcessBuilder.Redirect output,
        final String mainClass,
        final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output)
            .start();
        children.add(process);
        return process;
    }

    /**
     * Ask every live child JVM for a thread dump (SIGQUIT: the JVM prints it to its output, the child's log) and give
     * them a moment to write it: for a failure's message, when a child may be stuck inside a duty cycle.
     */
    void dumpThreads()
    {
        boolean isAsked = false;
        for (final Process child : children)
        {
            if (child.isAlive())
            {
                try
                {
                    new ProcessBuilder("kill", "-3", Long.toString(child.pid())).inheritIO().start().waitFor();
                    isAsked = true;
                }
                catch (final IOException ex)
                {
                    System.err.println("no thread dump of " + child.pid() + ": " + ex.getMessage());
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (isAsked)
        {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
        }
    }

    public void close()
    {
        for (final Process child : children)
        {
            child.destroyForcibly();
        }
        if (isCreated)
        {
            // Deleting a namespace deletes its end of the veth pair, and with it the other end.
            run(List.of("ip", "netns", "del", leaderNs));
            run(List.of("ip", "netns", "del", followerNs));
            isCreated = false;
        }
    }

    private static void ip(final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        final String result = run(command);
        if (null != result)
        {
            throw new IllegalStateException(String.join(" ", command) + ": " + result);
        }
    }

    /**
     * Run a command to its end.
     *
     * @return null when it exited 0, otherwise its output and exit code.
     */
    private static String run(final List<String> command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return "timed out";
            }
            return 0 == process.exitValue() ? null : output + " (exit " + process.exitValue() + ")";
        }
        catch (final IOException ex)
        {
            return ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
