package org.kekbit.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * The writer's process identity is published as one triple: a resumer marks the pid with minus its own, stores its
 * start ticks and namespace id, publishes the mark, then stores its pid with a compare-and-set (the whole of
 * {@link WriterLiveness#beginTakeOver} and {@link WriterLiveness#completeTakeOver}); an observer reads the pid with acquire
 * semantics before and after the other two ({@link WriterLiveness#readWriterProcess()}) and trusts the triple only
 * when both pid loads agree and are positive. A trusted triple never pairs one writer's pid with another's start.
 */
@JCStressTest
@Description("A trusted writer pid, start ticks and namespace id always belong to the same writer.")
@Outcome(id = "0, -?\\d+, -?\\d+", expect = Expect.ACCEPTABLE, desc = "Take-over in progress: not trusted.")
@Outcome(id = "100, 1000, 5", expect = Expect.ACCEPTABLE, desc = "The old writer, whole.")
@Outcome(id = "200, 2000, 6", expect = Expect.ACCEPTABLE, desc = "The new writer, whole.")
@Outcome(expect = Expect.FORBIDDEN, desc = "A pid trusted with another writer's start ticks or namespace.")
@State
public class WriterProcessPublishStressTest
{
    private static final ProcessIdentity OLD_WRITER = new ProcessIdentity(100, 1000, 5);
    private static final ProcessIdentity NEW_WRITER = new ProcessIdentity(200, 2000, 6);

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ChannelDescriptor.HEADER_LENGTH));
    private final WriterLiveness liveness;

    /**
     * A header that names the old writer.
     */
    public WriterProcessPublishStressTest()
    {
        buffer.putLong(ChannelHeaderDecoder.writerPidEncodingOffset(), OLD_WRITER.pid, ByteOrder.LITTLE_ENDIAN);
        ChannelDescriptor.writerProcessOrdered(buffer, OLD_WRITER.startTicks, OLD_WRITER.namespaceId);
        liveness = new WriterLiveness(buffer, "file", 1000, new CachedEpochClock(), NEW_WRITER);
    }

    /**
     * Take the channel over and hand it to the new writer.
     */
    @Actor
    public void resumer()
    {
        WriterLiveness.beginTakeOver(buffer, 1000, Long.MAX_VALUE / 2, NEW_WRITER, null);
        WriterLiveness.completeTakeOver(buffer, NEW_WRITER, Long.MAX_VALUE / 2, null);
    }

    /**
     * Read the triple as every observer does.
     *
     * @param result the trusted pid (0 when not trusted), start ticks and namespace id.
     */
    @Actor
    public void observer(final JJJ_Result result)
    {
        final boolean isTrusted = liveness.readWriterProcess();
        result.r1 = isTrusted ? liveness.writerPid() : 0;
        result.r2 = liveness.writerStartTicks();
        result.r3 = liveness.writerNamespaceId();
    }
}
