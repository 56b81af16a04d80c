//! TypeScript: types are blanked out on the host by swc's type stripper (as Node does), so every line and column stays where it was.
//!
//! swc recurses once per level of a program's syntax tree, and a stack
//! overflow aborts the whole process, so a program is first measured by
//! [`nesting`], a scanner that neither recurses nor parses: past
//! [`MAX_NESTING`] units it is refused with where and why. What passes is
//! stripped on a thread of its own whose stack ([`STRIP_STACK_BYTES`]) holds
//! swc's deepest recursion at that limit many times over, whatever thread
//! the caller is on.

mod nesting;

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

/// How deeply a program may nest, in [`nesting`]'s units (about two per
/// bracket, one per operator or keyword in a chain).
pub const MAX_NESTING: usize = 1000;
/// The stack swc strips on. At [`MAX_NESTING`] the costliest shapes found
/// (chains of labels, of arrow functions, of parentheses) need about 11 MiB in
/// a debug build, and much less in a release build.
const STRIP_STACK_BYTES: usize = 64 << 20;

/// Returns `source` with its type annotations replaced by blanks. Syntax that
/// needs code generation (enums, namespaces, parameter properties) is refused
/// with a hint, because rewriting it would move lines; so is a program nested
/// past [`MAX_NESTING`].
pub fn strip_types(file: &str, source: &str) -> Result<String, TypeScriptError> {
    if let Err(refusal) = nesting::check(source, MAX_NESTING) {
        let (line, column) = line_and_column(source, refusal.offset);
        return Err(TypeScriptError { file: file.to_owned(), line, column, message: refusal.message });
    }
    let (owned_file, owned_source) = (file.to_owned(), source.to_owned());
    let stripper = std::thread::Builder::new()
        .name("sluice-typescript".to_owned())
        .stack_size(STRIP_STACK_BYTES)
        .spawn(move || strip_here(&owned_file, owned_source));
    let failure = |message: String| TypeScriptError { file: file.to_owned(), line: 1, column: 1, message };
    match stripper {
        Ok(thread) => {
            thread.join().unwrap_or_else(|_| Err(failure("the TypeScript stripper failed on this program".to_owned())))
        }
        Err(error) => Err(failure(format!("cannot start a thread to strip types: {error}"))),
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `source`.
fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// [`strip_types`] on the calling thread, for a source already measured.
fn strip_here(file: &str, source: String) -> Result<String, TypeScriptError> {
    let source_map: Lrc<SourceMap> = Default::default();
    let collected = Arc::new(Mutex::new(Vec::new()));
    let handler = Handler::with_emitter(true, false, Box::new(Diagnostics(collected.clone())));
    let options: swc_ts_fast_strip::Options =
        serde_json::from_value(serde_json::json!({ "module": true, "filename": file, "mode": "strip-only" }))
            .expect("the stripper's options are well-formed");
    let result = GLOBALS.set(&Globals::new(), || swc_ts_fast_strip::operate(&source_map, &handler, source, options));
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

/// What of `javascript` is code: comments and whitespace outside string
/// literals removed, double-quoted literals kept as written. For tests that
/// check that stripped, generated TypeScript holds exactly the code intended.
#[cfg(test)]
pub(crate) fn code_outside_comments(javascript: &str) -> String {
    let mut code = String::new();
    let mut chars = javascript.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                code.push(c);
                while let Some(c) = chars.next() {
                    code.push(c);
                    match c {
                        '\\' => code.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                while chars.next_if(|c| !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')).is_some() {}
            }
            c if c.is_whitespace() => {}
            c => code.push(c),
        }
    }
    code
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

    /// The costliest shapes found for swc's recursion, `n` levels deep.
    fn deep(shape: &str, n: usize) -> String {
        let r = |text: &str| text.repeat(n);
        match shape {
            "parentheses" => format!("let x = {}1{};", r("("), r(")")),
            "labels" => format!("{}x;", r("a:")),
            "arrows" => format!("let f = {}1;", r("x=>")),
            "arrows in parentheses" => format!("let f = {}1{};", r("x=>("), r(")")),
            "tuple types" => format!("let x: {}{};", r("["), r("]")),
            "type arguments" => format!("let x: {}number{};", r("Array<"), r(">")),
            "object types" => format!("let x: {}number{};", r("{a:"), r("}")),
            "classes" => format!("{}{}", r("class A { m() {"), r("}}")),
            "do loops" => format!("{}x;{}", r("do "), r("while(0)")),
            "templates" => format!("let x = {}1{};", r("`${"), r("}`")),
            "additions" => format!("let x = {}1;", r("1+")),
            "else if" => format!("if(a)x;{}", r("else if(a)x;")),
            _ => unreachable!("no shape {shape}"),
        }
    }

    #[test]
    fn the_deepest_programs_allowed_strip_without_exhausting_the_stack() {
        for shape in [
            "parentheses",
            "labels",
            "arrows",
            "arrows in parentheses",
            "tuple types",
            "type arguments",
            "object types",
            "classes",
            "do loops",
            "templates",
            "additions",
            "else if",
        ] {
            let passes = |n: usize| nesting::check(&deep(shape, n), MAX_NESTING).is_ok();
            let deepest = (1..=MAX_NESTING).rev().find(|n| passes(*n)).expect("one level passes");
            assert!(deepest >= MAX_NESTING / 10, "{shape}: only {deepest} levels pass");
            // Ok, or a syntax error swc reports: either way, the process is still here.
            let stripped = strip_types("deep.ts", &deep(shape, deepest));
            assert!(stripped.as_ref().err().is_none_or(|e| !e.message.contains("nests too deeply")), "{shape}");
            let refused = strip_types("deep.ts", &deep(shape, deepest + 1)).unwrap_err();
            assert!(refused.message.contains("nests too deeply"), "{shape}: {refused}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_saying_where_instead_of_overflowing_the_stack() {
        // 10 KB, as in issue 8: enough to abort the process before the limit.
        let source = format!("const ok = 1;\nlet x = {}1{};\n", "(".repeat(5000), ")".repeat(5000));
        let error = strip_types("deep.ts", &source).unwrap_err();
        assert_eq!((error.file.as_str(), error.line), ("deep.ts", 2));
        assert!(error.column > 100 && error.column < 1000, "{error}");
        assert!(error.message.contains(&format!("over {MAX_NESTING} levels")), "{error}");
    }

    #[test]
    fn syntax_that_needs_rewriting_is_refused_with_a_hint() {
        let error = strip_types("c.ts", "enum Color { Red, Green }\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.message.contains("plain JavaScript"), "{error}");
    }
}
