//! One module per group of commands; [`run`] dispatches.

mod ca;
mod controller;
mod demo;
mod envelope;
mod group;
mod io;
mod key_link;
mod keys;
mod keys_config;
mod keyserver;
mod member_keys;
mod metrics;
mod mqtt;
mod options;
mod quarantine;
mod setup;
mod sub_json;
mod tls;
mod trust;
mod x509;

use clap::CommandFactory;

use crate::Failure;
use crate::cli::{CaCommand, Cli, Command, KeyCommand, TrustCommand};

/// Runs one parsed command line.
///
/// # Errors
/// The [`Failure`] to report, whose [`Failure::exit_code`] is the process's.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Keygen(args) => keys::keygen(&args),
        Command::Key(KeyCommand::Show { file, public }) => keys::show(&file, public),
        Command::Seal(args) => envelope::seal(&args),
        Command::Open(args) => envelope::open(&args),
        Command::Inspect(args) => envelope::inspect(&args),
        Command::Pub(args) => mqtt::publish(&args),
        Command::Sub(args) => mqtt::subscribe(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Group(command) => group::run(&command),
        Command::Keyserver(keys) => keyserver::run(&keys),
        Command::Ca(CaCommand::Init { out, name, days }) => ca::init(&out, &name, days),
        Command::Ca(CaCommand::Issue {
            ca,
            key,
            cn,
            topics,
            days,
            out,
        }) => ca::issue(&ca::Request {
            ca: &ca,
            key: &key,
            cn: &cn,
            topics: &topics,
            days,
            out: &out,
        }),
        Command::Ca(CaCommand::Revoke { cert, deny_list }) => ca::revoke(&cert, &deny_list),
        Command::Trust(TrustCommand::Check { file, expiry_days }) => {
            trust::check(&file, expiry_days)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "payseal",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}
