//! Checking a call's arguments against the tool's `inputSchema` before the call
//! leaves the host, so a program learns which field is wrong and why.
//!
//! The schema comes from the server, so it is measured before `jsonschema`
//! compiles it, without recursion: one too large, too deeply nested, whose
//! `$ref`s chain too deep or fan out past [`MAX_APPLIED_SUBSCHEMAS`] per
//! instance level, that loops through `$ref`s without descending into the
//! instance (which would recurse forever), or that refers by anything but a
//! local JSON pointer is not compiled: that tool's arguments go unchecked to
//! the server, which checks them itself.

use std::collections::HashMap;

use serde_json::Value;

use crate::tools::text::truncate_chars;

/// At most this many problems are listed in one message.
const MAX_PROBLEMS: usize = 5;
/// Largest schema compiled, in JSON values.
const MAX_SCHEMA_VALUES: usize = 50_000;
/// Deepest JSON nesting of a schema compiled.
const MAX_SCHEMA_DEPTH: usize = 64;
/// Longest chain of subschemas (through applicators and `$ref`s) applied to one
/// level of the arguments.
const MAX_APPLIED_CHAIN: usize = 64;
/// How deep checking may recurse: a level of the arguments times the chain of
/// subschemas applied to it. A debug build overflows a 2 MiB stack (a tokio
/// worker's) past about 2,000.
const MAX_CHECK_RECURSION: usize = 512;
/// Most subschemas applied to one value of the arguments, counting a subschema
/// once per path to it: what one argument value can cost to check.
const MAX_APPLIED_SUBSCHEMAS: u64 = 2_000;
/// Deepest arguments the cost of a recursive schema is reckoned for: the
/// nesting serde_json accepts when it parses a program's arguments.
const MAX_ARGUMENT_DEPTH: usize = 128;

/// Keywords whose subschemas apply to the same instance.
const IN_PLACE: &[&str] = &["allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas"];
/// Keywords whose subschemas apply to values inside the instance.
const DESCENDING: &[&str] = &[
    "properties",
    "patternProperties",
    "additionalProperties",
    "items",
    "prefixItems",
    "additionalItems",
    "contains",
    "unevaluatedItems",
    "unevaluatedProperties",
    "propertyNames",
];
/// Keywords that refer other than by a local JSON pointer, or move the base a pointer resolves against.
const UNSUPPORTED: &[&str] = &["$dynamicRef", "$recursiveRef", "$anchor", "$dynamicAnchor", "$recursiveAnchor"];

/// Longest part of a message that quotes the program's arguments (a value, a
/// property name), in characters.
const MAX_QUOTED_CHARS: usize = 60;
/// Longest description of one problem, in characters (a schema's `enum` of
/// thousands of values would otherwise be quoted whole).
const MAX_PROBLEM_CHARS: usize = 300;
/// Longest signature appended to a message about invalid arguments, in characters.
pub(crate) const MAX_SIGNATURE_CHARS: usize = 400;
/// Most unknown properties named in one problem.
const MAX_UNKNOWN_NAMED: usize = 3;

/// A compiled `inputSchema`, the schema itself (to name the properties it
/// knows), and how deeply nested arguments it can check without recursing past
/// [`MAX_CHECK_RECURSION`].
pub(crate) struct ArgumentSchema {
    validator: jsonschema::Validator,
    schema: Value,
    deepest: usize,
}

impl ArgumentSchema {
    /// Compiles `schema` (JSON Schema 2020-12 unless its `$schema` says
    /// otherwise). `Err` says why it cannot be used; such a tool's arguments go
    /// unchecked to the server, which checks them itself.
    pub(crate) fn compile(schema: &Value) -> Result<ArgumentSchema, String> {
        let chain = measure(schema)?;
        let deepest = MAX_CHECK_RECURSION / chain.max(1);
        let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
        Ok(ArgumentSchema { validator, schema: schema.clone(), deepest })
    }

