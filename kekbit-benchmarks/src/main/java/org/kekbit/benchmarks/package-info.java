/**
 * JMH benchmarks of Kekbit channels beside the systems users compare them with.
 */
package org.kekbit.benchmarks;
