//! TypeScript declarations generated from tool schemas, with descriptions as doc comments.
//!
//! A tool becomes `function <alias>(args: <input type>): Promise<<output type>>`
//! inside `declare namespace tools.<server alias>`, which is how a program calls
//! it. Schemas are read as JSON Schema (2020-12, and the draft-07 forms servers
//! still send): types, `enum`/`const`, `anyOf`/`oneOf`/`allOf`, arrays and
//! tuples, objects with `required` and `additionalProperties`, and local `$ref`s
//! into `$defs`/`definitions`. Anything else is `unknown`.
//!
//! Schemas come from servers, so generation is bounded three ways: nesting past
//! [`MAX_DEPTH`] (recursive schemas), and a [`Budget`] of schema nodes visited and
//! bytes written, which a schema whose levels each refer several times to the
//! next would otherwise blow up exponentially. Past a bound a type is `unknown`
//! (never a narrower type than the schema's), an object keeps the properties
//! written so far and gains `[key: string]: unknown`, and the doc comment says so.
//! Text from the server (names, titles, descriptions, defaults) appears only in
//! comments, with line breaks and control characters escaped and `*/` broken,
//! or as JSON string literals; identifiers are aliases ([`super::names`]).

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::ToolDefinition;
use super::names::{alias, is_identifier};
use super::text;

/// How deep types nest (and `$ref`s are followed) before giving up with `unknown`.
const MAX_DEPTH: usize = 12;
/// Longest `$ref` followed; a longer one is `unknown`.
const MAX_REF_BYTES: usize = 1024;
/// What a schema node costs besides its own text: punctuation and indentation.
const NODE_BYTES: usize = 32;
/// The doc line of a declaration cut short by its budget.
const CUT_SHORT: &str = "Parts of this declaration past Sluice's size limit are `unknown`.";

/// What generating declarations may still cost: schema nodes to visit and
/// bytes to write. Once either runs out the budget stays exhausted, and what
/// is left to render is `unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    nodes: usize,
    bytes: usize,
    exhausted: bool,
    /// Split from a budget that had less left than asked for: running out
    /// here runs the whole out.
    last_part: bool,
}

impl Budget {
    /// One tool's declaration, as `describe` returns it.
    pub const DECLARATION: Budget = Budget::new(20_000, 256 << 10);
    /// A file of many tools (`index.d.ts`, generated bindings).
    pub const FILE: Budget = Budget::new(400_000, 8 << 20);

    /// A budget of `nodes` schema nodes and `bytes` bytes.
    pub const fn new(nodes: usize, bytes: usize) -> Budget {
        Budget { nodes, bytes, exhausted: false, last_part: false }
    }

    /// Whether something was left out because the budget ran out.
    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Takes the smaller of `cap` and what is left here, to spend on one part
    /// of a larger output; [`Budget::rejoin`] gives back what that part left.
    pub fn split(&mut self, cap: &Budget) -> Budget {
        let mut part = Budget::new(cap.nodes.min(self.nodes), cap.bytes.min(self.bytes));
        part.last_part = part.nodes < cap.nodes || part.bytes < cap.bytes;
        part.exhausted = self.exhausted;
        self.nodes -= part.nodes;
        self.bytes -= part.bytes;
        part
    }

    /// Gives back what `part` (from [`Budget::split`]) did not spend.
    pub fn rejoin(&mut self, part: Budget) {
        self.nodes += part.nodes;
        self.bytes += part.bytes;
        if self.nodes == 0 || self.bytes == 0 || part.exhausted && part.last_part {
            self.exhausted = true;
        }
    }

    /// Spends one node and its [`NODE_BYTES`]; `false` once exhausted.
    pub(crate) fn node(&mut self) -> bool {
        if self.exhausted || self.nodes == 0 {
            self.exhausted = true;
            return false;
        }
        self.nodes -= 1;
        self.spend(NODE_BYTES)
    }

