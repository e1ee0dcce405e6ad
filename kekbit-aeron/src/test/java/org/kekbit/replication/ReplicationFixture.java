package org.kekbit.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.kekbit.replication.ReplicationTestSupport.LOOPBACK;

/**
 * What every replication test sets up and tears down: the embedded media drivers, the writer, source, sink and
 * mirror reader it registers with {@link #own}, a child JVM, two network namespaces, the scratch buffer and the
 * record checker. Registered as an extension ({@code @RegisterExtension}), it closes all after each test, in the
 * reverse order of registration as try-with-resources would, kills the child, deletes the namespaces and checks that
 * each driver's aeron.dir is gone.
 */
final class ReplicationFixture implements AutoCloseable, AfterEachCallback
{
    final UnsafeBuffer scratch;
    final ReplicationTestSupport.RecordChecker checker;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final List<Path> aeronDirs = new ArrayList<>();
    private TwoHostNamespaces hosts;
    private Process child;

    ReplicationFixture(final int longRecordLength)
    {
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
        aeronDirs.add(aeronDir);
        return own(EmbeddedMediaDriver.launch(aeronDir, lossRate, seed));
    }

    /**
     * An embedded media driver whose images time out as given.
     */
    EmbeddedMediaDriver launchDriver(final Path aeronDir, final long imageLivenessTimeoutNs)
    {
        aeronDirs.add(aeronDir);
        return own(EmbeddedMediaDriver.launch(aeronDir, 0, 0, imageLivenessTimeoutNs));
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
     * The child JVM of the test, killed after it; the one before is forgotten (the test waited for it).
     */
    Process child(final Process process)
    {
        child = process;
        return process;
    }

    /**
     * Two network namespaces joined by veth, deleted after the test; skips the test, saying why, where they cannot
     * be made.
     */
    TwoHostNamespaces twoHosts()
    {
        final String why = TwoHostNamespaces.whyNot();
        Assumptions.assumeTrue(null == why, () -> "two-host test skipped: " + why);
        hosts = new TwoHostNamespaces();
        hosts.create();
        return hosts;
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
        final AutoCloseable[] reversed = new AutoCloseable[owned.size()];
        for (int i = 0; i < reversed.length; i++)
        {
            reversed[i] = owned.get(reversed.length - 1 - i);
        }
        owned.clear();
        try
        {
            CloseHelper.closeAll(reversed);
        }
        finally
        {
            CloseHelper.close(hosts);
        }
        for (final Path aeronDir : aeronDirs)
        {
            assertFalse(Files.exists(aeronDir), "aeron.dir deleted: " + aeronDir);
        }
    }
}
