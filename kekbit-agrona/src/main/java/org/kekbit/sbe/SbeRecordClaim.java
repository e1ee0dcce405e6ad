package org.kekbit.sbe;

import org.agrona.sbe.MessageEncoderFlyweight;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.codecs.channel.MessageHeaderEncoder;
import org.kekbit.journal.JournalWriter;

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
 * Not threadsafe: it belongs to the thread of the channel's writer.
 */
public final class SbeRecordClaim
{
    private final RecordClaim claim = new RecordClaim();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private MessageEncoderFlyweight encoder;

    /**
     * Claim a record for a message and wrap the encoder after the message header, already filled in.
     *
     * @param writer            of the channel.
     * @param encoder           of the message to write; wrapped by this call.
     * @param maxVariableLength most bytes the message's groups and var data may take after its block.
     * @return the position the record would end at if it used all the claimed room, or one of the negative codes
     * of {@link ChannelWriter#tryClaim(int, int, RecordClaim)}; the encoder is not wrapped then.
     */
    public long tryClaim(
        final ChannelWriter writer, final MessageEncoderFlyweight encoder, final int maxVariableLength)
    {
        return wrapIfClaimed(writer.tryClaim(encoder.sbeTemplateId(),
            MessageHeaderEncoder.ENCODED_LENGTH + encoder.sbeBlockLength() + maxVariableLength, claim), encoder);
    }

    /**
     * Claim a record for a message in a journal, rolling to its next segment when the room is not left in the
     * current one, and wrap the encoder after the message header, already filled in.
     *
     * @param writer            of the journal.
     * @param encoder           of the message to write; wrapped by this call.
     * @param maxVariableLength most bytes the message's groups and var data may take after its block.
     * @return the journal position the record would end at if it used all the claimed room, or one of the negative
     * codes of {@link JournalWriter#tryClaim(int, int, RecordClaim)}; the encoder is not wrapped then.
     */
    public long tryClaim(
        final JournalWriter writer, final MessageEncoderFlyweight encoder, final int maxVariableLength)
    {
        return wrapIfClaimed(writer.tryClaim(encoder.sbeTemplateId(),
            MessageHeaderEncoder.ENCODED_LENGTH + encoder.sbeBlockLength() + maxVariableLength, claim), encoder);
    }

    private long wrapIfClaimed(final long result, final MessageEncoderFlyweight encoder)
    {
        if (result > 0)
        {
            headerEncoder.wrap(claim.buffer(), claim.offset())
                .blockLength(encoder.sbeBlockLength())
                .templateId(encoder.sbeTemplateId())
                .schemaId(encoder.sbeSchemaId())
                .version(encoder.sbeSchemaVersion());
            encoder.wrap(claim.buffer(), claim.offset() + MessageHeaderEncoder.ENCODED_LENGTH);
            this.encoder = encoder;
        }

        return result;
    }

    /**
     * Publish the message, taking only the room it was encoded into.
     *
     * @return the position after the record; in a journal, the position inside its segment, as
     * {@link RecordClaim#commit()} returns it ({@link JournalWriter#position()} is then the journal position).
     * @throws IllegalStateException if no claim is outstanding.
     */
    public long commit()
    {
        final MessageEncoderFlyweight encoder = checkedEncoder();
        return claim.commit(MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
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
