package org.kekbit.benchmarks;

import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import static org.kekbit.benchmarks.BenchmarkConfiguration.MSG_TYPE_ID;

/**
 * Sustained streaming: one writer thread (the benchmark thread) and one reader thread ({@link DutyThread}, busy
 * spinning) move {@code records} records (20M by default) of {@code payloadLength} bytes end to end, in one JMH
 * single-shot invocation per measurement: at 288 B that is 5.76 GB of payload, far past every cache and TLB. The
 * score is the time of the whole invocation, from the first write until the reader has taken and checked the last
 * record; {@code SustainedReport} turns it into records/s and GB/s.
 * <p>
 * Every record carries a sequence number in its first 8 bytes; the reader checks every record's sequence and
 * length, and the writer checks at the end that the reader saw exactly the sequences written, so a wrong run fails
 * instead of reporting. The one warmup iteration moves {@value #WARMUP_RECORDS} records (fewer if {@code records}
 * is smaller), so the loops are compiled before the first measurement.
 * <p>
 * Inside the timed window, for every system: the writer's loop (sequence into the payload, write or offer, with
 * back-pressure handling), the reader's polls and checks, and the final wait for the reader. Outside it:
 * <ul>
 *     <li><b>Kekbit</b>: a {@link ChannelRotation} of channels of at most {@code segmentLength} bytes (1 GiB; each
 *     holds {@code min(records, segmentLength / recordLength)} records), every channel the measurement needs
 *     created with the writer's pre-touch and its reader opened with the reader's pre-touch before the window;
 *     closed and deleted after it. Inside: the writer rolling to the next channel on {@code CHANNEL_FULL} and the
 *     reader following at {@code position() == capacity()} (array look-ups; a creation inside the window fails the
 *     run).</li>
 *     <li><b>Fresh memory</b> (floor): the same channel-sized files, created and mapped twice before the window (the
 *     writer's mapping touched by writing one byte per page, the reader's mapped read-only and touched by reading
 *     one byte per page, as Kekbit's pre-touch does); inside, the writer stores each record's 8-byte header and
 *     payload at Kekbit's offsets and publishes a record count with a release store, the reader follows it. No
 *     protocol beyond that: the limit of any journal that keeps everything in memory new to both threads.</li>
 *     <li><b>Agrona</b> {@link OneToOneRingBuffer} of {@code ringCapacity} (default
 *     {@link BenchmarkConfiguration#RING_CAPACITY}, 64 MiB) over a file mapped from the shm folder, touched at trial
 *     setup: the resident ring, the second floor.</li>
 *     <li><b>Aeron</b> exclusive IPC publication, {@link BenchmarkConfiguration#AERON_TERM_LENGTH} (16 MiB) terms,
 *     embedded driver in invoker mode run from the writer's back-pressure loop ({@link EmbeddedAeron}).</li>
 *     <li><b>Chronicle Queue</b>: a fresh default queue per iteration in the shm folder (opened, with its appender
 *     and tailer, before the window; closed and deleted after it); its files grow inside the window, as users run
 *     it (the open-source edition has no pre-toucher).</li>
 *     <li><b>Kekbit journal</b> ({@code journal}): a fresh {@link RollingJournal} per iteration, segments of
 *     {@code segmentCapacity} (64 MiB and 1 GiB), created before the window with its first segment, its reader
 *     (mapping each segment it crosses into as {@code readerSegments} says: PREFETCH, the default, takes it ready
 *     from a {@code JournalSegmentPrefetcher}; OPEN and PRE_TOUCH open it on the reader's thread) and its helper
 *     thread, which runs the segment creator agent, the prefetcher and a {@code MappingReleaser}; inside the window
 *     the writer rolls, the creator makes every next segment (allocated and pre-touched; or, with
 *     {@code retainedSegments} N &gt; 0, in the file of the segment retention retired, zeroed through the writer's
 *     kept mapping) on the helper thread, the reader crosses segments and both hand their old mappings to the
 *     releaser. A roll that finds the next segment still being made yields and tries again until it is handed over
 *     (counted and printed after each iteration, with inline creations and re-used segments). With N &gt; 0 the
 *     reader is named, protects retention and commits after each poll, and retention keeps N sealed segments: a
 *     bounded journal. Closed and deleted after it.</li>
 * </ul>
 * Replay: {@code journalReplay} (a journal), {@code kekbitReaderAlone} (the pre-created channels),
 * {@code freshMemoryReaderAlone} (the floor) and {@code chronicleReplay} (a Chronicle tailer): the reader alone, from
 * the start, on records the benchmark thread wrote before the window, out of every cache by then.
 * <p>
 * Controlled variants, to find where the time goes on new memory: {@code kekbitWriterAlone} and
 * {@code freshMemoryWriterAlone} (the writer's loop with no reader: its thread spins idle), and the readers alone
 * above.
 * <p>
 * Files go under {@link BenchmarkConfiguration#shmFolder(String)}: /dev/shm, or {@code KEKBIT_BENCH_SHM_DIR}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class SustainedStreamingBenchmark extends BenchmarkDefaults
{
    /**
     * Records moved by a warmup iteration, at most.
     */
    public static final long WARMUP_RECORDS = 2_000_000;

    private static final long SETTLE_MAX_MS = 120_000;

    /**
     * What every system's state shares: the parameters, the payload, the sequence, the reader thread and the
     * life cycle (trial, then per iteration: storage opened, reader resumed; reader paused, storage closed).
     */
    @State(Scope.Thread)
    public abstract static class StreamState
    {
        @Param({ "32", "288" })
        int payloadLength;

        @Param({ "20000000" })
        long records;

        @Param({ "1073741824" })
        long segmentLength;

        /**
         * Before each iteration of a system that takes new memory inside the window (the journal, the new-memory
         * floor, Chronicle), wait until the host has taken back the memory the last one freed ({@link HostMemory}),
         * so new memory costs what it costs a journal that keeps everything in steady state; otherwise part of it is
         * memory freed moments ago, still backed and cheaper. The others, resident or pre-faulted, never wait (an
         * embedded Aeron driver would time out).
         */
        @Param({ "false" })
        boolean settleHostMemory;

        /**
         * How the reader thread idles after a poll that found nothing: 0 looks again at once (Agrona's
         * {@link BusySpinIdleStrategy}, every system's reader by default); N pauses for N {@link Thread#onSpinWait()}
         * first ({@link SpinPauseIdleStrategy}; about 13 ns each on our test VM), so it takes the writer's cache lines
         * less often (docs/benchmarks.md, 0h).
         */
        @Param({ "0" })
        int readerIdleSpins;

        Path root;
        UnsafeBuffer payload;
        long sequence;
        long iterationRecords;
        int iteration;
        SequencedConsumer consumer;
        DutyThread thread;

        /**
         * Folder of the trial's files, payload, trial-wide resources, reader thread.
         */
        @Setup(Level.Trial)
        public void setupTrial()
        {
            root = BenchmarkConfiguration.shmFolder("kekbit-bench-sustained-" + getClass().getSimpleName() + "-");
            payload = new UnsafeBuffer(BufferUtil.allocateDirectAligned(payloadLength, 64));
            openTrial();
            consumer = newConsumer();
            consumer.payloadLength = payloadLength;
            thread = new DutyThread(getClass().getSimpleName(), consumer,
                0 == readerIdleSpins ? new BusySpinIdleStrategy() : new SpinPauseIdleStrategy(readerIdleSpins));
        }

        /**
         * Open the iteration's storage, outside the timed window, then start the reader.
         *
         * @param params of the iteration: a warmup iteration moves fewer records.
         */
        @Setup(Level.Iteration)
        public void setupIteration(final IterationParams params)
        {
            iterationRecords = IterationType.WARMUP == params.getType() ?
                Math.min(records, WARMUP_RECORDS) : records;
            iteration++;
            if (settleHostMemory && takesNewMemoryInWindow())
            {
                final long reportedKib = HostMemory.awaitReportingSettled(SETTLE_MAX_MS);
                System.out.printf("%nwaited for %d MiB of freed memory to go back to the host%n", reportedKib >> 10);
            }
            openIteration();
            thread.resume();
        }

        /**
         * Park the reader, then close and delete the iteration's storage.
         */
        @TearDown(Level.Iteration)
        public void tearDownIteration()
        {
            thread.pause();
            closeIteration();
        }

        /**
         * End the reader thread, release trial-wide resources, delete the trial's folder.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial()
        {
            thread.close();
            closeTrial();
            Storage.delete(root);
        }

        /**
         * A folder for one iteration's files, in the trial's folder.
         *
         * @param name of the system.
         * @return the folder's path, not created.
         */
        final Path iterationFolder(final String name)
        {
            return root.resolve(name + "-" + iteration);
        }

        /**
         * Bytes a record takes in a Kekbit channel, and in the fresh-memory floor.
         *
         * @return the aligned record length.
         */
        final int recordLength()
        {
            return BenchmarkConfiguration.kekbitRecordLength(payloadLength);
        }

        /**
         * Records in each segment (channel) of at most {@code segmentLength} bytes.
         *
         * @return the count.
         */
        final long recordsPerSegment()
        {
            return Math.min(records, segmentLength / recordLength());
        }

        /**
         * Segments the iteration needs.
         *
         * @return the count.
         */
        final int segments()
        {
            final long perSegment = recordsPerSegment();
            return (int)((iterationRecords + perSegment - 1) / perSegment);
        }

        /**
         * Announce the iteration's records to the reader.
         *
         * @return the first sequence to write.
         */
        final long begin()
        {
            consumer.expect(iterationRecords);
            return sequence;
        }

        /**
         * A reader alone, on records written before the window: announce them and wait until it took them all.
         *
         * @return the next sequence.
         */
        final long replay()
        {
            final long first = begin();
            return finish(first + iterationRecords);
        }

        /**
         * Wait for the reader to take every record, then check it saw exactly the sequences written.
         *
         * @param next sequence after the last one written.
         * @return the sequence.
         */
        final long finish(final long next)
        {
            sequence = next;
            consumer.await(thread);
            thread.checkError();
            if (consumer.expectedSequence != next)
            {
                throw new IllegalStateException(
                    "reader out of step: expected=" + next + ", actual=" + consumer.expectedSequence);
            }

            return next;
        }

        abstract SequencedConsumer newConsumer();

        boolean takesNewMemoryInWindow()
        {
            return false;
        }

        void openTrial()
        {
        }

        void openIteration()
        {
        }

        void closeIteration()
        {
        }

        void closeTrial()
        {
        }
    }

    /**
     * Kekbit: a rotation of pre-created, pre-touched channels of at most {@code segmentLength} bytes.
     */
    @State(Scope.Thread)
    public static class KekbitState extends StreamState
    {
        long nextChannelId = 1;
        ChannelRotation rotation;

        SequencedConsumer newConsumer()
        {
            return new KekbitConsumer();
        }

        void openIteration()
        {
            final long startNs = System.nanoTime();
            final int segments = segments();
            rotation = new ChannelRotation(root, nextChannelId, payloadLength, recordsPerSegment());
            rotation.prepare(segments - 1);
            nextChannelId += segments;
            ((KekbitConsumer)consumer).rotation(rotation);
            final long bytes = segments * recordsPerSegment() * recordLength();
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            System.out.printf(
                "%ncreated %d channel(s), %.2f GB, writer and reader pre-touched, in %.1f s (%.0f MB/s)%n",
                segments, bytes / 1e9, seconds, bytes / 1e6 / seconds);
        }

        void closeIteration()
        {
            if (0 != rotation.inlineCreations())
            {
                throw new IllegalStateException("channels created inside the timed window: " +
                    rotation.inlineCreations());
            }
            rotation.close();
        }
    }

    /**
     * The fresh-memory floor: channel-sized mapped files, mapped and touched by both sides before the window.
     */
    @State(Scope.Thread)
    public static class FreshMemoryState extends StreamState
    {
        MappedByteBuffer[] writerMappings;
        MappedByteBuffer[] readerMappings;
        UnsafeBuffer[] writerSegments;
        UnsafeBuffer counter;

        SequencedConsumer newConsumer()
        {
            return new FreshMemoryConsumer();
        }

        void openTrial()
        {
            counter = new UnsafeBuffer(BufferUtil.allocateDirectAligned(FreshMemoryConsumer.COUNTER_LENGTH, 128));
        }

        void openIteration()
        {
            final int segments = segments();
            final long segmentBytes = recordsPerSegment() * recordLength();
            writerMappings = new MappedByteBuffer[segments];
            readerMappings = new MappedByteBuffer[segments];
            writerSegments = new UnsafeBuffer[segments];
            final UnsafeBuffer[] readerSegments = new UnsafeBuffer[segments];
            for (int i = 0; i < segments; i++)
            {
                final Path file = root.resolve("segment-" + i);
                writerMappings[i] = isPreFaulted() ?
                    Storage.mapNewFile(file, segmentBytes) : Storage.mapSparseFile(file, segmentBytes);
                readerMappings[i] = IoUtil.mapExistingFile(file.toFile(), FileChannel.MapMode.READ_ONLY, "segment");
                if (isPreFaulted())
                {
                    Storage.preTouchRead(readerMappings[i]);
                }
                writerSegments[i] = new UnsafeBuffer(writerMappings[i]);
                readerSegments[i] = new UnsafeBuffer(readerMappings[i]);
            }
            counter.putLongRelease(FreshMemoryConsumer.COUNTER_OFFSET, 0);
            ((FreshMemoryConsumer)consumer).segments(readerSegments, counter, recordLength());
        }

        boolean isPreFaulted()
        {
            return true;
        }

        void closeIteration()
        {
            for (int i = 0; i < writerMappings.length; i++)
            {
                IoUtil.unmap(writerMappings[i]);
                IoUtil.unmap(readerMappings[i]);
            }
            for (int i = 0; i < writerMappings.length; i++)
            {
                Storage.delete(root.resolve("segment-" + i));
            }
            writerMappings = null;
            readerMappings = null;
            writerSegments = null;
        }
    }

    /**
     * The new-memory floor: the fresh-memory floor's files made sparse and mapped, nothing touched before the window,
     * so the writer's first store to each page takes memory new to the file from the system, as a journal that keeps
     * everything must (the reader maps its pages in as it goes). The limit of any such journal on this machine.
     */
    @State(Scope.Thread)
    public static class NewMemoryState extends FreshMemoryState
    {
        boolean isPreFaulted()
        {
            return false;
        }

        boolean takesNewMemoryInWindow()
        {
            return true;
        }
    }

    /**
     * Kekbit with every record of the iteration written by the benchmark thread before the window: for
     * {@code kekbitReaderAlone}.
     */
    @State(Scope.Thread)
    public static class KekbitPrewrittenState extends KekbitState
    {
        void openIteration()
        {
            super.openIteration();
            writeKekbit(this, sequence, sequence + iterationRecords);
        }
    }

    /**
     * The fresh-memory floor with every record of the iteration written before the window: for
     * {@code freshMemoryReaderAlone}.
     */
    @State(Scope.Thread)
    public static class FreshMemoryPrewrittenState extends FreshMemoryState
    {
        void openIteration()
        {
            super.openIteration();
            writeFreshMemory(this, sequence, sequence + iterationRecords);
        }
    }

    /**
     * Agrona: a resident one-to-one ring buffer over a file mapped from the shm folder.
     */
    @State(Scope.Thread)
    public static class RingBufferState extends StreamState
    {
        /**
         * The ring's capacity: 64 MiB, the ring of every other benchmark; larger to give it the working set of a
         * recycling journal (its segments in use and kept), which on a machine whose last-level cache holds 64 MiB
         * but not 256 MiB streams at memory's speed, not the cache's (WorkingSetProbe).
         */
        @Param({ "67108864" })
        int ringCapacity;

        MappedRingBuffer ring;
        RingBuffer ringBuffer;

        void openTrial()
        {
            ring = new MappedRingBuffer(root.resolve("ring"), ringCapacity);
            ringBuffer = ring.ringBuffer();
        }

        SequencedConsumer newConsumer()
        {
            return new RingBufferConsumer(ringBuffer);
        }

        void closeTrial()
        {
            ring.close();
        }
    }

    /**
     * Aeron: an exclusive IPC publication with 16 MiB terms and a subscription, embedded driver in invoker mode.
     */
    @State(Scope.Thread)
    public static class AeronState extends StreamState
    {
        EmbeddedAeron aeron;
        ExclusivePublication publication;

        Subscription subscription;

        void openTrial()
        {
            aeron = new EmbeddedAeron();
            final EmbeddedAeron.IpcStream stream = aeron.connect(1002);
            publication = stream.publication();
            subscription = stream.subscription();
        }

        SequencedConsumer newConsumer()
        {
            return new AeronConsumer(subscription);
        }

        void openIteration()
        {
            aeron.doWork();
        }

        void closeIteration()
        {
            aeron.doWork();
        }

        void closeTrial()
        {
            aeron.close();
        }
    }

    /**
     * Chronicle Queue: a fresh queue per iteration in the shm folder, deleted after it.
     */
    @State(Scope.Thread)
    public static class ChronicleState extends StreamState
    {
        Path folder;
        ChronicleQueue queue;
        ExcerptAppender appender;
        BytesStore<?, Void> chroniclePayload;

        void openTrial()
        {
            chroniclePayload = ChronicleQueues.payload(payloadLength);
        }

        boolean takesNewMemoryInWindow()
        {
            return true;
        }

        SequencedConsumer newConsumer()
        {
            return new ChronicleConsumer();
        }

        void openIteration()
        {
            folder = iterationFolder("chronicle");
            queue = ChronicleQueues.open(folder);
            appender = ChronicleQueues.appender(queue);
            ((ChronicleConsumer)consumer).tailer(ChronicleQueues.tailer(queue));
        }

        void closeIteration()
        {
            ((ChronicleConsumer)consumer).tailer(null);
            appender.close();
            queue.close();
            Storage.delete(folder);
        }

        void closeTrial()
        {
            chroniclePayload.releaseLast();
        }
    }

    /**
     * Chronicle Queue with every record of the iteration appended before the window: for {@code chronicleReplay}.
     */
    @State(Scope.Thread)
    public static class ChroniclePrewrittenState extends ChronicleState
    {
        void openIteration()
        {
            super.openIteration();
            writeChronicle(this, sequence, sequence + iterationRecords);
        }
    }

    /**
     * A Kekbit journal ({@link RollingJournal}): a fresh one per iteration, of segments of {@code segmentCapacity},
     * created with its first segment, its helper thread (segment creator and mapping releaser) and its reader before
     * the window; every later segment is made by the creator inside the window, as a journal runs.
     */
    @State(Scope.Thread)
    public static class JournalStreamState extends StreamState
    {
        @Param({ "67108864", "1073741824" })
        long segmentCapacity;

        @Param({ "PREFETCH" })
        String readerSegments;

        /**
         * How the journal's helper thread idles: SLEEP (1 ms of {@code Thread.sleep}, the main job's) or PARK (parked
         * up to 1 ms and woken by the writer after each roll, for segments that last less than that); or INVOKER: no
         * helper thread, its agents run on the writer's thread from its duty cycle (Agrona's {@code AgentInvoker}).
         */
        @Param({ "SLEEP" })
        String helperIdle;

        /**
         * 0 keeps every segment (a journal that keeps everything); N keeps N sealed segments and re-uses the retired
         * ones, with a named reader that protects retention and commits after each poll (a bounded journal). A
         * bounded journal lives for the whole fork, as the ring and Aeron's terms do, so the warmup fills its pool of
         * files and the measurements see the steady state; one that keeps everything is made new per iteration.
         */
        @Param({ "0" })
        int retainedSegments;

        /**
         * Alignment of the journal's records ({@link JournalWriter.Context#recordAlignment(int)}): 8, the default,
         * packs a 32 B payload into 40 B; 64 gives each record of up to 56 B of payload a cache line of its own.
         */
        @Param({ "8" })
        int recordAlignment;

        RollingJournal journal;

        boolean takesNewMemoryInWindow()
        {
            return 0 == retainedSegments;
        }

        SequencedConsumer newConsumer()
        {
            return new JournalConsumer();
        }

        void openTrial()
        {
            if (retainedSegments > 0)
            {
                openJournal(root.resolve("journal"));
            }
        }

        void openIteration()
        {
            if (0 == retainedSegments)
            {
                openJournal(iterationFolder("journal"));
            }
            ((JournalConsumer)consumer).journal(journal);
        }

        void closeIteration()
        {
            final String since = retainedSegments > 0 ? " (since the trial began)" : "";
            System.out.printf("%n%s%s%n", journal.rollSummary(), since);
            ((JournalConsumer)consumer).journal(null);
            if (0 == retainedSegments)
            {
                closeJournal();
            }
        }

        void closeTrial()
        {
            if (null != journal)
            {
                closeJournal();
            }
        }

        private void openJournal(final Path folder)
        {
            journal = new RollingJournal(folder, segmentCapacity, payloadLength,
                RollingJournal.ReaderSegments.valueOf(readerSegments), retainedSegments, 0, 0,
                RollingJournal.HelperIdle.valueOf(helperIdle), recordAlignment);
        }

        private void closeJournal()
        {
            journal.close();
            journal = null;
        }
    }

    /**
     * A Kekbit journal with every record of the iteration written before the window: for {@code journalReplay}.
     */
    @State(Scope.Thread)
    public static class JournalPrewrittenState extends JournalStreamState
    {
        void openIteration()
        {
            super.openIteration();
            writeJournal(this, sequence, sequence + iterationRecords);
        }
    }

    /**
     * Kekbit: copying {@code write}, rolling to the next pre-created channel on {@code CHANNEL_FULL}.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long kekbit(final KekbitState state)
    {
        final long first = state.begin();
        return state.finish(writeKekbit(state, first, first + state.iterationRecords));
    }

    /**
     * Controlled variant: Kekbit's writer alone, the same records into the same pre-created channels, no reader
     * (its thread spins idle).
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long kekbitWriterAlone(final KekbitState state)
    {
        final long first = state.sequence;
        state.sequence = writeKekbit(state, first, first + state.iterationRecords);
        return state.sequence;
    }

    /**
     * Controlled variant: Kekbit's reader alone, taking and checking records the benchmark thread wrote into the
     * channels before the window (so the data is out of every cache and new to the reader's mapping).
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long kekbitReaderAlone(final KekbitPrewrittenState state)
    {
        return state.replay();
    }

    static long writeKekbit(final KekbitState state, final long first, final long end)
    {
        final ChannelRotation rotation = state.rotation;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        ChannelWriter writer = rotation.writer();
        for (long sequence = first; sequence < end; sequence++)
        {
            payload.putLong(0, sequence);
            long result = writer.write(MSG_TYPE_ID, payload, 0, length);
            if (ChannelWriter.CHANNEL_FULL == result)
            {
                writer = rotation.nextWriter();
                result = writer.write(MSG_TYPE_ID, payload, 0, length);
            }
            if (result < 0)
            {
                throw new IllegalStateException("write failed: result=" + result + ", sequence=" + sequence);
            }
        }

        return end;
    }

    /**
     * Kekbit journal: copying {@code write}, rolling to segments the creator agent makes inside the window, the
     * writer's duty cycle run every 1,024 records.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long journal(final JournalStreamState state)
    {
        final long first = state.begin();
        return state.finish(writeJournal(state, first, first + state.iterationRecords));
    }

    /**
     * Replay of a journal: the reader alone, from the start, on a journal the benchmark thread wrote before the
     * window (out of every cache by then), crossing its segments.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long journalReplay(final JournalPrewrittenState state)
    {
        return state.replay();
    }

    static long writeJournal(final JournalStreamState state, final long first, final long end)
    {
        final RollingJournal journal = state.journal;
        final JournalWriter writer = journal.writer();
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        for (long sequence = first; sequence < end; sequence++)
        {
            payload.putLong(0, sequence);
            long result;
            while ((result = writer.write(MSG_TYPE_ID, payload, 0, length)) < 0)
            {
                journal.awaitRoll(result);
            }
            if (0 == (sequence & RollingJournal.DUTY_CYCLE_MASK))
            {
                journal.dutyCycle();
            }
        }

        return end;
    }

    /**
     * The fresh-memory floor: header and payload stored at Kekbit's offsets, a record count published per record.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long freshMemory(final FreshMemoryState state)
    {
        final long first = state.begin();
        return state.finish(writeFreshMemory(state, first, first + state.iterationRecords));
    }

    /**
     * The new-memory floor: the fresh-memory floor's loops on memory the writer takes from the system as it goes.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long newMemory(final NewMemoryState state)
    {
        final long first = state.begin();
        return state.finish(writeFreshMemory(state, first, first + state.iterationRecords));
    }

    /**
     * Controlled variant: the fresh-memory floor's writer alone, no reader (its thread spins idle).
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long freshMemoryWriterAlone(final FreshMemoryState state)
    {
        final long first = state.sequence;
        state.sequence = writeFreshMemory(state, first, first + state.iterationRecords);
        return state.sequence;
    }

    /**
     * Controlled variant: the fresh-memory floor's reader alone, on records written before the window.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long freshMemoryReaderAlone(final FreshMemoryPrewrittenState state)
    {
        return state.replay();
    }

    static long writeFreshMemory(final FreshMemoryState state, final long first, final long end)
    {
        final UnsafeBuffer[] segments = state.writerSegments;
        final UnsafeBuffer counter = state.counter;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final int frameLength = RecordDescriptor.frameLength(length);
        final int stride = state.recordLength();
        final long segmentBytes = state.recordsPerSegment() * stride;
        int segment = 0;
        UnsafeBuffer buffer = segments[0];
        long offset = 0;
        long written = 0;
        for (long sequence = first; sequence < end; sequence++)
        {
            if (offset == segmentBytes)
            {
                buffer = segments[++segment];
                offset = 0;
            }
            payload.putLong(0, sequence);
            final int index = (int)offset;
            buffer.putInt(index, frameLength);
            buffer.putInt(index + RecordDescriptor.MSG_TYPE_ID_OFFSET, MSG_TYPE_ID);
            buffer.putBytes(index + RecordDescriptor.HEADER_LENGTH, payload, 0, length);
            counter.putLongRelease(FreshMemoryConsumer.COUNTER_OFFSET, ++written);
            offset += stride;
        }

        return end;
    }

    /**
     * Agrona ring buffer: copying {@code write}, spinning while full.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long ringBuffer(final RingBufferState state)
    {
        final RingBuffer ringBuffer = state.ringBuffer;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final DutyThread thread = state.thread;
        final long first = state.begin();
        final long end = first + state.iterationRecords;
        for (long sequence = first; sequence < end; sequence++)
        {
            payload.putLong(0, sequence);
            while (!ringBuffer.write(MSG_TYPE_ID, payload, 0, length))
            {
                thread.checkError();
                Thread.onSpinWait();
            }
        }

        return state.finish(end);
    }

    /**
     * Aeron: {@code offer}, running the driver while back-pressured.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long aeron(final AeronState state)
    {
        final ExclusivePublication publication = state.publication;
        final EmbeddedAeron aeron = state.aeron;
        final UnsafeBuffer payload = state.payload;
        final int length = state.payloadLength;
        final DutyThread thread = state.thread;
        final long first = state.begin();
        final long end = first + state.iterationRecords;
        for (long sequence = first; sequence < end; sequence++)
        {
            payload.putLong(0, sequence);
            long result;
            while ((result = publication.offer(payload, 0, length)) < 0)
            {
                EmbeddedAeron.checkOfferResult(result);
                thread.checkError();
                aeron.doWork();
            }
        }

        return state.finish(end);
    }

    /**
     * Chronicle Queue: copying {@code writeBytes}.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long chronicle(final ChronicleState state)
    {
        final long first = state.begin();
        return state.finish(writeChronicle(state, first, first + state.iterationRecords));
    }

    /**
     * Replay of a Chronicle Queue: the tailer alone, from the start, on a queue appended to before the window.
     *
     * @param state of the trial.
     * @return the next sequence.
     */
    @Benchmark
    public long chronicleReplay(final ChroniclePrewrittenState state)
    {
        return state.replay();
    }

    static long writeChronicle(final ChronicleState state, final long first, final long end)
    {
        final ExcerptAppender appender = state.appender;
        final BytesStore<?, Void> payload = state.chroniclePayload;
        for (long sequence = first; sequence < end; sequence++)
        {
            payload.writeLong(0, sequence);
            appender.writeBytes(payload);
        }

        return end;
    }

    /**
     * A reader that checks every record's sequence and length: a record out of order, lost or of the wrong length
     * fails the duty, and so the benchmark.
     */
    abstract static class SequencedConsumer extends Consumer
    {
        int payloadLength;
        long expectedSequence;

        /**
         * Check one record.
         *
         * @param sequence from the record's first 8 bytes.
         * @param length   of the record's payload.
         * @throws IllegalStateException when it is not the next record.
         */
        final void check(final long sequence, final int length)
        {
            if (sequence != expectedSequence || length != payloadLength)
            {
                throw new IllegalStateException("unexpected record: expected sequence=" + expectedSequence +
                    " length=" + payloadLength + ", actual sequence=" + sequence + " length=" + length);
            }
            expectedSequence++;
        }
    }

    static final class KekbitConsumer extends SequencedConsumer implements RecordHandler
    {
        private ChannelRotation rotation;
        private ChannelReader reader;

        void rotation(final ChannelRotation rotation)
        {
            this.rotation = rotation;
            this.reader = rotation.reader();
        }

        protected int poll(final int limit)
        {
            final int count = reader.poll(this, limit);
            if (0 == count && reader.position() == reader.capacity())
            {
                reader = rotation.nextReader();
            }

            return count;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            check(buffer.getLong(offset), length);
        }
    }

    static final class JournalConsumer extends SequencedConsumer implements RecordHandler
    {
        private static final long STATE_CHECK_MASK = 0xFFFF;

        private RollingJournal journal;
        private JournalReader reader;
        private boolean isNamed;
        private long emptyPolls;

        void journal(final RollingJournal journal)
        {
            this.journal = journal;
            this.reader = null == journal ? null : journal.reader();
            this.isNamed = null != reader && null != reader.name();
        }

        protected int poll(final int limit)
        {
            final int count = reader.poll(this, limit);
            if (count > 0 && isNamed)
            {
                reader.commit(); // one ordered store: lets retention retire, and recycle, what it has read
            }
            else if (0 == count && 0 == (++emptyPolls & STATE_CHECK_MASK))
            {
                journal.checkReader(); // a corrupt or truncated journal fails the run instead of timing out
            }

            return count;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            check(buffer.getLong(offset), length);
        }
    }

    static final class FreshMemoryConsumer extends SequencedConsumer
    {
        static final int COUNTER_OFFSET = 128;
        static final int COUNTER_LENGTH = 256;

        private UnsafeBuffer[] segments;
        private UnsafeBuffer counter;
        private int stride;
        private long segmentBytes;
        private int segment;
        private UnsafeBuffer buffer;
        private long offset;
        private long read;

        void segments(final UnsafeBuffer[] segments, final UnsafeBuffer counter, final int stride)
        {
            this.segments = segments;
            this.counter = counter;
            this.stride = stride;
            this.segmentBytes = segments[0].capacity();
            this.segment = 0;
            this.buffer = segments[0];
            this.offset = 0;
            this.read = 0;
        }

        protected int poll(final int limit)
        {
            final int count = (int)Math.min(limit, counter.getLongAcquire(COUNTER_OFFSET) - read);
            for (int i = 0; i < count; i++)
            {
                if (offset == segmentBytes)
                {
                    buffer = segments[++segment];
                    offset = 0;
                }
                final int index = (int)offset;
                check(buffer.getLong(index + RecordDescriptor.HEADER_LENGTH),
                    buffer.getInt(index) - RecordDescriptor.HEADER_LENGTH);
                offset += stride;
            }
            read += count;

            return count;
        }
    }

    static final class RingBufferConsumer extends SequencedConsumer implements MessageHandler
    {
        private final RingBuffer ringBuffer;

        RingBufferConsumer(final RingBuffer ringBuffer)
        {
            this.ringBuffer = ringBuffer;
        }

        protected int poll(final int limit)
        {
            return ringBuffer.read(this, limit);
        }

        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            check(buffer.getLong(index), length);
        }
    }

    static final class AeronConsumer extends SequencedConsumer implements FragmentHandler
    {
        private final Subscription subscription;

        AeronConsumer(final Subscription subscription)
        {
            this.subscription = subscription;
        }

        protected int poll(final int limit)
        {
            return subscription.poll(this, limit);
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            check(buffer.getLong(offset), length);
        }
    }

    static final class ChronicleConsumer extends SequencedConsumer
    {
        private ExcerptTailer tailer;

        void tailer(final ExcerptTailer tailer)
        {
            this.tailer = tailer;
        }

        protected int poll(final int limit)
        {
            final ExcerptTailer tailer = this.tailer;
            int count = 0;
            while (count < limit)
            {
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    final Bytes<?> bytes = dc.wire().bytes();
                    check(bytes.readLong(bytes.readPosition()), (int)bytes.readRemaining());
                    count++;
                }
            }

            return count;
        }
    }
}