    /// `Err` lists each field that does not match and why, as
    /// `` `/path`: reason ``: an unknown property with the closest known names,
    /// a wrong value quoted (cut) with what was expected. At most
    /// [`MAX_PROBLEMS`] problems of at most [`MAX_PROBLEM_CHARS`] each.
    pub(crate) fn check(&self, arguments: &Value) -> Result<(), String> {
        let depth = depth(arguments);
        if depth > self.deepest {
            return Err(format!(
                "the arguments nest {depth} levels deep; Sluice checks them against this tool's schema to {} levels",
                self.deepest
            ));
        }
        let mut problems = Vec::new();
        let mut more = 0;
        for error in self.validator.iter_errors(arguments) {
            if problems.len() == MAX_PROBLEMS {
                more += 1;
                continue;
            }
            let path = error.instance_path().to_string();
            let path = if path.is_empty() { "the arguments".to_owned() } else { format!("`{path}`") };
            let reason = self.reason(&error);
            problems.push(truncate_chars(&format!("{path}: {reason}"), MAX_PROBLEM_CHARS).into_owned());
        }
        if problems.is_empty() {
            return Ok(());
        }
        let mut message = problems.join("; ");
        if more > 0 {
            message.push_str(&format!("; and {more} more"));
        }
        if let Some(unnamed) = self.unnamed_properties(arguments) {
            message.push_str("; ");
            message.push_str(&unnamed);
        }
        Err(message)
    }

    /// Why one value does not match, in words a program can act on.
    fn reason(&self, error: &jsonschema::ValidationError<'_>) -> String {
        use jsonschema::error::ValidationErrorKind as Kind;
        match error.kind() {
            Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
                // The schema object that holds the keyword lists the properties it knows.
                let location = error.schema_path().to_string();
                let parent = location.rsplit_once('/').map_or("", |(parent, _)| parent);
                let known: Vec<&str> = self
                    .schema
                    .pointer(parent)
                    .and_then(|schema| schema.get("properties"))
                    .and_then(Value::as_object)
                    .map(|properties| properties.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let mut named: Vec<String> = unexpected
                    .iter()
                    .take(MAX_UNKNOWN_NAMED)
                    .map(|name| {
                        let shown = truncate_chars(name, MAX_QUOTED_CHARS);
                        format!("`{shown}`{}", crate::suggest::did_you_mean(name, known.iter().copied()))
                    })
                    .collect();
                if unexpected.len() > MAX_UNKNOWN_NAMED {
                    named.push(format!("{} more", unexpected.len() - MAX_UNKNOWN_NAMED));
                }
                let noun = if unexpected.len() == 1 { "property" } else { "properties" };
                format!("unknown {noun} {}", named.join(", "))
            }
            Kind::Required { .. } => error.masked().to_string(),
            _ => {
                let value = truncate_chars(&error.instance().to_string(), MAX_QUOTED_CHARS).into_owned();
                error.masked_with(value).to_string()
            }
        }
    }

    /// Top-level arguments the schema's `properties` do not name, when the
    /// schema lets them through anyway: with the closest known names, since a
    /// misspelt property is the usual reason a required one is missing.
    fn unnamed_properties(&self, arguments: &Value) -> Option<String> {
        let known = self.schema.get("properties")?.as_object()?;
        if self.schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            return None; // Reported by the validator already.
        }
        let unknown: Vec<&String> = arguments.as_object()?.keys().filter(|key| !known.contains_key(*key)).collect();
        let mut named: Vec<String> = unknown
            .iter()
            .take(MAX_UNKNOWN_NAMED)
            .map(|name| {
                let shown = truncate_chars(name, MAX_QUOTED_CHARS);
                format!("`{shown}`{}", crate::suggest::did_you_mean(name, known.keys().map(String::as_str)))
            })
            .collect();
        match unknown.len() {
            0 => return None,
            n if n > MAX_UNKNOWN_NAMED => named.push(format!("{} more", n - MAX_UNKNOWN_NAMED)),
            _ => {}
        }
        let noun = if unknown.len() == 1 { "a property" } else { "properties" };
        Some(
            truncate_chars(
                &format!(
                    "{} {} not {noun} of this tool",
                    named.join(", "),
                    if unknown.len() == 1 { "is" } else { "are" }
                ),
                MAX_PROBLEM_CHARS,
            )
            .into_owned(),
        )
    }
}

/// How deeply `value` nests (a scalar is 1), found without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        match value {
            Value::Object(object) => stack.extend(object.values().map(|child| (child, depth + 1))),
            Value::Array(items) => stack.extend(items.iter().map(|child| (child, depth + 1))),
            _ => {}
        }
    }
    deepest
}

