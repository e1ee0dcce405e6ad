package org.kekbit.channel;

import org.agrona.DirectBuffer;

/**
 * Callback for records polled from a channel.
 */
@FunctionalInterface
public interface RecordHandler
{
    /**
     * Called once for each record, in the order the writer committed them. The buffer is a view over the read-only
     * mapping: it is valid only during the call, so copy what must outlive it.
     *
     * @param msgTypeId the writer gave the record, never negative.
     * @param buffer    holding the payload.
     * @param offset    of the payload in the buffer.
     * @param length    of the payload, possibly 0.
     */
    void onRecord(int msgTypeId, DirectBuffer buffer, int offset, int length);
}
