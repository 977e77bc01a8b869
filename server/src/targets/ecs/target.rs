//! AWS targets in SQLite. `TargetDraft` is raw input (form or API),
//! `TargetSpec` the same after validation, `AwsTarget` what is stored and
//! shown (never the secret key), `TargetAccess` what the AWS clients need
//! (secret decrypted; deploy and provisioning only).

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::apps::{CredentialInput, RegistryAddress};
use crate::error::{Error, FieldErrors, Result};
use crate::secrets::SecretBox;
use crate::time_fmt::{now, rfc3339};

/// Retention periods CloudWatch Logs accepts (days).
pub const LOG_RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TargetDraft {
    pub name: String,
    pub region: String,
    /// default, access_key or assume_role
    #[serde(default)]
    pub credentials: String,
    #[serde(default)]
    pub access_key_id: String,
    /// Write-only: `None` keeps the stored key, `Some("")` removes it.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub role_arn: String,
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub vpc_id: String,
    /// Comma- or space-separated subnet ids.
    #[serde(default)]
    pub subnets: String,
    #[serde(default)]
    pub public_ip: Option<bool>,
    #[serde(default)]
    pub load_balancer: String,
    #[serde(default)]
    pub certificate_arn: String,
    pub base_domain: String,
    #[serde(default)]
    pub execution_role_arn: String,
    #[serde(default)]
    pub log_retention_days: String,
    #[serde(default)]
    pub keep_images: String,
    #[serde(default)]
    pub rollout_timeout_secs: String,
    #[serde(default)]
    pub endpoint_url: String,
    #[serde(default)]
    pub registry_override: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// The SDK's default chain: environment, profile, instance or task role.
    Default,
    AccessKey,
    AssumeRole,
}

impl CredentialSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::AccessKey => "access_key",
            Self::AssumeRole => "assume_role",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "" | "default" => Some(Self::Default),
            "access_key" => Some(Self::AccessKey),
            "assume_role" => Some(Self::AssumeRole),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TargetSpec {
    pub name: String,
    pub region: String,
    pub credentials: CredentialSource,
    pub access_key_id: Option<String>,
    pub secret_access_key: CredentialInput,
    pub role_arn: Option<String>,
    pub cluster: String,
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    pub public_ip: bool,
    pub load_balancer: String,
    pub certificate_arn: Option<String>,
    pub base_domain: String,
    pub execution_role_arn: Option<String>,
    pub log_retention_days: u32,
    pub keep_images: u32,
    pub rollout_timeout_secs: u32,
    pub endpoint_url: Option<String>,
    pub registry_override: Option<RegistryAddress>,
}

