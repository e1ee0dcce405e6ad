package org.kekbit;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StorageInfoTest
{
    private static final String ROOT = "/dev/vda / ext4 rw,relatime 0 0";
    private static final String SHM = "tmpfs /dev/shm tmpfs rw,relatime,size=24683656k 0 0";
    private static final String SHMEM_NEVER = "always within_size advise [never] deny force";

    @Test
    void shouldTakeTheLongestMountPointHoldingThePath()
    {
        final StorageInfo info = StorageInfo.of(Path.of("/dev/shm/no/such/journal"), List.of(ROOT, SHM), SHMEM_NEVER);
        assertEquals("/dev/shm", info.mountPoint());
        assertEquals("tmpfs", info.fileSystemType());
        assertEquals("never", info.hugePages(), "tmpfs without huge=");
        assertFalse(info.hasHugePages());
        assertEquals("tmpfs at /dev/shm, huge pages: never", info.toString());
    }

    @Test
    void shouldReadTheHugeOptionOfTheTopmostMount()
    {
        final String huge = "kekbit-huge /dev/shm tmpfs rw,relatime,size=12582912k,huge=always 0 0";
        final StorageInfo info = StorageInfo.of(Path.of("/dev/shm"), List.of(ROOT, SHM, huge), SHMEM_NEVER);
        assertEquals("always", info.hugePages());
        assertTrue(info.hasHugePages());

        final String withinSize = "none /dev/shm tmpfs rw,huge=within_size 0 0";
        assertEquals("within_size", StorageInfo.of(Path.of("/dev/shm"), List.of(SHM, withinSize), null).hugePages());
    }

    @Test
    void shouldApplyTheKernelsForceAndDenyOverrides()
    {
        final String huge = "none /dev/shm tmpfs rw,huge=always 0 0";
        assertEquals("always", StorageInfo.of(Path.of("/dev/shm"), List.of(SHM),
            "always within_size advise never deny [force]").hugePages());
        assertEquals("never", StorageInfo.of(Path.of("/dev/shm"), List.of(huge),
            "always within_size advise never [deny] force").hugePages());
    }

    @Test
    void shouldSayNoForOtherFileSystemsAndUnknownWithoutAMountTable()
    {
        assertEquals(StorageInfo.NOT_SUPPORTED, StorageInfo.of(Path.of("/"), List.of(ROOT, SHM), null).hugePages());
        final StorageInfo unknown = StorageInfo.of(Path.of("/dev/shm"), List.of(), null);
        assertEquals(StorageInfo.UNKNOWN, unknown.mountPoint());
        assertEquals(StorageInfo.UNKNOWN, unknown.hugePages());
    }

    @Test
    void shouldDecodeOctalEscapesOfMountPoints()
    {
        assertEquals("/mnt/my disk", StorageInfo.unescape("/mnt/my\\040disk"));
        assertEquals("/mnt/a\\b", StorageInfo.unescape("/mnt/a\\134b"));
        assertEquals("/mnt/x\\9", StorageInfo.unescape("/mnt/x\\9"));
    }

    @Test
    void shouldDescribeThisMachinesTempFolder()
    {
        assumeTrue(Files.exists(Path.of("/proc/self/mounts")), "no /proc/self/mounts: not Linux");
        final StorageInfo info = StorageInfo.of(Path.of(System.getProperty("java.io.tmpdir")));
        assertTrue(info.toString().contains(" at /"), info.toString()); // a real mount table on Linux
    }

    @Test
    void shouldNeedAFolderSyncExactlyOffTmpfsAndRememberTheAnswerByFolder(@TempDir final Path tempFolder)
        throws IOException
    {
        assumeTrue(Files.exists(Path.of("/proc/self/mounts")), "no /proc/self/mounts: not Linux");
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Path folder = Files.createDirectory(tempFolder.resolve("journal"));
        final boolean isTmpfs = "tmpfs".equals(Files.getFileStore(folder).type());

        assertEquals(!isTmpfs, StorageInfo.isFolderSyncNeeded(folder));
        long leastAllocated = Long.MAX_VALUE;
        for (int i = 0; i < 100; i++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            assertEquals(!isTmpfs, StorageInfo.isFolderSyncNeeded(folder));
            leastAllocated = Math.min(leastAllocated, threads.getCurrentThreadAllocatedBytes() - before);
        }
        // remembered: one lstat's attributes, not the mount table (about 5 KB each time)
        assertTrue(leastAllocated < 1024, "bytes allocated by a remembered answer: " + leastAllocated);

        final Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && "tmpfs".equals(Files.getFileStore(shm).type()))
        {
            assertFalse(StorageInfo.isFolderSyncNeeded(shm));
        }
        assertTrue(StorageInfo.isFolderSyncNeeded(folder.resolve("missing")), "unknown: sync to be safe");
    }
}
