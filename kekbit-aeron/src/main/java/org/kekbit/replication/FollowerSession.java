package org.kekbit.replication;

import java.nio.ByteOrder;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelException;
import org.kekbit.codecs.replication.ChunkEncoder;
import org.kekbit.codecs.replication.HelloDecoder;
import org.kekbit.codecs.replication.MessageHeaderEncoder;
import org.kekbit.codecs.replication.MirrorKind;
import org.kekbit.codecs.replication.MirrorStartEncoder;
import org.kekbit.codecs.replication.RejectEncoder;
import org.kekbit.codecs.replication.RejectReason;
import org.kekbit.codecs.replication.SegmentRollEncoder;
import org.kekbit.codecs.replication.SourceStatusEncoder;
import org.kekbit.journal.JournalSource;

/**
 * One follower as the source serves it: its own reader of the channel or journal and its own exclusive publication,
 * so each follower streams from its own position at its own pace. A journal's rolls go out as SegmentRoll messages.
 * <p>
 * It owns the question "may this follower go on from its position?": the hello's channel or segment, its header
 * digest, its position (committed here, a record end) and, from protocol version 3, the digest of its bytes before
 * the position, in the hello and in every resume ({@link #checkHistory}).
 * <p>
 * Not threadsafe: the source's duty cycle owns it.
 */
final class FollowerSession implements JournalSource.Handler
{
    private static final int AWAIT_PUBLICATION = 0;
    private static final int SEND_START = 1;
    private static final int STREAMING = 2;
    private static final int SEND_REJECT = 3;
    private static final int CLOSED = 4;

    /**
     * Blocks sent per duty cycle and follower, so that one follower catching up does not starve the others.
     */
    private static final int BLOCKS_PER_DUTY_CYCLE = 8;

    /**
     * A hello or resume without a data digest (a follower of protocol version 2, or one with no mirror yet): its
     * history is not checked. SBE's null value of the field, the same in Hello and Resume.
     */
    static final long NO_DATA_DIGEST = HelloDecoder.dataDigestNullValue();

