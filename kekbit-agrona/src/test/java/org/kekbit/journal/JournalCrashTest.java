package org.kekbit.journal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelSource;
import org.kekbit.channel.ChildProcess;
import org.kekbit.channel.RecordDescriptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill -9 of a journal's writer, of its named readers and of its indexer, each in a child JVM
 * ({@link JournalChildMain}), at random moments.
 * <ul>
 *     <li>The writer, with segments that roll every few hundred records, is resumed each time by the next child while
 *     a named reader in this JVM and one in another JVM follow and commit: every committed record is delivered
 *     exactly once, in order and intact, and no reader stays stuck at a boundary. {@code -Dkekbit.journalKills=N}
 *     runs N kills (default 10; the long run 1,000).</li>
 *     <li>A named reader, killed at random moments while the writer rolls every few dozen records, resumes each time
 *     at its last commit and never skips a record. {@code -Dkekbit.journalReaderKills=N} runs N kills (default 12;
 *     the long run 1,000).</li>
 * </ul>
 * {@code -Dkekbit.crash.seed=S} repeats a run's random moments; each run prints its seed.
 */
class JournalCrashTest
{
    private static final int SEGMENT_CAPACITY = 128 * 1024;
    private static final int MAX_RECORD_LENGTH = JournalTestSupport.MAX_RECORD_LENGTH;
    private static final String RETAINED_SEGMENTS = "16";
    private static final String RECYCLING_RETAINED_SEGMENTS = "2";

    @TempDir
    Path folder;

    @Test
    @Timeout(300)
    void shouldDeliverEveryRecordOnceInOrderWhenWriterIsKilledAtRandomMomentsAndResumed() throws Exception
    {
        writerKills(Integer.getInteger("kekbit.journalKills", 10), "");
    }

    /**
     * The writer kills of a journal whose duty cycle rolls ahead of need: kills land in a roll made by
     * {@code doWork()} between writes (the writer runs its duty cycle after every write).
     */
    @Test
    @Timeout(300)
    void shouldDeliverEveryRecordOnceInOrderWhenWriterRollingAheadIsKilledAtRandomMomentsAndResumed() throws Exception
    {
        writerKills(Integer.getInteger("kekbit.journalKills", 10), JournalChildMain.ROLL_AHEAD);
    }

    /**
     * The writer kills of a journal that re-uses its retired segments: kills land in retiring (rename), re-using
     * (zeroing, new header) and linking a recycled file too.
     */
    @Test
    @Timeout(300)
    void shouldDeliverEveryRecordOnceInOrderWhenRecyclingWriterIsKilledAtRandomMomentsAndResumed() throws Exception
    {
        writerKills(Integer.getInteger("kekbit.journalRecycleKills", 10), JournalChildMain.RECYCLE);
    }

    /**
     * The recycling writer's kills with records aligned to 64: a record's padding in a re-used file keeps the old
     * bytes, so a resume must still find the end by the zeroed header words alone.
     */
    @Test
    @Timeout(300)
    void shouldDeliverEveryRecordOnceInOrderWhenRecyclingWriterOfAlignedRecordsIsKilledAndResumed() throws Exception
    {
        writerKills(Integer.getInteger("kekbit.journalRecycleKills", 10), JournalChildMain.RECYCLE_ALIGNED_64);
    }

    /**
     * The recycling writer's kills with its segment creator agent on a thread that sleeps a millisecond between duty
     * cycles: kills land while the agent makes a segment in the retired file the writer lent it (renamed, zeroed,
     * linked on standby on the agent's thread) and while the writer waits for it at a roll.
     */
    @Test
    @Timeout(300)
    void shouldDeliverEveryRecordOnceInOrderWhenRecyclingWriterWithASleepingCreatorAgentIsKilledAndResumed()
        throws Exception
    {
        writerKills(Integer.getInteger("kekbit.journalRecycleKills", 10), JournalChildMain.RECYCLE_AGENT);
    }

