package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.kekbit.channel.RecordHandler;
import org.kekbit.image.ImageDescriptor;
import org.kekbit.image.ImageFolder;
import org.kekbit.image.SnapshotFile;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;

/**
 * {@code kekbit info DIR} on a system image's folder: each snapshot (position, size, time, whether it is complete and
 * why not) and the journal after the newest complete one, which is what a recovery would replay. Exits
 * {@link KekbitTool#EXIT_FAILED} after printing when that journal cannot be replayed (CORRUPT or TRUNCATED).
 */
final class ImageInfo
{
    private static final int POLL_LIMIT = 4096;

    private ImageInfo()
    {
    }

    /**
     * Whether a folder is an image's, for {@link InfoCommand} to hand it here.
     *
     * @param folder given to info.
     * @return true when it holds an image.
     */
    static boolean isImage(final Path folder)
    {
        return ImageFolder.isImage(folder);
    }

    /**
     * Print the snapshots and the journal after the newest.
     *
     * @param folder of the image.
     * @param json   one JSON object instead of lines.
     * @param out    to print to.
     * @return {@link KekbitTool#EXIT_OK}.
     * @throws ToolException with {@link KekbitTool#EXIT_FAILED} after printing when the journal after the newest
     *                       snapshot is CORRUPT or TRUNCATED.
     */
    static int print(final Path folder, final boolean json, final PrintStream out)
    {
        final List<SnapshotFile> snapshots = ImageFolder.snapshots(folder);
        long replayFrom = 0;
        for (final SnapshotFile snapshot : snapshots)
        {
            if (SnapshotFile.Status.COMPLETE == snapshot.status())
            {
                replayFrom = Math.max(replayFrom, snapshot.position());
            }
        }

        final long[] counts = new long[2];
        final RecordHandler counter = (msgTypeId, buffer, offset, length) ->
        {
            counts[0]++;
            counts[1] += length;
        };
        final JournalState state;
        final long end;
        final String corruption;
        try (JournalReader reader = JournalReader.open(new JournalReader.Context()
            .folder(ImageDescriptor.journalFolder(folder))))
        {
            reader.seek(replayFrom);
            while (reader.poll(counter, POLL_LIMIT) > 0)
            {
                // to the end of what is committed
            }
            state = reader.state();
            end = reader.position();
            corruption = reader.corruption();
        }

        if (json)
        {
            final StringBuilder builder = new StringBuilder("{\"image\":");
            Report.appendJsonString(builder, folder.toString());
            builder.append(",\"snapshots\":[");
            for (int i = 0; i < snapshots.size(); i++)
            {
                final SnapshotFile snapshot = snapshots.get(i);
                builder.append(i > 0 ? "," : "").append("{\"position\":").append(snapshot.position())
                    .append(",\"fileLength\":").append(snapshot.fileLength())
                    .append(",\"creationTimeMs\":").append(snapshot.creationTimeMs())
                    .append(",\"status\":\"").append(snapshot.status()).append('"')
                    .append(",\"records\":").append(snapshot.recordCount())
                    .append(",\"problem\":");
                if (null == snapshot.problem())
                {
                    builder.append("null");
                }
                else
                {
                    Report.appendJsonString(builder, snapshot.problem());
                }
                builder.append(",\"file\":");
                Report.appendJsonString(builder, snapshot.path().getFileName().toString());
                builder.append('}');
            }
            builder.append("],\"journalAfterNewest\":{\"from\":").append(replayFrom)
                .append(",\"to\":").append(end)
                .append(",\"records\":").append(counts[0])
                .append(",\"payloadBytes\":").append(counts[1])
                .append(",\"state\":\"").append(state).append("\"}}");
            out.println(builder);
        }
        else
        {
            out.println("image: " + folder);
            if (snapshots.isEmpty())
            {
                out.println("snapshots: none (recovery replays the journal from 0)");
            }
            for (final SnapshotFile snapshot : snapshots)
            {
                out.println("snapshot: position=" + snapshot.position() + " size=" + snapshot.fileLength() +
                    " time=" + Instant.ofEpochMilli(snapshot.creationTimeMs()) + " status=" + snapshot.status() +
                    (SnapshotFile.Status.COMPLETE == snapshot.status() ? " records=" + snapshot.recordCount() :
                    " problem=" + KekbitTool.oneLine(snapshot.problem())) +
                    " file=" + snapshot.path().getFileName());
            }
            out.println("journal after newest snapshot: from=" + replayFrom + " to=" + end + " records=" +
                counts[0] + " payloadBytes=" + counts[1] + " state=" + state);
        }

        if (JournalState.CORRUPT == state || JournalState.TRUNCATED == state)
        {
            throw new ToolException(KekbitTool.EXIT_FAILED, "image journal cannot be replayed after the newest " +
                "snapshot: state=" + state + " at position=" + end + (null == corruption ? "" : ": " + corruption));
        }
        return KekbitTool.EXIT_OK;
    }
}
