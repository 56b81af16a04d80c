//! Scenario files: a user's own scenario, run on the same servers and data as
//! the built-ins. A JSON file gives the task, the direct-mode calls and a
//! JavaScript reducer over their results, the code-mode discovery calls and
//! program, and the expected answer; paths in it are relative to the file.
//! See `scenarios/example.json` and the README.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::scenarios::{DirectPlan, Discovery, Scenario};

/// The largest scenario file or program read.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// Why a scenario file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioFileError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is larger than the benchmark reads.
    #[error("{0} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge(PathBuf),
    /// The JSON does not describe a scenario.
    #[error("{path} is not a scenario file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    title: Option<String>,
    task: String,
    direct: DirectPart,
    code: CodePart,
    expected: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectPart {
    calls: Vec<Call>,
    reduce: Option<String>,
    reduce_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    server: String,
    tool: String,
    #[serde(default = "empty_object")]
    arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodePart {
    #[serde(default)]
    discovery: Vec<Step>,
    program: Option<String>,
    program_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    tool: String,
    arguments: Value,
    must_mention: String,
}

fn read(path: &Path) -> Result<String, ScenarioFileError> {
    let failed = |source| ScenarioFileError::Read { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(failed)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ScenarioFileError::TooLarge(path.to_owned()));
    }
    std::fs::read_to_string(path).map_err(failed)
}

/// Reads the scenario in `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioFileError> {
    let invalid = |message: String| ScenarioFileError::Invalid { path: path.to_owned(), message };
    let file: File = serde_json::from_str(&read(path)?).map_err(|error| invalid(error.to_string()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    // JavaScript inline (`program`, `reduce`) or in a file (`program_file`, `reduce_file`).
    let code = |text: Option<String>, file: Option<PathBuf>, what: &str| -> Result<String, ScenarioFileError> {
        match (text, file) {
            (Some(text), None) => Ok(text),
            (None, Some(file)) => read(&dir.join(file)),
            _ => Err(invalid(format!("give exactly one of `{what}` and `{what}_file`"))),
        }
    };
    if file.name.is_empty() || !file.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid(format!("the name {:?} must be letters, digits, '-' and '_'", file.name)));
    }
    let mut calls = Vec::new();
    for call in file.direct.calls {
        if !call.arguments.is_object() {
            return Err(invalid(format!("the arguments of {}.{} must be an object", call.server, call.tool)));
        }
        calls.push((call.server, call.tool, call.arguments));
    }
    let reduce = code(file.direct.reduce, file.direct.reduce_file, "reduce")?;
    let program = code(file.code.program, file.code.program_file, "program")?;
    let discovery = file
        .code
        .discovery
        .into_iter()
        .map(|step| Discovery { tool: step.tool, arguments: step.arguments, must_mention: step.must_mention })
        .collect();
    Ok(Scenario {
        title: file.title.unwrap_or_else(|| file.name.clone()),
        name: file.name,
        task: file.task,
        plan: DirectPlan::Calls { calls, reduce },
        discovery,
        program,
        expected: Some(file.expected),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_shipped_example_loads_with_its_program_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/example.json");
        let scenario = load(&path).unwrap();
        assert_eq!(scenario.name, "open-bug-count");
        assert!(scenario.program.contains("tools.github"), "{}", scenario.program);
        assert!(matches!(&scenario.plan, DirectPlan::Calls { calls, .. } if !calls.is_empty()));
    }

    #[test]
    fn a_file_with_an_unknown_field_or_both_program_forms_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let base = r#""name": "x", "task": "t", "expected": 1, "direct": {"calls": [], "reduce": "1"}"#;
        let typo = write(dir.path(), "typo.json", &format!(r#"{{{base}, "code": {{"program": "1"}}, "expcted": 2}}"#));
        assert!(load(&typo).unwrap_err().to_string().contains("expcted"));
        let both = write(
            dir.path(),
            "both.json",
            &format!(r#"{{{base}, "code": {{"program": "1", "program_file": "p.js"}}}}"#),
        );
        assert!(load(&both).unwrap_err().to_string().contains("exactly one of `program`"));
        let missing =
            write(dir.path(), "missing.json", &format!(r#"{{{base}, "code": {{"program_file": "nope.js"}}}}"#));
        assert!(load(&missing).unwrap_err().to_string().contains("nope.js"));
        let bad_name = write(
            dir.path(),
            "name.json",
            &format!(r#"{{{base}, "code": {{"program": "1"}}}}"#).replace("\"x\"", "\"a b\""),
        );
        assert!(load(&bad_name).unwrap_err().to_string().contains("letters, digits"));
    }
}
