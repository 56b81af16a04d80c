//! A bound on how deeply TypeScript nests, found in one pass without recursion before swc (which recurses) sees it.
//!
//! swc's parser, its type stripper and the drop of its syntax tree all recurse
//! once per level of the tree, so a program nested deeply enough overflows any
//! stack and aborts the process. This scanner reads the source as tokens
//! (strings, comments, template literals and regular expressions skipped as
//! JavaScript defines them) and counts *units* of nesting that bound the depth
//! of the tree swc would build:
//!
//! - each open bracket (`(`, `[`, `{`, `${` of a template, and `<`, which may
//!   open type arguments) costs two units until it closes: one for the node it
//!   makes and one for the level inside;
//! - within a level, every operator or keyword that can make a node with a
//!   child costs one unit (`a + b + c` nests as `(a + b) + c`; so do `a.b.c`,
//!   `f()()`, `!!x`, `a ? b : c ? d : e`; an arrow `=>` costs two), until a sibling
//!   starts: after `,` or `;`, or where a new statement must begin (a value
//!   followed by a word or literal);
//! - statements nested without braces (`if (a) if (b) …`, `else if` chains,
//!   `do do …`) cost one unit each, and are not reset by `;`, since `else` or
//!   `while` may continue them.
//!
//! This over-counts (a union type `A | B | C` is flat in swc's tree), never
//! under-counts: a `/` is read as a regular expression or a division from the
//! token before it, and where that cannot tell (a line starting with `/` after
//! a value, or a `/` after `}`, `of` or a closing `>`) and the two readings
//! would differ in anything but operators, the source is refused and told to
//! remove the ambiguity.

/// Why the source is refused: where (a byte offset) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub offset: usize,
    pub message: String,
}

/// What a bracket level is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The whole file.
    File,
    Paren,
    Bracket,
    Brace,
    /// `${ … }` inside a template literal.
    Substitution,
    /// `<`: type arguments, or a less-than that never closes (popped at the
    /// next `;`, statement boundary or enclosing close).
    Angle,
}

/// One bracket level and what is counted inside it.
#[derive(Debug, Clone, Copy)]
struct Level {
    kind: Kind,
    /// A `(…)` after `if`, `for`, `while`, `with`, `switch` or `catch`, whose close starts a statement.
    header: bool,
    /// Units of the enclosing levels, and of this level's bracket.
    base: usize,
    /// Statements nested without braces in this level.
    statements: usize,
    /// Operators and keywords since the last sibling started in this level.
    expression: usize,
    /// A `;` ended a statement here: the next token resets `statements` unless it continues one.
    after_semicolon: bool,
}

impl Level {
    fn new(kind: Kind, header: bool, base: usize) -> Level {
        Level { kind, header, base, statements: 0, expression: 0, after_semicolon: false }
    }

    fn units(&self) -> usize {
        self.base + self.statements + self.expression
    }
}

/// What the previous token leaves the next one to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// An operand is expected: at the start, after an operator, an open bracket, `,`, `;` or a keyword.
    Operand,
    /// A value ended (a name, a literal, a closing `)` or `]`, a postfix operator).
    Value,
    /// A `}` ended: a block (a statement follows) or an object or function (an operator may follow).
    Brace,
    /// A `>` closed an angle level: type arguments (an operator may follow) or a greater-than (an operand follows).
    Angle,
    /// The word `of`: the keyword of `for … of` (an operand follows) or a name (an operator may).
    Of,
    /// A `/` whose reading was ambiguous ended: a following `/` is ambiguous too.
    Ambiguous,
    /// The `)` of a statement's header: a statement follows.
    Header,
    /// A `.`, `?.` or `#`: a property name follows.
    Member,
}

