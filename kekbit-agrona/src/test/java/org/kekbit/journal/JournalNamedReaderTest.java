package org.kekbit.journal;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.journal.JournalTestSupport.write;
import static org.kekbit.journal.JournalTestSupport.writerContext;

class JournalNamedReaderTest
{
    @TempDir
    Path folder;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);

    @Test
    void shouldResumeAfterLastCommitWhenReopenedOrCrashed()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_000);
        try (JournalWriter writer = JournalWriter.create(writerContext(folder)))
        {
            for (long sequence = 0; sequence < 400; sequence++)
            {
                write(writer, scratch, sequence);
            }
        }

        final JournalReader.Context ctx = new JournalReader.Context().folder(folder).name("audit").epochClock(clock);
        final JournalReader first = JournalReader.open(ctx);
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        assertEquals(100, first.poll(checker, 100));
        clock.update(2_000);
        final long committed = first.commit();
        assertEquals(first.position(), committed);
        assertEquals(50, first.poll(checker, 50), "read but not committed");
        first.close();

        final JournalReader second = JournalReader.open(new JournalReader.Context().folder(folder).name("audit"));
        assertEquals(committed, second.position());
        final JournalTestSupport.Checker afterReopen = new JournalTestSupport.Checker(100);
        assertEquals(10, second.poll(afterReopen, 10));
        assertEquals(List.of(), afterReopen.errors);
        second.commit();
        final long secondCommit = second.position();
        second.poll(afterReopen, 100);
        second.crash(); // as kill -9: no release

        try (JournalReader third = JournalReader.open(new JournalReader.Context().folder(folder).name("audit"));
            JournalReaderPositions positions = JournalReaderPositions.openOrCreate(folder))
        {
            assertEquals(secondCommit, third.position());
            final JournalTestSupport.Checker afterCrash = new JournalTestSupport.Checker(110);
            while (third.poll(afterCrash, 100) > 0)
            {
                assertEquals(List.of(), afterCrash.errors);
            }
            assertEquals(400, afterCrash.next);
            final int slot = positions.bind("audit", true);
            assertEquals(secondCommit, positions.position(slot));
            assertTrue(positions.commitTimeMs(slot) > 2_000, "the last commit used the system clock");
        }
    }

    @Test
    void shouldStartAtOldestSegmentAndCommitItWhenNameIsNew()
    {
        try (JournalWriter writer = JournalWriter.create(writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder).name("new")))
        {
            assertEquals(0, reader.position());
            assertEquals(0, writer.slowestProtectingPosition());
            write(writer, scratch, 0);
            assertEquals(1, reader.poll(new JournalTestSupport.Checker(0), 10));
            assertEquals(writer.position(), reader.commit());
            assertEquals(writer.position(), writer.slowestProtectingPosition());
        }
    }

    @Test
    void shouldRefuseSecondOpenWhenNameIsHeldAndAllowItOnceReleased()
    {
        JournalWriter.create(writerContext(folder)).close();
        final JournalReader.Context ctx = new JournalReader.Context().folder(folder).name("one");
        final JournalReader holder = JournalReader.open(ctx);
        final ChannelException ex = assertThrows(ChannelException.class,
            () -> JournalReader.open(new JournalReader.Context().folder(folder).name("one")));
        assertEquals(ChannelException.Reason.READER_ACTIVE, ex.reason());
        try (JournalReader other = JournalReader.open(new JournalReader.Context().folder(folder).name("two")))
        {
            assertEquals(0, other.position());
        }
        holder.close();
        JournalReader.open(new JournalReader.Context().folder(folder).name("one")).close();
    }

    @Test
    @Timeout(30)
    void shouldLetExactlyOneWinWhenThreadsOpenOneNameAtOnce() throws Exception
    {
        JournalWriter.create(writerContext(folder)).close();
        final int threads = 8;
        for (int round = 0; round < 20; round++)
        {
            final String name = "race-" + round;
            final CountDownLatch start = new CountDownLatch(1);
            final AtomicInteger winners = new AtomicInteger();
            final AtomicInteger refused = new AtomicInteger();
            final CountDownLatch opened = new CountDownLatch(threads);
            final CountDownLatch release = new CountDownLatch(1);
            final ExecutorService executor = Executors.newFixedThreadPool(threads);
            try
            {
                final Future<?>[] futures = new Future<?>[threads];
                for (int i = 0; i < threads; i++)
                {
                    futures[i] = executor.submit(() ->
                    {
                        start.await();
                        JournalReader reader = null;
                        try
                        {
                            reader = JournalReader.open(new JournalReader.Context().folder(folder).name(name));
                            winners.incrementAndGet();
                        }
                        catch (final ChannelException ex)
                        {
                            if (ChannelException.Reason.READER_ACTIVE == ex.reason())
                            {
                                refused.incrementAndGet();
                            }
                        }
                        opened.countDown();
                        release.await(); // hold the name until every thread has tried
                        if (null != reader)
                        {
                            reader.close();
                        }
                        return null;
                    });
                }
                start.countDown();
                assertTrue(opened.await(20, TimeUnit.SECONDS));
                release.countDown();
                for (final Future<?> future : futures)
                {
                    future.get();
                }
            }
            finally
            {
                executor.shutdownNow();
            }
            assertEquals(1, winners.get(), "round " + round);
            assertEquals(threads - 1, refused.get(), "round " + round);
        }
    }
}