    private final ReplicationSource.Context ctx;
    private final Aeron aeron;
    private final String dataChannel;
    private final long followerId;
    private final int followerVersion;
    private final long registrationId;
    private final UnsafeBuffer sendBuffer = new UnsafeBuffer(new byte[1024]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ChunkEncoder chunkEncoder = new ChunkEncoder();
    private final SourceStatusEncoder statusEncoder = new SourceStatusEncoder();
    private final SegmentRollEncoder rollEncoder = new SegmentRollEncoder();
    private final long sourceId;
    private SourceStream source;
    private ExclusivePublication publication;
    private int state = AWAIT_PUBLICATION;
    private int maxChunkLength;
    private long startPosition;
    private RejectReason rejectReason;
    private String rejectMessage;
    private String error;
    private DirectBuffer pendingBuffer;
    private int pendingOffset;
    private int pendingLength;
    private long sentPosition;
    private long receivedPosition;
    private long durablePosition;
    private long lastControlNs;
    private long lastStatusNs;
    private boolean isRollPending;
    private long rollMarkerPosition;
    private long rollNextBase;
    private DirectBuffer rollSeal;
    private int rollSealOffset;
    private int rollSealLength;
    private DirectBuffer rollHeader;
    private int rollHeaderOffset;

    FollowerSession(
        final ReplicationSource.Context ctx,
        final Aeron aeron,
        final String dataChannel,
        final long followerId,
        final int followerVersion,
        final MirrorKind followerKind,
        final long followerChannelId,
        final long followerDigest,
        final long position,
        final long followerDataDigest,
        final long sourceId,
        final long channelId,
        final long headerDigest,
        final long nowNs)
    {
        this.ctx = ctx;
        this.aeron = aeron;
        this.dataChannel = dataChannel;
        this.followerId = followerId;
        this.followerVersion = followerVersion;
        this.sourceId = sourceId;
        this.lastControlNs = nowNs;

        final SourceStream stream = SourceStream.open(ctx);
        final boolean isFollowerJournal = MirrorKind.JOURNAL == followerKind;
        if (MirrorKind.ANY != followerKind && stream.isJournal() != isFollowerJournal)
        {
            stream.close();
            reject(RejectReason.WRONG_KIND, "follower mirrors a " + (isFollowerJournal ? "journal" : "channel") +
                ", the leader serves a " + (stream.isJournal() ? "journal" : "channel") +
                (stream.isJournal() ? " (a follower older than protocol version 2 cannot mirror journals)" : ""));
        }
        else if (stream.isJournal())
        {
            source = stream;
            try
            {
                checkJournalFollower(followerChannelId, followerDigest, position, followerDataDigest);
            }
            catch (final RuntimeException ex)
            {
                stream.close(); // a segment that cannot be read: the hello is refused and nothing is left open
                throw ex;
            }
        }
        else if (0 != followerChannelId && channelId != followerChannelId)
        {
            stream.close();
            reject(RejectReason.WRONG_CHANNEL, "follower mirrors another channel: expected=" +
                Long.toHexString(channelId) + ", actual=" + Long.toHexString(followerChannelId));
        }
        else if (0 != followerDigest && headerDigest != followerDigest)
        {
            stream.close();
            reject(RejectReason.HEADER_MISMATCH, "follower's mirror is of another channel with the same id " +
                "(header digests differ): expected=" + Long.toHexString(headerDigest) + ", actual=" +
                Long.toHexString(followerDigest));
        }
        else
        {
            source = stream;
            seek(position, followerDataDigest);
        }
        // Last: nothing above may throw after the publication is asked for, or it would be left in the driver.
        this.registrationId = aeron.asyncAddExclusivePublication(dataChannel, ctx.dataStreamId());
    }

    /**
     * A journal's follower names its newest segment: the leader must hold that very segment, and a follower with no
     * mirror yet starts at the leader's oldest segment.
     */
    private void checkJournalFollower(
        final long followerBase, final long followerDigest, final long position, final long followerDataDigest)
    {
        final SourceStream.Journal journal = (SourceStream.Journal)source;
        if (0 == followerDigest)
        {
            final long oldest = journal.oldestSegmentBase();
            seek(Math.max(0, oldest), NO_DATA_DIGEST);
            return;
        }
        try
        {
            source.seek(followerBase);
        }
        catch (final ChannelException | IllegalArgumentException | IllegalStateException ex)
        {
            reject(RejectReason.SEGMENT_NOT_FOUND, "the leader no longer holds (or never held) the journal segment " +
                "the follower is in: base=" + followerBase + ", oldest=" + journal.oldestSegmentBase());
            return;
        }
        final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]); // cold: per hello
        source.headerBytes(header, 0);
        final long leaderDigest = ChannelDigest.headerDigest(header, 0);
        if (leaderDigest != followerDigest)
        {
            reject(RejectReason.HEADER_MISMATCH, "follower's segment at base " + followerBase + " is not the " +
                "leader's (header digests differ, another journal?): expected=" + Long.toHexString(leaderDigest) +
                ", actual=" + Long.toHexString(followerDigest));
            return;
        }
        seek(position, followerDataDigest);
    }

    private void seek(final long position, final long followerDataDigest)
    {
        final long committed = source.committedPosition();
        if (position > committed)
        {
            reject(RejectReason.POSITION_AHEAD, "follower holds more than the leader (divergent history): " +
                "leader position=" + committed + ", follower position=" + position);
            return;
        }
        try
        {
            source.seek(position);
        }
        catch (final ChannelException ex)
        {
            reject(RejectReason.SEGMENT_NOT_FOUND, "the leader no longer holds the journal segment of the " +
                "follower's position: position=" + position + ": " + ex.getMessage());
            return;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            reject(RejectReason.NOT_A_RECORD_BOUNDARY, "follower position is no record end in the leader's " +
                (source.isJournal() ? "journal" : "channel") + ": position=" + position + ": " + ex.getMessage());
            return;
        }
        if (!checkHistory(position, followerDataDigest, committed))
        {
            return;
        }
        startPosition = position;
        sentPosition = position;
        pendingLength = 0;
        isRollPending = false;
    }

    /**
     * A follower that says what its bytes before its position are (from protocol version 3) goes on only when they
     * are the leader's: the digest of the data from the start of the channel (a journal: of the segment holding the
     * position, the follower's newest, whose header the hello checked) up to the position, computed here over the
     * leader's own bytes. So a mirror whose history parted from this leader's inside that channel or segment (an old
     * leader's tail, or a standby that mirrored further than the one that took over) is rejected, not continued with
     * records of another history. Earlier segments are not read: a mirror receives a segment's header only from the
     * leader's roll, after every byte before it, so the header digest stands for them (docs/replication.md says where
     * that falls short). Cold: reads up to a segment, once per hello or resume.
     *
     * @return true when the follower may go on, false when it was rejected.
     */
    private boolean checkHistory(final long position, final long followerDataDigest, final long committed)
    {
        if (NO_DATA_DIGEST == followerDataDigest)
        {
            return true; // a version 2 follower, or no mirror: nothing to compare, as before version 3
        }
        final long leaderDataDigest = source.dataDigest(position);
        if (leaderDataDigest != followerDataDigest)
        {
            final long base = source.segmentBase(position);
            reject(RejectReason.DIVERGED, "follower's bytes before its position are not the leader's (divergent " +
                "history" + (source.isJournal() ? " in the segment at base " + base : "") + "): leader position=" +
                committed + ", follower position=" + position + ", data digests from " + base + ": expected=" +
                Long.toHexString(leaderDataDigest) + ", actual=" + Long.toHexString(followerDataDigest));
            return false;
        }
        return true;
    }

    private void reject(final RejectReason reason, final String message)
    {
        rejectReason = reason;
        rejectMessage = message;
        error = "follower " + Long.toHexString(followerId) + " rejected: " + message;
    }

    int doWork(final long nowNs)
    {
        if (CLOSED == state)
        {
            return 0;
        }
        if (nowNs - lastControlNs > ctx.sessionTimeoutNs())
        {
            state = CLOSED;
            return 1;
        }

        switch (state)
        {
            case AWAIT_PUBLICATION:
                return awaitPublication();

            case SEND_START:
                return sendStart(nowNs);

            case STREAMING:
                return stream(nowNs);

            case SEND_REJECT:
                return sendReject();

            default:
                return 0;
        }
    }

    private int awaitPublication()
    {
        try
        {
            publication = aeron.getExclusivePublication(registrationId);
        }
        catch (final RuntimeException ex)
        {
            error = "cannot publish to follower at " + dataChannel + ": " + ex.getMessage();
            state = CLOSED;
            return 1;
        }
        if (null == publication)
        {
            return 0;
        }

        final int limit = publication.maxMessageLength() - ReplicationSource.Context.CHUNK_PREFIX_LENGTH;
        maxChunkLength = Math.min(ctx.maxChunkLength(), limit & ~7);
        state = null == rejectReason ? SEND_START : SEND_REJECT;
        return 1;
    }

    private int sendStart(final long nowNs)
    {
        final MirrorStartEncoder encoder = new MirrorStartEncoder(); // once per session start: cold
        encoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .followerId(followerId)
            .startPosition(startPosition)
            .leaderPosition(source.committedPosition())
            .kind(source.isJournal() ? MirrorKind.JOURNAL : MirrorKind.CHANNEL)
            .sourceId(sourceId);
        final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
        source.headerBytes(header, 0);
        encoder.putChannelHeader(header, 0, ChannelDescriptor.HEADER_LENGTH);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        if (offer(sendBuffer, 0, length) > 0)
        {
            state = STREAMING;
            lastStatusNs = nowNs;
            return 1;
        }
        return 0;
    }

    private int sendReject()
    {
        final RejectEncoder encoder = new RejectEncoder(); // once per session: cold
        encoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .followerId(followerId)
            .reason(reasonFor(rejectReason, followerVersion))
            .message(rejectMessage.length() > 900 ? rejectMessage.substring(0, 900) : rejectMessage);
        if (offer(sendBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength()) > 0)
        {
            state = CLOSED; // the publication lingers, so the reject still goes out after close
            return 1;
        }
        return 0;
    }

    /**
     * The reason as a follower of the given protocol version can decode it: a sink's codec throws on a reason added
     * after its version, so those go out as the nearest reason it knows, and the message says what happened. A
     * version 2 follower sends no data digest, so it is never found DIVERGED; the mapping is there all the same.
     */
    static RejectReason reasonFor(final RejectReason reason, final int followerVersion)
    {
        if (followerVersion >= 3)
        {
            return reason;
        }
        if (RejectReason.DIVERGED == reason)
        {
            return RejectReason.POSITION_AHEAD; // "divergent history" in versions 1 and 2
        }
        if (followerVersion >= 2)
        {
            return reason;
        }
        switch (reason)
        {
            case WRONG_KIND:
                return RejectReason.WRONG_CHANNEL; // a version 1 follower mirrors a channel, this leader a journal
            case SOURCE_CORRUPT:
            case SEGMENT_NOT_FOUND:
                return RejectReason.NOT_A_RECORD_BOUNDARY; // its position cannot be served from here
            default:
                return reason;
        }
    }

    private int stream(final long nowNs)
    {
        final int work = streamChunks();
        // Also while catching up or back-pressured: the follower's lag must not go stale while it matters most.
        return SEND_REJECT == state ? work : work + sendStatusIfDue(nowNs);
    }

    private int streamChunks()
    {
        int work = 0;
        for (int blocks = 0; blocks < BLOCKS_PER_DUTY_CYCLE; blocks++)
        {
            if (isRollPending)
            {
                if (!sendRoll())
                {
                    return work;
                }
                work++;
                continue;
            }
            if (0 == pendingLength && 0 == source.poll(this, maxChunkLength))
            {
                final String corruption = source.corruption();
                if (null != corruption)
                {
                    // The follower must not wait for bytes that never come: tell it, in one line, and stop.
                    if (source.isTruncated())
                    {
                        reject(RejectReason.SEGMENT_NOT_FOUND, "leader's journal deleted the next segment before " +
                            "this follower reached it (retention) at position " + source.position() + ": " +
                            corruption);
                    }
                    else
                    {
                        reject(RejectReason.SOURCE_CORRUPT, "leader's " + (source.isJournal() ? "journal" :
                            "channel") + " is CORRUPT at position " + source.position() + ": " + corruption);
                    }
                    state = SEND_REJECT;
                    return work + 1;
                }
                break;
            }
            if (isRollPending)
            {
                continue;
            }
            while (pendingLength > 0)
            {
                final int partLength = Math.min(pendingLength, maxChunkLength);
                chunkEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder).position(sentPosition);
                sendBuffer.putInt(ReplicationSource.Context.CHUNK_PREFIX_LENGTH - ChunkEncoder.dataHeaderLength(),
                    partLength, ByteOrder.LITTLE_ENDIAN);
                final long result = publication.offer(sendBuffer, 0, ReplicationSource.Context.CHUNK_PREFIX_LENGTH,
                    pendingBuffer, pendingOffset, partLength);
                if (result < 0)
                {
                    checkOfferResult(result);
                    return work; // back-pressured or not connected: the pending part waits, nothing else does
                }
                sentPosition += partLength;
                pendingOffset += partLength;
                pendingLength -= partLength;
                work++;
            }
        }

        return work;
    }

    private int sendStatusIfDue(final long nowNs)
    {
        if (nowNs - lastStatusNs >= ctx.statusIntervalNs())
        {
            statusEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .leaderPosition(source.statusPosition(nowNs))
                .sentPosition(sentPosition);
            if (offer(sendBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + SourceStatusEncoder.BLOCK_LENGTH) > 0)
            {
                lastStatusNs = nowNs;
                return 1;
            }
        }
        return 0;
    }

    private long offer(final DirectBuffer buffer, final int offset, final int length)
    {
        final long result = publication.offer(buffer, offset, length);
        if (result < 0)
        {
            checkOfferResult(result);
        }
        return result;
    }

    private void checkOfferResult(final long result)
    {
        if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result)
        {
            error = "publication to follower " + Long.toHexString(followerId) + " ended: result=" + result;
            state = CLOSED;
        }
    }

    private boolean sendRoll()
    {
        rollEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .markerPosition(rollMarkerPosition)
            .nextBase(rollNextBase)
            .putSeal(rollSeal, rollSealOffset, rollSealLength)
            .putNextHeader(rollHeader, rollHeaderOffset, ChannelDescriptor.HEADER_LENGTH);
        if (offer(sendBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + rollEncoder.encodedLength()) > 0)
        {
            isRollPending = false;
            sentPosition = rollNextBase;
            return true;
        }
        return false;
    }

    /**
     * Called by the source's poll: the block stays readable in the mapping, so only where it is is kept.
     *
     * @param buffer   holding the block.
     * @param offset   of the block.
     * @param length   of the block.
     * @param position of the block: a channel's, or a journal's.
     */
    public void onBlock(final DirectBuffer buffer, final int offset, final int length, final long position)
    {
        pendingBuffer = buffer;
        pendingOffset = offset;
        pendingLength = length;
        sentPosition = position;
    }

    /**
     * Called by a journal's source at a roll: the buffers stay valid until its next poll, which waits for this.
     */
    public void onRoll(
        final long markerPosition,
        final DirectBuffer seal,
        final int sealOffset,
        final int sealLength,
        final long nextBase,
        final DirectBuffer nextHeader,
        final int headerOffset)
    {
        isRollPending = true;
        rollMarkerPosition = markerPosition;
        rollSeal = seal;
        rollSealOffset = sealOffset;
        rollSealLength = sealLength;
        rollNextBase = nextBase;
        rollHeader = nextHeader;
        rollHeaderOffset = headerOffset;
    }

    void restart(final long position, final long followerDataDigest, final long nowNs)
    {
        lastControlNs = nowNs;
        if (null == source || CLOSED == state || SEND_REJECT == state)
        {
            return;
        }
        try
        {
            seek(position, followerDataDigest);
        }
        catch (final ChannelException ex)
        {
            reject(RejectReason.NOT_A_RECORD_BOUNDARY, ex.getMessage());
        }
        if (AWAIT_PUBLICATION != state)
        {
            state = null == rejectReason ? SEND_START : SEND_REJECT;
        }
    }

    void onControl(final long nowNs)
    {
        lastControlNs = nowNs;
    }

    void onAck(final long received, final long durable, final long nowNs)
    {
        lastControlNs = nowNs;
        receivedPosition = received;
        durablePosition = durable;
        if (null != source && STREAMING == state)
        {
            // Never ahead of what was sent: a follower cannot have more.
            source.commit(Math.min(sentPosition, ctx.commitReceived() ? received : durable));
        }
    }

    boolean isEndAcknowledged()
    {
        return null != source && source.isEnded() && 0 == pendingLength && !isRollPending &&
            receivedPosition == sentPosition;
    }

    boolean isClosed()
    {
        return CLOSED == state;
    }

    String describe()
    {
        return "follower=" + Long.toHexString(followerId) + " state=" + state + " start=" + startPosition +
            " sent=" + sentPosition + " pending=" + pendingLength + " rollPending=" + isRollPending +
            " received=" + receivedPosition + " durable=" + durablePosition + " sourcePosition=" +
            (null == source ? -1 : source.position()) + " committed=" + (null == source ? -1 :
            source.committedPosition()) + " connected=" + (null != publication && publication.isConnected()) +
            " error=" + error;
    }

    String error()
    {
        return error;
    }

    String dataChannel()
    {
        return dataChannel;
    }

    long followerId()
    {
        return followerId;
    }

    long sentPosition()
    {
        return sentPosition;
    }

    long receivedPosition()
    {
        return receivedPosition;
    }

    long durablePosition()
    {
        return durablePosition;
    }

    void close()
    {
        state = CLOSED;
        if (null == publication)
        {
            try
            {
                aeron.asyncRemovePublication(registrationId);
            }
            catch (final RuntimeException ignore)
            {
                // the registration failed or the client is closing: nothing to remove
            }
        }
        CloseHelper.quietCloseAll(publication, source);
        publication = null;
        source = null;
    }
}