fn text(raw: &str) -> Option<String> {
    Some(raw.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// A name that AWS resource names can be built from: lower-case letters,
/// digits and hyphens, 1–20 characters (load balancer and role names derive from it).
fn is_short_label(value: &str, max: usize) -> bool {
    !value.is_empty()
        && value.len() <= max
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn is_dns_name(value: &str) -> bool {
    value.len() <= 200 && value.split('.').all(|label| is_short_label(label, 63))
}

fn number(raw: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    match raw.trim() {
        "" => Some(default),
        raw => raw.parse().ok().filter(|n| range.contains(n)),
    }
}

impl TargetSpec {
    /// Validates every field and reports all problems at once.
    pub fn parse(draft: &TargetDraft) -> std::result::Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = draft.name.trim().to_owned();
        let name_ok = is_short_label(&name, 20);
        // Defaults derive from the name; a bad name is reported once, not again through them.
        let base = if name_ok { name.as_str() } else { "target" };
        if !name_ok {
            e.add("name", "invalid_target_name", "Use 1–20 lower-case letters, digits and hyphens, e.g. \"prod\".");
        }
        let region = draft.region.trim().to_owned();
        if !is_region(&region) {
            e.add("region", "invalid_region", format!("\"{region}\" is not an AWS region, e.g. \"us-east-1\"."));
        }
        let credentials = CredentialSource::parse(&draft.credentials).unwrap_or_else(|| {
            e.add("credentials", "invalid_credentials", "Pick default, access_key or assume_role.");
            CredentialSource::Default
        });
        let access_key_id = text(&draft.access_key_id);
        let secret_access_key = CredentialInput::from_draft(&draft.secret_access_key);
        if let Some(id) = &access_key_id
            && !(16..=128).contains(&id.len())
        {
            e.add("access_key_id", "invalid_access_key", "An access key id is 16 to 128 letters and digits.");
        }
        if credentials == CredentialSource::AccessKey && access_key_id.is_none() {
            e.add("access_key_id", "missing_access_key", "Enter the access key id (and its secret).");
        }
        let role_arn = text(&draft.role_arn);
        if role_arn.as_ref().is_some_and(|arn| !(arn.starts_with("arn:aws") && arn.contains(":role/"))) {
            e.add("role_arn", "invalid_role_arn", "A role ARN looks like arn:aws:iam::123456789012:role/name.");
        }
        if credentials == CredentialSource::AssumeRole && role_arn.is_none() {
            e.add("role_arn", "missing_role_arn", "Enter the ARN of the role to assume.");
        }
        let cluster = text(&draft.cluster).unwrap_or_else(|| format!("slipway-{base}"));
        if cluster.len() > 255 || !cluster.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            e.add(
                "cluster",
                "invalid_cluster",
                "A cluster name is up to 255 letters, digits, hyphens and underscores.",
            );
        }
        let vpc_id = text(&draft.vpc_id);
        if vpc_id.as_ref().is_some_and(|v| !v.starts_with("vpc-")) {
            e.add("vpc_id", "invalid_vpc", "A VPC id looks like vpc-0123abcd; leave it empty for the default VPC.");
        }
        let subnets: Vec<String> =
            draft.subnets.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        if subnets.iter().any(|s| !s.starts_with("subnet-")) {
            e.add("subnets", "invalid_subnets", "Subnet ids look like subnet-0123abcd, separated by commas.");
        } else if subnets.len() == 1 {
            e.add("subnets", "too_few_subnets", "A load balancer needs subnets in at least two availability zones.");
        }
        if !subnets.is_empty() && vpc_id.is_none() {
            e.add("vpc_id", "missing_vpc", "Name the VPC these subnets belong to.");
        }
        let load_balancer = text(&draft.load_balancer).unwrap_or_else(|| format!("slipway-{base}"));
        if !is_short_label(&load_balancer.to_lowercase(), 32) || load_balancer.starts_with("internal-") {
            e.add(
                "load_balancer",
                "invalid_load_balancer",
                "A load balancer name is 1–32 letters, digits and hyphens, not starting with \"internal-\".",
            );
        }
        let certificate_arn = text(&draft.certificate_arn);
        if certificate_arn.as_ref().is_some_and(|arn| !(arn.starts_with("arn:aws") && arn.contains(":acm:"))) {
            e.add("certificate_arn", "invalid_certificate", "An ACM certificate ARN looks like arn:aws:acm:….");
        }
        let base_domain = draft.base_domain.trim().trim_end_matches('.').to_lowercase();
        if !is_dns_name(&base_domain) {
            e.add("base_domain", "invalid_base_domain", "Enter a domain such as apps.example.com.");
        }
        let execution_role_arn = text(&draft.execution_role_arn);
        if execution_role_arn.as_ref().is_some_and(|arn| !(arn.starts_with("arn:aws") && arn.contains(":role/"))) {
            e.add(
                "execution_role_arn",
                "invalid_role_arn",
                "A role ARN looks like arn:aws:iam::123456789012:role/name.",
            );
        }
        let log_retention_days = number(&draft.log_retention_days, 30, 1..=3653)
            .filter(|d| LOG_RETENTION_DAYS.contains(d))
            .unwrap_or_else(|| {
                e.add(
                    "log_retention_days",
                    "invalid_retention",
                    "CloudWatch keeps logs 1, 3, 5, 7, 14, 30, 60, 90, … or 3653 days.",
                );
                30
            });
        let keep_images = number(&draft.keep_images, 20, 1..=1000).unwrap_or_else(|| {
            e.add("keep_images", "invalid_keep_images", "Keep 1 to 1000 images per app.");
            20
        });
        let rollout_timeout_secs = number(&draft.rollout_timeout_secs, 900, 60..=7200).unwrap_or_else(|| {
            e.add("rollout_timeout_secs", "invalid_rollout_timeout", "The rollout deadline is 60 to 7200 seconds.");
            900
        });
        let endpoint_url = text(&draft.endpoint_url);
        if endpoint_url
            .as_ref()
            .is_some_and(|u| url::Url::parse(u).map(|u| !u.scheme().starts_with("http")).unwrap_or(true))
        {
            e.add("endpoint_url", "invalid_endpoint", "The AWS endpoint override is an http(s) URL.");
        }
        let registry_override = match text(&draft.registry_override).map(|r| RegistryAddress::parse(&r)).transpose() {
            Ok(r) => r,
            Err((code, message)) => {
                e.add("registry_override", code, message);
                None
            }
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(Self {
            name,
            region,
            credentials,
            access_key_id,
            secret_access_key,
            role_arn,
            cluster,
            vpc_id,
            subnets,
            public_ip: draft.public_ip.unwrap_or(true),
            load_balancer,
            certificate_arn,
            base_domain,
            execution_role_arn,
            log_retention_days,
            keep_images,
            rollout_timeout_secs,
            endpoint_url,
            registry_override,
        })
    }
}

/// A stored target, as shown by the API and UI.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AwsTarget {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub credentials: CredentialSource,
    pub access_key_id: Option<String>,
    pub has_secret_access_key: bool,
    pub role_arn: Option<String>,
    pub cluster: String,
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    pub public_ip: bool,
    pub load_balancer: String,
    pub certificate_arn: Option<String>,
    pub base_domain: String,
    pub execution_role_arn: Option<String>,
    pub log_retention_days: u32,
    pub keep_images: u32,
    pub rollout_timeout_secs: u32,
    pub endpoint_url: Option<String>,
    pub registry_override: Option<String>,
    /// Apps deploying to this target.
    pub apps: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl AwsTarget {
    /// `https://<app>.<base domain>` with a certificate, else http.
    pub fn app_url(&self, app: &str) -> String {
        let scheme = if self.certificate_arn.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.app_host(app))
    }

    pub fn app_host(&self, app: &str) -> String {
        format!("{app}.{}", self.base_domain)
    }
}

/// A target with its secret decrypted: what the AWS clients are built from.
#[derive(Clone)]
pub struct TargetAccess {
    pub target: AwsTarget,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for TargetAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetAccess").field("target", &self.target.name).finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    id: i64,
    name: String,
    region: String,
    credentials: String,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    role_arn: Option<String>,
    cluster: String,
    vpc_id: Option<String>,
    subnets: String,
    public_ip: bool,
    load_balancer: String,
    certificate_arn: Option<String>,
    base_domain: String,
    execution_role_arn: Option<String>,
    log_retention_days: i64,
    keep_images: i64,
    rollout_timeout_secs: i64,
    endpoint_url: Option<String>,
    registry_override: Option<String>,
    apps: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT t.*, (SELECT group_concat(name, ',') FROM (SELECT name FROM apps a WHERE a.aws_target_id = t.id ORDER BY name)) AS apps FROM aws_targets t";

fn to_target(row: TargetRow) -> (AwsTarget, Option<String>) {
    let target = AwsTarget {
        id: row.id,
        name: row.name,
        region: row.region,
        credentials: CredentialSource::parse(&row.credentials).unwrap_or(CredentialSource::Default),
        access_key_id: row.access_key_id,
        has_secret_access_key: row.secret_access_key.is_some(),
        role_arn: row.role_arn,
        cluster: row.cluster,
        vpc_id: row.vpc_id,
        subnets: serde_json::from_str(&row.subnets).unwrap_or_default(),
        public_ip: row.public_ip,
        load_balancer: row.load_balancer,
        certificate_arn: row.certificate_arn,
        base_domain: row.base_domain,
        execution_role_arn: row.execution_role_arn,
        log_retention_days: u32::try_from(row.log_retention_days).unwrap_or(30),
        keep_images: u32::try_from(row.keep_images).unwrap_or(20),
        rollout_timeout_secs: u32::try_from(row.rollout_timeout_secs).unwrap_or(900),
        endpoint_url: row.endpoint_url,
        registry_override: row.registry_override,
        apps: row.apps.map(|a| a.split(',').map(str::to_owned).collect()).unwrap_or_default(),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
    };
    (target, row.secret_access_key)
}

/// Team `team_id`'s targets.
pub async fn list(db: &SqlitePool, team_id: i64) -> Result<Vec<AwsTarget>> {
    let rows: Vec<TargetRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.team_id = ? ORDER BY t.name")))
            .bind(team_id)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|row| to_target(row).0).collect())
}

