package org.kekbit.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.RecordHandler;
import org.kekbit.journal.JournalDescriptor;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

/**
 * A system image: a {@link StateMachine} kept in memory, every command journaled before it is applied, snapshots that
 * bound the replay, and exact recovery after any crash.
 * <pre>{@code
 * try (SystemImage image = SystemImage.launch(new SystemImage.Context()
 *     .imageFolder(folder).stateMachineSupplier(OrderBook::new)))
 * {
 *     final long position = image.submit(NEW_ORDER_TYPE_ID, buffer, 0, length);
 *     if (position < 0)
 *     {
 *         // RECORD_TOO_LONG, JOURNAL_CLOSED, JOURNAL_TAKEN_OVER or ROLL_FAILED: nothing was journaled or applied
 *     }
 *     image.doWork(); // the journal's duty cycle, group commit, snapshot requests: in the serving duty cycle
 * }
 * }</pre>
 * {@link #launch(Context)} recovers first: it takes the journal over (refusing a live image by the journal's liveness
 * rule), loads the newest complete snapshot the journal can be replayed after, replays the journal from its position
 * to the end through {@link StateMachine#apply}, and only then returns, ready to serve. When that replay was longer
 * than {@link Context#recoverySnapshotThresholdBytes(long)} (the snapshots had not kept up before the process
 * stopped), it first writes a <b>recovery snapshot</b> at the journal's end, so the next launch's replay stays bounded
 * however often the process is killed.
 * <p>
 * {@link #submit} appends the command to the journal and then applies <b>the journaled bytes</b>, read back from the
 * journal's mapping, so a command is applied live exactly as it is applied on replay. It allocates nothing and throws
 * nothing for expected outcomes. A process crash loses nothing submitted (the journal is a shared mapping); a power
 * loss loses what was not forced yet: see {@link ForcePolicy}.
 * <p>
 * Snapshots are taken every {@link Context#snapshotIntervalBytes(long)} of journal or on {@link #requestSnapshot()}:
 * by default by a shadow instance on its own thread ({@link SnapshotMode#SHADOW}), so the serving thread never stops;
 * {@link SnapshotMode#INLINE} writes them in {@link #doWork()} from the live instance, a pause as long as the
 * snapshot, for small states.
 * <p>
 * Not threadsafe: one serving thread submits, claims, runs the duty cycle and closes; {@link #requestSnapshot()} and
 * the snapshot accessors may be called from any thread.
 */
public final class SystemImage implements Agent, AutoCloseable
{
    /**
     * The command is longer than the journal's maximum record length: nothing was journaled or applied.
     */
    public static final long RECORD_TOO_LONG = JournalWriter.RECORD_TOO_LONG;

    /**
     * The image was closed.
     */
    public static final long JOURNAL_CLOSED = JournalWriter.JOURNAL_CLOSED;

    /**
     * Another process took the journal over: this image must stop.
     */
    public static final long JOURNAL_TAKEN_OVER = JournalWriter.JOURNAL_TAKEN_OVER;

    /**
     * The journal needed a new segment and could not create it (no space), or, with
     * {@link Context#createSegmentsOnAgent(boolean)}, the {@link #segmentCreator()} is creating it or has not taken the
     * request up yet (for up to {@link JournalWriter.Context#DEFAULT_SEGMENT_CREATOR_TIMEOUT_MS} ms, after which the
     * journal creates it itself): nothing was journaled or applied; a later submit may succeed (after the creator hands
     * the segment over, at once).
     */
    public static final long ROLL_FAILED = JournalWriter.ROLL_FAILED;

    /**
     * Who writes the snapshots.
     */
    public enum SnapshotMode
    {
        /**
         * A shadow instance on its own thread, fed by a named journal reader: the serving thread never pauses.
         */
        SHADOW,

        /**
         * The live instance in the serving thread's {@link SystemImage#doWork()}: a pause as long as the snapshot.
         */
        INLINE
    }

    /**
     * When the journal is forced to storage, for power-loss durability. A process crash loses nothing either way.
     */
    public enum ForcePolicy
    {
        /**
         * Never by the image (the OS writes pages back in its own time): for tmpfs, or when a power loss may lose
         * the last seconds.
         */
        NONE,

        /**
         * Group commit: {@link SystemImage#doWork()} forces what was journaled since the last force once per
         * {@link Context#forceIntervalNs(long)}. {@link SystemImage#forcedPosition()} says how far commands survive
         * a power loss, for a service that releases replies only once forced.
         */
        GROUP,

        /**
         * Every command is forced before it is applied: the slowest, on a disk.
         */
        EACH_COMMAND,

        /**
         * Group commit off the serving thread: the {@link SystemImage#forceAgent()}, run on a thread of its own,
         * forces what was journaled since its last force (at most once per {@link Context#forceIntervalNs(long)})
         * and then publishes {@link SystemImage#forcedPosition()}. Submit never waits for the storage; a command
         * survives a power loss once the forced position has reached its position.
         */
        GROUP_ON_AGENT
    }

    private final Context ctx;
    private final JournalWriter journal;
    private final StateMachine stateMachine;
    private final SnapshotStore inlineStore;
    private final ShadowSnapshotAgent shadow;
    private final AgentRunner shadowRunner;
    private final boolean helpersOnShadowThread;
    private final GroupCommitAgent groupCommit;
    private final UnsafeBuffer journaledView = new UnsafeBuffer(0, 0);
    private final CommandClaim submitClaim = new CommandClaim();
    private final ForcePolicy forcePolicy;
    private final long forceIntervalNs;
    private final long snapshotIntervalBytes;
    private final NanoClock nanoClock;
    private final long recoveredSnapshotPosition;
    private final long recoverySnapshotPosition;
    private final long replayedRecords;
    private long forcedPosition;
    private long lastForceNs;
    private long lastRequestedPosition;
    private long inlineSnapshotPosition;
    private long inlineSnapshotCount;
    private volatile boolean isSnapshotRequested;
    private volatile Throwable shadowError;
    private boolean isClosed;

