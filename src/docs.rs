//! Shell completions and the man page, generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::Cli;

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
    out.extend_from_slice(b".SH FILES\n.TP\n\\fI.dbgini/<file name>/\\fR beside notes.ini\nleases, baselines, backups and the audit log of that notes.ini\n.TP\n\\fI~/.config/dbgini/config.toml\\fR\nconfig: ini, max_duration, mode, console_cmd\n.TP\n\\fI/etc/dbgini/profiles/\\fR, \\fI~/.config/dbgini/profiles/\\fR\nsite and user profiles\n");
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