async fn row(db: &SqlitePool, name: &str) -> Result<TargetRow> {
    let row: Option<TargetRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.name = ?"))).bind(name).fetch_optional(db).await?;
    row.ok_or_else(|| Error::NotFound(format!("AWS target \"{name}\"")))
}

pub async fn get(db: &SqlitePool, name: &str) -> Result<AwsTarget> {
    Ok(to_target(row(db, name).await?).0)
}

/// The target with its secret decrypted, for the AWS clients.
pub async fn access(db: &SqlitePool, secrets: &SecretBox, name: &str) -> Result<TargetAccess> {
    let (target, secret) = to_target(row(db, name).await?);
    Ok(TargetAccess { target, secret_access_key: secret.map(|s| secrets.decrypt(&s)).transpose()? })
}

/// The AWS target an app deploys to, if any.
pub async fn of_app(db: &SqlitePool, app_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT t.name FROM apps a JOIN aws_targets t ON t.id = a.aws_target_id WHERE a.id = ?")
        .bind(app_id)
        .fetch_optional(db)
        .await?)
}

/// Creates a target in team `team_id`. Target names are unique across teams (they name AWS resources).
pub async fn create(db: &SqlitePool, secrets: &SecretBox, team_id: i64, spec: &TargetSpec) -> Result<AwsTarget> {
    let at = now();
    let inserted = sqlx::query(
        "INSERT INTO aws_targets (team_id, name, region, cluster, load_balancer, base_domain, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(team_id)
    .bind(&spec.name)
    .bind(&spec.region)
    .bind(&spec.cluster)
    .bind(&spec.load_balancer)
    .bind(&spec.base_domain)
    .bind(at)
    .bind(at)
    .execute(db)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::Validation(FieldErrors::single(
                "name",
                "target_name_taken",
                format!("A target named \"{}\" already exists; pick another name.", spec.name),
            )));
        }
        Err(e) => return Err(e.into()),
    }
    update(db, secrets, &spec.name, spec).await
}

