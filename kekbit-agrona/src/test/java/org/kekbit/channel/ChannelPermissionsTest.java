package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.bytes;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelPermissionsTest
{
    private static final int CAPACITY = 4096;
    private static final int RECORD_COUNT = 20;

    @TempDir
    Path root;

    @Test
    void shouldCreateOwnerReadWriteFileWhenPermissionsAreDefault() throws IOException
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 100))
        {
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(writer.path()));
            assertEquals(ChannelDescriptor.fileLength(CAPACITY), Files.size(writer.path()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "rw-r-----", "rw-rw-r--", "rw-rw-rw-", "rwx------", "r--------" })
    void shouldCreateFileWithGivenPermissionsWhenConfigured(final String permissions) throws IOException
    {
        final Set<PosixFilePermission> expected = PosixFilePermissions.fromString(permissions);
        final ChannelWriter.Context ctx = ChannelTestSupport.writerContext(root, CAPACITY, 100)
            .filePermissions(expected);

        try (ChannelWriter writer = ChannelWriter.create(ctx))
        {
            assertEquals(expected, Files.getPosixFilePermissions(writer.path()), "not cut by the umask");
            final long position = writer.write(1, payload(10, 1), 0, 10);

            try (ChannelReader reader = ChannelReader.open(writer.path()))
            {
                final RecordCollector collector = new RecordCollector(reader);
                assertEquals(1, reader.poll(collector, 10));
                assertEquals(position, collector.get(0).position());
            }
        }
    }

    @Test
    void shouldLeaveOnlyChannelFileWhenCreated() throws IOException
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 100);
            Stream<Path> files = Files.list(writer.path().getParent()))
        {
            assertArrayEquals(new Object[]{ writer.path() }, files.toArray());
        }
    }

    @Test
    void shouldReadEveryRecordWhenClosedChannelFileIsReadOnly() throws IOException
    {
        final Path path;
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 100))
        {
            path = writer.path();
            writeRecords(writer, 0, RECORD_COUNT);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("r--------"));

        try (ChannelReader reader = ChannelReader.open(path))
        {
            final RecordCollector collector = new RecordCollector();
            assertEquals(RECORD_COUNT, reader.poll(collector, Integer.MAX_VALUE));
            assertEquals(ChannelState.CLOSED, reader.state());
            for (int i = 0; i < RECORD_COUNT; i++)
            {
                assertEquals(i, collector.get(i).msgTypeId());
                assertArrayEquals(bytes(payload(i, i), 0, i), collector.get(i).payload());
            }
        }
        assertEquals(PosixFilePermissions.fromString("r--------"), Files.getPosixFilePermissions(path));
    }

    @Test
    void shouldFollowLiveWriterWhenFileWasMadeReadOnly() throws IOException
    {
        try (ChannelWriter writer = ChannelTestSupport.createWriter(root, CAPACITY, 100))
        {
            writeRecords(writer, 0, RECORD_COUNT / 2);
            Files.setPosixFilePermissions(writer.path(), PosixFilePermissions.fromString("r--------"));

            try (ChannelReader reader = ChannelReader.open(writer.path()))
            {
                final RecordCollector collector = new RecordCollector();
                assertEquals(RECORD_COUNT / 2, reader.poll(collector, Integer.MAX_VALUE));

                writeRecords(writer, RECORD_COUNT / 2, RECORD_COUNT);
                writer.close();

                assertEquals(RECORD_COUNT / 2, reader.poll(collector, Integer.MAX_VALUE));
                assertEquals(ChannelState.CLOSED, reader.state());
                assertEquals(RECORD_COUNT - 1, collector.get(RECORD_COUNT - 1).msgTypeId());
            }
        }
    }

    private static void writeRecords(final ChannelWriter writer, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            assertTrue(writer.write(i, payload(i, i), 0, i) > 0);
        }
    }
}
