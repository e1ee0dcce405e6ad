package org.kekbit.replication;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ChannelUri;
import io.aeron.Counter;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelSource;
import org.kekbit.codecs.replication.AckDecoder;
import org.kekbit.codecs.replication.ChunkEncoder;
import org.kekbit.codecs.replication.HelloDecoder;
import org.kekbit.codecs.replication.MessageHeaderDecoder;
import org.kekbit.codecs.replication.MessageHeaderEncoder;
import org.kekbit.codecs.replication.MirrorKind;
import org.kekbit.codecs.replication.ResumeDecoder;
import org.kekbit.journal.JournalSource;

/**
 * The leader side of replication: an Agrona {@link Agent} that serves one channel to any number of followers. It
 * subscribes to the control endpoint, answers each follower's hello with its own {@link ChannelSource} and
 * {@link io.aeron.ExclusivePublication}, and streams the channel's committed bytes from the follower's position:
 * catch-up and live are one loop. It is a reader of the channel, so it runs in the writer's process or any process
 * beside it; back-pressure only pauses it, the writer never waits.
 * <pre>{@code
 * try (ReplicationSource source = new ReplicationSource(new ReplicationSource.Context()
 *     .aeron(aeron).controlEndpoint("10.0.0.1:40100").channelPath(path));
 *     AgentRunner runner = new AgentRunner(idleStrategy, Throwable::printStackTrace, null, source))
 * {
 *     AgentRunner.startOnThread(runner);
 *     ...
 * }
 * }</pre>
 * Positions are visible as Agrona counters in the media driver ({@link ReplicationCounters}) and as accessors.
 * <p>
 * Not threadsafe: one thread runs the duty cycle and closes; the accessors read counters and may be called from any
 * thread.
 */
public final class ReplicationSource implements Agent, FragmentHandler, AutoCloseable
{
    private static final int CONTROL_FRAGMENT_LIMIT = 16;

    private final Context ctx;
    private final Aeron aeron;
    private final Subscription controlSubscription;
    private final FragmentAssembler controlAssembler = new FragmentAssembler(this);
    private final ArrayList<FollowerSession> sessions = new ArrayList<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final HelloDecoder helloDecoder = new HelloDecoder();
    private final ResumeDecoder resumeDecoder = new ResumeDecoder();
    private final AckDecoder ackDecoder = new AckDecoder();
    private final Counter sentPosition;
    private final Counter receivedPosition;
    private final Counter durablePosition;
    private final Counter followers;
    private final long channelId;
    private final long headerDigest;
    private final boolean isJournal;
    private final String roleName;
    private volatile String lastError;
    private volatile boolean isEndAcknowledged;
    private boolean isClosed;

    /**
     * Start serving a channel: subscribe to the control endpoint and allocate the counters.
     *
     * @param ctx configuration, concluded by this call.
     * @throws IllegalArgumentException with one line naming a setting that cannot work.
     * @throws org.kekbit.channel.ChannelException when the channel cannot be opened.
     */
    public ReplicationSource(final Context ctx)
    {
        ctx.conclude();
        this.ctx = ctx;
        this.aeron = ctx.aeron();
        isJournal = JournalSource.isJournal(ctx.channelPath());
        if (isJournal)
        {
            // As a session will open it: a journal that recycles wants a reader name, and the name must be free.
            try (SourceStream probe = SourceStream.open(ctx))
            {
                channelId = ReplicatedPosition.journalId(ctx.channelPath());
                final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
                probe.headerBytes(header, 0);
                headerDigest = ChannelDigest.headerDigest(header, 0);
            }
        }
        else
        {
            try (ChannelSource probe = ChannelSource.open(ctx.channelPath()))
            {
                channelId = probe.channelId();
                headerDigest = probe.headerDigest();
            }
        }
        final String label = "kekbit-source " + (isJournal ? "journal=" : "channel=") + Long.toHexString(channelId) +
            " ";
        roleName = "kekbit-replication-source-" + Long.toHexString(channelId);
        controlSubscription = aeron.addSubscription(ctx.controlChannel(), ctx.controlStreamId());
        sentPosition = ReplicationCounters.add(
            aeron, ReplicationCounters.SOURCE_SENT_POSITION_TYPE_ID, channelId, label + "sent-position");
        receivedPosition = ReplicationCounters.add(
            aeron, ReplicationCounters.SOURCE_RECEIVED_POSITION_TYPE_ID, channelId, label + "received-position");
        durablePosition = ReplicationCounters.add(
            aeron, ReplicationCounters.SOURCE_DURABLE_POSITION_TYPE_ID, channelId, label + "durable-position");
        followers = ReplicationCounters.add(
            aeron, ReplicationCounters.SOURCE_FOLLOWERS_TYPE_ID, channelId, label + "followers");
    }

