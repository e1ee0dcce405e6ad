package org.kekbit.jcstress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs this module's jcstress tests in a child JVM (jcstress forks its own test JVMs from there) and fails on any
 * FORBIDDEN outcome, error, or test that did not run: jcstress itself exits 0 whatever it found.
 * <p>
 * CI runs a short pass: one fork and one stress fork per test, one iteration of {@code kekbit.jcstress.timeMs}
 * (1,000) ms, one JVM configuration. {@code -Dkekbit.jcstress.mode=default} (or quick, tough, stress) runs a jcstress
 * preset over every JVM configuration it detects instead, which takes minutes to hours.
 */
class JcstressRunTest
{
    private static final String AGRONA_FLAG = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED";
    private static final String MODE = System.getProperty("kekbit.jcstress.mode");
    private static final long TIME_MS = Long.getLong("kekbit.jcstress.timeMs", 1_000);
    private static final String[] TESTS =
        { "HeaderPublishStressTest", "RecordCommitStressTest", "WriterProcessPublishStressTest" };

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void shouldSeeNoForbiddenOutcomeWhenJcstressRunsTheCommitProtocols() throws Exception
    {
        final Path workDir = Files.createDirectories(Path.of("target", "jcstress"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), AGRONA_FLAG,
            "-cp", System.getProperty("java.class.path"), "org.openjdk.jcstress.Main",
            "-v", "-t", "org\\.kekbit\\.channel\\..*StressTest", "-r", workDir.resolve("results").toString()));
        if (null == MODE)
        {
            command.addAll(List.of("-f", "1", "-fsm", "1", "-iters", "1", "-time", String.valueOf(TIME_MS),
                "-sc", "false", "-jvmArgs", AGRONA_FLAG));
        }
        else
        {
            command.addAll(List.of("-m", MODE, "-jvmArgsPrepend", AGRONA_FLAG));
        }

        final Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
            .redirectOutput(workDir.resolve("output.txt").toFile()).start();
        final int exitCode = process.waitFor();
        final String output = Files.readString(workDir.resolve("output.txt"), StandardCharsets.UTF_8);
        final String results = output.contains("RUN RESULTS:") ?
            output.substring(output.indexOf("RUN RESULTS:")) : tail(output);
        System.out.println("JcstressRunTest:\n" + results);

        assertEquals(0, exitCode, results);
        assertTrue(results.contains("Failed tests: No matches."), results);
        assertTrue(results.contains("Error tests: No matches."), results);
        for (final String test : TESTS)
        {
            assertTrue(results.contains("[OK] org.kekbit.channel." + test), () -> test + " did not pass\n" + results);
        }
        final Matcher progress = Pattern.compile(
            "\\(Results: (\\d+) planned; (\\d+) passed, 0 failed, 0 soft errs, 0 hard errs\\)").matcher(output);
        String planned = null;
        String passed = null;
        while (progress.find())
        {
            planned = progress.group(1);
            passed = progress.group(2);
        }
        assertEquals(planned, passed, results);

        // The interesting interleaving happened: readers saw records and headers as they were published.
        assertTrue(samples(results, "24, 7, 4242424242") > 0, results);
        assertTrue(samples(results, "2, 65536") > 0, results);
        assertTrue(samples(results, "100, 1000, 5") > 0 && samples(results, "200, 2000, 6") > 0, results);
    }

    private static long samples(final String results, final String outcome)
    {
        final Matcher matcher = Pattern.compile("^\\s*" + Pattern.quote(outcome) + "\\s+([\\d,]+)\\s",
            Pattern.MULTILINE).matcher(results);
        return matcher.find() ? Long.parseLong(matcher.group(1).replace(",", "")) : 0;
    }

    private static String tail(final String output) throws IOException
    {
        return output.substring(Math.max(0, output.length() - 4000));
    }
}
