package org.kekbit.channel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Entry point of the child JVMs the multi-process tests start through {@link ChildProcess}; one role per run:
 * <pre>{@code
 *   writer <root> <channelId> <capacity> <timeoutMs> <count> <batch> <close|hang>
 *   reader <file> <awaitMs>
 *   create <root> <channelId> <rounds>
 * }</pre>
 * A child speaks in lines on stdout, each flushed as it is printed:
 * <ul>
 *   <li>writer: {@code READY <path>}, {@code WRITTEN records=<n> position=<p>}, {@code FULL ...}, then
 *   {@code CLOSED} or {@code CLAIMED sequence=<n>};</li>
 *   <li>reader: {@code BOUNDS_CHECKS <true|false>}, {@code OPENED}, {@code CORRUPTION <why>} when corrupt, and
 *   {@code RESULT records=<n> state=<STATE> lastSeq=<s> position=<p> ok=<true|false>};</li>
 *   <li>create, per round: {@code READY <round>}, then after reading {@code GO <round>} on stdin,
 *   {@code WON <round>} or {@code LOST <round> <REASON> at=<link|check> <message>};</li>
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
    static final String THEN_CLOSE = "close";
    static final String THEN_HANG = "hang";

    private static final long MAX_LIFETIME_MS = 120_000;
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
            new ChannelReader.Context().file(file), idleStrategy, awaitMs))
        {
            say("OPENED");
            final CheckedRecord.Verifier verifier = new CheckedRecord.Verifier();
            idleStrategy.reset();
            while (true)
            {
                final int workCount = reader.poll(verifier, 1000);
                if (0 == workCount && reader.state().isEnd())
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
