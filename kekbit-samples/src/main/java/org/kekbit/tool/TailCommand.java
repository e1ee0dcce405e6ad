package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.sbe.MessageDecoderFlyweight;
import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.channel.RecordHandler;
import org.kekbit.codecs.trading.ExecutionReportDecoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.codecs.trading.QuoteDecoder;
import org.kekbit.codecs.trading.TradeDecoder;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.sbe.SbeRecordDispatcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kekbit tail FILE [--from start|end|POSITION] [--follow] [--wait DURATION] [--format text|hex|sbe]}: print
 * the records of a channel. Without {@code --follow} it prints what is committed and exits; with it, it waits for
 * more with a {@link BackoffIdleStrategy} until the channel is CLOSED, FULL or CORRUPT, and through a writer's restart
 * while it is ABANDONED, for {@code --abandoned-wait} at most (for ever by default). With
 * {@code --wait} it first waits for a channel that does not exist yet, or is not ready, to appear. A CORRUPT channel
 * ends with {@link KekbitTool#EXIT_FAILED} after the records before the bad one.
 * <p>
 * It stops at once, exiting with {@link KekbitTool#EXIT_OK}, when the reader of its output has gone
 * ({@code kekbit tail FILE | head}): after each batch of records it checks the output, and while following an
 * idle channel it checks every {@value #OUTPUT_CHECK_INTERVAL_MS} ms. Other failures to write the output end it
 * with {@link KekbitTool#EXIT_FAILED}.
 * <p>
 * In text format a payload that is not text (control bytes other than tab, CR and LF, or bytes that are not UTF-8)
 * prints a one-line hint on standard error, once, pointing at {@code --format hex} and {@code --format sbe}.
 * <p>
 * Given a journal folder, it reads the journal's segments in order, crossing each ROLLED marker into the next
 * segment, also while following; positions are journal positions. {@code --reader NAME} reads as the journal's
 * named reader NAME: it starts after the name's last committed position (unless {@code --from} says otherwise) and
 * commits the position after each batch it printed, so the next {@code tail --reader NAME} goes on from there. A
 * missing segment ends it with {@link KekbitTool#EXIT_FAILED}: the journal is TRUNCATED there.
 * {@code --from-sequence N} and {@code --from-time ISO-8601} begin at the first record whose sequence or timestamp,
 * at a payload offset ({@code --sequence-offset}, {@code --timestamp-offset}; by default the README's staged layout,
 * timestamp at 0 and sequence at 8), reaches the key, by {@link JournalReader#seekToSequence(long)} and
 * {@link JournalReader#seekToTimestamp(long)}.
 */
@Command(
    name = "tail",
    description = "Print the records of a channel or a journal; with --follow, wait for new ones until it ends.")
final class TailCommand implements Callable<Integer>
{
    private static final int POLL_LIMIT = 1024;
    private static final int DEFAULT_TIMESTAMP_OFFSET = 0;
    private static final int DEFAULT_SEQUENCE_OFFSET = DEFAULT_TIMESTAMP_OFFSET + Long.BYTES;
    static final long OUTPUT_CHECK_INTERVAL_MS = 50;
    private static final long OUTPUT_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(OUTPUT_CHECK_INTERVAL_MS);
    private static final long AWAIT_OPEN_SLEEP_MS = 10;
    private static final int HEX_BYTES_PER_LINE = 16;
    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    /**
     * How records are printed.
     */
    enum Format
    {
        /**
         * Each payload as one line of UTF-8; control characters other than tab are escaped so a record stays one
         * line.
         */
        TEXT,

        /**
         * A position, type and length line, then a hex dump of the payload.
         */
        HEX,

        /**
         * Messages of the trading schema decoded, one per line; records of other types as type and length.
         */
        SBE
    }

    private final PrintStream out;
    private final PrintStream err;
    private final BooleanSupplier isOutputReaderGone;
    private boolean isOutputClosed;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE|DIR", description = "Channel file, or journal folder.")
    private Path file;

    @Option(
        names = "--from",
        paramLabel = "start|end|POSITION",
        description = "Where to begin: start (default, or a named reader's last commit), end (only records " +
            "committed from now on), or a POSITION as printed by --format hex or returned by a writer (the start of " +
            "a record, or the end of the one before).")
    private String from;

    @Option(
        names = "--from-sequence",
        paramLabel = "N",
        description = "Journal only: begin at the first record whose sequence (at --sequence-offset) is at least N.")
    private Long fromSequence;

    @Option(
        names = "--from-time",
        paramLabel = "ISO-8601",
        description = "Journal only: begin at the first record stamped (epoch ns at --timestamp-offset, as a " +
            "TimestampStage writes) at or after this time, e.g. 2026-11-29T14:00:00Z.")
    private String fromTime;

    @Option(
        names = "--sequence-offset",
        paramLabel = "BYTES",
        description = "With --from-sequence: offset in each payload of the 8-byte little-endian sequence. Default " +
            DEFAULT_SEQUENCE_OFFSET + ": a SequenceStage after a TimestampStage, the staged layout of the README's " +
            "journal example (new StagedWriter(writer, new TimestampStage(clock), new SequenceStage(1))).")
    private Integer sequenceOffset;

    @Option(
        names = "--timestamp-offset",
        paramLabel = "BYTES",
        description = "With --from-time: offset in each payload of the 8-byte little-endian epoch-ns timestamp. " +
            "Default " + DEFAULT_TIMESTAMP_OFFSET + ": a TimestampStage first, as in the README's journal example.")
    private Integer timestampOffset;

    @Option(
        names = "--reader",
        paramLabel = "NAME",
        description = "Journal only: read as the named reader NAME, from its last committed position (a new name " +
            "starts at the oldest segment), committing the position after each batch printed.")
    private String readerName;

    @Option(
        names = "--follow",
        description = "Wait for new records until the channel is closed, full or corrupt; through a writer's " +
            "restart when it is abandoned (see --abandoned-wait). Prints the state it stopped on to stderr.")
    private boolean follow;

    @Option(
        names = "--abandoned-wait",
        paramLabel = "DURATION",
        converter = Converters.Duration.class,
        description = "With --follow, how long to wait for a writer to resume an abandoned channel before stopping " +
            "(500ms, 30s, 5m, 1h; a bare number is seconds). Default: for ever.")
    private Long abandonedWaitMs;

    @Option(
        names = "--wait",
        paramLabel = "DURATION",
        converter = Converters.Duration.class,
        description = "Wait up to DURATION (500ms, 30s, 5m, 1h; a bare number is seconds) for a channel that does " +
            "not exist yet, or is not ready, instead of failing at once.")
    private Long waitMs;

    @Option(
        names = "--format",
        paramLabel = "text|hex|sbe",
        defaultValue = "text",
        description = "text (default): each payload as a UTF-8 line; hex: position, type, length and a hex dump; " +
            "sbe: messages of the trading schema decoded.")
    private Format format;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    TailCommand(final PrintStream out, final PrintStream err, final BooleanSupplier isOutputReaderGone)
    {
        this.out = out;
        this.err = err;
        this.isOutputReaderGone = isOutputReaderGone;
    }

    /**
     * Print the records.
     *
     * @return {@link KekbitTool#EXIT_OK}, also when the reader of the output has gone; fails with
     * {@link KekbitTool#EXIT_FAILED} when the channel is corrupt or the output cannot be written.
     */
    public Integer call()
    {
        AgronaAccess.check(); // one line naming the JVM flag, rather than Agrona's IllegalAccessError
        if (JournalFolder.isFolder(file))
        {
            return tailJournal();
        }
        if (null != readerName || null != fromSequence || null != fromTime)
        {
            throw new ParameterException(spec.commandLine(), (null != readerName ? "--reader" :
                null != fromSequence ? "--from-sequence" : "--from-time") + " needs a journal folder, and " + file +
                " is not a folder");
        }
        try (ChannelReader reader = open())
        {
            moveToStart(reader);
            return tail(new ChannelSource(reader));
        }
    }

    private Integer tailJournal()
    {
        checkKeyOptions();
        final JournalFolder journal = awaitJournal();
        final JournalReader.Context ctx = new JournalReader.Context().folder(journal.folder()).name(readerName);
        if (null != fromSequence)
        {
            ctx.sequenceOffset(null == sequenceOffset ? DEFAULT_SEQUENCE_OFFSET : sequenceOffset);
        }
        if (null != fromTime)
        {
            ctx.timestampOffset(null == timestampOffset ? DEFAULT_TIMESTAMP_OFFSET : timestampOffset);
        }
        try (JournalReader reader = JournalReader.open(ctx))
        {
            moveToStart(reader, journal);
            return tail(new JournalSource(reader));
        }
    }

    /**
     * A journal folder, waited for with {@code --wait} until it holds a segment.
     */
    private JournalFolder awaitJournal()
    {
        if (null == waitMs)
        {
            return JournalFolder.open(file);
        }
        final long deadlineMs = System.currentTimeMillis() + waitMs;
        while (true)
        {
            try
            {
                final JournalFolder journal = JournalFolder.open(file);
                if (!journal.isEmpty())
                {
                    return journal;
                }
            }
            catch (final ToolException ex)
            {
                if (System.currentTimeMillis() >= deadlineMs)
                {
                    throw ex;
                }
            }
            if (System.currentTimeMillis() >= deadlineMs)
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "no segment appeared in journal folder " + file +
                    " within " + waitMs + " ms");
            }
            sleepMs(AWAIT_OPEN_SLEEP_MS);
        }
    }

    private Integer tail(final Source source)
    {
        final RecordHandler handler = newPrinter(source);
        if (follow)
        {
            follow(source, handler);
        }
        else
        {
            readCommitted(source, handler);
        }
        if (follow && !isOutputClosed && source.isEndOrAbandoned())
        {
            err.println("tail: stopped at position=" + source.position() + ": " + source.describeState());
        }
        if (isOutputClosed || checkOutputClosed())
        {
            if (isOutputReaderGone.getAsBoolean())
            {
                return KekbitTool.EXIT_OK;
            }
            throw new ToolException(KekbitTool.EXIT_FAILED, "cannot write the output: stopped at position=" +
                source.position());
        }
        final String fault = source.fault();
        if (null != fault)
        {
            throw new ToolException(KekbitTool.EXIT_FAILED, fault);
        }

        return KekbitTool.EXIT_OK;
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ToolException(KekbitTool.EXIT_FAILED, "interrupted");
        }
    }

    private ChannelReader open()
    {
        if (null == waitMs)
        {
            return ChannelReader.open(file);
        }

        return ChannelReader.awaitOpen(
            new ChannelReader.Context().path(file), new SleepingMillisIdleStrategy(AWAIT_OPEN_SLEEP_MS), waitMs);
    }

    /**
     * Flush the output and tell whether it can no longer be written, or nobody reads it.
     */
    private boolean checkOutputClosed()
    {
        isOutputClosed = out.checkError() || isOutputReaderGone.getAsBoolean();
        return isOutputClosed;
    }

    private void moveToStart(final ChannelReader reader)
    {
        if (null == from || "start".equalsIgnoreCase(from))
        {
            return;
        }
        if ("end".equalsIgnoreCase(from))
        {
            reader.seekToEnd();
            return;
        }

        final long position = parseFromPosition();
        try
        {
            reader.seek(position);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at --from " + from + ": " + ex.getMessage());
        }
    }

    private long parseFromPosition()
    {
        try
        {
            return Long.parseLong(from.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new ParameterException(spec.commandLine(),
                "Invalid value for option '--from': expected start, end or a position, actual='" + from + "'");
        }
    }

    /**
     * Where a journal's tail begins: a named reader resumes after its last commit unless {@code --from} is given,
     * and then commits where it was moved to.
     */
    private void moveToStart(final JournalReader reader, final JournalFolder journal)
    {
        if (null != fromSequence || null != fromTime)
        {
            seekToKey(reader, journal);
            reader.commit();
            return;
        }
        if (null == from)
        {
            return; // opened at the oldest segment, or a named reader after its last commit
        }
        if ("start".equalsIgnoreCase(from))
        {
            reader.seekToStart();
        }
        else if ("end".equalsIgnoreCase(from))
        {
            reader.seekToEnd();
        }
        else
        {
            final long position = parseFromPosition();
            try
            {
                reader.seek(position);
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at --from " + from + ": " +
                    ex.getMessage());
            }
            if (JournalState.TRUNCATED == reader.state())
            {
                throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at --from " + from + ": before the " +
                    "oldest segment" + (journal.isEmpty() ? "" : " (base position " + journal.bases().getLong(0) +
                    ")") + ", or in a missing segment");
            }
        }
        reader.commit(); // a named reader moved by --from stays moved, even when nothing follows
    }

    /**
     * One way to say where to begin, and offsets only beside the option that uses them, so none is silently ignored.
     */
    private void checkKeyOptions()
    {
        final int starts = (null != from ? 1 : 0) + (null != fromSequence ? 1 : 0) + (null != fromTime ? 1 : 0);
        if (starts > 1)
        {
            throw new ParameterException(spec.commandLine(),
                "--from, --from-sequence and --from-time are mutually exclusive: give one");
        }
        if (null != sequenceOffset && null == fromSequence)
        {
            throw new ParameterException(spec.commandLine(), "--sequence-offset needs --from-sequence");
        }
        if (null != timestampOffset && null == fromTime)
        {
            throw new ParameterException(spec.commandLine(), "--timestamp-offset needs --from-time");
        }
        if ((null != sequenceOffset && sequenceOffset < 0) || (null != timestampOffset && timestampOffset < 0))
        {
            throw new ParameterException(spec.commandLine(), "payload offsets must not be negative: actual=" +
                (null != sequenceOffset ? sequenceOffset : timestampOffset));
        }
        if (null != fromTime)
        {
            fromTimeNs();
        }
    }

    private long fromTimeNs()
    {
        try
        {
            final Instant instant = Instant.parse(fromTime.trim());
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
        }
        catch (final DateTimeParseException | ArithmeticException ex)
        {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--from-time': expected an " +
                "ISO-8601 instant such as 2026-11-29T14:00:00Z, actual='" + fromTime + "'");
        }
    }

    private void seekToKey(final JournalReader reader, final JournalFolder journal)
    {
        final String option = null != fromSequence ? "--from-sequence " + fromSequence : "--from-time " + fromTime;
        if (null != fromSequence)
        {
            reader.seekToSequence(fromSequence);
        }
        else
        {
            reader.seekToTimestamp(fromTimeNs());
        }
        if (JournalState.TRUNCATED == reader.state())
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at " + option + ": the records before " +
                "the oldest segment" + (journal.isEmpty() ? "" : " (base position " + journal.bases().getLong(0) +
                ")") + " were deleted and the oldest record is already past it");
        }
        checkFirstKey(reader, option);
    }

    /**
     * The record the seek found must carry a key and reach the one sought; otherwise the records carry none at the
     * offset (text lines, another stage layout) and printing from there would be silently wrong.
     */
    private void checkFirstKey(final JournalReader reader, final String option)
    {
        final boolean isSequence = null != fromSequence;
        final int keyOffset = isSequence ? (null == sequenceOffset ? DEFAULT_SEQUENCE_OFFSET : sequenceOffset) :
            (null == timestampOffset ? DEFAULT_TIMESTAMP_OFFSET : timestampOffset);
        final long sought = isSequence ? fromSequence : fromTimeNs();
        final long position = reader.position();
        final long[] found = {0, 0}; // length, key
        final boolean isRecord = reader.poll((msgTypeId, buffer, offset, length) ->
        {
            found[0] = length;
            found[1] = length >= keyOffset + Long.BYTES ? buffer.getLong(offset + keyOffset, ByteOrder.LITTLE_ENDIAN) :
                Long.MIN_VALUE;
        }, 1) > 0;
        if (!isRecord)
        {
            return; // nothing at or after the key yet
        }
        final String offsetOption = isSequence ? "--sequence-offset" : "--timestamp-offset";
        if (found[0] < keyOffset + Long.BYTES)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at " + option + ": the record at " +
                "position=" + position + " is " + found[0] + " bytes long, too short for an 8-byte key at " +
                offsetOption + " " + keyOffset + " (are the records staged with " +
                (isSequence ? "SequenceStage" : "TimestampStage") + "? give " + offsetOption + ")");
        }
        if (found[1] < sought)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at " + option + ": the record found at " +
                "position=" + position + " has key " + found[1] + " before the one sought at " + offsetOption + " " +
                keyOffset + ": the records carry no non-decreasing key there (give " + offsetOption + ")");
        }
        reader.seek(position);
    }

    private void readCommitted(final Source source, final RecordHandler handler)
    {
        while (source.poll(handler, POLL_LIMIT) > 0)
        {
            if (checkOutputClosed())
            {
                break;
            }
            source.commit();
        }
    }

    private void follow(final Source source, final RecordHandler handler)
    {
        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        final long abandonedWaitNs = null == abandonedWaitMs ? Long.MAX_VALUE :
            TimeUnit.MILLISECONDS.toNanos(abandonedWaitMs);
        long abandonedSinceNs = 0;
        boolean isAbandoned = false;
        long nextCheckNs = System.nanoTime();
        while (true)
        {
            final int count = source.poll(handler, POLL_LIMIT);
            if (count > 0)
            {
                if (checkOutputClosed())
                {
                    return;
                }
                source.commit();
            }
            else
            {
                source.updateState();
                if (source.isEnd())
                {
                    return;
                }
                // ABANDONED is not an end: a writer may resume the channel, so follow on for as long as allowed.
                if (source.isAbandoned())
                {
                    if (!isAbandoned)
                    {
                        isAbandoned = true;
                        abandonedSinceNs = System.nanoTime();
                    }
                    else if (System.nanoTime() - abandonedSinceNs >= abandonedWaitNs)
                    {
                        return;
                    }
                }
                else
                {
                    isAbandoned = false;
                }

                // Idle, nothing is written, so a closed pipe shows only when asked: ask now and then.
                final long nowNs = System.nanoTime();
                if (nowNs - nextCheckNs >= 0)
                {
                    nextCheckNs = nowNs + OUTPUT_CHECK_INTERVAL_NS;
                    if (checkOutputClosed())
                    {
                        return;
                    }
                }
            }
            idleStrategy.idle(count);
        }
    }

    private RecordHandler newPrinter(final Source source)
    {
        switch (format)
        {
            case HEX:
                return new HexPrinter(source, out);
            case SBE:
                return new SbePrinter(out);
            default:
                return new TextPrinter(source, out, err);
        }
    }

    /**
     * What tail reads, a channel or a journal: the loops above need only these.
     */
    private abstract static class Source
    {
        abstract int poll(RecordHandler handler, int limit);

        /**
         * Position of the next record; within the handler, the position after the record being handled.
         */
        abstract long position();

        /**
         * Alignment of the records being read.
         */
        abstract int recordAlignment();

        /**
         * The position a record starts at, from within the handler: the position is already past the record then.
         * It is also a position {@code --from} accepts.
         */
        final long recordPosition(final int length)
        {
            return RecordDescriptor.recordStart(position(), length, recordAlignment());
        }

        /**
         * Look at the state again: once per idle poll, since it may ask the OS about the writer.
         */
        abstract void updateState();

        abstract boolean isEnd();

        abstract boolean isAbandoned();

        abstract boolean isEndOrAbandoned();

        abstract String describeState();

        /**
         * Why reading ended with a fault, or null.
         */
        abstract String fault();

        void commit()
        {
        }
    }

    private static final class ChannelSource extends Source
    {
        private final ChannelReader reader;
        private ChannelState state = ChannelState.OPEN;

        ChannelSource(final ChannelReader reader)
        {
            this.reader = reader;
        }

        int poll(final RecordHandler handler, final int limit)
        {
            return reader.poll(handler, limit);
        }

        long position()
        {
            return reader.position();
        }

        int recordAlignment()
        {
            return reader.recordAlignment();
        }

        void updateState()
        {
            state = reader.state();
        }

        boolean isEnd()
        {
            return state.isEnd();
        }

        boolean isAbandoned()
        {
            return ChannelState.ABANDONED == state;
        }

        boolean isEndOrAbandoned()
        {
            updateState();
            return state.isEndOrAbandoned();
        }

        String describeState()
        {
            return "channel " + state;
        }

        String fault()
        {
            updateState();
            return ChannelState.CORRUPT == state ? "channel corrupt: " + reader.corruption() : null;
        }
    }

    private static final class JournalSource extends Source
    {
        private final JournalReader reader;
        private JournalState state = JournalState.OPEN;

        JournalSource(final JournalReader reader)
        {
            this.reader = reader;
        }

        int poll(final RecordHandler handler, final int limit)
        {
            return reader.poll(handler, limit);
        }

        long position()
        {
            return reader.position();
        }

        int recordAlignment()
        {
            return reader.recordAlignment();
        }

        void updateState()
        {
            state = reader.state();
        }

        boolean isEnd()
        {
            return state.isEnd();
        }

        boolean isAbandoned()
        {
            return JournalState.ABANDONED == state;
        }

        boolean isEndOrAbandoned()
        {
            updateState();
            return JournalState.OPEN != state;
        }

        String describeState()
        {
            return "journal " + state;
        }

        void commit()
        {
            reader.commit();
        }

        String fault()
        {
            updateState();
            if (JournalState.CORRUPT == state)
            {
                return "journal corrupt at position=" + reader.position() + ": " + reader.corruption();
            }
            if (JournalState.TRUNCATED == state)
            {
                return "missing segment in the chain: " + JournalDescriptor.segmentFileName(
                    JournalDescriptor.segmentBase(reader.position(), reader.segmentCapacity())) +
                    " (journal TRUNCATED at position=" + reader.position() + ")";
            }
            return null;
        }
    }

    /**
     * Append a character to a line, escaping what would break the line or drive a terminal.
     */
    static void appendPrintable(final StringBuilder builder, final char c)
    {
        if ('\n' == c)
        {
            builder.append("\\n");
        }
        else if ('\r' == c)
        {
            builder.append("\\r");
        }
        else if ((c < 0x20 && '\t' != c) || 0x7f == c)
        {
            builder.append("\\x").append(HEX_DIGITS[c >>> 4]).append(HEX_DIGITS[c & 0xf]);
        }
        else
        {
            builder.append(c);
        }
    }


    /**
     * Whether a payload is not text: it holds a control byte other than tab, CR and LF, or is not UTF-8.
     */
    static boolean isBinary(final byte[] bytes, final int length, final String decoded)
    {
        for (int i = 0; i < length; i++)
        {
            final int b = bytes[i] & 0xff;
            if ((b < 0x20 && '\t' != b && '\n' != b && '\r' != b) || 0x7f == b)
            {
                return true;
            }
        }

        if (decoded.indexOf('\uFFFD') < 0)
        {
            return false;
        }
        try
        {
            // Malformed bytes decode to U+FFFD; so does the real U+FFFD, rarely: ask a strict decoder.
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, length));
            return false;
        }
        catch (final CharacterCodingException ex)
        {
            return true;
        }
    }

    private static final class TextPrinter implements RecordHandler
    {
        private final Source source;
        private final PrintStream out;
        private final PrintStream err;
        private final StringBuilder line = new StringBuilder();
        private byte[] bytes = new byte[256];
        private boolean isHintPrinted;

        TextPrinter(final Source source, final PrintStream out, final PrintStream err)
        {
            this.source = source;
            this.out = out;
            this.err = err;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (bytes.length < length)
            {
                bytes = new byte[Math.max(length, bytes.length * 2)];
            }
            buffer.getBytes(offset, bytes, 0, length);
            final String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
            if (!isHintPrinted && isBinary(bytes, length, text))
            {
                isHintPrinted = true;
                err.println("kekbit: hint: the record at position=" + source.recordPosition(length) +
                    " (msgTypeId=" + msgTypeId + ", length=" + length + ") is not text: --format hex dumps " +
                    "records, --format sbe decodes SBE messages of the trading schema");
                err.flush();
            }

            line.setLength(0);
            for (int i = 0; i < text.length(); i++)
            {
                appendPrintable(line, text.charAt(i));
            }
            out.println(line);
        }
    }

    private static final class HexPrinter implements RecordHandler
    {
        private final Source source;
        private final PrintStream out;
        private final StringBuilder line = new StringBuilder();

        HexPrinter(final Source source, final PrintStream out)
        {
            this.source = source;
            this.out = out;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long position = source.recordPosition(length);
            out.println("position=" + position + " msgTypeId=" + msgTypeId + " length=" + length);

            for (int lineStart = 0; lineStart < length; lineStart += HEX_BYTES_PER_LINE)
            {
                final int lineLength = Math.min(HEX_BYTES_PER_LINE, length - lineStart);
                line.setLength(0);
                appendHex(line, lineStart, 8);
                line.append(' ');
                for (int i = 0; i < HEX_BYTES_PER_LINE; i++)
                {
                    line.append(i == HEX_BYTES_PER_LINE / 2 ? "  " : " ");
                    if (i < lineLength)
                    {
                        appendHex(line, buffer.getByte(offset + lineStart + i) & 0xff, 2);
                    }
                    else
                    {
                        line.append("  ");
                    }
                }
                line.append("  |");
                for (int i = 0; i < lineLength; i++)
                {
                    final int b = buffer.getByte(offset + lineStart + i) & 0xff;
                    line.append(b >= 0x20 && b < 0x7f ? (char)b : '.');
                }
                line.append('|');
                out.println(line);
            }
        }

        private static void appendHex(final StringBuilder builder, final int value, final int digits)
        {
            for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
            {
                builder.append(HEX_DIGITS[(value >>> shift) & 0xf]);
            }
        }
    }

    private static final class SbePrinter implements RecordHandler
    {
        private final PrintStream out;
        private final StringBuilder line = new StringBuilder();
        private final StringBuilder message = new StringBuilder();
        private final SbeRecordDispatcher dispatcher;

        SbePrinter(final PrintStream out)
        {
            this.out = out;
            this.dispatcher = new SbeRecordDispatcher()
                .on(new QuoteDecoder(), this::onMessage)
                .on(new TradeDecoder(), this::onMessage)
                .on(new NewOrderSingleDecoder(), this::onMessage)
                .on(new ExecutionReportDecoder(), this::onMessage)
                .otherwise((msgTypeId, buffer, offset, length) -> printTypeAndLength(msgTypeId, length, ""));
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            try
            {
                dispatcher.onRecord(msgTypeId, buffer, offset, length);
            }
            catch (final RuntimeException ex)
            {
                // A record whose header or groups do not decode: say so and go on with the next one.
                printTypeAndLength(msgTypeId, length, " undecodable: " + ex.getMessage());
            }
        }

        private void onMessage(final MessageDecoderFlyweight decoder)
        {
            message.setLength(0);
            decoder.appendTo(message);
            println(message);
        }

        private void printTypeAndLength(final int msgTypeId, final int length, final String suffix)
        {
            message.setLength(0);
            message.append("msgTypeId=").append(msgTypeId).append(" length=").append(length).append(suffix);
            println(message);
        }

        private void println(final CharSequence text)
        {
            line.setLength(0);
            for (int i = 0; i < text.length(); i++)
            {
                appendPrintable(line, text.charAt(i));
            }
            out.println(line);
        }
    }
}
