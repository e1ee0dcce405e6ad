package org.kekbit.replication;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.ExclusivePublication;
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
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelMirror;
import org.kekbit.codecs.replication.AckEncoder;
import org.kekbit.codecs.replication.ChunkDecoder;
import org.kekbit.codecs.replication.HelloEncoder;
import org.kekbit.codecs.replication.MessageHeaderDecoder;
import org.kekbit.codecs.replication.MessageHeaderEncoder;
import org.kekbit.codecs.replication.MirrorStartDecoder;
import org.kekbit.codecs.replication.RejectDecoder;
import org.kekbit.codecs.replication.MirrorKind;
import org.kekbit.codecs.replication.ResumeEncoder;
import org.kekbit.codecs.replication.SegmentRollDecoder;
import org.kekbit.codecs.replication.SourceStatusDecoder;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.kekbit.journal.JournalMirror;
import org.kekbit.journal.JournalSource;

/**
 * The follower side of replication: an Agrona {@link Agent} that keeps a byte-identical mirror of a leader's
 * channel with a {@link ChannelMirror}, or of a leader's journal, segment by segment, with a {@link JournalMirror}. It says hello to the leader's control endpoint with its mirror's identity
 * and position, takes the leader's header from the MirrorStart answer (creating the mirror, or reopening its own
 * after a crash), writes each chunk at its position and acknowledges the received and durable positions. Ordinary
 * readers on this host tail the mirror live.
 * <pre>{@code
 * try (ReplicationSink sink = new ReplicationSink(new ReplicationSink.Context()
 *     .aeron(aeron).controlEndpoint("10.0.0.1:40100").mirrorDir(dir)))
 * {
 *     while (!sink.isFailed())
 *     {
 *         idleStrategy.idle(sink.doWork());
 *     }
 * }
 * }</pre>
 * A rejected follower (another channel, a divergent mirror) stops: {@link #isFailed()} turns true and
 * {@link #failure()} says why in one line; the mirror is left as it was. The hello and every resume carry a digest
 * of the mirror's bytes before its position (its channel's, or its newest segment's), which the leader compares with
 * its own: a mirror whose history diverged from the leader's is rejected ({@code DIVERGED}) before anything is
 * written to it. Computing it reads up to a segment, once per position (cold: the hello, a resume).
 * <p>
 * Not threadsafe: one thread runs the duty cycle and closes; the position accessors read counters and may be called
 * from any thread.
 */
public final class ReplicationSink implements Agent, FragmentHandler, AutoCloseable
{
    /**
     * Force policy: never force; the durable position is the committed one, which survives the sink's crash but not
     * the host's.
     */
    public static final long FORCE_NEVER = -1;

    /**
     * Force policy: force after every duty cycle that committed records.
     */
    public static final long FORCE_EVERY_POLL = 0;

    private static final int RESOLVING = 0;
    private static final int HELLO = 1;
    private static final int STREAMING = 2;
    private static final int FAILED = 3;
    private static final int NO_SESSION = 0;
    private static final int FRAGMENT_LIMIT = 64;

    private final Context ctx;
    private final Subscription dataSubscription;
    private final ExclusivePublication controlPublication;
    private final FragmentAssembler assembler = new FragmentAssembler(this);
    private final UnsafeBuffer sendBuffer = new UnsafeBuffer(new byte[1024]);
    private final UnsafeBuffer headerView = new UnsafeBuffer(0, 0);
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MirrorStartDecoder startDecoder = new MirrorStartDecoder();
    private final ChunkDecoder chunkDecoder = new ChunkDecoder();
    private final SourceStatusDecoder statusDecoder = new SourceStatusDecoder();
    private final RejectDecoder rejectDecoder = new RejectDecoder();
    private final SegmentRollDecoder rollDecoder = new SegmentRollDecoder();
    private final UnsafeBuffer sealView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer nextHeaderView = new UnsafeBuffer(0, 0);
    private final AckEncoder ackEncoder = new AckEncoder();
    private final ResumeEncoder resumeEncoder = new ResumeEncoder();
    private Counter receivedPosition;
    private Counter durablePosition;
    private Counter leaderPosition;
    private long counterKey;
    private final SecureRandom random = new SecureRandom();
    private long followerId;
    private ChannelMirror mirror;
    private JournalMirror journal;
    private String dataChannel;
    private int state = RESOLVING;
    private int sessionId = NO_SESSION;
    private long lastHelloNs;
    private long lastAckNs;
    private long lastForceNs;
    private long ackedReceived = -1;
    private long ackedDurable = -1;
    private long resumeRequested = -1;
    private long awaitedStart = -1;
    private long dataDigestPosition = -1;
    private long dataDigest;
    private volatile String failure;
    private volatile boolean isEnded;
    private boolean isClosed;

