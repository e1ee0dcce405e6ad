package org.kekbit.samples;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.UnsafeBuffer;
import org.kekbit.channel.ChannelWriter;

/**
 * An agent that writes each line of an input as one text record (UTF-8, no line terminator) and terminates at the
 * end of the input. Run it with its {@link ChannelWriter} in one duty cycle, for example in a
 * {@link org.agrona.concurrent.CompositeAgent}, so the writer's heartbeat stays fresh while the input is silent.
 * <p>
 * Not threadsafe: it runs on the thread of its duty cycle.
 */
final class LinePublisher implements Agent
{
    /**
     * Type id of a text record.
     */
    static final int TEXT_MSG_TYPE_ID = 1;

    private static final int LINES_PER_DUTY_CYCLE = 64;

    private final ChannelWriter writer;
    private final InputLines input;
    private final UnsafeBuffer line = new UnsafeBuffer(0, 0);
    private long lines;

    /**
     * Publish the lines of an input through a writer.
     *
     * @param writer to write with, on this agent's thread only.
     * @param input  to take the lines from.
     */
    LinePublisher(final ChannelWriter writer, final InputLines input)
    {
        this.writer = writer;
        this.input = input;
    }

    /**
     * Write the lines waiting, at most {@value #LINES_PER_DUTY_CYCLE}.
     *
     * @return the number of lines written.
     * @throws AgentTerminationException (expected) at the end of the input.
     * @throws IllegalStateException     when a line cannot be written: too long, or the channel is full.
     */
    public int doWork()
    {
        int count = 0;
        byte[] bytes;
        while (count < LINES_PER_DUTY_CYCLE && null != (bytes = input.poll()))
        {
            line.wrap(bytes);
            final long result = writer.write(TEXT_MSG_TYPE_ID, line, 0, bytes.length);
            if (result < 0)
            {
                throw new IllegalStateException(failure(result, bytes.length));
            }
            lines++;
            count++;
        }

        if (0 == count && input.isDrained())
        {
            if (null != input.error())
            {
                throw new IllegalStateException(input.error());
            }
            throw new AgentTerminationException("end of input", true);
        }

        return count;
    }

    /**
     * Role name of the agent.
     *
     * @return the role name.
     */
    public String roleName()
    {
        return "kekbit-line-publisher";
    }

    /**
     * Lines written so far.
     *
     * @return the count.
     */
    long lines()
    {
        return lines;
    }

    private String failure(final long result, final int length)
    {
        if (ChannelWriter.RECORD_TOO_LONG == result)
        {
            return "line " + (lines + 1) + " too long: expected<=" + writer.maxRecordLength() + " bytes, actual=" +
                length;
        }
        if (ChannelWriter.CHANNEL_FULL == result)
        {
            return "channel full after " + lines + " lines: capacity=" + writer.capacity() + " (set " +
                SampleChannels.CAPACITY_PROPERTY + ")";
        }

        return "line " + (lines + 1) + " not written: code=" + result;
    }
}
