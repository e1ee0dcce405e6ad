package org.kekbit.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The lines of an input stream, read as UTF-8 on a daemon thread of their own and handed to one duty cycle through
 * a bounded queue. Reading blocks; the duty cycle never does, so a silent input cannot stall the writer's heartbeat,
 * and only the duty cycle's thread ever touches the channel writer.
 * <p>
 * Threadsafe for one reading thread (its own) and one taking thread.
 */
final class InputLines implements Runnable
{
    private static final int QUEUE_CAPACITY = 1024;

    private final BlockingQueue<byte[]> lines = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final BufferedReader reader;
    private volatile boolean isEnded;
    private volatile String error;

    /**
     * Lines of an input stream; call {@link #start(String)} to start reading.
     *
     * @param in to read.
     */
    InputLines(final InputStream in)
    {
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /**
     * Start reading on a daemon thread, which ends at the end of the input.
     *
     * @param threadName of the reading thread.
     * @return this.
     */
    InputLines start(final String threadName)
    {
        final Thread thread = new Thread(this, threadName);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /**
     * Read lines until the end of the input; runs on the reading thread.
     */
    public void run()
    {
        try
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                lines.put(line.getBytes(StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ex)
        {
            error = "cannot read input: " + ex;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            isEnded = true;
        }
    }

    /**
     * Take the next line, without its line terminator, as UTF-8 bytes.
     *
     * @return the line, or null when none is waiting.
     */
    byte[] poll()
    {
        return lines.poll();
    }

    /**
     * Whether the input has ended and every line was taken.
     *
     * @return true once nothing more will come.
     */
    boolean isDrained()
    {
        // isEnded is set after the last line was queued, so reading it first makes isEmpty() final.
        return isEnded && lines.isEmpty();
    }

    /**
     * Why reading stopped before the end of the input.
     *
     * @return the error, or null.
     */
    String error()
    {
        return error;
    }
}