    private SystemImage(
        final Context ctx,
        final JournalWriter journal,
        final StateMachine stateMachine,
        final SnapshotStore inlineStore,
        final ShadowSnapshotAgent shadow,
        final long recoveredSnapshotPosition,
        final long recoverySnapshotPosition,
        final long replayedRecords)
    {
        this.ctx = ctx;
        this.journal = journal;
        this.stateMachine = stateMachine;
        this.inlineStore = inlineStore;
        this.shadow = shadow;
        this.recoveredSnapshotPosition = recoveredSnapshotPosition;
        this.recoverySnapshotPosition = recoverySnapshotPosition;
        this.replayedRecords = replayedRecords;
        final long newestSnapshotPosition = Math.max(recoveredSnapshotPosition, recoverySnapshotPosition);
        this.forcePolicy = ctx.forcePolicy();
        this.forceIntervalNs = ctx.forceIntervalNs();
        this.snapshotIntervalBytes = ctx.snapshotIntervalBytes();
        this.nanoClock = ctx.nanoClock();
        // Known forced at launch: the journal up to the newest snapshot, which forced it before it was written.
        this.forcedPosition = Math.max(0, newestSnapshotPosition);
        this.groupCommit = ForcePolicy.GROUP_ON_AGENT != forcePolicy ? null : new GroupCommitAgent(
            journal.folder(), journal.segmentCapacity(), nanoClock, forceIntervalNs, forcedPosition,
            journal.position());
        this.lastForceNs = nanoClock.nanoTime();
        this.lastRequestedPosition = Math.max(0, newestSnapshotPosition);
        this.inlineSnapshotPosition = newestSnapshotPosition;
        this.submitClaim.image = this;
        this.helpersOnShadowThread = null != shadow && ctx.helpersOnShadowThread();
        this.shadowRunner = null == shadow ? null :
            new AgentRunner(ctx.shadowIdleStrategy(), this::onShadowError, null, shadowThreadAgent(ctx, shadow));
    }

    /**
     * Open an image, creating it when its folder holds no journal, and recover its state: the newest complete
     * snapshot, then the journal after it, then, after a replay longer than
     * {@link Context#recoverySnapshotThresholdBytes(long)}, a recovery snapshot at the journal's end (which the shadow
     * starts from). In shadow mode the shadow's thread is started.
     *
     * @param ctx configuration, concluded by this call.
     * @return the image, its state recovered, ready to serve.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when another live image holds the
     *                          journal, {@link ChannelException.Reason#TRUNCATED} when no snapshot is usable and the
     *                          journal does not start at 0, {@link ChannelException.Reason#CORRUPT} when the journal
     *                          cannot be replayed, any reason opening the journal throws, or any reason writing the
     *                          recovery snapshot throws (a launch killed while writing it leaves a partial file that
     *                          the next launch ignores).
     */
    public static SystemImage launch(final Context ctx)
    {
        ctx.conclude();
        final Path imageFolder = ctx.imageFolder();
        final Path journalFolder = ImageDescriptor.journalFolder(imageFolder);
        // A journal keeps its context and reads it for its life (its conclude() fills in defaults too): it gets a
        // copy, so this context can be changed and launched again without touching a running journal.
        final JournalWriter.Context journalCtx = ctx.journalContext().clone();
        final boolean exists = Files.isDirectory(journalFolder) && hasSegment(journalFolder);
        final JournalWriter journal = exists ? JournalWriter.resume(journalCtx) : JournalWriter.create(journalCtx);

        SnapshotStore store = null;
        ShadowSnapshotAgent shadow = null;
        try
        {
            store = new SnapshotStore(imageFolder, journal.segmentCapacity(), ctx.epochClock(),
                ctx.snapshotsKept(), ctx.snapshotInitialCapacity());
            final long journalEnd = journal.position();
            // A standby's state machine is at the journal's end already when its position is the end the writer
            // resumed at (the mirror's last record): no snapshot load, no replay. Taken once, whatever happens.
            final StateMachine handedOver =
                isJournalEnd(journalFolder, journal.segmentCapacity(), ctx.handedOverPosition, journalEnd) ?
                ctx.handedOverStateMachine : null;
            ctx.handedOverStateMachine = null;
            ctx.handedOverPosition = -1;
            final StateMachine stateMachine = null != handedOver ? handedOver : ctx.stateMachineSupplier().get();
            final long snapshotPosition = store.recover(
                null != handedOver ? null : stateMachine, journal.oldestSegmentBase(), journalEnd);
            store.prune(); // and protect the journal from the oldest kept snapshot on, from now
            final long replayed = null != handedOver ? 0 :
                replay(ctx, journalFolder, stateMachine, Math.max(0, snapshotPosition), journalEnd);
            // A long replay means the snapshots did not keep up before the process stopped: save the recovered state
            // now, before serving, by the same store.write as every snapshot, so the next replay starts here.
            long recoverySnapshotPosition = -1;
            if (journalEnd - Math.max(0, snapshotPosition) > ctx.recoverySnapshotThresholdBytes())
            {
                store.write(stateMachine, journalEnd); // -1 only when a complete one is there already: as good
                recoverySnapshotPosition = journalEnd;
            }
            final long newestSnapshotPosition = Math.max(snapshotPosition, recoverySnapshotPosition);
            final long startPosition = Math.max(0, newestSnapshotPosition);

            if (SnapshotMode.SHADOW == ctx.snapshotMode())
            {
                final JournalReader reader = JournalReader.open(new JournalReader.Context()
                    .folder(journalFolder)
                    .name(ShadowSnapshotAgent.READER_NAME)
                    .protectRetention(false)
                    .mappingReleaser(ctx.mappingReleaser())
                    .epochClock(ctx.epochClock()));
                try
                {
                    reader.seek(startPosition);
                }
                catch (final RuntimeException ex)
                {
                    reader.close();
                    throw ex;
                }
                shadow = new ShadowSnapshotAgent(ctx.stateMachineSupplier().get(), store, reader,
                    newestSnapshotPosition < 0 ? null : ImageDescriptor.snapshotsFolder(imageFolder)
                        .resolve(ImageDescriptor.snapshotFileName(newestSnapshotPosition)), startPosition,
                    ctx.snapshotIntervalBytes());
                store = null; // the shadow's thread owns it from here
            }

            final SystemImage image = new SystemImage(
                ctx, journal, stateMachine, store, shadow, snapshotPosition, recoverySnapshotPosition, replayed);
            if (null != image.shadowRunner)
            {
                if (null == ctx.shadowThreadFactory())
                {
                    AgentRunner.startOnThread(image.shadowRunner);
                }
                else
                {
                    AgentRunner.startOnThread(image.shadowRunner, ctx.shadowThreadFactory());
                }
            }
            return image;
        }
        catch (final RuntimeException ex)
        {
            if (null != shadow)
            {
                shadow.onClose();
            }
            journal.detach();
            throw ex;
        }
    }

