package org.kekbit.tool;

import java.util.Locale;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parsers for option values picocli has no converter for. Underscores may group digits, as in channel paths.
 */
final class Converters
{
    private Converters()
    {
    }

    /**
     * A channel id in decimal or, with a {@code 0x} prefix, in hex up to 64 bits: {@code 42}, {@code 0x2a},
     * {@code 0x0000_0001_0000_002a}.
     */
    static final class ChannelId implements ITypeConverter<Long>
    {
        public Long convert(final String value)
        {
            final String digits = value.trim().replace("_", "");
            try
            {
                if (digits.startsWith("0x") || digits.startsWith("0X"))
                {
                    return Long.parseUnsignedLong(digits.substring(2), 16);
                }
                return Long.parseLong(digits);
            }
            catch (final NumberFormatException ex)
            {
                throw new TypeConversionException(
                    "expected a channel id in decimal or 0x hex, actual='" + value + "'");
            }
        }
    }

    /**
     * A byte count, optionally with a binary suffix: {@code 4096}, {@code 64k}, {@code 16m}, {@code 1g}.
     */
    static final class ByteSize implements ITypeConverter<Long>
    {
        public Long convert(final String value)
        {
            String digits = value.trim().replace("_", "").toLowerCase(Locale.ROOT);
            long unit = 1;
            if (digits.endsWith("k") || digits.endsWith("m") || digits.endsWith("g"))
            {
                unit = 1L << (10 * ("kmg".indexOf(digits.charAt(digits.length() - 1)) + 1));
                digits = digits.substring(0, digits.length() - 1);
            }

            try
            {
                return Math.multiplyExact(Long.parseLong(digits), unit);
            }
            catch (final NumberFormatException | ArithmeticException ex)
            {
                throw new TypeConversionException(
                    "expected a number of bytes with an optional k, m or g suffix, actual='" + value + "'");
            }
        }
    }

    /**
     * A duration in milliseconds, with a unit: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d}; a bare number is
     * seconds, as for {@code sleep} and {@code timeout}.
     */
    static final class Duration implements ITypeConverter<Long>
    {
        private static final String[] UNITS = {"ms", "s", "m", "h", "d"};
        private static final long[] UNIT_MS = {1, 1000, 60_000, 3_600_000, 86_400_000};

        public Long convert(final String value)
        {
            final String text = value.trim().replace("_", "").toLowerCase(Locale.ROOT);
            String digits = text;
            long unitMs = UNIT_MS[1];
            for (int i = 0; i < UNITS.length; i++)
            {
                if (text.endsWith(UNITS[i]))
                {
                    digits = text.substring(0, text.length() - UNITS[i].length());
                    unitMs = UNIT_MS[i];
                    break;
                }
            }

            try
            {
                final long amount = Long.parseLong(digits);
                if (amount < 0)
                {
                    throw new NumberFormatException();
                }
                return Math.multiplyExact(amount, unitMs);
            }
            catch (final NumberFormatException | ArithmeticException ex)
            {
                throw new TypeConversionException(
                    "expected a duration such as 500ms, 30s, 5m, 1h or 1d, actual='" + value + "'");
            }
        }
    }
}
