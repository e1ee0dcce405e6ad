package org.kekbit.channel;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

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
 * Cold path: these allocate. Threadsafe.
 */
public final class ChannelDigest
{
    /**
     * Name of the digest algorithm.
     */
    public static final String ALGORITHM = "SHA-256";

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
        final MessageDigest digest = newDigest();
        digest.update(immutableHeader(header, offset));
        final byte[] hash = digest.digest();
        final long folded = new UnsafeBuffer(hash).getLong(0);
        return 0 == folded ? 1 : folded;
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
        try (ChannelReader reader = ChannelReader.open(file))
        {
            final long position;
            if (toPosition < 0)
            {
                position = reader.seekToEnd();
            }
            else
            {
                reader.seek(toPosition);
                position = toPosition;
            }

            final MessageDigest digest = newDigest();
            final UnsafeBuffer buffer = reader.buffer();
            digest.update(immutableHeader(buffer, 0));
            final byte[] chunk = new byte[64 * 1024];
            for (long offset = 0; offset < position; offset += chunk.length)
            {
                final int length = (int)Math.min(chunk.length, position - offset);
                buffer.getBytes(HEADER_LENGTH + (int)offset, chunk, 0, length);
                digest.update(chunk, 0, length);
            }

            return new Result(reader.channelId(), position, hex(digest.digest()));
        }
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

    private static MessageDigest newDigest()
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

    private static String hex(final byte[] bytes)
    {
        final StringBuilder builder = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            builder.append(Character.forDigit((b >>> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return builder.toString();
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
