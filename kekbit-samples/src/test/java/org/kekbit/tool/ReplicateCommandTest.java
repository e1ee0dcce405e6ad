package org.kekbit.tool;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalWriter;
import picocli.CommandLine.TypeConversionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.tool.ToolTestSupport.ToolResult;
import static org.kekbit.tool.ToolTestSupport.parseText;
import static org.kekbit.tool.ToolTestSupport.run;
import static org.kekbit.tool.ToolTestSupport.writeText;

@Timeout(60)
class ReplicateCommandTest
{
    @TempDir
    Path tmp;

    @Test
    void shouldMirrorAChannelWithServeAndFollowThatVerifyDigestsAlike() throws Exception
    {
        final Path leaderRoot = tmp.resolve("leader");
        final Path file;
        final long end;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(leaderRoot, 0x2a)))
        {
            final String[] lines = new String[2000];
            for (int i = 0; i < lines.length; i++)
            {
                lines[i] = "record number " + i;
            }
            final long[] positions = writeText(writer, lines);
            end = positions[positions.length - 1];
            file = writer.path();
        }

        final Path mirrorDir = tmp.resolve("mirror");
        final ToolResult follow = serveAndFollow(file, mirrorDir, List.of(), List.of("--force", "poll"));
        assertTrue(follow.out().contains("received=" + (end + 8)), follow.out());

        final ToolResult leaderDigest = run("verify", "--digest", file.toString());
        final ToolResult mirrorDigest = run("verify", "--digest",
            ChannelDescriptor.channelPath(mirrorDir, 0x2a).toString());
        assertEquals(KekbitTool.EXIT_OK, mirrorDigest.exitCode(), mirrorDigest.err());
        final Map<String, String> leader = parseText(leaderDigest.out());
        final Map<String, String> mirror = parseText(mirrorDigest.out());
        assertEquals(Long.toString(end), leader.get("position"));
        assertEquals(leader, mirror);
        assertTrue(leader.get("digest").startsWith("sha-256:"), leaderDigest.out());
    }

    @Test
    void shouldMirrorAJournalThroughRollsWithServeAndFollowThatVerifyDigestsAlike() throws Exception
    {
        final Path leaderFolder = tmp.resolve("journal");
        final long end;
        final long rolls;
        try (JournalWriter writer = writeJournal(journalContext(leaderFolder)))
        {
            end = writer.position();
            rolls = writer.rolls();
        }
        assertTrue(rolls > 10, "rolls=" + rolls);

        final Path mirrorFolder = tmp.resolve("mirror");
        serveAndFollow(leaderFolder, mirrorFolder, List.of("--idle", "backoff:100us"), List.of("--idle", "sleep:50us"));

        final ToolResult leaderDigest = run("verify", "--digest", leaderFolder.toString());
        final ToolResult mirrorDigest = run("verify", "--digest", mirrorFolder.toString());
        assertEquals(KekbitTool.EXIT_OK, mirrorDigest.exitCode(), mirrorDigest.err());
        final Map<String, String> leader = parseText(leaderDigest.out());
        final Map<String, String> mirror = parseText(mirrorDigest.out());
        assertEquals(Long.toString(rolls + 1), leader.get("segments"));
        assertEquals(leader.get("digest"), mirror.get("digest"));
        assertEquals(leader.get("position"), mirror.get("position"));
        assertEquals(KekbitTool.EXIT_OK, run("verify", mirrorFolder.toString()).exitCode(), "a valid journal");

        final ToolResult upTo = run("verify", "--digest", mirrorFolder.toString(), "--to", Long.toString(end));
        assertEquals(KekbitTool.EXIT_OK, upTo.exitCode(), upTo.err());
        assertEquals(Long.toString(end), parseText(upTo.out()).get("position"));
    }

    @Test
    void shouldServeAJournalThatRecyclesItsSegmentsOnlyUnderAReaderName() throws Exception
    {
        final Path leaderFolder = tmp.resolve("journal");
        final long rolls;
        final long end;
        try (JournalWriter writer = writeJournal(journalContext(leaderFolder).recycleSegments(true)
            .retainedSegments(2)))
        {
            rolls = writer.rolls();
            end = writer.position();
            assertTrue(writer.recycledSegments() > 0, "recycled=" + writer.recycledSegments());
        }
        assertTrue(rolls > 10, "rolls=" + rolls);

        final ToolResult unnamed = run("replicate", "serve", leaderFolder.toString(), "--control", "127.0.0.1:1",
            "--aeron-dir", tmp.resolve("aeron-unnamed").toString());
        assertEquals(KekbitTool.EXIT_USAGE, unnamed.exitCode());
        assertTrue(unnamed.err().startsWith("kekbit: the journal recycles its segments, so only named readers may " +
            "read it (give the reader a name)"), unnamed.err());
        assertEquals(1, unnamed.err().trim().split("\n").length, unnamed.err());
        assertFalse(Files.exists(tmp.resolve("aeron-unnamed")), "the driver closed and its aeron.dir deleted");

        final Path mirrorFolder = tmp.resolve("mirror");
        serveAndFollow(leaderFolder, mirrorFolder, List.of("--reader-name", "standby"), List.of("--idle", "spin"));

        final Map<String, String> leader = parseText(run("verify", "--digest", leaderFolder.toString()).out());
        final Map<String, String> mirror = parseText(run("verify", "--digest", mirrorFolder.toString()).out());
        assertEquals("3", leader.get("segments"), "retention kept two sealed segments and the last");
        assertEquals(leader.get("digest"), mirror.get("digest"));
        assertEquals(leader.get("position"), mirror.get("position"));

        try (JournalReader named = JournalReader.open(new JournalReader.Context().folder(leaderFolder)
            .name("standby")))
        {
            assertEquals(end, named.position(), "the name stays, at what the follower acknowledged");
        }
    }

    @Test
    void shouldParseTheIdleOptionAndRefuseABadOneInOneLine()
    {
        final ReplicateCommand.IdleOption idle = new ReplicateCommand.IdleOption();
        assertTrue(idle.convert("spin") instanceof BusySpinIdleStrategy);
        assertTrue(idle.convert("busy") instanceof BusySpinIdleStrategy);
        assertTrue(idle.convert("Yield") instanceof YieldingIdleStrategy);
        assertTrue(idle.convert("backoff").toString().contains("maxParkPeriodNs=1000000"),
            idle.convert("backoff").toString());
        assertTrue(idle.convert("backoff:100us").toString().contains("maxParkPeriodNs=100000"),
            idle.convert("backoff:100us").toString());
        assertTrue(idle.convert("sleep:50us").toString().contains("sleepPeriodNs=50000"),
            idle.convert("sleep:50us").toString());
        assertTrue(ReplicateCommand.IdleOption.defaultIdle().toString().contains("maxParkPeriodNs=1000000"));
        for (final String bad : new String[] {"sometimes", "sleep", "spin:1ms", "backoff:0us", "sleep:5", "sleep:2s",
            "backoff:-1ms", "sleep:xms"})
        {
            assertThrows(TypeConversionException.class, () -> idle.convert(bad), bad);
        }

        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(tmp, 0x2d)))
        {
            file = writer.path();
        }
        final ToolResult badIdle = run("replicate", "serve", file.toString(), "--control", "127.0.0.1:1",
            "--idle", "sometimes", "--aeron-dir", tmp.resolve("aeron-bad-idle").toString());
        assertEquals(KekbitTool.EXIT_USAGE, badIdle.exitCode());
        assertTrue(badIdle.err().startsWith("kekbit: ") && badIdle.err().contains("--idle") &&
            badIdle.err().contains("actual='sometimes'"), badIdle.err());
        assertEquals(1, badIdle.err().trim().split("\n").length, badIdle.err());
        final ToolResult badFollowIdle = run("replicate", "follow", "--control", "127.0.0.1:1", "--into",
            tmp.resolve("m").toString(), "--idle", "sleep:", "--aeron-dir", tmp.resolve("aeron-bad-idle").toString());
        assertEquals(KekbitTool.EXIT_USAGE, badFollowIdle.exitCode());
        assertEquals(1, badFollowIdle.err().trim().split("\n").length, badFollowIdle.err());
        assertFalse(Files.exists(tmp.resolve("aeron-bad-idle")), "no driver was started");

        final ToolResult badCommit = run("replicate", "serve", file.toString(), "--control", "127.0.0.1:1",
            "--commit", "sometimes", "--aeron-dir", tmp.resolve("aeron-bad-commit").toString());
        assertEquals(KekbitTool.EXIT_USAGE, badCommit.exitCode());
        assertEquals("kekbit: --commit must be durable or received: actual=sometimes", badCommit.err().trim());
    }

    @Test
    void shouldDigestUpToAPositionAndRefuseOneThatIsNoRecordEnd()
    {
        final Path file;
        final long[] positions;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(tmp, 0x2b)))
        {
            positions = writeText(writer, "one", "two", "three");
            file = writer.path();
        }

        final ToolResult upToTwo = run("verify", "--digest", file.toString(), "--to", Long.toString(positions[1]));
        assertEquals(KekbitTool.EXIT_OK, upToTwo.exitCode(), upToTwo.err());
        assertEquals(Long.toString(positions[1]), parseText(upToTwo.out()).get("position"));
        final ToolResult all = run("verify", "--digest", file.toString());
        assertTrue(!parseText(all.out()).get("digest").equals(parseText(upToTwo.out()).get("digest")));

        final ToolResult bad = run("verify", "--digest", file.toString(), "--to", Long.toString(positions[1] + 8));
        assertEquals(KekbitTool.EXIT_USAGE, bad.exitCode());
        assertTrue(bad.err().startsWith("kekbit: cannot digest up to --to"), bad.err());
        assertEquals(1, bad.err().trim().split("\n").length, bad.err());
    }

    @Test
    void shouldSayInOneLineWhichSettingCannotWork()
    {
        final Path file;
        try (ChannelWriter writer = ChannelWriter.create(ToolTestSupport.context(tmp, 0x2c)))
        {
            file = writer.path();
        }

        final ToolResult badControl = run("replicate", "serve", file.toString(), "--control", "nowhere",
            "--aeron-dir", tmp.resolve("aeron-bad-control").toString());
        assertEquals(KekbitTool.EXIT_USAGE, badControl.exitCode());
        assertEquals("kekbit: controlEndpoint must be HOST:PORT: actual=nowhere", badControl.err().trim());

        final ToolResult badChunk = run("replicate", "serve", file.toString(), "--control", "127.0.0.1:1",
            "--max-chunk", "4m", "--aeron-dir", tmp.resolve("aeron-bad-chunk").toString());
        assertEquals(KekbitTool.EXIT_USAGE, badChunk.exitCode());
        assertTrue(badChunk.err().contains("maxChunkLength must be a multiple of 8 from 8 to 2097132"),
            badChunk.err());
        assertEquals(1, badChunk.err().trim().split("\n").length, badChunk.err());
        assertFalse(Files.exists(tmp.resolve("aeron-bad-control")), "the driver closed and its aeron.dir deleted");
        assertFalse(Files.exists(tmp.resolve("aeron-bad-chunk")), "the driver closed and its aeron.dir deleted");
    }

    /**
     * {@code replicate serve PATH} and {@code replicate follow --into MIRROR}, both {@code --until-ended}, on a free
     * loopback port, each with its own aeron.dir: both must exit 0.
     *
     * @return what the follower printed.
     */
    private ToolResult serveAndFollow(
        final Path served, final Path mirror, final List<String> serveOptions, final List<String> followOptions)
        throws Exception
    {
        final String control = "127.0.0.1:" + freeUdpPort();
        final List<String> serve = new ArrayList<>(List.of("replicate", "serve", served.toString(), "--control",
            control, "--until-ended", "--status-interval", "0", "--aeron-dir", tmp.resolve("aeron-serve").toString()));
        serve.addAll(serveOptions);
        final CompletableFuture<ToolResult> serving =
            CompletableFuture.supplyAsync(() -> run(serve.toArray(new String[0])));
        final List<String> follow = new ArrayList<>(List.of("replicate", "follow", "--control", control, "--into",
            mirror.toString(), "--data", "127.0.0.1:0", "--until-ended", "--status-interval", "0", "--aeron-dir",
            tmp.resolve("aeron-follow").toString()));
        follow.addAll(followOptions);
        final ToolResult followed = run(follow.toArray(new String[0]));
        final ToolResult servedResult = serving.get(30, TimeUnit.SECONDS);
        assertEquals(KekbitTool.EXIT_OK, followed.exitCode(), followed.err());
        assertEquals(KekbitTool.EXIT_OK, servedResult.exitCode(), servedResult.err());
        return followed;
    }

    private static JournalWriter.Context journalContext(final Path folder)
    {
        return new JournalWriter.Context().folder(folder).segmentCapacity(4096).maxRecordLength(1000).preTouch(false);
    }

    /**
     * A journal of 2,000 short records, rolling every 4 KiB; the writer is left open for the caller to look at.
     */
    private static JournalWriter writeJournal(final JournalWriter.Context ctx)
    {
        final JournalWriter writer = JournalWriter.create(ctx);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[100]);
        for (int i = 0; i < 2000; i++)
        {
            final int length = buffer.putStringWithoutLengthAscii(0, "journal record number " + i);
            assertTrue(writer.write(1, buffer, 0, length) > 0);
            writer.doWork();
        }
        return writer;
    }

    private static int freeUdpPort() throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getByName("127.0.0.1")))
        {
            return socket.getLocalPort();
        }
    }
}
