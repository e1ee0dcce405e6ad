package org.kekbit.channel;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIJ_Result;

/**
 * The record commit protocol, with the methods {@code ChannelWriter} and {@code ChannelReader} use: the writer
 * stores the payload, then the header (frame length and type id in one 8-byte store) with release semantics; the
 * reader loads the header in one 8-byte load with acquire semantics, then the payload. A reader that sees the frame
 * length must see the type id and payload.
 */
@JCStressTest
@Description("A committed record's type id and payload are visible to a reader that sees its frame length.")
@Outcome(id = "0, -?\\d+, -?\\d+", expect = Expect.ACCEPTABLE, desc = "Not committed yet: nothing is read.")
@Outcome(id = "24, 7, 4242424242", expect = Expect.ACCEPTABLE, desc = "Committed: type id and payload visible.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Frame length seen, type id or payload stale: a torn record.")
@State
public class RecordCommitStressTest
{
    private static final int MSG_TYPE_ID = 7;
    private static final long PAYLOAD = 4_242_424_242L;
    private static final int PAYLOAD_LENGTH = 16;

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(64));

    /**
     * Write and commit one record at offset 0, as {@code ChannelWriter.write} does.
     */
    @Actor
    public void writer()
    {
        buffer.putLong(RecordDescriptor.payloadOffset(0), PAYLOAD);
        buffer.putLong(RecordDescriptor.payloadOffset(0) + Long.BYTES, PAYLOAD);
        RecordDescriptor.headerRelease(buffer, 0, RecordDescriptor.frameLength(PAYLOAD_LENGTH), MSG_TYPE_ID);
    }

    /**
     * Read the record at offset 0, as {@code ChannelReader.poll} does.
     *
     * @param result frame length, type id and the payload's last word.
     */
    @Actor
    public void reader(final IIJ_Result result)
    {
        final long header = RecordDescriptor.headerAcquire(buffer, 0);
        result.r1 = RecordDescriptor.headerFrameLength(header);
        result.r2 = RecordDescriptor.headerMsgTypeId(header);
        result.r3 = buffer.getLong(RecordDescriptor.payloadOffset(0) + Long.BYTES);
    }
}
