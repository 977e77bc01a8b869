//! The dashboard's forms without JavaScript (progressive enhancement): posted
//! as plain HTML forms, errors come back on the page with what was typed.

use slipway_tests::{TestApp, app_form, location, spawn_app};

async fn page(app: &TestApp, url: &str) -> String {
    let url = if url.starts_with("http") { url.to_owned() } else { app.at(url) };
    app.client.get(url).send().await.expect("GET").text().await.expect("body")
}

#[tokio::test]
async fn app_forms_work_without_javascript() {
    let app = spawn_app().await;
    app.set_up_owner("owner@example.com", "correct horse battery").await;
    let csrf = app.csrf_token("/apps/new").await;

    // Invalid: the page comes back with a message per field and the typed values.
    let bad = app
        .post_form(
            "/_app/save_app",
            "/apps/new",
            &app_form(
                &csrf,
                "",
                &[
                    ("name", "Web Shop"),
                    ("repo_url", "https://example.com/shop.git"),
                    ("dockerfile", "../Dockerfile"),
                    ("secrets", "API_KEY=sk-live-123"),
                ],
            ),
        )
        .await;
    let back = location(&bad);
    assert!(back.contains("/apps/new?") && back.contains("__err="), "{back}");
    let html = page(&app, &back).await;
    assert!(html.contains("The name may only contain lowercase letters"), "name message");
    assert!(html.contains("points outside the repository"), "dockerfile message");
    assert!(
        html.contains(r#"value="Web Shop""#) && html.contains(r#"value="https://example.com/shop.git""#),
        "values kept"
    );
    assert!(html.contains("API_KEY") && !html.contains("sk-live-123"), "secret names kept, values not echoed");

    // Valid: created, and we land on its page.
    let created = app
        .post_form(
            "/_app/save_app",
            "/apps/new",
            &app_form(
                &csrf,
                "",
                &[
                    ("name", "web-shop"),
                    ("repo_url", "https://example.com/shop.git"),
                    ("env", "LOG_LEVEL=info"),
                    ("secrets", "API_KEY=sk-live-123"),
                ],
            ),
        )
        .await;
    assert_eq!(location(&created), "/apps/web-shop");
    let html = page(&app, "/apps/web-shop").await;
    assert!(html.contains("LOG_LEVEL") && html.contains("API_KEY") && !html.contains("sk-live-123"));
    assert!(page(&app, "/").await.contains(r#"data-app="web-shop""#), "listed");

    // Edit: a bare secret name keeps the stored value.
    let edit_page = page(&app, "/apps/web-shop/edit").await;
    assert!(edit_page.contains("API_KEY") && !edit_page.contains("sk-live-123"));
    let edited = app
        .post_form(
            "/_app/save_app",
            "/apps/web-shop/edit",
            &app_form(
                &csrf,
                "web-shop",
                &[("repo_url", "https://example.com/shop.git"), ("branch", "develop"), ("secrets", "API_KEY")],
            ),
        )
        .await;
    assert_eq!(location(&edited), "/apps/web-shop");
    let stored = slipway_server::apps::get_app(&app.state.db, "web-shop").await.expect("app");
    assert_eq!(stored.branch, "develop");
    let env = slipway_server::apps::runtime_env(&app.state.db, &app.state.secrets, stored.id).await.expect("env");
    let env: Vec<(String, String)> = env.into_iter().map(|v| (v.name, v.value)).collect();
    assert_eq!(env, vec![("API_KEY".to_owned(), "sk-live-123".to_owned())]);

    // Delete needs the name typed again.
    let refused = app
        .post_form("/_app/delete_app", "/apps/web-shop", &[("name", "web-shop"), ("confirm", "web"), ("csrf", &csrf)])
        .await;
    assert!(page(&app, &location(&refused)).await.contains("to confirm"));
    let deleted = app
        .post_form(
            "/_app/delete_app",
            "/apps/web-shop",
            &[("name", "web-shop"), ("confirm", "web-shop"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(location(&deleted), "/");
    assert!(page(&app, "/").await.contains("No apps yet"));
}

#[tokio::test]
async fn unknown_pages_are_404_with_a_way_back() {
    let app = spawn_app().await;
    app.set_up_owner("owner@example.com", "correct horse battery").await;
    let response = app.client.get(app.at("/no/such/page")).send().await.expect("GET");
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(response.text().await.expect("body").contains("Page not found"));
    let missing_app = page(&app, "/apps/ghost").await;
    assert!(missing_app.contains("app \"ghost\" not found"), "{missing_app}");
}

#[tokio::test]
async fn api_tokens_from_the_account_page_are_shown_once() {
    let app = spawn_app().await;
    app.set_up_owner("owner@example.com", "correct horse battery").await;
    let csrf = app.csrf_token("/account").await;
    let created = app.post_form("/_app/create_token", "/account", &[("name", "deploy-bot"), ("csrf", &csrf)]).await;
    assert!(location(&created).starts_with(&app.at("/account")), "{}", location(&created));
    let html = page(&app, "/account").await;
    let start = html.find("slw_").expect("the new token is shown");
    let token: String = html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(token.len(), 68);
    assert!(!page(&app, "/account").await.contains(&token), "shown only once");
    let me = reqwest::Client::new().get(app.at("/api/v1/me")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(me.status(), reqwest::StatusCode::OK);
}
