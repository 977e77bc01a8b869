//! Teams and their members in SQLite. The rules that protect a team live here:
//! only owners make or unmake owners, and a team always keeps one owner.

use serde::Serialize;
use sqlx::{SqliteConnection, SqlitePool};

use super::{Membership, Role, Team, TeamName, needs};
use crate::error::{Error, FieldErrors, Result};
use crate::time_fmt::{now, rfc3339};

/// A team as seen by one of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamOfUser {
    #[serde(flatten)]
    pub team: Team,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub joined_at: String,
}

/// Creates a team with `owner_id` as its owner.
pub async fn create_team(db: &SqlitePool, owner_id: i64, name: &TeamName) -> Result<Team> {
    let mut tx = db.begin().await?;
    let inserted = sqlx::query_as::<_, Team>(
        "INSERT INTO teams (slug, name, created_at) VALUES (?, ?, ?) RETURNING id, slug, name",
    )
    .bind(&name.slug)
    .bind(&name.name)
    .bind(now())
    .fetch_one(&mut *tx)
    .await;
    let team = match inserted {
        Ok(team) => team,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::Validation(FieldErrors::single(
                "name",
                "team_name_taken",
                format!("A team called \"{}\" already exists; pick another name.", name.slug),
            )));
        }
        Err(e) => return Err(e.into()),
    };
    add_member(&mut tx, team.id, owner_id, Role::Owner).await?;
    tx.commit().await?;
    Ok(team)
}

/// Adds a member (an invite accepted, a first user). An existing member keeps their role.
pub async fn add_member(conn: &mut SqliteConnection, team_id: i64, user_id: i64, role: Role) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (team_id, user_id) DO NOTHING",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The teams a user belongs to, oldest first.
pub async fn teams_of(db: &SqlitePool, user_id: i64) -> Result<Vec<TeamOfUser>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT t.id, t.slug, t.name, m.role FROM team_members m JOIN teams t ON t.id = m.team_id
         WHERE m.user_id = ? ORDER BY t.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, role)| TeamOfUser { team: Team { id, slug, name }, role: role.into() })
        .collect())
}

pub async fn team_by_slug(db: &SqlitePool, slug: &str) -> Result<Team> {
    sqlx::query_as("SELECT id, slug, name FROM teams WHERE slug = ?")
        .bind(slug)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("team \"{slug}\"")))
}

pub async fn members(db: &SqlitePool, team_id: i64) -> Result<Vec<MemberRow>> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.email, m.role, m.created_at FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE m.team_id = ? ORDER BY u.email",
    )
    .bind(team_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, email, role, at)| MemberRow { user_id, email, role: role.into(), joined_at: rfc3339(at) })
        .collect())
}

/// The member's email and role, or 404.
async fn member_of(conn: &mut SqliteConnection, team_id: i64, user_id: i64) -> Result<(String, Role)> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT u.email, m.role FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? AND m.user_id = ?",
    )
    .bind(team_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(email, role)| (email, role.into())).ok_or_else(|| Error::NotFound("team member".into()))
}

async fn owners(conn: &mut SqliteConnection, team_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM team_members WHERE team_id = ? AND role = 'owner'")
        .bind(team_id)
        .fetch_one(&mut *conn)
        .await?)
}

fn last_owner(team: &Team) -> Error {
    Error::Conflict {
        code: "last_owner",
        message: format!("Team \"{}\" must keep at least one owner: make someone else an owner first.", team.name),
    }
}

/// Changes a member's role. Admins manage admins, deployers and viewers; only an
/// owner grants or takes away the owner role; the last owner stays an owner.
/// Returns the member's email and former role.
pub async fn set_role(db: &SqlitePool, by: &Membership, user_id: i64, role: Role) -> Result<(String, Role)> {
    let mut tx = db.begin().await?;
    let (email, before) = member_of(&mut tx, by.team.id, user_id).await?;
    if (before == Role::Owner || role == Role::Owner) && by.role < Role::Owner {
        return Err(needs(Role::Owner, by));
    }
    sqlx::query("UPDATE team_members SET role = ? WHERE team_id = ? AND user_id = ?")
        .bind(role.as_str())
        .bind(by.team.id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if owners(&mut tx, by.team.id).await? == 0 {
        return Err(last_owner(&by.team));
    }
    tx.commit().await?;
    Ok((email, before))
}

/// Removes a member (not the last owner; owners only by owners). Their API tokens for
/// this team stop working with them. Returns the member's email.
pub async fn remove_member(db: &SqlitePool, by: &Membership, user_id: i64) -> Result<String> {
    let mut tx = db.begin().await?;
    let (email, role) = member_of(&mut tx, by.team.id, user_id).await?;
    if role == Role::Owner && by.role < Role::Owner {
        return Err(needs(Role::Owner, by));
    }
    remove(&mut tx, &by.team, user_id).await?;
    tx.commit().await?;
    Ok(email)
}

/// The member leaves the team themselves (an owner only while another owner remains).
pub async fn leave_team(db: &SqlitePool, member: &Membership) -> Result<()> {
    let mut tx = db.begin().await?;
    remove(&mut tx, &member.team, member.user.id).await?;
    tx.commit().await?;
    Ok(())
}

async fn remove(tx: &mut SqliteConnection, team: &Team, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM team_members WHERE team_id = ? AND user_id = ?")
        .bind(team.id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE team_id = ? AND user_id = ? AND revoked_at IS NULL")
        .bind(now())
        .bind(team.id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if owners(tx, team.id).await? == 0 {
        return Err(last_owner(team));
    }
    Ok(())
}

/// Deletes a team that no longer has apps or AWS targets (deleting those tears
/// down what they run, which deserves its own decision). Its members, invites,
/// tokens and team-wide channels go with it; its audit entries stay.
pub async fn delete_team(db: &SqlitePool, team: &Team) -> Result<()> {
    let mut tx = db.begin().await?;
    let (apps, targets): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM apps WHERE team_id = ?1), (SELECT COUNT(*) FROM aws_targets WHERE team_id = ?1)",
    )
    .bind(team.id)
    .fetch_one(&mut *tx)
    .await?;
    if apps + targets > 0 {
        return Err(Error::Conflict {
            code: "team_not_empty",
            message: format!(
                "Team \"{}\" still has {apps} app(s) and {targets} AWS target(s); delete them first, then the team.",
                team.name
            ),
        });
    }
    for sql in [
        "UPDATE api_tokens SET revoked_at = ?2 WHERE team_id = ?1 AND revoked_at IS NULL",
        "DELETE FROM notification_channels WHERE team_id = ?1",
        "DELETE FROM teams WHERE id = ?1",
    ] {
        sqlx::query(sql).bind(team.id).bind(now()).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
