package org.kekbit.image;

import java.nio.ByteOrder;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.kekbit.channel.ChannelDescriptor;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of a system image's folder and of its snapshots.
 * <pre>
 *   image folder/
 *     journal/                                   the command journal (see JournalDescriptor)
 *     snapshots/
 *       snapshot-00000000000000065536.kekbit     complete snapshot of the state at journal position 65536
 *       partial-00000000000000131072-T.kekbit    being written at time T (epoch ms), or left by a writer that died
 *       damaged-00000000000000065536-T.kekbit    failed verification at time T: kept for inspection, never loaded
 * </pre>
 * A snapshot is a channel file, closed, whose records are a BEGIN marker, the state machine's records and an END
 * marker. It is written as {@code partial-*}, forced, closed and forced again, then hard-linked to its
 * {@code snapshot-*} name, the partial name removed and the folder forced: a {@code snapshot-*} file is complete
 * unless the storage damaged it, which the END marker's checksum finds.
 * <p>
 * BEGIN marker payload, type {@link #BEGIN_MSG_TYPE_ID}:
 * <pre>
 *   0                   8          12         16                  24                  32
 *   +-------------------+----------+----------+-------------------+-------------------+
 *   | magic "KEKIMAGE"  | version  | reserved | journal position  | creation time ms  |
 *   +-------------------+----------+----------+-------------------+-------------------+
 * </pre>
 * END marker payload, type {@link #END_MSG_TYPE_ID}:
 * <pre>
 *   0                   8                   16                  24         28         32
 *   +-------------------+-------------------+-------------------+----------+----------+
 *   | journal position  | record count      | payload bytes     | CRC-32C  | reserved |
 *   +-------------------+-------------------+-------------------+----------+----------+
 * </pre>
 * Record count and payload bytes count the state machine's records between the markers. The CRC-32C runs over the
 * BEGIN payload, then for each of those records its type id and payload length (two little-endian int32) and its
 * payload. All fields are little endian. docs/format.md ("System image snapshots") describes the same layout, the
 * write order and the verification rules for readers in other languages.
 */
public final class ImageDescriptor
{
    /**
     * Sub-folder holding the command journal.
     */
    public static final String JOURNAL_FOLDER = "journal";

    /**
     * Sub-folder holding the snapshots.
     */
    public static final String SNAPSHOTS_FOLDER = "snapshots";

    /**
     * Prefix of a complete snapshot's file name.
     */
    public static final String SNAPSHOT_PREFIX = "snapshot-";

    /**
     * Prefix of a snapshot being written, or left by a writer that died.
     */
    public static final String PARTIAL_PREFIX = "partial-";

    /**
     * Prefix of a snapshot that failed verification.
     */
    public static final String DAMAGED_PREFIX = "damaged-";

    /**
     * Digits of the journal position in a snapshot's name, zero-padded, as journal segments are named.
     */
    public static final int POSITION_DIGITS = 20;

    /**
     * Type ids from here up are the image's own in a snapshot; a state machine's records use lower ones.
     */
    public static final int RESERVED_MSG_TYPE_ID_FROM = Integer.MAX_VALUE - 15;

    /**
     * Type id of the BEGIN marker record.
     */
    public static final int BEGIN_MSG_TYPE_ID = Integer.MAX_VALUE - 1;

    /**
     * Type id of the END marker record.
     */
    public static final int END_MSG_TYPE_ID = Integer.MAX_VALUE;

    /**
     * "KEKIMAGE" in ASCII, read as a little-endian long.
     */
    public static final long MAGIC = 0x4547414D494B454BL;

    /**
     * Version of the snapshot records.
     */
    public static final int VERSION = 1;

    /**
     * Offset of the magic in the BEGIN payload.
     */
    public static final int BEGIN_MAGIC_OFFSET = 0;

    /**
     * Offset of the version in the BEGIN payload.
     */
    public static final int BEGIN_VERSION_OFFSET = BEGIN_MAGIC_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the journal position in the BEGIN payload.
     */
    public static final int BEGIN_POSITION_OFFSET = BEGIN_VERSION_OFFSET + 2 * SIZE_OF_INT;

    /**
     * Offset of the creation time in the BEGIN payload.
     */
    public static final int BEGIN_CREATION_TIME_OFFSET = BEGIN_POSITION_OFFSET + SIZE_OF_LONG;

    /**
     * Length of the BEGIN payload.
     */
    public static final int BEGIN_LENGTH = BEGIN_CREATION_TIME_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the journal position in the END payload.
     */
    public static final int END_POSITION_OFFSET = 0;

    /**
     * Offset of the record count in the END payload.
     */
    public static final int END_RECORD_COUNT_OFFSET = END_POSITION_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the payload bytes in the END payload.
     */
    public static final int END_PAYLOAD_BYTES_OFFSET = END_RECORD_COUNT_OFFSET + SIZE_OF_LONG;

    /**
     * Offset of the checksum in the END payload.
     */
    public static final int END_CHECKSUM_OFFSET = END_PAYLOAD_BYTES_OFFSET + SIZE_OF_LONG;

    /**
     * Length of the END payload.
     */
    public static final int END_LENGTH = END_CHECKSUM_OFFSET + 2 * SIZE_OF_INT;

    private ImageDescriptor()
    {
    }

    /**
     * Folder of an image's journal.
     *
     * @param imageFolder of the image.
     * @return the journal's folder.
     */
    public static Path journalFolder(final Path imageFolder)
    {
        return imageFolder.resolve(JOURNAL_FOLDER);
    }

    /**
     * Folder of an image's snapshots.
     *
     * @param imageFolder of the image.
     * @return the snapshots' folder.
     */
    public static Path snapshotsFolder(final Path imageFolder)
    {
        return imageFolder.resolve(SNAPSHOTS_FOLDER);
    }

    /**
     * Name of the complete snapshot at a journal position.
     *
     * @param position of the journal the snapshot's state is at.
     * @return the file name.
     */
    public static String snapshotFileName(final long position)
    {
        return SNAPSHOT_PREFIX + paddedPosition(position) + ChannelDescriptor.FILE_SUFFIX;
    }

    /**
     * Name of a partial or damaged snapshot at a journal position.
     *
     * @param prefix     {@link #PARTIAL_PREFIX} or {@link #DAMAGED_PREFIX}.
     * @param position   of the journal the snapshot's state is at.
     * @param timeMs     epoch ms the snapshot was begun or found damaged, to keep names unique.
     * @return the file name.
     */
    public static String incompleteFileName(final String prefix, final long position, final long timeMs)
    {
        return prefix + paddedPosition(position) + "-" + timeMs + ChannelDescriptor.FILE_SUFFIX;
    }

    /**
     * Journal position in a snapshot file's name of any of the three kinds.
     *
     * @param fileName to parse.
     * @return the position, or -1 when the name is not a snapshot's.
     */
    public static long parsePosition(final String fileName)
    {
        final int from;
        if (fileName.startsWith(SNAPSHOT_PREFIX))
        {
            from = SNAPSHOT_PREFIX.length();
            if (fileName.length() != from + POSITION_DIGITS + ChannelDescriptor.FILE_SUFFIX.length() ||
                !fileName.endsWith(ChannelDescriptor.FILE_SUFFIX))
            {
                return -1;
            }
        }
        else if (fileName.startsWith(PARTIAL_PREFIX) || fileName.startsWith(DAMAGED_PREFIX))
        {
            from = PARTIAL_PREFIX.length(); // both prefixes are 8 characters
            if (fileName.length() <= from + POSITION_DIGITS || '-' != fileName.charAt(from + POSITION_DIGITS) ||
                !fileName.endsWith(ChannelDescriptor.FILE_SUFFIX))
            {
                return -1;
            }
        }
        else
        {
            return -1;
        }

        long position = 0;
        for (int i = from; i < from + POSITION_DIGITS; i++)
        {
            final char c = fileName.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            position = position * 10 + (c - '0');
            if (position < 0)
            {
                return -1;
            }
        }
        return position;
    }

    /**
     * Write a BEGIN payload.
     *
     * @param buffer         to write into.
     * @param offset         of the payload.
     * @param position       of the journal.
     * @param creationTimeMs epoch ms.
     */
    public static void writeBegin(
        final MutableDirectBuffer buffer, final int offset, final long position, final long creationTimeMs)
    {
        buffer.putLong(offset + BEGIN_MAGIC_OFFSET, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + BEGIN_VERSION_OFFSET, VERSION, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + BEGIN_VERSION_OFFSET + SIZE_OF_INT, 0, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + BEGIN_POSITION_OFFSET, position, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + BEGIN_CREATION_TIME_OFFSET, creationTimeMs, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Write an END payload.
     *
     * @param buffer       to write into.
     * @param offset       of the payload.
     * @param position     of the journal.
     * @param recordCount  of the state machine's records.
     * @param payloadBytes of those records.
     * @param checksum     CRC-32C as the class javadoc says.
     */
    public static void writeEnd(
        final MutableDirectBuffer buffer,
        final int offset,
        final long position,
        final long recordCount,
        final long payloadBytes,
        final int checksum)
    {
        buffer.putLong(offset + END_POSITION_OFFSET, position, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + END_RECORD_COUNT_OFFSET, recordCount, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + END_PAYLOAD_BYTES_OFFSET, payloadBytes, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + END_CHECKSUM_OFFSET, checksum, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + END_CHECKSUM_OFFSET + SIZE_OF_INT, 0, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Read a little-endian long field of a marker payload.
     *
     * @param buffer holding the payload.
     * @param offset of the field.
     * @return the value.
     */
    public static long longField(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Read a little-endian int field of a marker payload.
     *
     * @param buffer holding the payload.
     * @param offset of the field.
     * @return the value.
     */
    public static int intField(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN);
    }

    private static String paddedPosition(final long position)
    {
        if (position < 0)
        {
            throw new IllegalArgumentException("position must not be negative: position=" + position);
        }
        final String digits = Long.toString(position);
        return "0".repeat(POSITION_DIGITS - digits.length()) + digits;
    }
}
