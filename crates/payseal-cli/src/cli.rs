//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit codes: 0 ok, 1 envelope rejected, 2 usage, 3 bad input (key, config, envelope; also sealing in
clear on a topic that requires encryption), 4 I/O, 5 network, 6 demo expectation failed, 8 refused by
the broker (pub: PUBACK/PUBREC reason code >= 0x80; sub: SUBACK failure), 9 pub: not every QoS 1/2
message confirmed in time, 10 `trust check` found warnings, 11 `group`/`keyserver`: the controller state is
busy (another one holds its lock; nothing changed), 27 `sub -C N -W S` timed out before N
verified messages.

Examples:
  payseal demo
  payseal keygen --alg ed25519 --out sensor.key
  echo -n 21.5 | payseal seal --key sensor.key --topic plant/3/temp > msg.cose
  payseal open --trust trust.toml --topic plant/3/temp -i msg.cose
  payseal inspect -i msg.cose
  payseal sub -t 'plant/#' --trust trust.toml --key dashboard.key
  payseal pub -t plant/3/temp -m 21.5 --key sensor.key --to dashboard.pub
  payseal trust check trust.toml";

/// End-to-end payload security for MQTT: sign, encrypt and verify payloads the broker cannot
/// forge, move, replay or read.
#[derive(Debug, Parser)]
#[command(name = "payseal", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a key pair: a private key (PKCS#8 PEM, mode 0600) and its public key (SPKI PEM);
    /// or, for the MAC mode (spec/mac.md), a secret or a sender key derived from one (mode 0600).
    #[command(after_help = "\
Examples:
  payseal keygen --alg ed25519 --out sensor.key      # writes sensor.key and sensor.pub
  payseal keygen --alg x25519 --out dashboard.key    # an encryption (recipient) key
  payseal keygen --alg hmac-256-64 --out plant.secret                 # a MAC secret (receivers)
  payseal keygen --alg hmac --secret plant.secret --kid sensor-7 --out sensor-7.key
  payseal keygen --alg ed25519 --pkcs11 'pkcs11:token=plant;object=sensor-7?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:pin' --out sensor-7.pub
                                                     # a MAC sender's own key, derived from it")]
    Keygen(KeygenArgs),
    /// Show a key file: kind, algorithm, kid, COSE_Key (never the secret).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Seal a payload (stdin or -i) into an envelope (stdout or -o): signed, and encrypted
    /// with --to.
    #[command(after_help = "\
Examples:
  echo -n 21.5 | payseal seal --key sensor.key --topic plant/3/temp > msg.cose
  payseal seal --key sensor.key --topic plant/3/temp --to a.pub --to b.pub -i reading.json -o msg.cose
  payseal seal --key sensor.key --topic plant/3/temp --hex < reading.txt
  payseal seal --key sensor.key --cert sensor.pem --topic plant/7/temp -i reading.json -o msg.cose
  payseal seal --key sensor.key --topic plant/3/temp --trust trust.toml   # [[encrypt]]/[[group]]")]
    Seal(SealArgs),
    /// Open an envelope (stdin or -i): verify, decrypt, check freshness and replay; write the
    /// payload (stdout or -o).
    #[command(after_help = "\
Examples:
  payseal open --trust trust.toml --topic plant/3/temp -i msg.cose
  payseal open --trust trust.toml --topic plant/3/temp --key dashboard.key --state ./replay < msg.cose
  payseal open --trust trust.toml --topic plant/7/temp -v -i msg.cose   # -v names a certificate's subject
Exit code 1 and the reason on stderr when the envelope is rejected.")]
    Open(OpenArgs),
    /// Show an envelope for humans: headers, recipients, CBOR diagnostic notation. Needs no key
    /// and verifies nothing.
    #[command(after_help = "\
