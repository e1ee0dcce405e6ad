package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 */
@Command(
    name = "tail",
    description = "Print the records of a channel; with --follow, wait for new ones until the channel ends.")
final class TailCommand implements Callable<Integer>
{
    private static final int POLL_LIMIT = 1024;
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

    @Parameters(index = "0", paramLabel = "FILE", description = "Channel file.")
    private Path file;

    @Option(
        names = "--from",
        paramLabel = "start|end|POSITION",
        defaultValue = "start",
        description = "Where to begin: start (default), end (only records committed from now on), or a POSITION " +
            "as printed by --format hex or returned by a writer (the start of a record, or the end of the one before).")
    private String from;

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
        try (ChannelReader reader = open())
        {
            moveToStart(reader);
            final RecordHandler handler = newPrinter(reader);
            final ChannelState state = follow ? follow(reader, handler) : readCommitted(reader, handler);
            if (follow && !isOutputClosed && state.isEndOrAbandoned())
            {
                err.println("tail: stopped at position=" + reader.position() + ": channel " + state);
            }
            if (isOutputClosed || checkOutputClosed())
            {
                if (isOutputReaderGone.getAsBoolean())
                {
                    return KekbitTool.EXIT_OK;
                }
                throw new ToolException(KekbitTool.EXIT_FAILED, "cannot write the output: stopped at position=" +
                    reader.position());
            }
            if (ChannelState.CORRUPT == state)
            {
                throw new ToolException(KekbitTool.EXIT_FAILED, "channel corrupt: " + reader.corruption());
            }
        }

        return KekbitTool.EXIT_OK;
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
        if ("start".equalsIgnoreCase(from))
        {
            return;
        }
        if ("end".equalsIgnoreCase(from))
        {
            reader.seekToEnd();
            return;
        }

        final long position;
        try
        {
            position = Long.parseLong(from.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new ParameterException(spec.commandLine(),
                "Invalid value for option '--from': expected start, end or a position, actual='" + from + "'");
        }

        try
        {
            reader.seek(position);
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot start at --from " + from + ": " + ex.getMessage());
        }
    }

    private ChannelState readCommitted(final ChannelReader reader, final RecordHandler handler)
    {
        while (reader.poll(handler, POLL_LIMIT) > 0)
        {
            if (checkOutputClosed())
            {
                break;
            }
        }

        return reader.state();
    }

    private ChannelState follow(final ChannelReader reader, final RecordHandler handler)
    {
        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        final long abandonedWaitNs = null == abandonedWaitMs ? Long.MAX_VALUE :
            TimeUnit.MILLISECONDS.toNanos(abandonedWaitMs);
        long abandonedSinceNs = 0;
        boolean isAbandoned = false;
        long nextCheckNs = System.nanoTime();
        while (true)
        {
            final int count = reader.poll(handler, POLL_LIMIT);
            if (count > 0)
            {
                if (checkOutputClosed())
                {
                    return reader.state();
                }
            }
            else
            {
                final ChannelState state = reader.state();
                if (state.isEnd())
                {
                    return state;
                }
                // ABANDONED is not an end: a writer may resume the channel, so follow on for as long as allowed.
                if (ChannelState.ABANDONED == state)
                {
                    if (!isAbandoned)
                    {
                        isAbandoned = true;
                        abandonedSinceNs = System.nanoTime();
                    }
                    else if (System.nanoTime() - abandonedSinceNs >= abandonedWaitNs)
                    {
                        return state;
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
                        return state;
                    }
                }
            }
            idleStrategy.idle(count);
        }
    }

    private RecordHandler newPrinter(final ChannelReader reader)
    {
        switch (format)
        {
            case HEX:
                return new HexPrinter(reader, out);
            case SBE:
                return new SbePrinter(out);
            default:
                return new TextPrinter(reader, out, err);
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
     * The position a record starts at, from within the handler: the reader's position is already past the record
     * then. It is also a position {@code --from} accepts.
     */
    static long recordPosition(final ChannelReader reader, final int length)
    {
        return reader.position() - RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length));
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
        private final ChannelReader reader;
        private final PrintStream out;
        private final PrintStream err;
        private final StringBuilder line = new StringBuilder();
        private byte[] bytes = new byte[256];
        private boolean isHintPrinted;

        TextPrinter(final ChannelReader reader, final PrintStream out, final PrintStream err)
        {
            this.reader = reader;
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
                err.println("kekbit: hint: the record at position=" + recordPosition(reader, length) +
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
        private final ChannelReader reader;
        private final PrintStream out;
        private final StringBuilder line = new StringBuilder();

        HexPrinter(final ChannelReader reader, final PrintStream out)
        {
            this.reader = reader;
            this.out = out;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long position = recordPosition(reader, length);
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
