package org.kekbit.sbe;

/**
 * A record whose SBE message header disagrees with the record: its template id is not the record's type id, its
 * schema is not the decoder's, or its block does not fit the record. The record has been consumed when this is
 * thrown, so polling can carry on with the next one.
 */
public final class SbeRecordException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * Construct with a message naming expected and actual values.
     *
     * @param message describing the disagreement.
     */
    public SbeRecordException(final String message)
    {
        super(message);
    }
}
