package org.kekbit.samples.orderbook;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.kekbit.MappingReleaser;
import org.kekbit.image.CommandClaim;
import org.kekbit.image.SystemImage;

/**
 * An {@link OrderBook} kept as a {@link SystemImage}, with the helper thread a low-latency image needs: it creates the
 * journal's next segment ahead of need ({@link SystemImage#segmentCreator()}), unmaps the segments rolled from (a
 * {@link MappingReleaser}) and, under {@link SystemImage.ForcePolicy#GROUP_ON_AGENT}, forces the journal
 * ({@link SystemImage#forceAgent()}), so that none of these lands on the serving thread. The helper parks 1 ms when
 * idle: it has work once per roll and once per group commit.
 * <pre>{@code
 * try (OrderBookImage service = OrderBookImage.launch(new SystemImage.Context().imageFolder(dir), true))
 * {
 *     service.submit(...); // or service.tryClaim(...) and claim.commit(...); then service.image().doWork()
 * }
 * }</pre>
 * A roll that comes while the helper is still creating the next segment is refused with
 * {@link SystemImage#ROLL_FAILED}, nothing journaled: {@link #submit} and {@link #tryClaim} run the duty cycle and try
 * again for up to {@link #ROLL_RETRY_NS}, so only a journal that really cannot roll (no space) fails the sample.
 * Closing closes the image first (which forces and detaches the journal), then stops the helper thread, which unmaps
 * what is left.
 */
public final class OrderBookImage implements AutoCloseable
{
    /**
     * How long a command refused with {@link SystemImage#ROLL_FAILED} is tried again: 10 s.
     */
    public static final long ROLL_RETRY_NS = 10_000_000_000L;

    /**
     * Where the journal's segment creator and the mapping releaser run.
     */
    public enum Helpers
    {
        /**
         * On the serving thread, in the image's duty cycle and at the rolls (to measure what that costs).
         */
        SERVING_THREAD,

        /**
         * On a helper thread of their own (with the group commit agent under
         * {@link SystemImage.ForcePolicy#GROUP_ON_AGENT}).
         */
        HELPER_THREAD,

        /**
         * On the shadow's thread ({@link SystemImage.Context#helpersOnShadowThread(boolean)}); a helper thread only
         * for the group commit agent, when the policy needs one.
         */
        SHADOW_THREAD
    }

    private final SystemImage image;
    private final AgentRunner helpers;

    private OrderBookImage(final SystemImage image, final AgentRunner helpers)
    {
        this.image = image;
        this.helpers = helpers;
    }

    /**
     * Launch (and recover) an order book image.
     *
     * @param ctx          of the image: folder, snapshot and force settings; an {@link OrderBook} supplier unless one
     *                     is set.
     * @param helperThread true to run the segment creator, the releaser and group commit on a helper thread; false
     *                     leaves segment creation and unmapping to the serving thread (to measure what that costs).
     * @return the launched image.
     */
    public static OrderBookImage launch(final SystemImage.Context ctx, final boolean helperThread)
    {
        return launch(ctx, helperThread ? Helpers.HELPER_THREAD : Helpers.SERVING_THREAD);
    }

    /**
     * Launch (and recover) an order book image.
     *
     * @param ctx     of the image: folder, snapshot and force settings; an {@link OrderBook} supplier unless one is
     *                set.
     * @param helpers where the segment creator and the releaser run.
     * @return the launched image.
     */
    public static OrderBookImage launch(final SystemImage.Context ctx, final Helpers helpers)
    {
        if (null == ctx.stateMachineSupplier())
        {
            ctx.stateMachineSupplier(OrderBook::new);
        }
        final boolean isGroupOnAgent = SystemImage.ForcePolicy.GROUP_ON_AGENT == ctx.forcePolicy();
        if (Helpers.SERVING_THREAD == helpers)
        {
            if (isGroupOnAgent)
            {
                throw new IllegalArgumentException("GROUP_ON_AGENT needs the helper thread");
            }
            return new OrderBookImage(SystemImage.launch(ctx), null);
        }

        final MappingReleaser releaser = new MappingReleaser();
        final boolean isOnShadow = Helpers.SHADOW_THREAD == helpers;
        final SystemImage image = SystemImage.launch(
            ctx.createSegmentsOnAgent(true).mappingReleaser(releaser).helpersOnShadowThread(isOnShadow));
        try
        {
            final Agent helper;
            if (isOnShadow)
            {
                helper = isGroupOnAgent ? image.forceAgent() : null;
            }
            else
            {
                helper = isGroupOnAgent ?
                    new CompositeAgent(image.segmentCreator(), releaser, image.forceAgent()) :
                    new CompositeAgent(image.segmentCreator(), releaser);
            }
            if (null == helper)
            {
                return new OrderBookImage(image, null);
            }
            final AgentRunner runner = new AgentRunner(
                new SleepingMillisIdleStrategy(1), Throwable::printStackTrace, null, helper);
            AgentRunner.startOnThread(runner);
            return new OrderBookImage(image, runner);
        }
        catch (final RuntimeException ex)
        {
            image.close();
            releaser.onClose();
            throw ex;
        }
    }

    /**
     * Submit a command, trying again while the next segment is being created.
     *
     * @param msgTypeId of the command.
     * @param buffer    holding it.
     * @param offset    of it in buffer.
     * @param length    of it.
     * @return as {@link SystemImage#submit}: the position, or a negative code.
     */
    public long submit(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        long result = image.submit(msgTypeId, buffer, offset, length);
        if (SystemImage.ROLL_FAILED == result)
        {
            final long deadlineNs = System.nanoTime() + ROLL_RETRY_NS;
            do
            {
                image.doWork();
                Thread.onSpinWait();
                result = image.submit(msgTypeId, buffer, offset, length);
            }
            while (SystemImage.ROLL_FAILED == result && System.nanoTime() - deadlineNs < 0);
        }
        return result;
    }

    /**
     * Claim room for a command, trying again while the next segment is being created.
     *
     * @param msgTypeId of the command.
     * @param length    of it.
     * @param claim     to wrap around the claimed payload.
     * @return as {@link SystemImage#tryClaim}: the position the command will end at, or a negative code.
     */
    public long tryClaim(final int msgTypeId, final int length, final CommandClaim claim)
    {
        long result = image.tryClaim(msgTypeId, length, claim);
        if (SystemImage.ROLL_FAILED == result)
        {
            final long deadlineNs = System.nanoTime() + ROLL_RETRY_NS;
            do
            {
                image.doWork();
                Thread.onSpinWait();
                result = image.tryClaim(msgTypeId, length, claim);
            }
            while (SystemImage.ROLL_FAILED == result && System.nanoTime() - deadlineNs < 0);
        }
        return result;
    }

    /**
     * The image, served by the caller's thread.
     *
     * @return the image.
     */
    public SystemImage image()
    {
        return image;
    }

    /**
     * The live order book.
     *
     * @return the book.
     */
    public OrderBook book()
    {
        return (OrderBook)image.stateMachine();
    }

    /**
     * Close the image, then stop the helper thread.
     */
    public void close()
    {
        try
        {
            image.close();
        }
        finally
        {
            CloseHelper.close(helpers);
        }
    }
}