Examples:
  payseal inspect -i msg.cose
  payseal seal --key sensor.key --topic t --hex < data | payseal inspect --hex
  payseal inspect --json -i msg.cose | jq .kid")]
    Inspect(InspectArgs),
    /// Publish a sealed message (like mosquitto_pub).
    #[command(
        disable_help_flag = true,
        after_help = "\
Examples:
  payseal pub -t plant/3/temp -m 21.5 --key sensor.key
  payseal pub -h broker.example -p 8883 --cafile ca.pem -t plant/3/temp -f reading.json --key sensor.key --to dashboard.pub
  sensor-readings | payseal pub -t plant/3/temp -l --key sensor.key -q 1
  payseal pub -t plant/7/temp -m 21.5 --key sensor.key --cert sensor.pem   # a certificate sender
  payseal pub -t plant/3/temp -m 21.5 --key sensor.key --trust trust.toml  # encrypt to a [[group]]
  payseal pub -h broker.example --cafile ca.pem --tls-cert sensor.crt --tls-key sensor-tls.key \\
    -t plant/3/temp -m 21.5 --key sensor.key   # mutual TLS: mosquitto_pub's --cert/--key

Exit codes: 0 every message sent (QoS 0) or confirmed by the broker (QoS 1/2); 8 the broker refused
a message (MQTT 5 reason code >= 0x80, printed with its reason string); 9 not every message was
confirmed within 10 s (they may or may not have arrived; after a reconnect unconfirmed messages are
resent with the same envelope, so receivers see duplicates, never second messages); 5 no connection."
    )]
    Pub(PubArgs),
    /// Subscribe and print verified payloads; rejected messages go to stderr with their reason
    /// (like mosquitto_sub). Topics and reasons are printed with control characters escaped.
    #[command(
        disable_help_flag = true,
        after_help = "\
Examples:
  payseal sub -t 'plant/#' --trust trust.toml -v
  payseal sub -t plant/3/temp --trust trust.toml --key dashboard.key -C 10 -W 60
  payseal sub -t 'plant/#' --trust trust.toml -v    # [[ca]] entries accept certificate senders
  payseal sub -t 'plant/#' --trust trust.toml --json | jq -r 'select(.type==\"rejected\") | .reason'
  payseal sub -t 'plant/#' --trust trust.toml --metrics 127.0.0.1:9464 --quarantine q
  payseal sub -t 'plant/#' --trust trust.toml --member-key device.key --controller controller.pub \\
    --key-state device-keys      # group keys from `payseal keyserver` (payseal group --help)
  payseal sub -h broker.example --cafile ca.pem --tls-cert dash.crt --tls-key dash-tls.key \\
    -t 'plant/#' --trust trust.toml      # mutual TLS: mosquitto's --cert/--key

Exit code 8 when the broker refuses a subscription (SUBACK failure code, printed); 5 when the
first connection fails (a wrong or missing client certificate too); 4 when --metrics cannot
listen or --quarantine cannot be used."
    )]
    Sub(SubArgs),
    /// A sensor, two dashboards and a malicious broker in the middle, on an embedded broker:
    /// watch every attack fail. No setup.
    Demo(DemoArgs),
    /// A development certificate authority: a CA, and device certificates whose topic rights
    /// payseal-x509 reads. For examples and tests only, not for production.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Trust files: list who may publish where, and warn about risky rules.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Group keys from a key controller (spec/key-management.md §4): create groups, add and
    /// remove members, rotate, show the state. Each command changes the controller state (under
    /// its lock), then publishes the key updates it made and waits for the broker to confirm
    /// them.
    #[command(subcommand, after_long_help = KEYS_TOML_HELP)]
    Group(GroupCommand),
    /// Run the key controller: republish every member's key update on (re)connecting, then once
    /// a second switch to handed-over epochs and start scheduled rotations (rotate_every_secs),
    /// publishing the updates. Logs on stderr; stops on SIGINT or SIGTERM.
    #[command(after_long_help = KEYS_TOML_HELP)]
    Keyserver(KeysFile),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  payseal completions bash > /etc/bash_completion.d/payseal")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Signature and encryption key algorithms for `keygen`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum KeyAlg {
    /// Ed25519 signing key.
    Ed25519,
    /// ECDSA P-256 signing key.
    P256,
    /// ECDSA secp256k1 signing key.
    K256,
    /// X25519 encryption (recipient) key, for HPKE.
    X25519,
    /// MAC mode, HMAC 256/64 (8-byte tags): a secret, or with --secret a sender key.
    #[value(name = "hmac-256-64")]
    Hmac256_64,
    /// MAC mode, HMAC 256/256 (32-byte tags): a secret, or with --secret a sender key.
    #[value(name = "hmac-256-256")]
    Hmac256_256,
    /// MAC mode: hmac-256-256 for a new secret; with --secret, the secret's algorithm.
    Hmac,
}