    /// Spends `bytes` of output; `false` (and nothing spent) if they do not fit.
    pub(crate) fn spend(&mut self, bytes: usize) -> bool {
        if self.exhausted || bytes > self.bytes {
            self.exhausted = true;
            return false;
        }
        self.bytes -= bytes;
        true
    }
}

/// The declaration of one tool, ready to read or to put in a `.d.ts` file;
/// bounded by [`Budget::DECLARATION`].
pub fn tool_declaration(server: &str, tool: &ToolDefinition) -> String {
    let mut out = format!("declare namespace tools.{} {{\n", alias(server));
    write_function(&mut out, tool, 1, &mut Budget::DECLARATION.clone());
    out.push_str("}\n");
    out
}

/// Largest budget a [`signature_line`] is rendered with, before it is cut.
const SIGNATURE_BUDGET: Budget = Budget::new(2_000, 16 << 10);

/// The tool's signature on one line, without doc comments, as a program calls
/// it: `tools.server.tool(args: { owner: string; page?: number; }): Promise<unknown>`.
/// At most `max_chars` characters (cut with `…`), whatever the schema: for error messages.
pub fn signature_line(server: &str, tool: &ToolDefinition, max_chars: usize) -> String {
    let mut budget = SIGNATURE_BUDGET.clone();
    let (input, output) = (input_type(tool, 0, &mut budget), output_type(tool, 0, &mut budget));
    let one_line = |text: &str| {
        let parts: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("/**") && !line.starts_with('*'))
            .collect();
        parts.join(" ")
    };
    let line = format!(
        "tools.{}.{}(args: {}): Promise<{}>",
        alias(server),
        alias(&tool.name),
        one_line(&input),
        one_line(&output)
    );
    text::truncate_chars(&line, max_chars).into_owned()
}

/// `function name(args: ...): Promise<...>;` with its doc comment, at `indent`.
pub fn write_function(out: &mut String, tool: &ToolDefinition, indent: usize, budget: &mut Budget) {
    let pad = "  ".repeat(indent);
    if tool.name.len() > text::MAX_NAME_BYTES {
        let name = text::display_name(&tool.name);
        let _ = writeln!(out, "{pad}// Not callable: the name of tool {name} is over {} bytes.", text::MAX_NAME_BYTES);
        return;
    }
    let function = alias(&tool.name);
    let (input, output) = if budget.spend(function.len() + NODE_BYTES) {
        (input_type(tool, indent, budget), output_type(tool, indent, budget))
    } else {
        ("unknown".to_owned(), "unknown".to_owned())
    };
    let mut doc = Vec::new();
    if let Some(title) = &tool.title {
        doc.push(title.clone());
    }
    if let Some(description) = &tool.description {
        doc.push(description.clone());
    }
    if !is_identifier(&tool.name) {
        doc.push(format!("MCP name: `{}`.", text::display_name(&tool.name)));
    }
    let cut_short = budget.is_exhausted();
    write_doc_within(out, &pad, &doc, budget);
    if cut_short {
        write_doc(out, &pad, &[CUT_SHORT.to_owned()]);
    }
    let _ = writeln!(out, "{pad}function {function}(args: {input}): Promise<{output}>;");
}

/// The TypeScript type of a tool's arguments, laid out for `indent`.
pub fn input_type(tool: &ToolDefinition, indent: usize, budget: &mut Budget) -> String {
    Schemas::new(&tool.input_schema, budget).render(&tool.input_schema, indent, 0)
}

/// The TypeScript type of a tool's result: from `outputSchema`, else `unknown`.
pub fn output_type(tool: &ToolDefinition, indent: usize, budget: &mut Budget) -> String {
    match &tool.output_schema {
        Some(schema) => Schemas::new(schema, budget).render(schema, indent, 0),
        None => "unknown".to_owned(),
    }
}

/// A `/** ... */` comment of `texts` at `pad` (nothing when there are none).
/// Each text may hold several lines; every line is made safe for a block
/// comment: line breaks split it, control characters are escaped and `*/` is
/// broken up.
pub fn write_doc(out: &mut String, pad: &str, texts: &[String]) {
    write_doc_within(out, pad, texts, &mut Budget::new(usize::MAX, usize::MAX));
}

