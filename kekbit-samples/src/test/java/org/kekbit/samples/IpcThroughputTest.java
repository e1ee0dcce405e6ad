package org.kekbit.samples;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kekbit.channel.ChannelState;
import org.kekbit.samples.SampleTestSupport.Output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kekbit.samples.SampleTestSupport.assertOneLineError;
import static org.kekbit.samples.SampleTestSupport.channelFiles;
import static org.kekbit.samples.SampleTestSupport.channels;
import static org.kekbit.samples.SampleTestSupport.properties;

class IpcThroughputTest
{
    private static final long RECORDS = 200_000;

    @TempDir
    Path root;

    @Test
    @Timeout(30)
    void shouldDeliverEveryRecordInOrderWhenWriterAndReaderRunInTwoThreads() throws Exception
    {
        final Output readerOut = new Output();
        final FutureTask<IpcThroughputReader.Result> reader = SampleTestSupport.startThread(
            "ipc-reader", () -> IpcThroughputReader.run(channels(root, 4).idle("yielding"), readerOut.stream));
        final Output writerOut = new Output();

        IpcThroughputWriter.run(channels(root, 4), RECORDS, 40, writerOut.stream);

        final IpcThroughputReader.Result result = reader.get(20, TimeUnit.SECONDS);
        assertEquals(new IpcThroughputReader.Result(RECORDS, 0, RECORDS * 40, ChannelState.CLOSED), result);
        assertTrue(result.isValid());
        assertTrue(writerOut.text().contains("writer: 200,000 records in "), writerOut.text());
        assertTrue(readerOut.text().contains("M records/s"), readerOut.text());
        assertTrue(readerOut.text().contains("every record whole and in order"), readerOut.text());
        assertEquals(0, channelFiles(root).size(), "the reader deletes the channel at the end");
    }

    @Test
    @Timeout(60)
    void shouldDeliverEveryRecordInOrderWhenReaderRunsInAnotherProcess() throws Exception
    {
        final Process reader = new ProcessBuilder(List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "-D" + SampleChannels.ROOT_PROPERTY + "=" + root,
            "-D" + SampleChannels.CHANNEL_PROPERTY + "=44",
            "-D" + SampleChannels.TIMEOUT_PROPERTY + "=30000",
            "-cp", testClassPath(),
            IpcThroughputReader.class.getName()))
            .redirectErrorStream(true)
            .start();
        try
        {
            IpcThroughputWriter.run(channels(root, 44), RECORDS, 32, new Output().stream);

            assertTrue(reader.waitFor(40, TimeUnit.SECONDS), "reader process did not end");
            final String output = new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, reader.exitValue(), output);
            assertTrue(output.contains("reader: 200,000 records in "), output);
            assertTrue(output.contains("MB/s of payload"), output);
            assertTrue(output.contains("reader: channel CLOSED, sequence gaps 0: every record whole and in order"),
                output);
            assertEquals(0, channelFiles(root).size(), "the reader deletes the channel at the end");
        }
        finally
        {
            reader.destroyForcibly();
        }
    }

    @Test
    @Timeout(20)
    void shouldExitWithZeroOnBothSidesWhenLaunchedWithProperties() throws Exception
    {
        final Output writerErr = new Output();
        assertEquals(0, IpcThroughputWriter.launch(properties(root, "records=1000", "payload=8"), new String[0],
            new Output().stream, writerErr.stream));
        final Output readerOut = new Output();
        final Output readerErr = new Output();

        assertEquals(0, IpcThroughputReader.launch(properties(root, "keep=true"), new String[0], readerOut.stream,
            readerErr.stream));

        assertEquals("", writerErr.text());
        assertEquals("", readerErr.text());
        assertTrue(readerOut.text().contains("reader: 1,000 records in "), readerOut.text());
        assertEquals(1, channelFiles(root).size(), "kept");
    }

    @ParameterizedTest
    @Timeout(20)
    @CsvSource(delimiter = '|', value = {
        "records=0       | payload=32 | kekbit.sample.records out of range for a payload of 32 bytes: expected 1..",
        "records=100_000_000 | payload=32 | kekbit.sample.records out of range for a payload of 32 bytes",
        "records=10      | payload=7  | kekbit.sample.payload out of range: expected 8..2147483496, actual=7",
        "records=ten     | payload=32 | kekbit.sample.records must be a number: actual=ten",
    })
    void shouldPrintOneLineErrorWhenWriterSettingsAreBad(
        final String records, final String payload, final String message) throws Exception
    {
        final Output err = new Output();

        assertEquals(2, IpcThroughputWriter.launch(properties(root, records, payload), new String[0],
            new Output().stream, err.stream));

        assertOneLineError(err.text(), message);
        assertEquals(0, channelFiles(root).size());
    }

    /**
     * The class path of the classes under test and their dependencies. Surefire starts its JVM from a manifest-only
     * jar, then sets both surefire.test.class.path and java.class.path to the real entries; elsewhere
     * java.class.path is the real one.
     */
    private static String testClassPath()
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        assertTrue(classPath.contains(File.pathSeparator) || classPath.endsWith(".jar"), classPath);
        return classPath;
    }
}
