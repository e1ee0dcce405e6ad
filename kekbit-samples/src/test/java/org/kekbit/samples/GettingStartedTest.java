package org.kekbit.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.samples.SampleTestSupport.Output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GettingStartedTest
{
    private static final String BEGIN = "// README begin";
    private static final String END = "// README end";

    @TempDir
    Path root;

    @Test
    void shouldPrintRecordAndLeaveNothingWhenRunTwice()
    {
        for (int run = 0; run < 2; run++)
        {
            final Output out = new Output();
            GettingStarted.run(root, out.stream);
            assertEquals(List.of("7: hello, kekbit", "position 24, state OPEN"), out.lines(), "run " + run);
        }
    }

    @Test
    void shouldMatchReadmeWhenReadmeShowsTheExample() throws IOException
    {
        final List<String> source = Files.readAllLines(
            Path.of("src/main/java/org/kekbit/samples/GettingStarted.java"), StandardCharsets.UTF_8);
        final String body = source.subList(indexOf(source, BEGIN) + 1, indexOf(source, END)).stream()
            .map(line -> line.isEmpty() ? line : line.substring(8)) // the method body's indentation
            .collect(Collectors.joining("\n"));
        final String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);

        assertTrue(readme.contains(body), "README's \"Using it\" block must be GettingStarted's body:\n" + body);
    }

    private static int indexOf(final List<String> lines, final String marker)
    {
        for (int i = 0; i < lines.size(); i++)
        {
            if (lines.get(i).trim().equals(marker))
            {
                return i;
            }
        }
        throw new AssertionError("no " + marker);
    }
}
