//! TypeScript: types are blanked out on the host by swc's type stripper (as Node does), so every line and column stays where it was.

use std::sync::{Arc, Mutex};

use swc_common::errors::{DiagnosticBuilder, Emitter, Handler};
use swc_common::sync::Lrc;
use swc_common::{GLOBALS, Globals, SourceMap, Span};

/// TypeScript that could not be turned into JavaScript, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
#[non_exhaustive]
pub struct TypeScriptError {
    /// The file's name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, and for syntax that needs more than stripping, what to write instead.
    pub message: String,
}

/// A diagnostic's message and where it points.
type Diagnostic = (String, Option<Span>);

/// Collects the stripper's diagnostics.
struct Diagnostics(Arc<Mutex<Vec<Diagnostic>>>);

impl Emitter for Diagnostics {
    fn emit(&mut self, diagnostic: &mut DiagnosticBuilder<'_>) {
        let entry = (diagnostic.message(), diagnostic.span.primary_span());
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
    }
}

/// Returns `source` with its type annotations replaced by blanks. Syntax that
/// needs code generation (enums, namespaces, parameter properties) is refused
/// with a hint, because rewriting it would move lines.
pub fn strip_types(file: &str, source: &str) -> Result<String, TypeScriptError> {
    let source_map: Lrc<SourceMap> = Default::default();
    let collected = Arc::new(Mutex::new(Vec::new()));
    let handler = Handler::with_emitter(true, false, Box::new(Diagnostics(collected.clone())));
    let options: swc_ts_fast_strip::Options =
        serde_json::from_value(serde_json::json!({ "module": true, "filename": file, "mode": "strip-only" }))
            .expect("the stripper's options are well-formed");
    let result =
        GLOBALS.set(&Globals::new(), || swc_ts_fast_strip::operate(&source_map, &handler, source.to_owned(), options));
    let error = match result {
        Ok(output) => return Ok(output.code),
        Err(error) => error,
    };
    let first = collected.lock().unwrap_or_else(|p| p.into_inner()).first().cloned();
    let (message, span) = first.unwrap_or((error.message, None));
    let (line, column) = span.map_or((1, 1), |span| {
        let position = source_map.lookup_char_pos(span.lo);
        (position.line, position.col_display + 1)
    });
    let message = if message.contains("strip-only") || message.contains("not supported") {
        format!(
            "{message} (Sluice only strips types and never rewrites code, so lines stay put: write this part \
             as plain JavaScript, e.g. a frozen object instead of an enum)"
        )
    } else {
        message
    };
    Err(TypeScriptError { file: file.to_owned(), line, column, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_blanked_out_and_lines_stay_put() {
        let source = "interface Issue { title: string }\nconst count: number = 3;\nfunction f(x: Issue): string {\n  return x.title;\n}\n";
        let stripped = strip_types("a.ts", source).unwrap();
        assert_eq!(stripped.lines().count(), source.lines().count());
        assert!(stripped.contains("const count         = 3;"), "{stripped}");
        assert!(!stripped.contains("interface"), "{stripped}");
    }

    #[test]
    fn a_syntax_error_says_where() {
        let error = strip_types("b.ts", "const ok = 1;\nconst broken: = ;\n").unwrap_err();
        assert_eq!((error.file.as_str(), error.line), ("b.ts", 2));
        assert!(error.column > 1, "{error}");
    }

    #[test]
    fn syntax_that_needs_rewriting_is_refused_with_a_hint() {
        let error = strip_types("c.ts", "enum Color { Red, Green }\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.message.contains("plain JavaScript"), "{error}");
    }
}
