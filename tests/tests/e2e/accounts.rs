//! Accounts: first run, sign-in and sign-out, rate limiting, sessions that
//! survive restarts, cookie flags, and the scripted CLI set-up.

use reqwest::StatusCode;
use slipway_server::auth::{self, Email};
use slipway_tests::{location, spawn_app, spawn_app_with};
use slipway_web::cli::{Cli, run_command};

/// The error a no-JS form submission came back with (decoded from the redirect).
fn form_error(location: &str) -> serde_json::Value {
    use base64::Engine;
    let url = url::Url::parse(location).expect("absolute redirect URL");
    let encoded = url
        .query_pairs()
        .find(|(k, _)| k == "__err")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no error in {location}"));
    let bytes = base64::engine::general_purpose::URL_SAFE.decode(encoded).expect("base64");
    serde_json::from_slice(&bytes).expect("error JSON")
}

#[tokio::test]
async fn healthz_answers() {
    let app = spawn_app().await;
    let response = reqwest::get(app.at("/healthz")).await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn first_run_creates_the_owner_once() {
    let app = spawn_app().await;
    let home = app.client.get(app.at("/")).send().await.expect("GET /");
    assert_eq!(location(&home), "/setup");
    let page = app.client.get(app.at("/setup")).send().await.expect("GET /setup").text().await.expect("body");
    assert!(page.contains("Create owner account"));

    app.set_up_owner("owner@example.com", "correct horse battery").await;
    let home = app.client.get(app.at("/")).send().await.expect("GET /");
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.expect("body").contains("No apps yet"));

    // Set-up is closed now, for pages and for the form.
    let setup = app.client.get(app.at("/setup")).send().await.expect("GET /setup");
    assert_eq!(location(&setup), "/login");
    let other = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let again = other
        .post(app.at("/_app/setup"))
        .header("Accept", "text/html")
        .header("Referer", app.at("/setup"))
        .form(&[
            ("email", "intruder@example.com"),
            ("password", "0123456789ab"),
            ("password_confirm", "0123456789ab"),
            ("csrf", ""),
        ])
        .send()
        .await
        .expect("POST setup");
    assert_eq!(form_error(&location(&again))["code"], "already_set_up");
    assert_eq!(auth::count_users(&app.state.db).await.expect("count"), 1);
}

#[tokio::test]
async fn sign_in_sign_out_and_wrong_passwords() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", "correct horse battery").await;

    let page = app.client.get(app.at("/apps/new")).send().await.expect("GET");
    assert_eq!(location(&page), "/login?next=%2Fapps%2Fnew");

    let csrf = app.csrf_token("/login").await;
    let wrong = app
        .post_form(
            "/_app/login",
            "/login",
            &[("email", "ada@example.com"), ("password", "wrong password!"), ("csrf", &csrf)],
        )
        .await;
    let error = form_error(&location(&wrong));
    assert_eq!(error["code"], "wrong_credentials");
    assert_eq!(error["input"]["email"], "ada@example.com", "the email is kept");
    assert!(error["input"].get("password").is_none(), "passwords are never echoed");

    let right = app
        .post_form(
            "/_app/login",
            "/login",
            &[
                ("email", "ADA@example.com"),
                ("password", "correct horse battery"),
                ("next", "/apps/new"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(location(&right), "/apps/new");
    assert_eq!(app.client.get(app.at("/apps/new")).send().await.expect("GET").status(), StatusCode::OK);

    // An open redirect through `next` is refused.
    let csrf = app.csrf_token("/").await;
    let out = app.post_form("/_app/logout", "/", &[("csrf", &csrf)]).await;
    assert_eq!(location(&out), "/login");
    assert_eq!(location(&app.client.get(app.at("/")).send().await.expect("GET")), "/login?next=%2F");
    let csrf = app.csrf_token("/login").await;
    let evil = app
        .post_form(
            "/_app/login",
            "/login",
            &[
                ("email", "ada@example.com"),
                ("password", "correct horse battery"),
                ("next", "//evil.example/x"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(location(&evil), "/");
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited() {
    let app = spawn_app().await;
    app.create_user("bob@example.com", "correct horse battery").await;
    for _ in 0..5 {
        let error = auth::sign_in(&app.state.db, "bob@example.com", "nope nope nope", "10.0.0.1").await.unwrap_err();
        assert_eq!(error.code(), "wrong_credentials");
    }
    // Even the right password is refused for a while, from any address.
    let limited =
        auth::sign_in(&app.state.db, "bob@example.com", "correct horse battery", "10.0.0.2").await.unwrap_err();
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.to_string().contains("try again in"));

    // And through the form, with the reason in plain words.
    let csrf = app.csrf_token("/login").await;
    let response = app
        .post_form(
            "/_app/login",
            "/login",
            &[("email", "bob@example.com"), ("password", "correct horse battery"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(form_error(&location(&response))["code"], "rate_limited");
}

#[tokio::test]
async fn a_restart_keeps_people_signed_in() {
    let app = spawn_app().await;
    app.set_up_owner("owner@example.com", "correct horse battery").await;
    let app = app.restart().await;
    let home = app.client.get(app.at("/")).send().await.expect("GET /");
    assert_eq!(home.status(), StatusCode::OK, "still signed in after the restart");
}

#[tokio::test]
async fn session_cookie_flags() {
    let app = spawn_app().await;
    let response = app.client.get(app.at("/setup")).send().await.expect("GET");
    let cookie =
        response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie").to_owned();
    assert!(cookie.starts_with("slipway_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http installs cannot use Secure cookies: {cookie}");

    let https = spawn_app_with(|config| config.public_url = "https://slipway.example.com".parse().expect("URL")).await;
    let response = https.client.get(https.at("/setup")).send().await.expect("GET");
    let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn cli_creates_users_and_tokens() {
    use clap::Parser;
    let app = spawn_app().await;
    let data_dir = app.data_dir.path().display().to_string();
    let run = |args: Vec<&str>, stdin: &'static str| {
        let cli = Cli::try_parse_from(args).expect("CLI arguments");
        run_command(cli.config, cli.command.expect("a command"), stdin.as_bytes())
    };

    let out = run(
        vec!["slipway", "--data-dir", &data_dir, "user", "create", "--email", "ops@example.com", "--password-stdin"],
        "s3cret-passphrase\n",
    )
    .await
    .expect("user create");
    assert_eq!(out, "created ops@example.com (owner)\n");
    let short = run(
        vec!["slipway", "--data-dir", &data_dir, "user", "create", "--email", "x@example.com", "--password-stdin"],
        "short\n",
    )
    .await
    .unwrap_err();
    assert!(short.to_string().contains("at least 10 characters"), "{short}");

    let token = run(
        vec!["slipway", "--data-dir", &data_dir, "token", "create", "--email", "ops@example.com", "--name", "ci"],
        "",
    )
    .await
    .expect("token create");
    let token = token.trim();
    assert!(token.starts_with("slw_"));
    let me: serde_json::Value = reqwest::Client::new()
        .get(app.at("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["email"], "ops@example.com");

    let user =
        auth::find_user_by_email(&app.state.db, &Email::parse("ops@example.com").expect("email")).await.expect("query");
    assert!(user.expect("user").is_owner);
    let unknown = run(
        vec!["slipway", "--data-dir", &data_dir, "token", "create", "--email", "nobody@example.com", "--name", "ci"],
        "",
    )
    .await
    .unwrap_err();
    assert!(unknown.to_string().contains("no user with email"), "{unknown}");
}
