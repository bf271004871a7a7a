'use strict';
// The RabbitMQ topology of the order pipeline, declared (idempotently) by crm-api and mes-api.
//
//   exchange `orders` (direct)
//     routing key `orders`         -> queue `orders`            (mes-api consumes it)
//     routing key `orders.delayed` -> queue `orders.delayed`    (no consumer; each message
//                                     expires after its queue delay and is dead-lettered back
//                                     to `orders` with routing key `orders`: a real queue wait)
//     routing key `order.created`  -> nothing (unroutable: RabbitMQ drops it; the "lost" fault)

const EXCHANGE = 'orders';
const QUEUE = 'orders';
const ROUTING_KEY = 'orders';
const DELAY_QUEUE = 'orders.delayed';
const DELAY_ROUTING_KEY = 'orders.delayed';
const LOST_ROUTING_KEY = 'order.created';

async function declare(channel) {
  await channel.assertExchange(EXCHANGE, 'direct', { durable: true });
  await channel.assertQueue(QUEUE, { durable: true });
  await channel.bindQueue(QUEUE, EXCHANGE, ROUTING_KEY);
  await channel.assertQueue(DELAY_QUEUE, {
    durable: true, deadLetterExchange: EXCHANGE, deadLetterRoutingKey: ROUTING_KEY,
  });
  await channel.bindQueue(DELAY_QUEUE, EXCHANGE, DELAY_ROUTING_KEY);
}

module.exports = { EXCHANGE, QUEUE, ROUTING_KEY, DELAY_QUEUE, DELAY_ROUTING_KEY, LOST_ROUTING_KEY, declare };
