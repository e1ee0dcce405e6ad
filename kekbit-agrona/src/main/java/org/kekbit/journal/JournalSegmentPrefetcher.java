package org.kekbit.journal;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.kekbit.MappingReleaser;
import org.kekbit.channel.ChannelException;
import org.kekbit.channel.ChannelReader;

/**
 * Opens, maps and pre-touches the next segment of each journal reader it serves on the thread that runs this agent,
 * so that a reader crossing a roll takes a ready mapping instead of opening, mapping and page-faulting the successor
 * on its own thread. Mapping a file takes the process's address-space lock, which an unmap running on another thread
 * (a {@link org.kekbit.MappingReleaser}) holds for about 0.1 ms per MiB, and a fresh mapping faults once per page:
 * both stall a latency-sensitive reader at every roll. Give one prefetcher to the contexts of the readers
 * ({@link JournalReader.Context#prefetcher(JournalSegmentPrefetcher)}) and run it on a thread with a parking idle
 * strategy, beside the segment creators and the mapping releaser.
 * <p>
 * Before a roll the successor is linked under its name on standby (not ready for readers); the prefetcher maps that
 * file all the same and remembers its identity (device and inode). The roll activates it, and the reader that
 * crosses checks that the name still denotes the file it was given (one {@code lstat}); when a writer that crashed
 * and resumed deleted that standby and made another file, the mapping is dropped and the reader opens the segment
 * itself. A reader that arrives before its successor is prepared opens it itself too: the prefetcher never makes a
 * reader wait.
 * <p>
 * One state word per reader, changed by compare-and-set, decides who owns the prepared segment at each moment.
 * Threadsafe between the reader threads and the one thread running this agent.
 */
public final class JournalSegmentPrefetcher implements Agent
{
    private final ManyToOneConcurrentLinkedQueue<Slot> registrations = new ManyToOneConcurrentLinkedQueue<>();
    private final ArrayList<Slot> slots = new ArrayList<>();
    private volatile boolean isClosed;

    /**
     * Prepare the next segment of every reader that wants one.
     *
     * @return the number of segments prepared or dropped.
     */
    public int doWork()
    {
        int workCount = 0;
        Slot added;
        while (null != (added = registrations.poll()))
        {
            slots.add(added);
        }
        for (int i = slots.size() - 1; i >= 0; i--)
        {
            final Slot slot = slots.get(i);
            if (Slot.CLOSED == slot.state.get())
            {
                slots.remove(i);
                slot.releaseSpares();
            }
            else
            {
                workCount += slot.prepare();
            }
        }
        return workCount;
    }

    /**
     * Drop every prepared segment; readers registered later open their segments themselves.
     */
    public void onClose()
    {
        isClosed = true;
        Slot added;
        while (null != (added = registrations.poll()))
        {
            slots.add(added);
        }
        for (final Slot slot : slots)
        {
            slot.close();
            slot.releaseSpares();
        }
        slots.clear();
    }

    /**
     * The agent's name.
     *
     * @return "kekbit-journal-segment-prefetcher".
     */
    public String roleName()
    {
        return "kekbit-journal-segment-prefetcher";
    }

    /**
     * Register a reader of a journal folder: its slot, which the reader drives.
     */
    Slot register(final Path folder, final JournalReader.Context ctx)
    {
        final Slot slot = new Slot(folder, ctx);
        if (isClosed)
        {
            slot.state.set(Slot.CLOSED);
        }
        else
        {
            registrations.offer(slot);
        }
        return slot;
    }

    /**
     * The next segment of one reader: wanted by the reader, prepared by the prefetcher, taken by the reader.
     */
    static final class Slot
    {
        static final int IDLE = 0;
        static final int OPENING = 1;
        static final int READY = 2;
        static final int TAKING = 3;
        static final int CLOSED = 4;

        static final int SPARES = 8;
        private static final LinkOption[] NOFOLLOW_LINKS = { LinkOption.NOFOLLOW_LINKS }; // one array for all takes

        final AtomicInteger state = new AtomicInteger(IDLE);
        private final Path folder;
        private final JournalReader.Context ctx;
        private volatile long wantedBase = -1;
        private volatile long segmentCapacity;
        private ChannelReader prepared;
        private long preparedBase;
        private Object preparedFileKey;
        private Path preparedSegmentPath; // made here, so that a reader crossing a roll allocates no name
        private long taken;
        private volatile long reused;

        // Reader side: the last two segments taken and their files' identities, for giving their mappings back (the
        // reader takes the next segment before it leaves the one it is in).
        private ChannelReader lastTaken;
        private Object lastTakenInode;
        private ChannelReader previousTaken;
        private Object previousTakenInode;

