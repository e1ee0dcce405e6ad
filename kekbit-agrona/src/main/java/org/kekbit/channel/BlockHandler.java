package org.kekbit.channel;

import org.agrona.DirectBuffer;

/**
 * Receives runs of whole committed records from {@link ChannelReader#blockPoll(BlockHandler, int)}, record headers
 * and padding included, as they lie in the channel: for copying a channel elsewhere (an archive, a replica, a
 * socket) with one call per block instead of one per record.
 */
@FunctionalInterface
public interface BlockHandler
{
    /**
     * Called with a block of one or more whole records, laid out as {@link RecordDescriptor} describes; every
     * record header in it was checked. The buffer is a view over the read-only mapping: it is valid only during
     * the call, so copy what must outlive it.
     *
     * @param buffer   holding the block.
     * @param offset   of the block's first record header in the buffer.
     * @param length   of the block in bytes, a multiple of {@link RecordDescriptor#ALIGNMENT}.
     * @param position of the block's first record in the channel; the block ends at {@code position + length}.
     */
    void onBlock(DirectBuffer buffer, int offset, int length, long position);
}
