/**
 * The order book of the {@link org.kekbit.samples.OrderBookService} sample: a {@link org.kekbit.image.StateMachine}
 * that matches limit and market orders (NewOrderSingle commands of the trading schema) and emits ExecutionReports.
 */
package org.kekbit.samples.orderbook;
