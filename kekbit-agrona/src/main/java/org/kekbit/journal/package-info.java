/**
 * Journals: unbounded streams of records in a folder of channel files of one power-of-two capacity (segments),
 * rolled by a single {@link org.kekbit.journal.JournalWriter} and read by any number of
 * {@link org.kekbit.journal.JournalReader}s, some of them durable named readers. The layout is in
 * {@link org.kekbit.journal.JournalDescriptor} and docs/format.md, "Journals".
 * <p>
 * <b>Exactly once.</b> A named reader's {@link org.kekbit.journal.JournalReader#commit()} gives at-least-once
 * delivery: a reader killed between handling a record and committing sees it again. For exactly once, keep the
 * position in your own output instead, in the same atomic write as the effect of the records: after handling a
 * record, store {@link org.kekbit.journal.JournalReader#position()} (the journal position after it) with your
 * result, in one transaction or one file write. On restart, read the stored position back and
 * {@link org.kekbit.journal.JournalReader#seek(long)} to it: every record before it was applied exactly once, and
 * reading goes on at the first one that was not.
 */
package org.kekbit.journal;