/// `payseal keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The key algorithm.
    #[arg(long, value_enum)]
    pub alg: KeyAlg,
    /// The private key file; the public key goes beside it (`x.key` -> `x.pub`); MAC files
    /// have no public part. Existing files are never overwritten.
    #[arg(short, long)]
    pub out: PathBuf,
    /// MAC mode: derive a sender key from this secret file (for --kid) instead of generating
    /// a secret. The sender gets this key only, never the secret.
    #[arg(long, requires = "kid")]
    pub secret: Option<PathBuf>,
    /// MAC mode: the sender's kid (text, 1 to 32 bytes) to derive a key for.
    #[arg(long, requires = "secret")]
    pub kid: Option<String>,
    /// Make the key pair inside this PKCS#11 token (an RFC 7512 `pkcs11:` URI naming token=
    /// and object=); --out then names the public key file (SPKI PEM). The PIN comes from the
    /// URI's pin-source=file:... or PAYSEAL_PKCS11_PIN.
    #[arg(long, value_name = "URI", conflicts_with_all = ["secret", "kid"])]
    pub pkcs11: Option<String>,
    /// With --pkcs11 and --alg p256: a decryption (HPKE recipient) key instead of a signing key.
    #[arg(long, requires = "pkcs11")]
    pub recipient: bool,
}

/// `payseal key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print a key file's kind, algorithm, kid and public COSE_Key.
    #[command(
        after_help = "Examples:\n  payseal key show sensor.key\n  payseal key show --public sensor.key > sensor.pub"
    )]
    Show {
        /// A private or public key file (PEM).
        file: PathBuf,
        /// Print the public key as SPKI PEM instead.
        #[arg(long)]
        public: bool,
    },
}

/// keys.toml, documented in `group --help` and `keyserver --help` (and docs/keys-config.md).
const KEYS_TOML_HELP: &str = "\
keys.toml (paths relative to its directory; docs/keys-config.md):
  signing_key = \"controller.key\"    # the controller's private signing key (payseal keygen
                                    # --alg ed25519); members trust its .pub
  state = \"controller-state\"        # state directory (created 0700): groups, members, epoch
                                    # secrets. The one source of truth; back it up, keep it private.
  [broker]                          # as pub/sub flags: host (localhost), port (1883, 8883 with
                                    # cafile), id, username, password, cafile, tls_cert, tls_key,
                                    # protocol_version (\"311\" or \"5\"), keepalive (60)
  [rotation]
  grace_secs = 300                  # how long the previous epoch stays accepted after a switch
  handover_secs = 5                 # between handing the next epoch out and switching to it
  rotate_every_secs = 86400         # rotate by time (keyserver); absent: only on demand/removal

One command at a time changes the state: each takes its lock for one change and its publishing
(exit 11 if another holds it; nothing changed). Updates go out QoS 1, retained, on
payseal/keys/<member kid>; the command waits for the PUBACKs. If the broker cannot be reached
the command exits non-zero (5, or 8/9) but the change is saved: `payseal keyserver` republishes
every member's latest update when it starts (and after every reconnect), which heals it.

