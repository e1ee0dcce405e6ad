/**
 * Kekbit's root package: what concerns the whole library rather than one feature, such as
 * {@link org.kekbit.AgronaAccess}, the check that the JVM lets Agrona work. The features live in their own
 * packages: {@link org.kekbit.channel} (channels, writers, readers), {@link org.kekbit.stage} (staged writes) and
 * {@link org.kekbit.sbe} (SBE messages in records).
 */
package org.kekbit;
