/**
 * Runnable samples, one {@code main} class per role: {@link org.kekbit.samples.EchoWriter} and
 * {@link org.kekbit.samples.EchoReader}, {@link org.kekbit.samples.Requester} and
 * {@link org.kekbit.samples.Replier}, {@link org.kekbit.samples.Chat},
 * {@link org.kekbit.samples.IpcThroughputWriter} and {@link org.kekbit.samples.IpcThroughputReader}, and the main
 * job {@link org.kekbit.samples.ChannelThroughput}. Settings are system properties, read by
 * {@link org.kekbit.samples.SampleChannels} and {@link org.kekbit.samples.SampleConfiguration}.
 */
package org.kekbit.samples;
