//! Checking a call's arguments against the tool's `inputSchema` before the call
//! leaves the host, so a program learns which field is wrong and why.

use serde_json::Value;

/// At most this many problems are listed in one message.
const MAX_PROBLEMS: usize = 5;

/// A compiled `inputSchema`.
pub(crate) struct ArgumentSchema(jsonschema::Validator);

impl ArgumentSchema {
    /// Compiles `schema` (JSON Schema 2020-12 unless its `$schema` says
    /// otherwise). `Err` says why it cannot be used; such a tool's arguments go
    /// unchecked to the server, which checks them itself.
    pub(crate) fn compile(schema: &Value) -> Result<ArgumentSchema, String> {
        jsonschema::validator_for(schema).map(ArgumentSchema).map_err(|e| e.to_string())
    }

    /// `Err` lists each field that does not match and why, as
    /// `` `/path`: reason ``.
    pub(crate) fn check(&self, arguments: &Value) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut more = 0;
        for error in self.0.iter_errors(arguments) {
            if problems.len() == MAX_PROBLEMS {
                more += 1;
                continue;
            }
            let path = error.instance_path().to_string();
            let path = if path.is_empty() { "the arguments".to_owned() } else { format!("`{path}`") };
            problems.push(format!("{path}: {}", error.masked()));
        }
        if problems.is_empty() {
            return Ok(());
        }
        let mut message = problems.join("; ");
        if more > 0 {
            message.push_str(&format!("; and {more} more"));
        }
        Err(message)
    }
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
    fn the_default_dialect_is_2020_12() {
        // `prefixItems` exists only from 2020-12 on.
        let schema = ArgumentSchema::compile(&json!({
            "type": "object",
            "properties": { "pair": { "type": "array", "prefixItems": [{ "type": "string" }] } },
        }))
        .unwrap();
        assert!(schema.check(&json!({ "pair": [1] })).is_err());
    }

    #[test]
    fn a_schema_that_cannot_be_compiled_says_why() {
        assert!(ArgumentSchema::compile(&json!({ "type": 12 })).is_err());
        assert!(ArgumentSchema::compile(&json!({ "$ref": "https://example.com/schema.json" })).is_err());
    }
}
