package org.kekbit;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgronaAccessTest
{
    @Test
    void shouldPassWhenJvmHasTheFlag()
    {
        // Surefire's argLine carries the flag, as a user's build should.
        assertTrue(AgronaAccess.isAvailable());
        assertDoesNotThrow(AgronaAccess::check);
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(value = {
        "'', false",
        "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED, true",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED, true",
        "--add-opens=java.base/java.lang=ALL-UNNAMED, false"})
    @Timeout(60)
    void shouldAgreeWithAgronaAndNameTheFlagWhenItIsMissing(final String jvmFlag, final boolean isAvailable)
        throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (!jvmFlag.isEmpty())
        {
            command.add(jvmFlag);
        }
        command.addAll(List.of("-cp", testClassPath(), AgronaAccessChild.class.getName()));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();

        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), output);
        assertEquals(0, child.exitValue(), output);

        final String[] lines = output.split("\n");
        if (isAvailable)
        {
            assertEquals("check=ok", lines[0], output);
            assertEquals("agrona=ok", lines[1], output);
        }
        else
        {
            assertEquals("check=" + AgronaAccess.message(AgronaAccessChild.class.getModule()), lines[0], output);
            assertTrue(lines[0].contains(AgronaAccess.JVM_FLAG), output);
            assertEquals("agrona=" + IllegalAccessError.class.getName(), lines[1], output);
        }
    }

    @Test
    void shouldNameAgronaModuleWhenAgronaIsOnModulePath()
    {
        final Module named = ModuleLayer.boot().findModule("java.sql").orElseThrow();

        final String message = AgronaAccess.message(named);

        assertTrue(message.contains("--add-opens java.base/jdk.internal.misc=java.sql "), message);
        assertFalse(message.contains("ALL-UNNAMED"), message);
    }

    /**
     * The class path of the classes under test and their dependencies. Surefire starts its JVM from a manifest-only
     * jar, then sets both surefire.test.class.path and java.class.path to the real entries; elsewhere
     * java.class.path is the real one.
     */
    private static String testClassPath()
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        assertTrue(classPath.contains(File.pathSeparator) || classPath.endsWith(".jar"), classPath);
        return classPath;
    }
}
