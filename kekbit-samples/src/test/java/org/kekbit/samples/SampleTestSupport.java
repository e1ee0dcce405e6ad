package org.kekbit.samples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class SampleTestSupport
{
    private SampleTestSupport()
    {
    }

    /**
     * Properties with the root set and the given name=value pairs; the names may omit {@code kekbit.sample.}.
     */
    static Properties properties(final Path root, final String... nameValues)
    {
        final Properties properties = new Properties();
        properties.setProperty(SampleChannels.ROOT_PROPERTY, root.toString());
        properties.setProperty(SampleChannels.TIMEOUT_PROPERTY, "20000");
        for (final String nameValue : nameValues)
        {
            final int equals = nameValue.indexOf('=');
            final String name = nameValue.substring(0, equals);
            properties.setProperty(name.startsWith("kekbit.") ? name : "kekbit.sample." + name,
                nameValue.substring(equals + 1));
        }
        return properties;
    }

    static SampleChannels channels(final Path root, final long channelId)
    {
        return new SampleChannels().root(root).channelId(channelId).timeoutMs(20_000);
    }

    /**
     * Run a task on a thread of its own: samples that wait for each other need a thread each.
     */
    static <T> FutureTask<T> startThread(final String name, final Callable<T> task)
    {
        final FutureTask<T> future = new FutureTask<>(task);
        final Thread thread = new Thread(future, name);
        thread.setDaemon(true);
        thread.start();
        return future;
    }

    static List<Path> channelFiles(final Path root) throws IOException
    {
        try (Stream<Path> files = Files.walk(root))
        {
            return files.filter(Files::isRegularFile).collect(Collectors.toList());
        }
    }

    static void assertOneLineError(final String err, final String expectedFragment)
    {
        final String[] lines = err.split("\\R");
        assertEquals(1, lines.length, err);
        assertTrue(lines[0].startsWith("kekbit: "), err);
        assertTrue(lines[0].contains(expectedFragment), err);
    }

    /**
     * A print stream to pass as out or err, and what was printed to it.
     */
    static final class Output
    {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        String text()
        {
            stream.flush();
            return bytes.toString(StandardCharsets.UTF_8);
        }

        List<String> lines()
        {
            return text().lines().collect(Collectors.toList());
        }
    }
}
