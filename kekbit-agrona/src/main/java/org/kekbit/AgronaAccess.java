package org.kekbit;

import org.agrona.DirectBuffer;

/**
 * Whether this JVM lets Agrona reach the JDK's internal {@code Unsafe}, which Agrona 2.x needs for every
 * {@code UnsafeBuffer}, so Kekbit for every channel. Without the JVM flag {@value #JVM_FLAG} the only sign is
 * Agrona's {@link IllegalAccessError} from deep within a buffer's class initialisation; {@link #check()} fails
 * first, with one message naming the flag and where it goes.
 * <pre>{@code
 * AgronaAccess.check(); // IllegalStateException naming the flag when it is missing
 * }</pre>
 * Where the flag goes: {@code java} command lines; the manifest of a runnable jar
 * ({@code Add-Opens: java.base/jdk.internal.misc}); Maven Surefire's {@code argLine}; {@code .mvn/jvm.config} for
 * {@code exec:java} and plugins that run in Maven's own JVM; the VM options of IDE run configurations. When Agrona
 * is on the module path, name its module instead of {@code ALL-UNNAMED}: the message does.
 * <p>
 * Threadsafe: it only asks the module system, and remembers a yes.
 */
public final class AgronaAccess
{
    /**
     * The JVM flag Agrona 2.x needs when it is on the class path.
     */
    public static final String JVM_FLAG = "--add-opens java.base/jdk.internal.misc=ALL-UNNAMED";

    private static final String INTERNAL_PACKAGE = "jdk.internal.misc";
    // An export is never taken back from a running JVM: once seen, the module system need not be asked again (it
    // allocates to answer, and a journal creates a channel at every roll).
    private static volatile boolean isSeenAvailable;

    private AgronaAccess()
    {
    }

    /**
     * Whether Agrona can reach {@code jdk.internal.misc.Unsafe} in this JVM. Touches none of Agrona's buffers.
     *
     * @return true when {@code java.base} exports {@code jdk.internal.misc} to Agrona's module.
     */
    public static boolean isAvailable()
    {
        return isAvailable(agronaModule());
    }

    /**
     * Fail with one message naming the JVM flag when Agrona cannot work in this JVM: call it before the first
     * {@code UnsafeBuffer} is made, on a cold path such as creating or opening a channel.
     *
     * @throws IllegalStateException naming the missing flag and where it goes.
     */
    public static void check()
    {
        if (isSeenAvailable)
        {
            return;
        }
        final Module agrona = agronaModule();
        if (!isAvailable(agrona))
        {
            throw new IllegalStateException(message(agrona));
        }
        isSeenAvailable = true;
    }

    static boolean isAvailable(final Module agrona)
    {
        // What Agrona's UnsafeApi needs is the export; --add-opens implies it.
        return Object.class.getModule().isExported(INTERNAL_PACKAGE, agrona);
    }

    static String message(final Module agrona)
    {
        final String flag = agrona.isNamed() ?
            "--add-opens java.base/" + INTERNAL_PACKAGE + "=" + agrona.getName() : JVM_FLAG;
        return "Agrona cannot reach " + INTERNAL_PACKAGE + ".Unsafe: start the JVM with " + flag +
            " (java command line or IDE run configuration; Add-Opens: java.base/" + INTERNAL_PACKAGE +
            " in a runnable jar's manifest; Maven: surefire argLine, .mvn/jvm.config for exec:java)";
    }

    private static Module agronaModule()
    {
        // A class literal loads the class without initialising it: nothing of Agrona's Unsafe is touched.
        return DirectBuffer.class.getModule();
    }
}