        // Reader to prefetcher: mappings of segments the reader left, with their files' identities, in pairs.
        private final OneToOneConcurrentArrayQueue<Object> givenInodes = new OneToOneConcurrentArrayQueue<>(SPARES);
        private final OneToOneConcurrentArrayQueue<MappedByteBuffer> givenMappings =
            new OneToOneConcurrentArrayQueue<>(SPARES);

        // Prefetcher side: those mappings, kept until their file comes back as a later segment (a journal that
        // recycles its segments), the oldest released when a new one comes.
        private final Object[] spareInodes = new Object[SPARES];
        private final MappedByteBuffer[] spareMappings = new MappedByteBuffer[SPARES];
        private int nextSpare;

        Slot(final Path folder, final JournalReader.Context ctx)
        {
            this.folder = folder;
            this.ctx = ctx;
        }

        /**
         * Reader side: the segment the reader will cross into next.
         */
        void want(final long base, final long capacity)
        {
            segmentCapacity = capacity;
            wantedBase = base;
        }

        /**
         * Reader side: the prepared segment at a base, checked to be the file now linked under the segment's name.
         *
         * @return the segment, positioned at its start; or null when none is ready, and the reader opens it itself.
         */
        ChannelReader take(final long base)
        {
            final long nextBase = base + segmentCapacity;
            // The wanted base moves on only after the compare-and-set: a prefetcher that saw it move while the
            // segment was READY would drop that segment and could make another READY, for the next base, before the
            // set; taking that one as this base's would skip a segment's records (a stress run found it).
            if (READY != state.get() || preparedBase != base || !state.compareAndSet(READY, TAKING))
            {
                wantedBase = nextBase; // this reader opens the base itself; the prefetcher moves on to the next
                return null;
            }
            if (preparedBase != base)
            {
                state.set(READY); // cannot happen while the wanted base stays put; never take another base's
                wantedBase = nextBase;
                return null;
            }
            wantedBase = nextBase; // before IDLE, so the prefetcher does not prepare this base again

            final ChannelReader segment = prepared;
            final Object fileKey = preparedFileKey;
            final Path segmentPath = preparedSegmentPath;
            prepared = null;
            preparedFileKey = null;
            preparedSegmentPath = null;
            state.compareAndSet(TAKING, IDLE); // fails only when the prefetcher has closed meanwhile
            if (!fileKey.equals(fileKey(segmentPath)))
            {
                // Not the file linked now: a standby a dead writer left, deleted by the resumed writer, which made
                // another; or a segment made under its temporary name by a writer that did not link it.
                segment.close();
                return null;
            }
            taken++;
            previousTaken = lastTaken;
            previousTakenInode = lastTakenInode;
            lastTaken = segment;
            lastTakenInode = fileKey;
            return segment;
        }

        /**
         * Reader side: close a segment the reader leaves, giving its mapping to the prefetcher when the prefetcher
         * prepared it, so that the mapping serves again when the file comes back as a later segment.
         *
         * @return true when given back (closed); false when the reader must close it itself.
         */
        boolean giveBack(final ChannelReader segment)
        {
            final Object inode;
            if (segment == lastTaken)
            {
                inode = lastTakenInode;
                lastTaken = null;
                lastTakenInode = null;
            }
            else if (segment == previousTaken)
            {
                inode = previousTakenInode;
                previousTaken = null;
                previousTakenInode = null;
            }
            else
            {
                return false;
            }
            if (null == inode || CLOSED == state.get() || givenInodes.remainingCapacity() == 0)
            {
                return false;
            }
            final MappedByteBuffer mapping = segment.closeKeepingMapping();
            if (null != mapping)
            {
                givenMappings.offer(mapping); // first: the prefetcher takes a pair once it sees the inode
                givenInodes.offer(inode);
            }
            return true;
        }

        /**
         * Reader side: segments opened through a mapping the reader gave back, so far (read after the prefetcher
         * ran, for tests).
         */
        long reused()
        {
            return reused;
        }

        /**
         * Reader side: whether the segment the reader wants next is prepared.
         */
        boolean isReady()
        {
            return READY == state.get() && preparedBase == wantedBase;
        }

        /**
         * Reader side: segments taken from the prefetcher so far.
         */
        long taken()
        {
            return taken;
        }

