package org.kekbit.benchmarks.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON parser, enough for JMH's result files: objects become {@link LinkedHashMap}s, arrays
 * {@link ArrayList}s, numbers {@link Double}s, and {@code true}, {@code false}, {@code null} and strings what they
 * are. JMH writes a missing number as the string {@code "NaN"}; {@link #number(Object)} reads it as NaN.
 */
public final class Json
{
    private final String text;
    private int index;

    private Json(final String text)
    {
        this.text = text;
    }

    /**
     * Parse a JSON document.
     *
     * @param text of the document.
     * @return its value.
     * @throws IllegalArgumentException when the text is not JSON, naming the offset.
     */
    public static Object parse(final String text)
    {
        final Json json = new Json(text);
        final Object value = json.value();
        json.skipWhitespace();
        if (json.index != text.length())
        {
            throw json.error("trailing characters");
        }

        return value;
    }

    /**
     * A number as JMH writes it: a JSON number, or a string such as {@code "NaN"}.
     *
     * @param value parsed.
     * @return the number, NaN when absent or not a number.
     */
    public static double number(final Object value)
    {
        if (value instanceof Double)
        {
            return (Double)value;
        }
        if (value instanceof String)
        {
            try
            {
                return Double.parseDouble((String)value);
            }
            catch (final NumberFormatException ex)
            {
                return Double.NaN;
            }
        }

        return Double.NaN;
    }

    private Object value()
    {
        skipWhitespace();
        if (index >= text.length())
        {
            throw error("unexpected end");
        }

        final char c = text.charAt(index);
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                return number();
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        index++;
        skipWhitespace();
        if (peek() == '}')
        {
            index++;
            return object;
        }

        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
            {
                throw error("expected a key");
            }
            final String key = string();
            skipWhitespace();
            expect(':');
            object.put(key, value());
            skipWhitespace();
            final char c = next();
            if (c == '}')
            {
                return object;
            }
            if (c != ',')
            {
                throw error("expected , or }");
            }
        }
    }

    private List<Object> array()
    {
        final List<Object> array = new ArrayList<>();
        index++;
        skipWhitespace();
        if (peek() == ']')
        {
            index++;
            return array;
        }

        while (true)
        {
            array.add(value());
            skipWhitespace();
            final char c = next();
            if (c == ']')
            {
                return array;
            }
            if (c != ',')
            {
                throw error("expected , or ]");
            }
        }
    }

    private String string()
    {
        expect('"');
        final StringBuilder builder = new StringBuilder();
        while (true)
        {
            final char c = next();
            if (c == '"')
            {
                return builder.toString();
            }
            if (c != '\\')
            {
                builder.append(c);
                continue;
            }

            final char escaped = next();
            switch (escaped)
            {
                case 'b':
                    builder.append('\b');
                    break;
                case 'f':
                    builder.append('\f');
                    break;
                case 'n':
                    builder.append('\n');
                    break;
                case 'r':
                    builder.append('\r');
                    break;
                case 't':
                    builder.append('\t');
                    break;
                case 'u':
                    if (index + 4 > text.length())
                    {
                        throw error("short unicode escape");
                    }
                    builder.append((char)Integer.parseInt(text.substring(index, index + 4), 16));
                    index += 4;
                    break;
                default:
                    builder.append(escaped);
                    break;
            }
        }
    }

    private Double number()
    {
        final int start = index;
        while (index < text.length() && "+-0123456789.eE".indexOf(text.charAt(index)) >= 0)
        {
            index++;
        }
        if (start == index)
        {
            throw error("unexpected character '" + text.charAt(index) + "'");
        }

        try
        {
            return Double.valueOf(text.substring(start, index));
        }
        catch (final NumberFormatException ex)
        {
            throw error("bad number '" + text.substring(start, index) + "'");
        }
    }

    private Object literal(final String literal, final Object value)
    {
        if (!text.startsWith(literal, index))
        {
            throw error("expected " + literal);
        }
        index += literal.length();
        return value;
    }

    private void skipWhitespace()
    {
        while (index < text.length() && Character.isWhitespace(text.charAt(index)))
        {
            index++;
        }
    }

    private char peek()
    {
        return index < text.length() ? text.charAt(index) : '\0';
    }

    private char next()
    {
        if (index >= text.length())
        {
            throw error("unexpected end");
        }
        return text.charAt(index++);
    }

    private void expect(final char expected)
    {
        if (next() != expected)
        {
            index--;
            throw error("expected '" + expected + "'");
        }
    }

    private IllegalArgumentException error(final String message)
    {
        return new IllegalArgumentException("not JSON: " + message + " at offset=" + index);
    }
}
