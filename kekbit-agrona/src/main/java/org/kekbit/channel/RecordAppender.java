package org.kekbit.channel;

import org.agrona.DirectBuffer;

/**
 * What appends records: a {@link ChannelWriter}, or a journal's writer ({@code org.kekbit.journal.JournalWriter}),
 * so that staged writes ({@code org.kekbit.stage.StagedWriter}) and SBE claims ({@code org.kekbit.sbe.SbeRecordClaim})
 * work on either. Positions are the appender's own: a channel position, or a 64-bit journal position.
 */
public interface RecordAppender
{
    /**
     * Append a record by copying its payload.
     *
     * @param msgTypeId of the record, not negative.
     * @param src       holding the payload.
     * @param srcOffset of the payload in src.
     * @param length    of the payload.
     * @return the position after the record, or a negative code of the implementation.
     */
    long write(int msgTypeId, DirectBuffer src, int srcOffset, int length);

    /**
     * Claim room for a record to encode in place; then {@link RecordClaim#commit()} or {@link RecordClaim#abort()}
     * it before the next write or claim.
     *
     * @param msgTypeId of the record, not negative.
     * @param length    of the payload to claim.
     * @param claim     to wrap around the claimed payload.
     * @return the position the record will end at once committed with its whole length, or a negative code of the
     * implementation.
     */
    long tryClaim(int msgTypeId, int length, RecordClaim claim);
}
