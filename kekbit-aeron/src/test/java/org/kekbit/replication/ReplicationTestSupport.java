package org.kekbit.replication;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordHandler;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

final class ReplicationTestSupport
{
    static final String LOOPBACK = "127.0.0.1";

    /**
     * Longest chunk the tests' sources send: a record longer than this goes in parts.
     */
    static final int MAX_CHUNK_LENGTH = 4096;

    /**
     * Length of every 97th record the tests write ({@link #recordLength}): more than three chunks.
     */
    static final int LONG_RECORD_LENGTH = 3 * MAX_CHUNK_LENGTH + 1000;

    private ReplicationTestSupport()
    {
    }

    /**
     * A UDP port free now on loopback; the tests bind it at once.
     */
    static int freeUdpPort()
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getByName(LOOPBACK)))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Length of record number {@code seq}: mostly small, some of several KiB, every 97th longer than a chunk so it
     * goes in parts.
     */
    static int recordLength(final long seq, final int longLength)
    {
        if (seq % 97 == 96)
        {
            return longLength;
        }
        return (int)(8 + (seq * 7919) % (seq % 13 == 0 ? 5000 : 200));
    }

    /**
     * Append record {@code seq}: its sequence number, then bytes that depend on it, so that a torn, misplaced or
     * reordered record does not check.
     */
    static long write(final ChannelWriter writer, final UnsafeBuffer scratch, final long seq, final int length)
    {
        scratch.putLong(0, seq);
        for (int i = 8; i < length; i++)
        {
            scratch.putByte(i, (byte)(seq * 31 + i));
        }
        final long result = writer.write((int)(seq & 0xFFFF), scratch, 0, length);
        assertTrue(result > 0, "write failed: " + result);
        return result;
    }

    /**
     * Run duty cycles until the condition holds, parking briefly when nothing was done.
     */
    static void pump(final BooleanSupplier condition, final long timeoutMs, final String what, final Pumped... agents)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            int work = 0;
            for (final Pumped agent : agents)
            {
                work += agent.doWork();
            }
            if (0 == work)
            {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    @FunctionalInterface
    interface Pumped
    {
        int doWork();
    }

    /**
     * Checks each record a reader of a mirror is handed: the next sequence number, the bytes that go with it.
     */
    static final class RecordChecker implements RecordHandler
    {
        private final int longLength;
        long nextSeq;

        RecordChecker(final int longLength)
        {
            this.longLength = longLength;
        }

        public void onRecord(final int msgTypeId, final DirectBuffer buffer, final int offset, final int length)
        {
            final long seq = buffer.getLong(offset);
            if (seq != nextSeq)
            {
                throw new AssertionError("out of order: expected seq=" + nextSeq + ", actual=" + seq);
            }
            if (length != recordLength(seq, longLength) || msgTypeId != (int)(seq & 0xFFFF))
            {
                throw new AssertionError("torn record seq=" + seq + ": length=" + length + ", type=" + msgTypeId);
            }
            for (int i = 8; i < length; i++)
            {
                if (buffer.getByte(offset + i) != (byte)(seq * 31 + i))
                {
                    throw new AssertionError("torn record seq=" + seq + " at byte " + i);
                }
            }
            nextSeq++;
        }
    }
}
