package org.kekbit.benchmarks;

import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentInvoker;

/**
 * Aeron for the IPC benchmarks: an embedded media driver in {@link ThreadingMode#INVOKER} and a client whose
 * conductor is an invoker too, so Aeron runs no thread of its own and steals no core on a 2-core machine. Both are
 * driven by {@link #doWork()} from the publishing benchmark thread's duty cycle: when an offer is back-pressured,
 * when a publication's window runs low, and while waiting. The Aeron directory is a fresh folder on /dev/shm,
 * deleted on start and on close. IPC publications are exclusive with {@link BenchmarkConfiguration#AERON_TERM_LENGTH}
 * terms from non-sparse files.
 * <p>
 * Not threadsafe: {@link #doWork()} belongs to one thread.
 */
public final class EmbeddedAeron implements AutoCloseable
{
    /**
     * Channel of every publication and subscription.
     */
    public static final String IPC = "aeron:ipc";

    private static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    private final MediaDriver driver;
    private final Aeron aeron;
    private final AgentInvoker driverInvoker;
    private final AgentInvoker clientInvoker;

    /**
     * Launch the driver and connect the client.
     */
    public EmbeddedAeron()
    {
        final String dir = BenchmarkConfiguration.shmFolder("kekbit-bench-aeron-").toString();
        driver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .threadingMode(ThreadingMode.INVOKER)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(false)
            .ipcTermBufferLength(BenchmarkConfiguration.AERON_TERM_LENGTH));
        driverInvoker = driver.sharedAgentInvoker();
        aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(dir)
            .driverAgentInvoker(driverInvoker)
            .useConductorAgentInvoker(true));
        clientInvoker = aeron.conductorAgentInvoker();
    }

    /**
     * Add an exclusive IPC publication.
     *
     * @param streamId of the stream.
     * @return the publication.
     */
    public ExclusivePublication addPublication(final int streamId)
    {
        return aeron.addExclusivePublication(IPC, streamId);
    }

    /**
     * Add an IPC subscription.
     *
     * @param streamId of the stream.
     * @return the subscription.
     */
    public Subscription addSubscription(final int streamId)
    {
        return aeron.addSubscription(IPC, streamId);
    }

    /**
     * An exclusive IPC publication and its subscription, on one stream.
     *
     * @param publication  that writes the stream.
     * @param subscription that reads it.
     */
    public record IpcStream(ExclusivePublication publication, Subscription subscription)
    {
    }

    /**
     * Add a subscription and an exclusive publication on one stream and wait until they are connected.
     *
     * @param streamId of the stream.
     * @return the connected pair.
     */
    public IpcStream connect(final int streamId)
    {
        final Subscription subscription = addSubscription(streamId);
        final ExclusivePublication publication = addPublication(streamId);
        awaitConnected(publication, subscription);
        return new IpcStream(publication, subscription);
    }

    /**
     * Run the driver and the client conductor until the publication is connected and every subscription has its
     * image, so no subscriber joins late and misses the first messages.
     *
     * @param publication   to wait for.
     * @param subscriptions to wait for.
     */
    public void awaitConnected(final Publication publication, final Subscription... subscriptions)
    {
        final long deadlineNs = System.nanoTime() + CONNECT_TIMEOUT_NS;
        while (!publication.isConnected() || !allConnected(subscriptions))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("publication not connected: " + publication);
            }
            doWork();
            Thread.yield();
        }
    }

    private static boolean allConnected(final Subscription[] subscriptions)
    {
        for (final Subscription subscription : subscriptions)
        {
            if (!subscription.isConnected())
            {
                return false;
            }
        }

        return true;
    }

    /**
     * One turn of the driver's and the client's duty cycles.
     *
     * @return work done.
     */
    public int doWork()
    {
        return driverInvoker.invoke() + clientInvoker.invoke();
    }

    /**
     * Offer a message, running the duty cycles while back-pressured.
     *
     * @param publication to offer on.
     * @param buffer      holding the message.
     * @param offset      of the message.
     * @param length      of the message.
     * @throws IllegalStateException when the publication is closed or cannot take the message.
     */
    public void offer(
        final ExclusivePublication publication, final DirectBuffer buffer, final int offset, final int length)
    {
        long result;
        while ((result = publication.offer(buffer, offset, length)) < 0)
        {
            checkOfferResult(result);
            doWork();
        }
    }

    /**
     * Fail on an offer or claim result that waiting cannot cure.
     *
     * @param result of an offer or a claim.
     * @throws IllegalStateException when the publication is closed or at its maximum position.
     */
    public static void checkOfferResult(final long result)
    {
        if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result)
        {
            throw new IllegalStateException("publication cannot take messages: result=" + result);
        }
    }

    /**
     * Close the client and the driver, which deletes its directory.
     */
    public void close()
    {
        CloseHelper.closeAll(aeron, driver);
    }
}
