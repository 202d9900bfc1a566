//! Help, usage and version texts, rendered by clap from the grammar ([`crate::grammar`]).

use crate::args::{grammar_of, Command};

/// The full help: the overview, or one command's.
pub fn help(command: Option<Command>) -> String {
    with_newline(grammar_of(command).clone().render_help().to_string())
}

/// The short usage printed on stderr after a command-line error.
pub fn usage(command: Option<Command>) -> String {
    let usage = grammar_of(command).clone().render_usage().to_string();
    let hint = match command {
        None => "Run 'jetpack-partner --help' for the commands.".to_owned(),
        Some(c) => format!("Run 'jetpack-partner {c} --help' for details."),
    };
    format!("{}{hint}\n", with_newline(usage))
}

pub fn version() -> String {
    with_newline(grammar_of(None).render_version())
}

fn with_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::flags_of;

    #[test]
    fn every_flag_is_documented_in_its_commands_help() {
        for c in Command::ALL {
            let text = help(Some(c));
            for name in flags_of(c) {
                assert!(
                    text.contains(&format!("--{name}"))
                        || text.contains(&format!("--{}", name.replace('_', "-"))),
                    "help of {c} lacks --{name}"
                );
            }
        }
    }

    #[test]
    fn help_names_the_environment_and_exit_codes() {
        let text = help(None);
        for needle in [
            "JETPACK_PARTNER_ID",
            "JETPACK_PARTNER_SECRET",
            "JETPACK_PARTNER_API_BASE",
            "exit 2",
            "exit 1",
            "exit 0",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
    }

    #[test]
    fn usage_shows_the_commands_usage_line() {
        assert!(usage(Some(Command::Cancel)).starts_with("Usage: jetpack-partner cancel ("));
        assert!(usage(None).starts_with("Usage: jetpack-partner provision|cancel"));
    }

    #[test]
    fn help_is_clap_s_with_one_line_per_option_within_100_columns() {
        for command in std::iter::once(None).chain(Command::ALL.map(Some)) {
            let text = help(command);
            assert!(text.contains("Usage: jetpack-partner"), "{text}");
            assert!(text.contains("-h, --help"), "{text}");
            for line in text.lines() {
                assert!(line.chars().count() <= 100, "{command:?}: {line}");
            }
        }
        let text = help(Some(Command::Provision));
        let line = text
            .lines()
            .find(|l| l.contains("--ssh_private_key_file <PATH>"))
            .expect("the flag's line");
        assert!(line.contains("SSH private key, read from a file"), "{line}");
        assert!(help(None).contains("-V, --version"));
        assert_eq!(
            version(),
            format!("jetpack-partner {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}
