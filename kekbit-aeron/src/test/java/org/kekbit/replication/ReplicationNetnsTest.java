package org.kekbit.replication;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelDigest;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two hosts on one machine: a leader JVM and a follower JVM, each with its own media driver, in two network
 * namespaces joined by a veth pair that this test creates and deletes. Their addresses exist only inside those
 * namespaces. While the leader writes, the link is cut with {@code ip link set down} for two seconds and restored;
 * the mirror catches up, its reader (in this JVM, over the shared file system) never sees a torn or out-of-order
 * record, and the digests agree. Skips, saying why, where namespaces cannot be made (not root, no iproute2).
 */
@Timeout(120)
class ReplicationNetnsTest
{
    private static final String LEADER_ADDRESS = "10.213.0.1";
    private static final String FOLLOWER_ADDRESS = "10.213.0.2";
    private static final long RECORDS = 20_000;

    @TempDir
    Path tmp;

    private final String leaderNs = "kekl" + ProcessHandle.current().pid();
    private final String followerNs = "kekf" + ProcessHandle.current().pid();
    private final String leaderLink = "kvl" + ProcessHandle.current().pid();
    private final String followerLink = "kvf" + ProcessHandle.current().pid();
    private final List<Process> children = new ArrayList<>();
    private boolean isCreated;

    @BeforeEach
    void before()
    {
        final String why = whyNoNamespaces();
        Assumptions.assumeTrue(null == why, () -> "two-host test skipped: " + why);
        isCreated = true;
        ip("netns", "add", leaderNs);
        ip("netns", "add", followerNs);
        ip("link", "add", leaderLink, "type", "veth", "peer", "name", followerLink);
        ip("link", "set", leaderLink, "netns", leaderNs);
        ip("link", "set", followerLink, "netns", followerNs);
        ip("-n", leaderNs, "addr", "add", LEADER_ADDRESS + "/30", "dev", leaderLink);
        ip("-n", followerNs, "addr", "add", FOLLOWER_ADDRESS + "/30", "dev", followerLink);
        for (final String ns : List.of(leaderNs, followerNs))
        {
            ip("-n", ns, "link", "set", "lo", "up");
        }
        ip("-n", leaderNs, "link", "set", leaderLink, "up");
        ip("-n", followerNs, "link", "set", followerLink, "up");
    }

    @AfterEach
    void after()
    {
        for (final Process child : children)
        {
            child.destroyForcibly();
        }
        if (isCreated)
        {
            // Deleting a namespace deletes its end of the veth pair, and with it the other end.
            runQuietly(List.of("ip", "netns", "del", leaderNs));
            runQuietly(List.of("ip", "netns", "del", followerNs));
        }
    }

    @Test
    void shouldMirrorAcrossTwoHostsThroughALinkCut() throws Exception
    {
        final String control = LEADER_ADDRESS + ":40123";
        final Path mirrorDir = tmp.resolve("mirror");
        final Path mirrorPath = ChannelDescriptor.channelPath(mirrorDir, LeaderMain.CHANNEL_ID);
        final Process leader = startIn(leaderNs, "leader", LeaderMain.class.getName(),
            tmp.resolve("aeron-leader").toString(), tmp.resolve("leader").toString(), control, Long.toString(RECORDS));
        final Process follower = startIn(followerNs, "follower", SinkMain.class.getName(),
            tmp.resolve("aeron-follower").toString(), control, mirrorDir.toString(), FOLLOWER_ADDRESS + ":0");

        final ReplicationTestSupport.RecordChecker checker =
            new ReplicationTestSupport.RecordChecker(LeaderMain.LONG_RECORD_LENGTH);
        ChannelReader mirrorReader = null;
        try
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            boolean isCut = false;
            while (follower.isAlive() || leader.isAlive())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("replication did not finish: checked=" + checker.nextSeq + "\n" + logs());
                }
                if (null == mirrorReader && Files.exists(mirrorPath))
                {
                    mirrorReader = ChannelReader.open(mirrorPath);
                }
                if (null != mirrorReader)
                {
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                }
                if (!isCut && checker.nextSeq > RECORDS / 4)
                {
                    isCut = true;
                    ip("-n", leaderNs, "link", "set", leaderLink, "down");
                    Thread.sleep(2000);
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                    final long duringCut = checker.nextSeq;
                    Thread.sleep(200);
                    mirrorReader.poll(checker, Integer.MAX_VALUE);
                    assertEquals(duringCut, checker.nextSeq, "nothing arrives while the link is down");
                    ip("-n", leaderNs, "link", "set", leaderLink, "up");
                    assertTrue(leader.isAlive(), "the cut happened while the leader still wrote");
                }
                LockSupport.parkNanos(1_000_000);
            }
            assertEquals(0, leader.exitValue(), this::logs);
            assertEquals(0, follower.exitValue(), this::logs);
            assertTrue(isCut, "the link was cut");

            mirrorReader.poll(checker, Integer.MAX_VALUE);
            assertEquals(RECORDS, checker.nextSeq);
            assertEquals(ChannelState.CLOSED, mirrorReader.state());
            final ChannelDigest.Result leaderDigest = ChannelDigest.digest(
                ChannelDescriptor.channelPath(tmp.resolve("leader"), LeaderMain.CHANNEL_ID), -1);
            final ChannelDigest.Result mirrorDigest = ChannelDigest.digest(mirrorPath, -1);
            assertEquals(leaderDigest.position(), mirrorDigest.position());
            assertEquals(leaderDigest.digest(), mirrorDigest.digest());
        }
        finally
        {
            CloseHelper.close(mirrorReader);
        }
    }

    private Process startIn(final String ns, final String name, final String mainClass, final String... args)
        throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"),
            mainClass));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve(name + ".log").toFile())
            .start();
        children.add(process);
        return process;
    }

    private String logs()
    {
        final StringBuilder text = new StringBuilder();
        for (final String name : List.of("leader", "follower"))
        {
            try
            {
                text.append("--- ").append(name).append(":\n").append(Files.readString(tmp.resolve(name + ".log")));
            }
            catch (final IOException ex)
            {
                text.append(ex).append('\n');
            }
        }
        return text.toString();
    }

    private static String whyNoNamespaces()
    {
        if (!"root".equals(System.getProperty("user.name")))
        {
            return "network namespaces need root, running as " + System.getProperty("user.name");
        }
        final String probe = "kekprobe" + ProcessHandle.current().pid();
        final String result = run(List.of("ip", "netns", "add", probe));
        if (null != result)
        {
            return "cannot create a network namespace: " + result;
        }
        runQuietly(List.of("ip", "netns", "del", probe));
        return null;
    }

    private static void ip(final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        final String result = run(command);
        if (null != result)
        {
            throw new IllegalStateException(String.join(" ", command) + ": " + result);
        }
    }

    private static void runQuietly(final List<String> command)
    {
        run(command);
    }

    /**
     * Run a command to its end.
     *
     * @return null when it exited 0, otherwise its output and exit code.
     */
    private static String run(final List<String> command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return "timed out";
            }
            return 0 == process.exitValue() ? null : output + " (exit " + process.exitValue() + ")";
        }
        catch (final IOException ex)
        {
            return ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
