package org.kekbit.sbe;

import org.agrona.sbe.MessageDecoderFlyweight;

/**
 * Callback for one SBE message type, handed its decoder already wrapped around the message.
 *
 * @param <D> type of the decoder.
 */
@FunctionalInterface
public interface SbeMessageHandler<D extends MessageDecoderFlyweight>
{
    /**
     * Called for each message of the decoder's template. The decoder is valid only during the call.
     *
     * @param decoder wrapped around the message.
     */
    void onMessage(D decoder);
}
