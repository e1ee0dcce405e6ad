package org.kekbit;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Run in a JVM of its own by {@link AgronaAccessTest}: prints what {@link AgronaAccess#check()} says, then whether
 * Agrona really works, so the test can hold the two to agree.
 */
public final class AgronaAccessChild
{
    private AgronaAccessChild()
    {
    }

    /**
     * Print {@code check=ok} or {@code check=<message>}, then {@code agrona=ok} or {@code agrona=<error class>}.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        try
        {
            AgronaAccess.check();
            System.out.println("check=ok");
        }
        catch (final IllegalStateException ex)
        {
            System.out.println("check=" + ex.getMessage());
        }

        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
            buffer.putLong(0, 42);
            System.out.println(42 == buffer.getLong(0) ? "agrona=ok" : "agrona=wrong value");
        }
        catch (final Throwable ex)
        {
            System.out.println("agrona=" + ex.getClass().getName());
        }
    }
}
