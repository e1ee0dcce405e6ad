package org.kekbit.channel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child JVM running {@link ChildMain} (or another test main class, such as the journal's) with the test's
 * classpath, seen from the test: its output lines, read by a
 * {@link BufferedReader} on a drainer thread (stderr is merged into stdout, so nothing blocks on a full pipe), its
 * stdin, its exit. Closing it kills the child if it still runs.
 * <p>
 * Not threadsafe: one test thread drives it.
 */
public final class ChildProcess implements AutoCloseable
{
    public static final long DEFAULT_TIMEOUT_MS = 30_000;

    private static final String EOF = new String("<EOF>"); // identity marks the end, not the text

    private static final List<String> UNSHARE_PID_NAMESPACE =
        List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL");

    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = new ArrayList<>();
    private final Thread drainer;
    private boolean isEof;

    private ChildProcess(final String name, final Process process)
    {
        this.name = name;
        this.process = process;
        this.drainer = new Thread(this::drain, "drain-" + name);
        this.drainer.setDaemon(true);
        this.drainer.start();
    }

    /**
     * Start a child JVM.
     *
     * @param name    for diagnostics.
     * @param jvmArgs extra JVM arguments, such as system properties.
     * @param args    the role and its arguments.
     * @return the running child.
     */
    static ChildProcess start(final String name, final List<String> jvmArgs, final String... args)
    {
        return launch(name, javaCommand(ChildMain.class, jvmArgs, args));
    }

    /**
     * Start a child JVM running another main class with the test's classpath.
     *
     * @param name      for diagnostics.
     * @param mainClass whose {@code main} runs.
     * @param jvmArgs   extra JVM arguments, such as system properties.
     * @param args      the role and its arguments.
     * @return the running child.
     */
    public static ChildProcess start(
        final String name, final Class<?> mainClass, final List<String> jvmArgs, final String... args)
    {
        return launch(name, javaCommand(mainClass, jvmArgs, args));
    }

    /**
     * Start a child JVM whose parent never reaps it: a shell starts the JVM in the background, handing it its stdin,
     * and then becomes a {@code sleep}. Killed, the JVM stays a zombie until the shell's process is killed too, which
     * {@link #close()} does. The child's output still arrives here, but {@link #pid()} is the shell's.
     *
     * @param name for diagnostics.
     * @param args the role and its arguments.
     * @return the running shell.
     */
    static ChildProcess startUnreaped(final String name, final String... args)
    {
        // A background job's stdin is /dev/null before any redirection, so hand it a copy kept in fd 3.
        final StringBuilder script = new StringBuilder("exec 3<&0; ");
        for (final String word : javaCommand(ChildMain.class, List.of(), args))
        {
            script.append('\'').append(word.replace("'", "'\\''")).append("' ");
        }
        script.append("<&3 3<&- & exec sleep ").append(TimeUnit.MILLISECONDS.toSeconds(2 * DEFAULT_TIMEOUT_MS));

        return launch(name, List.of("sh", "-c", script.toString()));
    }

    /**
     * Start a child JVM under a file size limit (RLIMIT_FSIZE, set by the shell's {@code ulimit -f}): the JVM ignores
     * SIGXFSZ, so a write past the limit fails with EFBIG ("File too large"), as a write to a full disk fails.
     *
     * @param name   for diagnostics.
     * @param blocks the limit in the shell's blocks (512 bytes for dash, 1024 for bash).
     * @param args   the role and its arguments.
     * @return the running child.
     */
    static ChildProcess startWithFileSizeLimit(final String name, final long blocks, final String... args)
    {
        final StringBuilder script = new StringBuilder("ulimit -f ").append(blocks).append(" && exec ");
        for (final String word : javaCommand(ChildMain.class, List.of(), args))
        {
            script.append('\'').append(word.replace("'", "'\\''")).append("' ");
        }

        return launch(name, List.of("sh", "-c", script.toString()));
    }

    /**
     * Start a child JVM in a new pid namespace (as in another container sharing the folder), through
     * {@code unshare --pid --fork --mount-proc}: its pid there is 1, and this process cannot look it up. Killing the
     * child kills {@code unshare}, which kills the JVM ({@code --kill-child}).
     *
     * @param name for diagnostics.
     * @param args the role and its arguments.
     * @return the running child.
     */
    static ChildProcess startInPidNamespace(final String name, final String... args)
    {
        final List<String> command = new ArrayList<>(UNSHARE_PID_NAMESPACE);
        command.addAll(javaCommand(ChildMain.class, List.of(), args));
        return launch(name, command);
    }

    /**
     * Why children cannot be started in a new pid namespace here, or null when they can: it needs unshare(1) and the
     * privilege to create namespaces (root, or user namespaces).
     *
     * @return the reason, or null.
     */
    static String whyNoPidNamespace()
    {
        final List<String> command = new ArrayList<>(UNSHARE_PID_NAMESPACE);
        command.add("true");
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return 0 == process.waitFor() ? null : "cannot create a pid namespace here: " + output;
        }
        catch (final IOException ex)
        {
            return "no unshare(1) here: " + ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    static ChildProcess start(final String name, final String... args)
    {
        return start(name, List.of(), args);
    }

    /**
     * Wait for the next line a predicate accepts; lines before it are skipped, though kept in the transcript.
     *
     * @param predicate   the line must satisfy.
     * @param description of the line, for the failure message.
     * @param timeoutMs   to wait at most.
     * @return the line.
     * @throws AssertionError with the transcript when the child ends or the time is up first.
     */
    public String awaitLine(final Predicate<String> predicate, final String description, final long timeoutMs)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            final long leftNs = deadlineNs - System.nanoTime();
            final String line = isEof ? null : lines.poll(Math.max(0, leftNs), TimeUnit.NANOSECONDS);
            if (EOF == line)
            {
                isEof = true;
            }
            else if (null != line && predicate.test(line))
            {
                return line;
            }

            if (isEof || (null == line && leftNs <= 0))
            {
                throw new AssertionError((isEof ? "child ended" : "timed out after " + timeoutMs + " ms") +
                    " awaiting " + description + "\n" + transcript());
            }
        }
    }

    /**
     * Wait for the next line starting with a prefix.
     *
     * @param prefix of the line.
     * @return the line.
     */
    public String awaitLine(final String prefix) throws InterruptedException
    {
        return awaitLine((line) -> line.startsWith(prefix), "'" + prefix + "'", DEFAULT_TIMEOUT_MS);
    }

    /**
     * Wait for the next line starting with a prefix and parse its {@code key=value} words.
     *
     * @param prefix of the line.
     * @return the values by key.
     */
    public Map<String, String> awaitValues(final String prefix) throws InterruptedException
    {
        final Map<String, String> values = new HashMap<>();
        for (final String word : awaitLine(prefix).split(" "))
        {
            final int equals = word.indexOf('=');
            if (equals > 0)
            {
                values.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        return values;
    }

    /**
     * Send a line to the child's stdin.
     *
     * @param line to send, without its newline.
     */
    public void send(final String line) throws IOException
    {
        final OutputStream stdin = process.getOutputStream();
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /**
     * Wait for the child to exit by itself.
     *
     * @return its exit code.
     * @throws AssertionError with the transcript when it does not exit in time.
     */
    int awaitExit() throws InterruptedException
    {
        if (!process.waitFor(DEFAULT_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            throw new AssertionError("child did not exit\n" + transcript());
        }
        drainer.join(DEFAULT_TIMEOUT_MS);
        return process.exitValue();
    }

    /**
     * Kill the child with SIGKILL and reap it: once this returns its pid no longer names a live process.
     */
    public void kill() throws InterruptedException
    {
        process.destroyForcibly();
        if (!process.waitFor(DEFAULT_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            throw new AssertionError("child did not die\n" + transcript());
        }
    }

    long pid()
    {
        return process.pid();
    }

    /**
     * Whether the child still runs.
     *
     * @return true while it runs.
     */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Everything the child printed so far, for failure messages.
     *
     * @return the lines, each prefixed with the child's name.
     */
    public String transcript()
    {
        final StringBuilder builder = new StringBuilder();
        synchronized (transcript)
        {
            for (final String line : transcript)
            {
                builder.append(name).append("> ").append(line).append('\n');
            }
        }
        return builder.toString();
    }

    /**
     * Kill the child, and any process it started, if it still runs and wait for it.
     */
    public void close()
    {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try
        {
            process.waitFor(DEFAULT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> javaCommand(
        final Class<?> mainClass, final List<String> jvmArgs, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    private static ChildProcess launch(final String name, final List<String> command)
    {
        try
        {
            return new ChildProcess(name, new ProcessBuilder(command).redirectErrorStream(true).start());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start child " + name + ": " + command, ex);
        }
    }

    private void drain()
    {
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                synchronized (transcript)
                {
                    transcript.add(line);
                }
                lines.add(line);
            }
        }
        catch (final IOException ignore)
        {
            // the child is gone: same as end of file
        }
        finally
        {
            lines.add(EOF);
        }
    }
}
