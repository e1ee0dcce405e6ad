package org.kekbit.sbe;

import org.agrona.sbe.MessageEncoderFlyweight;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordAppender;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordClaim;
import org.kekbit.codecs.channel.MessageHeaderEncoder;

/**
 * Encodes SBE messages straight into claimed channel records: no copy, no allocation. Each record carries SBE's
 * standard 8-byte message header followed by the message, and its record type id is the message's template id,
 * so readers can dispatch without peeking and {@link SbeRecordDispatcher} can check the two agree.
 * <pre>{@code
 * final SbeRecordClaim sbeClaim = new SbeRecordClaim();
 * final QuoteEncoder quote = new QuoteEncoder();
 * if (sbeClaim.tryClaim(writer, quote, QuoteEncoder.LevelsEncoder.sbeHeaderSize() +
 *     2 * QuoteEncoder.LevelsEncoder.sbeBlockLength()) > 0)
 * {
 *     quote.instrumentId(7).sendingTimeNs(nowNs).bidSize(100);
 *     quote.levelsCount(2).next().side(Side.BUY).size(50).next().side(Side.SELL).size(60);
 *     sbeClaim.commit(); // publishes exactly the encoded length
 * }
 * }</pre>
 * Not threadsafe: it belongs to the thread of the channel's (or journal's) writer.
 */
public final class SbeRecordClaim
{
    private final RecordClaim claim = new RecordClaim();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private MessageEncoderFlyweight encoder;
    private long claimedEndPosition;

    /**
     * Claim a record for a message and wrap the encoder after the message header, already filled in.
     *
     * @param writer            of the channel, or a journal's writer.
     * @param encoder           of the message to write; wrapped by this call.
     * @param maxVariableLength most bytes the message's groups and var data may take after its block.
     * @return the position the record would end at if it used all the claimed room, or one of the negative codes
     * of the writer's tryClaim ({@link ChannelWriter#tryClaim(int, int, RecordClaim)} or
     * {@code JournalWriter.tryClaim}); the encoder is not wrapped then.
     */
    public long tryClaim(
        final RecordAppender writer, final MessageEncoderFlyweight encoder, final int maxVariableLength)
    {
        final long result = writer.tryClaim(encoder.sbeTemplateId(),
            MessageHeaderEncoder.ENCODED_LENGTH + encoder.sbeBlockLength() + maxVariableLength, claim);
        if (result > 0)
        {
            headerEncoder.wrap(claim.buffer(), claim.offset())
                .blockLength(encoder.sbeBlockLength())
                .templateId(encoder.sbeTemplateId())
                .schemaId(encoder.sbeSchemaId())
                .version(encoder.sbeSchemaVersion());
            encoder.wrap(claim.buffer(), claim.offset() + MessageHeaderEncoder.ENCODED_LENGTH);
            this.encoder = encoder;
            claimedEndPosition = result;
        }

        return result;
    }

    /**
     * Publish the message, taking only the room it was encoded into.
     *
     * @return the position after the record, in the writer's positions (a journal's for a journal's writer).
     * @throws IllegalStateException if no claim is outstanding.
     */
    public long commit()
    {
        final MessageEncoderFlyweight encoder = checkedEncoder();
        final int claimedLength = claim.length();
        final int recordAlignment = claim.recordAlignment();
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        claim.commit(length);
        // The claim knows only its segment's positions: take the writer's from what tryClaim returned.
        return claimedEndPosition -
            (RecordDescriptor.alignedLength(RecordDescriptor.frameLength(claimedLength), recordAlignment) -
            RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length), recordAlignment));
    }

    /**
     * Give the claimed room back: nothing is published.
     *
     * @throws IllegalStateException if no claim is outstanding.
     */
    public void abort()
    {
        checkedEncoder();
        claim.abort();
    }

    private MessageEncoderFlyweight checkedEncoder()
    {
        final MessageEncoderFlyweight encoder = this.encoder;
        if (null == encoder)
        {
            throw new IllegalStateException("no outstanding claim");
        }
        this.encoder = null;
        return encoder;
    }
}
