//! Shell completions and the man page, generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::Cli;

/// The environment variables meant for users, with what each does (the man page's ENVIRONMENT).
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "DBGINI_INI",
        "The notes.ini to work on when --ini is not given (before `ini` in the config file).",
    ),
    (
        "DBGINI_CONFIG_DIR",
        "The directory of the user's config.toml and profiles/ (default: dbgini in the platform's config directory, ~/.config or %APPDATA%).",
    ),
    (
        "DBGINI_CONSOLE_CMD",
        "The console command when --console-cmd is not given (before `console_cmd` in the config file).",
    ),
    (
        "DBGINI_CONSOLE_AS",
        "owner or caller, when --console-as is not given (before `console_as` in the config file).",
    ),
    (
        "DBGINI_ACTOR",
        "The person behind an automated run (the Ansible module's actor), recorded in the lease and the audit log as \"ACTOR via USER\". A label, never a permission.",
    ),
    (
        "DBGINI_REGISTRY",
        "The directory listing the notes.ini files with leases, which `expire --all-targets` (the timer) reads; default /var/lib/dbgini/targets for root, else the user's data directory.",
    ),
    (
        "DBGINI_NOW",
        "Judge expiry as if it were this time (RFC 3339), for reproducing what the timer will do; use with DBGINI_BOOT.",
    ),
    (
        "DBGINI_BOOT",
        "<boot id>:<seconds since boot>, the boot clock to use with DBGINI_NOW.",
    ),
    (
        "DBGINI_SYSTEM_ROOT",
        "Treat this directory as / for the site config, unit and cron files (tests, images being built).",
    ),
    ("NO_COLOR", "No colour with --color auto."),
    (
        "SUDO_USER",
        "Set by sudo: the lease and the audit log name that user (\"alice (sudo as root)\").",
    ),
];

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dbgini", &mut out);
    out
}

/// The man page (roff), with every subcommand.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for code in crate::error::ExitCode::ALL {
        out.extend_from_slice(format!(".TP\n{}\n{}\n", code as u8, code.meaning()).as_bytes());
    }
    out.extend_from_slice(b".SH \"JSON OUTPUT\"\nWith \\fB--json\\fR, one JSON object on stdout (\\fBwatch\\fR: JSON Lines), on success and on failure; every object has \\fBschema\\fR, \\fBcommand\\fR and \\fBexit_code\\fR. The JSON Schema is docs/dbgini.schema.json in the source.\n");
    out.extend_from_slice(b".SH ENVIRONMENT\n");
    for (name, what) in ENVIRONMENT {
        out.extend_from_slice(format!(".TP\n\\fB{name}\\fR\n{what}\n").as_bytes());
    }
    out.extend_from_slice(b".SH FILES\n.TP\n\\fI.dbgini/<file name>/\\fR beside notes.ini\nleases, baselines, backups and the audit log of that notes.ini\n.TP\n\\fI/etc/dbgini/config.toml\\fR (site; \\fI%ProgramData%\\\\dbgini\\\\config.toml\\fR on Windows), \\fI~/.config/dbgini/config.toml\\fR (user, wins over the site's)\nconfig: ini, max_duration, mode, console_cmd, console_as; the site file must belong to root and be writable only by root\n.TP\n\\fI/etc/dbgini/profiles/\\fR (\\fI%ProgramData%\\\\dbgini\\\\profiles\\fR on Windows), \\fI~/.config/dbgini/profiles/\\fR\nsite and user profiles (the user's win)\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone()).render(&mut page)?;
        // Subcommand pages are appended as sections, so one file documents everything.
        let text = String::from_utf8_lossy(&page);
        out.extend_from_slice(
            format!(".SH \"DBGINI {}\"\n", sub.get_name().to_uppercase()).as_bytes(),
        );
        for line in text
            .lines()
            .filter(|l| !l.starts_with(".TH") && !l.starts_with(".ie") && !l.starts_with(".el"))
        {
            let line = line.replace(".SH ", ".SS ");
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::ENVIRONMENT;

    /// Knobs of test builds, crash tests and the build itself: not for users, not in the man page.
    const NOT_FOR_USERS: &[&str] = &[
        "DBGINI_CRASH_AT",
        "DBGINI_FAIL_AT",
        "DBGINI_TOUCH_AT",
        "DBGINI_TOUCH_FILE",
        "DBGINI_TEST_MIN_LEASE_SECS",
        "DBGINI_COMMIT",
    ];

    fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }

    #[test]
    fn every_variable_dbgini_reads_is_in_the_man_page_or_is_a_test_knob() {
        let mut texts = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut texts,
        );
        let mut read = std::collections::BTreeSet::new();
        for t in &texts {
            for (i, _) in t.match_indices("\"DBGINI_") {
                let name: String = t[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                if name.len() > "DBGINI_".len() {
                    read.insert(name);
                }
            }
        }
        assert!(read.contains("DBGINI_INI"), "{read:?}");
        for name in &read {
            assert!(
                ENVIRONMENT.iter().any(|(n, _)| n == name)
                    || NOT_FOR_USERS.contains(&name.as_str()),
                "{name} is read but neither in the man page's ENVIRONMENT nor a test knob"
            );
        }
        let page = String::from_utf8(super::man_page().unwrap()).unwrap();
        for (name, _) in ENVIRONMENT {
            assert!(page.contains(&format!("\\fB{name}\\fR")), "{name}");
        }
    }
}
