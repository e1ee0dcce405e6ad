package org.kekbit.channel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Entry point of the child JVMs the multi-process tests start through {@link ChildProcess}; one role per run:
 * <pre>{@code
 *   writer <root> <channelId> <capacity> <timeoutMs> <count> <batch> <close|hang>
 *   reader <file> <awaitMs>
 *   create <root> <channelId> <rounds>
 *   crashwriter <root> <channelId> <capacity> <timeoutMs> <maxRecordLength> <recordsPerLife> <seed>
 *   follow <file> <awaitMs> <checkWriterProcess>
 *   createone <root> <channelId> <capacity>
 *   scribble <file>
 *   checksum <file> <awaitMs>
 * }</pre>
 * A child speaks in lines on stdout, each flushed as it is printed:
 * <ul>
 *   <li>writer: {@code READY <path>}, {@code WRITTEN records=<n> position=<p>}, {@code FULL ...}, then
 *   {@code CLOSED} or {@code CLAIMED sequence=<n>};</li>
 *   <li>reader: {@code BOUNDS_CHECKS <true|false>}, {@code OPENED}, {@code CORRUPTION <why>} when corrupt, and
 *   {@code RESULT records=<n> state=<STATE> lastSeq=<s> position=<p> ok=<true|false>};</li>
 *   <li>create, per round: {@code READY <round>}, then after reading {@code GO <round>} on stdin,
 *   {@code WON <round>} or {@code LOST <round> <REASON> at=<link|check> <message>};</li>
 *   <li>crashwriter: {@code STANDBY} once warmed up, then after reading {@code CREATE} or {@code RESUME} on stdin,
 *   {@code RESUMED records=<n> position=<p>}; it writes until killed, or until {@code CLOSE} on stdin, then
 *   {@code CLOSED records=<n> position=<p>};</li>
 *   <li>follow: {@code OPENED}, {@code OPEN records=<n>} each time an abandoned channel is written again, a reply
 *   {@code <request> state=ABANDONED records=<n> lastSeq=<s> position=<p> abandonedAtMs=<t> ok=<b>} to each line
 *   read on stdin, as soon as the channel is abandoned, and at the end {@code RESULT ... opens=<n>};</li>
 *   <li>createone: {@code CREATING}, then {@code CREATED <path>} or {@code FAILED <REASON> <message>};</li>
 *   <li>scribble: {@code POLLING}, then {@code WROTE} should a write through the buffer a reader hands out
 *   succeed (it must not: the mapping is read-only, so the JVM dies of SIGSEGV first);</li>
 *   <li>checksum: {@code OPENED}, then at the end {@code CHECKSUM records=<n> hash=<h> errors=<e> state=<STATE>}
 *   over {@link SequenceChecksum} records;</li>
 *   <li>any role: {@code ERROR <exception>} with its stack trace, and exit code 1.</li>
 * </ul>
 * A child halts when its stdin reaches end of file, which is when the test JVM is gone, and after
 * {@link #MAX_LIFETIME_MS} in any case, so that no child outlives a failed or killed test run.
 */
final class ChildMain
{
    static final String WRITER = "writer";
    static final String READER = "reader";
    static final String CREATE = "create";
    static final String CRASH_WRITER = "crashwriter";
    static final String FOLLOW = "follow";
    static final String CREATE_ONE = "createone";
    static final String SCRIBBLE = "scribble";
    static final String CHECKSUM = "checksum";
    static final String THEN_CLOSE = "close";
    static final String THEN_HANG = "hang";

    private static final long MAX_LIFETIME_MS = 120_000;
    private static final int START_CLAIM_PAUSE_NS = 3_000_000;
    private static final int ORPHAN_EXIT_CODE = 98;
    private static final int ERROR_EXIT_CODE = 1;
    private static final PrintStream OUT = System.out;
    private static final BlockingQueue<String> STDIN_LINES = new LinkedBlockingQueue<>();

    private ChildMain()
    {
    }

    /**
     * Run one role; see the class javadoc for the roles and their arguments.
     *
     * @param args the role followed by its arguments.
     */
    public static void main(final String[] args)
    {
        startWatchdogs();
        try
        {
            switch (args[0])
            {
                case WRITER:
                    writer(args);
                    break;

                case READER:
                    reader(args);
                    break;

                case CREATE:
                    create(args);
                    break;

                case CRASH_WRITER:
                    crashWriter(args);
                    break;

                case FOLLOW:
                    follow(args);
                    break;

                case CREATE_ONE:
                    createOne(args);
                    break;

                case SCRIBBLE:
                    scribble(args);
                    break;

                case CHECKSUM:
                    checksum(args);
                    break;

                default:
                    throw new IllegalArgumentException("unknown role: " + args[0]);
            }
        }
        catch (final Throwable ex)
        {
            say("ERROR " + ex);
            ex.printStackTrace(OUT);
            OUT.flush();
            System.exit(ERROR_EXIT_CODE);
        }
    }

    /**
     * Create a channel, write {@code count} checked records (until the channel is full when -1) running the duty
     * cycle between writes and pausing 1 ms after every {@code batch} records when not 0; then close, or hang: claim
     * one more record, fill its payload, never commit it, and keep the heartbeat fresh until killed.
     */
    private static void writer(final String[] args) throws InterruptedException
    {
        final Path root = Path.of(args[1]);
        final long channelId = Long.parseLong(args[2]);
        final long capacity = Long.parseLong(args[3]);
        final long timeoutMs = Long.parseLong(args[4]);
        final long count = Long.parseLong(args[5]);
        final int batch = Integer.parseInt(args[6]);
        final String then = args[7];

        final ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root).channelId(channelId).capacity(capacity).timeoutMs(timeoutMs));
        say("READY " + writer.path());

        final CheckedRecord record = new CheckedRecord();
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CheckedRecord.MAX_LENGTH));
        long sequence = 0;
        while (count < 0 || sequence < count)
        {
            final int length = record.encode(buffer, 0, sequence);
            final long result = writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length);
            if (ChannelWriter.CHANNEL_FULL == result)
            {
                say("FULL records=" + sequence + " position=" + writer.position());
                break;
            }
            if (result < 0)
            {
                throw new IllegalStateException("write failed: result=" + result + ", sequence=" + sequence);
            }
            sequence++;
            writer.doWork();
            if (batch > 0 && 0 == sequence % batch)
            {
                TimeUnit.MILLISECONDS.sleep(1);
            }
        }
        say("WRITTEN records=" + sequence + " position=" + writer.position());

        if (THEN_CLOSE.equals(then))
        {
            writer.close();
            say("CLOSED");
            return;
        }

        final RecordClaim claim = new RecordClaim();
        if (!writer.isFull() && writer.tryClaim(CheckedRecord.MSG_TYPE_ID, CheckedRecord.length(sequence), claim) > 0)
        {
            record.encode(claim.buffer(), claim.offset(), sequence);
            say("CLAIMED sequence=" + sequence);
        }
        while (true)
        {
            writer.doWork();
            TimeUnit.MILLISECONDS.sleep(1);
        }
    }

    /**
     * Open a channel, waiting for it to appear, follow it until it ends and verify every record: the sequence
     * numbers count up from 0 and every checksum holds.
     */
    private static void reader(final String[] args)
    {
        final Path file = Path.of(args[1]);
        final long awaitMs = Long.parseLong(args[2]);
        say("BOUNDS_CHECKS " + UnsafeBuffer.SHOULD_BOUNDS_CHECK);

        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        try (ChannelReader reader = ChannelReader.awaitOpen(
            new ChannelReader.Context().path(file), idleStrategy, awaitMs))
        {
            say("OPENED");
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            idleStrategy.reset();
            while (true)
            {
                final int workCount = reader.poll(verifier, 1000);
                if (0 == workCount && reader.state().isEndOrAbandoned())
                {
                    break;
                }
                idleStrategy.idle(workCount);
            }

            final ChannelState state = reader.state();
            if (ChannelState.CORRUPT == state)
            {
                say("CORRUPTION " + reader.corruption());
            }
            if (null != verifier.error())
            {
                say("ERROR " + verifier.error());
            }
            say("RESULT records=" + verifier.records() + " state=" + state + " lastSeq=" + verifier.lastSequence() +
                " position=" + reader.position() + " ok=" + (null == verifier.error()));
        }
    }

    /**
     * Warm up, then for each round: say READY, wait for GO on stdin and race the other children to create the
     * round's channel. The winner writes one record, its pid as the sequence, and closes the channel.
     */
    private static void create(final String[] args) throws InterruptedException, IOException
    {
        final Path root = Path.of(args[1]);
        final long channelId = Long.parseLong(args[2]);
        final int rounds = Integer.parseInt(args[3]);
        final long capacity = 1024 * 1024;

        // Load and run the creation path, winning and losing, first: the children then meet at the link.
        final Path warmRoot = root.resolveSibling(root.getFileName() + "-warm-" + ProcessHandle.current().pid());
        for (int i = 0; i < 3; i++)
        {
            final ChannelWriter.Context ctx = new ChannelWriter.Context()
                .root(warmRoot).channelId(i).capacity(capacity);
            ChannelWriter.create(ctx).close();
            try
            {
                ChannelWriter.create(ctx);
                throw new IllegalStateException("created a channel twice: " + ctx.path());
            }
            catch (final ChannelException ex)
            {
                if (ChannelException.Reason.ALREADY_EXISTS != ex.reason())
                {
                    throw ex;
                }
            }
        }
        IoUtil.delete(warmRoot.toFile(), true);

        final CheckedRecord record = new CheckedRecord();
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CheckedRecord.MAX_LENGTH));
        for (int round = 0; round < rounds; round++)
        {
            say("READY " + round);
            final String go = STDIN_LINES.poll(MAX_LIFETIME_MS, TimeUnit.MILLISECONDS);
            if (!("GO " + round).equals(go))
            {
                throw new IllegalStateException("expected GO " + round + ", actual=" + go);
            }

            final ChannelWriter writer;
            try
            {
                writer = ChannelWriter.create(
                    new ChannelWriter.Context().root(root).channelId(channelId + round).capacity(capacity));
            }
            catch (final ChannelException ex)
            {
                // The cause tells a loss at the exclusive link, a real race, from one at the existence check.
                final String at = ex.getCause() instanceof FileAlreadyExistsException ? "link" : "check";
                say("LOST " + round + " " + ex.reason() + " at=" + at + " " + ex.getMessage());
                continue;
            }

            final int length = record.encode(buffer, 0, ProcessHandle.current().pid());
            if (writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length) < 0)
            {
                throw new IllegalStateException("write failed in round " + round);
            }
            writer.close();
            say("WON " + round); // only once closed: the test then expects the CLOSED marker
        }
    }

    /**
     * Warm up, say STANDBY, then on CREATE or RESUME create the channel or resume it after its last committed record
     * (reading every record back to carry the sequence on), and write checked records until killed: bursts of copied
     * records and, between them, slow claims of the maximum length that hold fake record headers in their unused
     * tail and a half-written payload for a while before they commit. After {@code recordsPerLife} records it only
     * keeps its heartbeat fresh. CLOSE on stdin closes the channel.
     */
    private static void crashWriter(final String[] args) throws InterruptedException
    {
        final Path root = Path.of(args[1]);
        final long channelId = Long.parseLong(args[2]);
        final long capacity = Long.parseLong(args[3]);
        final long timeoutMs = Long.parseLong(args[4]);
        final int maxRecordLength = Integer.parseInt(args[5]);
        final long recordsPerLife = Long.parseLong(args[6]);
        final Random random = new Random(Long.parseLong(args[7]));

        final Path warmRoot = root.resolve("warm-" + ProcessHandle.current().pid()); // no channel folder's name
        final ChannelWriter warmWriter = ChannelWriter.create(new ChannelWriter.Context()
            .root(warmRoot).channelId(channelId).capacity(1 << 20).maxRecordLength(maxRecordLength));
        writeChecked(warmWriter, new Random(0), 0, 2_000, 0);
        warmWriter.close();
        readBack(warmWriter.path(), warmWriter.position());
        IoUtil.delete(warmRoot.toFile(), true);
        say("STANDBY");

        final String command = STDIN_LINES.poll(MAX_LIFETIME_MS, TimeUnit.MILLISECONDS);
        final long startNs = System.nanoTime();
        final ChannelWriter.Context ctx = new ChannelWriter.Context().root(root).channelId(channelId)
            .capacity(capacity).timeoutMs(timeoutMs).maxRecordLength(maxRecordLength);
        final ChannelWriter writer;
        final long records;
        if ("CREATE".equals(command))
        {
            writer = ChannelWriter.create(ctx);
            records = 0;
        }
        else if ("RESUME".equals(command))
        {
            writer = ChannelWriter.resume(ctx);
            records = readBack(writer.path(), writer.position());
        }
        else
        {
            throw new IllegalStateException("expected CREATE or RESUME, actual=" + command);
        }
        say("RESUMED records=" + records + " position=" + writer.position() + " tookMs=" +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));

        final long end = writeChecked(writer, random, records, recordsPerLife, 50_000);
        writer.close();
        say("CLOSED records=" + end + " position=" + writer.position());
    }

    /**
     * Write checked records from a sequence on, in bursts and slow claims, until {@code count} are written; then keep
     * the heartbeat fresh. Stops at CLOSE on stdin, at once when {@code maxPauseNs} is 0.
     *
     * @return the next sequence.
     */
    private static long writeChecked(
        final ChannelWriter writer, final Random random, final long from, final long count, final int maxPauseNs)
    {
        final CheckedRecord record = new CheckedRecord();
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(CheckedRecord.MAX_LENGTH));
        final RecordClaim claim = new RecordClaim();
        long sequence = from;
        if (maxPauseNs > 0 && count >= 2)
        {
            // First a record, then a claim held open for a while: its header lies where a dead writer's claim left
            // stale bytes, which resume must have cleared, or readers would take them for a committed record.
            final int length = record.encode(buffer, 0, sequence);
            checkWritten(writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length), sequence++);
            slowClaim(writer, claim, record, buffer, sequence++, random, START_CLAIM_PAUSE_NS);
        }
        while (maxPauseNs > 0 ? !"CLOSE".equals(STDIN_LINES.poll()) : sequence - from < count)
        {
            writer.doWork();
            if (sequence - from >= count)
            {
                LockSupport.parkNanos(1_000_000);
                continue;
            }

            if (0 == random.nextInt(4))
            {
                slowClaim(writer, claim, record, buffer, sequence++, random, maxPauseNs);
            }
            else
            {
                final int burst = 1 + random.nextInt(64);
                for (int i = 0; i < burst && sequence - from < count; i++)
                {
                    final int length = record.encode(buffer, 0, sequence);
                    checkWritten(writer.write(CheckedRecord.MSG_TYPE_ID, buffer, 0, length), sequence);
                    sequence++;
                }
            }
            pause(random, maxPauseNs);
        }

        return sequence;
    }

    /**
     * Claim the maximum record length, fill it with fake record headers, write half the record, pause, write the
     * rest, pause and commit only the record's length: a kill in between leaves a claim with stale bytes behind.
     */
    private static void slowClaim(
        final ChannelWriter writer,
        final RecordClaim claim,
        final CheckedRecord record,
        final UnsafeBuffer buffer,
        final long sequence,
        final Random random,
        final int maxPauseNs)
    {
        final int claimLength = writer.maxRecordLength(); // at least CheckedRecord.MAX_LENGTH
        checkWritten(writer.tryClaim(CheckedRecord.MSG_TYPE_ID, claimLength, claim), sequence);
        final MutableDirectBuffer claimed = claim.buffer();
        for (int i = 0; i + RecordDescriptor.HEADER_LENGTH <= claimLength; i += RecordDescriptor.HEADER_LENGTH)
        {
            claimed.putInt(i + RecordDescriptor.FRAME_LENGTH_OFFSET, 16, ByteOrder.LITTLE_ENDIAN);
            claimed.putInt(i + RecordDescriptor.MSG_TYPE_ID_OFFSET, CheckedRecord.MSG_TYPE_ID, ByteOrder.LITTLE_ENDIAN);
        }
        final int length = record.encode(buffer, 0, sequence);
        claimed.putBytes(0, buffer, 0, length / 2);
        pause(random, maxPauseNs);
        claimed.putBytes(length / 2, buffer, length / 2, length - length / 2);
        pause(random, maxPauseNs);
        checkWritten(claim.commit(length), sequence);
    }

    private static void pause(final Random random, final int maxPauseNs)
    {
        if (maxPauseNs > 0)
        {
            LockSupport.parkNanos(random.nextInt(maxPauseNs));
        }
    }

    private static void checkWritten(final long result, final long sequence)
    {
        if (result < 0)
        {
            throw new IllegalStateException("write failed: result=" + result + ", sequence=" + sequence);
        }
    }

    /**
     * Read every record of a channel back and verify it.
     *
     * @return the number of records, which is the next sequence.
     */
    private static long readBack(final Path path, final long expectedPosition)
    {
        try (ChannelReader reader = ChannelReader.open(
            new ChannelReader.Context().path(path).observer(ProcessIdentities.OTHER_NAMESPACE)))
        {
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            while (reader.poll(verifier, Integer.MAX_VALUE) > 0)
            {
                Thread.onSpinWait();
            }
            if (null != verifier.error() || reader.position() != expectedPosition)
            {
                throw new IllegalStateException("bad channel: " + verifier.error() + ", records=" +
                    verifier.records() + ", position=" + reader.position() + ", expected=" + expectedPosition);
            }
            return verifier.records();
        }
    }

    /**
     * Follow a channel across writer restarts: unlike the reader role, ABANDONED does not end it. Answers each line
     * read on stdin once the channel is abandoned, and ends when it is closed, full or corrupt.
     */
    private static void follow(final String[] args)
    {
        final Path file = Path.of(args[1]);
        final long awaitMs = Long.parseLong(args[2]);
        final boolean checkWriterProcess = Boolean.parseBoolean(args[3]);
        say("BOUNDS_CHECKS " + UnsafeBuffer.SHOULD_BOUNDS_CHECK);

        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        final ChannelReader.Context ctx = new ChannelReader.Context().path(file);
        if (!checkWriterProcess)
        {
            ctx.observer(ProcessIdentities.OTHER_NAMESPACE); // judge the writer by its heartbeat alone
        }
        try (ChannelReader reader = ChannelReader.awaitOpen(ctx, idleStrategy, awaitMs))
        {
            say("OPENED");
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            final ArrayDeque<String> requests = new ArrayDeque<>();
            boolean isAbandoned = false;
            long abandonedAtMs = 0;
            long opens = 0;
            ChannelState state;
            while (true)
            {
                STDIN_LINES.drainTo(requests);

                final int workCount = reader.poll(verifier, 1000);
                state = workCount > 0 ? ChannelState.OPEN : reader.state();
                if (ChannelState.ABANDONED == state && !isAbandoned)
                {
                    isAbandoned = true;
                    abandonedAtMs = System.currentTimeMillis();
                }
                else if (ChannelState.OPEN == state && isAbandoned)
                {
                    isAbandoned = false;
                    opens++;
                    say("OPEN records=" + verifier.records());
                }
                else if (state.isEnd())
                {
                    break;
                }

                while (isAbandoned && !requests.isEmpty())
                {
                    say(requests.poll() + " state=" + state + " records=" + verifier.records() + " lastSeq=" +
                        verifier.lastSequence() + " position=" + reader.position() + " abandonedAtMs=" +
                        abandonedAtMs + " ok=" + (null == verifier.error()) + " error=" + verifier.error());
                }
                idleStrategy.idle(workCount);
            }

            say("RESULT records=" + verifier.records() + " state=" + state + " lastSeq=" + verifier.lastSequence() +
                " position=" + reader.position() + " opens=" + opens + " ok=" + (null == verifier.error()) +
                " error=" + verifier.error());
        }
    }

    /**
     * Create one channel, for a test to kill while it allocates a large one, or to watch it fail.
     */
    private static void createOne(final String[] args)
    {
        final ChannelWriter.Context ctx = new ChannelWriter.Context()
            .root(Path.of(args[1])).channelId(Long.parseLong(args[2])).capacity(Long.parseLong(args[3]));
        say("CREATING");
        try (ChannelWriter writer = ChannelWriter.create(ctx))
        {
            say("CREATED " + writer.path());
        }
        catch (final ChannelException ex)
        {
            say("FAILED " + ex.reason() + " " + ex.getMessage());
        }
    }

    /**
     * Try to modify a channel through the buffer its reader hands to the handler, as a buggy handler might.
     */
    private static void scribble(final String[] args)
    {
        try (ChannelReader reader = ChannelReader.open(Path.of(args[1])))
        {
            say("POLLING");
            reader.poll((msgTypeId, buffer, offset, length) ->
            {
                ((MutableDirectBuffer)buffer).putLong(offset, 0xBAD_CAFEL);
                say("WROTE");
            }, 1);
        }
    }

    /**
     * Follow a channel of {@link SequenceChecksum} records to its end and report their checksum.
     */
    private static void checksum(final String[] args)
    {
        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        try (ChannelReader reader = ChannelReader.awaitOpen(
            new ChannelReader.Context().path(Path.of(args[1])), idleStrategy, Long.parseLong(args[2])))
        {
            say("OPENED");
            final SequenceChecksum checksum = new SequenceChecksum();
            idleStrategy.reset();
            int workCount;
            while ((workCount = reader.poll(checksum, 4096)) > 0 || !reader.state().isEnd())
            {
                idleStrategy.idle(workCount);
            }
            say("CHECKSUM records=" + checksum.records() + " hash=" + checksum.hash() + " errors=" +
                checksum.errors() + " state=" + reader.state());
        }
    }

    private static void say(final String line)
    {
        OUT.println(line);
        OUT.flush();
    }

    private static void startWatchdogs()
    {
        final Thread stdin = new Thread(
            () ->
            {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)))
                {
                    String line;
                    while (null != (line = in.readLine()))
                    {
                        STDIN_LINES.add(line);
                    }
                }
                catch (final IOException ignore)
                {
                    // treated as end of file
                }
                Runtime.getRuntime().halt(ORPHAN_EXIT_CODE);
            },
            "child-stdin");
        stdin.setDaemon(true);
        stdin.start();

        final Thread lifetime = new Thread(
            () ->
            {
                try
                {
                    Thread.sleep(MAX_LIFETIME_MS);
                }
                catch (final InterruptedException ignore)
                {
                    // halt anyway
                }
                Runtime.getRuntime().halt(ORPHAN_EXIT_CODE);
            },
            "child-lifetime");
        lifetime.setDaemon(true);
        lifetime.start();
    }
}