/// Refuses (saying why) a schema too costly or unsafe to compile; see the
/// module docs. Otherwise, the longest chain of subschemas one level of the
/// arguments passes through.
fn measure(root: &Value) -> Result<usize, String> {
    // Size and depth, with an explicit stack.
    let mut values = 0usize;
    let mut stack = vec![(root, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        values += 1;
        if values > MAX_SCHEMA_VALUES {
            return Err(format!("the schema has over {MAX_SCHEMA_VALUES} values"));
        }
        if depth > MAX_SCHEMA_DEPTH {
            return Err(format!("the schema nests over {MAX_SCHEMA_DEPTH} levels deep"));
        }
        match value {
            Value::Object(object) => {
                if let Some(keyword) = UNSUPPORTED.iter().find(|k| object.contains_key(**k)) {
                    return Err(format!("the schema uses {keyword}"));
                }
                if depth > 1
                    && (object.contains_key("$id") || object.contains_key("id") && object.contains_key("$schema"))
                {
                    return Err("the schema has an embedded $id".to_owned());
                }
                if let Some(reference) = object.get("$ref").and_then(Value::as_str)
                    && !(reference.starts_with('#')
                        && !reference.contains('%')
                        && root.pointer(&reference[1..]).is_some())
                {
                    return Err("the schema has a $ref that is not a local JSON pointer into it".to_owned());
                }
                stack.extend(object.values().map(|child| (child, depth + 1)));
            }
            Value::Array(items) => stack.extend(items.iter().map(|child| (child, depth + 1))),
            _ => {}
        }
    }
    applied_cost(root)
}

/// The subschemas of a schema document as a graph: which apply to the same
/// instance (in place, `$ref` included) and which to values inside it.
struct Graph {
    in_place: Vec<Vec<usize>>,
    descending: Vec<Vec<usize>>,
}

impl Graph {
    /// Every subschema reachable from `root`, found without recursion.
    fn of(root: &Value) -> Graph {
        let mut ids: HashMap<usize, usize> = HashMap::new();
        let mut graph = Graph { in_place: Vec::new(), descending: Vec::new() };
        let mut pending = vec![root];
        ids.insert(std::ptr::from_ref(root) as usize, 0);
        graph.in_place.push(Vec::new());
        graph.descending.push(Vec::new());
        while let Some(schema) = pending.pop() {
            let from = ids[&(std::ptr::from_ref(schema) as usize)];
            for (child, descending) in subschemas(root, schema) {
                let next = ids.len();
                let to = *ids.entry(std::ptr::from_ref(child) as usize).or_insert_with(|| {
                    pending.push(child);
                    next
                });
                if to == next {
                    graph.in_place.push(Vec::new());
                    graph.descending.push(Vec::new());
                }
                if descending { graph.descending[from].push(to) } else { graph.in_place[from].push(to) }
            }
        }
        graph
    }

    /// The subschemas in an order where each comes before those it applies in
    /// place; `Err` if they loop without descending (which would never end).
    fn in_place_order(&self) -> Result<Vec<usize>, String> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; self.in_place.len()];
        let mut finished = Vec::with_capacity(state.len());
        for start in 0..state.len() {
            if state[start] != NEW {
                continue;
            }
            state[start] = OPEN;
            let mut path = vec![(start, 0usize)];
            while let Some((node, next)) = path.last_mut() {
                match self.in_place[*node].get(*next).copied() {
                    Some(child) => {
                        *next += 1;
                        match state[child] {
                            OPEN => {
                                return Err(
                                    "the schema refers to itself without descending into the arguments".to_owned()
                                );
                            }
                            NEW => {
                                state[child] = OPEN;
                                path.push((child, 0));
                            }
                            _ => {}
                        }
                    }
                    None => {
                        state[*node] = DONE;
                        finished.push(*node);
                        path.pop();
                    }
                }
            }
        }
        finished.reverse();
        Ok(finished)
    }

    /// The longest chain of subschemas from the root (loops cut where they close).
    fn longest_chain(&self) -> usize {
        let mut length: Vec<Option<usize>> = vec![None; self.in_place.len()];
        let mut open = vec![false; self.in_place.len()];
        let children = |node: usize| self.in_place[node].iter().chain(&self.descending[node]).copied();
        let mut path = vec![(0usize, 0usize, 0usize)];
        open[0] = true;
        while let Some((node, next, longest)) = path.last_mut() {
            match children(*node).nth(*next) {
                Some(child) => {
                    *next += 1;
                    if let Some(below) = length[child] {
                        *longest = (*longest).max(below);
                    } else if !open[child] {
                        open[child] = true;
                        path.push((child, 0, 0));
                    }
                }
                None => {
                    let (node, _, longest) = path.pop().expect("the loop holds a top");
                    open[node] = false;
                    length[node] = Some(longest + 1);
                    if let Some(parent) = path.last_mut() {
                        parent.2 = parent.2.max(longest + 1);
                    }
                }
            }
        }
        length[0].unwrap_or(1)
    }
}

