//! Headless Chromium driven over WebDriver (chromedriver + fantoccini).

use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::service::{self, Service};

struct ChromeDriver {
    url: String,
    _service: Service,
}

fn chromedriver() -> &'static ChromeDriver {
    static DRIVER: OnceLock<ChromeDriver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let program = service::find_program("chromedriver", &["/usr/bin/chromedriver"])
            .expect("chromedriver is not installed; run `scripts/setup.sh test`");
        let dir = service::scratch_dir("slipway-chromedriver-");
        let port = service::free_port();
        let log = dir.join("chromedriver.log");
        let service = service::start(
            "chromedriver",
            &program,
            &[&format!("--port={port}"), "--allowed-ips=127.0.0.1"],
            &[],
            &log,
        );
        service::wait_for_port("chromedriver", port, Duration::from_secs(30), &log);
        ChromeDriver { url: format!("http://127.0.0.1:{port}"), _service: service }
    })
}

/// A new browser session with a fresh profile. `javascript: false` loads pages
/// without running the wasm bundle (progressive-enhancement checks).
pub async fn browser(javascript: bool) -> Client {
    let profile = service::scratch_dir("slipway-chromium-");
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if !javascript {
        args.push("--blink-settings=scriptEnabled=false".into());
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), json!({ "binary": "/usr/bin/chromium", "args": args }));
    capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&chromedriver().url)
        .await
        .expect("starting a Chromium session through chromedriver")
}

/// The browser console so far (errors, panics of the wasm bundle), one message per line.
pub async fn console_log(client: &Client) -> String {
    let Ok(Some(session)) = client.session_id().await else { return String::new() };
    let answer = reqwest::Client::new()
        .post(format!("{}/session/{session}/se/log", chromedriver().url))
        .json(&json!({ "type": "browser" }))
        .send()
        .await;
    let Ok(answer) = answer else { return String::new() };
    let body: serde_json::Value = answer.json().await.unwrap_or_default();
    body["value"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| format!("{} {}", e["level"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Signs `email` in through the sign-in form and waits until the page shows it.
pub async fn sign_in(client: &Client, app: &crate::TestApp, email: &str, password: &str) {
    use fantoccini::Locator;
    let wait = Duration::from_secs(60);
    client.goto(&app.at("/login")).await.expect("the sign-in page");
    client.wait().at_most(wait).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
    client.find(Locator::Css("[name='email']")).await.expect("email field").send_keys(email).await.expect("type");
    client
        .find(Locator::Css("[name='password']"))
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("type");
    // The form's own button: the top bar has a submit button too once signed in.
    client.find(Locator::Css("form button[type=submit]")).await.expect("submit").click().await.expect("click");
    crate::wait_until(&format!("{email} to be signed in"), wait, || async {
        client.find(Locator::Css("body")).await.ok()?.text().await.ok().filter(|t| t.contains(email)).map(drop)
    })
    .await;
}