    /**
     * Journal a command, then apply the journaled bytes to the state machine. Allocates nothing.
     *
     * @param msgTypeId of the command, not negative.
     * @param buffer    holding the command.
     * @param offset    of the command in buffer.
     * @param length    of the command.
     * @return the journal position after the command (the image's new position), or {@link #RECORD_TOO_LONG},
     * {@link #JOURNAL_CLOSED}, {@link #JOURNAL_TAKEN_OVER} or {@link #ROLL_FAILED}, when nothing was journaled or
     * applied.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding.
     */
    public long submit(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        final CommandClaim claim = submitClaim;
        final long result = tryClaim(msgTypeId, length, claim);
        if (result < 0)
        {
            return result;
        }
        claim.buffer().putBytes(0, buffer, offset, length);
        return commit(claim, length);
    }

    /**
     * Claim room in the journal for a command to encode in place; then {@link CommandClaim#commit()}, which journals
     * and applies it, or {@link CommandClaim#abort()}, before the next submit or claim.
     *
     * @param msgTypeId of the command, not negative.
     * @param length    of the command to claim.
     * @param claim     to wrap around the claimed payload.
     * @return the journal position the command will end at once committed, or {@link #RECORD_TOO_LONG},
     * {@link #JOURNAL_CLOSED}, {@link #JOURNAL_TAKEN_OVER} or {@link #ROLL_FAILED}.
     * @throws IllegalArgumentException if msgTypeId or length is negative.
     * @throws IllegalStateException    if a claim is outstanding.
     */
    public long tryClaim(final int msgTypeId, final int length, final CommandClaim claim)
    {
        final long result = journal.tryClaim(msgTypeId, length, claim.recordClaim);
        if (result >= 0)
        {
            if (claim.image != this)
            {
                claim.image = this;
            }
            claim.msgTypeId = msgTypeId;
        }
        return result;
    }

    long commit(final CommandClaim claim, final int length)
    {
        final UnsafeBuffer view = journaledView;
        view.wrap(claim.recordClaim.buffer(), 0, length); // the journaled bytes, before the claim lets go of them
        claim.recordClaim.commit(length);
        final long position = journal.position();
        if (null != groupCommit)
        {
            groupCommit.written(position);
        }
        else if (ForcePolicy.EACH_COMMAND == forcePolicy)
        {
            journal.force();
            forcedPosition = position;
        }
        stateMachine.apply(position, claim.msgTypeId, view, 0, length);
        return position;
    }

    /**
     * The serving duty cycle: the journal's (heartbeat, next segment ahead of need, retention), group commit, and
     * snapshot requests, written here in inline mode.
     *
     * @return the amount of work done.
     */
    public int doWork()
    {
        if (isClosed)
        {
            return 0;
        }
        int workCount = journal.doWork();
        final long position = journal.position();
        if (ForcePolicy.GROUP == forcePolicy && position > forcedPosition)
        {
            final long nowNs = nanoClock.nanoTime();
            if (nowNs - lastForceNs >= forceIntervalNs)
            {
                journal.force();
                forcedPosition = position;
                lastForceNs = nowNs;
                workCount++;
            }
        }

        if (isSnapshotRequested ||
            (snapshotIntervalBytes > 0 && position - lastRequestedPosition >= snapshotIntervalBytes))
        {
            isSnapshotRequested = false;
            lastRequestedPosition = position;
            workCount++;
            if (null != shadow)
            {
                shadow.request(position);
            }
            else if (position != inlineSnapshotPosition)
            {
                if (inlineStore.write(stateMachine, position) >= 0)
                {
                    inlineSnapshotCount++;
                }
                inlineSnapshotPosition = position;
            }
        }

        return workCount;
    }

    /**
     * Ask for a snapshot at the current position, taken by the next {@link #doWork()} (inline) or by the shadow once
     * it has applied that far. Any thread.
     */
    public void requestSnapshot()
    {
        isSnapshotRequested = true;
    }

    /**
     * Journal position after the last command applied.
     *
     * @return the position.
     */
    public long position()
    {
        return journal.position();
    }

    /**
     * Journal position up to which commands were forced to storage by this image: they survive a power loss. It only
     * grows, and is never ahead of {@link #position()}. At launch it is the recovered snapshot's position (0 without
     * one): what recovery knows was forced. With {@link ForcePolicy#GROUP_ON_AGENT} it is published by the
     * {@link #forceAgent()} and may be read from any thread; otherwise only from the serving thread.
     *
     * @return the position.
     */
    public long forcedPosition()
    {
        return null != groupCommit ? groupCommit.durablePosition() : forcedPosition;
    }

    /**
     * The agent that forces the journal and publishes {@link #forcedPosition()} for
     * {@link ForcePolicy#GROUP_ON_AGENT}: run it on a thread other than the serving one, for example with an
     * {@link AgentRunner} beside the {@link #segmentCreator()} and the {@link Context#mappingReleaser()}. On a disk
     * each of its forces waits for the storage, so give it a thread where that wait harms nothing.
     *
     * @return the agent.
     * @throws IllegalStateException when the force policy is another.
     */
    public Agent forceAgent()
    {
        if (null == groupCommit)
        {
            throw new IllegalStateException("the journal is forced by the serving thread or not at all: set " +
                "Context.forcePolicy(ForcePolicy.GROUP_ON_AGENT) to force it on an agent, forcePolicy=" + forcePolicy);
        }
        return groupCommit;
    }

