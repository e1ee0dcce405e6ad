package org.kekbit.image;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A small deterministic state machine for tests: accounts (long key to long balance) changed by commands, with the
 * journal position and the time of the last command, and a digest that is the same for the same state whatever the
 * order its entries were inserted in.
 */
final class LedgerStateMachine implements StateMachine
{
    static final int SET = 1;
    static final int ADD = 2;
    static final int REMOVE = 3;
    static final int POISON = 99;
    static final int SNAPSHOT_ENTRIES = 7;
    static final int SNAPSHOT_TAIL = 8;
    static final int COMMAND_LENGTH = 24;
    private static final int ENTRIES_PER_RECORD = 64;

    private final Long2LongHashMap balances = new Long2LongHashMap(Long.MIN_VALUE);
    private final UnsafeBuffer snapshotBuffer = new UnsafeBuffer(new byte[ENTRIES_PER_RECORD * 16]);
    private long lastPosition;
    private long lastTimeNs;
    private long applied;
    private boolean isFailingInSnapshot;

    static void encode(
        final MutableDirectBuffer buffer, final int offset, final long key, final long amount, final long timeNs)
    {
        buffer.putLong(offset, key, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + 8, amount, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + 16, timeNs, ByteOrder.LITTLE_ENDIAN);
    }

    public void apply(
        final long position, final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        applied++;
        lastPosition = position;
        if (COMMAND_LENGTH != length)
        {
            return; // a malformed command is a deterministic no-op
        }
        final long key = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
        final long amount = buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN);
        lastTimeNs = buffer.getLong(offset + 16, ByteOrder.LITTLE_ENDIAN);
        switch (msgTypeId)
        {
            case SET:
                balances.put(key, amount);
                break;
            case ADD:
                balances.put(key, balances.get(key) == Long.MIN_VALUE ? amount : balances.get(key) + amount);
                break;
            case REMOVE:
                balances.remove(key);
                break;
            case POISON:
                throw new IllegalStateException("a bug in the state machine: key=" + key);
            default:
                break;
        }
    }

    /**
     * Make every snapshot of this instance fail with an exception after its entries, before its tail record.
     */
    LedgerStateMachine failInSnapshot()
    {
        isFailingInSnapshot = true;
        return this;
    }

    public void writeSnapshot(final SnapshotWriter writer)
    {
        final UnsafeBuffer buffer = snapshotBuffer;
        int count = 0;
        final Long2LongHashMap.EntryIterator entries = balances.entrySet().iterator();
        while (entries.hasNext())
        {
            entries.next();
            buffer.putLong(count * 16, entries.getLongKey(), ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(count * 16 + 8, entries.getLongValue(), ByteOrder.LITTLE_ENDIAN);
            if (++count == ENTRIES_PER_RECORD)
            {
                if (!writer.write(SNAPSHOT_ENTRIES, buffer, 0, count * 16))
                {
                    return;
                }
                count = 0;
            }
        }
        if (count > 0 && !writer.write(SNAPSHOT_ENTRIES, buffer, 0, count * 16))
        {
            return;
        }
        if (isFailingInSnapshot)
        {
            throw new IllegalStateException("snapshot failed");
        }
        buffer.putLong(0, lastPosition, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(8, lastTimeNs, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(16, applied, ByteOrder.LITTLE_ENDIAN);
        writer.write(SNAPSHOT_TAIL, buffer, 0, 24);
    }

    public void loadSnapshot(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (SNAPSHOT_ENTRIES == msgTypeId)
        {
            for (int i = 0; i < length; i += 16)
            {
                balances.put(buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN),
                    buffer.getLong(offset + i + 8, ByteOrder.LITTLE_ENDIAN));
            }
        }
        else if (SNAPSHOT_TAIL == msgTypeId)
        {
            lastPosition = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
            lastTimeNs = buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN);
            applied = buffer.getLong(offset + 16, ByteOrder.LITTLE_ENDIAN);
        }
    }

    public long stateDigest()
    {
        long digest = 0;
        final Long2LongHashMap.EntryIterator entries = balances.entrySet().iterator();
        while (entries.hasNext())
        {
            entries.next();
            digest += mix(entries.getLongKey() * 31 + mix(entries.getLongValue())); // order-independent sum
        }
        return mix(digest ^ mix(lastPosition) ^ mix(lastTimeNs + 7) ^ mix(applied + 13) ^ balances.size());
    }

    long lastPosition()
    {
        return lastPosition;
    }

    long applied()
    {
        return applied;
    }

    int size()
    {
        return balances.size();
    }

    long balance(final long key)
    {
        return balances.get(key);
    }

    private static long mix(final long value)
    {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
