//! The fake GitHub's GraphQL endpoint (`POST /api/graphql`): a small parser for the
//! query language and an executor for the one family of queries the benchmark's
//! tools send, `repository(owner, name) { issues(...) { nodes {...} pageInfo {...}
//! totalCount } }` (github-mcp-server's `list_issues`), plus `repository.issue(number)`.
//!
//! Filters and order follow GitHub: `labels` matches issues with *any* of the labels,
//! `filterBy.since` keeps issues updated at or after the time, `first`/`last` are 1 to
//! 100, cursors are opaque (`cursor:v2:` and a MessagePack offset, base64). Anything
//! else gets GitHub's error shape and is recorded as unserved: fields, arguments and
//! operations the fake lacks, and queries it cannot parse or validate (a real query the
//! parser rejects is a gap too). Errors GitHub itself returns while executing a valid
//! query (`NOT_FOUND`, `EXCESSIVE_PAGINATION`, a bad cursor) count as served.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::data::{Comment, Issue, parse_timestamp, rfc3339};
use super::render::Store;
use super::server::{AppState, ServedAs, Unserved, json_response};

// ---------------------------------------------------------------------------------
// Syntax

/// A token of the query text, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Punct(char),
    Spread,
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
}

fn tokenize(text: &str) -> Result<Vec<(Token, Pos)>, GqlError> {
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, column: col };
        let advance = |n: usize, col: &mut usize, i: &mut usize| {
            *i += n;
            *col += n;
        };
        match c {
            '\n' => {
                i += 1;
                line += 1;
                col = 1;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => advance(1, &mut col, &mut i),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '.' if chars.get(i..i + 3) == Some(&['.', '.', '.']) => {
                out.push((Token::Spread, pos));
                advance(3, &mut col, &mut i);
            }
            '!' | '$' | '&' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}' => {
                out.push((Token::Punct(c), pos));
                advance(1, &mut col, &mut i);
            }
            '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None | Some('\n') => return Err(GqlError::parse("Unterminated string", pos)),
                        Some('"') => break,
                        Some('\\') => {
                            let escaped = match chars.get(j + 1) {
                                Some('n') => '\n',
                                Some('t') => '\t',
                                Some('r') => '\r',
                                Some('b') => '\u{8}',
                                Some('f') => '\u{c}',
                                Some('u') => {
                                    let hex: String = chars.get(j + 2..j + 6).unwrap_or_default().iter().collect();
                                    j += 4;
                                    u32::from_str_radix(&hex, 16)
                                        .ok()
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| GqlError::parse("Bad unicode escape", pos))?
                                }
                                Some(&other) => other,
                                None => return Err(GqlError::parse("Unterminated string", pos)),
                            };
                            s.push(escaped);
                            j += 2;
                        }
                        Some(&other) => {
                            s.push(other);
                            j += 1;
                        }
                    }
                }
                out.push((Token::Str(s), pos));
                advance(j + 1 - i, &mut col, &mut i);
            }
            c if c == '-' || c.is_ascii_digit() => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '.' | '+' | '-')) {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let token = match text.parse::<i64>() {
                    Ok(n) => Token::Int(n),
                    Err(_) => {
                        Token::Float(text.parse().map_err(|_| GqlError::parse(&format!("Bad number {text}"), pos))?)
                    }
                };
                out.push((token, pos));
                advance(j - i, &mut col, &mut i);
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j] == '_' || chars[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                out.push((Token::Name(chars[i..j].iter().collect()), pos));
                advance(j - i, &mut col, &mut i);
            }
            other => return Err(GqlError::parse(&format!("Unexpected character {other:?}"), pos)),
        }
    }
    Ok(out)
}

/// A place in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Pos {
    line: usize,
    column: usize,
}

/// A literal or variable in the query.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Var(String),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Enum(String),
    List(Vec<Literal>),
    Object(Vec<(String, Literal)>),
}

/// A field selection.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    alias: Option<String>,
    name: String,
    args: Vec<(String, Literal)>,
    selection: Vec<Field>,
    pos: Pos,
}

impl Field {
    fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A variable definition: `$name: Type = default`.
#[derive(Debug, Clone, PartialEq)]
struct VarDef {
    name: String,
    ty: String,
    default: Option<Literal>,
    pos: Pos,
}

/// The query's one operation.
#[derive(Debug, Clone, PartialEq)]
struct Operation {
    kind: String,
    vars: Vec<VarDef>,
    selection: Vec<Field>,
}

struct Parser {
    tokens: Vec<(Token, Pos)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn pos(&self) -> Pos {
        self.tokens.get(self.at).or(self.tokens.last()).map(|(_, p)| *p).unwrap_or_default()
    }

    fn next(&mut self) -> Result<Token, GqlError> {
        let token = self.tokens.get(self.at).map(|(t, _)| t.clone()).ok_or_else(|| self.error("end of query"))?;
        self.at += 1;
        Ok(token)
    }

    fn error(&self, found: &str) -> GqlError {
        let pos = self.pos();
        GqlError::parse(&format!("Parse error on {found} at [{}, {}]", pos.line, pos.column), pos)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Token::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), GqlError> {
        if self.eat(c) {
            Ok(())
        } else {
            let found = self.peek().map_or("end of query".to_string(), |t| format!("{t:?}"));
            Err(self.error(&found))
        }
    }

    fn name(&mut self) -> Result<String, GqlError> {
        match self.next()? {
            Token::Name(n) => Ok(n),
            other => {
                self.at -= 1;
                Err(self.error(&format!("{other:?}")))
            }
        }
    }

    fn document(&mut self) -> Result<Operation, GqlError> {
        let operation = match self.peek() {
            Some(Token::Punct('{')) => {
                Operation { kind: "query".into(), vars: Vec::new(), selection: self.selection_set()? }
            }
            Some(Token::Name(kind)) if matches!(kind.as_str(), "query" | "mutation" | "subscription") => {
                let kind = self.name()?;
                if matches!(self.peek(), Some(Token::Name(_))) {
                    self.name()?;
                }
                let mut vars = Vec::new();
                if self.eat('(') {
                    while !self.eat(')') {
                        let pos = self.pos();
                        self.expect('$')?;
                        let name = self.name()?;
                        self.expect(':')?;
                        let ty = self.type_ref()?;
                        let default = if self.eat('=') { Some(self.literal()?) } else { None };
                        vars.push(VarDef { name, ty, default, pos });
                    }
                }
                if self.peek() == Some(&Token::Punct('@')) {
                    return Err(GqlError::unserved("directives", self.pos()));
                }
                Operation { kind, vars, selection: self.selection_set()? }
            }
            Some(Token::Name(n)) if n == "fragment" => return Err(GqlError::unserved("fragments", self.pos())),
            _ => {
                let found = self.peek().map_or("end of query".to_string(), |t| format!("{t:?}"));
                return Err(self.error(&found));
            }
        };
        if let Some(token) = self.peek() {
            let found = format!("{token:?}");
            return Err(if found.contains("fragment") {
                GqlError::unserved("fragments", self.pos())
            } else {
                GqlError::unserved("documents with several operations", self.pos())
            });
        }
        Ok(operation)
    }

