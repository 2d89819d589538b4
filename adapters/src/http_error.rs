//! One way to describe a failed HTTP call for people and logs: what kind of failure, then each
//! cause, without the URL (which may carry a BSN in a query or credentials in odd set-ups).

/// `timed out`, `connection failed` or `request failed`, followed by every cause.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut detail = String::from(if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    detail
}
