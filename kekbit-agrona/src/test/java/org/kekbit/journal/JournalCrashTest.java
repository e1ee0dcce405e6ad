package org.kekbit.journal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill -9 of a journal's writer in a child JVM at random moments, with segments so small that it rolls every few
 * dozen records, each time resumed by the next child, while a named reader in this JVM follows and commits: every
 * committed record is delivered exactly once, in order and intact, and the reader never stays stuck at a boundary.
 * {@code -Dkekbit.journalKills=N} runs N kills (default 10).
 */
class JournalCrashTest
{
    private static final int SEGMENT_CAPACITY = 16 * 1024;
    private static final int MAX_RECORD_LENGTH = JournalTestSupport.MAX_RECORD_LENGTH;

    @TempDir
    Path folder;

    @Test
    @Timeout(300)
    void shouldDeliverEveryRecordOnceInOrderWhenWriterIsKilledAtRandomMomentsAndResumed() throws Exception
    {
        final int kills = Integer.getInteger("kekbit.journalKills", 10);
        final Random random = new Random(42);
        JournalReader reader = null;
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        long lastWritten = 0;
        for (int kill = 0; kill <= kills; kill++)
        {
            final Child writer = Child.start(JournalChildMain.WRITER, folder.toString(),
                Long.toString(SEGMENT_CAPACITY), Integer.toString(MAX_RECORD_LENGTH));
            try
            {
                final String ready = writer.awaitLine("READY");
                final long next = Long.parseLong(ready.substring(ready.indexOf('=') + 1));
                assertTrue(next >= lastWritten, "resume lost records: next=" + next + ", seen=" + lastWritten);
                if (null == reader)
                {
                    reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower"));
                }
                lastWritten = Long.parseLong(writer.awaitLine("WROTE").substring("WROTE ".length()));
                final long untilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(40));
                while (System.nanoTime() < untilNs)
                {
                    reader.poll(checker, 50); // follow while the writer runs; the kill lands at a random moment
                    reader.commit();
                }
            }
            finally
            {
                writer.kill();
            }
            assertEquals(List.of(), checker.errors, "after kill " + kill);
            if (1 == kill % 3)
            {
                final long committed = reader.commit();
                reader.close(); // a named reader restarted: it resumes at its commit
                reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower"));
                assertEquals(committed, reader.position());
            }
        }

        // The last kill may land anywhere: resume here (repairing a roll cut short) and close, then count afresh.
        JournalWriter.resume(new JournalWriter.Context().folder(folder).preTouch(false)).close();
        final JournalTestSupport.Checker fresh = new JournalTestSupport.Checker(0);
        try (JournalReader all = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (all.poll(fresh, 1000) > 0)
            {
                assertEquals(List.of(), fresh.errors);
            }
            assertEquals(JournalState.CLOSED, all.state());
        }
        assertTrue(fresh.next >= lastWritten, "records the last writer reported are there: " + lastWritten);

        while (reader.poll(checker, 1000) > 0)
        {
            reader.commit();
        }
        assertEquals(List.of(), checker.errors);
        assertEquals(fresh.next, checker.next, "every record in the journal, once, in order");
        assertTrue(JournalFiles.segmentBases(folder).size() > 2 * kills, "rolled many times");
        assertEquals(JournalState.CLOSED, reader.state());
        reader.close();
    }

    @Test
    @Timeout(60)
    void shouldLetExactlyOneProcessHoldNameWhenTwoJvmsClaimIt() throws Exception
    {
        JournalWriter.create(JournalTestSupport.writerContext(folder)).close();
        final Child first = Child.start(JournalChildMain.CLAIM, folder.toString(), "shared");
        final Child second = Child.start(JournalChildMain.CLAIM, folder.toString(), "shared");
        try
        {
            final List<String> outcomes = new ArrayList<>(List.of(
                first.awaitLine("HELD", "REFUSED"), second.awaitLine("HELD", "REFUSED")));
            outcomes.sort(null);
            assertEquals(List.of("HELD", "REFUSED READER_ACTIVE"), outcomes);
        }
        finally
        {
            first.kill();
            second.kill();
        }

        // Both are dead now: the name is free again, whatever the slot says.
        JournalReader.open(new JournalReader.Context().folder(folder).name("shared")).close();
    }

    /**
     * A child JVM running {@link JournalChildMain}, its output read line by line.
     */
    private static final class Child
    {
        private final Process process;
        private final BufferedReader output;

        private Child(final Process process)
        {
            this.process = process;
            this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(final String... args) throws IOException
        {
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                JournalChildMain.class.getName()));
            command.addAll(List.of(args));
            return new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        String awaitLine(final String... prefixes) throws IOException
        {
            final StringBuilder transcript = new StringBuilder();
            String line;
            while (null != (line = output.readLine()))
            {
                if (line.startsWith("ERROR"))
                {
                    transcript.append(line).append('\n');
                    while (null != (line = output.readLine()))
                    {
                        transcript.append(line).append('\n');
                    }
                    throw new AssertionError("child failed:\n" + transcript);
                }
                for (final String prefix : prefixes)
                {
                    if (line.startsWith(prefix))
                    {
                        return line;
                    }
                }
                transcript.append(line).append('\n');
            }
            throw new AssertionError("child ended before a line starting with " + List.of(prefixes) + ":\n" +
                transcript);
        }

        void kill() throws InterruptedException
        {
            process.destroyForcibly(); // SIGKILL
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