        /**
         * Reader or prefetcher side: stop; the prepared segment, if any, is unmapped by whoever holds it.
         */
        void close()
        {
            while (true)
            {
                final int current = state.get();
                if (CLOSED == current)
                {
                    return;
                }
                if (state.compareAndSet(current, CLOSED))
                {
                    if (READY == current)
                    {
                        prepared.close();
                        prepared = null;
                    }
                    return; // an OPENING prefetcher sees CLOSED and unmaps what it made; the spares go with it
                }
            }
        }

        /**
         * Prefetcher side: prepare the wanted segment when it is not prepared yet.
         *
         * @return 1 when a segment was prepared or dropped, else 0.
         */
        int prepare()
        {
            takeGivenMappings();
            final long base = wantedBase;
            final int current = state.get();
            if (base < 0 || (READY == current && preparedBase == base))
            {
                return 0;
            }
            if ((IDLE != current && READY != current) || !state.compareAndSet(current, OPENING))
            {
                return 0;
            }

            if (READY == current)
            {
                prepared.close(); // the reader moved elsewhere (a seek)
                prepared = null;
            }
            final ChannelReader segment = open(base);
            if (null == segment)
            {
                state.compareAndSet(OPENING, IDLE);
                return READY == current ? 1 : 0;
            }

            prepared = segment;
            preparedBase = base;
            if (!state.compareAndSet(OPENING, READY))
            {
                prepared = null;
                segment.close(); // the reader closed meanwhile
            }
            return 1;
        }

        /**
         * Open and pre-touch a segment under its name, on standby or not, or else under the temporary name a writer
         * of the previous version made it under, remembering that file's identity; null when neither is there yet.
         */
        private ChannelReader open(final long base)
        {
            final Path segmentPath = JournalDescriptor.segmentPath(folder, base);
            final boolean isLinked = Files.exists(segmentPath);
            final Path path = isLinked ? segmentPath : JournalDescriptor.nextSegmentPath(folder, base);
            final Object fileKey = fileKey(path);
            if (null == fileKey)
            {
                return null;
            }

            final MappedByteBuffer spare = takeSpare(fileKey);
            final ChannelReader segment;
            try
            {
                segment = ChannelReader.open(new ChannelReader.Context()
                    .path(path)
                    .epochClock(ctx.epochClock())
                    .preTouch(true)
                    .standbyAccepted(true)
                    .mappingReleaser(ctx.mappingReleaser()), spare);
            }
            catch (final ChannelException ex)
            {
                return null; // not ready, gone, or damaged: the reader opens it itself and reports what it finds
            }

            if (segment.capacity() != segmentCapacity || !fileKey.equals(fileKey(path)) ||
                segment.header().journalFormatVersion() > JournalDescriptor.JOURNAL_FORMAT_VERSION)
            {
                // replaced while it was opened, not this journal's, or of a later journal format (the reader
                // opens it itself and reports it)
                segment.close();
                return null;
            }
            preparedFileKey = fileKey;
            preparedSegmentPath = segmentPath;
            if (null != spare && segment.isMappingReused())
            {
                reused++; // one writer: this thread
            }
            return segment;
        }

        /**
         * Prefetcher side: keep the mappings the reader gave back, releasing the oldest kept when full.
         */
        private void takeGivenMappings()
        {
            Object inode;
            while (null != (inode = givenInodes.poll()))
            {
                final MappedByteBuffer mapping = givenMappings.poll();
                releaseSpare(nextSpare);
                spareInodes[nextSpare] = inode;
                spareMappings[nextSpare] = mapping;
                nextSpare = (nextSpare + 1) % SPARES;
            }
        }

        private MappedByteBuffer takeSpare(final Object inode)
        {
            for (int i = 0; i < SPARES; i++)
            {
                if (null != spareMappings[i] && inode.equals(spareInodes[i]))
                {
                    final MappedByteBuffer mapping = spareMappings[i];
                    spareMappings[i] = null;
                    spareInodes[i] = null;
                    return mapping;
                }
            }
            return null;
        }

        private void releaseSpare(final int index)
        {
            if (null != spareMappings[index])
            {
                MappingReleaser.release(ctx.mappingReleaser(), spareMappings[index]);
                spareMappings[index] = null;
                spareInodes[index] = null;
            }
        }

        /**
         * Prefetcher side, when it closes or drops this slot: release the kept mappings, and those given meanwhile.
         */
        void releaseSpares()
        {
            takeGivenMappings();
            for (int i = 0; i < SPARES; i++)
            {
                releaseSpare(i);
            }
        }

        private static Object fileKey(final Path path)
        {
            try
            {
                return Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey();
            }
            catch (final IOException ex)
            {
                return null;
            }
        }
    }
}
