//! AWS from the browser, against moto: add a target, test its connection and
//! see its plan; create an app on it; review the plan and its cost, deploy,
//! follow the rollout to Live; see drift made outside Slipway; tear down.

use std::time::Duration;

use fantoccini::{Client, Locator};
use futures::FutureExt;
use slipway_tests::aws::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, fresh_region, sdk};
use slipway_tests::browser::browser;
use slipway_tests::deploys::fixture_repo;
use slipway_tests::moto::moto;
use slipway_tests::registry::registry;
use slipway_tests::{TestApp, artefacts_dir, spawn_app, wait_until};

const WAIT: Duration = Duration::from_secs(60);

async fn text_appears(browser: &Client, css: &str, text: &str) {
    wait_until(&format!("\"{text}\" in {css}"), WAIT, || async {
        browser.find(Locator::Css(css)).await.ok()?.text().await.ok().filter(|t| t.contains(text)).map(drop)
    })
    .await;
}

async fn hydrated(browser: &Client) {
    browser.wait().at_most(WAIT).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
}

async fn fill(browser: &Client, name: &str, value: &str) {
    let field = browser.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn click(browser: &Client, css: &str) {
    browser.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("click");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_a_target_plan_deploy_and_tear_down_from_the_browser() {
    let app = spawn_app().await;
    let browser = browser(true).await;
    let result = std::panic::AssertUnwindSafe(walk(&app, &browser)).catch_unwind().await;
    if result.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let _ = std::fs::write(artefacts_dir().join("aws-failure.png"), png);
        }
        if let Ok(html) = browser.source().await {
            let _ = std::fs::write(artefacts_dir().join("aws-failure.html"), html);
        }
        let console = slipway_tests::browser::console_log(&browser).await;
        eprintln!("browser console:\n{console}");
    }
    browser.close().await.expect("closing the browser");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

async fn walk(app: &TestApp, browser: &Client) {
    let region = fresh_region();
    app.create_user("ops@example.com", "correct horse battery").await;
    slipway_tests::browser::sign_in(browser, app, "ops@example.com", "correct horse battery").await;

    // Add a target.
    browser.goto(&app.at("/targets")).await.expect("targets");
    hydrated(browser).await;
    text_appears(browser, "body", "No AWS targets yet").await;
    browser.goto(&app.at("/targets/new")).await.expect("new target");
    hydrated(browser).await;
    fill(browser, "name", "staging").await;
    fill(browser, "region", region).await;
    click(browser, "select[name='credentials'] option[value='access_key']").await;
    fill(browser, "access_key_id", ACCESS_KEY_ID).await;
    fill(browser, "secret_access_key", SECRET_ACCESS_KEY).await;
    fill(browser, "base_domain", "apps.example.com").await;
    fill(browser, "endpoint_url", &moto().endpoint).await;
    fill(browser, "registry_override", &registry().address).await;
    click(browser, ".form-actions button[type=submit]").await;
    wait_until("the target page", WAIT, || async {
        browser.current_url().await.ok().filter(|u| u.path() == "/targets/staging").map(drop)
    })
    .await;
    hydrated(browser).await;

    // Test connection, then the plan of an empty region.
    click(browser, "button[data-action='test-connection']").await;
    browser.wait().at_most(WAIT).for_element(Locator::Css(".connection[data-ok='true']")).await.expect("connected");
    text_appears(browser, ".connection", "account 123456789012").await;
    click(browser, "button[data-action='plan-target']").await;
    text_appears(browser, "#target-actions", "load balancer").await;
    let rows =
        browser.find_all(Locator::Css("#target-actions .plan-table tr[data-action='create']")).await.expect("rows");
    assert!(rows.len() >= 6, "everything is to create: {} rows", rows.len());

    // An app on the target, created in the form.
    let repo = fixture_repo("aws from the browser\n");
    browser.goto(&app.at("/apps/new")).await.expect("new app");
    hydrated(browser).await;
    fill(browser, "name", "shop").await;
    fill(browser, "repo_url", &repo.http_url).await;
    fill(browser, "health_path", "/healthz").await;
    click(browser, "select[name='target'] option[value='staging']").await;
    click(browser, ".form-actions button[type=submit]").await;
    wait_until("the app page", WAIT, || async {
        browser.current_url().await.ok().filter(|u| u.path() == "/apps/shop").map(drop)
    })
    .await;
    hydrated(browser).await;
    text_appears(browser, "#aws", "Not deployed on AWS yet").await;

    // Review the plan and its cost, then deploy.
    click(browser, "button[data-action='review-plan']").await;
    text_appears(browser, "#plan", "/ month").await;
    text_appears(browser, "#plan", "ECS service").await;
    browser.execute("document.getElementById('plan').scrollIntoView()", vec![]).await.expect("scroll");
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artefacts_dir().join("aws-plan.png"), png).expect("save");
    click(browser, "button[data-action='deploy']").await;
    wait_until("the deployment page", WAIT, || async {
        browser.current_url().await.ok().filter(|u| u.path().starts_with("/deployments/")).map(drop)
    })
    .await;
    hydrated(browser).await;
    text_appears(browser, ".log", "the rollout is COMPLETED").await;
    text_appears(browser, ".page-head", "Live").await;
    text_appears(browser, "body", "http://shop.apps.example.com").await;

    // Drift: none, then a change made outside Slipway shows on the app page.
    browser.goto(&app.at("/apps/shop")).await.expect("app page");
    hydrated(browser).await;
    text_appears(browser, "#aws", "No drift").await;
    let aws = sdk(region).await;
    aws.ecs.update_service().cluster("slipway-staging").service("shop").desired_count(4).send().await.expect("scale");
    browser.goto(&app.at("/apps/shop")).await.expect("app page");
    hydrated(browser).await;
    text_appears(browser, "#aws .drift", "desired count is 4; Slipway set 1").await;

    // A second version (over the API), then roll back to the first from the app page.
    let api = slipway_tests::deploys::Api::new(app).await;
    repo.push(&[("www/index.html", b"second\n")], "second version");
    let second = api.deploy("shop", None).await;
    let done = slipway_tests::deploys::wait_until_done(app, second).await;
    assert_eq!(done.status, "live", "{}", api.log(second).await);
    browser.goto(&app.at("/apps/shop")).await.expect("app page");
    hydrated(browser).await;
    click(browser, "button[data-action='rollback']").await;
    wait_until("the rollback's page", WAIT, || async {
        let url = browser.current_url().await.ok()?;
        url.path().strip_prefix("/deployments/").and_then(|id| id.parse::<i64>().ok()).filter(|id| *id > second)
    })
    .await;
    hydrated(browser).await;
    text_appears(browser, ".log", "Rolling back to deployment #1").await;
    text_appears(browser, ".page-head", "Live").await;
    text_appears(browser, "body", "slipway-shop:1").await;
    let services = aws.ecs.describe_services().cluster("slipway-staging").services("shop").send().await.expect("svc");
    assert!(services.services()[0].task_definition().unwrap_or_default().ends_with("slipway-shop:1"));

    // Tear the app down on AWS.
    browser.goto(&app.at("/apps/shop")).await.expect("app page");
    hydrated(browser).await;
    fill(browser, "confirm", "shop").await;
    click(browser, "button[data-action='teardown-app']").await;
    text_appears(browser, "#aws-teardown .done-list", "Deleted ECS service shop").await;
    let services = aws.ecs.describe_services().cluster("slipway-staging").services("shop").send().await.expect("svc");
    assert!(services.services().iter().all(|s| s.status() == Some("INACTIVE")));
}
