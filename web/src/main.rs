//! The `slipway` binary: parse the command line, then hand over to the library.

use clap::Parser;
use slipway_server::config::EdgeMode;
use slipway_web::cli::{Cli, Command, init_tracing, run_command};
use slipway_web::serve::{Application, shutdown_signal};

#[tokio::main(worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Edge => slipway_server::edge::run(&cli.config, shutdown_signal()).await,
        Command::Serve => {
            // The dashboard first: it creates the data dir and migrates the database the edge reads.
            let app = Application::build(cli.config.clone()).await?;
            if cli.config.edge == EdgeMode::Spawn {
                slipway_server::edge::ensure_running(&cli.config).await?;
            }
            tracing::info!(apps = %cli.config.app_url("<app>"), "deployed apps are served by the edge proxy");
            tracing::info!(address = %app.local_addr(), "Slipway is listening");
            app.run_until(shutdown_signal()).await
        }
        command => {
            let output = run_command(cli.config, command, std::io::stdin().lock()).await?;
            print!("{output}");
            Ok(())
        }
    }
}
