package org.kekbit.samples;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelReaderAgent;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;

/**
 * A two-way chat: each participant writes the lines it types to a channel of its own and prints the peer's lines,
 * with the peer's name, from the peer's channel. Run it twice, with the names swapped:
 * <pre>
 * bin/sample Chat alice bob
 * bin/sample Chat bob alice
 * </pre>
 * A user id is 1 to 8 letters, digits, {@code .}, {@code _} or {@code -}; its channel id is its ASCII bytes read as
 * a number, so alice writes channel {@code 0x616c696365}. Lines typed before the peer arrives are not lost: the
 * peer reads the channel from its start. The chat ends at the end of input (Ctrl-D), which closes the
 * participant's channel, or when the peer's channel ends; the participant that sees its peer leave deletes both
 * channels (unless {@code kekbit.sample.keep=true}). Other settings are those of {@link SampleChannels}; the
 * timeout is how long to wait for the peer to arrive.
 * <p>
 * One duty cycle runs the writer (its heartbeat), the typed lines and the peer's channel in a {@link CompositeAgent};
 * a thread of its own reads the input, so the duty cycle never blocks.
 */
public final class Chat
{
    /**
     * Longest user id: a channel id has 8 bytes.
     */
    public static final int MAX_USER_ID_LENGTH = 8;

    private static final int POLL_LIMIT = 64;

    private Chat()
    {
    }

    /**
     * Chat on standard input and output with the settings of the system properties.
     *
     * @param args the user id, then the peer's user id.
     */
    public static void main(final String[] args)
    {
        System.exit(launch(System.getProperties(), args, System.in, SampleMain.stdout(), System.err));
    }

