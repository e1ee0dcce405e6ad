package org.kekbit.channel;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;

/**
 * Cut a channel nobody writes at a record end: the records from a position on, and the end marker and seal after
 * them, are zeroed, so the file holds what a writer that stopped at the position (killed, or detached) leaves, and
 * {@link ChannelWriter#resume} carries on there. Cold path, for a journal's {@code JournalCut} and for tools.
 * <pre>{@code
 * try (ChannelCut cut = ChannelCut.open(new ChannelWriter.Context().path(path)))
 * {
 *     cut.cut(position); // a record end, at most cut.endPosition()
 * }
 * }</pre>
 * <b>Ownership.</b> A channel that ends without an end marker is taken over for as long as the cut is open, by the
 * take-over protocol of {@link ChannelWriter#resume} ({@link WriterLiveness}): refused with
 * {@link ChannelException.Reason#WRITER_ACTIVE} while its writer is alive, and no resumer can take it meanwhile.
 * Closing gives it back to the writer its header named (process fields and heartbeat as they were), so a cut
 * leaves no trace of the process that made it. A channel that ends with an end marker has no writer to refuse: its
 * marker goes with one compare-and-set, which fails (WRITER_ACTIVE) if a reopener changed it meanwhile.
 * <p>
 * <b>Order of the stores</b>, so that a process killed at any point leaves a channel readers never misread: (1) the
 * end marker, when the records end with one, so that a seal after them is never taken for the records that remain
 * (a reader trusts a seal only behind its ROLLED marker); (2) the header word at the position, one release store of
 * zero, after which readers stop there; (3) every chunk after it that is not zero, as a resume zeroes a dead claim;
 * (4) the mapping is forced. Between (2) and (3) the bytes after the position lie beyond a zero header word, where
 * no reader looks and which a resume, or the same cut run again, zeroes.
 * <p>
 * Not threadsafe: one thread opens, cuts and closes.
 */
public final class ChannelCut implements AutoCloseable
{
    private final Path path;
    private final ChannelReader reader;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer buffer;
    private final Object fileKey;
    private final ProcessIdentity self;
    private final ProcessIdentity previous;
    private final long previousHeartbeatTimeMs;
    private final long stampedHeartbeatTimeMs;
    private final int fileLength;
    private long endPosition;
    private long endHeader;
    private ChannelState endState;
    private boolean isClosed;

    private ChannelCut(
        final Path path,
        final ChannelReader reader,
        final MappedByteBuffer mapping,
        final ProcessIdentity self,
        final ProcessIdentity previous,
        final long previousHeartbeatTimeMs,
        final long stampedHeartbeatTimeMs)
    {
        this.path = path;
        this.reader = reader;
        this.mapping = mapping;
        this.buffer = new UnsafeBuffer(mapping);
        this.fileKey = reader.fileKey();
        this.self = self;
        this.previous = previous;
        this.previousHeartbeatTimeMs = previousHeartbeatTimeMs;
        this.stampedHeartbeatTimeMs = stampedHeartbeatTimeMs;
        this.fileLength = (int)ChannelDescriptor.fileLength(reader.capacity());
        findEnd();
    }

    /**
     * Open a channel to cut it: map it read-write and, when it ends without an end marker, take it over.
     *
     * @param ctx the channel's path; its clock and observer judge the writer's liveness, as for
     *            {@link ChannelWriter#resume}. Nothing else of it is used.
     * @return the cut, to close.
     * @throws ChannelException with {@link ChannelException.Reason#WRITER_ACTIVE} when the writer is alive (or open
     *                          in this process), or any reason {@link ChannelReader#open(Path)} throws.
     */
    public static ChannelCut open(final ChannelWriter.Context ctx)
    {
        ctx.concludePath();
        final Path path = ctx.path();
        final ChannelReader reader = ChannelReader.open(new ChannelReader.Context().path(path)
            .observer(ctx.observer()).epochClock(ctx.epochClock()));
        MappedByteBuffer mapping = null;
        boolean isRegistered = false;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, ChannelDescriptor.fileLength(reader.capacity()));
            final UnsafeBuffer buffer = new UnsafeBuffer(mapping);
            reader.seekToEnd();
            final long header = RecordDescriptor.headerAcquire(buffer, HEADER_LENGTH + (int)reader.position());
            if (RecordDescriptor.isEndMarker(header))
            {
                return new ChannelCut(path, reader, mapping, ctx.observer(), null, 0, 0);
            }

