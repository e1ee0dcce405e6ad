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
}