/// [`write_doc`], writing the lines that fit in `budget`, then `…`.
pub fn write_doc_within(out: &mut String, pad: &str, texts: &[String], budget: &mut Budget) {
    let mut lines = Vec::new();
    for text in texts {
        // Check the raw length first, so an oversized text is refused before it is split.
        if !budget.spend(text.len()) {
            lines.push("…".to_owned());
            break;
        }
        let safe: Vec<String> = text::lines(text).map(|line| line.replace("*/", "*\\/")).collect();
        let escaped = safe.iter().map(|line| line.len() + pad.len() + 4).sum::<usize>();
        if !budget.spend(escaped.saturating_sub(text.len())) {
            lines.push("…".to_owned());
            break;
        }
        lines.extend(safe);
    }
    match lines.as_slice() {
        [] => {}
        [line] => {
            let _ = writeln!(out, "{pad}/** {line} */");
        }
        lines => {
            let _ = writeln!(out, "{pad}/**");
            for line in lines {
                let _ = writeln!(out, "{pad} *{}{line}", if line.is_empty() { "" } else { " " });
            }
            let _ = writeln!(out, "{pad} */");
        }
    }
}

/// A JSON value as a TypeScript literal type: strings as JSON string literals
/// with the line and paragraph separators escaped too (older parsers reject
/// them raw); objects and arrays, which have no literal type, are `unknown`.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => "unknown".to_owned(),
        Value::String(text) => string_literal(text),
        other => other.to_string(),
    }
}

