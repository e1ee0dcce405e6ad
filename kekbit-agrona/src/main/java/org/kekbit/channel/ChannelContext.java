package org.kekbit.channel;

import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.agrona.IoUtil;
import org.kekbit.CommonContext;

/**
 * Configuration shared by writers and readers of a channel: where the channel is (a root folder and a channel id, or
 * a path), with the clock and pre-touch of {@link CommonContext}. {@link ChannelWriter.Context} and
 * {@link ChannelReader.Context} add only their own fields.
 *
 * @param <C> the concrete context, for a fluent API.
 */
public abstract class ChannelContext<C extends ChannelContext<C>> extends CommonContext<C>
{
    /**
     * System property naming the default root folder of channels.
     */
    public static final String DIR_PROP_NAME = "kekbit.dir";

    private Path root;
    private long channelId;
    private boolean isChannelIdSet;
    private Path path;
    private ProcessIdentity observer = ProcessIdentity.CURRENT;

    ChannelContext(final boolean preTouch)
    {
        super(preTouch);
    }

    /**
     * Folder used when no root is set: the {@value #DIR_PROP_NAME} system property when set, otherwise
     * /dev/shm/kekbit where there is a /dev/shm, so channels run at memory speed, otherwise kekbit in the temp folder.
     *
     * @return the default root.
     */
    public static Path defaultRoot()
    {
        final String dir = System.getProperty(DIR_PROP_NAME);
        if (null != dir && !dir.isEmpty())
        {
            return Paths.get(dir);
        }

        final File shm = new File("/dev/shm");
        if (shm.isDirectory() && shm.canWrite())
        {
            return shm.toPath().resolve("kekbit");
        }

        return Paths.get(IoUtil.tmpDirName(), "kekbit");
    }

    /**
     * Folder holding the channels, used with {@link #channelId(long)}; {@link #defaultRoot()} when not set.
     *
     * @param root folder.
     * @return this for a fluent API.
     */
    public C root(final Path root)
    {
        this.root = root;
        return self();
    }

    /**
     * Folder holding the channels.
     *
     * @return the root folder, or null before concluding when none was set.
     */
    public Path root()
    {
        return root;
    }

    /**
     * Id of the channel: with the root it decides the file's path,
     * {@link ChannelDescriptor#channelPath(Path, long)}.
     *
     * @param channelId of the channel.
     * @return this for a fluent API.
     */
    public C channelId(final long channelId)
    {
        this.channelId = channelId;
        this.isChannelIdSet = true;
        return self();
    }

    /**
     * Id of the channel.
     *
     * @return the channel id.
     */
    public long channelId()
    {
        return channelId;
    }

    /**
     * Path of the channel's file; takes precedence over root and channel id.
     *
     * @param path of the channel's file.
     * @return this for a fluent API.
     */
    public C path(final Path path)
    {
        this.path = path;
        return self();
    }

    /**
     * Path of the channel's file, known once concluded.
     *
     * @return the path, or null before concluding when none was set.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Judge the writer's liveness as this process would (tests: simulate an observer in another pid namespace).
     */
    C observer(final ProcessIdentity observer)
    {
        this.observer = observer;
        return self();
    }

    ProcessIdentity observer()
    {
        return observer;
    }

    /**
     * Resolve the channel's path and check the shared fields.
     *
     * @throws IllegalArgumentException when neither a path nor a channel id was set, or the clock is null.
     */
    void concludePath()
    {
        if (null == path)
        {
            if (!isChannelIdSet)
            {
                throw new IllegalArgumentException("either path or channelId must be set");
            }
            if (null == root)
            {
                root = defaultRoot();
            }
            path = ChannelDescriptor.channelPath(root, channelId);
        }
        concludeCommon();
    }
}
