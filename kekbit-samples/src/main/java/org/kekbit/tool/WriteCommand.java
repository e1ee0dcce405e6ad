package org.kekbit.tool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kekbit write --root DIR --channel ID [--capacity BYTES] [--max-record BYTES] [--timeout-ms MS]}: create a
 * channel, print its path as the first line, and write one record of type {@link #TEXT_MSG_TYPE_ID} per line of
 * standard input: the line's bytes as they are, without the newline (and without a carriage return before it).
 * <p>
 * Reading standard input blocks, so a daemon thread reads the lines into a queue while the command's own thread,
 * the only one touching the single-threaded writer, drains the queue and runs the writer's duty cycle under an
 * {@link IdleStrategy}: the heartbeat stays fresh however long the input is idle, and readers never take the writer
 * for dead. At the end of the input, or on Ctrl-C, the channel is closed. A line that does not fit ends the command
 * with {@link KekbitTool#EXIT_FAILED}: the channel is closed after the lines before it, or marked FULL when the
 * channel has no room left.
 * <p>
 * {@code kekbit write --journal DIR [--segment-capacity BYTES] [--max-record BYTES] [--timeout-ms MS]} creates a
 * journal instead and writes the lines into it, rolling to a new segment whenever one is full; the writer's duty
 * cycle creates each next segment ahead of need. It prints the folder as the first line. When DIR already holds a
 * journal it appends: it resumes the journal as {@link JournalWriter#resume(JournalWriter.Context)} does (a closed
 * journal goes on in a new segment; one whose writer died goes on after its last committed record), refusing a live
 * writer and options that differ from the journal's.
 */
@Command(
    name = "write",
    description = "Create a channel (--root, --channel) or a journal (--journal; appended to when it exists), print " +
        "its path as the first line, then write one record (type 0) per line of standard input, without the " +
        "newline. It is closed at the end of the input.")
final class WriteCommand implements Callable<Integer>
{
    /**
     * Message type id of the records holding the lines: 0, below the template ids of the trading schema (from 1),
     * so that {@code tail --format sbe} prints them as type and length instead of misreading them.
     */
    static final int TEXT_MSG_TYPE_ID = 0;

    private static final int LINES_PER_DUTY_CYCLE = 256;
    private static final int QUEUE_CAPACITY = 1024;
    private static final long CLOSE_ON_SHUTDOWN_WAIT_MS = 2000;

    private final InputStream in;
    private final PrintStream out;

    @Spec
    private CommandSpec spec;

    @Option(names = "--root", paramLabel = "DIR", description = "Folder holding the channels.")
    private Path root;

    @Option(
        names = "--channel",
        paramLabel = "ID",
        converter = Converters.ChannelId.class,
        description = "Channel id, decimal or 0x hex; it decides the file's path under the root.")
    private Long channelId;

    @Option(
        names = "--journal",
        paramLabel = "DIR",
        description = "Write a journal in this folder instead of a channel, rolling to a new segment as each fills; " +
            "a journal already there is resumed and appended to.")
    private Path journal;

    @Option(
        names = "--segment-capacity",
        paramLabel = "BYTES",
        converter = Converters.ByteSize.class,
        description = "With --journal: capacity of every segment, a power of two from 64 to 1g (k, m, g suffixes " +
            "allowed); default 64m.")
    private Long segmentCapacity;

    @Option(
        names = "--capacity",
        paramLabel = "BYTES",
        converter = Converters.ByteSize.class,
        description = "Capacity of the data region, a multiple of 8 (k, m, g suffixes allowed); default 64m.")
    private Long capacity;

    @Option(
        names = "--max-record",
        paramLabel = "BYTES",
        converter = Converters.ByteSize.class,
        description = "Longest record payload; default the smaller of 16m and capacity - 8.")
    private Long maxRecordLength;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        description = "Readers take the writer for dead when its heartbeat is older than this; default 10000.")
    private Long timeoutMs;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    WriteCommand(final InputStream in, final PrintStream out)
    {
        this.in = in;
        this.out = out;
    }

    /**
     * Create the channel and write standard input into it.
     *
     * @return {@link KekbitTool#EXIT_OK}, or fails with {@link KekbitTool#EXIT_FAILED} when a line does not fit.
     */
    public Integer call()
    {
        AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        final LineSink writer = null != journal ? new JournalSink(createOrResumeJournal()) :
            new ChannelSink(ChannelWriter.create(context()));
        final LineReader lineReader = new LineReader(in);
        final Thread readerThread = new Thread(lineReader, "kekbit-write-stdin");
        readerThread.setDaemon(true);
        final AtomicBoolean isStopRequested = new AtomicBoolean();
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread shutdownHook = new Thread(() -> closeOnShutdown(isStopRequested, closed), "kekbit-write-close");

        try
        {
            out.println(writer.path());
            out.flush();
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            readerThread.start();
            writeLines(writer, lineReader, isStopRequested);
        }
        finally
        {
            writer.close();
            closed.countDown();
            readerThread.interrupt();
            removeShutdownHook(shutdownHook);
        }

        return KekbitTool.EXIT_OK;
    }

    private ChannelWriter.Context context()
    {
        if (null == root || null == channelId)
        {
            throw new ParameterException(spec.commandLine(),
                "Missing option: either --root and --channel for a channel, or --journal for a journal");
        }
        if (null != segmentCapacity)
        {
            throw new ParameterException(spec.commandLine(), "--segment-capacity needs --journal; a channel's is " +
                "--capacity");
        }
        final ChannelWriter.Context ctx = new ChannelWriter.Context().root(root).channelId(channelId);
        if (null != capacity)
        {
            ctx.capacity(capacity);
        }
        if (null != maxRecordLength)
        {
            ctx.maxRecordLength(maxRecordLength());
        }
        if (null != timeoutMs)
        {
            ctx.timeoutMs(timeoutMs);
        }

        return ctx;
    }

    private JournalWriter.Context journalContext()
    {
        if (null != root || null != channelId)
        {
            throw new ParameterException(spec.commandLine(),
                "--journal writes a journal: leave out --root and --channel, which name a channel");
        }
        if (null != capacity)
        {
            throw new ParameterException(spec.commandLine(), "--capacity is a channel's: a journal's segments take " +
                "--segment-capacity");
        }
        final JournalWriter.Context ctx = new JournalWriter.Context().folder(journal);
        if (null != segmentCapacity)
        {
            ctx.segmentCapacity(segmentCapacity);
        }
        if (null != maxRecordLength)
        {
            ctx.maxRecordLength(maxRecordLength());
        }
        if (null != timeoutMs)
        {
            ctx.timeoutMs(timeoutMs);
        }

        return ctx;
    }

    /**
     * Create the journal, or resume the one in the folder to append to it.
     */
    private JournalWriter createOrResumeJournal()
    {
        final JournalWriter.Context ctx = journalContext();
        if (!Files.isDirectory(journal) || JournalFolder.open(journal).bases().isEmpty())
        {
            return JournalWriter.create(ctx); // no folder, an empty one, or named readers waiting for a first segment
        }
        checkMatchesJournal();
        try
        {
            return JournalWriter.resume(ctx);
        }
        catch (final ChannelException ex)
        {
            if (ChannelException.Reason.WRITER_ACTIVE == ex.reason())
            {
                throw new ToolException(KekbitTool.EXIT_FAILED, "journal " + journal + " has a live writer: " +
                    "append once it has stopped (" + ex.getMessage() + ")");
            }
            throw ex;
        }
    }

    /**
     * A journal's segment capacity and record length are fixed for its life: refuse options that say otherwise
     * rather than ignore them.
     */
    private void checkMatchesJournal()
    {
        final JournalFolder folder = JournalFolder.open(journal);
        final long lastBase = folder.bases().getLong(folder.bases().size() - 1);
        try (ChannelReader last = JournalReader.openSegment(JournalDescriptor.segmentPath(journal, lastBase)))
        {
            if (null != segmentCapacity && segmentCapacity != last.capacity())
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "--segment-capacity " + segmentCapacity +
                    " differs from the journal's segments: capacity=" + last.capacity() + ", journal " + journal +
                    " (fixed for its life; leave the option out to append)");
            }
            if (null != maxRecordLength && maxRecordLength != last.maxRecordLength())
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "--max-record " + maxRecordLength +
                    " differs from the journal's: maxRecordLength=" + last.maxRecordLength() + ", journal " +
                    journal + " (fixed for its life; leave the option out to append)");
            }
            if (null != timeoutMs && timeoutMs != last.header().timeoutMs())
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "--timeout-ms " + timeoutMs +
                    " differs from the journal's: timeoutMs=" + last.header().timeoutMs() + ", journal " +
                    journal + " (fixed for its life; leave the option out to append)");
            }
        }
    }

    private int maxRecordLength()
    {
        if (maxRecordLength < 0 || maxRecordLength > Integer.MAX_VALUE)
        {
            throw new ParameterException(spec.commandLine(),
                "Invalid value for option '--max-record': expected 0.." + Integer.MAX_VALUE + ", actual=" +
                maxRecordLength);
        }
        return (int)(long)maxRecordLength;
    }

    private static void writeLines(
        final LineSink writer, final LineReader lineReader, final AtomicBoolean isStopRequested)
    {
        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
        long lineNumber = 0;
        while (!isStopRequested.get())
        {
            int workCount = writer.doWork();
            for (int i = 0; i < LINES_PER_DUTY_CYCLE; i++)
            {
                final byte[] line = lineReader.lines.poll();
                if (null == line)
                {
                    break;
                }
                if (LineReader.END_OF_INPUT == line)
                {
                    checkReadError(lineReader);
                    return;
                }

                lineNumber++;
                buffer.wrap(line);
                final long result = writer.write(buffer, line.length);
                if (result < 0)
                {
                    throw writer.doesNotFit(result, lineNumber, line.length);
                }
                workCount++;
            }
            idleStrategy.idle(workCount);
        }
    }

    /**
     * The writer the lines go to, a channel's or a journal's, each run on the command's thread only.
     */
    private interface LineSink
    {
        long write(UnsafeBuffer buffer, int length);

        int doWork();

        Path path();

        ToolException doesNotFit(long result, long lineNumber, int length);

        void close();
    }

    private static final class ChannelSink implements LineSink
    {
        private final ChannelWriter writer;

        ChannelSink(final ChannelWriter writer)
        {
            this.writer = writer;
        }

        public long write(final UnsafeBuffer buffer, final int length)
        {
            return writer.write(TEXT_MSG_TYPE_ID, buffer, 0, length);
        }

        public int doWork()
        {
            return writer.doWork();
        }

        public Path path()
        {
            return writer.path();
        }

        public ToolException doesNotFit(final long result, final long lineNumber, final int length)
        {
            if (ChannelWriter.RECORD_TOO_LONG == result)
            {
                return new ToolException(KekbitTool.EXIT_FAILED, "line " + lineNumber + " does not fit a record: " +
                    "length=" + length + ", maxRecordLength=" + writer.maxRecordLength() + "; channel closed after " +
                    (lineNumber - 1) + " records");
            }

            return new ToolException(KekbitTool.EXIT_FAILED, "channel full at line " + lineNumber + ": length=" +
                length + ", remaining=" + writer.remaining() + ", capacity=" + writer.capacity() +
                "; channel marked FULL after " + (lineNumber - 1) + " records");
        }

        public void close()
        {
            writer.close();
        }
    }

    private static final class JournalSink implements LineSink
    {
        private final JournalWriter writer;

        JournalSink(final JournalWriter writer)
        {
            this.writer = writer;
        }

        public long write(final UnsafeBuffer buffer, final int length)
        {
            return writer.write(TEXT_MSG_TYPE_ID, buffer, 0, length);
        }

        public int doWork()
        {
            return writer.doWork();
        }

        public Path path()
        {
            return writer.folder();
        }

        public ToolException doesNotFit(final long result, final long lineNumber, final int length)
        {
            if (JournalWriter.RECORD_TOO_LONG == result)
            {
                return new ToolException(KekbitTool.EXIT_FAILED, "line " + lineNumber + " does not fit a record: " +
                    "length=" + length + ", maxRecordLength=" + writer.maxRecordLength() + "; journal closed after " +
                    (lineNumber - 1) + " records");
            }
            if (JournalWriter.ROLL_FAILED == result)
            {
                return new ToolException(KekbitTool.EXIT_FAILED, "cannot roll to a new segment at line " +
                    lineNumber + ": " + writer.lastRollFailure().getMessage() + "; journal closed after " +
                    (lineNumber - 1) + " records");
            }

            return new ToolException(KekbitTool.EXIT_FAILED, "journal refused line " + lineNumber + ": code=" +
                result + "; stopped after " + (lineNumber - 1) + " records");
        }

        public void close()
        {
            writer.close();
        }
    }

    private static void checkReadError(final LineReader lineReader)
    {
        final IOException error = lineReader.error;
        if (null != error)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot read standard input, channel closed: " +
                error.getMessage());
        }
    }

    /**
     * On Ctrl-C: ask the writing thread to stop and give it a moment to close the channel, so readers see CLOSED
     * rather than, later, ABANDONED.
     */
    private static void closeOnShutdown(final AtomicBoolean isStopRequested, final CountDownLatch closed)
    {
        isStopRequested.set(true);
        try
        {
            closed.await(CLOSE_ON_SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeShutdownHook(final Thread shutdownHook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (final IllegalStateException ignore)
        {
            // The JVM is shutting down: the hook is running and this thread has just closed the channel for it.
        }
    }

    /**
     * Reads standard input on its own thread, since reading blocks, and queues each line's bytes for the writing
     * thread, then {@link #END_OF_INPUT}.
     */
    private static final class LineReader implements Runnable
    {
        static final byte[] END_OF_INPUT = new byte[0]; // compared by identity: an empty line is another array

        private static final int CHUNK_LENGTH = 8192;

        final BlockingQueue<byte[]> lines = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        volatile IOException error;
        private final InputStream in;

        LineReader(final InputStream in)
        {
            this.in = in;
        }

        public void run()
        {
            try
            {
                readLines();
            }
            catch (final IOException ex)
            {
                error = ex;
            }
            catch (final InterruptedException ex)
            {
                return; // the writing thread has finished and wants no more lines
            }

            try
            {
                lines.put(END_OF_INPUT);
            }
            catch (final InterruptedException ignore)
            {
                // The writing thread has finished already.
            }
        }

        private void readLines() throws IOException, InterruptedException
        {
            final byte[] chunk = new byte[CHUNK_LENGTH];
            final ByteArrayOutputStream line = new ByteArrayOutputStream();
            int length;
            while ((length = in.read(chunk)) >= 0)
            {
                int start = 0;
                for (int i = 0; i < length; i++)
                {
                    if ('\n' == chunk[i])
                    {
                        line.write(chunk, start, i - start);
                        lines.put(withoutCarriageReturn(line.toByteArray()));
                        line.reset();
                        start = i + 1;
                    }
                }
                line.write(chunk, start, length - start);
            }

            if (line.size() > 0)
            {
                lines.put(withoutCarriageReturn(line.toByteArray()));
            }
        }

        private static byte[] withoutCarriageReturn(final byte[] line)
        {
            return line.length > 0 && '\r' == line[line.length - 1] ? Arrays.copyOf(line, line.length - 1) : line;
        }
    }
}
