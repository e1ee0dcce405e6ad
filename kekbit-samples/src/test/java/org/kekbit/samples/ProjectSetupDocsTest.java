package org.kekbit.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.AgronaAccess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "Add Kekbit to your project" block and docs/sbe.md give a user's build coordinates, plugin versions
 * and Agrona's flag: they must stay those of this build, or a newcomer copies a block that no longer works.
 */
class ProjectSetupDocsTest
{
    private static final Path ROOT = Path.of("..");
    private static final Pattern PLUGIN_VERSION = Pattern.compile(
        "<artifactId>([\\w.-]+)</artifactId>\\s*<version>([^<]+)</version>");
    private static final Map<String, String> VERSION_PROPERTIES = Map.of(
        "kekbit-agrona", "project.version",
        "maven-compiler-plugin", "compiler.plugin.version",
        "maven-surefire-plugin", "surefire.plugin.version",
        "exec-maven-plugin", "exec.plugin.version",
        "build-helper-maven-plugin", "build.helper.plugin.version",
        "sbe-tool", "sbe.version");

    @ParameterizedTest
    @ValueSource(strings = {"README.md", "docs/sbe.md"})
    void shouldGiveThisBuildsVersionsWhenNamingAnArtifact(final String doc) throws IOException
    {
        final String text = read(doc);
        final String pom = read("pom.xml");
        final Matcher matcher = PLUGIN_VERSION.matcher(text);
        int checked = 0;
        while (matcher.find())
        {
            final String property = VERSION_PROPERTIES.get(matcher.group(1));
            assertTrue(null != property, doc + " names " + matcher.group(1) + ": add it to this test");
            assertEquals(buildValue(pom, property), matcher.group(2), doc + ": version of " + matcher.group(1));
            checked++;
        }
        assertTrue(checked >= 2, doc + " should name versions: " + checked);
    }

    @Test
    void shouldNameAgronasFlagAsTheBuildAndTheLibraryDo() throws IOException
    {
        final String readme = read("README.md");
        final String jvmConfigLine = read(".mvn/jvm.config").trim();

        assertTrue(readme.contains("<argLine>" + AgronaAccess.JVM_FLAG + "</argLine>"), "surefire argLine");
        assertTrue(readme.contains("`" + jvmConfigLine + "`"), ".mvn/jvm.config line " + jvmConfigLine);
        assertEquals(AgronaAccess.JVM_FLAG.replace(' ', '='), jvmConfigLine);
        assertTrue(readme.contains("Add-Opens: java.base/jdk.internal.misc"), "manifest entry");
        assertTrue(read("kekbit-samples/pom.xml").contains("<Add-Opens>java.base/jdk.internal.misc"));
    }

    @Test
    void shouldGenerateCodecsWithInterfacesAsTheBuildDoes() throws IOException
    {
        final Pattern interfaces = Pattern.compile(
            "<key>sbe\\.java\\.generate\\.interfaces</key>\\s*<value>true</value>");

        assertTrue(interfaces.matcher(read("docs/sbe.md")).find(), "docs/sbe.md");
        assertTrue(interfaces.matcher(read("pom.xml")).find(), "pom.xml");
    }

    @Test
    void shouldBuildOnlyWhatTheMainJobNeedsInTheFirstCommand() throws IOException
    {
        final String readme = read("README.md");

        assertTrue(readme.contains("```bash\nmvn -B -ntp -DskipTests package -pl kekbit-samples -am && " +
            "java -jar kekbit-samples/target/kekbit-samples.jar\n```"), "the README's first command");
        assertTrue(readme.contains("```bash\nmvn -B -ntp verify\n```"), "the README's test command");
        assertTrue(read(".ci/run").contains("\nmvn -B -ntp verify\n"), ".ci/run runs the README's test command");
    }

    private static String buildValue(final String pom, final String property)
    {
        final Matcher matcher = "project.version".equals(property) ?
            Pattern.compile("<artifactId>kekbit-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom) :
            Pattern.compile("<" + Pattern.quote(property) + ">([^<]+)</" + Pattern.quote(property) + ">").matcher(pom);
        assertTrue(matcher.find(), property + " in pom.xml");
        return matcher.group(1);
    }

    private static String read(final String file) throws IOException
    {
        return Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8);
    }
}
