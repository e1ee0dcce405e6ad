package org.kekbit.samples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelState;
import org.kekbit.samples.SampleTestSupport.Output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.SampleTestSupport.assertOneLineError;
import static org.kekbit.samples.SampleTestSupport.channelFiles;
import static org.kekbit.samples.SampleTestSupport.channels;
import static org.kekbit.samples.SampleTestSupport.properties;

class RequestReplyTest
{
    private static final int REQUESTS = 5_000;

    @TempDir
    Path root;

    @Test
    @Timeout(30)
    void shouldReplyToEveryRequestWhenRequesterAndReplierRunInTwoThreads() throws Exception
    {
        final Output replierOut = new Output();
        final FutureTask<Replier.Result> replier = SampleTestSupport.startThread(
            "replier", () -> Replier.run(channels(root, 20), replierOut.stream));
        final Output requesterOut = new Output();

        final Requester.Result result = Requester.run(channels(root, 20), REQUESTS, requesterOut.stream);

        assertEquals(REQUESTS, result.requests());
        assertEquals(REQUESTS, result.replies());
        assertEquals(0, result.mismatches());
        assertEquals(REQUESTS, result.histogram().getTotalCount());
        assertTrue(result.histogram().getMinValue() > 0);
        assertEquals(ChannelState.CLOSED, result.repliesEndState());
        assertTrue(result.isValid());
        assertEquals(new Replier.Result(REQUESTS, ChannelState.CLOSED), replier.get(20, TimeUnit.SECONDS));
        final String text = requesterOut.text();
        assertTrue(text.contains("5,000 replies to 5,000 requests, 0 mismatched"), text);
        assertTrue(text.contains("round trip in us: p50="), text);
        assertTrue(replierOut.text().contains("5,000 replies, requests channel CLOSED"), replierOut.text());
        assertEquals(0, channelFiles(root).size(), "the requester deletes both channels at the end");
    }

    @Test
    @Timeout(30)
    void shouldExitWithZeroOnBothSidesWhenLaunchedWithProperties() throws Exception
    {
        final Output requesterErr = new Output();
        final FutureTask<Integer> requester = SampleTestSupport.startThread("requester", () -> Requester.launch(
            properties(root, "records=100", "idle=yielding", "keep=true"), new String[0], new Output().stream,
            requesterErr.stream));
        final Output replierErr = new Output();

        assertEquals(0, Replier.launch(properties(root, "idle=yielding"), new String[0], new Output().stream,
            replierErr.stream));

        assertEquals(0, requester.get(20, TimeUnit.SECONDS));
        assertEquals("", requesterErr.text());
        assertEquals("", replierErr.text());
        assertTrue(Files.exists(ChannelDescriptor.channelPath(root, Requester.DEFAULT_CHANNEL_ID)), "kept");
        assertTrue(Files.exists(ChannelDescriptor.channelPath(root, Requester.DEFAULT_CHANNEL_ID + 1)), "kept");
    }

    @Test
    @Timeout(20)
    void shouldDeleteRequestsChannelAndPrintOneLineErrorWhenNoReplierArrives() throws Exception
    {
        final Output err = new Output();

        assertEquals(2, Requester.launch(properties(root, "timeout=100"), new String[0], new Output().stream,
            err.stream));

        assertOneLineError(err.text(), "channel not ready after 100 ms: no channel file: " + root);
        assertFalse(Files.exists(ChannelDescriptor.channelPath(root, Requester.DEFAULT_CHANNEL_ID)));
        assertEquals(0, channelFiles(root).size());
    }

    @Test
    @Timeout(20)
    void shouldPrintOneLineErrorWhenRequestsAreOutOfRange()
    {
        final Output zeroErr = new Output();
        final Output tooManyErr = new Output();

        assertEquals(2, Requester.launch(properties(root, "records=0"), new String[0], new Output().stream,
            zeroErr.stream));
        assertEquals(2, Requester.launch(properties(root, "records=1_000_000_000"), new String[0],
            new Output().stream, tooManyErr.stream));

        assertOneLineError(zeroErr.text(), "kekbit.sample.records out of range: expected 1..89478479, actual=0");
        assertOneLineError(tooManyErr.text(), "actual=1000000000");
    }

    @Test
    @Timeout(20)
    void shouldPrintOneLineErrorWhenReplierIsGivenAnArgument()
    {
        final Output err = new Output();

        assertEquals(2, Replier.launch(properties(root), new String[]{ "now" }, new Output().stream, err.stream));

        assertOneLineError(err.text(), "unexpected argument: now");
    }
}
