package org.kekbit.image;

import org.agrona.MutableDirectBuffer;
import org.kekbit.channel.RecordClaim;

/**
 * A command claimed in the journal with {@link SystemImage#tryClaim(int, int, CommandClaim)}, to encode in place (SBE):
 * encode into {@link #buffer()} from {@link #offset()}, then {@link #commit()}, which journals it and applies the
 * journaled bytes, or {@link #abort()}. One claim can be reused for any number of commands; it holds no memory of its
 * own. Committing through the image, never through the journal's claim, keeps every journaled command applied.
 * <p>
 * Not threadsafe: it belongs to the serving thread.
 */
public final class CommandClaim
{
    final RecordClaim recordClaim = new RecordClaim();
    SystemImage image;
    int msgTypeId;

    /**
     * Buffer to encode the command into; it spans exactly the claimed payload.
     *
     * @return the buffer.
     */
    public MutableDirectBuffer buffer()
    {
        return recordClaim.buffer();
    }

    /**
     * Offset of the payload in {@link #buffer()}.
     *
     * @return the offset, always 0.
     */
    public int offset()
    {
        return recordClaim.offset();
    }

    /**
     * Length of the claimed payload.
     *
     * @return the length in bytes.
     */
    public int length()
    {
        return recordClaim.length();
    }

    /**
     * Journal the command, then apply the journaled bytes to the state machine.
     *
     * @return the journal position after the command, as {@link SystemImage#submit} returns it.
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public long commit()
    {
        return checkedImage().commit(this, recordClaim.length());
    }

    /**
     * Journal the command with a shorter payload than claimed (SBE groups and var data), then apply it.
     *
     * @param length of the payload to publish, from 0 to {@link #length()}.
     * @return the journal position after the command.
     * @throws IllegalStateException    if the claim is not outstanding.
     * @throws IllegalArgumentException if the length is negative or more than was claimed.
     */
    public long commit(final int length)
    {
        return checkedImage().commit(this, length);
    }

    /**
     * Give the claimed space back: nothing is journaled or applied.
     *
     * @throws IllegalStateException if the claim is not outstanding.
     */
    public void abort()
    {
        recordClaim.abort();
    }

    /**
     * Whether the claim is outstanding.
     *
     * @return true while claimed and neither committed nor aborted.
     */
    public boolean isOutstanding()
    {
        return recordClaim.isOutstanding();
    }

    private SystemImage checkedImage()
    {
        if (null == image || !recordClaim.isOutstanding())
        {
            throw new IllegalStateException("no outstanding claim: it was committed, aborted or its image closed");
        }
        return image;
    }
}
