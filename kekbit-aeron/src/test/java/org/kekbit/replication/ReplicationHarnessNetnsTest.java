package org.kekbit.replication;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The harness between two hosts on one machine ({@code hosts=netns}): the sending side in one network namespace and
 * the receiving side in another, joined by a veth pair, each a JVM with its own media driver. A toy volume through the
 * latency and throughput modes: both the replicated reader and the raw subscriber see every message once and in
 * order, both sides read this JVM's clock, the report's percentiles are ordered, and the namespaces are gone after.
 * Its figures mean nothing. Skips, saying why, where namespaces cannot be made (not root, no iproute2).
 */
@Timeout(90)
class ReplicationHarnessNetnsTest
{
    private static final Pattern ROW = Pattern.compile("(?m)^  (raw aeron|replicated|  leader) +([0-9. ]+)$");

    @TempDir
    Path tmp;

    @Test
    void shouldSeeEveryMessageOnceInOrderOnBothSidesWhenTheSidesRunInTwoNamespaces() throws Exception
    {
        final String why = TwoHostNamespaces.whyNot();
        Assumptions.assumeTrue(null == why, () -> "two-host test skipped: " + why);

        final String report = new ReplicationHarness(ReplicationHarness.parse(new String[] {
            "hosts=netns", "mode=all", "messages=2000", "warmup=500", "rate=20000", "bytes=" + 1024 * 1024,
            "segment=" + 1024 * 1024, "rolls=1", "dir=" + tmp })).run();

        assertTrue(report.contains("hosts=netns"), report);
        assertTrue(report.matches("(?s).*clock check: the leader side.*one clock.*" +
            "clock check: the follower side.*one clock.*"), report);
        for (final String run : List.of("raw-latency-0", "replicated-latency-0"))
        {
            assertTrue(report.contains("(" + run + ": 2500 of 2500 messages seen, each once and in order, 2000 timed)"),
                report);
        }
        for (final String run : List.of("raw-throughput", "replicated-throughput"))
        {
            assertTrue(report.contains("(" + run + ": 3640 of 3640 messages seen, each once and in order, 0 timed)"),
                report);
        }
        final Matcher rows = ROW.matcher(report);
        int rowCount = 0;
        while (rows.find())
        {
            rowCount++;
            final List<Double> values = new ArrayList<>();
            for (final String value : rows.group(2).trim().split(" +"))
            {
                values.add(Double.parseDouble(value));
            }
            assertEquals(6, values.size(), rows.group());
            for (int i = 1; i < values.size(); i++)
            {
                assertTrue(values.get(i - 1) <= values.get(i) && values.get(0) > 0,
                    "p50 <= p90 <= p99 <= p99.9 <= p99.99 <= max, above 0: " + rows.group());
            }
        }
        assertEquals(3, rowCount, report);
        assertTrue(report.matches("(?s).*throughput, 3640 messages of 288 B.*raw aeron +[0-9,]+ msgs/s +[0-9.]+ MB/s" +
            ".*replicated +[0-9,]+ msgs/s +[0-9.]+ MB/s.*ratio +[0-9.]+.*"), report);
        assertFalse(report.contains("NaN") || report.contains("Infinity"), report);

        final Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        final String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, list.waitFor());
        assertFalse(namespaces.contains("kekl" + ProcessHandle.current().pid()) ||
            namespaces.contains("kekf" + ProcessHandle.current().pid()), "namespaces deleted: " + namespaces);
    }
}
