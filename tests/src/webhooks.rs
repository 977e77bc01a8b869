//! Webhook deliveries shaped like each git host's documented push events,
//! signed the way each host signs them.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// GitHub's `push` event (docs: "Webhook events and payloads" → push).
pub fn github_push(branch_ref: &str, after: &str, message: &str, deleted: bool) -> Value {
    json!({
        "ref": branch_ref,
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": if deleted { "0000000000000000000000000000000000000000" } else { after },
        "created": false,
        "deleted": deleted,
        "forced": false,
        "base_ref": null,
        "compare": "https://github.com/acme/shop/compare/6113728f27ae...0d1a26e67d8f",
        "commits": if deleted { json!([]) } else { json!([{
            "id": after, "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433", "distinct": true,
            "message": message, "timestamp": "2026-11-22T09:00:00Z",
            "url": format!("https://github.com/acme/shop/commit/{after}"),
            "author": { "name": "Mona Octocat", "email": "mona@example.com", "username": "octocat" },
            "committer": { "name": "Mona Octocat", "email": "mona@example.com", "username": "octocat" },
            "added": [], "removed": [], "modified": ["www/index.html"]
        }]) },
        "head_commit": if deleted { Value::Null } else { json!({
            "id": after, "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433", "distinct": true,
            "message": message, "timestamp": "2026-11-22T09:00:00Z",
            "author": { "name": "Mona Octocat", "email": "mona@example.com", "username": "octocat" },
            "committer": { "name": "Mona Octocat", "email": "mona@example.com", "username": "octocat" },
            "added": [], "removed": [], "modified": ["www/index.html"]
        }) },
        "repository": { "id": 1296269, "name": "shop", "full_name": "acme/shop", "private": false,
            "owner": { "name": "acme", "login": "acme" }, "default_branch": "main", "master_branch": "main" },
        "pusher": { "name": "octocat", "email": "mona@example.com" },
        "sender": { "login": "octocat", "id": 583231, "type": "User" }
    })
}

/// GitLab's Push Hook (docs: "Webhook events" → Push events).
pub fn gitlab_push(after: &str, message: &str) -> Value {
    json!({
        "object_kind": "push", "event_name": "push",
        "before": "95790bf891e76fee5e1747ab589903a6a1f80f22", "after": after,
        "ref": "refs/heads/main", "ref_protected": true, "checkout_sha": after,
        "user_id": 4, "user_name": "John Smith", "user_username": "jsmith", "user_email": "john@example.com",
        "project_id": 15,
        "project": { "id": 15, "name": "shop", "path_with_namespace": "acme/shop", "default_branch": "main" },
        "commits": [
            { "id": "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "message": "older commit\n", "timestamp": "2026-11-21T09:00:00+00:00",
              "author": { "name": "Jordi Mallach", "email": "jordi@example.com" }, "added": [], "modified": [], "removed": [] },
            { "id": after, "message": message, "title": message, "timestamp": "2026-11-22T09:00:00+00:00",
              "author": { "name": "John Smith", "email": "john@example.com" }, "added": [], "modified": ["www/index.html"], "removed": [] }
        ],
        "total_commits_count": 2,
        "repository": { "name": "shop", "homepage": "https://gitlab.example.com/acme/shop" }
    })
}

/// Gitea's / Forgejo's push event.
pub fn gitea_push(after: &str, message: &str) -> Value {
    json!({
        "ref": "refs/heads/main", "before": "28e1879d029cb852e4844d9c718537df08844e03", "after": after,
        "compare_url": "https://gitea.example.com/acme/shop/compare/28e1879d02...",
        "commits": [{ "id": after, "message": message, "url": "https://gitea.example.com/acme/shop/commit/x",
            "author": { "name": "gitea", "email": "gitea@example.com", "username": "gitea" },
            "committer": { "name": "gitea", "email": "gitea@example.com", "username": "gitea" },
            "timestamp": "2026-11-22T09:00:00Z" }],
        "head_commit": { "id": after, "message": message, "timestamp": "2026-11-22T09:00:00Z" },
        "repository": { "id": 140, "name": "shop", "full_name": "acme/shop", "default_branch": "main" },
        "pusher": { "id": 1, "login": "gitea", "full_name": "", "email": "gitea@example.com", "username": "gitea" },
        "sender": { "id": 1, "login": "gitea", "username": "gitea" }
    })
}

/// Bitbucket Cloud's repo:push (docs: "Event payloads" → Push).
pub fn bitbucket_push(after: &str, message: &str) -> Value {
    json!({
        "actor": { "type": "user", "display_name": "Emma Bitbucket", "nickname": "emma", "account_id": "557058:1" },
        "repository": { "type": "repository", "name": "shop", "full_name": "acme/shop" },
        "push": { "changes": [{
            "new": { "type": "branch", "name": "main",
                "target": { "type": "commit", "hash": after, "message": message, "date": "2026-11-22T09:00:00+00:00",
                    "author": { "raw": "Emma <emma@example.com>" } } },
            "old": { "type": "branch", "name": "main",
                "target": { "type": "commit", "hash": "1e65c05c1d5171631d92438a13901ca7dae9618c" } },
            "created": false, "forced": false, "closed": false, "commits": [{ "hash": after, "message": message }], "truncated": false
        }] }
    })
}
