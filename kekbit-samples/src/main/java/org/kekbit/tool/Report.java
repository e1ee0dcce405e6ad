package org.kekbit.tool;

import java.util.ArrayList;
import java.util.List;

/**
 * A flat, ordered set of named values, printed either as {@code name: value} lines or as one JSON object.
 */
final class Report
{
    private final List<String> names = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();

    Report add(final String name, final long value)
    {
        names.add(name);
        values.add(value);
        return this;
    }

    Report add(final String name, final boolean value)
    {
        names.add(name);
        values.add(value);
        return this;
    }

    /**
     * Add a string value; null is left out of the text and written as JSON null.
     */
    Report add(final String name, final String value)
    {
        names.add(name);
        values.add(value);
        return this;
    }

    /**
     * Add a list of reports, written as a JSON array of objects and left out of the text: a command prints lists
     * as tables of its own.
     */
    Report add(final String name, final List<Report> value)
    {
        names.add(name);
        values.add(List.copyOf(value));
        return this;
    }

    String toText()
    {
        final StringBuilder builder = new StringBuilder();
        for (int i = 0; i < names.size(); i++)
        {
            final Object value = values.get(i);
            if (null != value && !(value instanceof List))
            {
                builder.append(names.get(i)).append(": ").append(KekbitTool.oneLine(value.toString())).append('\n');
            }
        }
        return builder.toString();
    }

    String toJson()
    {
        final StringBuilder builder = new StringBuilder().append('{');
        for (int i = 0; i < names.size(); i++)
        {
            if (i > 0)
            {
                builder.append(',');
            }
            appendJsonString(builder, names.get(i));
            builder.append(':');
            final Object value = values.get(i);
            if (value instanceof String)
            {
                appendJsonString(builder, (String)value);
            }
            else if (value instanceof List)
            {
                builder.append('[');
                final List<?> reports = (List<?>)value;
                for (int j = 0; j < reports.size(); j++)
                {
                    builder.append(j > 0 ? "," : "").append(((Report)reports.get(j)).toJson());
                }
                builder.append(']');
            }
            else
            {
                builder.append(value);
            }
        }
        return builder.append('}').toString();
    }

    /**
     * Append a string as a JSON string literal: quotes, backslashes and control characters escaped, everything else
     * as is (the output is UTF-8).
     */
    static void appendJsonString(final StringBuilder builder, final String value)
    {
        builder.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"':
                    builder.append("\\\"");
                    break;
                case '\\':
                    builder.append("\\\\");
                    break;
                case '\n':
                    builder.append("\\n");
                    break;
                case '\r':
                    builder.append("\\r");
                    break;
                case '\t':
                    builder.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029)
                    {
                        builder.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        builder.append(c);
                    }
            }
        }
        builder.append('"');
    }
}
