package org.kekbit.channel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.codecs.channel.ChannelHeaderDecoder;

import static org.kekbit.channel.ChannelDescriptor.HEADER_LENGTH;

/**
 * Digests that tell whether two channel files hold the same channel, for replication: a mirror's header differs
 * from its leader's only in the fields that describe the writing process (writer pid, start ticks, namespace id and
 * heartbeat), so a digest covers the header with those fields zeroed, then the data region up to a position. Two
 * files with equal digests up to a position hold the same records up to it, byte for byte.
 * <p>
 * A follower's hello says two of them: {@link #headerDigest} (is the mirror of this very channel or segment?) and
 * {@link #dataDigest} (are its bytes before its position the leader's?). {@link #digest} and {@link #update} are
 * the SHA-256 of {@code kekbit verify --digest}.
 * <p>
 * Cold path: these allocate. Threadsafe.
 */
public final class ChannelDigest
{
    /**
     * Name of the digest algorithm.
     */
    public static final String ALGORITHM = "SHA-256";

    /**
     * Position for {@link #update(MessageDigest, Path, long, long[])} that covers every byte after the header.
     */
    public static final long WHOLE_FILE = Long.MAX_VALUE;

    private static final int[] MUTABLE_FIELD_OFFSETS = {
        ChannelHeaderDecoder.writerPidEncodingOffset(),
        ChannelHeaderDecoder.writerStartTicksEncodingOffset(),
        ChannelHeaderDecoder.heartbeatTimeMsEncodingOffset(),
        ChannelHeaderDecoder.writerNamespaceIdEncodingOffset(),
    };

    private ChannelDigest()
    {
    }

    /**
     * Digest of a channel's immutable header fields, folded to 64 bits: what a follower says in its hello so that a
     * leader can tell its mirror belongs to this very channel, not another one with the same id.
     *
     * @param header holding a channel header.
     * @param offset of the header in the buffer; {@link ChannelDescriptor#HEADER_LENGTH} bytes are read.
     * @return the digest, never 0 (0 means "no mirror" in the protocol).
     */
    public static long headerDigest(final DirectBuffer header, final int offset)
    {
        final MessageDigest digest = newMessageDigest();
        digest.update(immutableHeader(header, offset));
        final byte[] hash = digest.digest();
        final long folded = new UnsafeBuffer(hash).getLong(0);
        return 0 == folded ? 1 : folded;
    }

    /**
     * Digest of a channel's data region from its start up to a position: the CRC32C of those bytes (the JDK's, an
     * intrinsic), what a follower says in its hello about the bytes it holds before its position and the leader
     * compares with its own. With equal {@link #headerDigest}s, equal data digests mean the same bytes but for a
     * chance of 2<sup>-32</sup> when they differ; bytes that differ within any 32 consecutive bits (one field of one
     * record) always give another digest. Reads every byte before the position: cold, a hello's cost (4-12 ms
     * for a 64 MiB segment in the page cache, {@code DataDigestCost}; SHA-256 took 60-70 ms), never a record's.
     *
     * @param channel    a mapping of a channel file with its header at index 0, as a reader or writer maps it.
     * @param toPosition end of the bytes covered, from 0 (nothing: the digest of no bytes, 0) to the capacity.
     * @return the digest, 0 to 2<sup>32</sup> - 1.
     * @throws IllegalArgumentException when the position is negative or past the buffer.
     */
    public static long dataDigest(final DirectBuffer channel, final long toPosition)
    {
        if (toPosition < 0 || toPosition > channel.capacity() - HEADER_LENGTH)
        {
            throw new IllegalArgumentException("position outside the data region: position=" + toPosition +
                ", capacity=" + (channel.capacity() - HEADER_LENGTH));
        }
        final CRC32C crc = new CRC32C();
        final int length = (int)toPosition;
        final ByteBuffer byteBuffer = channel.byteBuffer();
        final byte[] array = channel.byteArray();
        if (null != byteBuffer)
        {
            // A view of its own: the mapping's position and limit belong to whoever else uses it.
            crc.update(byteBuffer.slice(channel.wrapAdjustment() + HEADER_LENGTH, length));
        }
        else if (null != array)
        {
            crc.update(array, channel.wrapAdjustment() + HEADER_LENGTH, length);
        }
        else
        {
            final byte[] chunk = new byte[64 * 1024];
            for (int offset = 0; offset < length; offset += chunk.length)
            {
                final int chunkLength = Math.min(chunk.length, length - offset);
                channel.getBytes(HEADER_LENGTH + offset, chunk, 0, chunkLength);
                crc.update(chunk, 0, chunkLength);
            }
        }
        return crc.getValue();
    }