    /**
     * The agent that creates the journal's next segment ahead of need, for an image whose context said
     * {@link Context#createSegmentsOnAgent(boolean)}: run it on a thread other than the serving one (see
     * {@link JournalWriter#segmentCreator()}), so that no roll allocates and pre-touches a segment on the serving
     * thread.
     * <pre>{@code
     * final MappingReleaser releaser = new MappingReleaser();
     * final SystemImage image = SystemImage.launch(new SystemImage.Context()
     *     .imageFolder(folder).stateMachineSupplier(OrderBook::new)
     *     .createSegmentsOnAgent(true).mappingReleaser(releaser));
     * final AgentRunner helpers = new AgentRunner(new SleepingMillisIdleStrategy(1), Throwable::printStackTrace,
     *     null, new CompositeAgent(image.segmentCreator(), releaser));
     * AgentRunner.startOnThread(helpers);
     * // serve; then close the image first, the helpers' runner after it
     * }</pre>
     *
     * @return the agent.
     * @throws IllegalStateException when the context did not ask for it.
     */
    public Agent segmentCreator()
    {
        if (helpersOnShadowThread)
        {
            throw new IllegalStateException("the shadow's thread runs the segment creator: " +
                "Context.helpersOnShadowThread(true)");
        }
        return journal.segmentCreator();
    }

    /**
     * Journal segments the serving thread had to create itself at a roll, because none was ready (see
     * {@link JournalWriter#inlineSegmentCreations()}): 0 when the segment creator or the duty cycle keep ahead.
     *
     * @return the count.
     */
    public long inlineSegmentCreations()
    {
        return journal.inlineSegmentCreations();
    }

    /**
     * Rolls of the journal into a new segment since launch.
     *
     * @return the count.
     */
    public long journalRolls()
    {
        return journal.rolls();
    }

    /**
     * Position of the newest snapshot written since launch, or recovered from. Any thread.
     *
     * @return the position, or -1 when there is none.
     */
    public long snapshotPosition()
    {
        return null != shadow ? shadow.snapshotPosition() : inlineSnapshotPosition;
    }

    /**
     * Position of the last snapshot the image asked for (every {@link Context#snapshotIntervalBytes(long)} of journal,
     * or after {@link #requestSnapshot()}) once {@link #doWork()} has passed the request on: it is written when
     * {@link #snapshotPosition()} reaches it. A service that stops cleanly may wait for that before {@link #close()},
     * which stops the shadow wherever it is, so that the next launch replays less. Any thread.
     *
     * @return the position, or -1 when none was asked for since launch.
     */
    public long requestedSnapshotPosition()
    {
        return null != shadow ? shadow.requestedPosition() : inlineSnapshotPosition;
    }

    /**
     * Snapshots written since launch, not counting the {@link #recoverySnapshotPosition() recovery snapshot}. Any
     * thread.
     *
     * @return the count.
     */
    public long snapshotCount()
    {
        return null != shadow ? shadow.snapshotCount() : inlineSnapshotCount;
    }

    /**
     * Snapshots that failed since launch (shadow mode; inline failures are thrown by {@link #doWork()}).
     *
     * @return the count.
     */
    public long snapshotFailureCount()
    {
        return null != shadow ? shadow.failureCount() : 0;
    }

    /**
     * Why the last shadow snapshot failed.
     *
     * @return the failure, or null.
     */
    public Throwable lastSnapshotFailure()
    {
        return null != shadow ? shadow.lastFailure() : null;
    }

    /**
     * Journal position the shadow instance has applied up to (shadow mode). Any thread.
     *
     * @return the position, or the image's own position in inline mode.
     */
    public long shadowPosition()
    {
        return null != shadow ? shadow.appliedPosition() : journal.position();
    }

    /**
     * Position of the snapshot this image recovered from at launch.
     *
     * @return the position, or -1 when it started from an empty state.
     */
    public long recoveredSnapshotPosition()
    {
        return recoveredSnapshotPosition;
    }

    /**
     * Position of the recovery snapshot launch wrote after replaying more than
     * {@link Context#recoverySnapshotThresholdBytes(long)} (the journal's end at launch): the next launch replays from
     * it. Not counted in {@link #snapshotCount()}.
     *
     * @return the position, or -1 when the replay was not longer than the threshold and none was written.
     */
    public long recoverySnapshotPosition()
    {
        return recoverySnapshotPosition;
    }

    /**
     * Journal records replayed at launch after the snapshot.
     *
     * @return the count.
     */
    public long replayedRecords()
    {
        return replayedRecords;
    }

    /**
     * The live state machine, for queries on the serving thread (and outputs wired after launch, so that replay at
     * launch emits nothing).
     *
     * @return the live instance.
     */
    public StateMachine stateMachine()
    {
        return stateMachine;
    }

    /**
     * Folder of the image.
     *
     * @return the folder.
     */
    public Path imageFolder()
    {
        return ctx.imageFolder();
    }

    /**
     * Stop the shadow's thread, force the journal (unless the policy is {@link ForcePolicy#NONE}) and detach from it
     * without an end marker, so the next {@link #launch(Context)} carries on. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            CloseHelper.quietClose(shadowRunner);
            try
            {
                if (ForcePolicy.NONE != forcePolicy)
                {
                    journal.force();
                    forcedPosition = journal.position();
                    if (null != groupCommit)
                    {
                        groupCommit.forced(forcedPosition);
                    }
                }
            }
            finally
            {
                journal.detach();
            }
        }
    }

    /**
     * Close the image when the agent running it closes.
     */
    public void onClose()
    {
        close();
    }

    /**
     * Role name of the serving agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-image";
    }

    /**
     * What the shadow's thread runs: the shadow, and with {@link Context#helpersOnShadowThread(boolean)} the
     * journal's segment creator and the mapping releaser beside it, so that a machine with one core beside the serving
     * thread has one busy helper thread, not two taking turns with the serving thread.
     */
    private Agent shadowThreadAgent(final Context ctx, final ShadowSnapshotAgent shadow)
    {
        if (!ctx.helpersOnShadowThread())
        {
            return shadow;
        }
        return null == ctx.mappingReleaser() ?
            new CompositeAgent(shadow, journal.segmentCreator()) :
            new CompositeAgent(shadow, journal.segmentCreator(), ctx.mappingReleaser());
    }

    private void onShadowError(final Throwable error)
    {
        // The shadow counts its snapshot failures itself; anything else that escapes its duty cycle is kept here.
        shadowError = error;
    }

    /**
     * An error that escaped the shadow's duty cycle (an exception from the state machine's apply, say).
     *
     * @return the error, or null.
     */
    public Throwable shadowError()
    {
        return shadowError;
    }

