//! Timestamps are stored as Unix seconds and shown as RFC 3339 (UTC).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// Unix milliseconds (step timings).
pub fn now_ms() -> i64 {
    let now = OffsetDateTime::now_utc();
    now.unix_timestamp() * 1000 + i64::from(now.millisecond())
}
