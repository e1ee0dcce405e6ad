/**
 * Persistent channels: one memory-mapped file of fixed capacity, written by a single {@link
 * org.kekbit.channel.ChannelWriter} and read by any number of {@link org.kekbit.channel.ChannelReader}s in any
 * threads or processes. The file layout is defined in {@link org.kekbit.channel.ChannelDescriptor} and
 * {@link org.kekbit.channel.RecordDescriptor}; nothing else knows an offset.
 */
package org.kekbit.channel;