/// Replaces a target's settings; the name does not change. A stored secret
/// key is kept unless the spec replaces or clears it.
pub async fn update(db: &SqlitePool, secrets: &SecretBox, name: &str, spec: &TargetSpec) -> Result<AwsTarget> {
    if spec.name != name {
        return Err(Error::Validation(FieldErrors::single(
            "name",
            "rename_unsupported",
            "A target's name cannot be changed (AWS resources are named after it).",
        )));
    }
    let stored = row(db, name).await?.secret_access_key;
    let secret = match &spec.secret_access_key {
        CredentialInput::Keep => stored,
        CredentialInput::Clear => None,
        CredentialInput::Set(value) => Some(secrets.encrypt(value)?),
    };
    if spec.credentials == CredentialSource::AccessKey && secret.is_none() {
        return Err(Error::Validation(FieldErrors::single(
            "secret_access_key",
            "missing_secret_key",
            "Enter the secret access key.",
        )));
    }
    sqlx::query(
        "UPDATE aws_targets SET region = ?, credentials = ?, access_key_id = ?, secret_access_key = ?, role_arn = ?,
         cluster = ?, vpc_id = ?, subnets = ?, public_ip = ?, load_balancer = ?, certificate_arn = ?, base_domain = ?,
         execution_role_arn = ?, log_retention_days = ?, keep_images = ?, rollout_timeout_secs = ?, endpoint_url = ?,
         registry_override = ?, updated_at = ? WHERE name = ?",
    )
    .bind(&spec.region)
    .bind(spec.credentials.as_str())
    .bind(&spec.access_key_id)
    .bind(secret)
    .bind(&spec.role_arn)
    .bind(&spec.cluster)
    .bind(&spec.vpc_id)
    .bind(serde_json::to_string(&spec.subnets).map_err(anyhow::Error::from)?)
    .bind(spec.public_ip)
    .bind(&spec.load_balancer)
    .bind(&spec.certificate_arn)
    .bind(&spec.base_domain)
    .bind(&spec.execution_role_arn)
    .bind(i64::from(spec.log_retention_days))
    .bind(i64::from(spec.keep_images))
    .bind(i64::from(spec.rollout_timeout_secs))
    .bind(&spec.endpoint_url)
    .bind(spec.registry_override.as_ref().map(RegistryAddress::as_str))
    .bind(now())
    .bind(name)
    .execute(db)
    .await?;
    get(db, name).await
}