    private void writerKills(final int kills, final String mode) throws Exception
    {
        final boolean recycle = mode.startsWith(JournalChildMain.RECYCLE);
        final boolean onAgent = JournalChildMain.RECYCLE_AGENT.equals(mode);
        final String kind = mode.isEmpty() ? "" : mode + " ";
        final Random random = seededRandom(kind + "writer kills");
        final java.util.Set<Long> bases = new java.util.HashSet<>();
        final java.util.Set<Object> files = new java.util.HashSet<>();
        JournalReader reader = null;
        ChildProcess remote = null;
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        long lastWritten = 0;
        long resumes = 0;
        long agentMade = 0;
        try
        {
            // Both readers start before the writer, so that they protect every segment from the first (retention).
            reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower"));
            remote = ChildProcess.start("remote", JournalChildMain.class, lifetime(kills),
                JournalChildMain.FOLLOW, folder.toString(), "remote", "60000");
            for (int kill = 0; kill <= kills; kill++)
            {
                // Retention bounds the disk a long run needs; the named readers protect what they have not read.
                try (ChildProcess writer = start("writer-" + kill, JournalChildMain.WRITER, folder.toString(),
                    Long.toString(SEGMENT_CAPACITY), Integer.toString(MAX_RECORD_LENGTH),
                    recycle ? RECYCLING_RETAINED_SEGMENTS : RETAINED_SEGMENTS, "0", mode))
                {
                    final long next = Long.parseLong(writer.awaitValues("READY").get("next"));
                    assertTrue(next >= lastWritten, "resume lost records: next=" + next + ", seen=" + lastWritten);
                    resumes += kill > 0 ? 1 : 0;
                    if (0 == kill)
                    {
                        remote.awaitLine("RESUMED");
                    }
                    lastWritten = Long.parseLong(writer.awaitLine("WROTE").substring("WROTE ".length()));
                    final long untilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(40));
                    while (System.nanoTime() < untilNs)
                    {
                        reader.poll(checker, 50); // follow while the writer runs; the kill lands at a random moment
                        reader.commit();
                    }
                    if (recycle)
                    {
                        noteSegmentFiles(bases, files);
                    }
                    writer.kill();
                    agentMade += onAgent ? lastAgentMade(writer.transcript()) : 0;
                }
                assertEquals(List.of(), checker.errors, "after kill " + kill);
                assertTrue(remote.isAlive(), "the remote follower failed after kill " + kill);
                if (1 == kill % 3)
                {
                    final long committed = reader.commit();
                    reader.close(); // a named reader restarted: it resumes at its commit
                    reader = JournalReader.open(new JournalReader.Context().folder(folder).name("follower"));
                    assertEquals(committed, reader.position());
                }
            }

            // The last kill may land anywhere: resume here (repairing a roll cut short) and close, then count afresh.
            final long lastBase = resumeAndClose();
            final JournalTestSupport.Checker fresh = new JournalTestSupport.Checker(-1);
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
            assertEquals(JournalState.CLOSED, reader.state());
            remote.send("END");
            final Map<String, String> result = remote.awaitValues("RESULT");
            assertEquals(Long.toString(fresh.next), result.get("next"), "the other JVM's follower: every record");
            final long rolls = lastBase / SEGMENT_CAPACITY;
            assertTrue(rolls > 2 * kills, "rolled many times: " + rolls);
            assertRetiredFiles(recycle, bases, files);
            assertAlignment(
                JournalChildMain.RECYCLE_ALIGNED_64.equals(mode) ? 64 : RecordDescriptor.ALIGNMENT, lastBase);
            final int rolledAhead = assertSegmentsRolledAhead(JournalChildMain.ROLL_AHEAD.equals(mode), lastBase);
            assertEquals(onAgent, agentMade > 0, "segments the agent made: " + agentMade);
            System.out.println("JournalCrashTest: " + kind + "writer kills=" + kills + ", segments kept that were " +
                "rolled ahead=" + rolledAhead + ", segments the agent made=" + agentMade + ", resumes=" +
                resumes + ", records=" + fresh.next + ", rolls=" + rolls +
                ", every record once in order in 2 named readers (this JVM, another)");
        }
        finally
        {
            org.agrona.CloseHelper.closeAll(reader, remote);
        }
    }

    @Test
    @Timeout(300)
    void shouldResumeNamedReaderAtItsLastCommitAndNeverSkipWhenKilledAtRandomMoments() throws Exception
    {
        final int kills = Integer.getInteger("kekbit.journalReaderKills", 12);
        final Random random = seededRandom("reader kills");
        final String name = "audit";
        try (ChildProcess writer = ChildProcess.start("writer", JournalChildMain.class, lifetime(kills),
            JournalChildMain.WRITER, folder.toString(), "16384", Integer.toString(MAX_RECORD_LENGTH), "64", "20"))
        {
            writer.awaitLine("READY");
            JournalReader.open(new JournalReader.Context().folder(folder).name(name)).close(); // protects from here
            final long initial = committedPosition(name);
            long committed = initial;
            int resumed = 0;
            int refusals = 0;
            for (int kill = 0; kill < kills; kill++)
            {
                final long expectedFirst = sequenceAt(committed);
                try (ChildProcess follower = start("follower-" + kill, JournalChildMain.FOLLOW, folder.toString(), name,
                    "1000"))
                {
                    if (0 == random.nextInt(4))
                    {
                        Thread.sleep(random.nextInt(600)); // the kill lands in start-up, the claim or the reading
                    }
                    else
                    {
                        follower.awaitLine("RESUMED");
                        Thread.sleep(random.nextInt(60));
                    }
                    follower.kill();
                    final String transcript = follower.transcript();
                    assertFalse(transcript.contains("ERROR"), transcript);
                    final Map<String, String> life = resumedValues(transcript);
                    if (null != life)
                    {
                        resumed++;
                        refusals += Integer.parseInt(life.get("refusals"));
                        assertEquals(committed, Long.parseLong(life.get("position")),
                            "kill " + kill + ": opened at the last commit");
                        assertEquals(expectedFirst, Long.parseLong(life.get("first")),
                            "kill " + kill + ": the first record delivered is the one after the last commit");
                    }
                }
                final long after = committedPosition(name);
                assertTrue(after >= committed, "kill " + kill + ": a commit never goes back: " + after + " < " +
                    committed);
                committed = after;
            }
            assertTrue(resumed > kills / 2, "lives that resumed: " + resumed);
            assertTrue(committed > initial, "the reader made progress");
            System.out.println("JournalCrashTest: reader kills=" + kills + ", resumed lives checked=" + resumed +
                ", claims refused while a killed claim was judged by its heartbeat=" + refusals +
                ", committed position " + initial + " -> " + committed);
        }
    }

    @Test
    @Timeout(60)
    void shouldLetExactlyOneProcessHoldNameWhenTwoJvmsClaimIt() throws Exception
    {
        JournalWriter.create(JournalTestSupport.writerContext(folder)).close();
        try (ChildProcess first = start("first", JournalChildMain.CLAIM, folder.toString(), "shared");
            ChildProcess second = start("second", JournalChildMain.CLAIM, folder.toString(), "shared"))
        {
            final List<String> outcomes = new ArrayList<>(List.of(awaitHeldOrRefused(first),
                awaitHeldOrRefused(second)));
            outcomes.sort(null);
            assertEquals(List.of("HELD", "REFUSED READER_ACTIVE"), outcomes);
            first.kill();
            second.kill();
        }

        // Both are dead now: the name is free again, whatever the slot says.
        JournalReader.open(new JournalReader.Context().folder(folder).name("shared")).close();
    }

    @Test
    @Timeout(60)
    void shouldRefuseSecondIndexerWhileAnotherProcessRunsOneAndAllowOneOnceItIsKilled() throws Exception
    {
        JournalWriter.create(JournalTestSupport.writerContext(folder)).close();
        final JournalIndexer.Context ctx = new JournalIndexer.Context().folder(folder).sequenceOffset(0);
        try (ChildProcess indexer = start("indexer", JournalChildMain.INDEX, folder.toString()))
        {
            assertEquals("HELD", awaitHeldOrRefused(indexer));
            final ChannelException refused = assertThrows(ChannelException.class, () -> JournalIndexer.open(ctx));
            assertEquals(ChannelException.Reason.WRITER_ACTIVE, refused.reason());
            indexer.kill();
        }
        JournalIndexer.open(ctx).close(); // the OS released the dead process's lock
    }

    private static String awaitHeldOrRefused(final ChildProcess child) throws InterruptedException
    {
        return child.awaitLine((line) -> line.startsWith("HELD") || line.startsWith("REFUSED"), "HELD or REFUSED",
            ChildProcess.DEFAULT_TIMEOUT_MS);
    }

    private static ChildProcess start(final String name, final String... args)
    {
        return ChildProcess.start(name, JournalChildMain.class, List.of(), args);
    }

    /**
     * Resume the journal (repairing a roll a kill cut short) and close it.
     *
     * @return the base of its last segment.
     */
    private long resumeAndClose()
    {
        try (JournalWriter last = JournalWriter.resume(new JournalWriter.Context().folder(folder).preTouch(false)))
        {
            return last.currentSegmentBase();
        }
    }

    /**
     * Kept segments before the last whose records end with room for a record of the longest length left: rolled
     * ahead by the duty cycle, since a write rolls only when its record does not fit. Some when rolling ahead, else
     * none.
     */
    private int assertSegmentsRolledAhead(final boolean rollAhead, final long lastBase)
    {
        int count = 0;
        final org.agrona.collections.LongArrayList bases = JournalFiles.segmentBases(folder);
        for (int i = 0; i < bases.size(); i++)
        {
            final long base = bases.getLong(i);
            if (base < lastBase)
            {
                try (ChannelSource segment = ChannelSource.open(JournalDescriptor.segmentPath(folder, base)))
                {
                    while (segment.poll(JournalCrashTest::ignoreBlock, Integer.MAX_VALUE) > 0)
                    {
                        // to the ROLLED marker
                    }
                    count += SEGMENT_CAPACITY - segment.position() > 2L * MAX_RECORD_LENGTH ? 1 : 0;
                }
            }
        }
        assertEquals(rollAhead, count > 0, "segments rolled with room for records left: " + count);
        return count;
    }

    private static void ignoreBlock(
        final org.agrona.DirectBuffer buffer, final int offset, final int length, final long position)
    {
        // only where the segment's records end matters
    }

    /**
     * The newest segment, made after the last resume by a context that says nothing of alignment, has the journal's.
     */
    private void assertAlignment(final int expected, final long lastBase)
    {
        try (org.kekbit.channel.ChannelReader newest =
            org.kekbit.channel.ChannelReader.open(JournalDescriptor.segmentPath(folder, lastBase)))
        {
            assertEquals(expected, newest.recordAlignment(), "every writer after a kill kept the journal's alignment");
        }
    }

    /**
     * No retired file is left after the last resume and close; a recycling journal had its segments in fewer files.
     */
    private void assertRetiredFiles(final boolean recycle, final java.util.Set<Long> bases,
        final java.util.Set<Object> files) throws java.io.IOException
    {
        final long leftovers;
        try (java.util.stream.Stream<Path> list = java.nio.file.Files.list(folder))
        {
            leftovers = list.filter((path) -> path.getFileName().toString().startsWith(
                JournalDescriptor.RECYCLE_PREFIX)).count();
        }
        assertEquals(0, leftovers, "no retired file left after the last resume and close");
        if (recycle)
        {
            // Some re-use, not a rate: each resume starts in new memory (the dead writer's standby and retired files
            // are deleted), so the rate depends on how long each killed life ran, which load decides. How much a
            // recycling journal re-uses is JournalRecyclingTest's to assert, deterministically.
            assertTrue(files.size() < bases.size(), "segments re-used files: " + bases.size() +
                " segments seen in " + files.size() + " files");
        }
    }

    /**
     * Note the segments in the folder and the files (inodes) they are in.
     */
    private void noteSegmentFiles(final java.util.Set<Long> bases, final java.util.Set<Object> files)
    {
        for (final long base : JournalFiles.segmentBases(folder).toLongArray())
        {
            try
            {
                files.add(java.nio.file.Files.readAttributes(JournalDescriptor.segmentPath(folder, base),
                    java.nio.file.attribute.BasicFileAttributes.class).fileKey());
                bases.add(base);
            }
            catch (final java.io.IOException ignore)
            {
                // retired meanwhile
            }
        }
    }

    /**
     * The segments a killed writer had rolled onto that its segment creator agent made, by its last report.
     */
    private static long lastAgentMade(final String transcript)
    {
        long made = 0;
        for (final String line : transcript.split("\n"))
        {
            final int at = line.indexOf("AGENT-MADE ");
            if (at >= 0)
            {
                made = Long.parseLong(line.substring(at + "AGENT-MADE ".length()).trim());
            }
        }
        return made;
    }

    /**
     * JVM arguments that let a child outlive a run of so many kills (children halt after two minutes by default).
     */
    private static List<String> lifetime(final int kills)
    {
        return List.of("-Dkekbit.childLifetimeMs=" + (120_000L + kills * 10_000L));
    }

    private static Random seededRandom(final String what)
    {
        final long seed = Long.getLong("kekbit.crash.seed", System.nanoTime());
        System.out.println("JournalCrashTest: " + what + ": -Dkekbit.crash.seed=" + seed);
        return new Random(seed);
    }

    /**
     * The values of a follower's RESUMED line, or null when it was killed before it printed one.
     */
    private static Map<String, String> resumedValues(final String transcript)
    {
        for (final String line : transcript.split("\n"))
        {
            final int start = line.indexOf("> RESUMED ");
            if (start >= 0)
            {
                final Map<String, String> values = new HashMap<>();
                for (final String word : line.substring(start + 2).split(" "))
                {
                    final int equals = word.indexOf('=');
                    if (equals > 0)
                    {
                        values.put(word.substring(0, equals), word.substring(equals + 1));
                    }
                }
                return values;
            }
        }
        return null;
    }

    private long committedPosition(final String name)
    {
        for (final JournalNamedReaders.NamedReader reader : JournalNamedReaders.list(folder, 0, 1))
        {
            if (reader.name().equals(name))
            {
                return reader.position();
            }
        }
        throw new AssertionError("no named reader " + name);
    }

    /**
     * The sequence of the record at a position, read by a reader of its own, waiting for the writer to commit it.
     */
    private long sequenceAt(final long position) throws InterruptedException
    {
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            reader.seek(position);
            final long[] sequence = { -1 };
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (0 == reader.poll((msgTypeId, buffer, offset, length) -> sequence[0] = buffer.getLong(offset), 1))
            {
                assertTrue(System.nanoTime() < deadlineNs, "no record after " + position + ": " + reader.state());
                Thread.sleep(1);
            }
            return sequence[0];
        }
    }
}
