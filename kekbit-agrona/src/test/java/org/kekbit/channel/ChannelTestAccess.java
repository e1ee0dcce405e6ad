package org.kekbit.channel;

/**
 * Package-private operations of the channel for tests of other packages (the journal's), kept out of the library.
 */
public final class ChannelTestAccess
{
    private ChannelTestAccess()
    {
    }

    /**
     * Stop a writer as a killed process stops: no end marker, the file unmapped, the writer no longer open here.
     *
     * @param writer to crash.
     */
    public static void crash(final ChannelWriter writer)
    {
        writer.crash();
    }
}
