#![cfg_attr(not(feature = "ssr"), allow(dead_code))]
//! Environment variables as text: one `NAME=value` per line. In the secrets box a
//! bare `NAME` keeps the stored value. Blank lines and `#` comments are skipped.

pub type EnvLine = (String, Option<String>, bool);

pub fn parse(text: &str, secret: bool) -> Result<Vec<EnvLine>, String> {
    let mut vars = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((name, value)) => vars.push((name.trim().to_owned(), Some(value.to_owned()), secret)),
            None if secret => vars.push((line.trim().to_owned(), None, true)),
            None => return Err(format!("Line {}: write NAME=value.", number + 1)),
        }
    }
    Ok(vars)
}

/// The three boxes of an app's environment as text: plain variables, build-time
/// variables, and secrets (names only: their values are never shown).
pub fn boxes(env: &[crate::model::EnvVarView]) -> [String; 3] {
    let lines =
        |keep: &dyn Fn(&crate::model::EnvVarView) -> bool| {
            env.iter()
                .filter(|v| keep(v))
                .map(|v| {
                    if v.secret {
                        v.name.clone()
                    } else {
                        format!("{}={}", v.name, v.value.clone().unwrap_or_default())
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
    [lines(&|v| !v.secret && !v.build_time), lines(&|v| !v.secret && v.build_time), lines(&|v| v.secret)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines() {
        let vars = parse("A=1\n\n# note\nB = x=y \n", false).unwrap();
        assert_eq!(vars, vec![("A".into(), Some("1".into()), false), ("B".into(), Some(" x=y ".into()), false)]);
        assert_eq!(parse("A=1\nnonsense", false).unwrap_err(), "Line 2: write NAME=value.");
    }

    #[test]
    fn bare_secret_names_keep_their_value() {
        let vars = parse("TOKEN\nKEY=new", true).unwrap();
        assert_eq!(vars, vec![("TOKEN".into(), None, true), ("KEY".into(), Some("new".into()), true)]);
    }
}
