//! TypeScript declarations generated from tool schemas, with descriptions as doc comments.
//!
//! A tool becomes `function <alias>(args: <input type>): Promise<<output type>>`
//! inside `declare namespace tools.<server alias>`, which is how a program calls
//! it. Schemas are read as JSON Schema (2020-12, and the draft-07 forms servers
//! still send): types, `enum`/`const`, `anyOf`/`oneOf`/`allOf`, arrays and
//! tuples, objects with `required` and `additionalProperties`, and local `$ref`s
//! into `$defs`/`definitions`. Anything else, or nesting past a depth limit
//! (recursive schemas), is `unknown`.

use std::fmt::Write as _;

use serde_json::Value;

use super::ToolDefinition;
use super::names::{alias, is_identifier};

/// How deep types nest (and `$ref`s are followed) before giving up with `unknown`.
const MAX_DEPTH: usize = 12;

/// The declaration of one tool, ready to read or to put in a `.d.ts` file.
pub fn tool_declaration(server: &str, tool: &ToolDefinition) -> String {
    let mut out = format!("declare namespace tools.{} {{\n", alias(server));
    write_function(&mut out, tool, 1);
    out.push_str("}\n");
    out
}

/// `function name(args: ...): Promise<...>;` with its doc comment, at `indent`.
pub fn write_function(out: &mut String, tool: &ToolDefinition, indent: usize) {
    let pad = "  ".repeat(indent);
    let mut doc = Vec::new();
    if let Some(title) = &tool.title {
        doc.push(title.clone());
    }
    if let Some(description) = &tool.description {
        doc.extend(description.lines().map(str::to_owned));
    }
    if !is_identifier(&tool.name) {
        doc.push(format!("MCP name: `{}`.", tool.name));
    }
    write_doc(out, &pad, &doc);
    let (input, output) = (input_type(tool, indent), output_type(tool, indent));
    let _ = writeln!(out, "{pad}function {}(args: {input}): Promise<{output}>;", alias(&tool.name));
}

/// The TypeScript type of a tool's arguments, laid out for `indent`.
pub fn input_type(tool: &ToolDefinition, indent: usize) -> String {
    Schemas::new(&tool.input_schema).render(&tool.input_schema, indent, 0)
}

/// The TypeScript type of a tool's result: from `outputSchema`, else `unknown`.
pub fn output_type(tool: &ToolDefinition, indent: usize) -> String {
    match &tool.output_schema {
        Some(schema) => Schemas::new(schema).render(schema, indent, 0),
        None => "unknown".to_owned(),
    }
}

/// A `/** ... */` comment of `lines` at `pad` (nothing when there are none).
pub fn write_doc(out: &mut String, pad: &str, lines: &[String]) {
    let lines: Vec<String> = lines.iter().map(|line| line.trim_end().replace("*/", "*\\/")).collect();
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

/// A schema document, so `$ref`s can be followed from anywhere inside it.
struct Schemas<'a> {
    root: &'a Value,
}

impl<'a> Schemas<'a> {
    fn new(root: &'a Value) -> Self {
        Schemas { root }
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let path = reference.strip_prefix("#/")?;
        path.split('/').try_fold(self.root, |node, part| node.get(part.replace("~1", "/").replace("~0", "~")))
    }

    /// The TypeScript type of `schema`, laid out for `indent`.
    fn render(&self, schema: &Value, indent: usize, depth: usize) -> String {
        if depth > MAX_DEPTH {
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
            return literal(value);
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            return union(values.iter().map(literal).collect());
        }
        for (keyword, joiner) in [("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")] {
            if let Some(members) = object.get(keyword).and_then(Value::as_array) {
                let types: Vec<String> = members.iter().map(|m| self.render(m, indent, depth + 1)).collect();
                return join_types(types, joiner);
            }
        }
        match object.get("type") {
            Some(Value::String(kind)) => self.render_kind(kind, object, indent, depth),
            Some(Value::Array(kinds)) => union(
                kinds.iter().filter_map(Value::as_str).map(|k| self.render_kind(k, object, indent, depth)).collect(),
            ),
            _ if object.contains_key("properties") => self.render_kind("object", object, indent, depth),
            _ => "unknown".to_owned(),
        }
    }

    fn render_kind(&self, kind: &str, object: &serde_json::Map<String, Value>, indent: usize, depth: usize) -> String {
        match kind {
            "string" => "string".to_owned(),
            "number" | "integer" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => match object.get("prefixItems").or(object.get("items")) {
                Some(Value::Array(tuple)) => {
                    let types: Vec<String> = tuple.iter().map(|t| self.render(t, indent, depth + 1)).collect();
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

    fn render_object(&self, object: &serde_json::Map<String, Value>, indent: usize, depth: usize) -> String {
        let properties = object.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |r| r.iter().filter_map(Value::as_str).collect());
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
        for (name, schema) in properties.into_iter().flatten() {
            let mut doc = Vec::new();
            if let Some(description) = schema.get("description").and_then(Value::as_str) {
                doc.extend(description.lines().map(str::to_owned));
            }
            if let Some(default) = schema.get("default") {
                doc.push(format!("@default {default}"));
            }
            write_doc(&mut out, &pad, &doc);
            let key = if is_identifier(name) { name.clone() } else { Value::from(name.as_str()).to_string() };
            let optional = if required.contains(&name.as_str()) { "" } else { "?" };
            let _ = writeln!(out, "{pad}{key}{optional}: {};", self.render(schema, indent + 1, depth + 1));
        }
        if let Some(value) = extra {
            let _ = writeln!(out, "{pad}[key: string]: {value};");
        }
        out.push_str(&"  ".repeat(indent));
        out.push('}');
        out
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => "unknown".to_owned(),
        other => other.to_string(),
    }
}

fn union(types: Vec<String>) -> String {
    join_types(types, " | ")
}

fn join_types(mut types: Vec<String>, joiner: &str) -> String {
    let mut seen = Vec::new();
    types.retain(|t| {
        let new = !seen.contains(t);
        seen.push(t.clone());
        new
    });
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
        let schemas = Schemas::new(&root);
        let render = |schema: Value| schemas.render(&schema, 0, 0);
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
    }

    #[test]
    fn recursive_schemas_stop_at_a_depth_limit() {
        let schema = json!({ "$defs": { "Node": { "type": "object", "properties": { "next": { "$ref": "#/$defs/Node" } } } }, "$ref": "#/$defs/Node" });
        let rendered = Schemas::new(&schema).render(&schema, 0, 0);
        assert!(rendered.contains("unknown"), "{rendered}");
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