            if (!WriterLiveness.registerOpenWriter(reader.fileKey()))
            {
                throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE,
                    "channel's writer is alive (open in this process): file=" + path);
            }
            isRegistered = true;
            final long heartbeatTimeMs = ChannelDescriptor.heartbeatTimeMsAcquire(buffer);
            final ProcessIdentity previous = WriterLiveness.beginTakeOver(
                buffer, reader.header().timeoutMs(), ctx.epochClock().time(), ctx.observer(), path);
            // Marked: no writer can commit now, so the end found from here on is the end.
            return new ChannelCut(path, reader, mapping, ctx.observer(), previous, heartbeatTimeMs,
                ChannelDescriptor.heartbeatTimeMsAcquire(buffer));
        }
        catch (final IOException | RuntimeException ex)
        {
            if (isRegistered)
            {
                WriterLiveness.unregisterOpenWriter(reader.fileKey());
            }
            if (null != mapping)
            {
                IoUtil.unmap(mapping);
            }
            reader.close();
            if (ex instanceof IOException)
            {
                throw ChannelFiles.ioError("cannot open channel " + path + " to cut it: " + ex, ex);
            }
            throw (RuntimeException)ex;
        }
    }

    /**
     * Position after the last committed record, where an end marker or a bad record header lies when
     * {@link #endState()} says so.
     *
     * @return the position.
     */
    public long endPosition()
    {
        return endPosition;
    }

    /**
     * What lies at {@link #endPosition()}: OPEN (nothing), CLOSED, FULL or ROLLED (an end marker), CORRUPT (a
     * record header no writer writes).
     *
     * @return the state.
     */
    public ChannelState endState()
    {
        return endState;
    }

    /**
     * Whether the channel was taken over by this cut (it ended without an end marker).
     *
     * @return true when taken over.
     */
    public boolean isTakenOver()
    {
        return null != previous;
    }

    /**
     * Path of the channel's file.
     *
     * @return the path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Check that a position is a record end of the channel: 0, or the end of a committed record. Reads only.
     *
     * @param position in the channel.
     * @throws IllegalArgumentException when it is not, naming what the walk stopped at.
     */
    public void checkRecordEnd(final long position)
    {
        checkOpen();
        if (position > endPosition)
        {
            throw new IllegalArgumentException("position is past the channel's last record: position=" + position +
                ", end=" + endPosition + ", file=" + path);
        }
        try
        {
            reader.seek(position);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(ex.getMessage() + ", file=" + path, ex);
        }
    }

    /**
     * Cut the channel at a record end: the end marker first (when the records end with one), then the record
     * header at the position, then every byte after it that is not zero; then force. Cut at {@link #endPosition()}
     * of a channel without end marker, it writes only the stale bytes a dead claim or an interrupted cut left after
     * the end (none in a clean channel). Idempotent.
     *
     * @param position a record end, at most {@link #endPosition()}.
     * @throws IllegalArgumentException when the position is not a record end.
     * @throws ChannelException         with {@link ChannelException.Reason#WRITER_ACTIVE} when the end marker changed
     *                                  since the cut was opened (a writer reopened the channel).
     */
    public void cut(final long position)
    {
        checkRecordEnd(position);
        if (RecordDescriptor.isEndMarker(endHeader))
        {
            final int markerOffset = HEADER_LENGTH + (int)endPosition;
            final long word = RecordDescriptor.headerWord(
                RecordDescriptor.headerFrameLength(endHeader), RecordDescriptor.headerMsgTypeId(endHeader));
            if (!buffer.compareAndSetLong(markerOffset, word, 0L))
            {
                throw new ChannelException(ChannelException.Reason.WRITER_ACTIVE, "the end marker changed while " +
                    "the channel was being cut (reopened by a writer?): position=" + endPosition + ", file=" + path);
            }
        }
        final int recordOffset = HEADER_LENGTH + (int)position;
        if (0L != buffer.getLongVolatile(recordOffset))
        {
            buffer.putLongRelease(recordOffset, 0L);
        }
        ChannelFiles.zeroWhereNotZero(buffer, recordOffset, fileLength);
        mapping.force();
        findEnd();
    }

    /**
     * Give the channel back to the writer its header named when this cut took it over, and unmap it. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            try
            {
                if (null != previous)
                {
                    WriterLiveness.abandonTakeOver(buffer, self, previous);
                    ChannelDescriptor.heartbeatTimeMsCompareAndSet(
                        buffer, stampedHeartbeatTimeMs, previousHeartbeatTimeMs);
                    WriterLiveness.unregisterOpenWriter(fileKey);
                }
            }
            finally
            {
                reader.close();
                IoUtil.unmap(mapping);
            }
        }
    }

    private void findEnd()
    {
        endPosition = reader.seekToEnd();
        endHeader = RecordDescriptor.headerAcquire(buffer, HEADER_LENGTH + (int)endPosition);
        if (0L == endHeader)
        {
            endState = ChannelState.OPEN;
        }
        else if (RecordDescriptor.isEndMarker(endHeader))
        {
            endState = RecordDescriptor.endMarkerState(RecordDescriptor.headerMsgTypeId(endHeader));
        }
        else
        {
            endState = ChannelState.CORRUPT;
        }
    }

    private void checkOpen()
    {
        if (isClosed)
        {
            throw new IllegalStateException("cut is closed: file=" + path);
        }
    }
}
