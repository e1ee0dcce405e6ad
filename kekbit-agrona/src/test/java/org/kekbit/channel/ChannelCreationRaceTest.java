package org.kekbit.channel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.agrona.concurrent.EpochClock;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException.Reason;
import org.kekbit.channel.ChannelTestSupport.RecordCollector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.channel.ChannelTestSupport.payload;

class ChannelCreationRaceTest
{
    private static final int CREATOR_COUNT = 8;
    private static final int CAPACITY = 64 * 1024;

    @TempDir
    Path root;

    @RepeatedTest(10)
    @Timeout(30)
    void shouldLetExactlyOneCreatorWinWhenCreatorsRace() throws Exception
    {
        final CyclicBarrier barrier = new CyclicBarrier(CREATOR_COUNT);
        final ExecutorService executor = Executors.newFixedThreadPool(CREATOR_COUNT);
        final List<Future<ChannelWriter>> results = new ArrayList<>();
        final List<ChannelWriter> winners = new ArrayList<>();
        final AtomicLong winnerId = new AtomicLong(-1);
        try
        {
            for (int i = 0; i < CREATOR_COUNT; i++)
            {
                final long writerId = i;
                results.add(executor.submit(() ->
                {
                    final ChannelWriter.Context ctx = ChannelTestSupport.writerContext(root, CAPACITY, 1000)
                        .writerId(writerId);
                    barrier.await();
                    try
                    {
                        final ChannelWriter writer = ChannelWriter.create(ctx);
                        winnerId.set(writerId);
                        return writer;
                    }
                    catch (final ChannelException ex)
                    {
                        assertEquals(Reason.ALREADY_EXISTS, ex.reason(), ex.getMessage());
                        return null;
                    }
                }));
            }
            for (final Future<ChannelWriter> result : results)
            {
                final ChannelWriter writer = result.get();
                if (null != writer)
                {
                    winners.add(writer);
                }
            }

            assertEquals(1, winners.size());
            final ChannelWriter winner = winners.get(0);
            assertOnlyChannelFile(winner.path());
            final long position = winner.write(5, payload(50, 5), 0, 50);
            try (ChannelReader reader = ChannelReader.open(winner.path()))
            {
                assertEquals(winnerId.get(), reader.header().writerId(), "the file is the winner's");
                assertEquals(CAPACITY, reader.capacity());
                final RecordCollector collector = new RecordCollector(reader);
                assertEquals(1, reader.poll(collector, 10));
                assertEquals(position, collector.get(0).position());
            }
        }
        finally
        {
            executor.shutdownNow();
            winners.forEach(ChannelWriter::close);
        }
    }

    @Test
    void shouldLeaveNoTempFileWhenChannelAlreadyExists() throws IOException
    {
        try (ChannelWriter first = ChannelTestSupport.createWriter(root, CAPACITY, 1000))
        {
            final ChannelException ex = assertThrows(ChannelException.class,
                () -> ChannelTestSupport.createWriter(root, CAPACITY, 1000));

            assertEquals(Reason.ALREADY_EXISTS, ex.reason());
            assertOnlyChannelFile(first.path());
        }
    }

    @Test
    void shouldLeaveWinnerAndNoTempFileWhenAnotherCreatorPublishesFirst() throws IOException
    {
        final Path path = ChannelDescriptor.channelPath(root, ChannelTestSupport.CHANNEL_ID);
        final List<ChannelWriter> rivals = new ArrayList<>();
        final AtomicBoolean isRivalCreated = new AtomicBoolean();
        // Called by create between writing the temp file and publishing it: the rival wins the race there.
        final EpochClock racingClock = () ->
        {
            if (isRivalCreated.compareAndSet(false, true))
            {
                rivals.add(ChannelWriter.create(ChannelTestSupport.writerContext(root, CAPACITY, 1000).writerId(2)));
            }
            return 1_000;
        };
        final ChannelWriter.Context ctx = ChannelTestSupport.writerContext(root, 2 * CAPACITY, 1000)
            .writerId(1)
            .epochClock(racingClock);

        final ChannelException ex = assertThrows(ChannelException.class, () -> ChannelWriter.create(ctx));

        assertEquals(Reason.ALREADY_EXISTS, ex.reason());
        assertEquals(1, rivals.size());
        try (ChannelWriter rival = rivals.get(0))
        {
            assertOnlyChannelFile(path);
            rival.write(3, payload(3, 3), 0, 3);
            try (ChannelReader reader = ChannelReader.open(path))
            {
                assertEquals(2, reader.header().writerId());
                assertEquals(CAPACITY, reader.capacity());
                assertEquals(1, reader.poll(new RecordCollector(), 10));
            }
        }
    }

    @Test
    void shouldThrowIoErrorAndLeaveNothingWhenRootIsAFile() throws IOException
    {
        final Path file = Files.createFile(root.resolve("not-a-folder"));

        final ChannelException ex = assertThrows(ChannelException.class,
            () -> ChannelTestSupport.createWriter(file, CAPACITY, 1000));

        assertEquals(Reason.IO_ERROR, ex.reason());
        try (Stream<Path> files = Files.list(root))
        {
            assertArrayEquals(new Object[]{ file }, files.toArray());
        }
    }

    private static void assertOnlyChannelFile(final Path path) throws IOException
    {
        try (Stream<Path> files = Files.list(path.getParent()))
        {
            final Object[] names = files.map(Path::getFileName).toArray();
            assertArrayEquals(new Object[]{ path.getFileName() }, names, "no temp file is left behind");
        }
        assertTrue(Files.isRegularFile(path));
    }
}