    /**
     * Poll the control stream, then let each follower's session send what is committed and not yet sent.
     *
     * @return work done.
     */
    public int doWork()
    {
        int work = controlSubscription.poll(controlAssembler, CONTROL_FRAGMENT_LIMIT);
        final long nowNs = ctx.nanoClock().nanoTime();
        long sent = 0;
        long received = 0;
        long durable = 0;
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final FollowerSession session = sessions.get(i);
            work += session.doWork(nowNs);
            if (session.isClosed())
            {
                sessions.remove(i);
                session.close();
                if (null != session.error())
                {
                    lastError = session.error();
                }
                continue;
            }
            sent = Math.max(sent, session.sentPosition());
            received = Math.max(received, session.receivedPosition());
            durable = Math.max(durable, session.durablePosition());
            if (session.isEndAcknowledged() && !isEndAcknowledged)
            {
                isEndAcknowledged = true;
            }
        }

        sentPosition.setRelease(sent);
        receivedPosition.setRelease(received);
        durablePosition.setRelease(durable);
        followers.setRelease(sessions.size());

        return work;
    }

    /**
     * Handle one control message.
     *
     * @param buffer holding the message.
     * @param offset of the message.
     * @param length of the message.
     * @param header of the Aeron frame.
     */
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return;
        }
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
        {
            return;
        }

        final int blockLength = headerDecoder.blockLength();
        final int version = headerDecoder.version();
        final int messageOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        final long nowNs = ctx.nanoClock().nanoTime();
        switch (headerDecoder.templateId())
        {
            case HelloDecoder.TEMPLATE_ID:
                helloDecoder.wrap(buffer, messageOffset, blockLength, version);
                onHello(nowNs);
                break;

            case ResumeDecoder.TEMPLATE_ID:
                resumeDecoder.wrap(buffer, messageOffset, blockLength, version);
                final FollowerSession resumed = session(resumeDecoder.followerId());
                if (null != resumed)
                {
                    resumed.restart(resumeDecoder.position(), resumeDecoder.dataDigest(), nowNs);
                }
                break;

            case AckDecoder.TEMPLATE_ID:
                ackDecoder.wrap(buffer, messageOffset, blockLength, version);
                final FollowerSession acked = session(ackDecoder.followerId());
                if (null != acked)
                {
                    acked.onAck(ackDecoder.receivedPosition(), ackDecoder.durablePosition(), nowNs);
                }
                break;

            default:
                break;
        }
    }

    private void onHello(final long nowNs)
    {
        final long followerId = helloDecoder.followerId();
        final long followerChannelId = helloDecoder.channelId();
        final long followerDigest = helloDecoder.headerDigest();
        final long position = helloDecoder.position();
        final MirrorKind followerKind = helloDecoder.kind();
        final long followerDataDigest = helloDecoder.dataDigest(); // null value from a version 2 follower
        final String dataChannel = helloDecoder.dataChannel(); // a hello is rare: its string is allowed
        final FollowerSession existing = session(followerId);
        if (null != existing)
        {
            existing.onControl(nowNs); // repeated until our MirrorStart arrives: the session answers it already
            return;
        }

        final String publicationChannel;
        try
        {
            final ChannelUri uri = ChannelUri.parse(dataChannel);
            if (!"udp".equals(uri.media()) || null == uri.get("endpoint"))
            {
                lastError = "hello ignored, data channel must be aeron:udp with an endpoint: " + dataChannel;
                return;
            }
            uri.put("mtu", Integer.toString(ctx.mtuLength()));
            uri.put("term-length", Integer.toString(ctx.termLength()));
            publicationChannel = uri.toString();
        }
        catch (final RuntimeException ex)
        {
            lastError = "hello ignored, bad data channel: " + dataChannel + ": " + ex.getMessage();
            return;
        }

        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            // A follower restarted on the same endpoint: its old session would write into the new one's stream.
            if (sessions.get(i).dataChannel().equals(publicationChannel))
            {
                sessions.remove(i).close();
            }
        }

        try
        {
            sessions.add(new FollowerSession(ctx, aeron, publicationChannel, followerId, helloDecoder.actingVersion(),
                followerKind, followerChannelId, followerDigest, position, followerDataDigest, channelId, channelId,
                headerDigest, nowNs));
        }
        catch (final RuntimeException ex)
        {
            lastError = "cannot serve follower " + Long.toHexString(followerId) + ": " + ex.getMessage();
        }
    }

    private FollowerSession session(final long followerId)
    {
        for (int i = 0, size = sessions.size(); i < size; i++)
        {
            final FollowerSession session = sessions.get(i);
            if (session.followerId() == followerId)
            {
                return session;
            }
        }
        return null;
    }

    /**
     * Position sent so far to the most advanced follower.
     *
     * @return the position.
     */
    public long sentPosition()
    {
        return sentPosition.get();
    }

    /**
     * Highest position a follower acknowledged as committed to its mirror, visible to its readers.
     *
     * @return the position.
     */
    public long receivedPosition()
    {
        return receivedPosition.get();
    }

    /**
     * Highest position a follower acknowledged as durable by its force policy.
     *
     * @return the position.
     */
    public long durablePosition()
    {
        return durablePosition.get();
    }

    /**
     * Number of followers with a session.
     *
     * @return the count.
     */
    public int followerCount()
    {
        return (int)followers.get();
    }

    /**
     * Whether the channel ended and a follower acknowledged everything up to its end marker: nothing is left to
     * replicate.
     *
     * @return true once the end is acknowledged.
     */
    public boolean isEndAcknowledged()
    {
        return isEndAcknowledged;
    }

    /**
     * The last problem met with a follower (a rejected hello, a failed publication), for the tool to print.
     *
     * @return one line, or null.
     */
    public String lastError()
    {
        return lastError;
    }

    /**
     * The control endpoint followers say hello to.
     *
     * @return host and port.
     */
    public String controlEndpoint()
    {
        return ctx.controlEndpoint();
    }

    /**
     * Id of the channel served, or of the journal served ({@link ReplicatedPosition#journalId(Path)}): the key of
     * the counters.
     *
     * @return the id.
     */
    public long channelId()
    {
        return channelId;
    }

    /**
     * Whether a journal is served rather than a channel.
     *
     * @return true for a journal.
     */
    public boolean isJournal()
    {
        return isJournal;
    }

    /**
     * One line on the protocol state, for diagnostics (allocates: not for the duty cycle).
     *
     * @return each follower session's state and positions, and the last error.
     */
    String describe()
    {
        final StringBuilder text = new StringBuilder("control-images=").append(controlSubscription.imageCount());
        for (int i = 0, size = sessions.size(); i < size; i++)
        {
            text.append(" [").append(sessions.get(i).describe()).append(']');
        }
        return text.append(" lastError=").append(lastError).toString();
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return roleName;
    }

    /**
     * Close when the agent running the source closes.
     */
    public void onClose()
    {
        close();
    }

    /**
     * Close every session, the control subscription and the counters. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            for (final FollowerSession session : sessions)
            {
                session.close();
            }
            sessions.clear();
            CloseHelper.closeAll(controlSubscription, sentPosition, receivedPosition, durablePosition, followers);
        }
    }

    /**
     * Configuration of a source: the shared fields of {@link ReplicationContext}, the channel served and the shape
     * of the data streams.
     */
    public static final class Context extends ReplicationContext<Context>
    {
        /**
         * Default term length of each follower's data publication: Aeron's default, so messages up to 2 MiB.
         */
        public static final int DEFAULT_TERM_LENGTH = 16 * 1024 * 1024;

        /**
         * Default longest chunk of channel bytes per message: a record longer than this goes in parts.
         */
        public static final int DEFAULT_MAX_CHUNK_LENGTH = 64 * 1024;

        /**
         * Bytes of a Chunk message before its data: message header, block and the data's length field.
         */
        public static final int CHUNK_PREFIX_LENGTH =
            MessageHeaderEncoder.ENCODED_LENGTH + ChunkEncoder.BLOCK_LENGTH + ChunkEncoder.dataHeaderLength();

        private Path channelPath;
        private int mtuLength = DEFAULT_MTU_LENGTH;
        private int termLength = DEFAULT_TERM_LENGTH;
        private int maxChunkLength = DEFAULT_MAX_CHUNK_LENGTH;
        private long statusIntervalNs = TimeUnit.MILLISECONDS.toNanos(100);
        private long sessionTimeoutNs = TimeUnit.SECONDS.toNanos(10);
        private String readerName;
        private boolean protectRetention = true;
        private boolean commitReceived;

        /**
         * Validate the configuration; called by the source's constructor.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException with one line naming the setting that cannot work.
         */
        public Context conclude()
        {
            concludeCommon();
            if (null == channelPath)
            {
                throw new IllegalArgumentException("channelPath not set: the channel to serve");
            }
            checkMtuLength(mtuLength);
            if (termLength < 64 * 1024 || termLength > 1024 * 1024 * 1024 || Integer.bitCount(termLength) != 1)
            {
                throw new IllegalArgumentException(
                    "termLength must be a power of 2 from 64 KiB to 1 GiB: actual=" + termLength);
            }
            final int limit = maxMessageLength(termLength) - CHUNK_PREFIX_LENGTH;
            if (maxChunkLength < 8 || (maxChunkLength & 7) != 0 || maxChunkLength > limit)
            {
                throw new IllegalArgumentException("maxChunkLength must be a multiple of 8 from 8 to " + limit +
                    " (Aeron's largest message, termLength/8, less " + CHUNK_PREFIX_LENGTH + "): actual=" +
                    maxChunkLength);
            }
            if (sessionTimeoutNs <= statusIntervalNs)
            {
                throw new IllegalArgumentException("sessionTimeoutNs must exceed statusIntervalNs: " +
                    sessionTimeoutNs + " <= " + statusIntervalNs);
            }
            return this;
        }

        static void checkMtuLength(final int mtuLength)
        {
            if (mtuLength < 64 || mtuLength > 65504 || (mtuLength & 31) != 0)
            {
                throw new IllegalArgumentException(
                    "mtuLength must be a multiple of 32 from 64 to 65504 (Aeron's frames): actual=" + mtuLength);
            }
        }

        static int maxMessageLength(final int termLength)
        {
            return Math.min(termLength / 8, 16 * 1024 * 1024);
        }

        /**
         * Path of the channel to serve: a channel's file, or a journal's folder.
         *
         * @param channelPath of the channel file or the journal folder.
         * @return this for a fluent API.
         */
        public Context channelPath(final Path channelPath)
        {
            this.channelPath = channelPath;
            return this;
        }

        /**
         * Path of the channel to serve.
         *
         * @return the path.
         */
        public Path channelPath()
        {
            return channelPath;
        }

        /**
         * MTU of the data publications, a multiple of 32; 1408 by default, which fits an Ethernet frame.
         *
         * @param mtuLength in bytes.
         * @return this for a fluent API.
         */
        public Context mtuLength(final int mtuLength)
        {
            this.mtuLength = mtuLength;
            return this;
        }

        /**
         * MTU of the data publications.
         *
         * @return the MTU in bytes.
         */
        public int mtuLength()
        {
            return mtuLength;
        }

        /**
         * Term length of the data publications, a power of 2: Aeron's largest message is an eighth of it.
         *
         * @param termLength in bytes.
         * @return this for a fluent API.
         */
        public Context termLength(final int termLength)
        {
            this.termLength = termLength;
            return this;
        }

        /**
         * Term length of the data publications.
         *
         * @return the term length in bytes.
         */
        public int termLength()
        {
            return termLength;
        }

        /**
         * Longest run of channel bytes in one message; a record longer than this is sent in parts.
         *
         * @param maxChunkLength in bytes, a multiple of 8.
         * @return this for a fluent API.
         */
        public Context maxChunkLength(final int maxChunkLength)
        {
            this.maxChunkLength = maxChunkLength;
            return this;
        }

        /**
         * Longest run of channel bytes in one message.
         *
         * @return the length in bytes.
         */
        public int maxChunkLength()
        {
            return maxChunkLength;
        }

        /**
         * Interval of the SourceStatus messages a session sends while it has nothing to send.
         *
         * @param statusIntervalNs in nanoseconds.
         * @return this for a fluent API.
         */
        public Context statusIntervalNs(final long statusIntervalNs)
        {
            this.statusIntervalNs = statusIntervalNs;
            return this;
        }

        /**
         * Interval of the SourceStatus messages.
         *
         * @return the interval in nanoseconds.
         */
        public long statusIntervalNs()
        {
            return statusIntervalNs;
        }

        /**
         * A follower silent on the control stream for this long loses its session.
         *
         * @param sessionTimeoutNs in nanoseconds.
         * @return this for a fluent API.
         */
        public Context sessionTimeoutNs(final long sessionTimeoutNs)
        {
            this.sessionTimeoutNs = sessionTimeoutNs;
            return this;
        }

        /**
         * Session timeout.
         *
         * @return the timeout in nanoseconds.
         */
        public long sessionTimeoutNs()
        {
            return sessionTimeoutNs;
        }

        /**
         * Name of the journal reader each follower's session reads as; required to serve a journal that recycles its
         * segments (an unnamed reader refuses one). The session holds the name while it lives, so one follower at a
         * time is served under a name: another one's hello fails with the name held ({@link ReplicationSource#lastError()}) until
         * the first session ends. The reader's committed position follows the follower's acknowledgements. None by
         * default; ignored for a channel.
         *
         * @param readerName 1 to {@code JournalDescriptor.MAX_NAME_LENGTH} printable US-ASCII characters, or null.
         * @return this for a fluent API.
         */
        public Context readerName(final String readerName)
        {
            this.readerName = readerName;
            return this;
        }

        /**
         * Name of the journal reader the sessions read as.
         *
         * @return the name, or null.
         */
        public String readerName()
        {
            return readerName;
        }

        /**
         * Whether the named reader, when its name is new to the journal, protects retention: the writer then deletes
         * no segment the follower has not acknowledged, so a follower that falls behind or is down for a while still
         * catches up from the leader's files, at the cost of the leader's disk while it is away (remove the name
         * with {@code JournalNamedReaders.remove} to let go). On by default; the choice is recorded when the name is first bound.
         *
         * @param protectRetention true to protect.
         * @return this for a fluent API.
         */
        public Context protectRetention(final boolean protectRetention)
        {
            this.protectRetention = protectRetention;
            return this;
        }

        /**
         * Whether a new reader name protects retention.
         *
         * @return true when it does.
         */
        public boolean protectRetention()
        {
            return protectRetention;
        }

        /**
         * Which acknowledged position the named reader commits: the follower's received one (committed to its mirror,
         * lost if the follower's host fails before forcing), or by default its durable one (forced by its policy,
         * the same as received for a follower that never forces). Either is at most what was sent.
         *
         * @param commitReceived true to commit the received position.
         * @return this for a fluent API.
         */
        public Context commitReceived(final boolean commitReceived)
        {
            this.commitReceived = commitReceived;
            return this;
        }

        /**
         * Whether the named reader commits the received position rather than the durable one.
         *
         * @return true for the received position.
         */
        public boolean commitReceived()
        {
            return commitReceived;
        }
    }
}
