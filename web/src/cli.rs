//! The `slipway` command line: `serve` (the default), `user create`, `token create`.

use std::io::Read;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use slipway_server::AppState;
use slipway_server::auth::{self, Email, Password};
use slipway_server::config::{Config, LogFormat};
use slipway_server::teams;

#[derive(Debug, Parser)]
#[command(name = "slipway", version, about = "Self-hosted deploy dashboard: git → Docker → live URL")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard and API (the default). Starts the edge proxy too unless `--edge external`.
    Serve,
    /// Run the edge proxy (the local load balancer) on its own.
    Edge,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the first user becomes the owner of the first team.
    Create(UserCreate),
}

#[derive(Debug, Args)]
pub struct UserCreate {
    #[arg(long)]
    pub email: String,
    /// Read the password from standard input (first line).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// Add the user to this team (its slug); the first user always owns the first team.
    #[arg(long)]
    pub team: Option<String>,
    /// Their role in `--team`: owner, admin, deployer or viewer.
    #[arg(long, default_value = "viewer")]
    pub role: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (shown only this once).
    Create(TokenCreate),
}

#[derive(Debug, Args)]
pub struct TokenCreate {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// The team the token acts in (its slug); default: the user's first team.
    #[arg(long)]
    pub team: Option<String>,
}

pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber_filter();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn tracing_subscriber_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info,sqlx=warn"))
}

/// Runs a one-off command (not `serve`); returns what it prints on stdout.
pub async fn run_command(config: Config, command: Command, stdin: impl Read) -> anyhow::Result<String> {
    let state = AppState::open(config).await?;
    let output = match command {
        Command::Serve | Command::Edge => bail!("`serve` and `edge` are not one-off commands"),
        Command::User(UserCommand::Create(args)) => create_user(&state, &args, stdin).await?,
        Command::Token(TokenCommand::Create(args)) => create_token(&state, &args).await?,
    };
    state.db.close().await;
    Ok(output)
}

fn explain(error: slipway_server::Error) -> anyhow::Error {
    match error.fields() {
        Some(fields) => anyhow::anyhow!(
            "{}",
            fields.0.iter().map(|(name, e)| format!("{name}: {}", e.message)).collect::<Vec<_>>().join("; ")
        ),
        None => anyhow::anyhow!(error.public_message()),
    }
}

async fn create_user(state: &AppState, args: &UserCreate, mut stdin: impl Read) -> anyhow::Result<String> {
    let email = Email::parse(&args.email).map_err(|f| explain(slipway_server::Error::Validation(f)))?;
    let mut input = String::new();
    stdin.read_to_string(&mut input).context("reading the password from stdin")?;
    let password = input.lines().next().unwrap_or_default();
    let password = Password::parse(password).map_err(|f| explain(slipway_server::Error::Validation(f)))?;
    let role = teams::Role::parse(&args.role).map_err(|f| explain(slipway_server::Error::Validation(f)))?;
    let team = match &args.team {
        Some(slug) => Some(teams::team_by_slug(&state.db, slug).await.map_err(explain)?),
        None => None,
    };
    let first = auth::count_users(&state.db).await.map_err(explain)? == 0;
    let user = if first {
        auth::create_owner(&state.db, &email, &password).await.map_err(explain)?
    } else {
        auth::create_user(&state.db, &email, &password, false).await.map_err(explain)?
    };
    let mut joined = if first || team.is_some() {
        String::new()
    } else {
        ", in no team yet (add --team SLUG --role ROLE, or send them an invite link)".to_owned()
    };
    if let Some(team) = team {
        let mut conn = state.db.acquire().await?;
        if teams::add_member(&mut conn, team.id, user.id, role).await.map_err(explain)? {
            joined = format!(", {role} in team {}", team.slug);
        }
    }
    Ok(format!("created {}{}{joined}\n", user.email, if user.is_owner { " (owner)" } else { "" }))
}

async fn create_token(state: &AppState, args: &TokenCreate) -> anyhow::Result<String> {
    let email = Email::parse(&args.email).map_err(|f| explain(slipway_server::Error::Validation(f)))?;
    let user = auth::find_user_by_email(&state.db, &email)
        .await
        .map_err(explain)?
        .with_context(|| format!("no user with email {}", email.as_str()))?;
    let mine = teams::teams_of(&state.db, user.id).await.map_err(explain)?;
    let team = match &args.team {
        Some(slug) => mine.iter().find(|t| &t.team.slug == slug),
        None => mine.first(),
    }
    .with_context(|| match &args.team {
        Some(slug) => format!("{} is not a member of team {slug}", user.email),
        None => format!("{} is not in any team yet", user.email),
    })?;
    let token = auth::create_token(&state.db, &user, team.team.id, &args.name).await.map_err(explain)?;
    Ok(format!("{}\n", token.secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_go_before_or_after_the_subcommand() {
        for args in [
            vec!["slipway", "serve", "--data-dir", "/srv/slipway", "--listen", "0.0.0.0:3000"],
            vec!["slipway", "--data-dir", "/srv/slipway", "--listen", "0.0.0.0:3000", "serve"],
        ] {
            let cli = Cli::try_parse_from(&args).expect("parses");
            assert!(matches!(cli.command, Some(Command::Serve)), "{args:?}");
            assert_eq!(cli.config.data_dir, std::path::PathBuf::from("/srv/slipway"));
            assert_eq!(cli.config.listen.port(), 3000);
        }
        let cli = Cli::try_parse_from(["slipway"]).expect("parses");
        assert!(cli.command.is_none(), "no subcommand means serve");
    }
}
