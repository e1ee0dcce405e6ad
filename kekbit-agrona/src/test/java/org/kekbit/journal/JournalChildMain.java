package org.kekbit.journal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelException;

/**
 * Child JVM roles for the journal's multi-process tests. Each prints lines the test waits for, and halts when its
 * stdin reaches end of file (the test JVM is gone) or after two minutes.
 * <ul>
 *     <li>{@code writer <folder> <segmentCapacity> <maxRecordLength>}: create the journal, or resume it and continue
 *     the sequence after its last record; print {@code READY next=<sequence>}, then write checked records with the
 *     duty cycle between writes, printing {@code WROTE <sequence>} every 1,000, until killed.</li>
 *     <li>{@code claim <folder> <name>}: open the named reader; print {@code HELD} or {@code REFUSED <reason>}, then
 *     hold it until stdin ends.</li>
 * </ul>
 */
final class JournalChildMain
{
    static final String WRITER = "writer";
    static final String CLAIM = "claim";

    private static final long MAX_LIFETIME_MS = 120_000;
    private static final PrintStream OUT = System.out;

    private JournalChildMain()
    {
    }

    /**
     * Run one role.
     *
     * @param args the role followed by its arguments.
     */
    public static void main(final String[] args)
    {
        startWatchdogs();
        try
        {
            if (WRITER.equals(args[0]))
            {
                writer(Path.of(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]));
            }
            else if (CLAIM.equals(args[0]))
            {
                claim(Path.of(args[1]), args[2]);
            }
            else
            {
                throw new IllegalArgumentException("unknown role: " + args[0]);
            }
        }
        catch (final Throwable ex)
        {
            OUT.println("ERROR " + ex);
            ex.printStackTrace(OUT);
            OUT.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static void writer(final Path folder, final long segmentCapacity, final int maxRecordLength)
    {
        final JournalWriter.Context ctx = new JournalWriter.Context()
            .folder(folder).segmentCapacity(segmentCapacity).maxRecordLength(maxRecordLength).preTouch(false);
        final JournalWriter writer;
        long sequence = 0;
        if (JournalFiles.segmentBases(folder).isEmpty())
        {
            writer = JournalWriter.create(ctx);
        }
        else
        {
            writer = JournalWriter.resume(ctx);
            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
            {
                final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
                while (reader.poll(checker, 1000) > 0)
                {
                    if (!checker.errors.isEmpty())
                    {
                        throw new IllegalStateException("bad journal on resume: " + checker.errors);
                    }
                }
                sequence = checker.next;
            }
        }
        say("READY next=" + sequence);

        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[maxRecordLength]);
        while (true)
        {
            final long result = JournalTestSupport.write(writer, scratch, sequence);
            if (result < 0)
            {
                throw new IllegalStateException("write failed: result=" + result + ", sequence=" + sequence +
                    ", failure=" + writer.lastRollFailure());
            }
            sequence++;
            writer.doWork();
            if (0 == sequence % 1000)
            {
                say("WROTE " + sequence);
            }
        }
    }

    private static void claim(final Path folder, final String name) throws IOException
    {
        try
        {
            JournalReader.open(new JournalReader.Context().folder(folder).name(name));
            say("HELD");
        }
        catch (final ChannelException ex)
        {
            say("REFUSED " + ex.reason());
        }
        while (System.in.read() >= 0)
        {
            // hold until the test closes stdin
        }
        Runtime.getRuntime().halt(0);
    }

    private static void say(final String line)
    {
        OUT.println(line);
        OUT.flush();
    }

    private static void startWatchdogs()
    {
        final Thread lifetime = new Thread(() ->
        {
            try
            {
                Thread.sleep(MAX_LIFETIME_MS);
            }
            catch (final InterruptedException ignore)
            {
                // halt anyway
            }
            Runtime.getRuntime().halt(98);
        }, "lifetime");
        lifetime.setDaemon(true);
        lifetime.start();
    }
}
