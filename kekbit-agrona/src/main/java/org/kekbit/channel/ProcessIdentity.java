package org.kekbit.channel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.agrona.SystemUtil;

/**
 * Who a process is, as a channel header records its writer: pid, start time in clock ticks since boot, and the
 * identity of the boot and pid namespace the pid belongs to. Together they name exactly one process: a reused pid
 * has another start time, and a pid from another container (another pid namespace) or another host (another boot)
 * has another namespace id, so it is never mistaken for a process of this namespace.
 * <p>
 * The namespace id is the first 16 hex digits of {@code /proc/sys/kernel/random/boot_id} read as an unsigned 64-bit
 * number, XOR the inode of {@code /proc/self/ns/pid}. It is 0, as is the start, where they cannot be read (other
 * operating systems): liveness is then judged by the heartbeat alone.
 */
final class ProcessIdentity
{
    /**
     * This process.
     */
    static final ProcessIdentity CURRENT = new ProcessIdentity(
        ProcessHandle.current().pid(), startTicks(ProcessHandle.current().pid()), currentNamespaceId());

    private static final int START_TICKS_FIELD = 22;
    private static final int STATE_FIELD = 3;

    final long pid;
    final long startTicks;
    final long namespaceId;

    ProcessIdentity(final long pid, final long startTicks, final long namespaceId)
    {
        this.pid = pid;
        this.startTicks = startTicks;
        this.namespaceId = namespaceId;
    }

    /**
     * Whether a process recorded with this namespace id can be looked up by pid from this process: same boot, same
     * pid namespace, and both known.
     *
     * @param writerNamespaceId recorded in a header.
     * @return true when this process can see that process.
     */
    boolean canSee(final long writerNamespaceId)
    {
        return 0 != namespaceId && namespaceId == writerNamespaceId;
    }

    /**
     * Whether a recorded process is this very process.
     *
     * @return true when pid, start and namespace all match.
     */
    boolean isSelf(final long pid, final long startTicks, final long namespaceId)
    {
        return this.pid == pid && this.startTicks == startTicks && canSee(namespaceId);
    }

    /**
     * Start time of a process in clock ticks since boot, as field 22 of {@code /proc/<pid>/stat} gives it.
     *
     * @param pid of the process.
     * @return the start ticks, or 0 when the process does not exist or the OS does not say.
     */
    static long startTicks(final long pid)
    {
        if (!SystemUtil.isLinux())
        {
            return 0;
        }

        try
        {
            final byte[] stat = Files.readAllBytes(Paths.get("/proc/" + pid + "/stat"));
            return parseStartTicks(stat, stat.length);
        }
        catch (final IOException | RuntimeException ex)
        {
            return 0;
        }
    }

    /**
     * Start ticks in the text of a {@code /proc/<pid>/stat} file: {@code pid (comm) state ...}, where the command may
     * hold spaces and parentheses, so fields are counted from the last ')'.
     *
     * @return the start ticks, or 0 when the text is not complete.
     */
    static long parseStartTicks(final byte[] stat, final int length)
    {
        int field = STATE_FIELD;
        long value = 0;
        boolean isInField = false;
        for (int i = lastClosingParenthesis(stat, length) + 1; i < length; i++)
        {
            final byte b = stat[i];
            if (' ' == b || '\n' == b)
            {
                if (isInField)
                {
                    if (START_TICKS_FIELD == field)
                    {
                        return value;
                    }
                    field++;
                    isInField = false;
                }
            }
            else
            {
                isInField = true;
                if (START_TICKS_FIELD == field)
                {
                    if (b < '0' || b > '9')
                    {
                        return 0;
                    }
                    value = value * 10 + (b - '0');
                }
            }
        }

        return START_TICKS_FIELD == field && isInField ? value : 0;
    }

    /**
     * State letter in the text of a {@code /proc/<pid>/stat} file.
     *
     * @return the state, for example 'R', 'S', 'Z' (zombie) or 'X' (dead), or 0 when the text is not complete.
     */
    static byte parseState(final byte[] stat, final int length)
    {
        final int stateIndex = lastClosingParenthesis(stat, length) + 2;
        return stateIndex > 1 && stateIndex < length ? stat[stateIndex] : 0;
    }

    private static int lastClosingParenthesis(final byte[] stat, final int length)
    {
        for (int i = length - 1; i >= 0; i--)
        {
            if (')' == stat[i])
            {
                return i;
            }
        }
        return length;
    }

    private static long currentNamespaceId()
    {
        if (!SystemUtil.isLinux())
        {
            return 0;
        }

        try
        {
            final String bootId = new String(
                Files.readAllBytes(Paths.get("/proc/sys/kernel/random/boot_id")), StandardCharsets.US_ASCII)
                .replace("-", "").trim();
            final String link = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString(); // "pid:[4026531836]"
            final long inode = Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
            return Long.parseUnsignedLong(bootId.substring(0, 16), 16) ^ inode;
        }
        catch (final IOException | RuntimeException ex)
        {
            return 0;
        }
    }

    public String toString()
    {
        return "pid=" + pid + ", startTicks=" + startTicks + ", namespaceId=" + Long.toHexString(namespaceId);
    }
}
