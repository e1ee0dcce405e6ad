package org.kekbit.channel;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.EpochClock;

/**
 * The one answer to "is this channel's writer alive?" and "may I take this channel over?", for readers, for
 * {@link ChannelWriter#resume} and for the clean-up of temp files, on the model of Agrona's {@code MarkFile}.
 * <p>
 * The rule:
 * <ol>
 *     <li>Inside one JVM an open {@link ChannelWriter} is alive, whatever else the header says, and blocks any
 *     take-over of its channel.</li>
 *     <li>Where the checker can see the writer's process (it shares the boot and pid namespace the header records,
 *     see {@link ProcessIdentity}), the process decides: pid and start ticks name exactly one process, which is alive
 *     while it runs and not a zombie, even if its duty cycle has not run for a long time, and dead at once when it
 *     has exited.</li>
 *     <li>Where it cannot (another container, another host, an OS without {@code /proc}, or a take-over in progress,
 *     marked by a negative pid), the heartbeat decides: alive while
 *     {@code nowMs - timeoutMs <= heartbeatTimeMs <= nowMs + timeoutMs}, with no wrapping arithmetic, so a heartbeat
 *     exactly {@code timeoutMs} old is still alive and a garbage one far in the past or the future is not. A fresh
 *     heartbeat is alive whatever a pid says.</li>
 * </ol>
 * The pid, start ticks and namespace id are read as one triple: the pid is loaded with acquire semantics before and
 * after the other two, and a triple whose two pid loads differ is not trusted (the heartbeat decides). A resumer
 * marks the pid field with minus its pid, stores its start ticks and namespace id, then sets
 * {@link #IDENTITY_PUBLISHED} in the mark: from then on the triple names the resumer, which is judged as a writer
 * (see {@link #beginTakeOver}). The compare-and-set that stores its plain pid ends the take-over.
 * <p>
 * An instance serves one observer (a reader): it caches the writer's process and asks the OS at most once per
 * {@link #PROCESS_CHECK_INTERVAL_MS}, so a reader polling an idle channel costs no system calls per poll and
 * allocates nothing. A verdict is never sticky: every check reads the header again, so a writer that resumed,
 * whatever its pid, is seen alive at the next check. Not threadsafe.
 */
final class WriterLiveness implements AutoCloseable
{
    /**
     * How often an observer asks the OS whether the writer's process still runs.
     */
    static final long PROCESS_CHECK_INTERVAL_MS = 10;

    /**
     * Set in minus the pid of a take-over mark once the resumer's own start ticks and namespace id are stored: pids
     * are far below it (Linux allows at most 2^22).
     */
    static final long IDENTITY_PUBLISHED = 1L << 48;

    /**
     * The writers open in this JVM, by file identity: the JVM's own answer for its own channels.
     */
    private static final ConcurrentHashMap<Object, Boolean> OPEN_WRITERS = new ConcurrentHashMap<>();

    private final AtomicBuffer header;
    private final Object fileKey;
    private final long timeoutMs;
    private final EpochClock epochClock;
    private final ProcessIdentity observer;
    private long writerPid;
    private long writerStartTicks;
    private long writerNamespaceId;
    private WriterProcess process;
    private long processPid;
    private long processStartTicks;
    private long lastProcessCheckMs = Long.MIN_VALUE;
    private boolean isProcessAlive;

    WriterLiveness(
        final AtomicBuffer header,
        final Object fileKey,
        final long timeoutMs,
        final EpochClock epochClock,
        final ProcessIdentity observer)
    {
        this.header = header;
        this.fileKey = fileKey;
        this.timeoutMs = timeoutMs;
        this.epochClock = epochClock;
        this.observer = observer;
    }

