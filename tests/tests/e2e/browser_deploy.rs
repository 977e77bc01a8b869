//! Deploying from the browser: click Deploy on the app page, watch the log
//! grow live on the deployment page while the build runs, reach Live, see the
//! app's URL, and find the deployment in the team history.

use std::time::Duration;

use fantoccini::{Client, Locator};
use futures::FutureExt;
use serde_json::json;
use slipway_server::deploy::history;
use slipway_tests::browser::browser;
use slipway_tests::deploys::{Api, dockerfile_with, fixture_repo};
use slipway_tests::{TestApp, artefacts_dir, spawn_app, wait_until};

const WAIT: Duration = Duration::from_secs(60);

async fn text_appears(browser: &Client, css: &str, text: &str) {
    wait_until(&format!("\"{text}\" in {css}"), WAIT, || async {
        browser.find(Locator::Css(css)).await.ok()?.text().await.ok().filter(|t| t.contains(text)).map(drop)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_from_the_browser_and_follow_the_live_log() {
    let app = spawn_app().await;
    let browser = browser(true).await;
    let result = std::panic::AssertUnwindSafe(walk(&app, &browser)).catch_unwind().await;
    if result.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let _ = std::fs::write(artefacts_dir().join("deploy-failure.png"), png);
        }
        if let Ok(html) = browser.source().await {
            let _ = std::fs::write(artefacts_dir().join("deploy-failure.html"), html);
        }
        let console = slipway_tests::browser::console_log(&browser).await;
        let _ = std::fs::write(artefacts_dir().join("deploy-failure-console.txt"), &console);
        eprintln!("browser console:\n{console}");
    }
    browser.close().await.expect("closing the browser");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

async fn walk(app: &TestApp, browser: &Client) {
    let api = Api::new(app).await;
    let repo = fixture_repo("deployed from the browser\n");
    // A build that prints a line a second for a while.
    // (The build id defeats the engine's layer cache from earlier runs.)
    let ticking = dockerfile_with(&format!(
        "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo build {}; for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done\"]",
        slipway_tests::unique("b")
    ));
    repo.push(&[("Dockerfile", ticking.as_bytes())], "a build that takes a while");
    let name = api.create_app(&repo.http_url, json!({})).await;

    app.create_user("deployer@example.com", "correct horse battery").await;
    slipway_tests::browser::sign_in(browser, app, "deployer@example.com", "correct horse battery").await;

    browser.goto(&app.at(&format!("/apps/{name}"))).await.expect("app page");
    browser.wait().at_most(WAIT).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
    text_appears(browser, "#deployments", "No deployments yet").await;
    browser
        .find(Locator::Css("button[data-action='deploy']"))
        .await
        .expect("Deploy button")
        .click()
        .await
        .expect("click");

    // The deployment page, while the build runs: lines arrive without a reload.
    let url = wait_until("the deployment page", WAIT, || async {
        let url = browser.current_url().await.ok()?;
        url.path().starts_with("/deployments/").then_some(url)
    })
    .await;
    let id: i64 = url.path().trim_start_matches("/deployments/").parse().expect("a deployment id");
    browser.wait().at_most(WAIT).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
    text_appears(browser, ".log", "tick 2").await;
    let status = history::get(&app.state.db, id).await.expect("deployment").status;
    assert!(
        ["building", "cloning"].contains(&status.as_str()),
        "the line showed while the build ran (status {status})"
    );
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artefacts_dir().join("deploy-live-log.png"), png).expect("save");

    // It ends Live, the page says so without a reload, and shows the URL.
    text_appears(browser, ".log", "All 1 replicas are healthy").await;
    text_appears(browser, ".page-head", "Live").await;
    text_appears(browser, "body", &format!("http://{name}.localhost:{}", app.edge.address.port())).await;
    browser.wait().at_most(WAIT).for_element(Locator::Css(".log[data-live='false']")).await.expect("the stream to end");
    let lines = browser.find_all(Locator::Css(".log .log-line:not(.log-waiting)")).await.expect("lines").len();
    let stored = api.log(id).await.lines().count();
    assert_eq!(lines, stored, "the page shows every stored line ({lines} shown, {stored} stored)");

    // The team history lists it; the status filter works.
    browser.goto(&app.at("/deployments?status=live")).await.expect("history");
    text_appears(browser, "table.deployments", &name).await;
    browser.goto(&app.at("/deployments?status=failed")).await.expect("history");
    text_appears(browser, "body", "No deployments match").await;
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artefacts_dir().join("deploy-history.png"), png).expect("save");
}