/// `text` as a JavaScript string literal (JSON's escapes, plus U+2028 and U+2029).
pub fn string_literal(text: &str) -> String {
    Value::from(text).to_string().replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

/// A schema document, so `$ref`s can be followed from anywhere inside it.
struct Schemas<'a, 'b> {
    root: &'a Value,
    budget: &'b mut Budget,
}

impl<'a, 'b> Schemas<'a, 'b> {
    fn new(root: &'a Value, budget: &'b mut Budget) -> Self {
        Schemas { root, budget }
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        if reference.len() > MAX_REF_BYTES {
            return None;
        }
        let path = reference.strip_prefix("#/")?;
        path.split('/').try_fold(self.root, |node, part| node.get(part.replace("~1", "/").replace("~0", "~")))
    }

    /// The TypeScript type of `schema`, laid out for `indent`.
    fn render(&mut self, schema: &'a Value, indent: usize, depth: usize) -> String {
        if depth > MAX_DEPTH || !self.budget.node() {
            return "unknown".to_owned();
        }
        let object = match schema {
            Value::Bool(true) => return "unknown".to_owned(),
            Value::Bool(false) => return "never".to_owned(),
            Value::Object(object) => object,
            _ => return "unknown".to_owned(),
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            return match self.lookup(reference) {
                Some(target) => self.render(target, indent, depth + 1),
                None => "unknown".to_owned(),
            };
        }
        if let Some(value) = object.get("const") {
            let literal = literal(value);
            return if self.budget.spend(literal.len()) { literal } else { "unknown".to_owned() };
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            let mut types = Vec::with_capacity(values.len().min(1024));
            for value in values {
                let literal = literal(value);
                if !self.budget.spend(literal.len() + 3) {
                    return "unknown".to_owned();
                }
                types.push(literal);
            }
            return union(types);
        }
        for (keyword, joiner) in [("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")] {
            if let Some(members) = object.get(keyword).and_then(Value::as_array) {
                let mut types = Vec::with_capacity(members.len().min(1024));
                for member in members {
                    if self.budget.is_exhausted() {
                        // A union missing members would be narrower than the schema;
                        // an intersection missing some is wider, which is safe.
                        if joiner == " | " {
                            return "unknown".to_owned();
                        }
                        break;
                    }
                    types.push(self.render(member, indent, depth + 1));
                }
                return join_types(types, joiner);
            }
        }
        match object.get("type") {
            Some(Value::String(kind)) => self.render_kind(kind, object, indent, depth),
            Some(Value::Array(kinds)) => {
                let mut types = Vec::new();
                for kind in kinds.iter().filter_map(Value::as_str) {
                    types.push(self.render_kind(kind, object, indent, depth));
                }
                union(types)
            }
            _ if object.contains_key("properties") => self.render_kind("object", object, indent, depth),
            _ => "unknown".to_owned(),
        }
    }

    fn render_kind(
        &mut self,
        kind: &str,
        object: &'a serde_json::Map<String, Value>,
        indent: usize,
        depth: usize,
    ) -> String {
        match kind {
            "string" => "string".to_owned(),
            "number" | "integer" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => match object.get("prefixItems").or(object.get("items")) {
                Some(Value::Array(tuple)) => {
                    let mut types = Vec::with_capacity(tuple.len().min(1024));
                    for item in tuple {
                        if self.budget.is_exhausted() {
                            return "unknown[]".to_owned();
                        }
                        types.push(self.render(item, indent, depth + 1));
                    }
                    format!("[{}]", types.join(", "))
                }
                Some(items) => {
                    let item = self.render(items, indent, depth + 1);
                    if item.contains(' ') && !item.starts_with('{') {
                        format!("({item})[]")
                    } else {
                        format!("{item}[]")
                    }
                }
                None => "unknown[]".to_owned(),
            },
            "object" => self.render_object(object, indent, depth),
            _ => "unknown".to_owned(),
        }
    }

    fn render_object(&mut self, object: &'a serde_json::Map<String, Value>, indent: usize, depth: usize) -> String {
        let properties = object.get("properties").and_then(Value::as_object);
        let required: HashSet<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map_or_else(HashSet::new, |r| r.iter().filter_map(Value::as_str).collect());
        let extra = match object.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(schema @ Value::Object(_)) => Some(self.render(schema, indent + 1, depth + 1)),
            _ if properties.is_none_or(|p| p.is_empty()) => Some("unknown".to_owned()),
            _ => None,
        };
        if properties.is_none_or(|p| p.is_empty()) {
            return match extra {
                Some(value) => format!("{{ [key: string]: {value} }}"),
                None => "{}".to_owned(),
            };
        }
        let pad = "  ".repeat(indent + 1);
        let mut out = String::from("{\n");
        let mut left_out = false;
        for (name, schema) in properties.into_iter().flatten() {
            let key = if is_identifier(name) { name.clone() } else { string_literal(name) };
            if !self.budget.spend(key.len() + pad.len()) {
                left_out = true;
                break;
            }
            let mut doc = Vec::new();
            if let Some(description) = schema.get("description").and_then(Value::as_str) {
                doc.push(description.to_owned());
            }
            if let Some(default) = schema.get("default") {
                doc.push(format!("@default {default}"));
            }
            write_doc_within(&mut out, &pad, &doc, self.budget);
            let optional = if required.contains(name.as_str()) { "" } else { "?" };
            let _ = writeln!(out, "{pad}{key}{optional}: {};", self.render(schema, indent + 1, depth + 1));
        }
        if left_out || self.budget.is_exhausted() {
            let _ = writeln!(out, "{pad}/** More properties may exist: {CUT_SHORT} */");
            let _ = writeln!(out, "{pad}[key: string]: unknown;");
        } else if let Some(value) = extra {
            let _ = writeln!(out, "{pad}[key: string]: {value};");
        }
        out.push_str(&"  ".repeat(indent));
        out.push('}');
        out
    }
}

fn union(types: Vec<String>) -> String {
    join_types(types, " | ")
}

