//! Teams in a real browser: an owner creates an invite link on the Team page;
//! someone new opens it signed out, creates their account and joins as a
//! deployer; the dashboard shows them Deploy but not the admin controls; once
//! made a viewer, the Deploy button is gone too.

use std::time::Duration;

use fantoccini::{Client, Locator};
use futures::FutureExt;
use serde_json::json;
use slipway_server::teams::Role;
use slipway_tests::browser::{browser, console_log, sign_in};
use slipway_tests::{TestApp, artefacts_dir, spawn_app, wait_until};

const WAIT: Duration = Duration::from_secs(60);
const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_join_and_role_limits_in_a_browser() {
    let app = spawn_app().await;
    let browser = browser(true).await;
    let result = std::panic::AssertUnwindSafe(walk(&app, &browser)).catch_unwind().await;
    if result.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let _ = std::fs::write(artefacts_dir().join("team-failure.png"), png);
        }
        if let Ok(html) = browser.source().await {
            let _ = std::fs::write(artefacts_dir().join("team-failure.html"), html);
        }
        eprintln!("browser console:\n{}", console_log(&browser).await);
    }
    browser.close().await.expect("closing the browser");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

async fn hydrated(browser: &Client) {
    browser.wait().at_most(WAIT).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
}

async fn text_appears(browser: &Client, css: &str, text: &str) {
    wait_until(&format!("\"{text}\" in {css}"), WAIT, || async {
        browser.find(Locator::Css(css)).await.ok()?.text().await.ok().filter(|t| t.contains(text)).map(drop)
    })
    .await;
}

async fn fill(browser: &Client, name: &str, value: &str) {
    let field = browser.find(Locator::Css(&format!("[name='{name}']"))).await.expect("field");
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn present(browser: &Client, css: &str) -> bool {
    !browser.find_all(Locator::Css(css)).await.expect("find").is_empty()
}

async fn screenshot(browser: &Client, name: &str) {
    if let Ok(png) = browser.screenshot().await {
        let _ = std::fs::write(artefacts_dir().join(format!("{name}.png")), png);
    }
}

async fn walk(app: &TestApp, browser: &Client) {
    let (owner, owner_token) = app.member_token(Role::Owner).await;
    let api = reqwest::Client::new();
    let created = api
        .post(app.at("/api/v1/apps"))
        .bearer_auth(&owner_token)
        .json(&json!({ "name": "team-shop", "repo_url": "https://example.com/shop.git" }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);

    // The owner makes an invite link for a deployer.
    sign_in(browser, app, &owner.email, PASSWORD).await;
    browser.goto(&app.at("/team")).await.expect("team page");
    hydrated(browser).await;
    text_appears(browser, "#my-role", "You are an owner here.").await;
    browser
        .find(Locator::Css("#field-invite-role option[value='deployer']"))
        .await
        .expect("deployer option")
        .click()
        .await
        .expect("pick deployer");
    browser
        .find(Locator::Css("#invites button[type=submit]"))
        .await
        .expect("invite button")
        .click()
        .await
        .expect("click");
    let link = wait_until("the invite link", WAIT, || async {
        browser.find(Locator::Css("#invite-link")).await.ok()?.text().await.ok().filter(|t| t.contains("/invite/"))
    })
    .await;
    screenshot(browser, "team-01-invite").await;

    // …and a registry the team's apps can push to.
    fill(browser, "address", "registry.example.com/shop").await;
    browser
        .find(Locator::Css("#registries [name='name']"))
        .await
        .expect("name")
        .send_keys("shop-registry")
        .await
        .expect("type");
    browser.find(Locator::Css("#registries button[type=submit]")).await.expect("add").click().await.expect("click");
    text_appears(browser, "#registries table", "registry.example.com/shop").await;
    let path = link.trim().trim_start_matches("http://localhost:3000").to_owned();
    assert!(path.starts_with("/invite/"), "{link}");

    // Someone new opens it signed out and joins with a new account.
    browser.find(Locator::Css(".who button[type=submit]")).await.expect("sign out").click().await.expect("click");
    browser.wait().at_most(WAIT).for_url(&url::Url::parse(&app.at("/login")).expect("url")).await.expect("signed out");
    browser.goto(&app.at(&path)).await.expect("invite page");
    hydrated(browser).await;
    text_appears(browser, "#invite-offer", "Join team Default as deployer.").await;
    fill(browser, "email", "newbie@example.com").await;
    fill(browser, "password", PASSWORD).await;
    fill(browser, "password_confirm", "not the same password").await;
    browser.find(Locator::Css("form button[type=submit]")).await.expect("join").click().await.expect("click");
    text_appears(browser, "body", "The two passwords differ.").await;
    fill(browser, "password_confirm", PASSWORD).await;
    browser.find(Locator::Css("form button[type=submit]")).await.expect("join").click().await.expect("click");
    text_appears(browser, ".who", "Default · deployer").await;
    text_appears(browser, ".who", "newbie@example.com").await;

    // A deployer sees Deploy and Edit variables, not the admin controls.
    browser.goto(&app.at("/apps/team-shop")).await.expect("app page");
    hydrated(browser).await;
    browser.wait().at_most(WAIT).for_element(Locator::Css("[data-action='deploy']")).await.expect("a Deploy button");
    assert!(present(browser, "a[href='/apps/team-shop/env']").await, "Edit variables is offered");
    assert!(!present(browser, "a[href='/apps/team-shop/edit']").await, "no Edit settings for a deployer");
    assert!(!present(browser, "[data-action='rotate-webhook']").await, "no webhook controls for a deployer");
    assert!(!present(browser, "#confirm-delete").await, "no delete for a deployer");
    assert!(!present(browser, "a[href='/audit']").await, "no audit log for a deployer");
    screenshot(browser, "team-02-deployer").await;

    // The deployer changes a variable on its own page.
    browser.find(Locator::Css("a[href='/apps/team-shop/env']")).await.expect("link").click().await.expect("click");
    hydrated(browser).await;
    fill(browser, "env", "GREETING=hello from a deployer").await;
    browser.find(Locator::Css(".form-actions button[type=submit]")).await.expect("save").click().await.expect("click");
    text_appears(browser, ".env-table", "hello from a deployer").await;

    // Made a viewer, they can only look.
    let newbie: serde_json::Value = api
        .get(app.at("/api/v1/team"))
        .bearer_auth(&owner_token)
        .send()
        .await
        .expect("team")
        .json()
        .await
        .expect("JSON");
    let id = newbie["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == "newbie@example.com")
        .and_then(|m| m["user_id"].as_i64())
        .expect("the new member");
    let demoted = api
        .put(app.at(&format!("/api/v1/team/members/{id}")))
        .bearer_auth(&owner_token)
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .expect("set role");
    assert_eq!(demoted.status(), 200);
    browser.goto(&app.at("/apps/team-shop")).await.expect("app page");
    hydrated(browser).await;
    text_appears(browser, ".who", "Default · viewer").await;
    text_appears(browser, "#deployments", "No deployments yet").await;
    assert!(!present(browser, "[data-action='deploy']").await, "no Deploy button for a viewer");
    assert!(!present(browser, "a[href='/apps/team-shop/env']").await, "no Edit variables for a viewer");
    screenshot(browser, "team-03-viewer").await;
    browser.goto(&app.at("/team")).await.expect("team page");
    hydrated(browser).await;
    text_appears(browser, "#my-role", "You are a viewer here.").await;
    assert!(!present(browser, "#invites").await, "viewers can't invite");

    let console = console_log(browser).await;
    assert!(!console.contains("panicked") && !console.contains("hydration"), "browser console:\n{console}");
}
