package org.kekbit.channel;

/**
 * The liveness rule of the format ("Is the writer alive?" in {@code docs/format.md}, owned by the channel's writer
 * liveness check) for records other than a channel's header that name an owning process the same way: a pid, its
 * start ticks and its boot and pid namespace, with a heartbeat for observers that cannot see the process. A
 * journal's named reader slots use it, so that a slot held by a live process is never taken.
 * <p>
 * Threadsafe: stateless.
 */
public final class ProcessLiveness
{
    private ProcessLiveness()
    {
    }

    /**
     * Pid of this process, as a header records it.
     *
     * @return the pid.
     */
    public static long currentPid()
    {
        return ProcessIdentity.CURRENT.pid;
    }

    /**
     * Start of this process in clock ticks since boot, as a header records it.
     *
     * @return the start ticks, 0 when the OS does not say.
     */
    public static long currentStartTicks()
    {
        return ProcessIdentity.CURRENT.startTicks;
    }

    /**
     * Id of this process's boot and pid namespace, as a header records it.
     *
     * @return the namespace id, 0 when the OS does not say.
     */
    public static long currentNamespaceId()
    {
        return ProcessIdentity.CURRENT.namespaceId;
    }

    /**
     * Whether the process a triple names is alive by the one rule: where this process can see it (same boot and pid
     * namespace), the process decides, whatever the heartbeat says; otherwise the heartbeat decides, alive while
     * within {@code timeoutMs} of now either way. This very process counts as alive: the caller's own registry says
     * whether it still holds the record. Asks the OS, so not for a hot path.
     *
     * @param pid             of the process; 0 or negative means none, and the heartbeat decides.
     * @param startTicks      of the process, 0 when unknown.
     * @param namespaceId     of the process, 0 when unknown.
     * @param heartbeatTimeMs last stamped by the process, epoch ms.
     * @param nowMs           now, epoch ms.
     * @param timeoutMs       after which a heartbeat is stale, positive.
     * @return true when alive.
     */
    public static boolean isAlive(
        final long pid,
        final long startTicks,
        final long namespaceId,
        final long heartbeatTimeMs,
        final long nowMs,
        final long timeoutMs)
    {
        return WriterLiveness.isProcessAlive(
            pid, startTicks, namespaceId, heartbeatTimeMs, nowMs, timeoutMs, ProcessIdentity.CURRENT);
    }

    /**
     * Whether the process a triple names is this very process.
     *
     * @param pid         recorded.
     * @param startTicks  recorded.
     * @param namespaceId recorded.
     * @return true when it is this process.
     */
    public static boolean isCurrent(final long pid, final long startTicks, final long namespaceId)
    {
        return ProcessIdentity.CURRENT.isSelf(pid, startTicks, namespaceId);
    }
}