/// Forgets a target. Refused while apps deploy to it (tear it down or move them first).
pub async fn delete(db: &SqlitePool, name: &str) -> Result<()> {
    let target = get(db, name).await?;
    if !target.apps.is_empty() {
        return Err(Error::Conflict {
            code: "target_in_use",
            message: format!("Apps still deploy to \"{name}\": {}. Move or delete them first.", target.apps.join(", ")),
        });
    }
    sqlx::query("DELETE FROM aws_targets WHERE name = ?").bind(name).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> TargetDraft {
        TargetDraft {
            name: "prod".into(),
            region: "eu-west-1".into(),
            base_domain: "apps.example.com".into(),
            ..TargetDraft::default()
        }
    }

    #[test]
    fn defaults_name_the_cluster_and_load_balancer_after_the_target() {
        let spec = TargetSpec::parse(&draft()).unwrap();
        assert_eq!(spec.cluster, "slipway-prod");
        assert_eq!(spec.load_balancer, "slipway-prod");
        assert_eq!(spec.credentials, CredentialSource::Default);
        assert_eq!((spec.log_retention_days, spec.keep_images, spec.rollout_timeout_secs), (30, 20, 900));
        assert!(spec.public_ip);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = TargetDraft {
            name: "Prod!".into(),
            region: "europe".into(),
            credentials: "access_key".into(),
            subnets: "subnet-1".into(),
            certificate_arn: "cert".into(),
            base_domain: "not a domain".into(),
            log_retention_days: "31".into(),
            ..draft()
        };
        let errors = TargetSpec::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "access_key_id",
                "base_domain",
                "certificate_arn",
                "log_retention_days",
                "name",
                "region",
                "subnets",
                "vpc_id"
            ]
        );
    }

    #[test]
    fn regions() {
        assert!(is_region("us-east-1"));
        assert!(is_region("ap-southeast-2"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("us-east"));
        assert!(!is_region("US-EAST-1"));
    }
}
