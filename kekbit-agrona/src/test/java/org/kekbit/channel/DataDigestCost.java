package org.kekbit.channel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What a replication hello costs each side at most (docs/replication.md, "History"): the data digest of a full
 * segment of 64 MiB ({@link ChannelDigest#dataDigest}), on the leader through a {@link ChannelSource} opened for the
 * hello, on the follower through its {@link ChannelMirror}'s mapping; and, for comparison, the SHA-256 of
 * {@code kekbit verify --digest} over the same bytes. The files are written first, so they are in the page cache, as a
 * leader's newest segment and a running follower's are.
 * <pre>
 * mvn -o -B -ntp -q -pl kekbit-agrona -am test-compile -Djqwik.skip=true
 * java -cp kekbit-agrona/target/test-classes:kekbit-agrona/target/classes:kekbit-sbe-schemas/target/classes:\
 * $HOME/.m2/repository/org/agrona/agrona/2.6.0/agrona-2.6.0.jar \
 *     org.kekbit.channel.DataDigestCost [dir=/dev/shm] [capacity=67108864] [rounds=10]
 * </pre>
 */
public final class DataDigestCost
{
    private DataDigestCost()
    {
    }

    /**
     * Run it.
     *
     * @param args {@code dir=}, {@code capacity=}, {@code rounds=}.
     * @throws Exception when a file cannot be made.
     */
    public static void main(final String[] args) throws Exception
    {
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        int capacity = 64 * 1024 * 1024;
        int rounds = 10;
        for (final String arg : args)
        {
            final String value = arg.substring(arg.indexOf('=') + 1);
            if (arg.startsWith("dir="))
            {
                parent = Path.of(value);
            }
            else if (arg.startsWith("capacity="))
            {
                capacity = Integer.parseInt(value);
            }
            else if (arg.startsWith("rounds="))
            {
                rounds = Integer.parseInt(value);
            }
        }
        final Path dir = Files.createTempDirectory(parent, "kekbit-digest-cost-");
        try
        {
            run(dir, capacity, rounds);
        }
        finally
        {
            IoUtil.delete(dir.toFile(), true);
        }
    }

    private static void run(final Path dir, final int capacity, final int rounds)
    {
        final Path mirrorPath = dir.resolve("mirror.kekbit");
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[288]);
        try (ChannelWriter writer = ChannelWriter.create(new ChannelWriter.Context()
            .root(dir).channelId(1).capacity(capacity).maxRecordLength(4096).preTouch(false)))
        {
            for (long seq = 0; writer.position() < capacity - 64 * 1024; seq++)
            {
                payload.putLong(0, seq);
                payload.putLong(8, seq * 31);
                writer.write(1, payload, 0, payload.capacity());
            }
            final long end = writer.position();
            final UnsafeBuffer header = new UnsafeBuffer(new byte[ChannelDescriptor.HEADER_LENGTH]);
            try (ChannelSource source = ChannelSource.open(writer.path());
                ChannelMirror mirror = ChannelMirror.create(mirrorPath, header(source, header), 0))
            {
                while (source.poll((buffer, offset, length, position) ->
                    mirror.write(position, buffer, offset, length), 1024 * 1024) > 0)
                {
                    // copy every record to the mirror
                }
                final long[] leader = new long[rounds];
                final long[] follower = new long[rounds];
                final long[] sha = new long[rounds];
                long check = 0;
                for (int i = 0; i < rounds; i++)
                {
                    long start = System.nanoTime();
                    try (ChannelSource hello = ChannelSource.open(writer.path()))
                    {
                        check += hello.dataDigest(end); // the leader's session opens its reader for the hello
                    }
                    leader[i] = System.nanoTime() - start;
                    start = System.nanoTime();
                    check -= mirror.dataDigest();
                    follower[i] = System.nanoTime() - start;
                    start = System.nanoTime();
                    ChannelDigest.digest(mirrorPath, end);
                    sha[i] = System.nanoTime() - start;
                }
                System.out.printf("data digest of %,d bytes (%d MiB capacity) in %s, %d rounds, ms min/median/max%n",
                    end, capacity >> 20, dir.getParent(), rounds);
                print("leader (ChannelSource opened, CRC32C)", leader);
                print("follower (ChannelMirror mapping, CRC32C)", follower);
                print("SHA-256 (verify --digest, for comparison)", sha);
                if (0 != check)
                {
                    throw new IllegalStateException("leader and follower digests differ");
                }
            }
        }
    }

    private static UnsafeBuffer header(final ChannelSource source, final UnsafeBuffer header)
    {
        source.headerBytes(header, 0);
        return header;
    }

    private static void print(final String what, final long[] nanos)
    {
        final long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("  %-45s %8.2f %8.2f %8.2f%n", what, sorted[0] / 1e6, sorted[sorted.length / 2] / 1e6,
            sorted[sorted.length - 1] / 1e6);
    }
}
