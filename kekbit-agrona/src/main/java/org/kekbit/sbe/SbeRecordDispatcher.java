package org.kekbit.sbe;

import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.channel.MessageHeaderDecoder;

/**
 * A {@link RecordHandler} that decodes SBE records written with {@link SbeRecordClaim} and dispatches each to the
 * handler of its template, with the decoder already wrapped. Routing is by the record's type id; the message header
 * must agree with it (template id and schema id) and its block must fit the record, or an
 * {@link SbeRecordException} is thrown from the poll that delivered it. Records of unregistered templates go to the
 * fallback handler, by default ignored.
 * <pre>{@code
 * final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher()
 *     .on(new QuoteDecoder(), quote -> onQuote(quote))
 *     .on(new TradeDecoder(), trade -> onTrade(trade));
 * reader.poll(dispatcher, 100);
 * }</pre>
 * Nothing is allocated per record. Not threadsafe: one dispatcher per reader thread.
 */
public final class SbeRecordDispatcher implements RecordHandler
{
    private final Int2ObjectHashMap<Route<?>> routes = new Int2ObjectHashMap<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final UnsafeBuffer recordView = new UnsafeBuffer(0, 0);
    private RecordHandler fallback = (msgTypeId, buffer, offset, length) -> {};

    /**
     * Route messages of the decoder's template to a handler.
     *
     * @param decoder to wrap around each message; owned by the dispatcher from now on.
     * @param handler to call with it.
     * @param <D>     type of the decoder.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the template already has a route.
     */
    public <D extends MessageDecoderFlyweight> SbeRecordDispatcher on(
        final D decoder, final SbeMessageHandler<D> handler)
    {
        final int templateId = decoder.sbeTemplateId();
        if (routes.containsKey(templateId))
        {
            throw new IllegalArgumentException("template already routed: templateId=" + templateId);
        }
        routes.put(templateId, new Route<>(decoder, handler));
        return this;
    }

    /**
     * Handler for records of templates with no route.
     *
     * @param fallback to call with such records.
     * @return this for a fluent API.
     */
    public SbeRecordDispatcher otherwise(final RecordHandler fallback)
    {
        this.fallback = fallback;
        return this;
    }

    /**
     * Decode and dispatch one record.
     *
     * @param msgTypeId of the record: the template id it was written with.
     * @param buffer    holding the record.
     * @param offset    of the payload.
     * @param length    of the payload.
     * @throws SbeRecordException when the message header disagrees with the record or the route's decoder.
     */
    public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        final Route<?> route = routes.get(msgTypeId);
        if (null == route)
        {
            fallback.onRecord(msgTypeId, buffer, offset, length);
            return;
        }

        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new SbeRecordException("record too short for an SBE header: expected>=" +
                MessageHeaderDecoder.ENCODED_LENGTH + ", actual=" + length + ", msgTypeId=" + msgTypeId);
        }

        final MessageHeaderDecoder header = headerDecoder.wrap(buffer, offset);
        final int templateId = header.templateId();
        final int schemaId = header.schemaId();
        final int blockLength = header.blockLength();
        if (templateId != msgTypeId)
        {
            throw new SbeRecordException("record type id and SBE template id disagree: msgTypeId=" + msgTypeId +
                ", templateId=" + templateId);
        }
        if (schemaId != route.decoder.sbeSchemaId())
        {
            throw new SbeRecordException("SBE schema id mismatch for templateId=" + templateId + ": expected=" +
                route.decoder.sbeSchemaId() + ", actual=" + schemaId);
        }
        if (blockLength > length - MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new SbeRecordException("SBE block longer than the record: blockLength=" + blockLength +
                ", room=" + (length - MessageHeaderDecoder.ENCODED_LENGTH) + ", templateId=" + templateId);
        }

        // Decoders see only this record: with bounds checks on, a damaged group count or var-data length fails
        // instead of reading into the records after it.
        recordView.wrap(buffer, offset, length);
        route.dispatch(recordView, MessageHeaderDecoder.ENCODED_LENGTH, blockLength, header.version());
    }

    private static final class Route<D extends MessageDecoderFlyweight>
    {
        final D decoder;
        final SbeMessageHandler<D> handler;

        Route(final D decoder, final SbeMessageHandler<D> handler)
        {
            this.decoder = decoder;
            this.handler = handler;
        }

        void dispatch(final DirectBuffer buffer, final int offset, final int blockLength, final int version)
        {
            decoder.wrap(buffer, offset, blockLength, version);
            handler.onMessage(decoder);
        }
    }
}