    /**
     * Run as {@link #main(String[])} does, with explicit properties and streams.
     *
     * @param properties to read the settings from.
     * @param args       the user id, then the peer's user id.
     * @param in         to read the typed lines from.
     * @param out        to print the peer's lines to.
     * @param err        for the one line of an error.
     * @return the exit status: 0 on a normal end, 1 when a line could not be sent, 2 on bad input.
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
            if (2 != args.length)
            {
                throw new IllegalArgumentException("usage: Chat <user id> <peer user id>: actual arguments=" +
                    args.length);
            }
            run(SampleChannels.fromProperties(properties, 0, "backoff"), args[0], args[1], in, out);
            return SampleMain.EXIT_OK;
        });
    }

    /**
     * Channel id of a user: the user id's ASCII bytes as a big-endian number.
     *
     * @param userId 1 to {@value #MAX_USER_ID_LENGTH} letters, digits, '.', '_' or '-'.
     * @return the channel id.
     * @throws IllegalArgumentException when the user id is not usable.
     */
    public static long channelIdOf(final String userId)
    {
        if (null == userId || userId.isEmpty() || userId.length() > MAX_USER_ID_LENGTH)
        {
            throw new IllegalArgumentException("user id must have 1 to " + MAX_USER_ID_LENGTH + " characters: " +
                "actual=" + userId);
        }

        long channelId = 0;
        for (int i = 0; i < userId.length(); i++)
        {
            final char c = userId.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' ||
                c == '-'))
            {
                throw new IllegalArgumentException(
                    "user id must be letters, digits, '.', '_' or '-': actual=" + userId);
            }
            channelId = channelId << 8 | c;
        }

        return channelId;
    }

    /**
     * Chat until the end of the input or until the peer's channel ends.
     *
     * @param channels settings: root, timeout to wait for the peer, capacity, idle strategy and keep.
     * @param userId   of this participant, naming the channel it writes.
     * @param peerId   of the peer, naming the channel it reads.
     * @param in       to read the typed lines from, as UTF-8.
     * @param out      to print the peer's lines to, each after the peer's name.
     * @return what was said.
     * @throws IllegalArgumentException            when a user id is not usable or both are the same.
     * @throws org.kekbit.channel.ChannelException when this participant's channel exists, or the peer did not
     *                                             arrive in time (this participant's channel is then deleted).
     * @throws IllegalStateException               when a line could not be sent.
     */
    public static Result run(
        final SampleChannels channels,
        final String userId,
        final String peerId,
        final InputStream in,
        final PrintStream out)
    {
        final long channelId = channelIdOf(userId);
        final long peerChannelId = channelIdOf(peerId);
        if (channelId == peerChannelId)
        {
            throw new IllegalArgumentException("user ids must differ: user=" + userId + ", peer=" + peerId);
        }

        final ChannelWriter writer = ChannelWriter.create(channels.writerContext(channelId));
        out.println("* " + userId + " writes " + writer.path() + "; end the input to leave");
        out.flush();

        final Peer peer = new Peer(channels, peerId, peerChannelId, out, SystemEpochClock.INSTANCE);
        final LinePublisher publisher = new LinePublisher(writer, new InputLines(in).start("kekbit-chat-input"));
        try
        {
            SampleMain.runOnThisThread(new CompositeAgent(writer, publisher, peer), channels.newIdleStrategy());
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.TIMEOUT == ex.reason() && !channels.keep())
            {
                SampleMain.deleteChannel(writer.path()); // the peer never came: nobody will read it
            }
            throw ex;
        }

        final ChannelState peerEndState = peer.endState();
        if (null != peerEndState)
        {
            out.println("* " + peerId + " left" + (ChannelState.CLOSED == peerEndState ? "" : ": " + peerEndState));
            if (!channels.keep())
            {
                // Each channel has one reader, the other participant: once the peer has left, neither is needed.
                SampleMain.deleteChannel(peer.path);
                SampleMain.deleteChannel(writer.path());
            }
        }
        out.flush();

        return new Result(publisher.lines(), peer.lines, peerEndState);
    }

    /**
     * What was said.
     *
     * @param linesSent     typed and sent.
     * @param linesReceived from the peer.
     * @param peerEndState  how the peer's channel ended, or null when this participant left first.
     */
    public record Result(long linesSent, long linesReceived, ChannelState peerEndState)
    {
    }

    /**
     * The peer's side: waits for the peer's channel to appear, then prints its lines through a
     * {@link ChannelReaderAgent} and terminates with it when the channel ends.
     */
    private static final class Peer implements Agent, RecordHandler
    {
        private final ChannelReader.Context context;
        private final Path path;
        private final String peerId;
        private final PrintStream out;
        private final EpochClock epochClock;
        private final long timeoutMs;
        private final long startMs;
        private long nextAttemptMs;
        private long lines;
        private ChannelReaderAgent readerAgent;

        Peer(
            final SampleChannels channels,
            final String peerId,
            final long peerChannelId,
            final PrintStream out,
            final EpochClock epochClock)
        {
            this.context = channels.readerContext(peerChannelId).epochClock(epochClock);
            this.path = ChannelDescriptor.channelPath(channels.root(), peerChannelId);
            this.peerId = peerId;
            this.out = out;
            this.epochClock = epochClock;
            this.timeoutMs = channels.timeoutMs();
            this.startMs = epochClock.time();
        }

        public int doWork()
        {
            if (null != readerAgent)
            {
                final int count = readerAgent.doWork();
                if (count > 0)
                {
                    out.flush();
                }
                return count;
            }

            return awaitPeer();
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            out.print(peerId);
            out.print(": ");
            out.println(buffer.getStringWithoutLengthUtf8(offset, length));
            lines++;
        }

        public void onClose()
        {
            if (null != readerAgent)
            {
                readerAgent.onClose();
            }
        }

        public String roleName()
        {
            return "kekbit-chat-peer";
        }

        ChannelState endState()
        {
            return null == readerAgent ? null : readerAgent.endState();
        }

        private int awaitPeer()
        {
            final long nowMs = epochClock.time();
            if (nowMs < nextAttemptMs)
            {
                return 0;
            }
            nextAttemptMs = nowMs + SampleChannels.AWAIT_IDLE_MS;

            if (Files.exists(path)) // most attempts find nothing: spare them an exception
            {
                try
                {
                    readerAgent = new ChannelReaderAgent(ChannelReader.open(context), this, POLL_LIMIT, epochClock);
                    out.println("* " + peerId + " is here");
                    out.flush();
                    return 1;
                }
                catch (final ChannelException ex)
                {
                    if (ChannelException.Reason.NOT_FOUND != ex.reason() &&
                        ChannelException.Reason.NOT_READY != ex.reason())
                    {
                        throw ex;
                    }
                }
            }

            if (nowMs - startMs >= timeoutMs)
            {
                throw new ChannelException(ChannelException.Reason.TIMEOUT,
                    peerId + " did not arrive within " + timeoutMs + " ms: no channel " + path);
            }

            return 0;
        }
    }
}
