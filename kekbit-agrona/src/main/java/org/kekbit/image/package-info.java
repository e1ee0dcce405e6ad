/**
 * System images: the whole state of a service in memory, as a {@link org.kekbit.image.StateMachine} the user writes,
 * kept by a journal of the commands applied to it and by snapshots of it, and recovered exactly after any crash.
 * {@link org.kekbit.image.SystemImage} runs it: it journals each command and then applies the journaled bytes, so the
 * live path and the replay path are one code path. A state machine writes its snapshots through a
 * {@link org.kekbit.image.SnapshotWriter}, copying each record from a buffer or claiming its room in the snapshot file
 * to encode it in place ({@link org.kekbit.image.SnapshotClaim}). {@link org.kekbit.image.StandbyImage} keeps a hot
 * standby's copy from a journal another writer appends to (a replication mirror) and takes its snapshots. The folder
 * layout and the snapshot records are in {@link org.kekbit.image.ImageDescriptor}; docs/system-images.md explains the
 * model, the guarantees and recovery.
 */
package org.kekbit.image;
