//! The `tracing` spans of one message's work: one span per work item and one per IO step
//! (read the payload, render, look the client up, read documents back, place, append), each
//! with the message's id, so that every line logged inside names the message and the step.

use std::fmt::Display;

use tracing::Span;

use super::labels::Stage;

/// The span of one work item on `message_id`.
pub fn work<M: Display>(message_id: &M) -> Span {
    tracing::info_span!("work", message_id = %message_id)
}

/// The span of one IO step of `message_id`'s work.
pub fn step<M: Display>(stage: Stage, message_id: &M) -> Span {
    tracing::info_span!("step", stage = stage.as_str(), message_id = %message_id)
}

#[cfg(test)]
mod tests {
    use super::super::testing::observe;
    use super::*;

    #[test]
    fn a_line_logged_in_a_step_names_the_message_and_the_step() {
        let (lines, _) = observe(|_| {
            let _work = work(&"msg-1").entered();
            let _step = step(Stage::Upload, &"msg-1").entered();
            tracing::warn!("inside");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["span"]["stage"], "upload");
        assert_eq!(lines[0]["span"]["message_id"], "msg-1");
        assert_eq!(lines[0]["spans"][0]["name"], "work");
    }
}
