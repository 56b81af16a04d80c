//! Answers to a server that asks for input during a call (MCP elicitation).
//!
//! The program never sees the question: it gets only the tool's result. What
//! Sluice answers is the embedder's choice, [`Elicitation`]: decline (the
//! default: no one is there to ask), or accept with the defaults the server's
//! form gives (SEP-1034), which answers only a form whose every required field
//! has a default. A URL-mode request (open a page) is always declined.

use rmcp::model::{ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability};
use serde_json::{Map, Value};

/// How Sluice answers a server's request for input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Elicitation {
    /// Decline every request (the default).
    #[default]
    Decline,
    /// Accept a form with the defaults its schema gives; decline a form with a
    /// required field that has none.
    AcceptDefaults,
}

impl Elicitation {
    /// The name a flag takes: `decline` or `accept-defaults`.
    pub fn from_name(name: &str) -> Option<Elicitation> {
        match name {
            "decline" => Some(Elicitation::Decline),
            "accept-defaults" => Some(Elicitation::AcceptDefaults),
            _ => None,
        }
    }

    /// The capability to declare in the handshake: forms and URLs when runs'
    /// askers are asked first, forms when this policy accepts them, else none
    /// (every request would be declined).
    pub(super) fn capability(self, ask_runs: bool) -> Option<ElicitationCapability> {
        let mut capability = ElicitationCapability::new();
        match (self, ask_runs) {
            (_, true) => {
                capability.form = Some(Default::default());
                capability.url = Some(Default::default());
            }
            (Elicitation::AcceptDefaults, false) => capability.form = Some(Default::default()),
            (Elicitation::Decline, false) => return None,
        }
        Some(capability)
    }

    /// The answer to `request`.
    pub(super) fn answer(self, request: &ElicitRequestParams) -> ElicitResult {
        let decline = ElicitResult::new(ElicitationAction::Decline);
        let (Elicitation::AcceptDefaults, ElicitRequestParams::FormElicitationParams { requested_schema, .. }) =
            (self, request)
        else {
            return decline;
        };
        match serde_json::to_value(requested_schema).ok().as_ref().and_then(defaults) {
            Some(content) => ElicitResult::new(ElicitationAction::Accept).with_content(Value::Object(content)),
            None => decline,
        }
    }
}

/// The defaults of a form's fields, or `None` if a required field has none.
fn defaults(schema: &Value) -> Option<Map<String, Value>> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut content = Map::new();
    for (name, property) in properties.into_iter().flatten() {
        if let Some(default) = property.get("default") {
            content.insert(name.clone(), default.clone());
        }
    }
    let required = schema.get("required").and_then(Value::as_array);
    let all_given =
        required.into_iter().flatten().all(|name| name.as_str().is_some_and(|name| content.contains_key(name)));
    all_given.then_some(content)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(schema: Value) -> ElicitRequestParams {
        serde_json::from_value(json!({ "mode": "form", "message": "?", "requestedSchema": schema })).unwrap()
    }

    #[test]
    fn accepting_defaults_fills_every_field_that_has_one() {
        let request = form(json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "default": "John Doe" },
                "age": { "type": "integer", "default": 30 },
                "verified": { "type": "boolean", "default": true },
                "note": { "type": "string" },
            },
        }));
        let answer = Elicitation::AcceptDefaults.answer(&request);
        assert_eq!(answer.action, ElicitationAction::Accept);
        assert_eq!(answer.content, Some(json!({ "name": "John Doe", "age": 30, "verified": true })));
    }

    #[test]
    fn a_required_field_without_a_default_is_declined_and_so_is_everything_by_default() {
        let request = form(json!({
            "type": "object",
            "properties": { "token": { "type": "string" } },
            "required": ["token"],
        }));
        assert_eq!(Elicitation::AcceptDefaults.answer(&request).action, ElicitationAction::Decline);
        let easy = form(json!({ "type": "object", "properties": { "a": { "type": "string", "default": "x" } } }));
        assert_eq!(Elicitation::Decline.answer(&easy).action, ElicitationAction::Decline);
        assert!(Elicitation::Decline.capability(false).is_none());
        let asked = Elicitation::Decline.capability(true).unwrap();
        assert!(asked.form.is_some() && asked.url.is_some(), "an asker may take either mode");
    }
}
