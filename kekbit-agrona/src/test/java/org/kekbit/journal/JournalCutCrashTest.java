package org.kekbit.journal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChildProcess;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JournalCut} killed with SIGKILL at random moments: a child JVM cuts a copy of a journal of many small
 * segments (written by another child, killed) in an early segment, so the cut deletes dozens of segments, each step
 * forced, and takes long enough for kills to land inside it; it is killed after a random delay. After each kill the
 * copy must be a readable prefix of the journal, every record in order, at least the kept ones, ending as a killed
 * writer's journal ends; then the same cut run here must leave exactly what an uninterrupted cut leaves (which
 * JournalCutTest compares with a journal written only up to the position), but for the newest segment's process
 * fields, which name the killed cut (its writer, to the liveness rule; no digest covers them).
 * <p>
 * 6 kills in CI; {@code -Dkekbit.cutKills=N} for more (and {@code -Djunit.jupiter.execution.timeout.mode=disabled}).
 */
@Timeout(120)
class JournalCutCrashTest
{
    private static final int KILLS = Integer.getInteger("kekbit.cutKills", 6);
    private static final long SEED = Long.getLong("kekbit.cutSeed", System.nanoTime());
    private static final int[] PROCESS_FIELD_OFFSETS = {
        ChannelHeaderDecoder.writerPidEncodingOffset(),
        ChannelHeaderDecoder.writerStartTicksEncodingOffset(),
        ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset(),
        ChannelHeaderDecoder.writerNamespaceIdEncodingOffset() };

    @TempDir
    Path dir;

    @Test
    void shouldLeavePrefixAndFinishToReferenceWhenCutIsKilledAtRandomMoments() throws Exception
    {
        System.out.println("JournalCutCrashTest: seed " + SEED);
        final Path pristine = dir.resolve("pristine");
        writeInChildAndKill(pristine);
        final List<Long> positions = JournalCutTest.recordEnds(pristine);
        final int records = positions.size();
        final int keep = firstInSegment(positions, 2L * JournalTestSupport.SEGMENT_CAPACITY) + 3;
        final long position = positions.get(keep - 1);
        // What an uninterrupted cut leaves (JournalCutTest: a journal written only up to the position).
        final Path reference = JournalCutTest.copyOf(pristine, dir.resolve("reference"));
        JournalCut.cut(reference, position);
        final Map<String, byte[]> expected = withoutProcessFields(JournalCutTest.files(reference));
        final long cutMs = timeOneCut(pristine, position);

        final Random random = new Random(SEED);
        int before = 0;
        int inside = 0;
        int after = 0;
        for (int kill = 0; kill < KILLS; kill++)
        {
            final Path copy = JournalCutTest.copyOf(pristine, dir.resolve("copy-" + kill));
            try (ChildProcess child = ChildProcess.start("cut-" + kill, JournalChildMain.class, List.of(),
                JournalChildMain.CUT, copy.toString(), Long.toString(position)))
            {
                child.awaitLine("READY");
                Thread.sleep(random.nextInt((int)Math.max(2, cutMs + cutMs / 4)));
                child.kill();
            }

            final int read = JournalCutTest.recordEnds(copy).size();
            JournalCutTest.checkPrefix(copy, keep);
            if (read == records)
            {
                before++;
            }
            else if (read > keep)
            {
                inside++;
            }
            else
            {
                after++;
            }

            JournalCut.cut(copy, position);

            final int killed = kill;
            assertDoesNotThrow(() -> JournalCutTest.assertSameFiles(expected,
                withoutProcessFields(JournalCutTest.files(copy))), () -> "kill " + killed + ", " + read + " records " +
                "read after it, pristine " + JournalCutTest.files(pristine).keySet());
            IoUtil.delete(copy.toFile(), false);
        }

        System.out.println("JournalCutCrashTest: " + KILLS + " kills (seed " + SEED + ", " + records + " records, " +
            "cut after " + keep + ", an uninterrupted cut took " + cutMs + " ms): " + before +
            " before any record went, " + inside + " inside the cut, " + after + " at or after its last step");
        if (KILLS >= 50)
        {
            assertTrue(inside > 0, "no kill landed inside the cut");
        }
    }

    /**
     * A journal of many small segments whose writer, another process, was killed: nobody writes it, as a cut
     * requires of a journal whose writer was in another process.
     */
    private static void writeInChildAndKill(final Path folder) throws InterruptedException
    {
        try (ChildProcess writer = ChildProcess.start("writer", JournalChildMain.class, List.of(),
            JournalChildMain.WRITER, folder.toString(), Integer.toString(JournalTestSupport.SEGMENT_CAPACITY),
            Integer.toString(JournalTestSupport.MAX_RECORD_LENGTH)))
        {
            writer.awaitLine("READY");
            writer.awaitLine("WROTE");
            writer.kill();
        }
    }

    private static int firstInSegment(final List<Long> positions, final long base)
    {
        for (int i = 0; i < positions.size(); i++)
        {
            if (JournalDescriptor.segmentBase(positions.get(i) - 1, JournalTestSupport.SEGMENT_CAPACITY) == base)
            {
                return i;
            }
        }
        throw new AssertionError("no record in the segment at " + base);
    }

    /**
     * How long the child's cut takes on a copy, uninterrupted: the range of the random kill delays.
     */
    private long timeOneCut(final Path pristine, final long position) throws IOException, InterruptedException
    {
        final Path copy = JournalCutTest.copyOf(pristine, dir.resolve("timed"));
        try (ChildProcess child = ChildProcess.start("cut-timed", JournalChildMain.class, List.of(),
            JournalChildMain.CUT, copy.toString(), Long.toString(position)))
        {
            child.awaitLine("READY");
            final String line = child.awaitLine("CUT");
            return Long.parseLong(line.substring(line.indexOf("ms=") + 3).trim());
        }
        finally
        {
            IoUtil.delete(copy.toFile(), false);
        }
    }

    /**
     * The files with every segment header's process fields zeroed: a killed cut leaves its own there.
     */
    private static Map<String, byte[]> withoutProcessFields(final Map<String, byte[]> files)
    {
        for (final Map.Entry<String, byte[]> file : files.entrySet())
        {
            if (file.getKey().endsWith(JournalDescriptor.SEGMENT_SUFFIX))
            {
                for (final int offset : PROCESS_FIELD_OFFSETS)
                {
                    Arrays.fill(file.getValue(), offset, offset + Long.BYTES, (byte)0);
                }
            }
        }
        return files;
    }
}
