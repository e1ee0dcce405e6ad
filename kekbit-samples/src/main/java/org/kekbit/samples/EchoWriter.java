package org.kekbit.samples;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Properties;

import org.agrona.concurrent.CompositeAgent;
import org.kekbit.channel.ChannelWriter;

/**
 * Writes each line of its input as one record of a new channel and closes the channel at the end of the input; run
 * {@link EchoReader} to print the lines, before, during or after.
 * <pre>
 * bin/sample EchoWriter &lt; some.txt
 * bin/sample -Dkekbit.sample.channel=7 EchoWriter
 * </pre>
 * Its settings are those of {@link SampleChannels}; the channel id is {@value #DEFAULT_CHANNEL_ID} by default. A
 * thread of its own reads the input, so the one thread that writes also keeps the writer's heartbeat fresh while the
 * input is silent: readers can tell a writer waiting for input from a dead one. The channel stays after the run, for
 * readers to come; delete it to run the writer again.
 */
public final class EchoWriter
{
    /**
     * Channel id when {@value SampleChannels#CHANNEL_PROPERTY} is not set.
     */
    public static final long DEFAULT_CHANNEL_ID = 1;

    private EchoWriter()
    {
    }

    /**
     * Write the lines of standard input with the settings of the system properties.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(System.getProperties(), args, System.in, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit properties and streams.
     *
     * @param properties to read the settings from.
     * @param args       none.
     * @param in         to read the lines from.
     * @param out        for progress.
     * @param err        for the one line of an error.
     * @return the exit status: 0 when every line was written, 1 when one could not be, 2 on bad input.
     */
    public static int launch(
        final Properties properties,
        final String[] args,
        final InputStream in,
        final PrintStream out,
        final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            SampleMain.checkNoArguments(args);
            run(SampleChannels.fromProperties(properties, DEFAULT_CHANNEL_ID, "backoff"), in, out);
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * Create the channel, write one record per line of the input and close the channel at its end.
     *
     * @param channels settings: root, channel id, capacity and idle strategy.
     * @param in       to read the lines from, as UTF-8.
     * @param out      for progress.
     * @return the number of lines written.
     * @throws org.kekbit.channel.ChannelException when the channel cannot be created, for example when it exists.
     * @throws IllegalStateException               when a line is too long or the channel is full; the channel is
     *                                             left FULL or CLOSED.
     */
    public static long run(final SampleChannels channels, final InputStream in, final PrintStream out)
    {
        final ChannelWriter writer = ChannelWriter.create(channels.writerContext(channels.channelId()));
        out.println("echo: writing each line of input to " + writer.path() + " until the end of input");
        out.flush();

        final LinePublisher publisher = new LinePublisher(writer, new InputLines(in).start("kekbit-echo-input"));
        SampleMain.runOnThisThread(new CompositeAgent(publisher, writer), channels.newIdleStrategy());

        out.println("echo: " + publisher.lines() + " lines written, channel closed");
        return publisher.lines();
    }
}
