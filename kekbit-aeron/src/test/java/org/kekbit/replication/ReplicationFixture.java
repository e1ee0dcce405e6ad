package org.kekbit.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelState;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;
import static org.kekbit.replication.ReplicationTestSupport.pump;

/**
 * What every replication test sets up and tears down: a temporary folder, the embedded media driver, source and sink
 * of the test's process, the writer it registers with {@link #own}, the reader of the mirror, a child JVM, two network
 * namespaces, the scratch buffer, the record checker and the next sequence number to write. Registered as an
 * extension ({@code @RegisterExtension}), it closes all after each test: first what was registered with
 * {@link #own}, the last first, then the sink, the source and the drivers; it kills the child, deletes the
 * namespaces, checks that each driver's aeron.dir is gone, and deletes the folder.
 */
final class ReplicationFixture implements AutoCloseable, BeforeEachCallback, AfterEachCallback
{
    final Path tmp;
    final UnsafeBuffer scratch;
    final ReplicationTestSupport.RecordChecker checker;
    EmbeddedMediaDriver driver;
    ReplicationSource source;
    ReplicationSink sink;
    JournalReader journalMirror;
    ChannelReader channelMirror;
    Process child;
    TwoHostNamespaces hosts;
    long seq;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final List<EmbeddedMediaDriver> drivers = new ArrayList<>();
    private final List<Path> aeronDirs = new ArrayList<>();
    private final boolean isTwoHosts;

    /**
     * For tests in one host, their records up to {@link ReplicationTestSupport#LONG_RECORD_LENGTH} long.
     */
    ReplicationFixture()
    {
        this(ReplicationTestSupport.LONG_RECORD_LENGTH, false);
    }

    /**
     * For tests between two network namespaces, made before each test ({@link #hosts}); the test is skipped, saying
     * why, where they cannot be made.
     *
     * @return the fixture.
     */
    static ReplicationFixture twoHosts()
    {
        return new ReplicationFixture(ReplicationTestSupport.LONG_RECORD_LENGTH, true);
    }