    /**
     * Whether the channel's writer is alive by the rule above.
     *
     * @return true when alive.
     */
    boolean isAlive()
    {
        final long nowMs = epochClock.time();
        final boolean isTrusted = readWriterProcess();
        final long pid = writerPid;
        final long startTicks = writerStartTicks;
        final long namespaceId = writerNamespaceId;
        if (!isTrusted || !observer.canSee(namespaceId))
        {
            return isFresh(ChannelDescriptor.heartbeatTimeMsAcquire(header), nowMs, timeoutMs);
        }
        if (observer.isSelf(pid, startTicks, namespaceId))
        {
            return isOpenInThisJvm(fileKey);
        }

        if (pid != processPid || startTicks != processStartTicks)
        {
            CloseHelper.quietClose(process); // another writer took the channel over
            process = null;
            processPid = pid;
            processStartTicks = startTicks;
            lastProcessCheckMs = Long.MIN_VALUE;
        }
        // Asking the OS costs system calls: an observer polling in a loop asks at most once per interval.
        if (nowMs - PROCESS_CHECK_INTERVAL_MS >= lastProcessCheckMs || nowMs < lastProcessCheckMs)
        {
            lastProcessCheckMs = nowMs;
            if (null == process)
            {
                process = WriterProcess.find(pid, startTicks);
            }
            isProcessAlive = null != process && process.isAlive();
        }

        return isProcessAlive;
    }

    /**
     * Read the writer's pid, start ticks and namespace id as one triple: the pid with acquire semantics before and
     * after the other two, which a resumer changes only while the pid holds its take-over mark.
     *
     * @return true when the triple can be trusted: the two pid loads agree and no take-over is in progress.
     */
    boolean readWriterProcess()
    {
        final long pid = ChannelDescriptor.writerPidAcquire(header);
        writerStartTicks = ChannelDescriptor.writerStartTicksAcquire(header);
        writerNamespaceId = ChannelDescriptor.writerNamespaceIdAcquire(header);
        writerPid = effectivePid(pid);
        return writerPid > 0 && pid == ChannelDescriptor.writerPidAcquire(header);
    }

    /**
     * The process a pid field names: the writer, or the resumer of a published take-over mark.
     *
     * @return the pid, or 0 for a mark whose resumer has not stored its start ticks and namespace id yet.
     */
    static long effectivePid(final long pidField)
    {
        if (pidField > 0)
        {
            return pidField;
        }
        final long marked = -pidField;
        return (marked & IDENTITY_PUBLISHED) != 0 ? marked & ~IDENTITY_PUBLISHED : 0;
    }

    long writerPid()
    {
        return writerPid;
    }

    long writerStartTicks()
    {
        return writerStartTicks;
    }

    long writerNamespaceId()
    {
        return writerNamespaceId;
    }

    public void close()
    {
        CloseHelper.quietClose(process);
        process = null;
    }

    /**
     * Whether a heartbeat is fresh: within {@code timeoutMs} of now either way, computed without wrapping.
     *
     * @param heartbeatTimeMs as loaded from the header.
     * @param nowMs           the checker's time.
     * @param timeoutMs       of the channel, positive.
     * @return true when fresh.
     */
    static boolean isFresh(final long heartbeatTimeMs, final long nowMs, final long timeoutMs)
    {
        final long oldestFreshMs = nowMs - timeoutMs;
        final long newestFreshMs = nowMs + timeoutMs;
        final boolean isNotTooOld = oldestFreshMs > nowMs || heartbeatTimeMs >= oldestFreshMs; // saturate on wrap
        final boolean isNotTooNew = newestFreshMs < nowMs || heartbeatTimeMs <= newestFreshMs;
        return isNotTooOld && isNotTooNew;
    }

