package org.kekbit.samples;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelException;

/**
 * What the samples' {@code main} methods share: one line {@code kekbit: <message>} on stderr instead of a stack
 * trace, the exit statuses, and a duty cycle run to its end on the calling thread.
 */
final class SampleMain
{
    /**
     * The sample ran and its result is what it should be.
     */
    static final int EXIT_OK = 0;

    /**
     * The sample ran but failed on the way, or its result is not what it should be.
     */
    static final int EXIT_FAILED = 1;

    /**
     * The sample could not run: a bad property or argument, a channel that exists already or never appeared.
     */
    static final int EXIT_BAD_INPUT = 2;

    private SampleMain()
    {
    }

    /**
     * The body of a sample's main.
     */
    @FunctionalInterface
    interface Body
    {
        /**
         * Run the sample.
         *
         * @return the exit status.
         */
        int run();
    }

    /**
     * Run a sample's body, turning any exception into one line on stderr and a non-zero status.
     *
     * @param out  the sample prints to; flushed at the end.
     * @param err  for the one line of an error.
     * @param body of the sample.
     * @return the exit status.
     */
    static int launch(final PrintStream out, final PrintStream err, final Body body)
    {
        try
        {
            AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        }
        catch (final IllegalStateException ex)
        {
            err.println("kekbit: " + oneLine(ex));
            err.flush();
            return EXIT_BAD_INPUT;
        }

        try
        {
            return body.run();
        }
        catch (final ChannelException ex)
        {
            final String hint = ChannelException.Reason.ALREADY_EXISTS == ex.reason() ?
                " (a channel is created once: delete it to run again)" : "";
            err.println("kekbit: " + oneLine(ex) + hint);
            return EXIT_BAD_INPUT;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("kekbit: " + oneLine(ex));
            return EXIT_BAD_INPUT;
        }
        catch (final RuntimeException ex)
        {
            err.println("kekbit: " + oneLine(ex));
            return EXIT_FAILED;
        }
        catch (final OutOfMemoryError ex)
        {
            // One line instead of the JVM's stack trace; the heap is what the state held, so the fix is more of it.
            err.println("kekbit: out of memory (" + ex.getMessage() + "): give the JVM a larger heap (-Xmx), max=" +
                (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
            return EXIT_FAILED;
        }
        finally
        {
            out.flush();
            err.flush();
        }
    }

    /**
     * Standard output as UTF-8, buffered: the samples flush it after each batch of lines.
     *
     * @return the stream.
     */
    static PrintStream stdout()
    {
        return new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), false, StandardCharsets.UTF_8);
    }

    /**
     * Check a sample that takes no argument was given none.
     *
     * @param args of main.
     * @throws IllegalArgumentException naming the first argument.
     */
    static void checkNoArguments(final String[] args)
    {
        if (args.length > 0)
        {
            throw new IllegalArgumentException(
                "unexpected argument: " + args[0] + " (settings are -D system properties before the class name)");
        }
    }

    /**
     * Run an agent on the calling thread with an {@link AgentInvoker} until it terminates, or until it throws: an
     * agent that throws anything but an expected {@link AgentTerminationException} ends the run and the exception
     * is thrown from here, after the agent was closed.
     *
     * @param agent        to run.
     * @param idleStrategy to idle with when a duty cycle did no work.
     */
    static void runOnThisThread(final Agent agent, final IdleStrategy idleStrategy)
    {
        final FirstError errors = new FirstError();
        final AgentInvoker invoker = new AgentInvoker(errors, null, agent);
        invoker.start();
        while (!invoker.isClosed() && null == errors.first)
        {
            idleStrategy.idle(invoker.invoke());
        }
        invoker.close();
        errors.rethrow();
    }

    /**
     * Delete a channel file a sample no longer needs; the readers that mapped it keep reading their mapping.
     *
     * @param path of the channel file.
     */
    static void deleteChannel(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot delete channel " + path + ": " + ex, ex);
        }
    }

    private static String oneLine(final Throwable ex)
    {
        final String message = null == ex.getMessage() ? ex.toString() : ex.getMessage();
        return message.replaceAll("\\R", " ");
    }

    /**
     * Keeps the first error of a duty cycle to throw it on the thread that drives it.
     */
    private static final class FirstError implements ErrorHandler
    {
        private Throwable first;

        public void onError(final Throwable throwable)
        {
            if (null == first)
            {
                first = throwable instanceof AgentTerminationException && null != throwable.getCause() ?
                    throwable.getCause() : throwable;
            }
        }

        void rethrow()
        {
            if (first instanceof RuntimeException)
            {
                throw (RuntimeException)first;
            }
            if (first instanceof Error)
            {
                throw (Error)first;
            }
            if (null != first)
            {
                throw new IllegalStateException(first.toString(), first);
            }
        }
    }
}
