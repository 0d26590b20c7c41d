//! The `payseal` command. See `payseal --help` and the `payseal_cli` crate docs.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use payseal_cli::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match payseal_cli::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // A failure can quote what a broker or an envelope chose (a topic, a reason).
            let message = payseal_rumqttc::escape_text(&failure.to_string());
            eprintln!("payseal: {message}");
            ExitCode::from(failure.exit_code())
        }
    }
}
