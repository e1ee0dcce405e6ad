package org.kekbit.sbe;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kekbit.channel.ChannelReader;
import org.kekbit.channel.ChannelWriter;
import org.kekbit.channel.RecordClaim;
import org.kekbit.channel.RecordDescriptor;
import org.kekbit.codecs.trading.MessageHeaderEncoder;
import org.kekbit.codecs.trading.NewOrderSingleDecoder;
import org.kekbit.codecs.trading.NewOrderSingleEncoder;
import org.kekbit.codecs.trading.OrdType;
import org.kekbit.codecs.trading.QuoteDecoder;
import org.kekbit.codecs.trading.QuoteEncoder;
import org.kekbit.codecs.trading.Side;
import org.kekbit.codecs.trading.TradeDecoder;
import org.kekbit.codecs.trading.TradeEncoder;
import org.kekbit.journal.JournalReader;
import org.kekbit.journal.JournalState;
import org.kekbit.journal.JournalWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SbeRecordsTest
{
    private static final int LEVELS_LENGTH =
        QuoteEncoder.LevelsEncoder.sbeHeaderSize() + 2 * QuoteEncoder.LevelsEncoder.sbeBlockLength();
    private static final int MAX_ACCOUNT_LENGTH = 64;

    @TempDir
    Path root;

    private final SbeRecordClaim claim = new SbeRecordClaim();

    @Test
    void shouldDecodeQuoteWithGroupWhenEncodedIntoClaimedRecord()
    {
        try (ChannelWriter writer = createWriter(); ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final QuoteEncoder quote = new QuoteEncoder();
            assertTrue(claim.tryClaim(writer, quote, LEVELS_LENGTH) > 0);
            quote.instrumentId(7).sendingTimeNs(11).transactTimeNs(12).bidSize(100).askSize(200);
            quote.bidPrice().mantissa(10_000);
            quote.askPrice().mantissa(10_100);
            final QuoteEncoder.LevelsEncoder levels = quote.levelsCount(2);
            levels.next().side(Side.BUY).size(300).price().mantissa(9_900);
            levels.next().side(Side.SELL).size(400).price().mantissa(10_200);
            final int encodedLength = quote.encodedLength();
            final long position = claim.commit();

            assertEquals(RecordDescriptor.alignedLength(RecordDescriptor.frameLength(
                MessageHeaderEncoder.ENCODED_LENGTH + encodedLength), RecordDescriptor.ALIGNMENT), position);

            final List<String> seen = new ArrayList<>();
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new QuoteDecoder(), decoded ->
            {
                assertEquals(7, decoded.instrumentId());
                assertEquals(11, decoded.sendingTimeNs());
                assertEquals(10_000, decoded.bidPrice().mantissa());
                assertEquals(10_100, decoded.askPrice().mantissa());
                final StringBuilder levelsText = new StringBuilder();
                for (final QuoteDecoder.LevelsDecoder level : decoded.levels())
                {
                    levelsText.append(level.side()).append(':').append(level.price().mantissa()).append(':')
                        .append(level.size()).append(' ');
                }
                seen.add(levelsText.toString().trim());
            });

            assertEquals(1, reader.poll(dispatcher, 10));
            assertEquals(List.of("BUY:9900:300 SELL:10200:400"), seen);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 8, 64 })
    void shouldPublishOnlyEncodedLengthAndKeepNextRecordIntactWhenVarDataIsShorterThanClaimed(
        final int recordAlignment)
    {
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context().root(root).channelId(1)
            .capacity(64 * 1024).recordAlignment(recordAlignment));
            ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final NewOrderSingleEncoder order = new NewOrderSingleEncoder();
            final TradeEncoder trade = new TradeEncoder();
            for (int i = 0; i < 3; i++)
            {
                assertTrue(claim.tryClaim(writer, order, NewOrderSingleEncoder.accountHeaderLength() +
                    MAX_ACCOUNT_LENGTH) > 0);
                order.clOrdId(i).instrumentId(3).side(Side.SELL).ordType(OrdType.LIMIT).quantity(10)
                    .originTimeNs(5);
                order.price().mantissa(42);
                order.account("A" + i);
                final long position = claim.commit();
                assertEquals(writer.position(), position, "the position after the shorter record");
                assertEquals(0, position % recordAlignment);

                assertTrue(claim.tryClaim(writer, trade, 0) > 0);
                trade.instrumentId(i).size(i * 10L).aggressorSide(Side.BUY);
                claim.commit();
            }

            final List<String> seen = new ArrayList<>();
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher()
                .on(new NewOrderSingleDecoder(), decoded -> seen.add("order " + decoded.clOrdId() + " " +
                    decoded.account()))
                .on(new TradeDecoder(), decoded -> seen.add("trade " + decoded.instrumentId() + " " + decoded.size()));

            assertEquals(6, reader.poll(dispatcher, 100));
            assertEquals(List.of("order 0 A0", "trade 0 0", "order 1 A1", "trade 1 10", "order 2 A2", "trade 2 20"),
                seen);
        }
    }

    @Test
    void shouldDecodeEveryQuoteInOrderWhenEncodedIntoJournalAcrossRolls()
    {
        final Path folder = root.resolve("journal");
        final int quotes = 200;
        try (JournalWriter writer = JournalWriter.create(
            new JournalWriter.Context().folder(folder).segmentCapacity(1024).preTouch(false)))
        {
            final QuoteEncoder quote = new QuoteEncoder();
            for (int i = 0; i < quotes; i++)
            {
                final long claimed = claim.tryClaim(writer, quote, LEVELS_LENGTH);
                assertTrue(claimed > 0, "claim returned " + claimed);
                quote.instrumentId(i).sendingTimeNs(i * 10L);
                quote.levelsCount(0);
                claim.commit();
                assertTrue(writer.position() <= claimed, "the claim's end bounds the committed record");
            }
            assertTrue(writer.rolls() >= 10, "rolls=" + writer.rolls());
        }

        final List<Integer> seen = new ArrayList<>();
        final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new QuoteDecoder(), decoded ->
        {
            assertEquals(decoded.instrumentId() * 10L, decoded.sendingTimeNs());
            seen.add(decoded.instrumentId());
        });
        try (JournalReader reader = JournalReader.open(new JournalReader.Context().folder(folder)))
        {
            while (reader.poll(dispatcher, 64) > 0)
            {
                assertTrue(seen.size() <= quotes);
            }
            assertEquals(JournalState.CLOSED, reader.state());
        }
        assertEquals(quotes, seen.size());
        for (int i = 0; i < quotes; i++)
        {
            assertEquals(i, seen.get(i));
        }
    }

    @Test
    void shouldPublishNothingWhenSbeClaimIsAborted()
    {
        try (ChannelWriter writer = createWriter(); ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final TradeEncoder trade = new TradeEncoder();
            assertTrue(claim.tryClaim(writer, trade, 0) > 0);
            trade.instrumentId(1);
            claim.abort();
            assertEquals(0, writer.position());
            assertThrows(IllegalStateException.class, claim::commit);

            final int[] count = new int[1];
            assertEquals(0, reader.poll(new SbeRecordDispatcher().on(new TradeDecoder(), t -> count[0]++), 10));
            assertEquals(0, count[0]);
        }
    }

    @Test
    void shouldReturnCodeAndLeaveEncoderUnwrappedWhenClaimDoesNotFit()
    {
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(root).channelId(2).capacity(64).maxRecordLength(56)))
        {
            final QuoteEncoder quote = new QuoteEncoder();
            assertEquals(ChannelWriter.RECORD_TOO_LONG, claim.tryClaim(writer, quote, LEVELS_LENGTH));
            assertThrows(IllegalStateException.class, claim::commit);
        }
    }

    @Test
    void shouldThrowClearErrorAndCarryOnWhenTypeIdDisagreesWithTemplateId()
    {
        try (ChannelWriter writer = createWriter(); ChannelReader reader = ChannelReader.open(writer.path()))
        {
            writeRaw(writer, NewOrderSingleEncoder.TEMPLATE_ID, TradeEncoder.TEMPLATE_ID, TradeEncoder.SCHEMA_ID,
                TradeEncoder.BLOCK_LENGTH, TradeEncoder.BLOCK_LENGTH);
            final TradeEncoder trade = new TradeEncoder();
            assertTrue(claim.tryClaim(writer, trade, 0) > 0);
            trade.instrumentId(9);
            claim.commit();

            final int[] trades = new int[1];
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher()
                .on(new NewOrderSingleDecoder(), order -> {})
                .on(new TradeDecoder(), decoded -> trades[0] += decoded.instrumentId());

            final SbeRecordException ex = assertThrows(SbeRecordException.class, () -> reader.poll(dispatcher, 10));
            assertTrue(ex.getMessage().contains("msgTypeId=" + NewOrderSingleEncoder.TEMPLATE_ID), ex.getMessage());
            assertTrue(ex.getMessage().contains("templateId=" + TradeEncoder.TEMPLATE_ID), ex.getMessage());
            assertEquals(1, reader.poll(dispatcher, 10));
            assertEquals(9, trades[0]);
        }
    }

    @Test
    void shouldThrowWhenSchemaIdDiffers()
    {
        try (ChannelWriter writer = createWriter(); ChannelReader reader = ChannelReader.open(writer.path()))
        {
            writeRaw(writer, TradeEncoder.TEMPLATE_ID, TradeEncoder.TEMPLATE_ID, 999, TradeEncoder.BLOCK_LENGTH,
                TradeEncoder.BLOCK_LENGTH);
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new TradeDecoder(), t -> {});

            final SbeRecordException ex = assertThrows(SbeRecordException.class, () -> reader.poll(dispatcher, 10));
            assertTrue(ex.getMessage().contains("expected=" + TradeEncoder.SCHEMA_ID + ", actual=999"),
                ex.getMessage());
        }
    }

    @Test
    void shouldThrowWhenBlockIsLongerThanRecordOrRecordShorterThanHeader()
    {
        try (ChannelWriter writer = createWriter(); ChannelReader reader = ChannelReader.open(writer.path()))
        {
            writeRaw(writer, TradeEncoder.TEMPLATE_ID, TradeEncoder.TEMPLATE_ID, TradeEncoder.SCHEMA_ID,
                TradeEncoder.BLOCK_LENGTH, 4);
            writer.write(TradeEncoder.TEMPLATE_ID, new UnsafeBuffer(new byte[4]), 0, 4);
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher().on(new TradeDecoder(), t -> {});

            final SbeRecordException longBlock = assertThrows(
                SbeRecordException.class, () -> reader.poll(dispatcher, 10));
            assertTrue(longBlock.getMessage().contains("blockLength=" + TradeEncoder.BLOCK_LENGTH),
                longBlock.getMessage());
            final SbeRecordException shortRecord = assertThrows(
                SbeRecordException.class, () -> reader.poll(dispatcher, 10));
            assertTrue(shortRecord.getMessage().contains("too short"), shortRecord.getMessage());
        }
    }

    @Test
    void shouldHandOtherTemplatesToFallbackWhenNotRouted()
    {
        try (ChannelWriter writer = createWriter(); ChannelReader reader = ChannelReader.open(writer.path()))
        {
            final byte[] text = "plain".getBytes(StandardCharsets.US_ASCII);
            writer.write(77, new UnsafeBuffer(text), 0, text.length);
            final List<String> others = new ArrayList<>();
            final SbeRecordDispatcher dispatcher = new SbeRecordDispatcher()
                .on(new TradeDecoder(), t -> others.add("trade"))
                .otherwise((msgTypeId, buffer, offset, length) -> others.add(msgTypeId + ":" + length));

            assertEquals(1, reader.poll(dispatcher, 10));
            assertEquals(List.of("77:5"), others);
            assertThrows(IllegalArgumentException.class, () -> dispatcher.on(new TradeDecoder(), t -> {}));
        }
    }

    private ChannelWriter createWriter()
    {
        return ChannelWriter.create(new ChannelWriter.Context().root(root).channelId(1).capacity(64 * 1024));
    }

    private static void writeRaw(
        final ChannelWriter writer,
        final int msgTypeId,
        final int templateId,
        final int schemaId,
        final int blockLength,
        final int bodyLength)
    {
        final RecordClaim recordClaim = new RecordClaim();
        assertTrue(writer.tryClaim(msgTypeId, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, recordClaim) > 0);
        new MessageHeaderEncoder().wrap(recordClaim.buffer(), recordClaim.offset())
            .blockLength(blockLength).templateId(templateId).schemaId(schemaId).version(1);
        recordClaim.commit();
    }
}
