package org.kekbit.tool;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Method;

/**
 * The process's standard output, which can tell whether its reader has gone, as {@code head} goes in
 * {@code kekbit tail FILE | head}, so that {@code tail} stops at once instead of reading a channel into a closed
 * pipe.
 * <p>
 * The JVM ignores SIGPIPE, so a write to a pipe without a reader fails with EPIPE, which a {@link java.io.PrintStream}
 * swallows; and a tail waiting for records writes nothing, so it would not notice at all. Two signs are taken, as GNU
 * coreutils' {@code tail -f} does: a write that failed with a broken pipe, and {@code poll(2)} of the descriptor
 * reporting POLLERR or POLLHUP, which it does for the write end of a pipe without readers while nothing is written.
 * The poll goes through the JDK's {@code sun.nio.ch.Net.poll}, which needs
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} (in the manifest of {@code kekbit.jar}); without it only
 * the first sign is taken, and an idle {@code tail --follow} notices a closed pipe when it next writes.
 * <p>
 * Not threadsafe: for the thread running the command.
 */
final class StandardOutput extends OutputStream
{
    private static final String BROKEN_PIPE = "Broken pipe";

    private final FileOutputStream out = new FileOutputStream(FileDescriptor.out);
    private final Poll poll = Poll.create();
    private IOException error;

    /**
     * {@inheritDoc}
     */
    public void write(final int b) throws IOException
    {
        try
        {
            out.write(b);
        }
        catch (final IOException ex)
        {
            recordError(ex);
            throw ex;
        }
    }

    /**
     * {@inheritDoc}
     */
    public void write(final byte[] b, final int off, final int len) throws IOException
    {
        try
        {
            out.write(b, off, len);
        }
        catch (final IOException ex)
        {
            recordError(ex);
            throw ex;
        }
    }

    /**
     * {@inheritDoc}
     */
    public void flush() throws IOException
    {
        out.flush();
    }

    /**
     * Whether the reader of standard output has gone: a write failed with a broken pipe, or the descriptor polls
     * as closed. Costs a system call when the poll is available.
     *
     * @return true when nobody reads what is written any more.
     */
    boolean isReaderGone()
    {
        return (null != error && BROKEN_PIPE.equals(error.getMessage())) || poll.isClosed(FileDescriptor.out);
    }

    /**
     * Whether the {@code poll(2)} sign can be taken in this JVM.
     *
     * @return true when the JDK's poll is accessible.
     */
    boolean canPoll()
    {
        return poll.isAvailable();
    }

    private void recordError(final IOException ex)
    {
        if (null == error)
        {
            error = ex;
        }
    }

    /**
     * {@code poll(2)} of one descriptor with a zero timeout, through the JDK's own native method.
     */
    static final class Poll
    {
        private final Method poll;
        private final int closedEvents;

        private Poll(final Method poll, final int closedEvents)
        {
            this.poll = poll;
            this.closedEvents = closedEvents;
        }

        static Poll create()
        {
            try
            {
                final Class<?> net = Class.forName("sun.nio.ch.Net");
                final Method poll = net.getDeclaredMethod("poll", FileDescriptor.class, int.class, long.class);
                poll.setAccessible(true);
                final int pollErr = net.getField("POLLERR").getShort(null);
                final int pollHup = net.getField("POLLHUP").getShort(null);
                return new Poll(poll, pollErr | pollHup);
            }
            catch (final ReflectiveOperationException | RuntimeException ex)
            {
                // Not opened to us (InaccessibleObjectException), or another JDK: go without this sign.
                return new Poll(null, 0);
            }
        }

        boolean isAvailable()
        {
            return null != poll;
        }

        boolean isClosed(final FileDescriptor fd)
        {
            if (null == poll)
            {
                return false;
            }

            try
            {
                final int revents = (Integer)poll.invoke(null, fd, 0, 0L);
                return 0 != (revents & closedEvents);
            }
            catch (final ReflectiveOperationException | RuntimeException ex)
            {
                return false;
            }
        }
    }
}