Examples:
  payseal keygen --alg ed25519 --out controller.key
  payseal group init plant
  payseal group add plant sensor-7.pub        # prints the member's kid
  payseal keyserver &                          # hand-overs, scheduled rotations
  payseal group remove plant 3f9a...           # rotates to an epoch the member never gets
  payseal group rotate plant
  payseal group status --json
Members: payseal sub -t 'plant/#' --trust trust.toml --member-key device.key \\
           --controller controller.pub --key-state device-keys
(or a payseal_keys::Member of the payseal-keys crate in an application).";

/// Which keys.toml to use.
#[derive(Debug, Args)]
pub struct KeysFile {
    /// The controller configuration, keys.toml (its fields: --help).
    #[arg(short = 'c', long = "config", default_value = "keys.toml")]
    pub config: PathBuf,
}

/// `payseal group ...`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group at epoch 1 (no members yet; nothing is published).
    #[command(after_long_help = KEYS_TOML_HELP)]
    Init {
        /// keys.toml.
        #[command(flatten)]
        keys: KeysFile,
        /// The group id (text).
        group: String,
    },
    /// Add a member by its public encryption key (payseal keygen --alg x25519), publish its
    /// update, and print its kid (hex).
    #[command(after_long_help = KEYS_TOML_HELP)]
    Add {
        /// keys.toml.
        #[command(flatten)]
        keys: KeysFile,
        /// The group id.
        group: String,
        /// The member's public encryption key file (.pub).
        member: PathBuf,
    },
    /// Remove a member: a rotation starts whose new epoch only the remaining members get.
    #[command(after_long_help = KEYS_TOML_HELP)]
    Remove {
        /// keys.toml.
        #[command(flatten)]
        keys: KeysFile,
        /// The group id.
        group: String,
        /// The member's kid in hex, as `group add` and `group status` print it.
        member: String,
    },
    /// Start a rotation now: the next epoch is handed to every member; the keyserver switches
    /// to it after handover_secs.
    #[command(after_long_help = KEYS_TOML_HELP)]
    Rotate {
        /// keys.toml.
        #[command(flatten)]
        keys: KeysFile,
        /// The group id.
        group: String,
    },
    /// One line per group: `<group> current <epoch> pending <epoch or -> members <kid,...>`.
    #[command(after_long_help = KEYS_TOML_HELP)]
    Status {
        /// keys.toml.
        #[command(flatten)]
        keys: KeysFile,
        /// One JSON object per line instead: group, current, pending, switch_at, members.
        #[arg(long)]
        json: bool,
    },
}

/// `payseal ca ...`.
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a CA: an Ed25519 key (PREFIX.key, mode 0600) and a self-signed certificate
    /// (PREFIX.pem).
    #[command(
        after_help = "Example:\n  payseal ca init --out dev-ca      # dev-ca.key, dev-ca.pem"
    )]
    Init {
        /// File prefix for the key and the certificate.
        #[arg(short, long)]
        out: PathBuf,
        /// The CA's common name.
        #[arg(long, default_value = "payseal development CA")]
        name: String,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Issue a device certificate for a signing key (Ed25519 or P-256), with its topic rights
    /// as `mqtt-topic:<filter>` subjectAltName URIs.
    #[command(
        after_help = "Example:\n  payseal ca issue --ca dev-ca --key sensor.pub --cn sensor-7 --topic 'plant/7/#' --out sensor.pem"
    )]
    Issue {
        /// The CA's file prefix (PREFIX.key and PREFIX.pem).
        #[arg(long)]
        ca: PathBuf,
        /// The device's public (or private) signing key.
        #[arg(short, long)]
        key: PathBuf,
        /// The device's common name.
        #[arg(long)]
        cn: String,
        /// A topic filter the device may publish on (repeat for several).
        #[arg(short, long = "topic", required = true)]
        topics: Vec<String>,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// The certificate file to write (PEM).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Revoke a device certificate: add its SHA-256 thumbprint to a deny-list file (created if
    /// missing), which receivers name in their trust file's `[[ca]]` `deny_list` and reload
    /// when it changes.
    #[command(
        after_help = "Example:\n  payseal ca revoke --cert sensor.pem --deny-list revoked.txt"
    )]
    Revoke {
        /// The device certificate (PEM; the first certificate of a chain).
        #[arg(long)]
        cert: PathBuf,
        /// The deny-list file to append to.
        #[arg(long)]
        deny_list: PathBuf,
    },
}

