//! Scale-out over RabbitMQ (`[amqp]`): the owner (`ketenpost run`) keeps the one event log and
//! publishes each work item to a durable quorum queue; `ketenpost worker` processes run the
//! same work function ([`ketenpost_domain::work::decide`]) on it and send the events they
//! decided back as results, which the owner appends with the version the item was read at.
//!
//! - [`wire`]: the JSON of a work item, a result and the owner's reply.
//! - [`broker`]: the connection, the queues (declared idempotently), publishing with confirms.
//! - [`owner`]: the owner's side, in place of the in-process work queue.
//! - [`events`]: every appended event published to the events exchange, in log order.
//! - [`worker`]: the worker process; `work_step`: the work function on one of its items.
//!
//! An upload stays two-phase across processes: the worker sends `DeliveryAttempted` and waits
//! for the owner's word that it is durable before the document leaves, so a worker killed
//! after the upload is read back by the next attempt instead of placing twice.

pub mod broker;
pub mod events;
pub mod owner;
mod replies;
mod results;
pub mod wire;
mod work_step;
pub mod worker;