    fn type_ref(&mut self) -> Result<String, GqlError> {
        let mut ty = if self.eat('[') {
            let inner = self.type_ref()?;
            self.expect(']')?;
            format!("[{inner}]")
        } else {
            self.name()?
        };
        if self.eat('!') {
            ty.push('!');
        }
        Ok(ty)
    }

    fn selection_set(&mut self) -> Result<Vec<Field>, GqlError> {
        self.expect('{')?;
        let mut fields = Vec::new();
        while !self.eat('}') {
            if self.peek() == Some(&Token::Spread) {
                return Err(GqlError::unserved("fragments", self.pos()));
            }
            fields.push(self.field()?);
        }
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, GqlError> {
        let pos = self.pos();
        let first = self.name()?;
        let (alias, name) = if self.eat(':') { (Some(first), self.name()?) } else { (None, first) };
        let mut args = Vec::new();
        if self.eat('(') {
            while !self.eat(')') {
                let arg = self.name()?;
                self.expect(':')?;
                args.push((arg, self.literal()?));
            }
        }
        if self.peek() == Some(&Token::Punct('@')) {
            return Err(GqlError::unserved("directives", self.pos()));
        }
        let selection = if self.peek() == Some(&Token::Punct('{')) { self.selection_set()? } else { Vec::new() };
        Ok(Field { alias, name, args, selection, pos })
    }

    fn literal(&mut self) -> Result<Literal, GqlError> {
        Ok(match self.next()? {
            Token::Punct('$') => Literal::Var(self.name()?),
            Token::Int(n) => Literal::Int(n),
            Token::Float(f) => Literal::Float(f),
            Token::Str(s) => Literal::Str(s),
            Token::Name(n) => match n.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "null" => Literal::Null,
                _ => Literal::Enum(n),
            },
            Token::Punct('[') => {
                let mut items = Vec::new();
                while !self.eat(']') {
                    items.push(self.literal()?);
                }
                Literal::List(items)
            }
            Token::Punct('{') => {
                let mut fields = Vec::new();
                while !self.eat('}') {
                    let key = self.name()?;
                    self.expect(':')?;
                    fields.push((key, self.literal()?));
                }
                Literal::Object(fields)
            }
            other => {
                self.at -= 1;
                return Err(self.error(&format!("{other:?}")));
            }
        })
    }
}

fn parse(query: &str) -> Result<Operation, GqlError> {
    Parser { tokens: tokenize(query)?, at: 0 }.document()
}

// ---------------------------------------------------------------------------------
// Errors

/// One entry of a GraphQL `errors` array.
#[derive(Debug, Clone)]
struct GqlError {
    kind: Option<&'static str>,
    path: Vec<String>,
    pos: Pos,
    message: String,
    extensions: Option<Box<Value>>,
    /// Set when the query is valid on GitHub but the fake does not serve it.
    unserved: Option<String>,
}

impl GqlError {
    fn new(kind: Option<&'static str>, message: impl Into<String>, pos: Pos) -> GqlError {
        GqlError { kind, path: Vec::new(), pos, message: message.into(), extensions: None, unserved: None }
    }

    fn parse(message: &str, pos: Pos) -> GqlError {
        GqlError::new(None, message, pos)
    }

    /// Something GitHub's GraphQL API has and the fake does not.
    fn unserved(what: &str, pos: Pos) -> GqlError {
        let mut e = GqlError::new(Some("NOT_SERVED"), format!("This fake GitHub does not serve {what}."), pos);
        e.unserved = Some(what.to_string());
        e
    }

    fn with_extensions(mut self, extensions: Value) -> GqlError {
        self.extensions = Some(Box::new(extensions));
        self
    }

    fn at(mut self, path: &[String]) -> GqlError {
        self.path = path.to_vec();
        self
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(kind) = self.kind {
            map.insert("type".into(), kind.into());
        }
        if !self.path.is_empty() {
            map.insert("path".into(), self.path.clone().into());
        }
        if let Some(extensions) = &self.extensions {
            map.insert("extensions".into(), (**extensions).clone());
        }
        map.insert("locations".into(), json!([{"line": self.pos.line, "column": self.pos.column}]));
        map.insert("message".into(), self.message.clone().into());
        Value::Object(map)
    }
}

/// GitHub's "Field 'x' doesn't accept argument 'y'".
fn bad_argument(field: &Field, arg: &str, path: &[String]) -> GqlError {
    GqlError::new(None, format!("Field '{}' doesn't accept argument '{arg}'", field.name), field.pos)
        .at(path)
        .with_extensions(
            json!({"code": "argumentNotAccepted", "name": field.name, "typeName": "Field", "argumentName": arg}),
        )
}

/// A field the fake does not know on `type_name`: unserved (it may exist on GitHub).
fn unknown_field(field: &Field, type_name: &str, path: &[String]) -> GqlError {
    GqlError::unserved(&format!("field '{}' on type '{type_name}'", field.name), field.pos).at(path)
}

// ---------------------------------------------------------------------------------
// Execution

/// `POST /api/graphql`.
pub(crate) async fn handle(State(app): State<AppState>, body: Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            let body = json!({"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql", "status": "400"});
            let mut response = (axum::http::StatusCode::BAD_REQUEST, body.to_string()).into_response();
            response.extensions_mut().insert(Unserved("GraphQL body is not JSON".into()));
            return response;
        }
    };
    let query = request.get("query").and_then(Value::as_str).unwrap_or_default();
    let variables = request.get("variables").and_then(Value::as_object).cloned().unwrap_or_default();
    let (body, outcome) = execute(&app.store, query, &variables);
    let mut response = json_response(&body, None);
    match outcome {
        Outcome::Served(paths) => {
            let key = if paths.is_empty() {
                "POST /graphql".to_string()
            } else {
                format!("POST /graphql {}", paths.join(","))
            };
            response.extensions_mut().insert(ServedAs(key));
        }
        Outcome::Unserved(reason) => {
            response.extensions_mut().insert(Unserved(reason));
        }
    }
    response
}