/// `payseal trust ...`.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Read a trust file, print who may publish on which topics and how topics are encrypted,
    /// and warn about risky rules: a sender allowed on every topic (`#`), several senders
    /// allowed on one topic, encryption required where no `[[encrypt]]`/`[[group]]` entry
    /// gives recipients, certificates that expire soon.
    #[command(after_help = "\
Examples:
  payseal trust check trust.toml
  payseal trust check --expiry-days 90 trust.toml

Exit codes: 0 no warnings, 10 warnings (printed on stdout, each starting with `warning:`), 3 or 4
the file cannot be used (as for open/sub).")]
    Check {
        /// The trust file.
        file: PathBuf,
        /// Warn about certificates that expire within this many days.
        #[arg(long, default_value_t = 30)]
        expiry_days: u32,
    },
}

/// Where bytes come from and go to.
#[derive(Debug, Args)]
pub struct Io {
    /// Input file, `-` for stdin.
    #[arg(short = 'i', long = "in", default_value = "-")]
    pub input: PathBuf,
    /// Output file, `-` for stdout.
    #[arg(short = 'o', long = "out", default_value = "-")]
    pub output: PathBuf,
}

/// `payseal seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// The sender's private signing key (a file, or a `pkcs11:` URI of a token key), or its
    /// MAC sender key or MAC secret (with --kid).
    #[arg(short, long)]
    pub key: PathBuf,
    /// MAC mode with a secret as --key: the sender's kid (text) to derive its key for.
    #[arg(long)]
    pub kid: Option<String>,
    /// A device certificate chain (PEM, leaf first, from `payseal ca issue`) for --key:
    /// every envelope carries it (`x5chain`) for receivers with a `[[ca]]` entry.
    #[arg(long, value_name = "CHAIN.pem")]
    pub cert: Option<PathBuf>,
    /// With --cert: send only the certificate's SHA-256 thumbprint (`x5t`), for receivers
    /// that have the chain in their `[[ca]]` entry's `chains`.
    #[arg(long, requires = "cert")]
    pub x5t: bool,
    /// The MQTT topic the envelope is bound to.
    #[arg(short, long)]
    pub topic: String,
    /// Encrypt to this recipient's public key (repeat for several).
    #[arg(long = "to", value_name = "RECIPIENT.pub")]
    pub to: Vec<PathBuf>,
    /// Encrypt as its `[[encrypt]]` and `[[group]]` entries say for this topic (when --to is
    /// not given).
    #[arg(long)]
    pub trust: Option<PathBuf>,
    /// Content encryption for several recipients: a128gcm, a256gcm or chacha20poly1305.
    #[arg(long, default_value = "a128gcm")]
    pub content: String,
    /// Sequence number (default: microseconds since the epoch, so that separate runs increase).
    #[arg(long)]
    pub seq: Option<u64>,
    /// Write the envelope as hex text.
    #[arg(long)]
    pub hex: bool,
    /// Input and output.
    #[command(flatten)]
    pub io: Io,
}

