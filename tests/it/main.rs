//! dbgini's integration tests: one binary (see ARCHITECTURE.md, "Tests").

// Tests set up fixtures with plain writes (the atomic writer is what they test) and fail loudly.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

// The Ansible controller and the module run on POSIX hosts (Windows hosts get win_command).
#[cfg(unix)]
mod ansible;
mod cli;
mod commands;
mod corpus;
mod crash;
mod drift;
mod expiry;
mod fidelity;
mod guards;
mod json;
mod links;
mod live;
mod refusals;
mod reliability;
// Ownership, modes and links as root: Unix's trust boundary. (`links` is the part that holds on
// Windows; ACLs as a trust boundary are not yet tested.)
#[cfg(unix)]
mod security;
mod sweep;
mod util;
