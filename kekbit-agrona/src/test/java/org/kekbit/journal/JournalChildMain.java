package org.kekbit.journal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordDescriptor;

/**
 * Child JVM roles for the journal's multi-process tests, started through {@code org.kekbit.channel.ChildProcess}.
 * Each prints lines the test waits for, and halts after its lifetime (two minutes, or {@code -Dkekbit.childLifetimeMs})
 * or, for the roles that hold something, when its stdin reaches end of file (the test JVM is gone).
 * <ul>
 *     <li>{@code writer <folder> <segmentCapacity> <maxRecordLength> [<retainedSegments> [<recordsPerMs>
 *     [recycle|roll-ahead|recycle-aligned-64|recycle-agent]]]}: create the journal, or resume it and continue the
 *     sequence after its last record; print {@code READY next=<sequence>}, then write checked records with the duty
 *     cycle between writes, printing {@code WROTE <sequence>} every 1,000, until killed. With retainedSegments the
 *     duty cycle applies that retention; with recordsPerMs (0 for no limit) it writes at most that many records a
 *     millisecond; with {@code recycle} it re-uses the segments retention retires (and aligns its records to 64 with
 *     {@code recycle-aligned-64}: the padding of records in re-used files keeps old bytes, or with
 *     {@code recycle-agent} makes its segments on a segment creator agent whose thread sleeps a millisecond between
 *     duty cycles, and prints {@code AGENT-MADE <n>} after each {@code WROTE} line: the segments it rolled onto that
 *     the agent made); with {@code roll-ahead} its duty cycle rolls once less than a quarter of the segment is
 *     left ({@link JournalWriter.Context#rollAheadBytes(long)}).</li>
 *     <li>{@code claim <folder> <name>}: open the named reader; print {@code HELD} or {@code REFUSED <reason>}, then
 *     hold it until stdin ends.</li>
 *     <li>{@code follow <folder> <name> <timeoutMs>}: open the named reader, retrying while a claim of a killed
 *     predecessor is judged by its heartbeat; wait for its first record and print
 *     {@code RESUMED position=<position opened at> first=<its sequence> refusals=<n>}; then poll a random number of
 *     records at a time, checking each is the next in sequence, and commit after every poll. On {@code END} from
 *     stdin it reads until the journal is CLOSED and prints {@code RESULT next=<sequence> state=<state>}.</li>
 *     <li>{@code index <folder>}: open a {@link JournalIndexer}; print {@code HELD} or {@code REFUSED <reason>}, then
 *     hold it until stdin ends.</li>
 *     <li>{@code cut <folder> <position>}: print {@code READY}, {@link JournalCut#cut(Path, long)} the journal there,
 *     print {@code CUT ms=<duration>} and halt.</li>
 * </ul>
 * A failure prints {@code ERROR <exception>} and its stack trace, and halts with exit code 1.
 */
final class JournalChildMain
{
    static final String WRITER = "writer";
    static final String CLAIM = "claim";
    static final String FOLLOW = "follow";
    static final String INDEX = "index";
    static final String CUT = "cut";
    static final String RECYCLE = "recycle";
    static final String ROLL_AHEAD = "roll-ahead";
    static final String RECYCLE_ALIGNED_64 = "recycle-aligned-64";
    static final String RECYCLE_AGENT = "recycle-agent";

    private static final long MAX_LIFETIME_MS = Long.getLong("kekbit.childLifetimeMs", 120_000);
    private static final PrintStream OUT = System.out;

    private JournalChildMain()
    {
    }