    /**
     * Start following: reopen the mirror when there is one, subscribe to the data endpoint, publish to the leader's
     * control endpoint and allocate the counters.
     *
     * @param ctx configuration, concluded by this call.
     * @throws IllegalArgumentException with one line naming a setting that cannot work.
     * @throws ChannelException         when an existing mirror cannot be reopened.
     */
    public ReplicationSink(final Context ctx)
    {
        ctx.conclude();
        this.ctx = ctx;
        followerId = random.nextLong() | 1; // never 0
        final Path existing = ctx.mirrorPath();
        if ((null != existing && Files.isDirectory(existing)) ||
            (null == existing && JournalSource.isJournal(ctx.mirrorDir())))
        {
            journal = JournalMirror.open(journalFolder());
        }
        else if (null != existing && ChannelMirror.exists(existing))
        {
            mirror = ChannelMirror.open(existing);
        }

        addCounters(ctx.channelId());
        if (hasMirror())
        {
            receivedPosition.setRelease(mirrorPosition());
            durablePosition.setRelease(null != journal ? journal.forcedPosition() : mirror.forcedPosition());
            isEnded = null != journal ? journal.isEnded() : mirror.isEnded();
        }
        final Aeron aeron = ctx.aeron();
        dataSubscription = aeron.addSubscription("aeron:udp?endpoint=" + ctx.dataEndpoint(), ctx.dataStreamId());
        controlPublication = aeron.addExclusivePublication(ctx.controlChannel(), ctx.controlStreamId());
    }

    /**
     * Counters keyed by the id of what is followed: the channel's, or the journal's, once the leader names it.
     */
    private void addCounters(final long key)
    {
        final Aeron aeron = ctx.aeron();
        final String label = "kekbit-sink follower=" + Long.toHexString(followerId) + " id=" +
            Long.toHexString(key) + " ";
        final long received = null == receivedPosition ? 0 : receivedPosition.get();
        final long durable = null == durablePosition ? 0 : durablePosition.get();
        final long leader = null == leaderPosition ? 0 : leaderPosition.get();
        CloseHelper.closeAll(receivedPosition, durablePosition, leaderPosition);
        counterKey = key;
        receivedPosition = ReplicationCounters.add(
            aeron, ReplicationCounters.SINK_RECEIVED_POSITION_TYPE_ID, key, label + "received-position");
        durablePosition = ReplicationCounters.add(
            aeron, ReplicationCounters.SINK_DURABLE_POSITION_TYPE_ID, key, label + "durable-position");
        leaderPosition = ReplicationCounters.add(
            aeron, ReplicationCounters.SINK_LEADER_POSITION_TYPE_ID, key, label + "leader-position");
        receivedPosition.setRelease(received);
        durablePosition.setRelease(durable);
        leaderPosition.setRelease(leader);
    }

    private Path journalFolder()
    {
        return null != ctx.mirrorPath() ? ctx.mirrorPath() : ctx.mirrorDir();
    }

    private boolean hasMirror()
    {
        return null != mirror || null != journal;
    }

    private long mirrorPosition()
    {
        return null != journal ? journal.position() : mirror.position();
    }