/// The subschemas applied to `schema`'s instance (in place, `false`) and to values inside it (`true`).
fn subschemas<'a>(root: &'a Value, schema: &'a Value) -> Vec<(&'a Value, bool)> {
    let Some(object) = schema.as_object() else { return Vec::new() };
    let mut found = Vec::new();
    let mut add = |value: &'a Value, descending: bool, map_of_schemas: bool| match value {
        Value::Array(items) => found.extend(items.iter().map(|item| (item, descending))),
        Value::Object(map) if map_of_schemas => found.extend(map.values().map(|item| (item, descending))),
        Value::Object(_) | Value::Bool(_) => found.push((value, descending)),
        _ => {}
    };
    for keyword in IN_PLACE {
        if let Some(value) = object.get(*keyword) {
            add(value, false, *keyword == "dependentSchemas");
        }
    }
    for keyword in DESCENDING {
        if let Some(value) = object.get(*keyword) {
            add(value, true, matches!(*keyword, "properties" | "patternProperties"));
        }
    }
    if let Some(target) = object.get("$ref").and_then(Value::as_str).and_then(|r| root.pointer(&r[1..])) {
        found.push((target, false));
    }
    found
}

/// Checks what applying the schema can cost: no loop that does not descend,
/// chains of at most [`MAX_APPLIED_CHAIN`], and at most [`MAX_APPLIED_SUBSCHEMAS`]
/// subschemas applied to any one value of arguments nested up to
/// [`MAX_ARGUMENT_DEPTH`] deep (a recursive schema that applies itself twice
/// per level would otherwise cost 2^depth).
fn applied_cost(root: &Value) -> Result<usize, String> {
    let graph = Graph::of(root);
    let order = graph.in_place_order()?;
    // The longest chain applied in place, plus the step into the next level.
    let mut chain = vec![1usize; order.len()];
    for &node in order.iter().rev() {
        chain[node] = 1 + graph.in_place[node].iter().map(|child| chain[*child]).max().unwrap_or(0);
    }
    let per_level = chain.iter().max().copied().unwrap_or(1) + 1;
    if graph.longest_chain() > MAX_APPLIED_CHAIN {
        return Err(format!("the schema applies subschemas in chains over {MAX_APPLIED_CHAIN} long"));
    }
    let too_many = || Err(format!("the schema can apply over {MAX_APPLIED_SUBSCHEMAS} subschemas to one value"));
    let mut counts = vec![0u64; order.len()];
    counts[0] = 1;
    for _ in 0..=MAX_ARGUMENT_DEPTH {
        let mut applied = 0u64;
        for &node in &order {
            let count = counts[node];
            if count == 0 {
                continue;
            }
            applied = applied.saturating_add(count);
            for &child in &graph.in_place[node] {
                counts[child] = counts[child].saturating_add(count);
            }
        }
        if applied > MAX_APPLIED_SUBSCHEMAS {
            return too_many();
        }
        let mut next = vec![0u64; order.len()];
        for (node, &count) in counts.iter().enumerate().filter(|(_, count)| **count > 0) {
            for &child in &graph.descending[node] {
                next[child] = next[child].saturating_add(count);
            }
        }
        if next.iter().all(|count| *count == 0) {
            break;
        }
        counts = next;
    }
    Ok(per_level)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_the_field_and_the_reason() {
        let schema = ArgumentSchema::compile(&json!({
            "type": "object",
            "properties": { "owner": { "type": "string" }, "per_page": { "type": "integer", "maximum": 100 } },
            "required": ["owner"],
        }))
        .unwrap();
        assert_eq!(schema.check(&json!({ "owner": "a", "per_page": 5 })), Ok(()));
        let error = schema.check(&json!({ "owner": 5, "per_page": 500 })).unwrap_err();
        assert!(error.contains("`/owner`") && error.contains("string"), "{error}");
        assert!(error.contains("`/per_page`") && error.contains("100"), "{error}");
        let error = schema.check(&json!({})).unwrap_err();
        assert!(error.starts_with("the arguments:") && error.contains("owner"), "{error}");
    }

    #[test]
    fn an_unknown_property_gets_the_closest_known_names_and_a_wrong_value_is_quoted() {
        let schema = ArgumentSchema::compile(&json!({
            "type": "object",
            "properties": { "owner": { "type": "string" }, "per_page": { "type": "integer" } },
            "additionalProperties": false,
        }))
        .unwrap();
        let error = schema.check(&json!({ "owner": 5, "perpage": 10 })).unwrap_err();
        assert!(error.contains("unknown property `perpage` (did you mean `per_page`?)"), "{error}");
        assert!(error.contains("`/owner`: 5 is not of type \"string\""), "{error}");
    }

    #[test]
    fn a_misspelt_property_a_lenient_schema_lets_through_is_named_when_the_call_fails() {
        let schema = ArgumentSchema::compile(&json!({
            "type": "object",
            "properties": { "a": { "type": "number" }, "b": { "type": "number" } },
            "required": ["a", "b"],
        }))
        .unwrap();
        let error = schema.check(&json!({ "a": 1, "bb": 2 })).unwrap_err();
        assert!(
            error.contains("\"b\" is a required property; `bb` (did you mean `b`?) is not a property of this tool"),
            "{error}"
        );
        assert!(schema.check(&json!({ "a": 1, "b": 2, "extra": 3 })).is_ok(), "an allowed extra alone is no problem");
    }

    #[test]
    fn messages_stay_bounded_however_hostile_the_schema_or_the_arguments() {
        let options: Vec<Value> = (0..5_000).map(|i| json!(format!("option-{i}-{}", "x".repeat(50)))).collect();
        let schema = ArgumentSchema::compile(&json!({
            "type": "object",
            "properties": { "choice": { "enum": options }, "name": { "type": "string" } },
            "additionalProperties": false,
        }))
        .unwrap();
        let mut arguments: serde_json::Map<String, Value> =
            (0..1_000).map(|i| (format!("{i}{}", "n".repeat(10_000)), json!(i))).collect();
        arguments.insert("choice".to_owned(), json!("y".repeat(100_000)));
        arguments.insert("name".to_owned(), Value::Array(vec![json!(1); 10_000]));
        let error = schema.check(&Value::Object(arguments)).unwrap_err();
        assert!(error.len() < (MAX_PROBLEMS + 1) * MAX_PROBLEM_CHARS * 4, "{} bytes", error.len());
        assert!(error.contains("unknown properties") && error.contains("997 more"), "{error}");
    }

    #[test]
    fn the_default_dialect_is_2020_12() {
        // `prefixItems` exists only from 2020-12 on.
        let schema = ArgumentSchema::compile(&json!({
            "type": "object",
            "properties": { "pair": { "type": "array", "prefixItems": [{ "type": "string" }] } },
        }))
        .unwrap();
        assert!(schema.check(&json!({ "pair": [1] })).is_err());
    }

    fn refused(schema: &Value) -> String {
        let shown: String = schema.to_string().chars().take(200).collect();
        ArgumentSchema::compile(schema).err().unwrap_or_else(|| panic!("compiled: {shown}…"))
    }

    /// `levels` definitions, each applying the next `fan_out` times in place.
    fn fanning_out(fan_out: usize, levels: usize) -> Value {
        let defs: serde_json::Map<String, Value> = (0..levels)
            .map(|i| {
                (format!("A{i}"), json!({ "allOf": vec![json!({ "$ref": format!("#/$defs/A{}", i + 1) }); fan_out] }))
            })
            .chain([(format!("A{levels}"), json!({ "type": "object" }))])
            .collect();
        json!({ "$defs": defs, "$ref": "#/$defs/A0" })
    }

    #[test]
    fn a_schema_that_refers_to_itself_without_descending_is_not_compiled() {
        assert!(refused(&json!({ "$ref": "#" })).contains("without descending"));
        let cycle = json!({
            "$defs": { "A": { "allOf": [{ "$ref": "#/$defs/B" }] }, "B": { "anyOf": [{ "$ref": "#/$defs/A" }] } },
            "$ref": "#/$defs/A",
        });
        assert!(refused(&cycle).contains("without descending"));
    }

    #[test]
    fn a_schema_whose_refs_fan_out_is_not_compiled_but_a_recursive_tree_is() {
        // 2^25 subschemas applied to the arguments, if it were compiled.
        assert!(refused(&fanning_out(2, 25)).contains("subschemas to one value"));
        // Twice per level of the arguments: 2^depth.
        let doubling = json!({
            "$defs": {
                "A": { "allOf": [{ "$ref": "#/$defs/B" }, { "$ref": "#/$defs/B" }] },
                "B": { "type": "object", "properties": { "x": { "$ref": "#/$defs/A" } } },
            },
            "$ref": "#/$defs/A",
        });
        assert!(refused(&doubling).contains("subschemas to one value"));
        let tree = json!({
            "$defs": { "Node": { "type": "object", "properties": {
                "name": { "type": "string" },
                "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } },
            } } },
            "$ref": "#/$defs/Node",
        });
        let schema = ArgumentSchema::compile(&tree).unwrap();
        assert!(schema.check(&json!({ "name": "a", "children": [{ "name": "b", "children": [] }] })).is_ok());
        assert!(schema.check(&json!({ "children": [{ "name": 5 }] })).unwrap_err().contains("/children/0/name"));
        assert!(ArgumentSchema::compile(&fanning_out(2, 8)).is_ok(), "256 is within bounds");
    }

    #[test]
    fn schemas_too_deep_too_large_or_chained_too_long_are_not_compiled() {
        let mut deep = json!({ "type": "string" });
        for _ in 0..100 {
            deep = json!({ "type": "array", "items": deep });
        }
        assert!(refused(&deep).contains("levels deep"));
        let large: serde_json::Map<String, Value> = (0..60_000).map(|i| (format!("p{i}"), json!(true))).collect();
        assert!(refused(&json!({ "type": "object", "properties": large })).contains("values"));
        assert!(refused(&fanning_out(1, 1000)).contains("chains"));
    }

    #[test]
    fn schemas_and_arguments_at_the_limits_are_checked_on_a_small_stack() {
        // Tokio's worker threads have 2 MiB stacks, as this one.
        let checked = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let mut deep = json!({ "type": "string" });
                let mut instance = json!(1);
                for _ in 0..30 {
                    deep = json!({ "type": "array", "items": deep });
                    instance = json!([instance]);
                }
                assert!(ArgumentSchema::compile(&deep).unwrap().check(&instance).is_err());
                assert!(ArgumentSchema::compile(&fanning_out(1, 31)).unwrap().check(&json!({})).is_ok());
                let tree = json!({
                    "$defs": { "Node": { "type": "object", "properties": { "child": { "$ref": "#/$defs/Node" } } } },
                    "$ref": "#/$defs/Node",
                });
                let mut nested = json!({ "child": 5 });
                for _ in 0..126 {
                    nested = json!({ "child": nested });
                }
                ArgumentSchema::compile(&tree).unwrap().check(&nested).unwrap_err()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(checked.contains("/child/child"), "{checked}");
    }

    #[test]
    fn arguments_nested_deeper_than_their_schema_can_be_checked_are_refused_on_a_small_stack() {
        let refusal = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                // Each level of the arguments passes through ten `$ref`s and `allOf`s.
                let mut defs = serde_json::Map::new();
                for i in 0..10 {
                    defs.insert(format!("W{i}"), json!({ "allOf": [{ "$ref": format!("#/$defs/W{}", i + 1) }] }));
                }
                let node = json!({ "type": "object", "properties": { "child": { "$ref": "#/$defs/W0" } } });
                defs.insert("W10".to_owned(), node);
                let schema = ArgumentSchema::compile(&json!({ "$defs": defs, "$ref": "#/$defs/W0" })).unwrap();
                let mut nested = json!({ "child": 5 });
                for _ in 0..126 {
                    nested = json!({ "child": nested });
                }
                schema.check(&nested).unwrap_err()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(refusal.contains("nest 128 levels deep"), "{refusal}");
    }

    #[test]
    fn refs_other_than_local_pointers_into_the_schema_are_not_compiled() {
        let anchored = refused(&json!({ "$defs": { "a": { "$anchor": "a" } }, "$ref": "#a" }));
        assert!(anchored.contains("$anchor") || anchored.contains("local JSON pointer"), "{anchored}");
        assert!(refused(&json!({ "$defs": { "a": { "$anchor": "a" } } })).contains("$anchor"));
        assert!(refused(&json!({ "$defs": { "a b": {} }, "$ref": "#/$defs/a%20b" })).contains("local JSON pointer"));
        assert!(refused(&json!({ "$ref": "#/$defs/missing" })).contains("local JSON pointer"));
    }

    #[test]
    fn a_schema_that_cannot_be_compiled_says_why() {
        assert!(ArgumentSchema::compile(&json!({ "type": 12 })).is_err());
        assert!(ArgumentSchema::compile(&json!({ "$ref": "https://example.com/schema.json" })).is_err());
    }
}
