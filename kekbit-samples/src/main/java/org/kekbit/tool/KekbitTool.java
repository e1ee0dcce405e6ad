package org.kekbit.tool;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code kekbit} command-line tool: look into, follow, check and write channel files and journal folders, list
 * and remove a journal's named readers, prune a journal, and measure a channel.
 * <pre>
 * java -jar kekbit-samples/target/kekbit.jar info /dev/shm/kekbit/0000_0000/0000_002a.kekbit
 * java -jar kekbit-samples/target/kekbit.jar tail --follow FILE
 * echo hello | java -jar kekbit-samples/target/kekbit.jar write --root /tmp/kekbit --channel 0x2a
 * </pre>
 * Exit codes: {@link #EXIT_OK}, {@link #EXIT_FAILED} (the channel is corrupt, a record did not fit, a benchmark
 * lost records, the output could not be written) and {@link #EXIT_USAGE} (bad arguments, a file that is missing,
 * unreadable or not a channel). Every error is one line on standard error starting with {@code kekbit: }, never a
 * stack trace.
 * <p>
 * When the reader of standard output goes away, as {@code head} does in {@code kekbit tail FILE | head}, the
 * command stops at once and exits with {@link #EXIT_OK} without a message: the reader had what it wanted. (Tools
 * killed by SIGPIPE exit with 141, which fails a {@code set -o pipefail} script for a pipeline that did what it
 * was asked; the JVM ignores SIGPIPE, so the tool chooses.) Any other failure to write standard output, such as a
 * full disk, is {@link #EXIT_FAILED}.
 * <p>
 * {@link #run(String[], InputStream, PrintStream, PrintStream)} runs a command in-process without exiting, for
 * tests and for embedding. Each call builds its own commands, so calls on different threads do not interfere.
 */
@Command(
    name = "kekbit",
    synopsisSubcommandLabel = "COMMAND",
    description = "Look into, follow, check and write Kekbit channel files and journals.",
    footer = {"", "Exit codes: 0 ok (also when the reader of the output has gone, as head in '| head'), " +
        "1 channel corrupt, record did not fit or output not written, 2 bad arguments or not a channel."})
public final class KekbitTool implements Callable<Integer>
{
    /**
     * The command did what was asked and the channel, if any, is consistent.
     */
    public static final int EXIT_OK = 0;

    /**
     * The command ran but found a fault: a corrupt channel, a record that did not fit, a benchmark that lost
     * records, output that could not be written.
     */
    public static final int EXIT_FAILED = 1;

    /**
     * The command could not run: bad arguments, or a file that is missing, unreadable or not a channel.
     */
    public static final int EXIT_USAGE = 2;

    private static final String PREFIX = "kekbit: ";
    private static final String COMMANDS = "info, tail, verify, write, readers, prune, cut, bench or replicate";

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    private KekbitTool()
    {
    }

    /**
     * Run a command and exit with its code.
     *
     * @param args command and its arguments.
     */
    public static void main(final String[] args)
    {
        // Buffered: tail may print millions of lines; the commands flush whenever they wait.
        final StandardOutput standardOutput = new StandardOutput();
        final PrintStream out = new PrintStream(
            new BufferedOutputStream(standardOutput, 1 << 16), false, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        final int exitCode = run(args, System.in, out, err, standardOutput::isReaderGone);
        out.flush();
        err.flush();
        System.exit(exitCode);
    }

    /**
     * Run a command in-process, reading standard input from {@link System#in}.
     *
     * @param args command and its arguments.
     * @param out  for the command's output.
     * @param err  for the one line describing an error.
     * @return the exit code: {@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link #EXIT_USAGE}.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        return run(args, System.in, out, err);
    }

    /**
     * Run a command in-process.
     *
     * @param args command and its arguments.
     * @param in   standard input, read by {@code write}.
     * @param out  for the command's output.
     * @param err  for the one line describing an error.
     * @return the exit code: {@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link #EXIT_USAGE}.
     */
    public static int run(final String[] args, final InputStream in, final PrintStream out, final PrintStream err)
    {
        return run(args, in, out, err, () -> false);
    }

    /**
     * Run a command in-process, knowing whether the reader of {@code out} has gone.
     *
     * @param args               command and its arguments.
     * @param in                 standard input, read by {@code write}.
     * @param out                for the command's output.
     * @param err                for the one line describing an error.
     * @param isOutputReaderGone true once nobody reads {@code out} any more, as {@code head} in
     *                           {@code kekbit tail FILE | head}; may make a system call.
     * @return the exit code: {@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link #EXIT_USAGE}.
     */
    static int run(
        final String[] args,
        final InputStream in,
        final PrintStream out,
        final PrintStream err,
        final BooleanSupplier isOutputReaderGone)
    {
        final PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        final PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        final CommandLine commandLine = new CommandLine(new KekbitTool())
            .addSubcommand(new InfoCommand(out))
            .addSubcommand(new TailCommand(out, err, isOutputReaderGone))
            .addSubcommand(new VerifyCommand(out))
            .addSubcommand(new WriteCommand(in, out))
            .addSubcommand(new ReadersCommand(out))
            .addSubcommand(new PruneCommand(out))
            .addSubcommand(new CutCommand(out))
            .addSubcommand(new BenchCommand(out))
            .addSubcommand(new CommandLine(new ReplicateCommand())
                .addSubcommand(new ReplicateCommand.Serve(out))
                .addSubcommand(new ReplicateCommand.Follow(out)))
            .addSubcommand(new CommandLine.HelpCommand());
        commandLine
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setOut(outWriter)
            .setErr(errWriter)
            .setParameterExceptionHandler((ex, arguments) -> printError(err, usageMessage(ex), EXIT_USAGE))
            .setExecutionExceptionHandler((ex, cmd, parseResult) -> printError(err, describe(ex), exitCode(ex)));

        try
        {
            return commandLine.execute(null == args ? new String[0] : args);
        }
        catch (final InternalError ex)
        {
            // How the JVM reports SIGBUS: a mapped file was truncated under us.
            return printError(err, "fault accessing a mapped channel file, was it truncated? " + ex.getMessage(),
                EXIT_USAGE);
        }
        finally
        {
            outWriter.flush();
            errWriter.flush();
            out.flush();
        }
    }

    /**
     * Called when no command is given.
     *
     * @return never, it throws.
     * @throws ParameterException always, naming the commands.
     */
    public Integer call()
    {
        throw new ParameterException(spec.commandLine(), "missing command: " + COMMANDS);
    }

    /**
     * Make a message fit one line.
     *
     * @param message possibly spanning lines.
     * @return the message on one line, or an empty string for null.
     */
    static String oneLine(final String message)
    {
        return null == message ? "" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    private static int printError(final PrintStream err, final String message, final int exitCode)
    {
        err.println(PREFIX + oneLine(message));
        err.flush();
        return exitCode;
    }

    private static String usageMessage(final ParameterException ex)
    {
        final CommandLine commandLine = ex.getCommandLine();
        String message = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException && null == commandLine.getParent())
        {
            final List<String> unmatched = ((UnmatchedArgumentException)ex).getUnmatched();
            if (!unmatched.isEmpty() && !unmatched.get(0).startsWith("-"))
            {
                message = "unknown command: '" + unmatched.get(0) + "', expected " + COMMANDS;
            }
        }

        return oneLine(message) + " (see '" + commandLine.getCommandSpec().qualifiedName() + " --help')";
    }

    private static int exitCode(final Exception ex)
    {
        return ex instanceof ToolException ? ((ToolException)ex).exitCode() : EXIT_USAGE;
    }

    private static String describe(final Throwable ex)
    {
        if (ex instanceof UncheckedIOException && null != ex.getCause())
        {
            return describe(ex.getCause());
        }
        if (ex instanceof NoSuchFileException)
        {
            return "no such file: " + ex.getMessage();
        }
        if (ex instanceof AccessDeniedException)
        {
            return "permission denied: " + ex.getMessage();
        }

        final String message = ex.getMessage();
        return null == message || message.isBlank() ? "internal error: " + ex.getClass().getName() : message;
    }
}