    /**
     * One duty cycle: say hello until the leader answers, take its chunks into the mirror, force per the policy,
     * acknowledge and keep the mirror's heartbeat fresh.
     *
     * @return work done.
     */
    public int doWork()
    {
        final long nowNs = ctx.nanoClock().nanoTime();
        int work = 0;
        switch (state)
        {
            case RESOLVING:
                final String resolved = dataSubscription.tryResolveChannelEndpointPort();
                if (null != resolved)
                {
                    dataChannel = resolved;
                    state = HELLO;
                    work++;
                }
                return work;

            case HELLO:
                if (nowNs - lastHelloNs >= ctx.helloIntervalNs() && sendHello())
                {
                    lastHelloNs = nowNs;
                    work++;
                }
                work += dataSubscription.poll(assembler, FRAGMENT_LIMIT);
                break;

            case STREAMING:
                if (isAwaitingStart() && resumeRequested != awaitedStart)
                {
                    sendResume(awaitedStart); // the control publication did not take it: nothing is written till then
                }
                work += dataSubscription.poll(assembler, FRAGMENT_LIMIT);
                if (STREAMING == state && null == dataSubscription.imageBySessionId(sessionId))
                {
                    // The leader's stream went away (leader gone, link down past Aeron's timeout): hello again.
                    // A new follower id: the leader opens a new session rather than taking this for a repeat.
                    followerId = random.nextLong() | 1;
                    sessionId = NO_SESSION;
                    awaitedStart = -1; // the new hello says where the mirror stands, with its digest
                    state = HELLO;
                    lastHelloNs = nowNs - ctx.helloIntervalNs();
                }
                break;

            default:
                return 0;
        }

        if (hasMirror())
        {
            work += forceAndAck(nowNs, work > 0);
            work += null != journal ? journal.doWork() : mirror.doWork();
        }

        return work;
    }

    private int forceAndAck(final long nowNs, final boolean didWork)
    {
        final long committed = mirrorPosition();
        receivedPosition.setRelease(committed);
        final long forceIntervalNs = ctx.forceIntervalNs();
        final long durable;
        if (FORCE_NEVER == forceIntervalNs)
        {
            durable = committed;
        }
        else if ((FORCE_EVERY_POLL == forceIntervalNs && didWork) || nowNs - lastForceNs >= forceIntervalNs)
        {
            durable = null != journal ? journal.force() : mirror.force();
            lastForceNs = nowNs;
        }
        else
        {
            durable = null != journal ? journal.forcedPosition() : mirror.forcedPosition();
        }
        durablePosition.setRelease(durable);

        final boolean isChanged = committed != ackedReceived || durable != ackedDurable;
        if ((isChanged && nowNs - lastAckNs >= ctx.ackIntervalNs()) || nowNs - lastAckNs >= ctx.keepaliveIntervalNs())
        {
            ackEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .followerId(followerId)
                .receivedPosition(committed)
                .durablePosition(durable);
            if (controlPublication.offer(sendBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH +
                AckEncoder.BLOCK_LENGTH) > 0)
            {
                lastAckNs = nowNs;
                ackedReceived = committed;
                ackedDurable = durable;
                return 1;
            }
        }
        return 0;
    }

    private boolean sendHello()
    {
        final HelloEncoder encoder = new HelloEncoder(); // cold: until the leader answers
        final long channelId;
        final long digest;
        final long position;
        final MirrorKind kind;
        if (null != journal)
        {
            channelId = journal.segmentBase();
            digest = journal.headerDigest();
            position = journal.position();
            kind = MirrorKind.JOURNAL;
        }
        else if (null != mirror)
        {
            channelId = mirror.channelId();
            digest = mirror.headerDigest();
            position = mirror.position();
            kind = MirrorKind.CHANNEL;
        }
        else
        {
            channelId = ctx.channelId();
            digest = 0;
            position = 0;
            kind = 0 != ctx.channelId() ? MirrorKind.CHANNEL : MirrorKind.ANY;
        }
        final long mirrorDataDigest = mirrorDataDigest(position);
        if (FAILED == state)
        {
            return false;
        }
        encoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .followerId(followerId)
            .channelId(channelId)
            .headerDigest(digest)
            .position(position)
            .kind(kind)
            .dataDigest(mirrorDataDigest)
            .dataChannel(dataChannel);
        return controlPublication.offer(sendBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH +
            encoder.encodedLength()) > 0;
    }