/// What a query amounted to, for the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Answered; the selections served (`repository.issues`).
    Served(Vec<String>),
    /// Not answered for want of a feature.
    Unserved(String),
}

/// Runs `query` with `variables`: the response body and how it went.
fn execute(store: &Store, query: &str, variables: &Map<String, Value>) -> (Value, Outcome) {
    let mut ctx = Ctx { store, vars: Map::new(), served: Vec::new() };
    let result = parse(query).and_then(|op| ctx.run(&op, variables));
    match result {
        Ok((data, errors)) => {
            let mut body = Map::new();
            if let Some(e) = errors.iter().find(|e| e.unserved.is_some()) {
                let reason = e.unserved.clone().unwrap_or_default();
                return (
                    json!({"errors": errors.iter().map(GqlError::to_json).collect::<Vec<_>>()}),
                    Outcome::Unserved(reason),
                );
            }
            body.insert("data".into(), data);
            if !errors.is_empty() {
                body.insert("errors".into(), errors.iter().map(GqlError::to_json).collect());
            }
            (Value::Object(body), Outcome::Served(ctx.served))
        }
        Err(e) => {
            let outcome =
                Outcome::Unserved(e.unserved.clone().unwrap_or_else(|| format!("GraphQL error: {}", e.message)));
            (json!({"errors": [e.to_json()]}), outcome)
        }
    }
}

struct Ctx<'a> {
    store: &'a Store,
    vars: Map<String, Value>,
    served: Vec<String>,
}

/// A resolved value of an object field, or errors that null it.
type Resolved = Result<Value, Vec<GqlError>>;

