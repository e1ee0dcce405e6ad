package org.kekbit.journal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.kekbit.channel.ChannelException;

/**
 * The named readers of a journal as an observer sees them, for tools: every name bound in the positions file with
 * its committed position, commit time and whether a live reader holds it; and the removal of a name no live reader
 * holds. Cold paths only: each call maps the positions file, and never creates it.
 */
public final class JournalNamedReaders
{
    private JournalNamedReaders()
    {
    }

    /**
     * One named reader.
     *
     * @param name              of the reader.
     * @param position          last committed journal position, or {@link JournalDescriptor#NULL_POSITION}.
     * @param commitTimeMs      epoch ms of the last commit, 0 when never committed.
     * @param heartbeatTimeMs   epoch ms of the holder's last heartbeat, 0 when never held.
     * @param ownerPid          pid the slot records: 0 when no reader holds it, negative while one claims it.
     * @param isAlive           whether a live reader holds the name, by the rule an open applies.
     * @param protectsRetention whether the writer keeps every segment from this reader's position on.
     */
    public record NamedReader(
        String name,
        long position,
        long commitTimeMs,
        long heartbeatTimeMs,
        long ownerPid,
        boolean isAlive,
        boolean protectsRetention)
    {
    }

    /**
     * The named readers of a journal, in slot order.
     *
     * @param folder    of the journal.
     * @param nowMs     now, to judge heartbeats by.
     * @param timeoutMs after which a holder seen only through its heartbeat is dead, as
     *                  {@link JournalReader.Context#timeoutMs(long)}.
     * @return the readers, empty when the journal has no positions file.
     * @throws ChannelException when the positions file cannot be read or is not one.
     */
    public static List<NamedReader> list(final Path folder, final long nowMs, final long timeoutMs)
    {
        final List<NamedReader> readers = new ArrayList<>();
        if (!JournalReaderPositions.exists(folder))
        {
            return readers;
        }
        try (JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            for (int slot = 0; slot < JournalDescriptor.SLOT_COUNT; slot++)
            {
                final String name = positions.name(slot);
                if (null != name)
                {
                    readers.add(new NamedReader(name, positions.position(slot), positions.commitTimeMs(slot),
                        positions.heartbeatTimeMs(slot), positions.ownerPid(slot),
                        positions.isHeld(slot, nowMs, timeoutMs), positions.protectsRetention(slot)));
                }
            }
        }
        return readers;
    }

    /**
     * Free a named reader: its name, committed position and protection of retention go, and its slot can be bound
     * to another name. Refused while a live reader holds the name.
     *
     * @param folder    of the journal.
     * @param name      of the reader.
     * @param nowMs     now, to judge heartbeats by.
     * @param timeoutMs after which a holder seen only through its heartbeat is dead.
     * @return true when removed, false when the journal has no reader of that name.
     * @throws ChannelException with {@link ChannelException.Reason#READER_ACTIVE} when a live reader holds it.
     * @throws IllegalArgumentException when the name is not a reader's name.
     */
    public static boolean remove(final Path folder, final String name, final long nowMs, final long timeoutMs)
    {
        JournalReaderPositions.nameBytes(name);
        if (!JournalReaderPositions.exists(folder))
        {
            return false;
        }
        try (JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            return positions.remove(name, nowMs, timeoutMs) >= 0;
        }
    }
}