    /**
     * Ask the leader to send from the mirror's position, with the digest of the mirror's bytes before it, and write
     * nothing until its MirrorStart from there: a leader whose history differs (a mirror found only after the hello)
     * rejects the resume, and until then the stream it started elsewhere must not reach the mirror.
     */
    private void sendResume(final long position)
    {
        awaitedStart = position;
        final long mirrorDataDigest = mirrorDataDigest(position);
        if (FAILED == state)
        {
            return;
        }
        resumeEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .followerId(followerId)
            .position(position)
            .dataDigest(mirrorDataDigest);
        if (controlPublication.offer(sendBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH +
            ResumeEncoder.BLOCK_LENGTH) > 0)
        {
            resumeRequested = position;
        }
    }

    /**
     * The digest of the mirror's bytes before its position, for a hello or a resume: computed once per position (a
     * hello repeats until the leader answers, and committed bytes never change), none without a mirror.
     */
    private long mirrorDataDigest(final long position)
    {
        if (!hasMirror())
        {
            return FollowerSession.NO_DATA_DIGEST;
        }
        if (position != dataDigestPosition)
        {
            try
            {
                dataDigest = null != journal ? journal.dataDigest() : mirror.dataDigest();
            }
            catch (final ChannelException | IllegalStateException ex)
            {
                fail("cannot digest the mirror " + mirrorPath() + " for the leader: " + ex.getMessage());
                return FollowerSession.NO_DATA_DIGEST;
            }
            dataDigestPosition = position;
        }
        return dataDigest;
    }