/// `payseal open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The trust configuration (senders, topics, policy, decryption keys).
    #[arg(long)]
    pub trust: PathBuf,
    /// The MQTT topic the envelope arrived on.
    #[arg(short, long)]
    pub topic: String,
    /// A private encryption key to decrypt with, a file or a `pkcs11:` URI (repeat for
    /// several; adds to the trust file's).
    #[arg(short, long)]
    pub key: Vec<PathBuf>,
    /// Keep replay windows in this directory, so a replay is caught across runs (without it,
    /// a warning: the same envelope is accepted again). Created mode 0700; refused if another
    /// user could write into it.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Read the envelope as hex text.
    #[arg(long)]
    pub hex: bool,
    /// Also print the sender, sequence number and time to stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// Input and output.
    #[command(flatten)]
    pub io: Io,
}

/// `payseal inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Input file, `-` for stdin.
    #[arg(short = 'i', long = "in", default_value = "-")]
    pub input: PathBuf,
    /// Read the envelope as hex text.
    #[arg(long)]
    pub hex: bool,
    /// Print one JSON object (headers, encryption, payload as UTF-8 or base64) instead.
    #[arg(long)]
    pub json: bool,
}

/// Broker connection flags shared by `pub` and `sub`, as mosquitto_pub/sub spell them.
#[derive(Clone, Debug, Args)]
pub struct Broker {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Broker host.
    #[arg(short = 'h', long, default_value = "localhost")]
    pub host: String,
    /// Broker port (default 1883, or 8883 with --cafile).
    #[arg(short = 'p', long)]
    pub port: Option<u16>,
    /// Client id (default: payseal- and a random suffix).
    #[arg(short = 'i', long = "id")]
    pub id: Option<String>,
    /// QoS: 0, 1 or 2.
    #[arg(short = 'q', long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub qos: u8,
    /// Username.
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password.
    #[arg(short = 'P', long, requires = "username")]
    pub pw: Option<String>,
    /// CA certificate file (PEM): connect with TLS and verify the broker against it
    /// (mosquitto's --cafile).
    #[arg(long)]
    pub cafile: Option<PathBuf>,
    /// Client certificate (PEM, leaf first) for brokers that require one (mutual TLS, with
    /// --cafile and --tls-key). mosquitto's --cert; named apart from --key, the signing key.
    #[arg(long, value_name = "CERT.pem", requires_all = ["cafile", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM; keep it 0600). mosquitto's --key.
    #[arg(long, value_name = "KEY.pem", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// MQTT version: 311 or 5.
    #[arg(short = 'V', long = "protocol-version", default_value = "311", value_parser = ["311", "5", "mqttv311", "mqttv5"])]
    pub protocol: String,
    /// Keepalive in seconds (MQTT 5: 5 to 65535; 3.1.1: 0 turns it off).
    #[arg(short = 'k', long, default_value_t = 60)]
    pub keepalive: u16,
}

/// `payseal pub`.
#[derive(Debug, Args)]
pub struct PubArgs {
    /// Connection.
    #[command(flatten)]
    pub broker: Broker,
    /// Topic to publish on.
    #[arg(short = 't', long)]
    pub topic: String,
    /// The message.
    #[arg(short = 'm', long, group = "source")]
    pub message: Option<String>,
    /// Send a file's contents as the message.
    #[arg(short = 'f', long, group = "source")]
    pub file: Option<PathBuf>,
    /// Send all of stdin as one message.
    #[arg(short = 's', long, group = "source")]
    pub stdin_message: bool,
    /// Send each line of stdin as a message.
    #[arg(short = 'l', long, group = "source")]
    pub lines: bool,
    /// Retain the message.
    #[arg(short = 'r', long)]
    pub retain: bool,
    /// The sender's private signing key (a file, or a `pkcs11:` URI of a token key), or its
    /// MAC sender key or MAC secret (with --kid).
    #[arg(long)]
    pub key: PathBuf,
    /// MAC mode with a secret as --key: the sender's kid (text) to derive its key for.
    #[arg(long)]
    pub kid: Option<String>,
    /// Encrypt to this recipient's public key (repeat for several).
    #[arg(long = "to", value_name = "RECIPIENT.pub")]
    pub to: Vec<PathBuf>,
    /// Encrypt as its `[[encrypt]]` and `[[group]]` entries say for the topic (when --to is
    /// not given).
    #[arg(long)]
    pub trust: Option<PathBuf>,
    /// A device certificate chain (PEM, leaf first, from `payseal ca issue`) for --key:
    /// every envelope carries it (`x5chain`) for receivers with a `[[ca]]` entry.
    #[arg(long, value_name = "CHAIN.pem")]
    pub cert: Option<PathBuf>,
    /// With --cert: send only the certificate's SHA-256 thumbprint (`x5t`), for receivers
    /// that have the chain in their `[[ca]]` entry's `chains`.
    #[arg(long, requires = "cert")]
    pub x5t: bool,
}

