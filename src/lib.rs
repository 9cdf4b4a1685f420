//! dbgini: switch Domino notes.ini debug settings on for a while, safely, and always back off.
//!
//! The library holds everything; `main.rs` only parses arguments, gathers the environment into an
//! [`ops::Context`] and prints the [`outcome::Outcome`] or the [`error::Error`]. Commands
//! ([`cmd`]) are thin over operations ([`ops`]); what the user is told goes through one sink
//! ([`ui`]).
//!
//! Pure core (no I/O, no clock, no environment): [`ini`] (the lossless document), [`profile`]
//! (profiles, rules, validation), [`lease`] (state and layering). I/O: [`store`] (lock, journal,
//! durable writes) over [`atomic`] (the one file writer). See ARCHITECTURE.md.
//!
//! # Limitations
//! See [`ini`] for what the document model does not interpret.

pub mod atomic;
pub mod bytes;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod config;
pub mod crash;
pub mod docs;
pub mod error;
pub mod guard;
pub mod ini;
pub mod lease;
pub mod live;
pub mod ops;
pub mod outcome;
pub mod output;
pub mod profile;
pub mod registry;
pub mod safe;
pub mod store;
pub mod ui;