    /**
     * Handle one message of the data stream.
     *
     * @param buffer holding the message.
     * @param offset of the message.
     * @param length of the message.
     * @param header of the Aeron frame.
     */
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (FAILED == state || length < MessageHeaderDecoder.ENCODED_LENGTH)
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
        switch (headerDecoder.templateId())
        {
            case ChunkDecoder.TEMPLATE_ID:
                if (header.sessionId() == sessionId && !isAwaitingStart())
                {
                    chunkDecoder.wrap(buffer, messageOffset, blockLength, version);
                    onChunk(buffer);
                }
                break;

            case MirrorStartDecoder.TEMPLATE_ID:
                startDecoder.wrap(buffer, messageOffset, blockLength, version);
                if (startDecoder.followerId() == followerId)
                {
                    onMirrorStart(header.sessionId());
                }
                break;

            case SegmentRollDecoder.TEMPLATE_ID:
                if (header.sessionId() == sessionId && !isAwaitingStart())
                {
                    rollDecoder.wrap(buffer, messageOffset, blockLength, version);
                    onRoll();
                }
                break;

            case SourceStatusDecoder.TEMPLATE_ID:
                if (header.sessionId() == sessionId)
                {
                    statusDecoder.wrap(buffer, messageOffset, blockLength, version);
                    leaderPosition.setRelease(statusDecoder.leaderPosition());
                }
                break;

            case RejectDecoder.TEMPLATE_ID:
                rejectDecoder.wrap(buffer, messageOffset, blockLength, version);
                if (rejectDecoder.followerId() == followerId)
                {
                    final String reason = rejectDecoder.reason().name();
                    fail("leader rejected this follower (" + reason + "): " + rejectDecoder.message());
                }
                break;

            default:
                break;
        }
    }

    /**
     * Whether a resume was asked for and its MirrorStart has not come: what the leader sends meanwhile is dropped.
     */
    private boolean isAwaitingStart()
    {
        return awaitedStart >= 0;
    }

    private void onChunk(final DirectBuffer buffer)
    {
        final long position = chunkDecoder.position();
        final int dataLength = chunkDecoder.dataLength();
        final int dataOffset = chunkDecoder.limit() + ChunkDecoder.dataHeaderLength();
        final long result = null != journal ? journal.write(position, buffer, dataOffset, dataLength) :
            mirror.write(position, buffer, dataOffset, dataLength);
        onResult(result, "bytes at position=" + position + ", length=" + dataLength);
    }

    private void onRoll()
    {
        if (null == journal)
        {
            fail("leader sent a journal's roll to the mirror of a channel: " + mirrorPath());
            return;
        }
        final long markerPosition = rollDecoder.markerPosition();
        final long nextBase = rollDecoder.nextBase();
        rollDecoder.wrapSeal(sealView);
        rollDecoder.wrapNextHeader(nextHeaderView);
        if (ChannelDescriptor.HEADER_LENGTH != nextHeaderView.capacity())
        {
            fail("leader's segment header has an unexpected length: expected=" + ChannelDescriptor.HEADER_LENGTH +
                ", actual=" + nextHeaderView.capacity());
            return;
        }
        final long result;
        try
        {
            result = journal.roll(markerPosition, sealView, 0, sealView.capacity(), nextBase, nextHeaderView, 0);
        }
        catch (final ChannelException ex)
        {
            fail("cannot create the next segment of the mirror: " + ex.getMessage());
            return;
        }
        onResult(result, "roll at position=" + markerPosition + " to segment " + nextBase);
    }

    private void onResult(final long result, final String what)
    {
        if (result >= 0)
        {
            isEnded = null != journal ? journal.isEnded() : mirror.isEnded(); // a reopened journal ends no more
        }
        else if (ChannelMirror.GAP == result)
        {
            final long position = mirrorPosition();
            if (resumeRequested != position)
            {
                sendResume(position); // once per gap: the leader seeks and sends a new MirrorStart
            }
        }
        else if (ChannelMirror.BAD_DATA == result)
        {
            fail("leader sent " + what + " that no writer of this " + (null != journal ? "journal" : "channel") +
                " writes: mirror " + mirrorPath() + " left at position=" + mirrorPosition());
        }
        else
        {
            fail("mirror closed or taken over by a resumed writer: " + mirrorPath());
        }
    }

    private void onMirrorStart(final int leaderSessionId)
    {
        final long startPosition = startDecoder.startPosition();
        final int headerLength = startDecoder.channelHeaderLength();
        if (headerLength != ChannelDescriptor.HEADER_LENGTH)
        {
            fail("leader's channel header has an unexpected length: expected=" + ChannelDescriptor.HEADER_LENGTH +
                ", actual=" + headerLength);
            return;
        }
        startDecoder.wrapChannelHeader(headerView);
        final ChannelHeaderDecoder leaderHeader = new ChannelHeaderDecoder() // cold: once per session
            .wrap(headerView, 0, ChannelHeaderDecoder.BLOCK_LENGTH, ChannelHeaderDecoder.SCHEMA_VERSION);
        final long sourceId = startDecoder.sourceId();
        final boolean isJournal = MirrorKind.JOURNAL == startDecoder.kind();
        final long key = MirrorStartDecoder.sourceIdNullValue() == sourceId ? leaderHeader.channelId() : sourceId;
        if (key != counterKey)
        {
            addCounters(key);
        }
        leaderPosition.setRelease(startDecoder.leaderPosition());
        if (isJournal ? null != mirror : null != journal)
        {
            fail("the leader serves a " + (isJournal ? "journal" : "channel") + " and " + mirrorPath() +
                " mirrors a " + (isJournal ? "channel" : "journal"));
            return;
        }
        if (isJournal)
        {
            onJournalStart(startPosition, leaderHeader.channelId());
        }
        else
        {
            onChannelStart(leaderHeader.channelId());
        }
        if (FAILED == state)
        {
            return;
        }

        sessionId = leaderSessionId;
        state = STREAMING;
        resumeRequested = -1;
        awaitedStart = -1;
        if (startPosition != mirrorPosition())
        {
            // A mirror reopened only now, behind or ahead of where the leader starts: start where it ends.
            sendResume(mirrorPosition());
        }
    }

    private void onJournalStart(final long startPosition, final long segmentBase)
    {
        try
        {
            if (null == journal)
            {
                journal = JournalMirror.open(journalFolder());
                isEnded = journal.isEnded();
            }
            if (startPosition < segmentBase)
            {
                fail("leader's start position is before its segment: position=" + startPosition + ", base=" +
                    segmentBase);
                return;
            }
            if (journal.startSegment(segmentBase, headerView, 0) < 0)
            {
                fail("mirror " + journal.folder() + " is not of the leader's journal: its segment at base " +
                    journal.segmentBase() + " differs from the leader's segment at base " + segmentBase);
            }
        }
        catch (final ChannelException ex)
        {
            fail("cannot create or open the journal's mirror: " + ex.getMessage());
        }
    }

    private void onChannelStart(final long channelId)
    {
        try
        {
            if (null == mirror)
            {
                final Path path = null != ctx.mirrorPath() ? ctx.mirrorPath() :
                    ChannelDescriptor.channelPath(ctx.mirrorDir(), channelId);
                mirror = ChannelMirror.exists(path) ? ChannelMirror.open(path) :
                    ChannelMirror.create(path, headerView, 0);
                isEnded = mirror.isEnded();
            }
        }
        catch (final ChannelException ex)
        {
            fail("cannot create or open the mirror: " + ex.getMessage());
            return;
        }

        final long leaderDigest = ChannelDigest.headerDigest(headerView, 0);
        if (leaderDigest != mirror.headerDigest())
        {
            fail("mirror " + mirror.path() + " is of another channel than the leader's (header digests differ): " +
                "expected=" + Long.toHexString(leaderDigest) + ", actual=" + Long.toHexString(mirror.headerDigest()));
        }
    }

    private void fail(final String message)
    {
        failure = message;
        state = FAILED;
    }

    /**
     * Whether the leader rejected this follower or the mirror cannot go on: nothing more is done.
     *
     * @return true once failed.
     */
    public boolean isFailed()
    {
        return null != failure;
    }

    /**
     * Why the sink failed.
     *
     * @return one line, or null.
     */
    public String failure()
    {
        return failure;
    }

    /**
     * Whether the mirror holds the leader's end marker: the channel is complete.
     *
     * @return true once ended.
     */
    public boolean isEnded()
    {
        return isEnded;
    }

    /**
     * End of the last record committed to the mirror, visible to its readers.
     *
     * @return the position.
     */
    public long receivedPosition()
    {
        return receivedPosition.get();
    }

    /**
     * End of the last record durable by the force policy.
     *
     * @return the position.
     */
    public long durablePosition()
    {
        return durablePosition.get();
    }

    /**
     * The leader's committed position as last reported: lag is this minus {@link #receivedPosition()}.
     *
     * @return the position.
     */
    public long leaderPosition()
    {
        return leaderPosition.get();
    }

    /**
     * Id of this follower in the protocol, random per session with the leader.
     *
     * @return the follower id.
     */
    public long followerId()
    {
        return followerId;
    }

    /**
     * The data channel this sink receives on, with its port resolved.
     *
     * @return the channel, or null until resolved.
     */
    public String dataChannel()
    {
        return dataChannel;
    }

    /**
     * Path of the mirror.
     *
     * @return the path, or null until the leader's header came.
     */
    public Path mirrorPath()
    {
        final JournalMirror journal = this.journal;
        if (null != journal)
        {
            return journal.folder();
        }
        final ChannelMirror mirror = this.mirror;
        return null == mirror ? ctx.mirrorPath() : mirror.path();
    }

    /**
     * Whether the mirror is of a journal.
     *
     * @return true once a journal's mirror is open.
     */
    public boolean isJournal()
    {
        return null != journal;
    }

    /**
     * Key of this sink's counters: the channel's id, or the journal's ({@link ReplicatedPosition#journalId}), as the
     * leader named it; until then the context's channel id.
     *
     * @return the key.
     */
    public long counterKey()
    {
        return counterKey;
    }

    /**
     * One line on the protocol state, for diagnostics (allocates: not for the duty cycle).
     *
     * @return state, session, positions and the data images' sessions.
     */
    String describe()
    {
        final StringBuilder images = new StringBuilder();
        dataSubscription.forEachImage((image) -> images.append(image.sessionId()).append(image.isClosed() ? "(closed)" :
            "").append(image.isEndOfStream() ? "(eos)" : "").append(' '));
        return "state=" + state + " session=" + sessionId + " follower=" + Long.toHexString(followerId) +
            " mirror=" + (hasMirror() ? mirrorPosition() : -1) + " leader=" + leaderPosition.get() +
            " resumeRequested=" + resumeRequested + " awaitedStart=" + awaitedStart + " ended=" + isEnded +
            " failure=" + failure +
            " control-connected=" + controlPublication.isConnected() + " images=[" + images.toString().trim() + "]";
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-replication-sink";
    }

    /**
     * Close when the agent running the sink closes.
     */
    public void onClose()
    {
        close();
    }

    /**
     * Force the mirror unless the policy never forces, close it without an end marker, and close the streams and
     * counters. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (FORCE_NEVER != ctx.forceIntervalNs())
            {
                if (null != mirror)
                {
                    mirror.force();
                }
                if (null != journal)
                {
                    journal.force();
                }
            }
            CloseHelper.closeAll(mirror, journal, dataSubscription, controlPublication, receivedPosition,
                durablePosition, leaderPosition);
        }
    }

    /**
     * Configuration of a sink: the shared fields of {@link ReplicationContext}, where the mirror goes, the data
     * endpoint and the force and ack policies.
     */
    public static final class Context extends ReplicationContext<Context>
    {
        private Path mirrorDir;
        private Path mirrorPath;
        private long channelId;
        private String dataEndpoint;
        private long forceIntervalNs = FORCE_NEVER;
        private long ackIntervalNs = TimeUnit.MILLISECONDS.toNanos(1);
        private long keepaliveIntervalNs = TimeUnit.MILLISECONDS.toNanos(500);
        private long helloIntervalNs = TimeUnit.MILLISECONDS.toNanos(100);

        /**
         * Validate the configuration and fill in defaults; called by the sink's constructor.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException with one line naming the setting that cannot work.
         */
        public Context conclude()
        {
            concludeCommon();
            if (null == mirrorDir && null == mirrorPath)
            {
                throw new IllegalArgumentException("neither mirrorDir nor mirrorPath set: where the mirror goes");
            }
            if (null == mirrorPath && 0 != channelId)
            {
                mirrorPath = ChannelDescriptor.channelPath(mirrorDir, channelId);
            }
            if (null == dataEndpoint)
            {
                dataEndpoint = localAddressToward(controlEndpoint()) + ":0";
            }
            checkEndpoint("dataEndpoint", dataEndpoint);
            if (forceIntervalNs < FORCE_NEVER)
            {
                throw new IllegalArgumentException("forceIntervalNs must be -1 (never), 0 (every poll) or a " +
                    "positive interval: actual=" + forceIntervalNs);
            }
            if (keepaliveIntervalNs <= 0 || ackIntervalNs < 0 || helloIntervalNs <= 0)
            {
                throw new IllegalArgumentException("intervals must be positive: keepaliveIntervalNs=" +
                    keepaliveIntervalNs + ", ackIntervalNs=" + ackIntervalNs + ", helloIntervalNs=" + helloIntervalNs);
            }
            return this;
        }

        /**
         * The local address a datagram to the leader leaves from: where the leader can reach this host.
         */
        private static String localAddressToward(final String endpoint)
        {
            final int colon = endpoint.lastIndexOf(':');
            try (DatagramSocket socket = new DatagramSocket())
            {
                socket.connect(new InetSocketAddress(InetAddress.getByName(endpoint.substring(0, colon)),
                    Integer.parseInt(endpoint.substring(colon + 1))));
                return socket.getLocalAddress().getHostAddress();
            }
            catch (final IOException ex)
            {
                throw new IllegalArgumentException("no route to the leader's control endpoint " + endpoint +
                    ": set dataEndpoint explicitly (" + ex.getMessage() + ")", ex);
            }
        }

        /**
         * Folder the mirror is created in: a channel's under the channel's usual path
         * ({@link ChannelDescriptor#channelPath}), the channel id coming from the leader; a journal's segments in the
         * folder itself. A folder that holds journal segments is reopened as a journal's mirror at start.
         *
         * @param mirrorDir folder.
         * @return this for a fluent API.
         */
        public Context mirrorDir(final Path mirrorDir)
        {
            this.mirrorDir = mirrorDir;
            return this;
        }

        /**
         * Folder the mirror is created in.
         *
         * @return the folder.
         */
        public Path mirrorDir()
        {
            return mirrorDir;
        }

        /**
         * Exact path of the mirror, instead of a folder: a channel mirror's file, or a journal mirror's folder (an
         * existing folder is taken for a journal's).
         *
         * @param mirrorPath of the mirror's file or folder.
         * @return this for a fluent API.
         */
        public Context mirrorPath(final Path mirrorPath)
        {
            this.mirrorPath = mirrorPath;
            return this;
        }

        /**
         * Exact path of the mirror.
         *
         * @return the path, or null when only a folder is set and the channel id is not known yet.
         */
        public Path mirrorPath()
        {
            return mirrorPath;
        }

        /**
         * Channel to mirror; 0 (the default) takes whatever channel the leader serves. With a folder and an id, an
         * existing mirror is reopened before the first hello.
         *
         * @param channelId of the channel.
         * @return this for a fluent API.
         */
        public Context channelId(final long channelId)
        {
            this.channelId = channelId;
            return this;
        }

        /**
         * Channel to mirror.
         *
         * @return the channel id, or 0 for any.
         */
        public long channelId()
        {
            return channelId;
        }

        /**
         * Local {@code HOST:PORT} the data stream is received on; port 0 takes a free one. By default the address
         * datagrams to the leader leave from, port 0.
         *
         * @param dataEndpoint host and port.
         * @return this for a fluent API.
         */
        public Context dataEndpoint(final String dataEndpoint)
        {
            this.dataEndpoint = dataEndpoint;
            return this;
        }

        /**
         * Local data endpoint.
         *
         * @return host and port.
         */
        public String dataEndpoint()
        {
            return dataEndpoint;
        }

        /**
         * Force policy: {@link #FORCE_NEVER} (the default: records survive the sink's crash, not the host's),
         * {@link #FORCE_EVERY_POLL}, or an interval in nanoseconds.
         *
         * @param forceIntervalNs the policy.
         * @return this for a fluent API.
         */
        public Context forceIntervalNs(final long forceIntervalNs)
        {
            this.forceIntervalNs = forceIntervalNs;
            return this;
        }

        /**
         * Force policy.
         *
         * @return the policy.
         */
        public long forceIntervalNs()
        {
            return forceIntervalNs;
        }

        /**
         * Shortest interval between acks while positions move.
         *
         * @param ackIntervalNs in nanoseconds.
         * @return this for a fluent API.
         */
        public Context ackIntervalNs(final long ackIntervalNs)
        {
            this.ackIntervalNs = ackIntervalNs;
            return this;
        }

        /**
         * Shortest interval between acks.
         *
         * @return the interval in nanoseconds.
         */
        public long ackIntervalNs()
        {
            return ackIntervalNs;
        }

        /**
         * Interval of acks while nothing moves, which keep the follower's session at the leader alive.
         *
         * @param keepaliveIntervalNs in nanoseconds.
         * @return this for a fluent API.
         */
        public Context keepaliveIntervalNs(final long keepaliveIntervalNs)
        {
            this.keepaliveIntervalNs = keepaliveIntervalNs;
            return this;
        }

        /**
         * Keepalive interval.
         *
         * @return the interval in nanoseconds.
         */
        public long keepaliveIntervalNs()
        {
            return keepaliveIntervalNs;
        }

        /**
         * Interval of hellos until the leader answers.
         *
         * @param helloIntervalNs in nanoseconds.
         * @return this for a fluent API.
         */
        public Context helloIntervalNs(final long helloIntervalNs)
        {
            this.helloIntervalNs = helloIntervalNs;
            return this;
        }

        /**
         * Hello interval.
         *
         * @return the interval in nanoseconds.
         */
        public long helloIntervalNs()
        {
            return helloIntervalNs;
        }
    }
}