/// `payseal sub`.
#[derive(Debug, Args)]
pub struct SubArgs {
    /// Connection.
    #[command(flatten)]
    pub broker: Broker,
    /// Topic filter to subscribe to (repeat for several).
    #[arg(short = 't', long = "topic", required = true)]
    pub topics: Vec<String>,
    /// The trust configuration (senders, topics, policy, decryption keys).
    #[arg(long)]
    pub trust: PathBuf,
    /// A private encryption key to decrypt with, a file or a `pkcs11:` URI (repeat; adds to
    /// the trust file's).
    #[arg(long)]
    pub key: Vec<PathBuf>,
    /// Exit after this many verified messages.
    #[arg(short = 'C', long)]
    pub count: Option<u64>,
    /// Exit after this many seconds: exit code 0, or 27 (as mosquitto_sub) when -C was given
    /// and fewer verified messages arrived.
    #[arg(short = 'W', long)]
    pub timeout: Option<u64>,
    /// Print the topic and the sender before each payload.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Keep replay windows in this directory, so replays are caught across restarts. Created
    /// mode 0700; refused if another user could write into it.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Write one JSON object per line to stdout instead of payloads: verified messages,
    /// rejections (with their reason code) and duplicates, for jq and log shippers.
    #[arg(long)]
    pub json: bool,
    /// Serve counters (accepted, rejected by reason, duplicates, not_for_me, store outages)
    /// and the verification time histogram in the Prometheus text format on this address,
    /// e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Keep every rejected message (raw bytes, topic, time, reason) as JSON lines in
    /// DIR/rejected.jsonl, rotated: at most --quarantine-files files of
    /// --quarantine-max-bytes each. DIR is created mode 0700, the files 0600.
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Largest quarantine file in bytes (a record that cannot fit is kept without its payload).
    #[arg(long, default_value_t = 10 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(4096..), requires = "quarantine")]
    pub quarantine_max_bytes: u64,
    /// How many quarantine files to keep (the oldest is dropped).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000), requires = "quarantine")]
    pub quarantine_files: u32,
    /// Take group keys from a key controller (`payseal keyserver`): this member's private
    /// encryption key. A second connection subscribes to its key topic `payseal/keys/<kid>`;
    /// each update is checked, persisted in --key-state and its group keys decrypt what
    /// follows. Key updates are reported on stderr, never printed as data.
    #[arg(long, value_name = "KEY", requires_all = ["controller", "key_state"])]
    pub member_key: Option<PathBuf>,
    /// With --member-key: the controller's public signing key, the only signer trusted on the
    /// key topic.
    #[arg(long, value_name = "CONTROLLER.pub", requires = "member_key")]
    pub controller: Option<PathBuf>,
    /// With --member-key: the directory keeping the last applied key update (created 0700).
    #[arg(long, value_name = "DIR", requires = "member_key")]
    pub key_state: Option<PathBuf>,
}

/// `payseal demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many readings the sensor publishes.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub readings: u64,
}