/// Words after which an operand is expected and that may make a node with a child.
const KEYWORDS: &[&str] = &[
    "abstract",
    "accessor",
    "as",
    "assert",
    "asserts",
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "declare",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "finally",
    "for",
    "from",
    "function",
    "get",
    "global",
    "if",
    "implements",
    "import",
    "in",
    "infer",
    "instanceof",
    "interface",
    "is",
    "keyof",
    "let",
    "module",
    "namespace",
    "new",
    "of",
    "out",
    "override",
    "package",
    "private",
    "protected",
    "public",
    "readonly",
    "return",
    "satisfies",
    "set",
    "static",
    "switch",
    "throw",
    "try",
    "type",
    "typeof",
    "unique",
    "using",
    "var",
    "void",
    "while",
    "with",
    "yield",
];
/// Words that join two operands, so never start a statement.
const BINARY_WORDS: &[&str] = &["as", "extends", "implements", "in", "instanceof", "is", "of", "satisfies"];
/// Words that continue the statement a `;` or `}` seemed to end.
const CONTINUATIONS: &[&str] = &["catch", "else", "finally", "while"];
/// Words that nest the following statement without braces.
const STATEMENT_WORDS: &[&str] = &["do", "else", "for", "if", "while", "with"];
/// Words whose `(…)` is a statement's header.
const HEADER_WORDS: &[&str] = &["catch", "for", "if", "switch", "while", "with"];
/// Punctuators, longest first.
const PUNCTUATORS: &[&str] = &[
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=", "<=", ">=", "&&",
    "||", "??", "?.", "++", "--", "+=", "-=", "*=", "%=", "&=", "|=", "^=", "**", "<<", ">>", "+", "-", "*", "%", "&",
    "|", "^", "!", "~", "?", ":", "=", "<", ">", ".", "@", "#",
];

/// A token, as the counting needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    /// A string, number or regular expression.
    Literal,
    /// A template without substitutions (after a value, a tagged template).
    Template,
    /// The `` `…${ `` that starts a template with substitutions.
    TemplateStart,
    /// The `}…${` between two substitutions.
    TemplateContinue,
    /// The `` }…` `` that ends a template.
    TemplateEnd,
    Open(Kind),
    Close(Kind),
    Comma,
    Semicolon,
    Punctuator(&'a str),
    /// A regular expression whose `/` could also be a division, with the operators the other reading has.
    AmbiguousSlash(usize),
}

/// Checks that `source` nests at most `limit` units deep (see the module docs).
pub(super) fn check(source: &str, limit: usize) -> Result<(), Refusal> {
    let mut scanner = Scanner { source, at: 0, line_break: false };
    let mut counter = Counter {
        levels: vec![Level::new(Kind::File, false, 0)],
        previous: Previous::Operand,
        last_word: "",
        word_before: "",
        limit,
    };
    if source.starts_with("#!") {
        scanner.skip_line();
    }
    loop {
        let in_template = counter.levels.iter().rev().find(|level| level.kind != Kind::Angle).map(|level| level.kind)
            == Some(Kind::Substitution);
        let Some((start, token)) = scanner.next(counter.previous, in_template)? else { return Ok(()) };
        counter.count(token, scanner.line_break).map_err(|message| Refusal { offset: start, message })?;
        scanner.line_break = false;
    }
}

