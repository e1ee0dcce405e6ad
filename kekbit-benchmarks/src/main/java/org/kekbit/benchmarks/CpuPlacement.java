package org.kekbit.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where two threads ran, read from Linux's {@code /proc} and {@code /sys} on cold paths only (each read allocates):
 * a thread's id ({@code /proc/thread-self}), the CPU it last ran on (field 39 of {@code /proc/self/task/TID/stat}),
 * its migrations between CPUs ({@code se.nr_migrations} in {@code sched}) and its involuntary context switches
 * ({@code nonvoluntary_ctxt_switches} in {@code status}), and the CPU topology the guest sees
 * ({@code /sys/devices/system/cpu/cpuN/topology}: {@code core_id}, {@code thread_siblings_list}). Pins nothing.
 * <p>
 * In a virtual machine the topology is the hypervisor's story: two vCPUs shown as separate cores may run on sibling
 * hyperthreads of one host core, and be moved between the two, without the guest seeing it. Anything unreadable (not
 * Linux, no {@code CONFIG_SCHED_DEBUG}) comes back as {@link #UNKNOWN}.
 */
public final class CpuPlacement
{
    /**
     * A value that could not be read.
     */
    public static final long UNKNOWN = -1;

    private static final Path CPUS = Paths.get("/sys/devices/system/cpu");
    private static final int STAT_PROCESSOR_FIELD = 39;
    private static final int STAT_FIRST_FIELD_AFTER_COMM = 3;

    private CpuPlacement()
    {
    }

    /**
     * What one thread's counters said at one moment.
     *
     * @param cpu         it last ran on, or {@link #UNKNOWN}.
     * @param migrations  between CPUs since it started, or {@link #UNKNOWN}.
     * @param involuntary context switches (preemptions) since it started, or {@link #UNKNOWN}.
     */
    public record Sample(long cpu, long migrations, long involuntary)
    {
        /**
         * The growth of both counters since an earlier sample, with this sample's CPU.
         *
         * @param earlier sample of the same thread.
         * @return the differences, {@link #UNKNOWN} where either side is unknown.
         */
        public Sample since(final Sample earlier)
        {
            return new Sample(cpu, difference(migrations, earlier.migrations),
                difference(involuntary, earlier.involuntary));
        }

        private static long difference(final long later, final long earlier)
        {
            return UNKNOWN == later || UNKNOWN == earlier ? UNKNOWN : later - earlier;
        }
    }

    /**
     * The kernel's id of the calling thread.
     *
     * @return the id, or {@link #UNKNOWN}.
     */
    public static long currentThreadId()
    {
        try
        {
            final Path link = Files.readSymbolicLink(Paths.get("/proc/thread-self")); // "PID/task/TID"
            return Long.parseLong(link.getFileName().toString());
        }
        catch (final IOException | RuntimeException ex)
        {
            return UNKNOWN;
        }
    }

    /**
     * Read a thread's counters.
     *
     * @param threadId the kernel's id of a thread of this process, from {@link #currentThreadId()}.
     * @return the sample.
     */
    public static Sample sample(final long threadId)
    {
        if (UNKNOWN == threadId)
        {
            return new Sample(UNKNOWN, UNKNOWN, UNKNOWN);
        }
        final Path task = Paths.get("/proc/self/task", Long.toString(threadId));
        return new Sample(processor(task.resolve("stat")), counter(task.resolve("sched"), "se.nr_migrations"),
            counter(task.resolve("status"), "nonvoluntary_ctxt_switches"));
    }

    /**
     * How two CPUs relate in the topology the guest sees.
     *
     * @param cpuA a CPU.
     * @param cpuB another, or the same.
     * @return "same CPU", "sibling hyperthreads", "separate cores" or "unknown".
     */
    public static String relation(final long cpuA, final long cpuB)
    {
        if (UNKNOWN == cpuA || UNKNOWN == cpuB)
        {
            return "unknown";
        }
        if (cpuA == cpuB)
        {
            return "same CPU";
        }
        final String siblings = read(topology(cpuA, "thread_siblings_list"));
        if (null == siblings)
        {
            return "unknown";
        }

        return parseCpuList(siblings).contains(cpuB) ? "sibling hyperthreads" : "separate cores";
    }

    /**
     * The online CPUs with their core and hyperthread siblings, and what that means for two threads.
     *
     * @return one line, or a line saying the topology is not readable.
     */
    public static String describeTopology()
    {
        final String online = read(CPUS.resolve("online"));
        if (null == online)
        {
            return "CPU topology not readable (" + CPUS + ")";
        }
        final StringBuilder line = new StringBuilder("CPUs online (guest view): ");
        boolean hasSiblings = false;
        final List<Long> cpus = parseCpuList(online);
        for (final long cpu : cpus)
        {
            final String siblings = read(topology(cpu, "thread_siblings_list"));
            hasSiblings |= null != siblings && parseCpuList(siblings).size() > 1;
            line.append(String.format(Locale.ROOT, "cpu%d core %s, package %s, hyperthread siblings %s; ", cpu,
                read(topology(cpu, "core_id")), read(topology(cpu, "physical_package_id")), siblings));
        }
        line.append(hasSiblings ?
            "some CPUs are sibling hyperthreads: the table's placement column says which pair each run had" :
            "no CPU has a sibling hyperthread in the guest: two threads on different CPUs are on separate cores " +
            "as far as the guest can tell (the hypervisor may still back both vCPUs with one host core's " +
            "hyperthreads, unseen here)");

        return line.toString();
    }

    /**
     * Parse a kernel CPU list such as {@code 0-3,8}.
     *
     * @param list to parse.
     * @return the CPUs, in order.
     */
    static List<Long> parseCpuList(final String list)
    {
        final List<Long> cpus = new ArrayList<>();
        for (final String part : list.trim().split(","))
        {
            if (part.isEmpty())
            {
                continue;
            }
            final int dash = part.indexOf('-');
            final long first = Long.parseLong(dash < 0 ? part : part.substring(0, dash));
            final long last = dash < 0 ? first : Long.parseLong(part.substring(dash + 1));
            for (long cpu = first; cpu <= last; cpu++)
            {
                cpus.add(cpu);
            }
        }

        return cpus;
    }

    /**
     * The processor field of a {@code stat} line: counted after the command's closing parenthesis, since the command
     * (a thread name) may hold spaces.
     */
    private static long processor(final Path stat)
    {
        final String line = read(stat);
        final int end = null == line ? -1 : line.lastIndexOf(')');
        if (end < 0)
        {
            return UNKNOWN;
        }
        final String[] fields = line.substring(end + 1).trim().split(" +");
        final int index = STAT_PROCESSOR_FIELD - STAT_FIRST_FIELD_AFTER_COMM;

        return index < fields.length ? Long.parseLong(fields[index]) : UNKNOWN;
    }

    /**
     * A counter from a {@code name: value} or {@code name   :   value} line.
     */
    private static long counter(final Path file, final String name)
    {
        final String text = read(file);
        if (null == text)
        {
            return UNKNOWN;
        }
        for (final String line : text.split("\n"))
        {
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name))
            {
                return (long)Double.parseDouble(line.substring(colon + 1).trim());
            }
        }

        return UNKNOWN;
    }

    private static Path topology(final long cpu, final String name)
    {
        return CPUS.resolve("cpu" + cpu).resolve("topology").resolve(name);
    }

    /**
     * A small text file from /proc or /sys, trimmed.
     *
     * @param file to read.
     * @return its text, or null when it cannot be read.
     */
    static String read(final Path file)
    {
        try
        {
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }
}
