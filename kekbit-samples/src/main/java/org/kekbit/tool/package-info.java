/**
 * The {@code kekbit} command-line tool: {@link org.kekbit.tool.KekbitTool} with one class per command ({@code info},
 * {@code tail}, {@code verify}, {@code write}, {@code bench}). Run it with {@code bin/kekbit} or
 * {@code java -jar kekbit-samples/target/kekbit.jar}.
 */
package org.kekbit.tool;
