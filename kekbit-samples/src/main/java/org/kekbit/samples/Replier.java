package org.kekbit.samples;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Properties;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemEpochClock;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelReaderAgent;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;

/**
 * Answers the {@link Requester}: waits for its requests channel, creates a replies channel as large, writes a copy
 * of each request there as its reply, and closes the replies channel when the requests channel ends.
 * <pre>
 * bin/sample Replier
 * </pre>
 * Settings are those of {@link SampleChannels}, with the requester's channel ids by default. The replier opens the
 * requests channel before it creates its own, so it has no heartbeat to keep while it waits. Exits with 0 when the
 * requests channel was closed, 1 when it ended otherwise (the requester gone), 2 on bad input.
 */
public final class Replier
{
    private static final int POLL_LIMIT = 64;

    private Replier()
    {
    }

    /**
     * Answer requests with the settings of the system properties.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(System.getProperties(), args, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit properties and streams.
     *
     * @param properties to read the settings from.
     * @param args       none.
     * @param out        for progress.
     * @param err        for the one line of an error.
     * @return the exit status: 0 when the requests channel was closed, 1 when it ended otherwise, 2 on bad input.
     */
    public static int launch(
        final Properties properties, final String[] args, final PrintStream out, final PrintStream err)
    {
        return SampleMain.launch(out, err, () ->
        {
            SampleMain.checkNoArguments(args);
            final Result result = run(
                SampleChannels.fromProperties(properties, Requester.DEFAULT_CHANNEL_ID, "backoff"), out);
            return ChannelState.CLOSED == result.requestsEndState() ? SampleMain.EXIT_OK : SampleMain.EXIT_FAILED;
        });
    }

    /**
     * Wait for the requests channel, reply to each request until it ends, then close the replies channel.
     *
     * @param channels settings: root, requests channel id, timeout and idle strategy.
     * @param out      for progress.
     * @return what was answered.
     * @throws org.kekbit.channel.ChannelException when the requests channel did not appear in time or the replies
     *                                             channel exists.
     * @throws IllegalStateException               when a reply cannot be written.
     */
    public static Result run(final SampleChannels channels, final PrintStream out)
    {
        final ChannelReader requests = channels.awaitReader(channels.channelId());
        final ChannelWriter replies;
        try
        {
            // Every reply is a copy of its request: a channel as large as the requests' holds them all.
            replies = ChannelWriter.create(channels.writerContext(Requester.repliesChannelId(channels.channelId()))
                .capacity(requests.capacity())
                .maxRecordLength(requests.maxRecordLength()));
        }
        catch (final RuntimeException ex)
        {
            requests.close();
            throw ex;
        }

        out.println("replier: replying to " + requests.path() + " on " + replies.path());
        out.flush();

        final Echo echo = new Echo(replies);
        final ChannelReaderAgent requestsAgent = new ChannelReaderAgent(
            requests, echo, POLL_LIMIT, SystemEpochClock.INSTANCE);
        SampleMain.runOnThisThread(new CompositeAgent(replies, requestsAgent), channels.newIdleStrategy());

        final Result result = new Result(echo.replyCount, requestsAgent.endState());
        out.printf(Locale.ROOT, "replier: %,d replies, requests channel %s%n", result.replies(),
            result.requestsEndState());

        return result;
    }

    /**
     * What was answered.
     *
     * @param replies          written.
     * @param requestsEndState how the requests channel ended.
     */
    public record Result(long replies, ChannelState requestsEndState)
    {
    }

    /**
     * Writes a copy of each request as its reply, straight from the requests channel's mapping.
     */
    private static final class Echo implements RecordHandler
    {
        private final ChannelWriter replies;
        private long replyCount;

        Echo(final ChannelWriter replies)
        {
            this.replies = replies;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long result = replies.write(Requester.REPLY_MSG_TYPE_ID, buffer, offset, length);
            if (result < 0)
            {
                throw new IllegalStateException("reply " + replyCount + " not written: code=" + result);
            }
            replyCount++;
        }
    }
}
