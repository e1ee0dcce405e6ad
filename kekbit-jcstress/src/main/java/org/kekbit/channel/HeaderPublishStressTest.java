package org.kekbit.channel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IJ_Result;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

/**
 * The header publication protocol: the creator stores every field with the format version 0, then the format
 * version with release semantics; a reader loads the format version with acquire semantics and trusts the fields
 * only when it is not 0.
 */
@JCStressTest
@Description("A header whose format version is seen has its fields visible.")
@Outcome(id = "0, -?\\d+", expect = Expect.ACCEPTABLE, desc = "Not ready yet: NOT_READY.")
@Outcome(id = "2, 65536", expect = Expect.ACCEPTABLE, desc = "Ready: the capacity is visible.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Format version seen, capacity stale.")
@State
public class HeaderPublishStressTest
{
    private static final long CAPACITY = 65_536;

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ChannelDescriptor.HEADER_LENGTH));

    /**
     * Write the capacity, then publish the header.
     */
    @Actor
    public void creator()
    {
        buffer.putLong(ChannelHeaderDecoder.capacityEncodingOffset(), CAPACITY, ByteOrder.LITTLE_ENDIAN);
        ChannelDescriptor.formatVersionRelease(buffer, ChannelDescriptor.FORMAT_VERSION);
    }

    /**
     * Check readiness, then read the capacity.
     *
     * @param result format version and capacity.
     */
    @Actor
    public void reader(final IJ_Result result)
    {
        result.r1 = ChannelDescriptor.formatVersionAcquire(buffer);
        result.r2 = buffer.getLong(ChannelHeaderDecoder.capacityEncodingOffset(), ByteOrder.LITTLE_ENDIAN);
    }
}
