package org.kekbit.tool;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.kekbit.AgronaAccess;
import org.kekbit.channel.ChannelException;
import org.kekbit.journal.JournalCut;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kekbit cut DIR --at POSITION}: cut a journal nobody writes at a record end ({@link JournalCut}), so it ends
 * there as if its writer had stopped there; for example to drop the records after a bad one, or outputs a failover
 * must not keep. Prints how many records and bytes went. Everything is checked before the first byte changes: a
 * position that is no record end, a live writer or indexer, a named reader past the position each stop it with one
 * line and change nothing.
 */
@Command(
    name = "cut",
    description = "Cut a journal nobody writes at a record end: every record after POSITION goes, and the journal " +
        "ends there as if its writer had stopped there. Refuses, changing nothing, a position that is no record " +
        "end, a live writer or indexer, and a named reader that committed past POSITION.")
final class CutCommand implements Callable<Integer>
{
    private final PrintStream out;

    @Parameters(index = "0", paramLabel = "DIR", description = "Journal folder.")
    private Path folder;

    @Option(
        names = "--at",
        required = true,
        paramLabel = "POSITION",
        description = "Journal position to cut at: the end of a record (as tail, readers and info print them).")
    private long position;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    CutCommand(final PrintStream out)
    {
        this.out = out;
    }

    /**
     * Cut and report.
     *
     * @return {@link KekbitTool#EXIT_OK}; fails with {@link KekbitTool#EXIT_USAGE} for a folder that is not a
     * journal's, a position that is no record end, or a journal that is in use, in one line.
     */
    public Integer call()
    {
        AgronaAccess.check();
        final JournalFolder journal = ReadersCommand.openJournal(folder);
        final long[] cut = new long[2];
        final long oldEnd;
        try
        {
            oldEnd = JournalCut.cut(journal.folder(), position, (msgTypeId, buffer, offset, length) ->
            {
                cut[0]++;
                cut[1] += length;
            });
        }
        catch (final IllegalArgumentException | IllegalStateException | ChannelException ex)
        {
            throw new ToolException(KekbitTool.EXIT_USAGE, "cannot cut " + journal.folder() + " at " + position +
                ": " + ex.getMessage());
        }
        out.println("cut " + journal.folder() + " at " + position + ": " + cut[0] + " records (" + cut[1] +
            " payload bytes) removed; the journal ended at " + oldEnd + " before");
        return KekbitTool.EXIT_OK;
    }
}
