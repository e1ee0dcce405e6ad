package org.kekbit.samples;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.channel.ChannelDescriptor;
import org.kekbit.channel.ChannelState;
import org.kekbit.samples.SampleTestSupport.Output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.SampleTestSupport.assertOneLineError;
import static org.kekbit.samples.SampleTestSupport.channelFiles;
import static org.kekbit.samples.SampleTestSupport.properties;

class ChatTest
{
    private static final int PIPE_SIZE = 64 * 1024;

    @TempDir
    Path root;

    @Test
    @Timeout(30)
    void shouldShowEachParticipantThePeersLinesWhenBothChat() throws Exception
    {
        try (Participant alice = new Participant("alice", "bob"); Participant bob = new Participant("bob", "alice"))
        {
            alice.type("hi bob");
            alice.start();
            alice.type("how are you?");
            bob.start();
            bob.type("fine, thanks ✓");

            final List<String> bobSees = bob.readUntil("alice: how are you?");
            assertTrue(bobSees.contains("* alice is here"), bobSees.toString());
            assertEquals("alice: hi bob", bobSees.get(bobSees.size() - 2), bobSees.toString());
            assertTrue(alice.readUntil("bob: fine, thanks ✓").contains("* bob is here"));

            alice.leave();
            final Chat.Result aliceResult = alice.result.get(20, TimeUnit.SECONDS);
            bob.readUntil("* alice left");
            final Chat.Result bobResult = bob.result.get(20, TimeUnit.SECONDS);

            assertEquals(new Chat.Result(2, 1, null), aliceResult, "alice left first");
            assertEquals(new Chat.Result(1, 2, ChannelState.CLOSED), bobResult);
        }
        assertEquals(0, channelFiles(root).size(), "bob saw alice leave and deleted both channels");
    }

    @Test
    @Timeout(20)
    void shouldReadEarlierLinesWhenPeerArrivesAfterTheUserLeft() throws Exception
    {
        final Output aliceOut = new Output();
        final Chat.Result aliceResult = Chat.run(SampleTestSupport.channels(root, 0), "alice", "bob",
            new ByteArrayInputStream("one\ntwo\n".getBytes(StandardCharsets.UTF_8)), aliceOut.stream);
        final Output bobOut = new Output();

        final Chat.Result bobResult = Chat.run(SampleTestSupport.channels(root, 0), "bob", "alice",
            new PipedInputStream(new PipedOutputStream()), bobOut.stream);

        assertEquals(new Chat.Result(2, 0, null), aliceResult);
        assertEquals(new Chat.Result(0, 2, ChannelState.CLOSED), bobResult);
        final List<String> bobSees = bobOut.lines();
        assertEquals(List.of("* alice is here", "alice: one", "alice: two", "* alice left"),
            bobSees.subList(1, bobSees.size()));
    }

    @Test
    @Timeout(20)
    void shouldPrintOneLineErrorWhenPeerDoesNotArriveInTime() throws Exception
    {
        final Output err = new Output();
        try (PipedOutputStream keys = new PipedOutputStream(); PipedInputStream keyboard = new PipedInputStream(keys))
        {
            keys.write("anyone there?\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(2, Chat.launch(properties(root, "timeout=100"), new String[]{ "alice", "bob" }, keyboard,
                new Output().stream, err.stream));
        }

        assertOneLineError(err.text(), "bob did not arrive within 100 ms: no channel " +
            ChannelDescriptor.channelPath(root, Chat.channelIdOf("bob")));
        assertEquals(0, channelFiles(root).size(), "nobody came to read alice's channel");
    }

    @Test
    @Timeout(10)
    void shouldNameTheChannelByTheUserIdsAsciiBytesWhenDerivingItsId()
    {
        assertEquals(0x61L, Chat.channelIdOf("a"));
        assertEquals(0x616c696365L, Chat.channelIdOf("alice"));
        assertEquals(0x5a7a2d2e5f303939L, Chat.channelIdOf("Zz-._099"));
        assertThrows(IllegalArgumentException.class, () -> Chat.channelIdOf("123456789"));
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource(delimiter = '|', value = {
        "alice         | usage: Chat <user id> <peer user id>: actual arguments=1",
        "alice bob eve | usage: Chat <user id> <peer user id>: actual arguments=3",
        "alice alice   | user ids must differ: user=alice, peer=alice",
        "alice b/b     | user id must be letters, digits, '.', '_' or '-': actual=b/b",
        "alice ünï     | user id must be letters, digits, '.', '_' or '-': actual=ünï",
        "alexandra bob | user id must have 1 to 8 characters: actual=alexandra",
    })
    void shouldPrintOneLineErrorWhenUserIdsAreBad(final String args, final String message) throws Exception
    {
        final Output out = new Output();
        final Output err = new Output();

        assertEquals(2, Chat.launch(properties(root), args.split(" "), new ByteArrayInputStream(new byte[0]),
            out.stream, err.stream));

        assertOneLineError(err.text(), message);
        assertEquals("", out.text());
        assertEquals(0, channelFiles(root).size());
    }

    /**
     * One side of a chat on a thread of its own, with a keyboard and a screen the test drives through pipes.
     */
    private final class Participant implements AutoCloseable
    {
        private final String userId;
        private final String peerId;
        private final PipedOutputStream keys = new PipedOutputStream();
        private final PipedInputStream keyboard;
        private final PipedInputStream screenInput = new PipedInputStream(PIPE_SIZE);
        private final PrintStream screen;
        private final BufferedReader screenReader;
        private FutureTask<Chat.Result> result;

        Participant(final String userId, final String peerId) throws IOException
        {
            this.userId = userId;
            this.peerId = peerId;
            this.keyboard = new PipedInputStream(keys, PIPE_SIZE);
            this.screen = new PrintStream(new PipedOutputStream(screenInput), true, StandardCharsets.UTF_8);
            this.screenReader = new BufferedReader(new InputStreamReader(screenInput, StandardCharsets.UTF_8));
        }

        void start()
        {
            result = SampleTestSupport.startThread("chat-" + userId, () ->
            {
                try
                {
                    return Chat.run(SampleTestSupport.channels(root, 0), userId, peerId, keyboard, screen);
                }
                finally
                {
                    screen.close(); // the end of the screen, so reading it never waits on a finished chat
                }
            });
        }

        void type(final String line) throws IOException
        {
            keys.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            keys.flush();
        }

        void leave() throws IOException
        {
            keys.close();
        }

        List<String> readUntil(final String expected) throws IOException
        {
            final List<String> lines = new ArrayList<>();
            String line;
            while (null != (line = screenReader.readLine()))
            {
                lines.add(line);
                if (expected.equals(line))
                {
                    return lines;
                }
            }
            throw new AssertionError("screen of " + userId + " ended without: " + expected + ", saw: " + lines);
        }

        public void close() throws IOException
        {
            keys.close();
        }
    }
}
