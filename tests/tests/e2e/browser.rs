//! The dashboard in a real browser (headless Chromium), with the wasm bundle
//! hydrated: first-run set-up → sign out → sign in → create an app (after a
//! refused attempt) → listed → edit → delete. Screenshots go to
//! target/test-artefacts/.

use std::time::Duration;

use fantoccini::{Client, Locator};
use futures::FutureExt;
use slipway_tests::browser::browser;
use slipway_tests::{TestApp, artefacts_dir, spawn_app, wait_until};

const WAIT: Duration = Duration::from_secs(30);

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("taking a screenshot");
    std::fs::write(artefacts_dir().join(format!("{name}.png")), png).expect("saving the screenshot");
}

/// Waits until the wasm bundle has hydrated the page (see `hydrate()` in slipway-web).
async fn hydrated(browser: &Client) {
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("html[data-hydrated='true']"))
        .await
        .expect("the page to hydrate");
}

async fn path_is(browser: &Client, app: &TestApp, path: &str) {
    let want = app.at(path);
    wait_until(&format!("the browser to reach {path}"), WAIT, || async {
        let url = browser.current_url().await.ok()?;
        (url.as_str().trim_end_matches('?') == want).then_some(())
    })
    .await;
}

async fn fill(browser: &Client, name: &str, value: &str) {
    let field =
        browser.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap_or_else(|e| panic!("field {name}: {e}"));
    field.clear().await.expect("clearing a field");
    field.send_keys(value).await.expect("typing");
}

async fn click(browser: &Client, css: &str) {
    browser.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("clicking");
}

async fn text_appears(browser: &Client, text: &str) {
    wait_until(&format!("\"{text}\" on the page"), WAIT, || async {
        browser.find(Locator::Css("body")).await.ok()?.text().await.ok().filter(|t| t.contains(text)).map(drop)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_to_app_lifecycle_in_a_browser() {
    let app = spawn_app().await;
    let browser = browser(true).await;
    let result = std::panic::AssertUnwindSafe(walk(&app, &browser)).catch_unwind().await;
    if !matches!(result, Ok(Ok(()))) {
        screenshot(&browser, "browser-failure").await;
        if let Ok(html) = browser.source().await {
            let _ = std::fs::write(artefacts_dir().join("browser-failure.html"), html);
        }
    }
    browser.close().await.expect("closing the browser");
    match result {
        Ok(result) => result.expect("the browser walk"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

async fn walk(app: &TestApp, browser: &Client) -> Result<(), String> {
    // First run: the dashboard sends us to set-up.
    browser.goto(&app.url).await.map_err(|e| e.to_string())?;
    path_is(browser, app, "/setup").await;
    hydrated(browser).await;
    screenshot(browser, "01-setup").await;
    fill(browser, "email", "owner@example.com").await;
    fill(browser, "password", "correct horse battery").await;
    fill(browser, "password_confirm", "correct horse battery").await;
    click(browser, "button[type=submit]").await;
    path_is(browser, app, "/").await;
    text_appears(browser, "No apps yet").await;
    text_appears(browser, "owner@example.com").await;

    // Sign out and back in.
    click(browser, ".who button[type=submit]").await;
    path_is(browser, app, "/login").await;
    hydrated(browser).await;
    fill(browser, "email", "owner@example.com").await;
    fill(browser, "password", "wrong password").await;
    click(browser, "button[type=submit]").await;
    text_appears(browser, "wrong email or password").await;
    fill(browser, "password", "correct horse battery").await;
    click(browser, "button[type=submit]").await;
    path_is(browser, app, "/").await;

    // Create an app: a refused attempt first, with messages by the fields.
    click(browser, "a[href='/apps/new']").await;
    path_is(browser, app, "/apps/new").await;
    fill(browser, "name", "Web Shop").await;
    fill(browser, "repo_url", "https://example.com/acme/shop.git").await;
    fill(browser, "dockerfile", "../Dockerfile").await;
    click(browser, ".form-actions button[type=submit]").await;
    text_appears(browser, "points outside the repository").await;
    text_appears(browser, "The name may only contain lowercase letters").await;
    screenshot(browser, "02-new-app-errors").await;
    let typed = browser
        .find(Locator::Css("[name='repo_url']"))
        .await
        .map_err(|e| e.to_string())?
        .prop("value")
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(typed.as_deref(), Some("https://example.com/acme/shop.git"), "what was typed is kept");
    fill(browser, "name", "web-shop").await;
    fill(browser, "dockerfile", "Dockerfile").await;
    fill(browser, "port", "8080").await;
    fill(browser, "secrets", "API_KEY=sk-live-123").await;
    click(browser, ".form-actions button[type=submit]").await;
    path_is(browser, app, "/apps/web-shop").await;
    text_appears(browser, "Deployments").await;
    text_appears(browser, "API_KEY").await;
    screenshot(browser, "03-app").await;

    // Listed on the apps page.
    click(browser, ".nav a[href='/']").await;
    path_is(browser, app, "/").await;
    browser.wait().at_most(WAIT).for_element(Locator::Css("[data-app='web-shop']")).await.map_err(|e| e.to_string())?;
    screenshot(browser, "04-apps").await;

    // Edit.
    click(browser, "a[href='/apps/web-shop']").await;
    path_is(browser, app, "/apps/web-shop").await;
    click(browser, "a[href='/apps/web-shop/edit']").await;
    path_is(browser, app, "/apps/web-shop/edit").await;
    browser.wait().at_most(WAIT).for_element(Locator::Css("[name='branch']")).await.map_err(|e| e.to_string())?;
    fill(browser, "branch", "release/2.0").await;
    click(browser, ".form-actions button[type=submit]").await;
    path_is(browser, app, "/apps/web-shop").await;
    text_appears(browser, "release/2.0").await;

    // Delete.
    fill(browser, "confirm", "web-shop").await;
    click(browser, ".panel-danger button[type=submit]").await;
    path_is(browser, app, "/").await;
    text_appears(browser, "No apps yet").await;
    screenshot(browser, "05-deleted").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_work_in_a_browser_without_javascript() {
    let app = spawn_app().await;
    let browser = browser(false).await;
    browser.goto(&app.url).await.expect("goto");
    path_is(&browser, &app, "/setup").await;
    fill(&browser, "email", "owner@example.com").await;
    fill(&browser, "password", "short").await;
    fill(&browser, "password_confirm", "short").await;
    click(&browser, "button[type=submit]").await;
    text_appears(&browser, "Use at least 10 characters.").await;
    let email = browser.find(Locator::Css("[name='email']")).await.expect("email").prop("value").await.expect("value");
    assert_eq!(email.as_deref(), Some("owner@example.com"));
    fill(&browser, "password", "correct horse battery").await;
    fill(&browser, "password_confirm", "correct horse battery").await;
    click(&browser, "button[type=submit]").await;
    path_is(&browser, &app, "/").await;
    text_appears(&browser, "No apps yet").await;
    let hydrated = browser.find(Locator::Css("html[data-hydrated='true']")).await;
    assert!(hydrated.is_err(), "scripts were off: nothing hydrated");
    browser.close().await.expect("closing the browser");
}
