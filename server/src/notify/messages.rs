//! What a notification says, per channel kind: pure functions.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Started,
    Live,
    Failed,
    RolledBack,
}

impl Event {
    pub const ALL: [Event; 4] = [Event::Started, Event::Live, Event::Failed, Event::RolledBack];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Live => "live",
            Event::Failed => "failed",
            Event::RolledBack => "rolled_back",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw.trim())
    }
}

/// The deployment as a notification tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub deployment_id: i64,
    pub app: String,
    pub status: String,
    pub trigger: String,
    pub requested_by: String,
    pub commit: Option<String>,
    pub commit_message: Option<String>,
    pub url: Option<String>,
    pub error: Option<String>,
    /// Link to the deployment's page in Slipway.
    pub link: String,
}

/// One line for chat.
pub fn sentence(event: Event, f: &Facts) -> String {
    let commit = f.commit.as_deref().map(|c| format!(" {}", &c[..c.len().min(12)])).unwrap_or_default();
    let message =
        f.commit_message.as_deref().map(|m| format!(" — {}", m.lines().next().unwrap_or_default())).unwrap_or_default();
    match event {
        Event::Started => {
            format!("🚀 Deploying {}{commit}{message} (#{} by {}) {}", f.app, f.deployment_id, f.requested_by, f.link)
        }
        Event::Live => format!(
            "✅ {}{commit} is live{} (#{}) {}",
            f.app,
            f.url.as_deref().map(|u| format!(" at {u}")).unwrap_or_default(),
            f.deployment_id,
            f.link
        ),
        Event::Failed => format!(
            "❌ Deployment #{} of {}{commit} failed: {} {}",
            f.deployment_id,
            f.app,
            f.error.as_deref().unwrap_or("no reason recorded"),
            f.link
        ),
        Event::RolledBack => {
            format!("↩️ {} was rolled back{commit} (#{} by {}) {}", f.app, f.deployment_id, f.requested_by, f.link)
        }
    }
}

/// The request body for a channel kind.
pub fn body(kind: &str, event: Event, f: &Facts) -> Value {
    match kind {
        "slack" => json!({ "text": sentence(event, f) }),
        "discord" => json!({ "content": sentence(event, f) }),
        _ => json!({ "event": event.as_str(), "deployment": f }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            deployment_id: 7,
            app: "shop".into(),
            status: "failed".into(),
            trigger: "webhook".into(),
            requested_by: "ann".into(),
            commit: Some("0123456789abcdef0123".into()),
            commit_message: Some("fix checkout\n\nlong body".into()),
            url: None,
            error: Some("The build failed.".into()),
            link: "http://slipway/deployments/7".into(),
        }
    }

    #[test]
    fn chat_messages() {
        let slack = body("slack", Event::Failed, &facts());
        assert_eq!(
            slack["text"],
            "❌ Deployment #7 of shop 0123456789ab failed: The build failed. http://slipway/deployments/7"
        );
        let discord = body("discord", Event::Started, &facts());
        assert!(
            discord["content"].as_str().unwrap().contains("Deploying shop 0123456789ab — fix checkout (#7 by ann)")
        );
        let generic = body("webhook", Event::Live, &facts());
        assert_eq!(generic["event"], "live");
        assert_eq!(generic["deployment"]["app"], "shop");
        assert_eq!(Event::parse("rolled_back"), Some(Event::RolledBack));
    }
}
