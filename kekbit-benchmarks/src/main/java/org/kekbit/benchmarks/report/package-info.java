/**
 * Reports made from a JMH JSON result file: the latency chart and the tables of ratios against each peer.
 */
package org.kekbit.benchmarks.report;
