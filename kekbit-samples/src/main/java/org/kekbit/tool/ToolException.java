package org.kekbit.tool;

/**
 * A command ends with an error: the tool prints the message as one line on standard error and exits with the
 * code. For outcomes a command finds (a corrupt channel, a record that did not fit) and for arguments only the
 * command can judge; bad arguments picocli can judge are its {@code ParameterException}.
 */
final class ToolException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    ToolException(final int exitCode, final String message)
    {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode()
    {
        return exitCode;
    }
}
