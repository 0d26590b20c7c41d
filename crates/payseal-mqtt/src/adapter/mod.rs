//! The parts an adapter builds on: the state a client handle shares with its network task,
//! exact packet sizes, remembered subscriptions. Applications do not need this module.

mod pipeline;
mod size;
mod state;
mod subscriptions;
mod trace;

pub use pipeline::{Feed, Inspect, Output, PipelineConfig, Stopped, start_pipeline};
pub use size::{effective_limit, envelope_properties_len, publish_v4, publish_v5};
pub use state::{ClientState, Framing, Incoming, PrepareError, PreparedBatch};
pub use subscriptions::{Subscriptions, must_restore, topic_filter_of};
pub use trace::trace_event;
