package org.kekbit.stage;

import java.nio.ByteBuffer;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordAppender;
import org.kekbit.channel.RecordClaim;

/**
 * Writes records through a chain of {@link RecordStage}s: each record is claimed once, the payload is copied to
 * its end, every stage fills its own bytes in front of it, and the record is committed. Nothing is copied twice and
 * nothing is allocated.
 * <p>
 * Stages are handed a buffer over the whole channel file that wraps a direct {@link ByteBuffer}
 * ({@link RecordClaim#byteBuffer()}), bound on the first record and kept for the writer's life, so a stage can pass
 * the bytes to JDK APIs intrinsified on direct buffers, as {@link ChecksumStage} does with CRC-32C; the offsets it is
 * given are offsets in that buffer.
 * <pre>
 *   +-----------------+-----------------+-----+-------------------+
 *   | stage 0 bytes   | stage 1 bytes   | ... | payload           |
 *   +-----------------+-----------------+-----+-------------------+
 * </pre>
 * <pre>{@code
 * final StagedWriter writer = new StagedWriter(channelWriter,
 *     new TimestampStage(new OffsetEpochNanoClock()), new SequenceStage(1), new ChecksumStage());
 * writer.write(MSG_TYPE_ID, buffer, 0, length);
 * }</pre>
 * Not threadsafe: it belongs to the thread of the channel's writer.
 */
public final class StagedWriter
{
    private final RecordAppender writer;
    private final RecordStage[] stages;
    private final int[] stageOffsets;
    private final int stagesLength;
    private final RecordClaim claim = new RecordClaim();
    private final UnsafeBuffer recordBuffer = new UnsafeBuffer(0, 0);

    /**
     * Chain stages in front of a writer.
     *
     * @param writer to write with: a {@link ChannelWriter} or a journal's writer.
     * @param stages in the order their bytes appear in each record.
     */
    public StagedWriter(final RecordAppender writer, final RecordStage... stages)
    {
        this.writer = writer;
        this.stages = stages.clone();
        this.stageOffsets = new int[stages.length];
        int length = 0;
        for (int i = 0; i < stages.length; i++)
        {
            stageOffsets[i] = length;
            length += stages[i].length();
        }
        this.stagesLength = length;
    }

    /**
     * Write one record: the stages' bytes followed by the payload.
     *
     * @param msgTypeId of the record, not negative.
     * @param src       holding the payload.
     * @param srcOffset of the payload in src.
     * @param length    of the payload.
     * @return the position after the record, or one of the negative codes of the writer's
     * {@link RecordAppender#tryClaim(int, int, RecordClaim)} ({@link ChannelWriter#tryClaim(int, int, RecordClaim)}
     * or {@code JournalWriter.tryClaim}).
     */
    public long write(final int msgTypeId, final DirectBuffer src, final int srcOffset, final int length)
    {
        final long result = writer.tryClaim(msgTypeId, stagesLength + length, claim);
        if (result < 0)
        {
            return result;
        }

        final ByteBuffer view = claim.byteBuffer();
        final UnsafeBuffer buffer = recordBuffer;
        if (buffer.byteBuffer() != view) // once per writer: a reference store per record would cost G1 a fence
        {
            buffer.wrap(view);
        }
        final int claimedOffset = view.position();
        final int payloadOffset = claimedOffset + stagesLength;
        buffer.putBytes(payloadOffset, src, srcOffset, length);
        final RecordStage[] stages = this.stages;
        final int[] stageOffsets = this.stageOffsets;
        for (int i = 0; i < stages.length; i++)
        {
            stages[i].apply(buffer, claimedOffset + stageOffsets[i], payloadOffset, length);
        }

        claim.commit();
        return result; // the appender's position: a journal's, not the segment's that the claim returns
    }

    /**
     * Offset of a stage's bytes from the start of a record's payload, to read them back.
     *
     * @param stageIndex in the order the stages were given.
     * @return the offset.
     */
    public int stageOffset(final int stageIndex)
    {
        return stageOffsets[stageIndex];
    }

    /**
     * Bytes all stages put in front of the payload.
     *
     * @return the length.
     */
    public int stagesLength()
    {
        return stagesLength;
    }
}