    private ReplicationFixture(final int longRecordLength, final boolean isTwoHosts)
    {
        this.isTwoHosts = isTwoHosts;
        try
        {
            tmp = Files.createTempDirectory("kekbit-replication-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        scratch = new UnsafeBuffer(new byte[longRecordLength]);
        checker = new ReplicationTestSupport.RecordChecker(longRecordLength);
    }

    /**
     * Close with the rest after the test.
     *
     * @return the resource.
     */
    <T extends AutoCloseable> T own(final T resource)
    {
        owned.add(resource);
        return resource;
    }

    /**
     * An embedded media driver in its own aeron.dir, closed (and the directory deleted) after the test.
     */
    EmbeddedMediaDriver launchDriver(final Path aeronDir, final double lossRate, final long seed)
    {
        return driver(aeronDir, EmbeddedMediaDriver.launch(aeronDir, lossRate, seed));
    }

    /**
     * An embedded media driver whose images time out as given.
     */
    EmbeddedMediaDriver launchDriver(final Path aeronDir, final long imageLivenessTimeoutNs)
    {
        return driver(aeronDir, EmbeddedMediaDriver.launch(aeronDir, 0, 0, imageLivenessTimeoutNs));
    }

    private EmbeddedMediaDriver driver(final Path aeronDir, final EmbeddedMediaDriver launched)
    {
        aeronDirs.add(aeronDir);
        drivers.add(launched);
        driver = launched;
        return launched;
    }

    /**
     * A source's context on this fixture's driver, with a control endpoint on a free loopback port, 1 MiB terms and
     * chunks of {@link ReplicationTestSupport#MAX_CHUNK_LENGTH}, so that the long records go in parts.
     */
    ReplicationSource.Context sourceContext(final Path path)
    {
        return sourceContext(driver, path)
            .termLength(1024 * 1024)
            .maxChunkLength(ReplicationTestSupport.MAX_CHUNK_LENGTH);
    }

    /**
     * A sink's context on this fixture's driver, receiving on a free loopback port.
     */
    ReplicationSink.Context sinkContext(final String control, final Path dir)
    {
        return sinkContext(driver, control, dir);
    }

    /**
     * A source's context on the driver, with a control endpoint on a free loopback port.
     */
    static ReplicationSource.Context sourceContext(final EmbeddedMediaDriver driver, final Path path)
    {
        return new ReplicationSource.Context()
            .aeron(driver.aeron())
            .controlEndpoint(LOOPBACK + ":" + ReplicationTestSupport.freeUdpPort())
            .channelPath(path);
    }

    /**
     * A sink's context on the driver, receiving on a free loopback port.
     */
    static ReplicationSink.Context sinkContext(final EmbeddedMediaDriver driver, final String control, final Path dir)
    {
        return new ReplicationSink.Context()
            .aeron(driver.aeron())
            .controlEndpoint(control)
            .dataEndpoint(LOOPBACK + ":0")
            .mirrorDir(dir);
    }

    /**
     * Start a JVM on this classpath running a main class, its output in {@code <name>.log} in the folder; it is the
     * child killed after the test (the one before, which the test waited for, is forgotten).
     *
     * @return the process.
     */
    Process startChild(final String name, final Class<?> mainClass, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"),
            mainClass.getName()));
        command.addAll(List.of(args));
        child = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve(name + ".log").toFile())
            .start();
        return child;
    }

    /**
     * What a child wrote, for a failure's message.
     *
     * @return {@code --- name:} and its output, or nothing when it never started.
     */
    String childLog(final String name)
    {
        try
        {
            final Path log = tmp.resolve(name + ".log");
            return Files.exists(log) ? "--- " + name + ":\n" + Files.readString(log) : "";
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    /**
     * One duty cycle of the process's replication: the source's, the sink's and the writer's, then a reader of the
     * mirror (opened once the sink has it) checks every record as the sink commits it: never torn, never out of order.
     *
     * @return work done.
     */
    int cycle(final JournalWriter writer)
    {
        final int work = replicate() + (writer.isClosed() ? 0 : writer.doWork());
        if (null == journalMirror && null != sink && sink.isJournal())
        {
            journalMirror = own(JournalReader.open(new JournalReader.Context().folder(sink.mirrorPath())));
        }
        return work + (null == journalMirror ? 0 : journalMirror.poll(checker, 1000));
    }

    /**
     * One duty cycle as {@link #cycle(JournalWriter)}, for a channel.
     *
     * @return work done.
     */
    int cycle(final ChannelWriter writer)
    {
        final int work = replicate() + writer.doWork();
        if (null == channelMirror && null != sink && null != sink.mirrorPath())
        {
            channelMirror = own(ChannelReader.open(sink.mirrorPath()));
        }
        return work + (null == channelMirror ? 0 : channelMirror.poll(checker, 1000));
    }

    /**
     * A sink in this process that mirrors into {@code mirror} in the folder what the fixture's source serves, forcing
     * after every poll.
     */
    void startSink()
    {
        sink = new ReplicationSink(sinkContext(source.controlEndpoint(), tmp.resolve("mirror"))
            .forceIntervalNs(ReplicationSink.FORCE_EVERY_POLL));
    }

    /**
     * Write records while replicating, at most {@code maxAhead} records ahead of the mirror's reader.
     */
    void writeLive(final int count, final long maxAhead, final JournalWriter writer)
    {
        writeLive(count, maxAhead, () -> ReplicationJournalLoopbackTest.write(writer, scratch, seq),
            () -> cycle(writer));
    }

    /**
     * Write records while replicating.
     */
    void writeLive(final int count, final ChannelWriter writer)
    {
        writeLive(count, Long.MAX_VALUE, () -> ReplicationTestSupport.write(writer, scratch, seq,
            ReplicationTestSupport.recordLength(seq, ReplicationTestSupport.LONG_RECORD_LENGTH)), () -> cycle(writer));
    }

    private void writeLive(final int count, final long maxAhead, final Runnable writeOne,
        final ReplicationTestSupport.Pumped cycle)
    {
        final long end = seq + count;
        pump(() -> seq == end, 60_000, "live writes", () ->
        {
            for (int i = 0; i < 10 && seq < end && seq - checker.nextSeq < maxAhead; i++)
            {
                writeOne.run();
                seq++;
            }
            return 1 + cycle.doWork();
        });
    }

    /**
     * Close the writer, then replicate until its CLOSED marker is on the mirror, every record was checked there, and
     * the source learnt it from a durable ack.
     *
     * @return the writer's position before its end marker.
     */
    long closeAndAwaitEnd(final JournalWriter writer)
    {
        final long written = closeAndAwaitEnd(writer, writer.position(), () -> cycle(writer));
        assertEquals(JournalState.CLOSED, journalMirror.state());
        return written;
    }

    /**
     * As {@link #closeAndAwaitEnd(JournalWriter)}, for a channel.
     *
     * @return the writer's position before its end marker.
     */
    long closeAndAwaitEnd(final ChannelWriter writer)
    {
        final long written = closeAndAwaitEnd(writer, writer.position(), () -> cycle(writer));
        assertEquals(ChannelState.CLOSED, channelMirror.state());
        return written;
    }

    private long closeAndAwaitEnd(
        final AutoCloseable writer, final long written, final ReplicationTestSupport.Pumped cycle)
    {
        CloseHelper.close(writer);
        pump(() -> sink.isEnded() && checker.nextSeq == seq, 30_000, "the end marker on the mirror", cycle);
        assertEquals(written + 8, sink.receivedPosition());
        pump(() -> source.durablePosition() == written + 8, 5_000, "the durable ack", cycle);
        return written;
    }

    private int replicate()
    {
        return (null == source ? 0 : source.doWork()) + (null == sink ? 0 : sink.doWork());
    }

    /**
     * Make the two network namespaces of a two-host fixture, or skip the test saying why they cannot be made.
     *
     * @param context of the test.
     */
    public void beforeEach(final ExtensionContext context)
    {
        if (isTwoHosts)
        {
            final String why = TwoHostNamespaces.whyNot();
            Assumptions.assumeTrue(null == why, () -> "two-host test skipped: " + why);
            hosts = new TwoHostNamespaces();
            hosts.create();
        }
    }

    /**
     * Close after each test.
     *
     * @param context of the test.
     */
    public void afterEach(final ExtensionContext context)
    {
        close();
    }

    public void close()
    {
        if (null != child)
        {
            child.destroyForcibly();
        }
        final List<AutoCloseable> closing = new ArrayList<>();
        for (int i = owned.size() - 1; i >= 0; i--)
        {
            closing.add(owned.get(i));
        }
        closing.add(sink);
        closing.add(source);
        for (int i = drivers.size() - 1; i >= 0; i--)
        {
            closing.add(drivers.get(i));
        }
        owned.clear();
        drivers.clear();
        try
        {
            CloseHelper.closeAll(closing);
        }
        finally
        {
            CloseHelper.close(hosts);
        }
        for (final Path aeronDir : aeronDirs)
        {
            assertFalse(Files.exists(aeronDir), "aeron.dir deleted: " + aeronDir);
        }
        IoUtil.delete(tmp.toFile(), true);
    }
}