struct Scanner<'a> {
    source: &'a str,
    at: usize,
    /// Whether a line break came before the token being read.
    line_break: bool,
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '\\' || (!c.is_ascii() && !c.is_whitespace())
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<char> {
        self.source[self.at..].chars().next()
    }

    fn rest(&self) -> &'a str {
        &self.source[self.at..]
    }

    fn skip_line(&mut self) {
        let end = self.rest().find(is_line_break).map_or(self.source.len(), |i| self.at + i);
        self.at = end;
    }

    /// The next token and where it starts, or `None` at the end. `in_template`:
    /// a `}` here ends a substitution and resumes the template.
    fn next(&mut self, previous: Previous, in_template: bool) -> Result<Option<(usize, Token<'a>)>, Refusal> {
        loop {
            let Some(c) = self.peek() else { return Ok(None) };
            if is_line_break(c) {
                self.line_break = true;
                self.at += c.len_utf8();
            } else if c.is_whitespace() {
                self.at += c.len_utf8();
            } else if self.rest().starts_with("//") {
                self.skip_line();
            } else if self.rest().starts_with("/*") {
                let end = self.rest()[2..].find("*/").map_or(self.source.len(), |i| self.at + 2 + i + 2);
                if self.source[self.at..end].contains(is_line_break) {
                    self.line_break = true;
                }
                self.at = end;
            } else {
                break;
            }
        }
        let start = self.at;
        let c = self.peek().expect("checked above");
        let token = match c {
            '\'' | '"' => {
                self.string(c);
                Token::Literal
            }
            '`' => {
                self.at += 1;
                self.template()
            }
            '}' if in_template => {
                self.at += 1;
                match self.template() {
                    Token::Template => Token::TemplateEnd,
                    _ => Token::TemplateContinue,
                }
            }
            '(' | '[' | '{' => {
                self.at += 1;
                Token::Open(match c {
                    '(' => Kind::Paren,
                    '[' => Kind::Bracket,
                    _ => Kind::Brace,
                })
            }
            ')' | ']' | '}' => {
                self.at += 1;
                Token::Close(match c {
                    ')' => Kind::Paren,
                    ']' => Kind::Bracket,
                    _ => Kind::Brace,
                })
            }
            ',' => {
                self.at += 1;
                Token::Comma
            }
            ';' => {
                self.at += 1;
                Token::Semicolon
            }
            '/' => self.slash(previous)?,
            '.' if self.rest()[1..].starts_with(|c: char| c.is_ascii_digit()) => {
                self.number();
                Token::Literal
            }
            c if c.is_ascii_digit() => {
                self.number();
                Token::Literal
            }
            c if is_word_char(c) => Token::Word(self.word()),
            _ => {
                let punctuator = PUNCTUATORS.iter().find(|p| self.rest().starts_with(**p)).copied().unwrap_or("?");
                self.at += punctuator.len().max(c.len_utf8());
                Token::Punctuator(punctuator)
            }
        };
        Ok(Some((start, token)))
    }

    fn word(&mut self) -> &'a str {
        let start = self.at;
        let length = self.rest().find(|c: char| !is_word_char(c)).unwrap_or(self.rest().len());
        self.at += length;
        &self.source[start..self.at]
    }

    /// Skips a number: `0x…`, `0b…`, `0o…`, or decimal digits with one
    /// optional `.` and one optional exponent (whose sign is part of it).
    fn number(&mut self) {
        let digits = |scanner: &mut Scanner<'_>| {
            let length =
                scanner.rest().find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(scanner.rest().len());
            scanner.at += length;
        };
        let radix = self.rest().get(..2).is_some_and(|p| matches!(p, "0x" | "0X" | "0b" | "0B" | "0o" | "0O"));
        if radix {
            digits(self);
            return;
        }
        let integer = self.rest().find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(self.rest().len());
        self.at += integer;
        if self.rest().starts_with('.') {
            self.at += 1;
            let fraction = self.rest().find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(self.rest().len());
            self.at += fraction;
        }
        if self.rest().starts_with(['e', 'E']) {
            self.at += 1;
            if self.rest().starts_with(['+', '-']) {
                self.at += 1;
            }
        }
        // The rest of the exponent, a `n` suffix, or (an error swc reports) letters.
        digits(self);
    }

    /// Skips a string literal opened by `quote` (ends at the quote, or unterminated at a line break).
    fn string(&mut self, quote: char) {
        self.at += 1;
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.at += i + 1;
                return;
            }
            if c == '\\' {
                // An escaped character, or a line continuation (CR LF counted as one).
                if let Some((_, '\r')) = chars.next()
                    && self.rest()[i + 2..].starts_with('\n')
                {
                    chars.next();
                }
            } else if c == '\n' || c == '\r' {
                self.at += i;
                return;
            }
        }
        self.at = self.source.len();
    }

    /// Skips template text after a `` ` `` or a substitution's `}`: text up to
    /// the closing `` ` `` is a [`Token::Template`], text up to a `${` a
    /// [`Token::TemplateStart`].
    fn template(&mut self) -> Token<'a> {
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '`' => {
                    self.at += i + 1;
                    return Token::Template;
                }
                '\\' => {
                    chars.next();
                }
                '$' if self.rest()[i + 1..].starts_with('{') => {
                    self.at += i + 2;
                    return Token::TemplateStart;
                }
                _ => {}
            }
        }
        self.at = self.source.len();
        Token::Template
    }

    /// The end of a regular expression starting at the `/` here (its flags
    /// included), if one can be read before the line ends.
    fn regex_end(&self) -> Option<usize> {
        let mut in_class = false;
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                c if is_line_break(c) => return None,
                // The guard consumes the escaped character.
                '\\' if chars.next().is_none_or(|(_, c)| is_line_break(c)) => return None,
                '\\' => {}
                '[' => in_class = true,
                ']' => in_class = false,
                '/' if !in_class => {
                    let flags =
                        self.rest()[i + 1..].find(|c: char| !is_word_char(c)).unwrap_or(self.rest().len() - i - 1);
                    return Some(self.at + i + 1 + flags);
                }
                _ => {}
            }
        }
        None
    }

    /// A `/` that is not a comment: a regular expression or a division, by the token before it.
    fn slash(&mut self, previous: Previous) -> Result<Token<'a>, Refusal> {
        let start = self.at;
        let regex = match previous {
            Previous::Operand | Previous::Header => true,
            Previous::Member => false,
            Previous::Value if !self.line_break => false,
            Previous::Value | Previous::Brace | Previous::Angle | Previous::Of | Previous::Ambiguous => {
                // Both readings are possible. They agree on every bracket, string
                // and comment when the regular expression holds none of them.
                let Some(end) = self.regex_end() else {
                    self.at += if self.rest().starts_with("/=") { 2 } else { 1 };
                    return Ok(Token::Punctuator("/"));
                };
                let text = &self.source[start..end];
                if text[1..].contains(|c: char| "'\"`()[]{}<>\\".contains(c)) {
                    return Err(Refusal {
                        offset: start,
                        message: "this `/` could start a regular expression or be a division; put a `;` before \
                                  a regular expression, or keep a division on the line of its left operand"
                            .to_owned(),
                    });
                }
                let operators = text[1..].chars().filter(|c| c.is_ascii_punctuation()).count();
                self.at = end;
                return Ok(Token::AmbiguousSlash(operators));
            }
        };
        if regex && let Some(end) = self.regex_end() {
            self.at = end;
            return Ok(Token::Literal);
        }
        self.at += if self.rest().starts_with("/=") { 2 } else { 1 };
        Ok(Token::Punctuator("/"))
    }
}

