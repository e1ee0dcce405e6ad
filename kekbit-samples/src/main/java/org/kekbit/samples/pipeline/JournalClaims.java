package org.kekbit.samples.pipeline;

import org.agrona.sbe.MessageEncoderFlyweight;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalWriter;
import org.kekbit.sbe.SbeRecordClaim;

/**
 * SBE claims in the pipeline's journals. A roll that comes while the segment creator agent is still making the next
 * segment returns {@link JournalWriter#ROLL_FAILED} with a NOT_READY failure: the agent hands the segment over in
 * moments, so the claim is tried again. Any other failure is the caller's.
 */
final class JournalClaims
{
    private JournalClaims()
    {
    }

    static long tryClaim(
        final SbeRecordClaim claim,
        final JournalWriter writer,
        final MessageEncoderFlyweight encoder,
        final int maxVariableLength)
    {
        long result;
        while (JournalWriter.ROLL_FAILED == (result = claim.tryClaim(writer, encoder, maxVariableLength)) &&
            ChannelException.Reason.NOT_READY == writer.lastRollFailure().reason())
        {
            Thread.onSpinWait();
        }
        return result;
    }
}
