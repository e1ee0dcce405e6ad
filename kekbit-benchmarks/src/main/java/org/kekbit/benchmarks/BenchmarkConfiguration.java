package org.kekbit.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.agrona.IoUtil;
import org.kekbit.channel.RecordDescriptor;

/**
 * What every benchmark shares: the one set of JVM flags all systems run with, the sizes of the peers' buffers and
 * where files go. {@link BenchmarkDefaults}, which every benchmark class extends, lists {@link #JVM_FLAGS}'
 * constants in its {@code @Fork(jvmArgsAppend = ...)} (annotations take constants, not arrays), and the smoke test
 * passes {@link #JVM_FLAGS} itself.
 * <p>
 * Every system gets the same flags, even those that need fewer: Agrona's (and so Aeron's and Kekbit's)
 * {@code --add-opens} for {@code jdk.internal.misc}, Chronicle Queue's exports and opens, Chronicle's analytics
 * switched off, and Agrona's bounds checks off.
 */
public final class BenchmarkConfiguration
{
    /**
     * Agrona 2.x reaches {@code jdk.internal.misc.Unsafe} through this; Kekbit, Agrona and Aeron need it.
     */
    public static final String AGRONA_OPENS = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: export of {@code jdk.internal.ref}.
     */
    public static final String CHRONICLE_EXPORTS_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: export of {@code sun.nio.ch}.
     */
    public static final String CHRONICLE_EXPORTS_NIO = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: export of {@code sun.misc}.
     */
    public static final String CHRONICLE_EXPORTS_MISC = "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: export of {@code com.sun.tools.javac.file}.
     */
    public static final String CHRONICLE_EXPORTS_JAVAC =
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: opens {@code com.sun.tools.javac}.
     */
    public static final String CHRONICLE_OPENS_JAVAC = "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: opens {@code java.lang}.
     */
    public static final String CHRONICLE_OPENS_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: opens {@code java.lang.reflect}.
     */
    public static final String CHRONICLE_OPENS_REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: opens {@code java.io}.
     */
    public static final String CHRONICLE_OPENS_IO = "--add-opens=java.base/java.io=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: opens {@code java.util}.
     */
    public static final String CHRONICLE_OPENS_UTIL = "--add-opens=java.base/java.util=ALL-UNNAMED";

    /**
     * Chronicle Queue on Java 17: opens {@code sun.nio.ch}.
     */
    public static final String CHRONICLE_OPENS_NIO = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";

    /**
     * Without it Chronicle tries to reach an analytics host on the internet. Always set.
     */
    public static final String CHRONICLE_ANALYTICS_OFF = "-Dchronicle.analytics.disable=true";

    /**
     * Agrona's bounds checks off, for every system alike (Kekbit checks its own reads against the mapping).
     */
    public static final String NO_BOUNDS_CHECKS = "-Dagrona.disable.bounds.checks=true";

    /**
     * The flags every benchmark JVM gets, in the order the annotations list them.
     */
    public static final String[] JVM_FLAGS = {
        AGRONA_OPENS,
        CHRONICLE_EXPORTS_REF,
        CHRONICLE_EXPORTS_NIO,
        CHRONICLE_EXPORTS_MISC,
        CHRONICLE_EXPORTS_JAVAC,
        CHRONICLE_OPENS_JAVAC,
        CHRONICLE_OPENS_LANG,
        CHRONICLE_OPENS_REFLECT,
        CHRONICLE_OPENS_IO,
        CHRONICLE_OPENS_UTIL,
        CHRONICLE_OPENS_NIO,
        CHRONICLE_ANALYTICS_OFF,
        NO_BOUNDS_CHECKS,
    };

    /**
     * Type id of every benchmark record.
     */
    public static final int MSG_TYPE_ID = 1;

    /**
     * Most records a reader takes in one poll, for every system.
     */
    public static final int POLL_LIMIT = 256;

    /**
     * Capacity of each Agrona ring buffer: 64 MiB, mapped from a file on /dev/shm.
     */
    public static final int RING_CAPACITY = 64 * 1024 * 1024;

    /**
     * Term length of Aeron's IPC publications: 16 MiB (three terms, 48 MiB of /dev/shm per stream).
     */
    public static final int AERON_TERM_LENGTH = 16 * 1024 * 1024;

    /**
     * Environment variable naming the folder on the real disk for the durable benchmarks.
     */
    public static final String DISK_DIR_ENV = "KEKBIT_BENCH_DISK_DIR";

    /**
     * Environment variable naming the memory-backed folder to use instead of /dev/shm, for example a tmpfs mounted
     * with {@code huge=always} to give every system's mapped files 2 MiB pages.
     */
    public static final String SHM_DIR_ENV = "KEKBIT_BENCH_SHM_DIR";

    private static final Path SHM = Paths.get("/dev/shm");

    private BenchmarkConfiguration()
    {
    }

    /**
     * A new, empty folder on /dev/shm (or under {@value #SHM_DIR_ENV} when set; the temp folder where there is
     * neither) for one trial's files, deleted when the JVM exits if the trial has not deleted it.
     *
     * @param prefix of the folder's name.
     * @return the folder.
     */
    public static Path shmFolder(final String prefix)
    {
        final String dir = System.getenv(SHM_DIR_ENV);
        final Path shm = null != dir && !dir.isEmpty() ? Paths.get(dir) : SHM;
        final Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ?
            shm : Paths.get(System.getProperty("java.io.tmpdir"));
        return newFolder(parent, prefix);
    }

    /**
     * A new, empty folder on the real disk for one trial's files: under {@value #DISK_DIR_ENV} when set, otherwise
     * under the temp folder (on a disk on the machines this was written on; check with {@code df}). Deleted when the
     * JVM exits if the trial has not deleted it.
     *
     * @param prefix of the folder's name.
     * @return the folder.
     */
    public static Path diskFolder(final String prefix)
    {
        final String dir = System.getenv(DISK_DIR_ENV);
        final Path parent = null == dir || dir.isEmpty() ?
            Paths.get(System.getProperty("java.io.tmpdir")) : Paths.get(dir);
        return newFolder(parent, prefix);
    }

    /**
     * Bytes a record with the given payload takes in a Kekbit channel of the default record alignment: header and
     * padding included.
     *
     * @param payloadLength of the record.
     * @return the aligned record length.
     */
    public static int kekbitRecordLength(final int payloadLength)
    {
        return RecordDescriptor.alignedLength(RecordDescriptor.frameLength(payloadLength), RecordDescriptor.ALIGNMENT);
    }

    private static Path newFolder(final Path parent, final String prefix)
    {
        try
        {
            Files.createDirectories(parent);
            final Path folder = Files.createTempDirectory(parent, prefix);
            // A benchmark that throws skips its trial teardown: the fork still deletes its files as it exits.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> IoUtil.delete(folder.toFile(), true)));
            return folder;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