    /**
     * Digest of a channel file's immutable header fields and its data region up to a position.
     *
     * @param file       of the channel.
     * @param toPosition end of a committed record, or a negative value for the end of the last committed record.
     * @return the position covered and the digest.
     * @throws ChannelException         when the file cannot be opened as a channel.
     * @throws IllegalArgumentException when the position is not the end of a committed record.
     */
    public static Result digest(final Path file, final long toPosition)
    {
        final MessageDigest digest = newMessageDigest();
        final long[] channelId = new long[1];
        final long position = update(digest, file, toPosition, channelId);
        return new Result(channelId[0], position, hex(digest.digest()));
    }

    /**
     * Add a channel file to a digest as {@link #digest(Path, long)} covers it, for a digest over several files (a
     * journal's chain of segments), or, with {@link #WHOLE_FILE}, its immutable header fields and every byte after
     * the header: the data region and the trailer, end marker and any seal included.
     *
     * @param digest     to update.
     * @param file       of the channel.
     * @param toPosition end of a committed record, a negative value for the end of the last committed record, or
     *                   {@link #WHOLE_FILE}.
     * @param channelId  when not null, its first element is set to the channel's id.
     * @return the position covered: the capacity plus the trailer's length for {@link #WHOLE_FILE}.
     * @throws ChannelException         when the file cannot be opened as a channel.
     * @throws IllegalArgumentException when the position is not the end of a committed record.
     */
    public static long update(
        final MessageDigest digest, final Path file, final long toPosition, final long[] channelId)
    {
        try (ChannelReader reader = ChannelReader.open(file))
        {
            final long position;
            if (WHOLE_FILE == toPosition)
            {
                position = reader.capacity() + ChannelDescriptor.TRAILER_LENGTH;
            }
            else if (toPosition < 0)
            {
                position = reader.seekToEnd();
            }
            else
            {
                reader.seek(toPosition);
                position = toPosition;
            }

            final UnsafeBuffer buffer = reader.buffer();
            digest.update(immutableHeader(buffer, 0));
            final byte[] chunk = new byte[64 * 1024];
            for (long offset = 0; offset < position; offset += chunk.length)
            {
                final int length = (int)Math.min(chunk.length, position - offset);
                buffer.getBytes(HEADER_LENGTH + (int)offset, chunk, 0, length);
                digest.update(chunk, 0, length);
            }
            if (null != channelId)
            {
                channelId[0] = reader.channelId();
            }

            return position;
        }
    }

    /**
     * A new digest of {@link #ALGORITHM}.
     *
     * @return the digest.
     */
    public static MessageDigest newMessageDigest()
    {
        try
        {
            return MessageDigest.getInstance(ALGORITHM);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ALGORITHM + " missing from this JVM", ex);
        }
    }

    /**
     * Lower-case hex of a digest's bytes.
     *
     * @param bytes of the digest.
     * @return the hex string.
     */
    public static String hex(final byte[] bytes)
    {
        final StringBuilder builder = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            builder.append(Character.forDigit((b >>> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return builder.toString();
    }

    private static byte[] immutableHeader(final DirectBuffer header, final int offset)
    {
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[HEADER_LENGTH]);
        copy.putBytes(0, header, offset, HEADER_LENGTH);
        for (final int fieldOffset : MUTABLE_FIELD_OFFSETS)
        {
            copy.putLong(fieldOffset, 0);
        }
        return copy.byteArray();
    }

    /**
     * A digest of a channel up to a position.
     */
    public static final class Result
    {
        private final long channelId;
        private final long position;
        private final String digest;

        Result(final long channelId, final long position, final String digest)
        {
            this.channelId = channelId;
            this.position = position;
            this.digest = digest;
        }

        /**
         * Id of the channel.
         *
         * @return the channel id.
         */
        public long channelId()
        {
            return channelId;
        }

        /**
         * Position the digest covers the data region up to.
         *
         * @return the position.
         */
        public long position()
        {
            return position;
        }

        /**
         * The digest in lower-case hex.
         *
         * @return the digest.
         */
        public String digest()
        {
            return digest;
        }
    }
}
