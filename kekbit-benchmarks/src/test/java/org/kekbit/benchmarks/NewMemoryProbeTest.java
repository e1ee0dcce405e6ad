package org.kekbit.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewMemoryProbeTest
{
    private static final Pattern CASE = Pattern.compile(
        "^(memory the host took back|memory freed moments ago|second mapping, pages resident) +" +
        "([0-9.]+) ms +([0-9]+) MB/s +([0-9.]+) us per 4 KiB page", Pattern.MULTILINE);

    @TempDir
    Path tempDir;

    @Test
    void shouldTimeEachCaseAndLeaveNoFileBehind() throws Exception
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try
        {
            NewMemoryProbe.main(new String[]{ tempDir.toString(), "4", "0" });
        }
        finally
        {
            System.setOut(original);
        }
        final String output = bytes.toString(StandardCharsets.UTF_8);

        assertTrue(output.startsWith("free page reporting: " +
            (HostMemory.reportsFreeMemory() ? "on" : "off or not exposed")), output);
        final Matcher matcher = CASE.matcher(output);
        int cases = 0;
        while (matcher.find())
        {
            cases++;
            assertTrue(Double.parseDouble(matcher.group(2)) > 0, output);
            assertTrue(Double.parseDouble(matcher.group(4)) > 0, output);
        }
        assertEquals(3, cases, output);
        try (var files = Files.list(tempDir))
        {
            assertFalse(files.findAny().isPresent(), "the probe's file is deleted");
        }
    }

    @Test
    void shouldReportNothingWhereTheKernelDoesNotReportFreeMemory()
    {
        if (HostMemory.reportsFreeMemory())
        {
            assertTrue(HostMemory.reportedKib() >= 0);
            assertTrue(HostMemory.awaitReportingSettled(0) >= 0, "a zero wait still returns what moved");
        }
        else
        {
            assertEquals(-1, HostMemory.reportedKib());
            assertEquals(-1, HostMemory.awaitReportingSettled(60_000), "returns at once, without waiting");
        }
    }
}