    /**
     * Take a channel over for a resumer that has registered itself as the one writer of the channel open in this
     * JVM (so none other is open here): refuse while its writer is alive by the rule above; stamp the heartbeat, so
     * the mark is born fresh; swap the pid for the mark {@code -pid} with a compare-and-set, so that of several
     * resumers exactly one wins; store the resumer's start ticks and namespace id; then swap the mark for the
     * published mark {@code -(pid | IDENTITY_PUBLISHED)}, which tells observers that the triple is the resumer's, so
     * a resumer killed from then on is dead at once to those who can see its process.
     *
     * @param header    over the channel file, mapped read-write.
     * @param timeoutMs of the channel.
     * @param nowMs     the resumer's time.
     * @param self      the resumer's process.
     * @param path      of the channel, named in messages.
     * @return the writer the mark replaced, for {@link #abandonTakeOver}.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when the writer is alive or another
     *                          resumer won.
     */
    static ProcessIdentity beginTakeOver(
        final AtomicBuffer header,
        final long timeoutMs,
        final long nowMs,
        final ProcessIdentity self,
        final Path path)
    {
        final long pid = ChannelDescriptor.writerPidAcquire(header);
        final long startTicks = ChannelDescriptor.writerStartTicksAcquire(header);
        final long namespaceId = ChannelDescriptor.writerNamespaceIdAcquire(header);
        final long heartbeatTimeMs = ChannelDescriptor.heartbeatTimeMsAcquire(header);
        final String aliveBecause = pid != ChannelDescriptor.writerPidAcquire(header) ?
            "its pid changed while it was read" :
            whyAlive(pid, startTicks, namespaceId, heartbeatTimeMs, nowMs, timeoutMs, self);
        if (null != aliveBecause)
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE, "channel's writer is alive (" +
                aliveBecause + "): pid=" + pid + ", heartbeat " + (nowMs - heartbeatTimeMs) + " ms ago, timeoutMs=" +
                timeoutMs + ", file=" + path);
        }

        ChannelDescriptor.heartbeatTimeMsRelease(header, Math.max(nowMs, heartbeatTimeMs + 1));
        if (!ChannelDescriptor.writerPidCompareAndSet(header, pid, -self.pid))
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "another writer took the channel over first: file=" + path);
        }
        ChannelDescriptor.writerProcessOrdered(header, self.startTicks, self.namespaceId);
        if (!ChannelDescriptor.writerPidCompareAndSet(header, -self.pid, publishedMark(self.pid)))
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "another writer took the channel over while this one was marking it: file=" + path);
        }

        return new ProcessIdentity(pid, startTicks, namespaceId);
    }

    /**
     * Hand a channel taken over to its new writer: stamp the heartbeat, then publish the pid with a compare-and-set
     * from the published mark.
     *
     * @param header          over the channel file.
     * @param self            the new writer's process.
     * @param heartbeatTimeMs to stamp.
     * @param path            of the channel, named in messages.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when another resumer took the
     *                          channel over meanwhile (this one stalled past the timeout where it could not be seen).
     */
    static void completeTakeOver(
        final AtomicBuffer header, final ProcessIdentity self, final long heartbeatTimeMs, final Path path)
    {
        ChannelDescriptor.heartbeatTimeMsRelease(header, heartbeatTimeMs);
        if (!ChannelDescriptor.writerPidCompareAndSet(header, publishedMark(self.pid), self.pid))
        {
            throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                "another writer took the channel over while this one was resuming: file=" + path);
        }
    }

    /**
     * Give a channel back as it was after a take-over failed, so the next resumer is told why, not WRITER_ACTIVE.
     *
     * @param header   over the channel file.
     * @param self     the resumer's process.
     * @param previous returned by {@link #beginTakeOver}.
     */
    static void abandonTakeOver(final AtomicBuffer header, final ProcessIdentity self, final ProcessIdentity previous)
    {
        if (ChannelDescriptor.writerPidCompareAndSet(header, publishedMark(self.pid), -self.pid))
        {
            ChannelDescriptor.writerProcessOrdered(header, previous.startTicks, previous.namespaceId);
            ChannelDescriptor.writerPidCompareAndSet(header, -self.pid, previous.pid);
        }
    }

    /**
     * The take-over mark once the resumer's start ticks and namespace id are stored.
     *
     * @param pid of the resumer.
     * @return the mark, negative.
     */
    static long publishedMark(final long pid)
    {
        return -(pid | IDENTITY_PUBLISHED);
    }

    /**
     * Whether a process that created a temp file runs, judged by the same rule: the process where this process can
     * see it, otherwise the file's own last modification as its heartbeat.
     *
     * @param pid              of the creator.
     * @param startTicks       of the creator.
     * @param namespaceId      of the creator.
     * @param lastModifiedMs   of the file.
     * @param nowMs            now.
     * @param staleAfterMs     after which an unmodified file of an unseen creator counts as left behind.
     * @return true when the creator may still be working on it.
     */
    static boolean isCreatorAlive(
        final long pid,
        final long startTicks,
        final long namespaceId,
        final long lastModifiedMs,
        final long nowMs,
        final long staleAfterMs)
    {
        final ProcessIdentity self = ProcessIdentity.CURRENT;
        if (!self.canSee(namespaceId))
        {
            return isFresh(lastModifiedMs, nowMs, staleAfterMs);
        }
        if (self.isSelf(pid, startTicks, namespaceId))
        {
            return true;
        }

        try (WriterProcess process = WriterProcess.find(pid, startTicks))
        {
            return null != process;
        }
    }

    /**
     * Whether a process recorded as a triple with a heartbeat is alive by the rule above, for owners of other records
     * than a channel's writer (a journal's named readers): the process decides where the observer can see it, the
     * heartbeat elsewhere. The observer itself counts as alive: whether it still holds what the triple names is for
     * the caller's own registry to say, as {@link #isOpenInThisJvm(Object)} does for channels.
     *
     * @param pid             of the process, not negative; 0 means none and the heartbeat decides.
     * @param startTicks      of the process, 0 when unknown.
     * @param namespaceId     of the process, 0 when unknown.
     * @param heartbeatTimeMs last stamped by the process.
     * @param nowMs           the observer's time.
     * @param timeoutMs       after which a heartbeat is stale.
     * @param self            the observer.
     * @return true when alive.
     */
    static boolean isProcessAlive(
        final long pid,
        final long startTicks,
        final long namespaceId,
        final long heartbeatTimeMs,
        final long nowMs,
        final long timeoutMs,
        final ProcessIdentity self)
    {
        if (pid <= 0 || !self.canSee(namespaceId))
        {
            return isFresh(heartbeatTimeMs, nowMs, timeoutMs);
        }
        if (self.isSelf(pid, startTicks, namespaceId))
        {
            return true;
        }

        try (WriterProcess process = WriterProcess.find(pid, startTicks))
        {
            return null != process;
        }
    }

    /**
     * Record a writer as open in this JVM; refused when one is open on the same file already.
     *
     * @param fileKey of the channel file.
     * @return true when registered.
     */
    static boolean registerOpenWriter(final Object fileKey)
    {
        return null == OPEN_WRITERS.putIfAbsent(fileKey, Boolean.TRUE);
    }

    /**
     * Forget a writer closed in this JVM.
     *
     * @param fileKey of the channel file.
     */
    static void unregisterOpenWriter(final Object fileKey)
    {
        OPEN_WRITERS.remove(fileKey);
    }

    /**
     * Whether a writer is open on the file in this JVM.
     *
     * @param fileKey of the channel file.
     * @return true when open here.
     */
    static boolean isOpenInThisJvm(final Object fileKey)
    {
        return OPEN_WRITERS.containsKey(fileKey);
    }

    private static String whyAlive(
        final long pidField,
        final long startTicks,
        final long namespaceId,
        final long heartbeatTimeMs,
        final long nowMs,
        final long timeoutMs,
        final ProcessIdentity self)
    {
        final long pid = effectivePid(pidField);
        final String who = pidField < 0 ? "a resumer taking the channel over" : "its writer";
        if (pid <= 0 || !self.canSee(namespaceId))
        {
            return isFresh(heartbeatTimeMs, nowMs, timeoutMs) ?
                who + " cannot be looked up from here and its heartbeat is fresh" : null;
        }
        if (self.isSelf(pid, startTicks, namespaceId))
        {
            // This process: the resumer registered itself as the channel's one open writer in this JVM, so no other
            // is open here; the pid is what is left of one that was dropped without closing.
            return null;
        }

        try (WriterProcess process = WriterProcess.find(pid, startTicks))
        {
            return null != process ? who + " runs: pid=" + pid : null;
        }
    }
}