impl Ctx<'_> {
    fn run(&mut self, op: &Operation, variables: &Map<String, Value>) -> Result<(Value, Vec<GqlError>), GqlError> {
        if op.kind != "query" {
            return Err(GqlError::unserved(&format!("{}s", op.kind), Pos { line: 1, column: 1 }));
        }
        for def in &op.vars {
            let given = variables.get(&def.name).filter(|v| !v.is_null()).cloned();
            let value = match (given, &def.default) {
                (Some(v), _) => v,
                (None, Some(default)) => self.eval(default)?,
                (None, None) => Value::Null,
            };
            if value.is_null() && def.ty.ends_with('!') {
                return Err(GqlError::new(
                    None,
                    format!("Variable ${} of type {} was provided invalid value", def.name, def.ty),
                    def.pos,
                )
                .with_extensions(
                    json!({"value": null, "problems": [{"path": [], "explanation": "Expected value to not be null"}]}),
                ));
            }
            self.vars.insert(def.name.clone(), value);
        }
        let mut data = Map::new();
        let mut errors = Vec::new();
        for field in &op.selection {
            let path = vec![field.key().to_string()];
            let value = match field.name.as_str() {
                "__typename" => Ok(json!("Query")),
                "repository" => self.repository(field, &path),
                _ => Err(vec![unknown_field(field, "Query", &path)]),
            };
            match value {
                Ok(v) => {
                    data.insert(field.key().to_string(), v);
                }
                Err(errs) => {
                    data.insert(field.key().to_string(), Value::Null);
                    errors.extend(errs);
                }
            }
        }
        Ok((Value::Object(data), errors))
    }

    /// A literal with its variables substituted, as JSON.
    fn eval(&self, literal: &Literal) -> Result<Value, GqlError> {
        Ok(match literal {
            Literal::Var(name) => match self.vars.get(name) {
                Some(v) => v.clone(),
                None => {
                    return Err(GqlError::new(
                        None,
                        format!("Variable ${name} is used by anonymous query but not declared"),
                        Pos::default(),
                    ));
                }
            },
            Literal::Int(n) => json!(n),
            Literal::Float(f) => json!(f),
            Literal::Str(s) | Literal::Enum(s) => json!(s),
            Literal::Bool(b) => json!(b),
            Literal::Null => Value::Null,
            Literal::List(items) => Value::Array(items.iter().map(|l| self.eval(l)).collect::<Result<_, _>>()?),
            Literal::Object(fields) => Value::Object(
                fields.iter().map(|(k, v)| Ok((k.clone(), self.eval(v)?))).collect::<Result<_, GqlError>>()?,
            ),
        })
    }

    /// The field's arguments as JSON, refusing any not in `allowed`.
    fn args(&self, field: &Field, allowed: &[&str], path: &[String]) -> Result<Map<String, Value>, Vec<GqlError>> {
        let mut out = Map::new();
        for (name, literal) in &field.args {
            if !allowed.contains(&name.as_str()) {
                return Err(vec![bad_argument(field, name, path)]);
            }
            out.insert(name.clone(), self.eval(literal).map_err(|e| vec![e.at(path)])?);
        }
        Ok(out)
    }

    fn repository(&mut self, field: &Field, path: &[String]) -> Resolved {
        let args = self.args(field, &["owner", "name", "followRenames"], path)?;
        let d = &self.store.data;
        let owner = args.get("owner").and_then(Value::as_str).unwrap_or_default();
        let name = args.get("name").and_then(Value::as_str).unwrap_or_default();
        if !(owner.eq_ignore_ascii_case(&d.owner) && name.eq_ignore_ascii_case(&d.repo)) {
            return Err(vec![
                GqlError::new(
                    Some("NOT_FOUND"),
                    format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
                    field.pos,
                )
                .at(path),
            ]);
        }
        let mut out = Map::new();
        let mut errors = Vec::new();
        for sub in &field.selection {
            let sub_path = [path, &[sub.key().to_string()]].concat();
            let value = match sub.name.as_str() {
                "__typename" => Ok(json!("Repository")),
                "name" => Ok(json!(d.repo)),
                "nameWithOwner" => Ok(json!(format!("{}/{}", d.owner, d.repo))),
                "url" => Ok(json!(self.store.repo_web())),
                "databaseId" => Ok(json!(d.repo_info.id)),
                "description" => Ok(json!(d.repo_info.description)),
                "issues" => {
                    let r = self.issues(sub, &sub_path);
                    if r.is_ok() {
                        self.served.push("repository.issues".into());
                    }
                    r
                }
                "issue" => {
                    let r = self.issue(sub, &sub_path);
                    if r.is_ok() {
                        self.served.push("repository.issue".into());
                    }
                    r
                }
                _ => Err(vec![unknown_field(sub, "Repository", &sub_path)]),
            };
            match value {
                Ok(v) => {
                    out.insert(sub.key().to_string(), v);
                }
                Err(errs) => {
                    out.insert(sub.key().to_string(), Value::Null);
                    errors.extend(errs);
                }
            }
        }
        if errors.is_empty() { Ok(Value::Object(out)) } else { Err(errors) }
    }

    fn issue(&self, field: &Field, path: &[String]) -> Resolved {
        let args = self.args(field, &["number"], path)?;
        let number = args.get("number").and_then(Value::as_u64).unwrap_or_default();
        let issue = self.store.data.issue(number).ok_or_else(|| {
            vec![
                GqlError::new(
                    Some("NOT_FOUND"),
                    format!("Could not resolve to an Issue with the number of {number}."),
                    field.pos,
                )
                .at(path),
            ]
        })?;
        self.issue_node(issue, &field.selection, path)
    }

    /// `issues(first, after, last, before, labels, states, orderBy, filterBy)`.
    fn issues(&self, field: &Field, path: &[String]) -> Resolved {
        let args =
            self.args(field, &["first", "after", "last", "before", "labels", "states", "orderBy", "filterBy"], path)?;
        let fail = |kind: Option<&'static str>, message: String| vec![GqlError::new(kind, message, field.pos).at(path)];
        let count = |name: &str| -> Result<Option<usize>, Vec<GqlError>> {
            match args.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_i64() {
                    Some(n) if (0..=100).contains(&n) => Ok(Some(n as usize)),
                    Some(n) if n > 100 => Err(fail(
                        Some("EXCESSIVE_PAGINATION"),
                        format!(
                            "Requested `{name}` value of {n} for `issues` exceeds the `{name}` limit of 100 records."
                        ),
                    )),
                    _ => Err(fail(None, format!("Argument '{name}' on Field 'issues' has an invalid value ({v})."))),
                },
            }
        };
        let (first, last) = (count("first")?, count("last")?);
        if first.is_none() && last.is_none() {
            return Err(fail(
                Some("MISSING_PAGINATION_BOUNDARIES"),
                "You must provide a `first` or `last` value to properly paginate the `issues` connection.".into(),
            ));
        }
        let strings = |v: Option<&Value>| -> Option<Vec<String>> {
            v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        };
        let mut filter = IssueFilter {
            states: strings(args.get("states")),
            labels: strings(args.get("labels")),
            ..IssueFilter::default()
        };
        if let Some(by) = args.get("filterBy").and_then(Value::as_object) {
            for (key, value) in by {
                if value.is_null() {
                    continue;
                }
                match key.as_str() {
                    "since" => {
                        let text = value.as_str().unwrap_or_default();
                        filter.since = Some(parse_timestamp(text).map_err(|e| fail(None, e.to_string()))?);
                    }
                    "states" => filter.states = strings(Some(value)),
                    "labels" => filter.labels = strings(Some(value)),
                    "assignee" => filter.assignee = value.as_str().map(String::from),
                    "createdBy" => filter.created_by = value.as_str().map(String::from),
                    "mentioned" => filter.mentioned = value.as_str().map(String::from),
                    "milestone" => filter.milestone = value.as_str().map(String::from),
                    "milestoneNumber" => filter.milestone = value.as_str().map(String::from),
                    other => return Err(vec![GqlError::unserved(&format!("filterBy.{other}"), field.pos).at(path)]),
                }
            }
        }
        let (order_field, descending) = match args.get("orderBy") {
            None | Some(Value::Null) => ("CREATED_AT".to_string(), false),
            Some(order) => {
                let f = order.get("field").and_then(Value::as_str).unwrap_or("CREATED_AT").to_string();
                (f, order.get("direction").and_then(Value::as_str) == Some("DESC"))
            }
        };
        if !matches!(order_field.as_str(), "CREATED_AT" | "UPDATED_AT" | "COMMENTS") {
            return Err(fail(
                None,
                format!("Argument 'orderBy' on Field 'issues' has an invalid value: field {order_field}"),
            ));
        }

        let mut issues: Vec<&Issue> = self.store.data.issues.iter().filter(|i| filter.matches(i)).collect();
        let key = |i: &Issue| match order_field.as_str() {
            "UPDATED_AT" => i.updated_at,
            "COMMENTS" => i.comments.len() as i64,
            _ => i.created_at,
        };
        issues.sort_by(|a, b| {
            let order = key(a).cmp(&key(b)).then(a.number.cmp(&b.number));
            if descending { order.reverse() } else { order }
        });

        let cursor = |name: &str| -> Result<Option<usize>, Vec<GqlError>> {
            match args.get(name).and_then(Value::as_str) {
                None => Ok(None),
                Some(c) => decode_cursor(c).map(Some).ok_or_else(|| {
                    fail(Some("INVALID_CURSOR_ARGUMENTS"), format!("`{c}` does not appear to be a valid cursor."))
                }),
            }
        };
        let total = issues.len();
        let mut start = cursor("after")?.map_or(0, |after| after.min(total));
        let mut end = cursor("before")?.map_or(total, |before| before.saturating_sub(1).clamp(start, total));
        if let Some(n) = first {
            end = end.min(start + n);
        }
        if let Some(n) = last {
            start = start.max(end.saturating_sub(n));
        }
        let window = &issues[start..end];

        let mut out = Map::new();
        for sub in &field.selection {
            let sub_path = [path, &[sub.key().to_string()]].concat();
            let value = match sub.name.as_str() {
                "__typename" => json!("IssueConnection"),
                "totalCount" => json!(total),
                "nodes" => Value::Array(
                    window.iter().map(|i| self.issue_node(i, &sub.selection, &sub_path)).collect::<Result<_, _>>()?,
                ),
                "edges" => {
                    let mut edges = Vec::new();
                    for (k, issue) in window.iter().enumerate() {
                        let mut edge = Map::new();
                        for part in &sub.selection {
                            let value = match part.name.as_str() {
                                "cursor" => json!(encode_cursor(start + k + 1)),
                                "node" => self.issue_node(issue, &part.selection, &sub_path)?,
                                "__typename" => json!("IssueEdge"),
                                _ => return Err(vec![unknown_field(part, "IssueEdge", &sub_path)]),
                            };
                            edge.insert(part.key().to_string(), value);
                        }
                        edges.push(Value::Object(edge));
                    }
                    Value::Array(edges)
                }
                "pageInfo" => {
                    let mut info = Map::new();
                    for part in &sub.selection {
                        let value = match part.name.as_str() {
                            "hasNextPage" => json!(end < total),
                            "hasPreviousPage" => json!(start > 0),
                            "startCursor" => {
                                if window.is_empty() {
                                    Value::Null
                                } else {
                                    json!(encode_cursor(start + 1))
                                }
                            }
                            "endCursor" => {
                                if window.is_empty() {
                                    Value::Null
                                } else {
                                    json!(encode_cursor(end))
                                }
                            }
                            "__typename" => json!("PageInfo"),
                            _ => return Err(vec![unknown_field(part, "PageInfo", &sub_path)]),
                        };
                        info.insert(part.key().to_string(), value);
                    }
                    Value::Object(info)
                }
                _ => return Err(vec![unknown_field(sub, "IssueConnection", &sub_path)]),
            };
            out.insert(sub.key().to_string(), value);
        }
        Ok(Value::Object(out))
    }

    fn issue_node(&self, issue: &Issue, selection: &[Field], path: &[String]) -> Resolved {
        let store = self.store;
        let d = &store.data;
        let mut out = Map::new();
        for field in selection {
            let sub_path = [path, &[field.key().to_string()]].concat();
            let value = match field.name.as_str() {
                "__typename" => json!("Issue"),
                "number" => json!(issue.number),
                "title" => json!(issue.title),
                "body" | "bodyText" => json!(issue.body),
                "state" => json!(if issue.is_open() { "OPEN" } else { "CLOSED" }),
                "stateReason" => issue.state_reason.as_ref().map_or(Value::Null, |r| json!(r.to_uppercase())),
                "closed" => json!(!issue.is_open()),
                "locked" => json!(issue.locked),
                "databaseId" => json!(issue.id),
                "id" => json!(store.node_id("I", issue.id)),
                "url" => json!(format!("{}/issues/{}", store.repo_web(), issue.number)),
                "createdAt" => json!(rfc3339(issue.created_at)),
                "updatedAt" => json!(rfc3339(issue.updated_at)),
                "closedAt" => issue.closed_at.map_or(Value::Null, |t| json!(rfc3339(t))),
                "author" => self.actor(&issue.user, &field.selection, &sub_path)?,
                "labels" => {
                    self.args(field, &["first", "last", "orderBy"], &sub_path)?;
                    let labels: Vec<Value> = issue
                        .labels
                        .iter()
                        .filter_map(|n| d.label(n))
                        .map(|label| {
                            self.object(field_nodes(field), "Label", &sub_path, |name| match name {
                                "name" => Some(json!(label.name)),
                                "id" => Some(json!(store.node_id("LA", label.id))),
                                "description" => Some(json!(label.description)),
                                "color" => Some(json!(label.color)),
                                "isDefault" => Some(json!(label.default)),
                                "url" => Some(json!(format!(
                                    "{}/labels/{}",
                                    store.repo_web(),
                                    super::render::escape_segment(&label.name)
                                ))),
                                _ => None,
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    self.list(field, "LabelConnection", labels, &sub_path)?
                }
                "assignees" => {
                    self.args(field, &["first", "last"], &sub_path)?;
                    let people: Vec<Value> = issue
                        .assignees
                        .iter()
                        .map(|login| self.actor(login, field_nodes(field), &sub_path))
                        .collect::<Result<_, _>>()?;
                    self.list(field, "UserConnection", people, &sub_path)?
                }
                "comments" => {
                    let args = self.args(field, &["first", "last", "orderBy"], &sub_path)?;
                    let first = args.get("first").and_then(Value::as_u64).map(|n| n as usize);
                    let last = args.get("last").and_then(Value::as_u64).map(|n| n as usize);
                    let all = &issue.comments;
                    let window: &[Comment] = match (first, last) {
                        (Some(n), _) => &all[..n.min(all.len())],
                        (None, Some(n)) => &all[all.len().saturating_sub(n)..],
                        (None, None) => &[],
                    };
                    let nodes: Vec<Value> = window
                        .iter()
                        .map(|c| self.comment_node(issue.number, c, field_nodes(field), &sub_path))
                        .collect::<Result<_, _>>()?;
                    self.list_counted(field, "IssueCommentConnection", nodes, all.len(), &sub_path)?
                }
                "milestone" => match issue.milestone.and_then(|n| d.milestone(n)) {
                    None => Value::Null,
                    Some(m) => self.object(&field.selection, "Milestone", &sub_path, |name| match name {
                        "title" => Some(json!(m.title)),
                        "number" => Some(json!(m.number)),
                        "state" => Some(json!(m.state.to_uppercase())),
                        "description" => Some(json!(m.description)),
                        "dueOn" => Some(m.due_on.map_or(Value::Null, |t| json!(rfc3339(t)))),
                        "id" => Some(json!(store.node_id("MI", m.id))),
                        "url" => Some(json!(format!("{}/milestone/{}", store.repo_web(), m.number))),
                        _ => None,
                    })?,
                },
                _ => return Err(vec![unknown_field(field, "Issue", &sub_path)]),
            };
            out.insert(field.key().to_string(), value);
        }
        Ok(Value::Object(out))
    }

    fn comment_node(&self, number: u64, c: &Comment, selection: &[Field], path: &[String]) -> Resolved {
        let store = self.store;
        let mut out = Map::new();
        for field in selection {
            let value = match field.name.as_str() {
                "author" => self.actor(&c.user, &field.selection, path)?,
                "body" | "bodyText" => json!(c.body),
                "createdAt" => json!(rfc3339(c.created_at)),
                "updatedAt" => json!(rfc3339(c.updated_at)),
                "databaseId" => json!(c.id),
                "id" => json!(store.node_id("IC", c.id)),
                "url" => json!(format!("{}/issues/{number}#issuecomment-{}", store.repo_web(), c.id)),
                "__typename" => json!("IssueComment"),
                _ => return Err(vec![unknown_field(field, "IssueComment", path)]),
            };
            out.insert(field.key().to_string(), value);
        }
        Ok(Value::Object(out))
    }

    /// A user (`author`, `assignees.nodes`): `login`, `url`, `avatarUrl`, `__typename`.
    fn actor(&self, login: &str, selection: &[Field], path: &[String]) -> Resolved {
        let id = self.store.data.user(login).map_or(0, |u| u.id);
        self.object(selection, "User", path, |name| match name {
            "login" => Some(json!(login)),
            "url" => Some(json!(format!("{}/{login}", super::render::WEB))),
            "avatarUrl" => Some(json!(format!("https://avatars.githubusercontent.com/u/{id}?v=4"))),
            "name" => Some(json!(self.store.data.user(login).map(|u| u.name.clone()))),
            "__typename" => Some(json!("User")),
            _ => None,
        })
    }

    /// An object whose scalar fields `get` knows.
    fn object(
        &self,
        selection: &[Field],
        type_name: &str,
        path: &[String],
        get: impl Fn(&str) -> Option<Value>,
    ) -> Resolved {
        let mut out = Map::new();
        for field in selection {
            let value = get(&field.name).ok_or_else(|| vec![unknown_field(field, type_name, path)])?;
            out.insert(field.key().to_string(), value);
        }
        Ok(Value::Object(out))
    }

    /// A small connection given all its nodes: `nodes` and `totalCount`.
    fn list(&self, field: &Field, type_name: &str, nodes: Vec<Value>, path: &[String]) -> Resolved {
        let total = nodes.len();
        self.list_counted(field, type_name, nodes, total, path)
    }

    fn list_counted(
        &self,
        field: &Field,
        type_name: &str,
        nodes: Vec<Value>,
        total: usize,
        path: &[String],
    ) -> Resolved {
        let mut out = Map::new();
        for sub in &field.selection {
            let value = match sub.name.as_str() {
                "nodes" => Value::Array(nodes.clone()),
                "totalCount" => json!(total),
                "__typename" => json!(type_name),
                _ => return Err(vec![unknown_field(sub, type_name, path)]),
            };
            out.insert(sub.key().to_string(), value);
        }
        Ok(Value::Object(out))
    }
}

/// The selection under a connection's `nodes`.
fn field_nodes(field: &Field) -> &[Field] {
    field.selection.iter().find(|f| f.name == "nodes").map_or(&[], |f| &f.selection)
}

/// The filters of an `issues` connection.
#[derive(Debug, Default)]
struct IssueFilter {
    states: Option<Vec<String>>,
    labels: Option<Vec<String>>,
    since: Option<i64>,
    assignee: Option<String>,
    created_by: Option<String>,
    mentioned: Option<String>,
    milestone: Option<String>,
}

impl IssueFilter {
    fn matches(&self, issue: &Issue) -> bool {
        let state = if issue.is_open() { "OPEN" } else { "CLOSED" };
        self.states.as_ref().is_none_or(|s| s.iter().any(|x| x == state))
            && self.labels.as_ref().is_none_or(|ls| ls.iter().any(|l| issue.has_label(l)))
            && self.since.is_none_or(|t| issue.updated_at >= t)
            && self.assignee.as_ref().is_none_or(|a| match a.as_str() {
                "*" => !issue.assignees.is_empty(),
                login => issue.assignees.iter().any(|x| x.eq_ignore_ascii_case(login)),
            })
            && self.created_by.as_ref().is_none_or(|c| issue.user.eq_ignore_ascii_case(c))
            && self.mentioned.as_ref().is_none_or(|m| issue.body.contains(&format!("@{m}")))
            && self.milestone.as_ref().is_none_or(|m| match m.as_str() {
                "*" => issue.milestone.is_some(),
                "none" => issue.milestone.is_none(),
                n => issue.milestone.is_some_and(|x| x.to_string() == n),
            })
    }
}

const CURSOR_PREFIX: &[u8] = b"cursor:v2:";

/// The cursor of the item at 1-based position `n`: `cursor:v2:` and MessagePack `[n]`, base64.
fn encode_cursor(n: usize) -> String {
    let mut bytes = CURSOR_PREFIX.to_vec();
    bytes.push(0x91);
    bytes.push(0xce);
    bytes.extend_from_slice(&(n as u32).to_be_bytes());
    STANDARD.encode(bytes)
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = STANDARD.decode(cursor).ok()?;
    let rest = bytes.strip_prefix(CURSOR_PREFIX)?;
    match rest {
        [0x91, 0xce, a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d]) as usize),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{decode_cursor, encode_cursor};
    use crate::github::data::{DAY, Issue, rfc3339};
    use crate::github::testing::{Fake, Reply, data};

    /// github-mcp-server v0.12.1's `list_issues` query with a labels filter, as captured.
    const WITH_LABELS: &str = "query($after:String$direction:OrderDirection!$first:Int!$labels:[String!]!$orderBy:IssueOrderField!$owner:String!$repo:String!$states:[IssueState!]!){repository(owner: $owner, name: $repo){issues(first: $first, after: $after, labels: $labels, states: $states, orderBy: {field: $orderBy, direction: $direction}){nodes{number,title,body,state,databaseId,author{login},createdAt,updatedAt,labels(first: 100){nodes{name,id,description}},comments{totalCount}},pageInfo{hasNextPage,hasPreviousPage,startCursor,endCursor},totalCount}}}";
    /// The same with `since` and no labels.
    const WITH_SINCE: &str = "query($after:String$direction:OrderDirection!$first:Int!$orderBy:IssueOrderField!$owner:String!$repo:String!$since:DateTime!$states:[IssueState!]!){repository(owner: $owner, name: $repo){issues(first: $first, after: $after, states: $states, orderBy: {field: $orderBy, direction: $direction}, filterBy: {since: $since}){nodes{number,title,body,state,databaseId,author{login},createdAt,updatedAt,labels(first: 100){nodes{name,id,description}},comments{totalCount}},pageInfo{hasNextPage,hasPreviousPage,startCursor,endCursor},totalCount}}}";
    /// With neither, and a cursor (`$after:String!`).
    const PLAIN_AFTER: &str = "query($after:String!$direction:OrderDirection!$first:Int!$orderBy:IssueOrderField!$owner:String!$repo:String!$states:[IssueState!]!){repository(owner: $owner, name: $repo){issues(first: $first, after: $after, states: $states, orderBy: {field: $orderBy, direction: $direction}){nodes{number,title,body,state,databaseId,author{login},createdAt,updatedAt,labels(first: 100){nodes{name,id,description}},comments{totalCount}},pageInfo{hasNextPage,hasPreviousPage,startCursor,endCursor},totalCount}}}";
    /// With both labels and since.
    const WITH_LABELS_AND_SINCE: &str = "query($after:String$direction:OrderDirection!$first:Int!$labels:[String!]!$orderBy:IssueOrderField!$owner:String!$repo:String!$since:DateTime!$states:[IssueState!]!){repository(owner: $owner, name: $repo){issues(first: $first, after: $after, labels: $labels, states: $states, orderBy: {field: $orderBy, direction: $direction}, filterBy: {since: $since}){nodes{number,title,body,state,databaseId,author{login},createdAt,updatedAt,labels(first: 100){nodes{name,id,description}},comments{totalCount}},pageInfo{hasNextPage,hasPreviousPage,startCursor,endCursor},totalCount}}}";

    fn issues(reply: &Reply) -> &Value {
        &reply.body["data"]["repository"]["issues"]
    }

    fn numbers(reply: &Reply) -> Vec<u64> {
        issues(reply)["nodes"].as_array().into_iter().flatten().filter_map(|n| n["number"].as_u64()).collect()
    }

    fn vars(extra: Value) -> Value {
        let mut v = json!({"after": null, "direction": "DESC", "first": 100, "orderBy": "CREATED_AT", "owner": "acme", "repo": "widgets", "states": ["OPEN", "CLOSED"]});
        if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
            map.extend(extra);
        }
        v
    }

    #[tokio::test]
    async fn list_issues_with_labels_returns_open_bugs_newest_first_with_only_the_selected_fields() {
        let d = data();
        let fake = Fake::new();
        let reply = fake.graphql(WITH_LABELS, vars(json!({"labels": ["bug"], "states": ["OPEN"]}))).await;
        let open_bugs: Vec<&Issue> = d.issues.iter().rev().filter(|i| i.is_open() && i.has_label("bug")).collect();
        assert_eq!(issues(&reply)["totalCount"], open_bugs.len());
        assert_eq!(numbers(&reply), open_bugs.iter().take(100).map(|i| i.number).collect::<Vec<_>>());
        let node = &issues(&reply)["nodes"][0];
        let keys: Vec<&str> = node.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(
            keys,
            [
                "number",
                "title",
                "body",
                "state",
                "databaseId",
                "author",
                "createdAt",
                "updatedAt",
                "labels",
                "comments"
            ]
        );
        let issue = open_bugs[0];
        assert_eq!(node["state"], "OPEN");
        assert_eq!(node["databaseId"], issue.id);
        assert_eq!(node["author"], json!({"login": issue.user}));
        assert_eq!(node["createdAt"], rfc3339(issue.created_at));
        assert_eq!(node["comments"], json!({"totalCount": issue.comments.len()}));
        let label = &node["labels"]["nodes"][0];
        assert_eq!(label.as_object().map(|o| o.len()), Some(3));
        assert_eq!(label["name"], issue.labels[0].as_str());
        let rest_label = fake.get(&format!("/api/v3/repos/acme/widgets/issues/{}", issue.number)).await;
        assert_eq!(label["id"], rest_label.body["labels"][0]["node_id"], "one node id per label in both APIs");
        assert_eq!(issues(&reply)["pageInfo"]["hasNextPage"], true);
        assert_eq!(issues(&reply)["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(fake.log.served().get("POST /graphql repository.issues"), Some(&1));
    }

    #[tokio::test]
    async fn following_end_cursors_walks_every_matching_issue_exactly_once() {
        let d = data();
        let fake = Fake::new();
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let with_cursor = WITH_LABELS.replacen("$after:String$", "$after:String!$", 1);
        loop {
            let query = if after.is_null() { WITH_LABELS } else { with_cursor.as_str() };
            let reply = fake
                .graphql(query, vars(json!({"labels": ["bug", "security"], "after": after, "orderBy": "COMMENTS"})))
                .await;
            seen.extend(numbers(&reply));
            let info = &issues(&reply)["pageInfo"];
            if info["hasNextPage"] != true {
                assert_eq!(info["endCursor"].is_string(), !numbers(&reply).is_empty());
                break;
            }
            assert_eq!(info["hasPreviousPage"], !after.is_null());
            after = info["endCursor"].clone();
        }
        let mut expected: Vec<&Issue> =
            d.issues.iter().filter(|i| i.has_label("bug") || i.has_label("security")).collect();
        expected.sort_by(|a, b| b.comments.len().cmp(&a.comments.len()).then(b.number.cmp(&a.number)));
        assert_eq!(seen, expected.iter().map(|i| i.number).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn since_keeps_issues_updated_at_or_after_it_and_both_states_by_default() {
        let d = data();
        let since = d.now - 30 * DAY;
        let reply = Fake::new().graphql(WITH_SINCE, vars(json!({"since": rfc3339(since), "first": 30}))).await;
        let expected = d.issues.iter().filter(|i| i.updated_at >= since).count();
        assert_eq!(issues(&reply)["totalCount"], expected);
        assert_eq!(numbers(&reply).len(), 30);
        let with_labels = Fake::new()
            .graphql(
                WITH_LABELS_AND_SINCE,
                vars(json!({"since": rfc3339(since), "labels": ["documentation"], "states": ["CLOSED"]})),
            )
            .await;
        let expected =
            d.issues.iter().filter(|i| i.updated_at >= since && i.has_label("documentation") && !i.is_open()).count();
        assert_eq!(issues(&with_labels)["totalCount"], expected);
    }

    #[tokio::test]
    async fn ordering_by_comments_or_updated_time_in_either_direction() {
        let d = data();
        let fake = Fake::new();
        let cursor = encode_cursor(100);
        let reply = fake
            .graphql(
                PLAIN_AFTER,
                vars(json!({"after": cursor, "orderBy": "UPDATED_AT", "direction": "ASC", "first": 5})),
            )
            .await;
        let mut by_update: Vec<&Issue> = d.issues.iter().collect();
        by_update.sort_by(|a, b| a.updated_at.cmp(&b.updated_at).then(a.number.cmp(&b.number)));
        assert_eq!(numbers(&reply), by_update[100..105].iter().map(|i| i.number).collect::<Vec<_>>());
        assert_eq!(issues(&reply)["pageInfo"]["startCursor"], encode_cursor(101));
        assert_eq!(issues(&reply)["pageInfo"]["endCursor"], encode_cursor(105));
        let top = fake
            .graphql(
                WITH_LABELS,
                vars(json!({"labels": ["bug"], "states": ["OPEN"], "orderBy": "COMMENTS", "first": 10})),
            )
            .await;
        let counts: Vec<u64> = issues(&top)["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["comments"]["totalCount"].as_u64())
            .collect();
        let mut expected: Vec<u64> =
            d.issues.iter().filter(|i| i.is_open() && i.has_label("bug")).map(|i| i.comments.len() as u64).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(counts, expected[..10]);
    }

    #[tokio::test]
    async fn the_query_is_parsed_not_matched_byte_for_byte() {
        let spaced = "# list issues\nquery ListIssues(\n  $owner: String!, $repo: String!, $first: Int!\n) {\n  repo: repository(owner: $owner, name: $repo) {\n    issues(first: $first, states: [OPEN], labels: [\"good first issue\"], orderBy: {field: CREATED_AT, direction: ASC}) {\n      totalCount\n      edges { cursor node { number url state assignees(first: 5) { nodes { login } totalCount } milestone { title } } }\n    }\n  }\n}\n";
        let reply = Fake::new().graphql(spaced, json!({"owner": "acme", "repo": "widgets", "first": 3})).await;
        let d = data();
        let expected: Vec<&Issue> =
            d.issues.iter().filter(|i| i.is_open() && i.has_label("good first issue")).collect();
        let conn = &reply.body["data"]["repo"]["issues"];
        assert_eq!(conn["totalCount"], expected.len(), "{}", reply.body);
        let edge = &conn["edges"][0];
        assert_eq!(edge["cursor"], encode_cursor(1));
        assert_eq!(edge["node"]["number"], expected[0].number);
        assert_eq!(edge["node"]["assignees"]["totalCount"], expected[0].assignees.len());
        assert_eq!(edge["node"]["url"], format!("https://github.com/acme/widgets/issues/{}", expected[0].number));
    }

    #[tokio::test]
    async fn a_single_issue_by_number_with_its_comments() {
        let d = data();
        let issue = d.issues.iter().find(|i| i.comments.len() >= 3).expect("an issue with comments");
        let query = "query($n:Int!){repository(owner:\"acme\",name:\"widgets\"){issue(number:$n){title closed stateReason comments(first:2){totalCount nodes{author{login} body}}}}}";
        let reply = Fake::new().graphql(query, json!({"n": issue.number})).await;
        let node = &reply.body["data"]["repository"]["issue"];
        assert_eq!(node["title"], issue.title.as_str());
        assert_eq!(node["comments"]["totalCount"], issue.comments.len());
        assert_eq!(node["comments"]["nodes"][1]["body"], issue.comments[1].body.as_str());
    }

    #[tokio::test]
    async fn an_unknown_repository_is_not_found_with_a_null_repository() {
        let fake = Fake::new();
        let reply = fake.graphql(WITH_LABELS, vars(json!({"labels": ["bug"], "repo": "nope"}))).await;
        assert_eq!(reply.body["data"], json!({"repository": null}));
        let error = &reply.body["errors"][0];
        assert_eq!(error["type"], "NOT_FOUND");
        assert_eq!(error["path"], json!(["repository"]));
        assert_eq!(error["message"], "Could not resolve to a Repository with the name 'acme/nope'.");
        assert!(error["locations"][0]["line"].is_u64());
        assert!(fake.log.unserved().is_empty());
        assert_eq!(fake.log.served().get("POST /graphql"), Some(&1));
    }

    #[tokio::test]
    async fn pagination_mistakes_get_githubs_errors() {
        let fake = Fake::new();
        let too_many = fake.graphql(WITH_LABELS, vars(json!({"labels": ["bug"], "first": 101}))).await;
        assert_eq!(too_many.body["errors"][0]["type"], "EXCESSIVE_PAGINATION");
        assert_eq!(
            too_many.body["errors"][0]["message"],
            "Requested `first` value of 101 for `issues` exceeds the `first` limit of 100 records."
        );
        let unbounded =
            fake.graphql("{repository(owner:\"acme\",name:\"widgets\"){issues{totalCount}}}", json!({})).await;
        assert_eq!(unbounded.body["errors"][0]["type"], "MISSING_PAGINATION_BOUNDARIES");
        let bad_cursor = fake.graphql(PLAIN_AFTER, vars(json!({"after": "not-a-cursor"}))).await;
        assert_eq!(bad_cursor.body["errors"][0]["type"], "INVALID_CURSOR_ARGUMENTS");
        let missing = fake.graphql(WITH_LABELS, json!({"owner": "acme"})).await;
        assert!(
            missing.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("was provided invalid value"))
        );
        let bad_arg = fake
            .graphql(
                "{repository(owner:\"acme\",name:\"widgets\"){issues(first:1, colour:RED){totalCount}}}",
                json!({}),
            )
            .await;
        assert_eq!(bad_arg.body["errors"][0]["extensions"]["code"], "argumentNotAccepted");
        let syntax = fake.graphql("query { repository(owner: \"acme\" {", json!({})).await;
        assert!(
            syntax.body["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("Parse error")),
            "{}",
            syntax.body
        );
    }

    #[tokio::test]
    async fn queries_the_fake_does_not_serve_get_an_error_and_are_recorded() {
        let fake = Fake::new();
        let reply = fake
            .graphql("{repository(owner:\"acme\",name:\"widgets\"){pullRequests(first:5){nodes{number}}}}", json!({}))
            .await;
        assert!(reply.body.get("data").is_none(), "{}", reply.body);
        let error = &reply.body["errors"][0];
        assert_eq!(error["type"], "NOT_SERVED");
        assert!(error["message"].as_str().is_some_and(|m| m.contains("pullRequests")));
        let mutation =
            fake.graphql("mutation { addStar(input: {starrableId: \"x\"}) { clientMutationId } }", json!({})).await;
        assert_eq!(mutation.body["errors"][0]["type"], "NOT_SERVED");
        let fragment = fake.graphql("{ viewer { ...F } } fragment F on User { login }", json!({})).await;
        assert_eq!(fragment.body["errors"][0]["type"], "NOT_SERVED");
        let unserved = fake.log.unserved();
        assert_eq!(unserved.len(), 3, "{unserved:?}");
        assert!(unserved.iter().all(|u| u.starts_with("POST /api/graphql (")));
        assert!(unserved[0].contains("pullRequests"));
        assert!(fake.log.served().is_empty());
    }

    #[test]
    fn cursors_round_trip_and_look_like_githubs() {
        for n in [1, 30, 100, 9_999] {
            assert_eq!(decode_cursor(&encode_cursor(n)), Some(n));
        }
        assert!(encode_cursor(1).starts_with("Y3Vyc29yOnYyOp"), "base64 of cursor:v2:");
        assert_eq!(decode_cursor("Y3Vyc29yOjEwMA=="), None);
    }
}
