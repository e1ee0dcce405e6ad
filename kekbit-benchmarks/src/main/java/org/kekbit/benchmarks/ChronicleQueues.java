package org.kekbit.benchmarks;

import java.nio.file.Path;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;

/**
 * Chronicle Queue for the benchmarks: a single-file-per-cycle queue with default settings in a folder of its own.
 * Appenders and tailers have Chronicle's single-thread check switched off, because JMH may run setup and
 * measurement on different threads; each is still used by one thread at a time. The open-source edition has no
 * pre-toucher ({@code createPretoucher()} is Enterprise only and {@code ExcerptAppender.pretouch()} does nothing),
 * so Chronicle writes into fresh pages as its files grow: that is how users run it.
 */
public final class ChronicleQueues
{
    static
    {
        if (!Boolean.getBoolean("chronicle.analytics.disable"))
        {
            throw new IllegalStateException("run with " + BenchmarkConfiguration.CHRONICLE_ANALYTICS_OFF);
        }
    }

    private ChronicleQueues()
    {
    }

    /**
     * Open a queue in a folder.
     *
     * @param folder of the queue.
     * @return the queue.
     */
    public static ChronicleQueue open(final Path folder)
    {
        return ChronicleQueue.singleBuilder(folder).build();
    }

    /**
     * Open a queue in a folder whose {@code ExcerptAppender.sync()} msyncs synchronously ({@link SyncMode#SYNC}),
     * like {@code force()}: Chronicle's default, {@link SyncMode#ASYNC}, only schedules the writeback.
     *
     * @param folder of the queue.
     * @return the queue.
     */
    public static ChronicleQueue openSynced(final Path folder)
    {
        return ChronicleQueue.singleBuilder(folder).syncMode(SyncMode.SYNC).build();
    }

    /**
     * An appender for any one thread at a time.
     *
     * @param queue to append to.
     * @return the appender.
     */
    public static ExcerptAppender appender(final ChronicleQueue queue)
    {
        final ExcerptAppender appender = queue.createAppender();
        appender.singleThreadedCheckDisabled(true);
        return appender;
    }

    /**
     * A tailer from the start of the queue, for any one thread at a time.
     *
     * @param queue to read.
     * @return the tailer.
     */
    public static ExcerptTailer tailer(final ChronicleQueue queue)
    {
        final ExcerptTailer tailer = queue.createTailer();
        tailer.singleThreadedCheckDisabled(true);
        return tailer;
    }

    /**
     * A zeroed native payload to append with {@link ExcerptAppender#writeBytes(BytesStore)}.
     *
     * @param length of the payload.
     * @return the payload.
     */
    public static BytesStore<?, Void> payload(final int length)
    {
        final BytesStore<?, Void> payload = BytesStore.nativeStoreWithFixedCapacity(length);
        payload.zeroOut(0, length);
        return payload;
    }
}
