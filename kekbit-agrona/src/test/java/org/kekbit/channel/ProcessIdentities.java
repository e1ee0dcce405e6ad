package org.kekbit.channel;

/**
 * Observers for tests that judge a writer as a process in another pid namespace would: by its heartbeat alone.
 */
final class ProcessIdentities
{
    /**
     * This process as if it ran in another pid namespace (another container): it cannot see any writer's process.
     */
    static final ProcessIdentity OTHER_NAMESPACE = new ProcessIdentity(ProcessIdentity.CURRENT.pid,
        ProcessIdentity.CURRENT.startTicks, ProcessIdentity.CURRENT.namespaceId ^ 0x5A5A_5A5A_5A5A_5A5AL);

    private ProcessIdentities()
    {
    }
}