/// The counting of units over tokens (see the module docs).
struct Counter<'a> {
    /// The open levels; the first is the file, never closed.
    levels: Vec<Level>,
    previous: Previous,
    /// The last word, and the word before it (for `for await (`).
    last_word: &'a str,
    word_before: &'a str,
    limit: usize,
}

impl<'a> Counter<'a> {
    fn top(&mut self) -> &mut Level {
        self.levels.last_mut().expect("the file level is never closed")
    }

    fn pop_angles(&mut self) {
        while self.levels.len() > 1 && self.top().kind == Kind::Angle {
            self.levels.pop();
        }
    }

    fn push(&mut self, kind: Kind, header: bool) {
        self.top().expression += 1;
        let base = self.top().units() + 1;
        self.levels.push(Level::new(kind, header, base));
    }

    /// Closes the innermost level of `kind` if it is on top (angle levels above it
    /// are closed first); a stray closer is ignored. Whether it was a header.
    fn close(&mut self, kind: Kind) -> bool {
        self.pop_angles();
        if self.levels.len() > 1 && self.top().kind == kind {
            return self.levels.pop().is_some_and(|level| level.header);
        }
        false
    }

    fn count(&mut self, token: Token<'a>, line_break: bool) -> Result<(), String> {
        let ended_value =
            matches!(self.previous, Previous::Value | Previous::Brace | Previous::Angle | Previous::Ambiguous);
        let continuation = matches!(token, Token::Word(word) if CONTINUATIONS.contains(&word));
        let starts_statement = match token {
            Token::Word(word) => !BINARY_WORDS.contains(&word) && !CONTINUATIONS.contains(&word),
            Token::Literal => true,
            _ => false,
        };
        let closes = matches!(token, Token::Close(_) | Token::TemplateContinue | Token::TemplateEnd);
        // After a `>` (maybe a greater-than) or an ambiguous `/` (maybe a
        // division), a word may be the right operand: no new statement there.
        if matches!(self.previous, Previous::Value | Previous::Brace) && starts_statement {
            // A value followed by a word or literal: a new statement begins.
            self.pop_angles();
            let top = self.top();
            (top.statements, top.expression, top.after_semicolon) = (0, 0, false);
        } else if self.top().after_semicolon && !closes {
            let top = self.top();
            if !continuation {
                top.statements = 0;
            }
            top.after_semicolon = false;
        }
        let word = match token {
            Token::Word(word) => Some(word),
            _ => None,
        };
        self.previous = match token {
            Token::Word(_) if self.previous == Previous::Member => Previous::Value,
            Token::Word("case" | "default") => {
                let top = self.top();
                (top.statements, top.expression) = (0, 1);
                Previous::Operand
            }
            Token::Word(word) if STATEMENT_WORDS.contains(&word) => {
                self.top().statements += 1;
                Previous::Operand
            }
            Token::Word("of") => {
                self.top().expression += 1;
                Previous::Of
            }
            Token::Word(word) if KEYWORDS.contains(&word) => {
                self.top().expression += 1;
                Previous::Operand
            }
            Token::Word(_) => Previous::Value,
            Token::Literal => Previous::Value,
            Token::Template => {
                if ended_value {
                    // A tagged template.
                    self.top().expression += 1;
                }
                Previous::Value
            }
            Token::AmbiguousSlash(operators) => {
                self.top().expression += operators + 1;
                Previous::Ambiguous
            }
            Token::TemplateStart => {
                self.push(Kind::Substitution, false);
                Previous::Operand
            }
            Token::TemplateContinue => {
                self.pop_angles();
                let top = self.top();
                (top.statements, top.expression) = (0, 0);
                Previous::Operand
            }
            Token::TemplateEnd => {
                self.close(Kind::Substitution);
                Previous::Value
            }
            Token::Open(kind) => {
                let header = kind == Kind::Paren
                    && (HEADER_WORDS.contains(&self.last_word)
                        || self.last_word == "await" && self.word_before == "for")
                    && self.previous == Previous::Operand;
                self.push(kind, header);
                Previous::Operand
            }
            Token::Close(kind) => {
                if self.close(kind) {
                    Previous::Header
                } else if kind == Kind::Brace {
                    Previous::Brace
                } else {
                    Previous::Value
                }
            }
            Token::Comma => {
                self.top().expression = 0;
                Previous::Operand
            }
            Token::Semicolon => {
                self.pop_angles();
                let top = self.top();
                top.expression = 0;
                top.after_semicolon = true;
                Previous::Operand
            }
            Token::Punctuator("<") => {
                self.push(Kind::Angle, false);
                Previous::Operand
            }
            Token::Punctuator(punctuator) if punctuator.starts_with('>') && self.top().kind == Kind::Angle => {
                let mut rest = punctuator;
                while let Some(after) = rest.strip_prefix('>')
                    && self.top().kind == Kind::Angle
                {
                    self.levels.pop();
                    rest = after;
                }
                if rest.is_empty() {
                    Previous::Angle
                } else {
                    self.top().expression += 1;
                    Previous::Operand
                }
            }
            Token::Punctuator("!" | "++" | "--") if ended_value && !line_break => {
                // Postfix: a non-null assertion, an increment, a decrement.
                self.top().expression += 1;
                Previous::Value
            }
            Token::Punctuator("=>") => {
                // An arrow function: its parameters and its body (swc's costliest level).
                self.top().expression += 2;
                Previous::Operand
            }
            Token::Punctuator("." | "?." | "#") => {
                self.top().expression += 1;
                Previous::Member
            }
            Token::Punctuator(_) => {
                self.top().expression += 1;
                Previous::Operand
            }
        };
        self.word_before = std::mem::replace(&mut self.last_word, word.unwrap_or(""));
        let units = self.top().units();
        if units > self.limit {
            return Err(format!(
                "the program nests too deeply here (over {} levels of brackets, operators and statements); \
                 split it up, e.g. with intermediate variables or functions",
                self.limit
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(source: &str) -> usize {
        (0..200).find(|limit| check(source, *limit).is_ok()).expect("under 200")
    }

    #[test]
    fn brackets_cost_two_units_each() {
        assert_eq!(depth("f(x)"), 2);
        assert_eq!(depth("let x = ((((1))));"), 10);
        assert_eq!(depth("let x: Array<Array<number>> = [];"), 6);
        assert_eq!(depth("let x = `a${`b${c}`}`;"), 6);
    }

    #[test]
    fn operators_chain_until_a_sibling_starts() {
        assert_eq!(depth("x = 1 + 2 + 3 + 4;"), 4);
        assert_eq!(depth("x = 1 + 2, y = 3;"), 2);
        assert_eq!(depth("a.b.c.d;\nx = 1;"), 3);
        assert_eq!(depth("a = 1\nb = 2\nc = 3\n"), 1);
        assert_eq!(depth("foo()\nbar()\nbaz()\n"), 2);
    }

    #[test]
    fn statements_nested_without_braces_count_across_semicolons() {
        assert_eq!(depth("if (a) x; else if (b) y; else if (c) z;"), 7);
        assert_eq!(depth("if (a) x;\nif (b) y;\nif (c) z;\n"), 3);
        assert_eq!(depth("do do x; while (a); while (b);"), 6);
    }

    #[test]
    fn strings_comments_templates_and_regular_expressions_hold_no_brackets() {
        assert_eq!(depth("let s = '((((' + \"[[[[\" // ((((\n/* {{{{ */;"), 3);
        assert_eq!(depth("let r = /[(((]\\//.test(s);"), 5);
        assert_eq!(depth("let t = `((((${'))))'}((((`;"), 4);
        assert_eq!(depth("if (x) /((((/.test(y);"), 5);
    }

    #[test]
    fn a_slash_that_may_be_either_is_refused_when_the_readings_differ() {
        let refusal = check("let x = {} / ((((((1)))))) / 2;", 100).unwrap_err();
        assert_eq!(refusal.offset, 11);
        assert!(refusal.message.contains("regular expression or be a division"), "{}", refusal.message);
        assert!(check("x = y\n/(a)/.test(z)", 100).is_err());
        assert!(check("x = a / (b / c)\ny = a\n  / 2", 100).is_ok());
    }

    #[test]
    fn too_deep_says_where() {
        let source = format!("let ok = 1;\nlet x = {}1{};", "(".repeat(40), ")".repeat(40));
        let refusal = check(&source, 50).unwrap_err();
        assert_eq!(refusal.offset, "let ok = 1;\nlet x = ".len() + 24);
        assert!(refusal.message.contains("over 50 levels"), "{}", refusal.message);
    }
}
