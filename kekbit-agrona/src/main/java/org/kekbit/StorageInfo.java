package org.kekbit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a channel or journal lives: the mount that holds a path, its file system type, and whether that file system
 * backs its files with huge pages (2 MiB), which cut the page faults and TLB misses of streaming through new memory
 * about 512-fold. Read from {@code /proc/self/mounts} and, for tmpfs, its {@code huge=} mount option and the kernel's
 * {@code /sys/kernel/mm/transparent_hugepage/shmem_enabled} override ({@code force} or {@code deny}). Cold path: for
 * the tool and for start-up reports; {@link #isFolderSyncNeeded(Path)}, asked at every segment a journal makes,
 * remembers its answers.
 * <p>
 * A tmpfs mounted {@code huge=always} ({@code mount -t tmpfs -o huge=always,size=12g none /mnt/kekbit-huge}, as root)
 * gives every file huge pages; {@code within_size} and {@code advise} give them to files, or mappings, that ask or
 * fit. /dev/shm is usually mounted without the option, so with 4 KiB pages.
 */
public final class StorageInfo
{
    /**
     * Huge-page mode when it cannot be known (no {@code /proc}, or a path on no listed mount).
     */
    public static final String UNKNOWN = "unknown";

    /**
     * Huge-page mode of a file system that does not back regular files with huge pages.
     */
    public static final String NOT_SUPPORTED = "no";

    private static final Path MOUNTS = Paths.get("/proc/self/mounts");
    private static final Path SHMEM_ENABLED = Paths.get("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
    private static final int FOLDERS_REMEMBERED = 1024;
    private static final Map<Object, Boolean> IS_FOLDER_SYNC_NEEDED = new ConcurrentHashMap<>();

    private final String mountPoint;
    private final String fileSystemType;
    private final String hugePages;

    private StorageInfo(final String mountPoint, final String fileSystemType, final String hugePages)
    {
        this.mountPoint = mountPoint;
        this.fileSystemType = fileSystemType;
        this.hugePages = hugePages;
    }

    /**
     * The storage of a path, existing or not (its nearest existing parent decides).
     *
     * @param path of a channel, a journal folder, or where one would be created.
     * @return what is known; {@link #UNKNOWN} fields where nothing is.
     */
    public static StorageInfo of(final Path path)
    {
        return of(path, readLines(MOUNTS), readFirstLine(SHMEM_ENABLED));
    }

    /**
     * Whether a name linked in a folder survives a power loss only once the folder is fsynced: true on a disk file
     * system, false on tmpfs (nothing to flush), and true when it cannot be told. Asking the JDK for a folder's file
     * store reads the whole mount table (about 5 KB of garbage and a file read); a segment creator asks at every
     * roll, so the answer is remembered by the folder's identity (device and inode: a file system mounted over the
     * folder later is a new identity, asked afresh), at the cost of one {@code lstat}.
     *
     * @param folder where a name is linked.
     * @return true when the folder must be fsynced after a link.
     */
    public static boolean isFolderSyncNeeded(final Path folder)
    {
        final Object folderKey;
        try
        {
            folderKey = Files.readAttributes(folder, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        }
        catch (final IOException ex)
        {
            return true;
        }
        if (null == folderKey)
        {
            return isOnDisk(folder);
        }
        final Boolean known = IS_FOLDER_SYNC_NEEDED.get(folderKey);
        if (null != known)
        {
            return known;
        }
        final boolean isNeeded = isOnDisk(folder);
        if (IS_FOLDER_SYNC_NEEDED.size() >= FOLDERS_REMEMBERED)
        {
            IS_FOLDER_SYNC_NEEDED.clear(); // a process that makes many folders: forget, never grow without bound
        }
        IS_FOLDER_SYNC_NEEDED.put(folderKey, isNeeded);
        return isNeeded;
    }

    private static boolean isOnDisk(final Path folder)
    {
        try
        {
            return !"tmpfs".equals(Files.getFileStore(folder).type());
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    /**
     * The storage of a path, given the mount table's lines and the kernel's shmem huge-page setting.
     */
    static StorageInfo of(final Path path, final List<String> mountLines, final String shmemEnabled)
    {
        final String target = existingRealPath(path);
        String bestMount = null;
        String bestType = null;
        String bestOptions = null;
        for (final String line : mountLines)
        {
            final String[] fields = line.split(" ");
            if (fields.length < 4)
            {
                continue;
            }
            final String mount = unescape(fields[1]);
            if (isUnder(target, mount) && (null == bestMount || mount.length() >= bestMount.length()))
            {
                bestMount = mount; // the last of equal mount points is the one on top
                bestType = fields[2];
                bestOptions = fields[3];
            }
        }
        if (null == bestMount)
        {
            return new StorageInfo(UNKNOWN, UNKNOWN, UNKNOWN);
        }
        return new StorageInfo(bestMount, bestType, hugePages(bestType, bestOptions, shmemEnabled));
    }

    /**
     * Mount point holding the path.
     *
     * @return the mount point, or {@link #UNKNOWN}.
     */
    public String mountPoint()
    {
        return mountPoint;
    }

    /**
     * File system type of the mount, as the kernel names it ({@code tmpfs}, {@code ext4}, ...).
     *
     * @return the type, or {@link #UNKNOWN}.
     */
    public String fileSystemType()
    {
        return fileSystemType;
    }

    /**
     * Huge-page mode of the mount's files: for tmpfs {@code always}, {@code within_size}, {@code advise} or
     * {@code never} (the mount's {@code huge=} option, or the kernel's {@code force} / {@code deny} override);
     * {@link #NOT_SUPPORTED} for other file systems; {@link #UNKNOWN} when it cannot be read.
     *
     * @return the mode.
     */
    public String hugePages()
    {
        return hugePages;
    }

    /**
     * Whether every file of the mount gets huge pages.
     *
     * @return true for a tmpfs mounted {@code huge=always} or forced by the kernel.
     */
    public boolean hasHugePages()
    {
        return "always".equals(hugePages);
    }

    /**
     * One line for reports.
     *
     * @return for example {@code tmpfs at /dev/shm, huge pages: never}.
     */
    public String toString()
    {
        return fileSystemType + " at " + mountPoint + ", huge pages: " + hugePages;
    }

    private static String hugePages(final String type, final String options, final String shmemEnabled)
    {
        if (!"tmpfs".equals(type))
        {
            return NOT_SUPPORTED;
        }
        final String override = selected(shmemEnabled);
        if ("force".equals(override))
        {
            return "always";
        }
        if ("deny".equals(override))
        {
            return "never";
        }
        for (final String option : options.split(","))
        {
            if (option.startsWith("huge="))
            {
                return option.substring("huge=".length());
            }
        }
        return "never";
    }

    /**
     * The bracketed choice of a sysfs setting such as {@code always within_size advise [never] deny force}.
     */
    private static String selected(final String setting)
    {
        if (null == setting)
        {
            return null;
        }
        final int open = setting.indexOf('[');
        final int close = setting.indexOf(']', open + 1);
        return open < 0 || close < 0 ? null : setting.substring(open + 1, close);
    }

    private static boolean isUnder(final String path, final String mount)
    {
        return path.equals(mount) || "/".equals(mount) || path.startsWith(mount + "/");
    }

    /**
     * Mount points in the mount table escape space, tab, newline and backslash as octal ({@code \040}).
     */
    static String unescape(final String field)
    {
        if (field.indexOf('\\') < 0)
        {
            return field;
        }
        final StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++)
        {
            final char c = field.charAt(i);
            if ('\\' == c && isOctal(field, i + 1))
            {
                out.append((char)Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(final String field, final int from)
    {
        if (from + 3 > field.length())
        {
            return false;
        }
        for (int i = from; i < from + 3; i++)
        {
            final char c = field.charAt(i);
            if (c < '0' || c > '7')
            {
                return false;
            }
        }
        return true;
    }

    private static String existingRealPath(final Path path)
    {
        Path current = path.toAbsolutePath().normalize();
        while (null != current)
        {
            try
            {
                return current.toRealPath().toString();
            }
            catch (final IOException ex)
            {
                current = current.getParent();
            }
        }
        return "/";
    }

    private static List<String> readLines(final Path path)
    {
        try
        {
            return Files.readAllLines(path);
        }
        catch (final IOException | RuntimeException ex)
        {
            return Collections.emptyList();
        }
    }

    private static String readFirstLine(final Path path)
    {
        final List<String> lines = readLines(path);
        return lines.isEmpty() ? null : lines.get(0);
    }
}
