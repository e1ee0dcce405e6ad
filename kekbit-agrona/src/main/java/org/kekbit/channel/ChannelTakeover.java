package org.kekbit.channel;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@link ChannelWriter#resume(ChannelWriter.Context)}: the file work of taking a channel over from a dead writer,
 * around the protocol {@link WriterLiveness} owns. In order: register as the one open writer of the file in this
 * JVM, map it read-write, mark it ({@link WriterLiveness#beginTakeOver}), find the end of the last committed record
 * in one walk, zero what a dead claim left after it, pre-touch under a fresh heartbeat, and hand it over
 * ({@link WriterLiveness#completeTakeOver}); on any failure give it back as it was.
 */
final class ChannelTakeover
{
    /**
     * Pre-touch runs in chunks of this many bytes, the heartbeat stamped between them.
     */
    private static final int PRE_TOUCH_CHUNK_LENGTH = 8 * 1024 * 1024;

    private ChannelTakeover()
    {
    }

    static ChannelWriter resume(final ChannelWriter.Context ctx)
    {
        ctx.concludePath();
        final Path path = ctx.path();
        try (ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path).observer(ctx.observer()));
            FileChannel fileChannel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final Object fileKey = reader.fileKey();
            if (!WriterLiveness.registerOpenWriter(fileKey))
            {
                throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                    "channel's writer is alive (open in this process): file=" + path);
            }
            final MappedByteBuffer mappedBuffer = fileChannel.map(
                FileChannel.MapMode.READ_WRITE, 0, ChannelDescriptor.fileLength(reader.capacity()));
            try
            {
                return resume(ctx, reader, new UnsafeBuffer(mappedBuffer), mappedBuffer, fileKey);
            }
            catch (final RuntimeException ex)
            {
                WriterLiveness.unregisterOpenWriter(fileKey);
                IoUtil.unmap(mappedBuffer);
                throw ex;
            }
        }
        catch (final IOException ex)
        {
            throw ChannelFiles.ioError("cannot resume channel " + path + ": " + ex, ex);
        }
    }

    /**
     * The take-over protocol around the file work of a resume: the mark, the scan for the last committed record, the
     * clearing of a dead writer's leftovers, pre-touch under a fresh heartbeat, then the hand-over.
     */
    private static ChannelWriter resume(
        final ChannelWriter.Context ctx,
        final ChannelReader reader,
        final AtomicBuffer buffer,
        final MappedByteBuffer mappedBuffer,
        final Object fileKey)
    {
        final Path path = reader.path();
        final ProcessIdentity self = ctx.observer();
        final EpochClock clock = ctx.epochClock();
        final long timeoutMs = reader.header().timeoutMs();
        final ProcessIdentity previous = WriterLiveness.beginTakeOver(buffer, timeoutMs, clock.time(), self, path);
        try
        {
            // Marked: no live writer can commit now, so one walk finds the end and what lies there.
            final ChannelState state = reader.scanToEnd();
            if (ChannelState.CLOSED == state || ChannelState.FULL == state || ChannelState.ROLLED == state)
            {
                throw new ChannelException(ChannelException.Reason.ENDED, "channel is " + state +
                    " and takes no more records: position=" + reader.position() + ", file=" + path);
            }
            if (ChannelState.CORRUPT == state)
            {
                throw new ChannelException(ChannelException.Reason.CORRUPT,
                    "cannot resume after a bad record: " + reader.corruption() + ", file=" + path);
            }

            // Only one claim is ever outstanding, so a dead writer's leftovers lie within one maximum record.
            final int position = (int)reader.position();
            final int dataOffset = ChannelDescriptor.HEADER_LENGTH + position;
            final int fileLength = (int)ChannelDescriptor.fileLength(reader.capacity());
            final int leftoverEnd = (int)Math.min(fileLength, (long)dataOffset + RecordDescriptor.alignedLength(
                RecordDescriptor.frameLength(reader.maxRecordLength()), reader.recordAlignment()));
            buffer.setMemory(dataOffset, leftoverEnd - dataOffset, (byte)0);
            // A writer in a re-used file clears the old bytes only record by record: a dead one leaves them after
            // its last record, and the new writer must not publish them as records. Writes only where they are.
            ChannelFiles.zeroWhereNotZero(buffer, leftoverEnd, fileLength);
            if (ctx.preTouch())
            {
                preTouchUnderHeartbeat(mappedBuffer, buffer, dataOffset, clock);
            }

            final long heartbeatTimeMs = Math.max(clock.time(), ChannelDescriptor.heartbeatTimeMsAcquire(buffer));
            WriterLiveness.completeTakeOver(buffer, self, heartbeatTimeMs, path);

            return new ChannelWriter(buffer, mappedBuffer, path, fileKey, clock, reader.channelId(), self.pid,
                reader.capacity(), reader.maxRecordLength(), reader.recordAlignment(), timeoutMs, position,
                heartbeatTimeMs)
                .mappingReleaser(ctx.mappingReleaser());
        }
        catch (final RuntimeException ex)
        {
            WriterLiveness.abandonTakeOver(buffer, self, previous);
            throw ex;
        }
    }

    /**
     * Pre-touch a large channel in chunks, stamping the heartbeat between them: the take-over mark is judged by its
     * heartbeat, which must not go stale while a resumer works.
     */
    private static void preTouchUnderHeartbeat(
        final MappedByteBuffer mappedBuffer, final AtomicBuffer buffer, final int from, final EpochClock clock)
    {
        final int limit = mappedBuffer.capacity();
        for (int chunkFrom = from; chunkFrom < limit; )
        {
            final int chunkTo = (int)Math.min(limit, (long)chunkFrom + PRE_TOUCH_CHUNK_LENGTH);
            ChannelFiles.preTouch(mappedBuffer, chunkFrom, chunkTo, true);
            ChannelDescriptor.heartbeatTimeMsRelease(
                buffer, Math.max(clock.time(), ChannelDescriptor.heartbeatTimeMsAcquire(buffer)));
            chunkFrom = chunkTo;
        }
    }
}