    private static boolean hasSegment(final Path journalFolder)
    {
        try (var files = Files.newDirectoryStream(journalFolder, "*" + JournalDescriptor.SEGMENT_SUFFIX))
        {
            for (final Path file : files)
            {
                if (JournalDescriptor.parseSegmentBase(file.getFileName().toString()) >= 0)
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            throw new ChannelException(ChannelException.Reason.IO_ERROR,
                "cannot list journal folder " + journalFolder + ": " + ex, ex);
        }
    }

    /**
     * Whether a standby's applied position is the journal's end: the same number, or the other name of one place
     * (a standby that stopped at the last record of a segment whose roll the mirror had not finished, and a resume
     * that completed that roll and writes on at the next base).
     */
    private static boolean isJournalEnd(
        final Path journalFolder, final long segmentCapacity, final long position, final long journalEnd)
    {
        if (position == journalEnd)
        {
            return true;
        }
        if (position < 0 || 0 != JournalDescriptor.segmentOffset(journalEnd, segmentCapacity) ||
            JournalDescriptor.segmentBase(position, segmentCapacity) != journalEnd - segmentCapacity)
        {
            return false; // not in the segment right before an end at a base: no reader needed to tell
        }
        try
        {
            return ImageFolder.nextBaseWhenRolledAt(journalFolder, position) == journalEnd;
        }
        catch (final IllegalArgumentException ex)
        {
            return false; // not a record end of this journal: the standby followed another
        }
    }

    /**
     * Apply the journal from a position to its end through the same {@link StateMachine#apply} as live commands.
     */
    static long replay(
        final Context ctx,
        final Path journalFolder,
        final StateMachine stateMachine,
        final long from,
        final long to)
    {
        final Replayer replayer = new Replayer(stateMachine, to);
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(journalFolder)
            .epochClock(ctx.epochClock())))
        {
            replayer.reader = reader;
            reader.seek(from);
            while (reader.position() < to)
            {
                if (0 == reader.poll(replayer, 4096))
                {
                    final JournalState state = reader.state();
                    if (reader.position() < to && JournalState.OPEN != state)
                    {
                        throw new ChannelException(ChannelException.Reason.CORRUPT, "journal cannot be replayed: " +
                            "state=" + state + ", position=" + reader.position() + ", end=" + to +
                            (null == reader.corruption() ? "" : ", " + reader.corruption()));
                    }
                }
            }
        }
        return replayer.count;
    }

    private static final class Replayer implements RecordHandler
    {
        private final StateMachine stateMachine;
        private final long to;
        private JournalReader reader;
        private long count;

        Replayer(final StateMachine stateMachine, final long to)
        {
            this.stateMachine = stateMachine;
            this.to = to;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long position = reader.position();
            if (position <= to) // a live writer (a test's, a tool's view) may have appended past the end asked for
            {
                stateMachine.apply(position, msgTypeId, buffer, offset, length);
                count++;
            }
        }
    }

    /**
     * Configuration of an image, validated once by {@link #conclude()}.
     */
    public static final class Context
    {
        /**
         * Default journal bytes between two snapshots: 64 MiB.
         */
        public static final long DEFAULT_SNAPSHOT_INTERVAL_BYTES = 64L * 1024 * 1024;

        /**
         * Default number of complete snapshots kept.
         */
        public static final int DEFAULT_SNAPSHOTS_KEPT = 3;

        /**
         * Default capacity of the first snapshot file; later ones are sized from the last: 1 MiB.
         */
        public static final long DEFAULT_SNAPSHOT_INITIAL_CAPACITY = 1024 * 1024;

        /**
         * Default group commit interval: 1 ms.
         */
        public static final long DEFAULT_FORCE_INTERVAL_NS = 1_000_000;

        /**
         * {@link #recoverySnapshotThresholdBytes(long)} value that takes the threshold from the snapshot interval:
         * {@link #RECOVERY_SNAPSHOT_INTERVALS} intervals, or never when snapshots are on request only. The default.
         */
        public static final long RECOVERY_SNAPSHOT_THRESHOLD_FROM_INTERVAL = -1;

        /**
         * Snapshot intervals of replay after which launch writes a recovery snapshot, by default: 2. A restart whose
         * shadow kept up replays less than one interval plus the shadow's lag, and pays no pause; more than two means
         * the snapshots stopped keeping up (the process was killed before its shadow caught up), and one snapshot
         * written before serving, the same work the shadow does every interval, caps the next replay.
         */
        public static final int RECOVERY_SNAPSHOT_INTERVALS = 2;

        private Path imageFolder;
        private Supplier<? extends StateMachine> stateMachineSupplier;
        private SnapshotMode snapshotMode = SnapshotMode.SHADOW;
        private long snapshotIntervalBytes = DEFAULT_SNAPSHOT_INTERVAL_BYTES;
        private int snapshotsKept = DEFAULT_SNAPSHOTS_KEPT;
        private long snapshotInitialCapacity = DEFAULT_SNAPSHOT_INITIAL_CAPACITY;
        private final JournalWriter.Context journalContext = new JournalWriter.Context();
        private Path concludedJournalFolder;
        private ForcePolicy forcePolicy = ForcePolicy.NONE;
        private long forceIntervalNs = DEFAULT_FORCE_INTERVAL_NS;
        private long recoverySnapshotThresholdBytes = RECOVERY_SNAPSHOT_THRESHOLD_FROM_INTERVAL;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private IdleStrategy shadowIdleStrategy;
        private ThreadFactory shadowThreadFactory;
        private boolean helpersOnShadowThread;
        private StateMachine handedOverStateMachine;
        private long handedOverPosition = -1;

        /**
         * Validate the configuration and fill in defaults.
         *
         * @return this for a fluent API.
         * @throws IllegalArgumentException when the folder or supplier is not set, or a number is out of range.
         */
        public Context conclude()
        {
            if (null == imageFolder)
            {
                throw new IllegalArgumentException("imageFolder must be set");
            }
            if (null == stateMachineSupplier)
            {
                throw new IllegalArgumentException("stateMachineSupplier must be set");
            }
            final Path journalFolder = ImageDescriptor.journalFolder(imageFolder);
            final Path folder = journalContext.folder();
            if (null != folder && !folder.equals(concludedJournalFolder) &&
                !folder.toAbsolutePath().normalize().equals(journalFolder.toAbsolutePath().normalize()))
            {
                throw new IllegalArgumentException("the journal's folder is the image's, not set apart: expected=" +
                    journalFolder + ", actual=" + folder);
            }
            journalContext.folder(journalFolder);
            concludedJournalFolder = journalFolder;
            if (snapshotIntervalBytes < 0)
            {
                throw new IllegalArgumentException(
                    "snapshotIntervalBytes must not be negative: snapshotIntervalBytes=" + snapshotIntervalBytes);
            }
            if (snapshotsKept < 1)
            {
                throw new IllegalArgumentException("snapshotsKept must be at least 1: snapshotsKept=" + snapshotsKept);
            }
            if (snapshotInitialCapacity < 64 || (snapshotInitialCapacity & 7) != 0)
            {
                throw new IllegalArgumentException("snapshotInitialCapacity must be a multiple of 8, at least 64: " +
                    "snapshotInitialCapacity=" + snapshotInitialCapacity);
            }
            if (forceIntervalNs < 0)
            {
                throw new IllegalArgumentException("forceIntervalNs must not be negative: forceIntervalNs=" +
                    forceIntervalNs);
            }
            if (recoverySnapshotThresholdBytes < RECOVERY_SNAPSHOT_THRESHOLD_FROM_INTERVAL)
            {
                throw new IllegalArgumentException("recoverySnapshotThresholdBytes must be -1 (from the interval) " +
                    "or not negative: recoverySnapshotThresholdBytes=" + recoverySnapshotThresholdBytes);
            }
            if (null == shadowIdleStrategy)
            {
                shadowIdleStrategy = new BackoffIdleStrategy();
            }
            if (helpersOnShadowThread && (SnapshotMode.SHADOW != snapshotMode || !createSegmentsOnAgent()))
            {
                throw new IllegalArgumentException("helpersOnShadowThread needs snapshotMode SHADOW and " +
                    "createSegmentsOnAgent(true): snapshotMode=" + snapshotMode + ", createSegmentsOnAgent=" +
                    createSegmentsOnAgent());
            }
            return this;
        }

        /**
         * Folder of the image: its journal and snapshots go in sub-folders (see {@link ImageDescriptor}).
         *
         * @param imageFolder the folder, created when missing.
         * @return this for a fluent API.
         */
        public Context imageFolder(final Path imageFolder)
        {
            this.imageFolder = imageFolder;
            return this;
        }

        /**
         * Folder of the image.
         *
         * @return the folder.
         */
        public Path imageFolder()
        {
            return imageFolder;
        }

        /**
         * The journal's settings, held by this context: the image's journal is a {@link JournalWriter} created or
         * resumed at launch with a copy of it (so changing it later never touches a running journal). The journal
         * settings of this context ({@link #segmentCapacity(long)}, {@link #maxRecordLength(int)},
         * {@link #retainedSegments(int)}, {@link #preTouch(boolean)},
         * {@link #createSegmentsOnAgent(boolean)}, {@link #mappingReleaser(MappingReleaser)},
         * {@link #epochClock(EpochClock)}) set and read the same object; the others are set on it directly:
         * <pre>{@code
         * final SystemImage.Context ctx = new SystemImage.Context().imageFolder(dir).stateMachineSupplier(Book::new);
         * ctx.journalContext().retainedBytes(8L << 30).recycleSegments(true);
         * }</pre>
         * Its folder is the image's journal folder ({@link ImageDescriptor#journalFolder(Path)}), set by
         * {@link #conclude()}: another one is an error. Retention never deletes a segment from the oldest kept snapshot
         * on, which a protecting named reader holds, except under a hard cap
         * ({@link JournalWriter.Context#hardCapSegments(int)}), which deletes it anyway.
         *
         * @return the journal's context.
         */
        public JournalWriter.Context journalContext()
        {
            return journalContext;
        }

        /**
         * Makes fresh, empty state machines: the live one, and in shadow mode the shadow.
         *
         * @param stateMachineSupplier the factory.
         * @return this for a fluent API.
         */
        public Context stateMachineSupplier(final Supplier<? extends StateMachine> stateMachineSupplier)
        {
            this.stateMachineSupplier = stateMachineSupplier;
            return this;
        }

        /**
         * Launch from a closed standby's state machine, as it is, rather than from a snapshot and a replay: the
         * takeover's pause then no longer grows with the journal after the newest snapshot. Used by the next
         * {@link SystemImage#launch} only, and only when the journal's writer resumes exactly at the position the
         * standby applied up to, or at the next segment's base when the standby stopped at a rolled segment's last
         * record ({@link ImageFolder#nextBaseWhenRolledAt}: one place, two names). Otherwise, the standby lagging or
         * the journal not the one it followed, a fresh instance recovers as usual and the standby's is dropped.
         * The snapshots are found as at any launch (the
         * newest complete one protects the journal and starts the shadow), none is loaded into the live instance.
         * Launch on the thread that ran the standby (or after a happens-before with it): the instance becomes the
         * image's, applied to by its serving thread from then on.
         *
         * @param standby closed, after {@link StandbyImage#doWork()} returned 0 with the journal's writer stopped.
         * @return this for a fluent API.
         * @throws IllegalStateException when the standby is not closed or has failed: its state is not the journal's.
         */
        public Context takeOverFrom(final StandbyImage standby)
        {
            if (!standby.isClosed() || null != standby.failure())
            {
                throw new IllegalStateException("a standby hands its state machine over once closed and not " +
                    "failed: closed=" + standby.isClosed() + ", failure=" + standby.failure());
            }
            handedOverStateMachine = standby.stateMachine();
            handedOverPosition = standby.appliedPosition();
            return this;
        }

        /**
         * Makes fresh state machines.
         *
         * @return the factory.
         */
        public Supplier<? extends StateMachine> stateMachineSupplier()
        {
            return stateMachineSupplier;
        }

        /**
         * Who writes snapshots; {@link SnapshotMode#SHADOW} by default.
         *
         * @param snapshotMode the mode.
         * @return this for a fluent API.
         */
        public Context snapshotMode(final SnapshotMode snapshotMode)
        {
            this.snapshotMode = snapshotMode;
            return this;
        }

        /**
         * Who writes snapshots.
         *
         * @return the mode.
         */
        public SnapshotMode snapshotMode()
        {
            return snapshotMode;
        }

        /**
         * Journal bytes between two snapshots; 0 for snapshots on request only.
         *
         * @param snapshotIntervalBytes the interval.
         * @return this for a fluent API.
         */
        public Context snapshotIntervalBytes(final long snapshotIntervalBytes)
        {
            this.snapshotIntervalBytes = snapshotIntervalBytes;
            return this;
        }

        /**
         * Journal bytes between two snapshots.
         *
         * @return the interval, 0 when on request only.
         */
        public long snapshotIntervalBytes()
        {
            return snapshotIntervalBytes;
        }

        /**
         * Complete snapshots kept, at least 1; older ones are deleted, and the journal is kept from the oldest kept
         * one on.
         *
         * @param snapshotsKept how many.
         * @return this for a fluent API.
         */
        public Context snapshotsKept(final int snapshotsKept)
        {
            this.snapshotsKept = snapshotsKept;
            return this;
        }

        /**
         * Complete snapshots kept.
         *
         * @return how many.
         */
        public int snapshotsKept()
        {
            return snapshotsKept;
        }

        /**
         * Capacity of the first snapshot file, a multiple of 8; a snapshot that does not fit is written again into
         * a file twice as large, and later ones are sized from the last.
         *
         * @param snapshotInitialCapacity in bytes.
         * @return this for a fluent API.
         */
        public Context snapshotInitialCapacity(final long snapshotInitialCapacity)
        {
            this.snapshotInitialCapacity = snapshotInitialCapacity;
            return this;
        }

        /**
         * Capacity of the first snapshot file.
         *
         * @return bytes.
         */
        public long snapshotInitialCapacity()
        {
            return snapshotInitialCapacity;
        }

        /**
         * Segment capacity of a new journal (see {@link JournalWriter.Context#segmentCapacity(long)}); sets it on
         * {@link #journalContext()}, as the other journal settings here do.
         *
         * @param segmentCapacity a power of two.
         * @return this for a fluent API.
         */
        public Context segmentCapacity(final long segmentCapacity)
        {
            journalContext.segmentCapacity(segmentCapacity);
            return this;
        }

        /**
         * Segment capacity of a new journal.
         *
         * @return bytes.
         */
        public long segmentCapacity()
        {
            return journalContext.segmentCapacity();
        }

        /**
         * Longest command of a new journal; by default the journal's default.
         *
         * @param maxRecordLength in bytes.
         * @return this for a fluent API.
         */
        public Context maxRecordLength(final int maxRecordLength)
        {
            journalContext.maxRecordLength(maxRecordLength);
            return this;
        }

        /**
         * Longest command of a new journal.
         *
         * @return bytes, or -1 for the journal's default.
         */
        public int maxRecordLength()
        {
            return journalContext.maxRecordLength();
        }

        /**
         * Sealed journal segments kept besides the one written (see
         * {@link JournalWriter.Context#retainedSegments(int)}); never one after the oldest kept snapshot, which
         * protects them. 0, the default, keeps every segment.
         *
         * @param retainedSegments how many.
         * @return this for a fluent API.
         */
        public Context retainedSegments(final int retainedSegments)
        {
            journalContext.retainedSegments(retainedSegments);
            return this;
        }

        /**
         * Sealed journal segments kept.
         *
         * @return how many, 0 for all.
         */
        public int retainedSegments()
        {
            return journalContext.retainedSegments();
        }

        /**
         * Whether journal segments are pre-touched when created; on by default.
         *
         * @param preTouch true to pre-touch.
         * @return this for a fluent API.
         */
        public Context preTouch(final boolean preTouch)
        {
            journalContext.preTouch(preTouch);
            return this;
        }

        /**
         * Whether journal segments are pre-touched.
         *
         * @return true when they are.
         */
        public boolean preTouch()
        {
            return journalContext.preTouch();
        }

        /**
         * Whether the journal's next segment is created (allocated, pre-touched) by the image's
         * {@link SystemImage#segmentCreator()} agent, run on another thread, rather than by the serving thread's
         * duty cycle; off by default. See {@link JournalWriter.Context#createSegmentsOnAgent(boolean)}.
         *
         * @param createSegmentsOnAgent true to create segments on the agent.
         * @return this for a fluent API.
         */
        public Context createSegmentsOnAgent(final boolean createSegmentsOnAgent)
        {
            journalContext.createSegmentsOnAgent(createSegmentsOnAgent);
            return this;
        }

        /**
         * Whether the journal's next segment is created by the segment creator agent.
         *
         * @return true when it is.
         */
        public boolean createSegmentsOnAgent()
        {
            return journalContext.createSegmentsOnAgent();
        }

        /**
         * Where the journal segments the image rolls from get unmapped, by its writer and its shadow's reader: by
         * default (null) at once, on the thread that rolled; with a {@link MappingReleaser}, on the thread that runs
         * it (the caller runs it, for example beside the {@link SystemImage#segmentCreator()}), which keeps the
         * milliseconds of unmapping a segment off the serving thread. The replay at launch unmaps at once.
         *
         * @param mappingReleaser to hand mappings to, or null to unmap at once.
         * @return this for a fluent API.
         */
        public Context mappingReleaser(final MappingReleaser mappingReleaser)
        {
            journalContext.mappingReleaser(mappingReleaser);
            return this;
        }

        /**
         * Where the journal segments the image rolls from get unmapped.
         *
         * @return the releaser, or null when they are unmapped at once.
         */
        public MappingReleaser mappingReleaser()
        {
            return journalContext.mappingReleaser();
        }

        /**
         * When the journal is forced; {@link ForcePolicy#NONE} by default, as for a journal: a process crash loses
         * nothing, a power loss what the OS had not written back. {@link ForcePolicy#GROUP} forces on the serving
         * thread, which waits for the storage once per interval: on a disk that is milliseconds;
         * {@link ForcePolicy#GROUP_ON_AGENT} forces on the {@link SystemImage#forceAgent()}'s thread instead.
         *
         * @param forcePolicy the policy.
         * @return this for a fluent API.
         */
        public Context forcePolicy(final ForcePolicy forcePolicy)
        {
            this.forcePolicy = forcePolicy;
            return this;
        }

        /**
         * When the journal is forced.
         *
         * @return the policy.
         */
        public ForcePolicy forcePolicy()
        {
            return forcePolicy;
        }

        /**
         * Group commit interval of {@link ForcePolicy#GROUP} and {@link ForcePolicy#GROUP_ON_AGENT}.
         *
         * @param forceIntervalNs nanoseconds from one force to the next at least; 0 forces in every duty cycle that
         *                        has something to force.
         * @return this for a fluent API.
         */
        public Context forceIntervalNs(final long forceIntervalNs)
        {
            this.forceIntervalNs = forceIntervalNs;
            return this;
        }

        /**
         * Group commit interval.
         *
         * @return nanoseconds.
         */
        public long forceIntervalNs()
        {
            return forceIntervalNs;
        }

        /**
         * Journal bytes replayed at launch (after the newest complete snapshot) beyond which launch writes a
         * <b>recovery snapshot</b> of the recovered state at the journal's end before it returns, so the next launch
         * replays from there even when the process dies before the shadow writes one (an image killed more often than
         * its shadow snapshots would otherwise replay ever more at each restart). It is written, forced, linked and
         * kept like any other snapshot; the launch pauses for it. {@link #RECOVERY_SNAPSHOT_THRESHOLD_FROM_INTERVAL},
         * the default, takes {@link #RECOVERY_SNAPSHOT_INTERVALS} snapshot intervals (never when the interval is 0);
         * 0 writes one after any replay; {@link Long#MAX_VALUE} never.
         *
         * @param recoverySnapshotThresholdBytes bytes of replay, or {@link #RECOVERY_SNAPSHOT_THRESHOLD_FROM_INTERVAL}.
         * @return this for a fluent API.
         */
        public Context recoverySnapshotThresholdBytes(final long recoverySnapshotThresholdBytes)
        {
            this.recoverySnapshotThresholdBytes = recoverySnapshotThresholdBytes;
            return this;
        }

        /**
         * Journal bytes replayed at launch beyond which launch writes a recovery snapshot, the default resolved
         * against the snapshot interval.
         *
         * @return bytes; {@link Long#MAX_VALUE} for never.
         */
        public long recoverySnapshotThresholdBytes()
        {
            if (RECOVERY_SNAPSHOT_THRESHOLD_FROM_INTERVAL != recoverySnapshotThresholdBytes)
            {
                return recoverySnapshotThresholdBytes;
            }
            return snapshotIntervalBytes <= 0 || snapshotIntervalBytes > Long.MAX_VALUE / RECOVERY_SNAPSHOT_INTERVALS ?
                Long.MAX_VALUE : RECOVERY_SNAPSHOT_INTERVALS * snapshotIntervalBytes;
        }

        /**
         * Clock of the journal's heartbeats and of snapshot times.
         *
         * @param epochClock the clock.
         * @return this for a fluent API.
         */
        public Context epochClock(final EpochClock epochClock)
        {
            journalContext.epochClock(epochClock);
            return this;
        }

        /**
         * Clock of heartbeats and snapshot times.
         *
         * @return the clock.
         */
        public EpochClock epochClock()
        {
            return journalContext.epochClock();
        }

        /**
         * Clock of the group commit interval.
         *
         * @param nanoClock the clock.
         * @return this for a fluent API.
         */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        /**
         * Clock of the group commit interval.
         *
         * @return the clock.
         */
        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        /**
         * Idle strategy of the shadow's thread; a {@link BackoffIdleStrategy} by default.
         *
         * @param shadowIdleStrategy the strategy.
         * @return this for a fluent API.
         */
        public Context shadowIdleStrategy(final IdleStrategy shadowIdleStrategy)
        {
            this.shadowIdleStrategy = shadowIdleStrategy;
            return this;
        }

        /**
         * Idle strategy of the shadow's thread.
         *
         * @return the strategy.
         */
        public IdleStrategy shadowIdleStrategy()
        {
            return shadowIdleStrategy;
        }

        /**
         * Factory of the shadow's thread, as Aeron's contexts take one per agent thread: to pin it to a core, or to
         * give it a lower priority than the serving thread where the JVM maps Java priorities to the operating
         * system's (on Linux {@code -XX:ThreadPriorityPolicy=1}); null (the default) for Agrona's default thread.
         *
         * @param shadowThreadFactory the factory, or null.
         * @return this for a fluent API.
         */
        public Context shadowThreadFactory(final ThreadFactory shadowThreadFactory)
        {
            this.shadowThreadFactory = shadowThreadFactory;
            return this;
        }

        /**
         * Factory of the shadow's thread.
         *
         * @return the factory, or null for Agrona's default thread.
         */
        public ThreadFactory shadowThreadFactory()
        {
            return shadowThreadFactory;
        }

        /**
         * Run the journal's segment creator and the {@link #mappingReleaser(MappingReleaser)} (when one is set) on the
         * shadow's thread, after its duty cycle ({@link CompositeAgent}), instead of on a thread of your own; off by
         * default. Needs {@link SnapshotMode#SHADOW} and {@link #createSegmentsOnAgent(boolean)}; then
         * {@link SystemImage#segmentCreator()} refuses to hand the creator out, and the releaser must not run
         * elsewhere. For a machine with one core beside the serving thread: a separate helper thread is a third
         * runnable thread there, and each of its bursts (making a segment: tens of ms; unmapping one) takes scheduler
         * time slices from the serving thread whenever the shadow keeps the other core busy writing a snapshot (seen
         * with {@code perf sched}; on this project's 2-vCPU VM the serving thread's p99 with a shadow snapshotting did
         * not change measurably, docs/benchmarks.md). The price: a segment waits while the shadow writes a snapshot
         * (one duty cycle), so a roll that comes first is refused with {@link SystemImage#ROLL_FAILED} as with any
         * creator agent, and past the creator's timeout creates the segment on the serving thread
         * ({@link SystemImage#inlineSegmentCreations()}).
         *
         * @param helpersOnShadowThread true to run them on the shadow's thread.
         * @return this for a fluent API.
         */
        public Context helpersOnShadowThread(final boolean helpersOnShadowThread)
        {
            this.helpersOnShadowThread = helpersOnShadowThread;
            return this;
        }

        /**
         * Whether the shadow's thread runs the segment creator and the mapping releaser.
         *
         * @return true when it does.
         */
        public boolean helpersOnShadowThread()
        {
            return helpersOnShadowThread;
        }
    }
}