    /**
     * Run one role.
     *
     * @param args the role followed by its arguments.
     */
    public static void main(final String[] args)
    {
        startWatchdogs();
        try
        {
            if (WRITER.equals(args[0]))
            {
                final String mode = args.length > 6 ? args[6] : ""; // every recycling mode starts with "recycle"
                writer(Path.of(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]),
                    args.length > 4 ? Integer.parseInt(args[4]) : 0, args.length > 5 ? Integer.parseInt(args[5]) : 0,
                    mode.startsWith(RECYCLE), ROLL_AHEAD.equals(mode), RECYCLE_AGENT.equals(mode),
                    RECYCLE_ALIGNED_64.equals(mode) ? 64 : RecordDescriptor.ALIGNMENT);
            }
            else if (CLAIM.equals(args[0]))
            {
                claim(Path.of(args[1]), args[2]);
            }
            else if (FOLLOW.equals(args[0]))
            {
                follow(Path.of(args[1]), args[2], Long.parseLong(args[3]));
            }
            else if (INDEX.equals(args[0]))
            {
                index(Path.of(args[1]));
            }
            else if (CUT.equals(args[0]))
            {
                cut(Path.of(args[1]), Long.parseLong(args[2]));
            }
            else
            {
                throw new IllegalArgumentException("unknown role: " + args[0]);
            }
        }
        catch (final Throwable ex)
        {
            OUT.println("ERROR " + ex);
            ex.printStackTrace(OUT);
            OUT.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static void writer(
        final Path folder,
        final long segmentCapacity,
        final int maxRecordLength,
        final int retainedSegments,
        final int recordsPerMs,
        final boolean recycle,
        final boolean rollAhead,
        final boolean onAgent,
        final int recordAlignment)
    {
        final JournalWriter.Context ctx = new JournalWriter.Context()
            .folder(folder).segmentCapacity(segmentCapacity).maxRecordLength(maxRecordLength).preTouch(false)
            .recordAlignment(recordAlignment)
            .recycleSegments(recycle)
            .createSegmentsOnAgent(onAgent)
            .rollAheadBytes(rollAhead ? segmentCapacity / 4 : 0);
        if (retainedSegments > 0)
        {
            ctx.retainedSegments(retainedSegments);
        }
        final JournalWriter writer;
        long sequence = 0;
        if (JournalFiles.segmentBases(folder).isEmpty())
        {
            writer = JournalWriter.create(ctx);
        }
        else
        {
            writer = JournalWriter.resume(ctx);
            // A recycling journal is read by named readers only: this one protects nothing and gives its name back.
            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)
                .name(recycle ? "resume-scan" : null).protectRetention(false)))
            {
                reader.seekToStart(); // not after the name's last commit
                final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(-1); // oldest kept
                while (reader.poll(checker, 1000) > 0)
                {
                    if (!checker.errors.isEmpty())
                    {
                        throw new IllegalStateException("bad journal on resume: " + checker.errors);
                    }
                }
                sequence = checker.next;
            }
        }
        if (onAgent)
        {
            // A helper thread that sleeps between duty cycles, as the benchmarks run it: kills land while it makes a
            // segment in a retired file the writer lent it, and while the writer waits for it at a roll.
            AgentRunner.startOnThread(new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace,
                null, writer.segmentCreator()));
        }
        say("READY next=" + sequence);

        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[maxRecordLength]);
        while (true)
        {
            long result;
            while (JournalWriter.ROLL_FAILED == (result = JournalTestSupport.write(writer, scratch, sequence)) &&
                null != writer.lastRollFailure() &&
                ChannelException.Reason.NOT_READY == writer.lastRollFailure().reason())
            {
                writer.doWork(); // the agent is making the next segment: take it once handed over
                Thread.yield();
            }
            if (result < 0)
            {
                throw new IllegalStateException("write failed: result=" + result + ", sequence=" + sequence +
                    ", failure=" + writer.lastRollFailure());
            }
            sequence++;
            writer.doWork();
            if (0 == sequence % 1000)
            {
                say("WROTE " + sequence);
                if (onAgent)
                {
                    say("AGENT-MADE " + (writer.rolls() - writer.inlineSegmentCreations()));
                }
            }
            if (recordsPerMs > 0 && 0 == sequence % recordsPerMs)
            {
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private static void follow(final Path folder, final String name, final long timeoutMs)
    {
        final AtomicBoolean isEndRequested = new AtomicBoolean();
        final Thread stdin = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = in.readLine()))
                {
                    if ("END".equals(line))
                    {
                        isEndRequested.set(true);
                    }
                }
            }
            catch (final IOException ignore)
            {
                // the test is gone
            }
            Runtime.getRuntime().halt(0);
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();

        final JournalReader.Context ctx = new JournalReader.Context().folder(folder).name(name).timeoutMs(timeoutMs);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JournalReader reader = null;
        int refusals = 0;
        while (null == reader)
        {
            try
            {
                reader = JournalReader.open(ctx);
            }
            catch (final ChannelException ex)
            {
                // A predecessor killed in the middle of its claim is judged by its heartbeat: wait for the timeout.
                if (ChannelException.Reason.READER_ACTIVE != ex.reason() || System.nanoTime() > deadlineNs)
                {
                    throw ex;
                }
                refusals++;
                LockSupport.parkNanos(1_000_000);
            }
        }
        final long openedAt = reader.position();
        final long[] first = { -1 };
        while (0 == reader.poll((msgTypeId, buffer, offset, length) -> first[0] = buffer.getLong(offset), 1))
        {
            LockSupport.parkNanos(100_000);
        }
        reader.commit();
        say("RESUMED position=" + openedAt + " first=" + first[0] + " refusals=" + refusals);

        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(first[0] + 1);
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        while (true)
        {
            final int count = reader.poll(checker, 1 + random.nextInt(50));
            if (!checker.errors.isEmpty())
            {
                throw new IllegalStateException("named reader " + name + " opened at " + openedAt + ": " +
                    checker.errors);
            }
            reader.commit(); // a kill lands before or after this at random: the next life resumes here
            if (0 == count)
            {
                final JournalState state = reader.state();
                if (isEndRequested.get() && JournalState.CLOSED == state)
                {
                    say("RESULT next=" + checker.next + " state=" + state);
                    isEndRequested.set(false);
                }
                else if (JournalState.CORRUPT == state || JournalState.TRUNCATED == state)
                {
                    throw new IllegalStateException("named reader " + name + " is " + state + " at " +
                        reader.position() + ": " + reader.corruption());
                }
                LockSupport.parkNanos(100_000);
            }
        }
    }

    private static void cut(final Path folder, final long position)
    {
        say("READY");
        final long startNs = System.nanoTime();
        JournalCut.cut(folder, position);
        say("CUT ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        Runtime.getRuntime().halt(0);
    }

    private static void index(final Path folder) throws IOException
    {
        try
        {
            JournalIndexer.open(new JournalIndexer.Context().folder(folder).sequenceOffset(0));
            say("HELD");
        }
        catch (final ChannelException ex)
        {
            say("REFUSED " + ex.reason());
        }
        while (System.in.read() >= 0)
        {
            // hold until the test closes stdin
        }
        Runtime.getRuntime().halt(0);
    }

    private static void claim(final Path folder, final String name) throws IOException
    {
        try
        {
            JournalReader.open(new JournalReader.Context().folder(folder).name(name));
            say("HELD");
        }
        catch (final ChannelException ex)
        {
            say("REFUSED " + ex.reason());
        }
        while (System.in.read() >= 0)
        {
            // hold until the test closes stdin
        }
        Runtime.getRuntime().halt(0);
    }

    private static void say(final String line)
    {
        OUT.println(line);
        OUT.flush();
    }

    private static void startWatchdogs()
    {
        final Thread lifetime = new Thread(() ->
        {
            try
            {
                Thread.sleep(MAX_LIFETIME_MS);
            }
            catch (final InterruptedException ignore)
            {
                // halt anyway
            }
            Runtime.getRuntime().halt(98);
        }, "lifetime");
        lifetime.setDaemon(true);
        lifetime.start();
    }
}
