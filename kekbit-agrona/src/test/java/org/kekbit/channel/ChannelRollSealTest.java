package org.kekbit.channel;

import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelRollSealTest
{
    private static final int CAPACITY = 1024;
    private static final int SEAL_LENGTH = 24;

    private static final RecordHandler IGNORE = (msgTypeId, buffer, offset, length) -> ignore(length);

    @TempDir
    Path root;

    private final UnsafeBuffer seal = new UnsafeBuffer(new byte[SEAL_LENGTH]);
    private final UnsafeBuffer copy = new UnsafeBuffer(new byte[SEAL_LENGTH]);

    @Test
    void shouldCopySealAfterRolledMarkerWhenRecordsEndBeforeIt()
    {
        seal.putLong(0, 11);
        seal.putLong(8, 22);
        seal.putLong(16, 33);
        try (ChannelWriter writer = create())
        {
            writer.write(1, new UnsafeBuffer(new byte[100]), 0, 100);
            assertEquals(42, writer.readPayloadLong(0, 96, 42), "a field past the payload is missing");
            assertEquals(0, writer.readPayloadLong(0, 92, 42));
            assertEquals(42, writer.readPayloadLong(108, 0, 42), "no record there");
            assertTrue(writer.roll(seal, 0, SEAL_LENGTH));
        }
        try (ChannelReader reader = ChannelReader.open(path()))
        {
            assertTrue(reader.readRollSeal(copy, 0, SEAL_LENGTH), "read before walking the records");
            assertEquals(22, copy.getLong(8));
            assertEquals(1, reader.poll(IGNORE, 10));
            assertEquals(0, reader.poll(IGNORE, 10));
            assertEquals(ChannelState.ROLLED, reader.state(), "a plain reader stops at the bare marker");
        }
    }

    @Test
    void shouldRollWithoutSealWhenRecordsReachIntoItsBytes()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[CAPACITY]);
        payload.setMemory(0, CAPACITY, (byte)0xFF);
        try (ChannelWriter writer = create())
        {
            assertTrue(writer.write(1, payload, 0, CAPACITY - 40) > 0);
            assertFalse(writer.roll(seal, 0, SEAL_LENGTH), "no room: the marker alone");
            assertTrue(writer.isClosed());
        }
        try (ChannelReader reader = ChannelReader.open(path()))
        {
            assertFalse(reader.readRollSeal(copy, 0, SEAL_LENGTH), "record bytes are not a seal");
            reader.seekToEnd();
            reader.poll(IGNORE, 10);
            assertEquals(ChannelState.ROLLED, reader.state());
        }
    }

    @Test
    void shouldFindNoSealWhenChannelIsClosedOrOpen()
    {
        try (ChannelWriter writer = create(); ChannelReader reader = ChannelReader.open(path()))
        {
            writer.write(1, new UnsafeBuffer(new byte[8]), 0, 8);
            assertFalse(reader.readRollSeal(copy, 0, SEAL_LENGTH));
            writer.close();
            assertFalse(reader.readRollSeal(copy, 0, SEAL_LENGTH));
        }
    }

    private static void ignore(final int length)
    {
        // the records are not looked at here
    }

    private ChannelWriter create()
    {
        return ChannelWriter.create(new ChannelWriter.Context().path(path()).capacity(CAPACITY).preTouch(false));
    }

    private Path path()
    {
        return root.resolve("sealed.kekbit");
    }
}
