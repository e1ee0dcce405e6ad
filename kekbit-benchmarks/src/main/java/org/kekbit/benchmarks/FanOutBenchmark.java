package org.kekbit.benchmarks;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;

/**
 * Scenario 3, fan-out: one writer thread, two reader threads each taking every record, in messages written per
 * second; an invocation of {@value #RECORDS} records of 32 bytes ends when both readers have taken the last one.
 * Three busy threads share two cores here, so the readers yield when they find nothing
 * ({@link YieldingIdleStrategy}), for every system alike.
 * <ul>
 *     <li><b>Kekbit</b>: a fresh channel per invocation sized for exactly {@value #RECORDS} records (5.0 MiB),
 *     writer pre-touched, both readers opened with pre-touch, in the invocation's setup.</li>
 *     <li><b>Aeron</b>: one exclusive IPC publication, two subscriptions; driver in the writer's duty cycle.</li>
 *     <li><b>Chronicle Queue</b> on /dev/shm: one appender, two tailers.</li>
 * </ul>
 * Agrona's one-to-one ring buffer has a single consumer and does not apply.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(FanOutBenchmark.RECORDS)
public class FanOutBenchmark extends BenchmarkDefaults
{
    /**
     * Records written per invocation.
     */
    public static final int RECORDS = 1 << 17;

    private static final int STREAM_ID = 1003;

    /**
     * Two reader threads, started and stopped together.
     */
    abstract static class Readers
    {
        Consumer first;
        Consumer second;
        DutyThread firstThread;
        DutyThread secondThread;

        void start(final String name, final Consumer first, final Consumer second)
        {
            this.first = first;
            this.second = second;
            firstThread = new DutyThread(name + "-reader-1", first, new YieldingIdleStrategy());
            secondThread = new DutyThread(name + "-reader-2", second, new YieldingIdleStrategy());
        }

        void expect(final long records)
        {
            first.expect(records);
            second.expect(records);
        }

        void await()
        {
            long spins = 0;
            while (!first.isDone() || !second.isDone())
            {
                Thread.yield(); // three threads on two cores: let the readers run
                ++spins;
                firstThread.waiting(spins);
                secondThread.waiting(spins);
            }
        }

        void resume()
        {
            firstThread.resume();
            secondThread.resume();
        }

        void pause()
        {
            firstThread.pause();
            secondThread.pause();
        }

        void close()
        {
            firstThread.close();
            secondThread.close();
        }
    }

    /**
     * Kekbit: a fresh channel and two pre-touched readers per invocation.
     */
    @State(Scope.Thread)
    public static class KekbitState extends Readers
    {
        @Param({ "32" })
        int payloadLength;

        final Consumers.KekbitConsumer firstConsumer = new Consumers.KekbitConsumer();
        final Consumers.KekbitConsumer secondConsumer = new Consumers.KekbitConsumer();
        Path root;
        long channelId;
        UnsafeBuffer payload;
        ChannelWriter writer;
        ChannelReader firstReader;
        ChannelReader secondReader;

        /**
         * Folder, payload, reader threads.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-fanout-");
            payload = new UnsafeBuffer(new byte[payloadLength]);
            start("kekbit", firstConsumer, secondConsumer);
        }

        /**
         * Start the readers.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            resume();
        }

        /**
         * A fresh channel, writer and both readers pre-touched, outside the measured time.
         */
        @Setup(Level.Invocation)
        public void setupInvocation()
        {
            writer = Storage.createChannel(root, ++channelId, payloadLength, RECORDS);
            firstReader = Storage.openReader(writer.path(), true);
            secondReader = Storage.openReader(writer.path(), true);
            firstConsumer.reader(firstReader);
            secondConsumer.reader(secondReader);
        }

        /**
         * Close and delete the invocation's channel.
         */
        @TearDown(Level.Invocation)
        public void tearDownInvocation()
        {
            firstReader.close();
            secondReader.close();
            writer.close();
            Storage.delete(writer.path());
        }

        /**
         * Park the readers.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            pause();
        }

        /**
         * End the readers, delete the folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            close();
            Storage.delete(root);
        }
    }

    /**
     * Aeron: one exclusive IPC publication, two subscriptions.
     */
    @State(Scope.Thread)
    public static class AeronState extends Readers
    {
        @Param({ "32" })
        int payloadLength;

        EmbeddedAeron aeron;
        ExclusivePublication publication;
        UnsafeBuffer payload;

        /**
         * Launch the driver, connect the stream, start the readers parked.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            aeron = new EmbeddedAeron();
            final Subscription firstSubscription = aeron.addSubscription(STREAM_ID);
            final Subscription secondSubscription = aeron.addSubscription(STREAM_ID);
            publication = aeron.addPublication(STREAM_ID);
            aeron.awaitConnected(publication, firstSubscription, secondSubscription);
            final Consumer first = new Consumers.AeronConsumer(firstSubscription);
            final Consumer second = new Consumers.AeronConsumer(secondSubscription);
            payload = new UnsafeBuffer(new byte[payloadLength]);
            start("aeron", first, second);
        }

        /**
         * Start the readers.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            aeron.doWork();
            resume();
        }

        /**
         * Park the readers.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            pause();
            aeron.doWork();
        }

        /**
         * End the readers, close Aeron.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            close();
            aeron.close();
        }
    }

    /**
     * Chronicle Queue on /dev/shm: one appender, two tailers.
     */
    @State(Scope.Thread)
    public static class ChronicleState extends Readers
    {
        @Param({ "32" })
        int payloadLength;

        Path root;
        ChronicleQueue queue;
        ExcerptAppender appender;
        BytesStore<?, Void> payload;

        /**
         * Open the queue, start the readers parked.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-fanout-chronicle-");
            queue = ChronicleQueues.open(root);
            appender = ChronicleQueues.appender(queue);
            payload = ChronicleQueues.payload(payloadLength);
            start("chronicle",
                new Consumers.ChronicleConsumer(ChronicleQueues.tailer(queue)),
                new Consumers.ChronicleConsumer(ChronicleQueues.tailer(queue)));
        }

        /**
         * Start the readers.
         */
        @Setup(Level.Iteration)
        public void setupIteration()
        {
            resume();
        }

        /**
         * Park the readers.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            pause();
        }

        /**
         * End the readers, close and delete the queue.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            close();
            appender.close();
            queue.close();
            payload.releaseLast();
            Storage.delete(root);
        }
    }

    /**
     * Kekbit: write to two readers.
     *
     * @param state of the trial.
     * @return the writer's position.
     */
    @Benchmark
    public long kekbit(final KekbitState state)
    {
        final ChannelWriter writer = state.writer;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            if (writer.write(MSG_TYPE_ID, payload, 0, length) < 0)
            {
                throw new IllegalStateException("write failed at record " + i);
            }
        }
        state.await();
        return writer.position();
    }

    /**
     * Aeron: offer to two subscriptions.
     *
     * @param state of the trial.
     * @return the publication's position.
     */
    @Benchmark
    public long aeron(final AeronState state)
    {
        final ExclusivePublication publication = state.publication;
        final EmbeddedAeron aeron = state.aeron;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        state.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.putLong(0, i);
            long result;
            while ((result = publication.offer(payload, 0, length)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                aeron.doWork();
                state.firstThread.checkError();
                state.secondThread.checkError();
                Thread.yield();
            }
        }
        state.await();
        return publication.position();
    }

    /**
     * Chronicle Queue: append for two tailers.
     *
     * @param state of the trial.
     * @return records the first reader took so far.
     */
    @Benchmark
    public long chronicle(final ChronicleState state)
    {
        final ExcerptAppender appender = state.appender;
        final BytesStore<?, Void> payload = state.payload;
        state.expect(RECORDS);
        for (int i = 0; i < RECORDS; i++)
        {
            payload.writeLong(0, i);
            appender.writeBytes(payload);
        }
        state.await();
        return state.first.consumed();
    }
}
