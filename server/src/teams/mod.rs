//! Teams and roles. Users belong to one or more teams; apps, AWS targets, API
//! tokens, team-wide notification channels and audit entries belong to a team.
//! A request acts in one team — the API token's, or the session's chosen team —
//! and with the user's role there: see `Member`.

mod invites;
mod member;
mod store;

use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldErrors, Result};

pub use invites::{
    Invite, InviteInfo, NewInvite, accept_invite, create_invite, find_invite, list_invites, revoke_invite,
};
pub use member::{Admin, Deployer, Member, Membership, MinRole, Owner, SESSION_TEAM_KEY, Viewer, membership_for};
pub use store::{
    MemberRow, TeamOfUser, add_member, create_team, delete_team, leave_team, members, remove_member, set_role,
    team_by_slug, teams_of,
};

/// What a member may do in a team; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads apps, deployments, logs and history.
    Viewer,
    /// Also deploys, cancels, rolls back and edits environment variables.
    Deployer,
    /// Also changes settings, targets, webhooks, notifications and members.
    Admin,
    /// Everything, including owners and deleting the team.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Deployer, Role::Admin, Role::Owner];

    pub fn parse(raw: &str) -> Result<Self, FieldErrors> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "deployer" => Ok(Role::Deployer),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err(FieldErrors::single(
                "role",
                "invalid_role",
                format!("\"{}\" is not a role; choose owner, admin, deployer or viewer.", raw.trim()),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Deployer => "deployer",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// "an admin", "a viewer".
    pub fn with_article(self) -> String {
        let article = if matches!(self, Role::Admin | Role::Owner) { "an" } else { "a" };
        format!("{article} {}", self.as_str())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stored roles are checked by the schema; an unknown one reads as the least.
impl From<String> for Role {
    fn from(raw: String) -> Self {
        Role::parse(&raw).unwrap_or(Role::Viewer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A team's display name (1–64 characters) and the URL-safe slug made from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamName {
    pub name: String,
    pub slug: String,
}

impl TeamName {
    pub fn parse(raw: &str) -> Result<Self, FieldErrors> {
        let name = raw.trim();
        let mut slug = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-').chars().take(40).collect::<String>().trim_end_matches('-').to_owned();
        if name.is_empty() || name.chars().count() > 64 || slug.is_empty() {
            return Err(FieldErrors::single(
                "name",
                "invalid_team_name",
                "Give the team a name of 1 to 64 characters with at least one letter or digit, e.g. \"Payments\".",
            ));
        }
        Ok(Self { name: name.to_owned(), slug })
    }
}

/// 403 with a sentence that says which role is needed and which one the member has.
pub fn needs(role: Role, membership: &Membership) -> Error {
    Error::Forbidden(format!(
        "This needs the {role} role in team \"{}\"; you are {} there.",
        membership.team.name,
        membership.role.with_article()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parsed() {
        assert!(Role::Viewer < Role::Deployer && Role::Deployer < Role::Admin && Role::Admin < Role::Owner);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert_eq!(Role::parse(" Admin ").unwrap(), Role::Admin);
        assert_eq!(Role::parse("root").unwrap_err().0["role"].code, "invalid_role");
        assert_eq!(Role::Admin.with_article(), "an admin");
        assert_eq!(Role::Viewer.with_article(), "a viewer");
    }

    #[test]
    fn team_names_make_slugs() {
        assert_eq!(TeamName::parse("  Payments Team ").unwrap().slug, "payments-team");
        assert_eq!(TeamName::parse("R&D / Ops").unwrap().slug, "r-d-ops");
        assert_eq!(TeamName::parse("Ünïcode 42").unwrap().slug, "n-code-42");
        for bad in ["", "   ", "---", &"x".repeat(65)] {
            assert!(TeamName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
