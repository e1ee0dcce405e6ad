package org.kekbit.journal;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.codecs.trading.TradeDecoder;
import org.kekbit.codecs.trading.TradeEncoder;
import org.kekbit.sbe.SbeRecordClaim;
import org.kekbit.sbe.SbeRecordDispatcher;
import org.kekbit.stage.SequenceStage;
import org.kekbit.stage.StagedWriter;
import org.kekbit.stage.TimestampStage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Staged writes, SBE claims and the reader agent work on a journal as on a channel, across rolls, in journal
 * positions.
 */
class JournalAppendersTest
{
    @TempDir
    Path folder;

    @Test
    void shouldWriteStagedRecordsAcrossRollsAtJournalPositionsAndSealTheirSequences()
    {
        final long[] nowNs = new long[1];
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[100]);
        final int sequenceOffset = Long.BYTES;
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(folder)
            .timestampOffset(0).sequenceOffset(sequenceOffset)))
        {
            final StagedWriter staged =
                new StagedWriter(writer, new TimestampStage(() -> nowNs[0]), new SequenceStage(1));
            assertEquals(sequenceOffset, staged.stageOffset(1));
            long records = 0;
            while (writer.rolls() < 5)
            {
                nowNs[0] = 1_000 * (records + 1);
                final long position = staged.write(3, payload, 0, 1 + (int)(records % 90));
                assertEquals(writer.position(), position, "a journal position, not the segment's");
                records++;
            }

            final JournalSeal seal = new JournalSeal();
            assertTrue(seal.read(JournalDescriptor.segmentPath(folder, 0)));
            assertEquals(1, seal.firstSequence());
            assertEquals(seal.recordCount(), seal.lastSequence());
            assertEquals(1_000, seal.firstTimestampNs());

            try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)
                .sequenceOffset(sequenceOffset).timestampOffset(0)))
            {
                final List<Long> sequences = new ArrayList<>();
                reader.seekToSequence(records - 3);
                while (reader.poll((msgTypeId, buffer, offset, length) ->
                    sequences.add(SequenceStage.sequence(buffer, offset + sequenceOffset)), 10) > 0)
                {
                    assertTrue(sequences.size() <= 4);
                }
                assertEquals(List.of(records - 3, records - 2, records - 1, records), sequences);
                reader.seekToTimestamp(1_000 * records);
                sequences.clear();
                reader.poll((msgTypeId, buffer, offset, length) -> sequences.add(
                    buffer.getLong(offset + sequenceOffset, ByteOrder.LITTLE_ENDIAN)), 10);
                assertEquals(List.of(records), sequences);
            }
        }
    }

    @Test
    void shouldCommitSbeMessagesAcrossRollsAtJournalPositions()
    {
        final SbeRecordClaim claim = new SbeRecordClaim();
        final TradeEncoder trade = new TradeEncoder();
        try (JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(folder));
            JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            int messages = 0;
            while (writer.rolls() < 3)
            {
                assertTrue(claim.tryClaim(writer, trade, 64) > 0);
                trade.instrumentId(messages).size(10L * messages);
                assertEquals(writer.currentSegmentBase() + writer.currentSegment().position(), writer.position());
                final long position = claim.commit();
                assertEquals(writer.position(), position, "the journal position after the shorter record");
                messages++;
            }

            final List<Integer> seen = new ArrayList<>();
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new TradeDecoder(), (decoded) ->
            {
                assertEquals(10L * decoded.instrumentId(), decoded.size());
                seen.add(decoded.instrumentId());
            });
            while (reader.poll(dispatcher, 100) > 0)
            {
                assertTrue(seen.size() <= messages);
            }
            assertEquals(messages, seen.size());
            assertEquals(messages - 1, seen.get(messages - 1));
        }
    }

    @Test
    void shouldFollowAcrossRollsCommitAndTerminateWhenJournalCloses()
    {
        final CachedEpochClock clock = new CachedEpochClock();
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[JournalTestSupport.MAX_RECORD_LENGTH]);
        final JournalTestSupport.Checker checker = new JournalTestSupport.Checker(0);
        final JournalWriter writer = JournalWriter.create(JournalTestSupport.writerContext(folder));
        final JournalReaderAgent agent = new JournalReaderAgent(
            JournalReader.open(new JournalReader.Context().folder(folder).name("agent")), checker, 7, clock);
        long sequence = 0;
        while (writer.rolls() < 4)
        {
            JournalTestSupport.write(writer, scratch, sequence++);
            agent.doWork();
        }
        final long end = writer.position();
        writer.close();

        assertThrows(AgentTerminationException.class, () ->
        {
            for (int i = 0; i < 10_000; i++)
            {
                clock.advance(1);
                agent.doWork();
            }
        });
        assertEquals(JournalState.CLOSED, agent.endState());
        assertEquals(List.of(), checker.errors);
        assertEquals(sequence, checker.next);
        assertEquals(0, agent.doWork(), "idle once ended");
        agent.onClose();

        try (JournalReader reopened = JournalReader.open(new JournalReader.Context().folder(folder).name("agent")))
        {
            assertEquals(end, reopened.position(), "the agent committed every record it delivered");
        }
    }
}
