/**
 * Live replication of channels to another host over Aeron: a {@link org.kekbit.replication.ReplicationSource} on
 * the leader host streams a channel's committed bytes to a {@link org.kekbit.replication.ReplicationSink} on each
 * follower host, which keeps a byte-identical mirror that ordinary readers tail live. The protocol is the SBE schema
 * {@code replication/replication-messages.xml} of kekbit-sbe-schemas; docs/replication.md has the guarantees.
 */
package org.kekbit.replication;
