/**
 * Staged writes: records built in place by a chain of stages (timestamp, sequence, checksum or your own) in front
 * of the payload, the Java form of the original kekbit's handler chain.
 */
package org.kekbit.stage;