/// `types` joined, without repeats; a union with `unknown` in it is `unknown`.
fn join_types(types: Vec<String>, joiner: &str) -> String {
    if joiner == " | " && types.iter().any(|t| t == "unknown") {
        return "unknown".to_owned();
    }
    let mut seen = HashSet::with_capacity(types.len());
    let mut types: Vec<String> = types.into_iter().filter(|t| seen.insert(t.clone())).collect();
    match types.len() {
        0 => "never".to_owned(),
        1 => types.remove(0),
        _ => types.join(joiner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(input: Value, output: Option<Value>) -> ToolDefinition {
        let mut tool = ToolDefinition::new("get-sum", "Adds two numbers.\nReturns their sum.", input);
        tool.output_schema = output;
        tool
    }

    fn render(root: &Value, schema: &Value) -> String {
        Schemas::new(root, &mut Budget::DECLARATION.clone()).render(schema, 0, 0)
    }

    #[test]
    fn a_tool_becomes_a_documented_function_in_its_servers_namespace() {
        let input = json!({
            "type": "object",
            "properties": {
                "a": { "type": "number", "description": "The first number." },
                "b": { "type": "integer", "default": 0 },
                "label-text": { "type": ["string", "null"] }
            },
            "required": ["a"]
        });
        let output = json!({ "type": "object", "properties": { "sum": { "type": "number" } }, "required": ["sum"] });
        let declaration = tool_declaration("server-everything", &tool(input, Some(output)));
        assert_eq!(
            declaration,
            "declare namespace tools.server_everything {\n  \
               /**\n   * Adds two numbers.\n   * Returns their sum.\n   * MCP name: `get-sum`.\n   */\n  \
               function get_sum(args: {\n    \
                 /** The first number. */\n    a: number;\n    \
                 /** @default 0 */\n    b?: number;\n    \
                 \"label-text\"?: string | null;\n  \
               }): Promise<{\n    sum: number;\n  }>;\n\
             }\n"
        );
    }

    #[test]
    fn enums_unions_arrays_refs_and_maps_have_their_typescript_forms() {
        let root = json!({ "$defs": { "State": { "enum": ["open", "closed"] } } });
        let render = |schema: Value| render(&root, &schema);
        assert_eq!(render(json!({ "$ref": "#/$defs/State" })), r#""open" | "closed""#);
        assert_eq!(
            render(json!({ "type": "array", "items": { "type": ["string", "number"] } })),
            "(string | number)[]"
        );
        assert_eq!(
            render(json!({ "type": "array", "prefixItems": [{ "type": "string" }, { "const": 1 }] })),
            "[string, 1]"
        );
        assert_eq!(
            render(json!({ "anyOf": [{ "type": "string" }, { "type": "string" }, { "type": "null" }] })),
            "string | null"
        );
        assert_eq!(
            render(json!({ "type": "object", "additionalProperties": { "type": "number" } })),
            "{ [key: string]: number }"
        );
        assert_eq!(render(json!({ "type": "object", "additionalProperties": false })), "{}");
        assert_eq!(render(json!({ "$ref": "#/$defs/Missing" })), "unknown");
        assert_eq!(render(json!(true)), "unknown");
        assert_eq!(render(json!({ "anyOf": [{ "type": "string" }, {}] })), "unknown");
    }

    #[test]
    fn recursive_schemas_stop_at_a_depth_limit() {
        let schema = json!({ "$defs": { "Node": { "type": "object", "properties": { "next": { "$ref": "#/$defs/Node" } } } }, "$ref": "#/$defs/Node" });
        let rendered = render(&schema, &schema);
        assert!(rendered.contains("unknown"), "{rendered}");
    }

    #[test]
    fn a_hostile_servers_texts_stay_inside_the_comments_of_declarations() {
        let tools: Vec<ToolDefinition> =
            serde_json::from_str(include_str!("../../tests/servers/hostile_tools.json")).unwrap();
        let mut files: Vec<String> = tools.iter().map(|tool| tool_declaration("hostile", tool)).collect();
        files.push(crate::tools::tree::index("hostile", "Summary */ include_str!(\"x\")\n\u{1b}[2J", &tools));
        for file in files {
            assert!(!file.contains(|c: char| text::is_unsafe_char(c) && c != '\n'), "{file}");
            assert!(file.lines().all(|line| line.chars().count() < 2000), "{file}");
            // Declarations strip to nothing but comments (and the `;` of an empty
            // statement where a declaration was): no text escaped into code.
            let stripped = crate::strip_types("hostile.d.ts", &file).unwrap_or_else(|e| panic!("{e}\n{file}"));
            let code = crate::typescript::code_outside_comments(&stripped);
            assert!(code.chars().all(|c| c == ';'), "{code}\n{file}");
        }
    }

    /// A schema whose every level refers `fan_out` times to the next, `levels` deep:
    /// `fan_out^levels` leaves if every reference were followed.
    pub(crate) fn fan_out_schema(fan_out: usize, levels: usize) -> Value {
        let mut defs = serde_json::Map::new();
        for level in 0..levels {
            let properties: serde_json::Map<String, Value> = (0..fan_out)
                .map(|i| {
                    (
                        format!("p{i}"),
                        json!({ "$ref": format!("#/$defs/L{}", level + 1), "description": "x".repeat(40) }),
                    )
                })
                .collect();
            defs.insert(format!("L{level}"), json!({ "type": "object", "properties": properties }));
        }
        defs.insert(format!("L{levels}"), json!({ "type": "string" }));
        json!({ "$defs": defs, "$ref": "#/$defs/L0" })
    }

    #[test]
    fn a_schema_that_fans_out_exponentially_gives_a_bounded_declaration() {
        // A level costs two of the depth limit ($ref, property): 8^6 = 262,144 properties, 16 MB if followed.
        let tool = ToolDefinition::new("wide", "Fans out.", fan_out_schema(8, 12));
        let declaration = tool_declaration("demo", &tool);
        assert!(declaration.len() <= Budget::DECLARATION.bytes + 4096, "{} bytes", declaration.len());
        assert!(declaration.contains(CUT_SHORT), "the declaration says it was cut short");
        assert!(declaration.contains("[key: string]: unknown;"), "cut objects stay open");
        let stripped = crate::strip_types("wide.d.ts", &declaration).unwrap();
        assert!(crate::typescript::code_outside_comments(&stripped).chars().all(|c| c == ';'));
    }

    #[test]
    fn a_huge_enum_becomes_unknown_within_the_budget() {
        let values: Vec<Value> = (0..200_000).map(|i| Value::from(format!("value-{i}"))).collect();
        let tool = ToolDefinition::new(
            "pick",
            "Picks.",
            json!({ "type": "object", "properties": { "v": { "enum": values } } }),
        );
        let declaration = tool_declaration("demo", &tool);
        assert!(declaration.len() < 4096, "{} bytes", declaration.len());
        assert!(declaration.contains("v?: unknown;"), "{declaration}");
        // A union that fits keeps every distinct member once, in order.
        let root = json!({});
        let enumerated = json!({ "enum": ["b", "a", "b", 1, "a"] });
        assert_eq!(render(&root, &enumerated), r#""b" | "a" | 1"#);
    }

    #[test]
    fn a_file_of_many_tools_stops_at_its_budget_and_says_how_many_are_left_out() {
        let tools: Vec<ToolDefinition> =
            (0..200).map(|i| ToolDefinition::new(format!("t{i}"), "Fans out.", fan_out_schema(8, 12))).collect();
        let index = crate::tools::tree::index("demo", "Demo.", &tools);
        assert!(index.len() <= Budget::FILE.bytes + 64 * 1024, "{} bytes", index.len());
        assert!(index.contains("more tools are left out"), "the file says tools are missing");
    }

    #[test]
    fn a_tool_without_an_output_schema_promises_unknown() {
        let declaration = tool_declaration("demo", &tool(json!({ "type": "object" }), None));
        assert!(
            declaration.contains("function get_sum(args: { [key: string]: unknown }): Promise<unknown>;"),
            "{declaration}"
        );
    }
}
