package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.sbe.MessageDecoderFlyweight;
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
 * {@code kekbit tail FILE [--from start|end|POSITION] [--follow] [--format text|hex|sbe]}: print the records of a
 * channel. Without {@code --follow} it prints what is committed and exits; with it, it waits for more with a
 * {@link BackoffIdleStrategy} until the channel is CLOSED, FULL, ABANDONED or CORRUPT. A CORRUPT channel ends with
 * {@link KekbitTool#EXIT_FAILED} after the records before the bad one.
 */
@Command(
    name = "tail",
    description = "Print the records of a channel; with --follow, wait for new ones until the channel ends.")
final class TailCommand implements Callable<Integer>
{
    private static final int POLL_LIMIT = 1024;
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
        description = "Wait for new records until the channel is closed, full, abandoned or corrupt.")
    private boolean follow;

    @Option(
        names = "--format",
        paramLabel = "text|hex|sbe",
        defaultValue = "text",
        description = "text (default): each payload as a UTF-8 line; hex: position, type, length and a hex dump; " +
            "sbe: messages of the trading schema decoded.")
    private Format format;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    TailCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * Print the records.
     *
     * @return {@link KekbitTool#EXIT_OK}, or fails with {@link KekbitTool#EXIT_FAILED} when the channel is corrupt.
     */
    public Integer call()
    {
        try (ChannelReader reader = ChannelReader.open(file))
        {
            moveToStart(reader);
            final RecordHandler handler = newPrinter(reader);
            final ChannelState state = follow ? follow(reader, handler) : readCommitted(reader, handler);
            out.flush();
            if (ChannelState.CORRUPT == state)
            {
                throw new ToolException(KekbitTool.EXIT_FAILED, "channel corrupt: " + reader.corruption());
            }
        }

        return KekbitTool.EXIT_OK;
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
        int count;
        do
        {
            count = reader.poll(handler, POLL_LIMIT);
        }
        while (count > 0);

        return reader.state();
    }

    private ChannelState follow(final ChannelReader reader, final RecordHandler handler)
    {
        final IdleStrategy idleStrategy = new BackoffIdleStrategy();
        while (true)
        {
            final int count = reader.poll(handler, POLL_LIMIT);
            if (0 == count)
            {
                final ChannelState state = reader.state();
                if (state.isEnd())
                {
                    return state;
                }

                out.flush();
                if (out.checkError())
                {
                    return state; // nobody reads the output any more, as with a closed pipe
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
                return new TextPrinter(out);
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

    private static final class TextPrinter implements RecordHandler
    {
        private final PrintStream out;
        private final StringBuilder line = new StringBuilder();
        private byte[] bytes = new byte[256];

        TextPrinter(final PrintStream out)
        {
            this.out = out;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            if (bytes.length < length)
            {
                bytes = new byte[Math.max(length, bytes.length * 2)];
            }
            buffer.getBytes(offset, bytes, 0, length);
            final String text = new String(bytes, 0, length, StandardCharsets.UTF_8);

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
            // Within the handler the reader's position is already past the record: step back to where it starts,
            // which is also a position --from accepts.
            final long position = reader.position() -
                RecordDescriptor.alignedLength(RecordDescriptor.frameLength(length));
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
