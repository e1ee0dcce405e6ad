package org.kekbit.benchmarks;

import org.agrona.concurrent.BusySpinIdleStrategy;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The life cycle every benchmark state with a second thread shares (a reader, an echo): the system's storage is
 * opened once per trial, the thread spins on its duty only while an iteration runs ({@link DutyThread}), and the
 * storage is released after the thread has ended. Subclasses open and close their system in the hooks; JMH calls
 * only the annotated methods here, so no subclass can forget to park or end its thread.
 */
@State(Scope.Thread)
public abstract class ThreadedState
{
    DutyThread thread;

    /**
     * Open the system and start its thread, parked.
     */
    @Setup(Level.Trial)
    public void setupTrial()
    {
        thread = new DutyThread(getClass().getSimpleName(), openTrial(), new BusySpinIdleStrategy());
    }

    /**
     * Prepare the iteration, then start the thread.
     */
    @Setup(Level.Iteration)
    public void setupIteration()
    {
        beforeIteration();
        thread.resume();
    }

    /**
     * Park the thread, then clean up after the iteration.
     */
    @TearDown(Level.Iteration)
    public void tearDownIteration()
    {
        thread.pause();
        afterIteration();
    }

    /**
     * End the thread, then release the system.
     */
    @TearDown(Level.Trial)
    public void tearDownTrial()
    {
        thread.close();
        closeTrial();
    }

    /**
     * Open the system's storage for the trial.
     *
     * @return the duty the second thread runs.
     */
    abstract DutyThread.Duty openTrial();

    /**
     * Before each iteration, outside the measured time, before the thread resumes.
     */
    void beforeIteration()
    {
    }

    /**
     * After each iteration, once the thread is parked.
     */
    void afterIteration()
    {
    }

    /**
     * Release the system's storage, once the thread has ended.
     */
    abstract void closeTrial();
}
