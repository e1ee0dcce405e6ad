package org.kekbit.samples;

import java.io.PrintStream;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;

/**
 * The README's first example, whole: create a channel, write a record, read it back, delete the channel. Its body
 * between the markers is the README's "Using it" block, word for word; a test keeps the two equal and runs this.
 */
public final class GettingStarted
{
    private GettingStarted()
    {
    }

    /**
     * Run the example in the temp folder.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        run(Path.of(System.getProperty("java.io.tmpdir"), "kekbit-getting-started"), System.out);
    }

    static void run(final Path root, final PrintStream out)
    {
        // README begin
        final Path path;
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context().root(root).channelId(42));
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            path = writer.path();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
            final int length = buffer.putStringWithoutLengthAscii(0, "hello, kekbit");
            final long position = writer.write(7, buffer, 0, length); // >= 0: the new position; < 0: a code
            writer.doWork(); // keeps the heartbeat fresh; run the writer as an Agent in a real application

            reader.poll((msgTypeId, records, offset, recordLength) -> out.println(
                msgTypeId + ": " + records.getStringWithoutLengthAscii(offset, recordLength)), 100);
            out.println("position " + position + ", state " + reader.state());
        }
        ChannelWriter.delete(path); // or keep it: the channel stays for later readers until deleted
        // README end
    }
}
