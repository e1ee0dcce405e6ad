package org.kekbit.image;

import org.agrona.DirectBuffer;

/**
 * The state of a service, changed only by the commands a {@link SystemImage} journals, and able to save itself as a
 * snapshot and load itself from one.
 * <p>
 * Determinism is the contract that makes recovery exact: {@link #apply} must change the state as a function of the
 * state and the record alone. No wall clock (take time from the command, e.g. its transact time), no random numbers
 * unless seeded from the records, no I/O, no iteration over hash orders that differ between runs. A command the state
 * rejects is a deterministic no-op (or a rejection recorded in the state), never an exception: the command is already
 * journaled when it is applied, so it is applied again on every replay.
 * <p>
 * A {@link SystemImage} in shadow mode runs two instances: the live one on the serving thread and a shadow one, fed
 * the same journal by a reader on another thread, that writes the snapshots. Each instance is used by one thread at
 * a time.
 */
public interface StateMachine
{
    /**
     * Apply one journaled command.
     *
     * @param position  journal position after the record: the image's position once it is applied.
     * @param msgTypeId of the record, as submitted.
     * @param buffer    holding the journaled bytes, read-only and valid only during the call.
     * @param offset    of the payload in buffer.
     * @param length    of the payload.
     */
    void apply(long position, int msgTypeId, DirectBuffer buffer, int offset, int length);

    /**
     * Write the whole state as records, in an order {@link #loadSnapshot} can read back. Called when no command is
     * being applied to this instance; may be called again for the same state when the snapshot needs a larger file.
     * Stop writing when {@link SnapshotWriter#write} returns false.
     *
     * @param writer to write the records to.
     */
    void writeSnapshot(SnapshotWriter writer);

    /**
     * Load one record of a snapshot, in the order {@link #writeSnapshot} wrote them, into a fresh instance. Only
     * complete snapshots whose checksum matches are ever loaded.
     *
     * @param msgTypeId of the record.
     * @param buffer    holding the record, read-only and valid only during the call.
     * @param offset    of the payload in buffer.
     * @param length    of the payload.
     */
    void loadSnapshot(int msgTypeId, DirectBuffer buffer, int offset, int length);

    /**
     * A digest of the whole state, equal for equal states whatever the history that built them: for tests and tools
     * to compare a live state with a recovered one.
     *
     * @return the digest.
     */
    long stateDigest();
}
