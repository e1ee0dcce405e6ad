package org.kekbit.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.driver.ext.DebugReceiveChannelEndpoint;
import io.aeron.driver.ext.RandomLossGenerator;
import io.aeron.driver.status.SystemCounterDescriptor;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;

/**
 * A media driver embedded in this process with its own {@code aeron.dir}, and a client connected to it: what the
 * tool and the tests run replication on. One driver thread ({@link ThreadingMode#SHARED}); the directory is deleted
 * on start and on close. A receive loss rate installs Aeron's debug loss generator on every receive endpoint, for
 * tests of loss recovery.
 * <p>
 * Not threadsafe: one thread launches and closes it; the client is threadsafe as Aeron's is.
 */
public final class EmbeddedMediaDriver implements AutoCloseable
{
    private static final Path RMEM_MAX = Paths.get("/proc/sys/net/core/rmem_max");

    private final MediaDriver driver;
    private final Aeron aeron;

    private EmbeddedMediaDriver(final MediaDriver driver, final Aeron aeron)
    {
        this.driver = driver;
        this.aeron = aeron;
    }

    /**
     * Launch a driver in a directory of its own and connect a client.
     *
     * @param aeronDir        directory of the driver, deleted on start and close.
     * @param receiveLossRate fraction of data frames each receive endpoint drops, 0 for none.
     * @param lossSeed        seed of the loss generator.
     * @return the driver and its client.
     * @throws IllegalArgumentException with one line when the receive window cannot fit the socket's buffer.
     */
    public static EmbeddedMediaDriver launch(final Path aeronDir, final double receiveLossRate, final long lossSeed)
    {
        return launch(aeronDir, receiveLossRate, lossSeed, 0);
    }

    /**
     * Launch a driver in a directory of its own and connect a client, with a shorter image liveness timeout: how
     * long a receiver keeps the image of a publisher it no longer hears from (a killed source) before the sink
     * notices and says hello again.
     *
     * @param aeronDir               directory of the driver, deleted on start and close.
     * @param receiveLossRate        fraction of data frames each receive endpoint drops, 0 for none.
     * @param lossSeed               seed of the loss generator.
     * @param imageLivenessTimeoutNs image liveness timeout, 0 for Aeron's default (10 s).
     * @return the driver and its client.
     * @throws IllegalArgumentException with one line when the receive window cannot fit the socket's buffer.
     */
    public static EmbeddedMediaDriver launch(
        final Path aeronDir, final double receiveLossRate, final long lossSeed, final long imageLivenessTimeoutNs)
    {
        final MediaDriver.Context ctx = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir.toString())
            .threadingMode(ThreadingMode.SHARED)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            .mtuLength(ReplicationContext.DEFAULT_MTU_LENGTH);
        checkReceiveWindow(ctx.initialWindowLength(), ctx.socketRcvbufLength(), osReceiveBufferMax());
        if (receiveLossRate < 0 || receiveLossRate >= 1)
        {
            throw new IllegalArgumentException("receiveLossRate must be from 0 to below 1: actual=" + receiveLossRate);
        }
        if (imageLivenessTimeoutNs > 0)
        {
            ctx.imageLivenessTimeoutNs(imageLivenessTimeoutNs);
        }
        if (receiveLossRate > 0)
        {
            ctx.receiveChannelEndpointSupplier((udpChannel, dispatcher, statusIndicator, context) ->
                new DebugReceiveChannelEndpoint(udpChannel, dispatcher, statusIndicator, context,
                new RandomLossGenerator(receiveLossRate, lossSeed), new RandomLossGenerator(0)));
        }

        final MediaDriver driver = MediaDriver.launch(ctx);
        try
        {
            return new EmbeddedMediaDriver(driver,
                Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName())));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(driver);
            throw ex;
        }
    }

    /**
     * Check that a receiver window fits the socket's receive buffer, which the OS caps at {@code rmem_max}: a window
     * larger than the buffer lets a burst overflow the socket and turns into loss and NAKs on every catch-up.
     *
     * @param initialWindowLength the receiver's window.
     * @param socketRcvbufLength  SO_RCVBUF asked for, 0 for the OS default.
     * @param osMax               the OS's cap, or a negative value when unknown.
     * @throws IllegalArgumentException with one line naming the settings.
     */
    public static void checkReceiveWindow(final int initialWindowLength, final int socketRcvbufLength, final long osMax)
    {
        if (socketRcvbufLength > 0 && initialWindowLength > socketRcvbufLength)
        {
            throw new IllegalArgumentException("receiver window larger than the socket's receive buffer: " +
                "aeron.rcv.initial.window.length=" + initialWindowLength + " > aeron.socket.so_rcvbuf=" +
                socketRcvbufLength);
        }
        if (osMax > 0 && socketRcvbufLength > osMax)
        {
            throw new IllegalArgumentException("socket receive buffer larger than the OS allows: " +
                "aeron.socket.so_rcvbuf=" + socketRcvbufLength + " > net.core.rmem_max=" + osMax +
                " (raise rmem_max or lower so_rcvbuf and the window)");
        }
    }

    private static long osReceiveBufferMax()
    {
        try
        {
            // Read as lines: /proc files report no size.
            return Files.isReadable(RMEM_MAX) ? Long.parseLong(Files.readAllLines(RMEM_MAX).get(0).trim()) : -1;
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /**
     * The client connected to the driver.
     *
     * @return the client.
     */
    public Aeron aeron()
    {
        return aeron;
    }

    /**
     * NAKs this driver's receivers sent: how much loss they saw and asked to have repaired.
     *
     * @return the count.
     */
    public long naksSent()
    {
        return driver.context().systemCounters().get(SystemCounterDescriptor.NAK_MESSAGES_SENT).get();
    }

    /**
     * Directory of the driver.
     *
     * @return the directory.
     */
    public String aeronDirectoryName()
    {
        return driver.aeronDirectoryName();
    }

    /**
     * Close the client and the driver, and delete the driver's directory.
     */
    public void close()
    {
        final String dir = driver.aeronDirectoryName();
        CloseHelper.closeAll(aeron, driver);
        IoUtil.delete(Paths.get(dir).toFile(), true);
    }
}
