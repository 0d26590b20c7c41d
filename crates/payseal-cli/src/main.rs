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
            eprintln!("payseal: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
