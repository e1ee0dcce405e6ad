package org.kekbit.samples;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.AgronaAccess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleMainTest
{
    @TempDir
    Path root;

    @Test
    @Timeout(60)
    void shouldExitTwoWithOneLineNamingTheJvmFlagWhenJvmLacksIt() throws Exception
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        assertTrue(classPath.contains(File.pathSeparator), classPath);
        final Process sample = new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-D" + SampleChannels.ROOT_PROPERTY + "=" + root,
            "-D" + SampleChannels.TIMEOUT_PROPERTY + "=30000",
            "-cp", classPath,
            EchoReader.class.getName()))
            .start();

        final String out = new String(sample.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final String err = new String(sample.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(sample.waitFor(30, TimeUnit.SECONDS), err);

        assertEquals(SampleMain.EXIT_BAD_INPUT, sample.exitValue(), err);
        assertEquals("", out);
        assertTrue(err.startsWith("kekbit: ") && err.contains(AgronaAccess.JVM_FLAG), err);
        assertEquals(1, err.split("\n", -1).length - 1, err);
    }

    @Test
    void shouldExitOneWithOneLineWhenSampleRunsOutOfMemory()
    {
        final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        final int status = SampleMain.launch(new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
            new java.io.PrintStream(err, true, StandardCharsets.UTF_8), () ->
            {
                throw new OutOfMemoryError("Java heap space");
            });
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(SampleMain.EXIT_FAILED, status, text);
        assertTrue(text.startsWith("kekbit: out of memory (Java heap space): give the JVM a larger heap (-Xmx)"), text);
        assertEquals(1, text.split("\n", -1).length - 1, text);
    }
}
