package org.kekbit.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

/**
 * A thread that runs a duty cycle (a reader, an echo) beside the benchmark thread, only while a JMH iteration
 * runs: {@link #resume()} from an iteration's setup, {@link #pause()} from its teardown. Paused, it parks, so no
 * core spins between iterations or after the trial; {@link #close()} ends it.
 * <p>
 * A failure in the duty is kept and rethrown on the benchmark thread by {@link #checkError()}, so a broken peer
 * fails the benchmark instead of hanging it.
 */
public final class DutyThread implements AutoCloseable
{
    /**
     * One turn of the duty cycle.
     */
    @FunctionalInterface
    public interface Duty
    {
        /**
         * Do some work.
         *
         * @return how much work was done, 0 when there was none.
         * @throws Exception when the duty fails; the thread then pauses and keeps the failure.
         */
        int doWork() throws Exception;
    }

    private static final long PAUSE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final long WAIT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final long WAIT_CHECK_MASK = 0xFFFF;

    private final Thread thread;
    private final Duty duty;
    private final IdleStrategy idleStrategy;
    private volatile boolean isRunning = true;
    private volatile boolean isActive;
    private volatile boolean isIdle = true;
    private volatile Throwable error;
    private long waitStartNs;

    /**
     * Start the thread, paused.
     *
     * @param name         of the thread.
     * @param duty         to run while resumed.
     * @param idleStrategy between turns that found no work.
     */
    public DutyThread(final String name, final Duty duty, final IdleStrategy idleStrategy)
    {
        this.duty = duty;
        this.idleStrategy = idleStrategy;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Start running the duty.
     */
    public void resume()
    {
        checkError();
        isActive = true;
        LockSupport.unpark(thread);
    }

    /**
     * Stop running the duty and wait until the current turn is over, so the caller may touch what the duty uses.
     */
    public void pause()
    {
        isActive = false;
        final long deadlineNs = System.nanoTime() + PAUSE_TIMEOUT_NS;
        while (!isIdle && thread.isAlive())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("duty thread did not pause: " + thread.getName());
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Rethrow a failure of the duty on the calling thread.
     *
     * @throws IllegalStateException with the failure as its cause.
     */
    public void checkError()
    {
        final Throwable error = this.error;
        if (null != error)
        {
            throw new IllegalStateException("duty thread failed: " + thread.getName(), error);
        }
    }

    /**
     * One spin of another thread waiting for this one, for example for replies: every 65,536 spins it rethrows a
     * failure of the duty and fails when the wait has lasted more than a minute, so a broken peer cannot hang JMH.
     *
     * @param spins so far in this wait, counting from 1.
     * @throws IllegalStateException when the duty failed or the wait lasted too long.
     */
    public void waiting(final long spins)
    {
        Thread.onSpinWait();
        if (0 == (spins & WAIT_CHECK_MASK))
        {
            checkError();
            final long nowNs = System.nanoTime();
            if (WAIT_CHECK_MASK + 1 == spins)
            {
                waitStartNs = nowNs;
            }
            else if (nowNs - waitStartNs > WAIT_TIMEOUT_NS)
            {
                throw new IllegalStateException("gave up waiting for " + thread.getName());
            }
        }
    }

    /**
     * End the thread and wait for it.
     */
    public void close()
    {
        isRunning = false;
        isActive = false;
        LockSupport.unpark(thread);
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void run()
    {
        while (isRunning)
        {
            if (!isActive)
            {
                isIdle = true;
                LockSupport.park(this);
                continue;
            }

            // Announce the turn, then look again: pause() sees either this store or misses the turn altogether.
            isIdle = false;
            if (!isActive)
            {
                continue;
            }

            try
            {
                idleStrategy.idle(duty.doWork());
            }
            catch (final Throwable ex)
            {
                error = ex;
                isActive = false;
            }
        }
        isIdle = true;
    }
}
