//! Tool results reach JavaScript exactly as `JSON.parse` would make them, whichever path builds them, and hostile ones stay contained.
//!
//! The interpreter builds a result's values natively from its JSON bytes
//! (`sandboxes/js/src/json.rs`) and reads a text block's JSON inside the
//! envelope's string; anything it cannot make exactly goes through QuickJS's
//! own parser. These tests hand tricky documents to a program through real tool
//! calls, in each shape a result can take, and have the program compare what it
//! got with QuickJS's `JSON.parse` of the same text: values, `-0`, key order,
//! property descriptors, prototypes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sluice::{
    ExecutionPolicy, InProcessTools, LimitKind, RunControl, RunOutcome, RunStatus, ToolDefinition, ToolHost, ToolResult,
};

use crate::javascript::javascript;
use crate::support::stdout;

/// Documents that are JSON (each a trap for a builder that is almost right),
/// and texts that are not (a tool's value is then the text itself).
fn documents() -> Vec<String> {
    let mut documents: Vec<String> = [
        r#"{"a":1,"b":2,"a":3}"#,
        r#"{"a":{"x":1},"b":[1],"a":{"y":2}}"#,
        r#"{"__proto__":{"polluted":true},"y":2}"#,
        r#"[{"__proto__":null},{"__proto__":[1]}]"#,
        r#"{"b":1,"2":2,"1":3,"a":4,"4294967295":5,"4294967294":6,"01":7,"-1":8,"1.5":9,"0":10}"#,
        r#"[-0,0,-0.0,0e5,-0e-5,1e400,-1e400,1e-400,-1e-400,123456789012345678901234567890,9007199254740993]"#,
        r#"[0.1,0.30000000000000004,1.7976931348623157e308,5e-324,2.2250738585072014e-308,1E2,1e+2,1e-2,4.35]"#,
        r#"[12345678901234567,999999999999999,1000000000000000,2147483647,2147483648,-2147483648,-2147483649]"#,
        r#"[179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999999999999999999999999999999999999999999999999999999999999]"#,
        r#""\ud800""#,
        r#"["\udc00x","a\ud83d","\ud83d\u0041","\ude00\ud83d"]"#,
        r#"{"\ud800":1}"#,
        r#""\ud83d\ude00 \uD83D\uDE00""#,
        "\"😀 é 中 \u{2028} \u{10ffff}\"",
        r#"["\u00e9\u4e2d\u0000\u001f","\"\\\/\b\f\n\r\t","\u0041\u00ff\u0100"]"#,
        r#"{"\u0063ontent":1,"é":2,"Ã©":3,"😀":4,"":5,"a\u0000b":6,"\u00e9":7}"#,
        r#"{"content":[{"type":"text","text":"inner"}]}"#,
        r#"[[],{},[{}],{"a":[]},[[[]]],""]"#,
        "[]",
        "{}",
        "\"\"",
        " \t\n\r[ 1 ,\n 2 ]\r\n ",
        "{ \"a\" : [ true , false , null ] }",
        "true",
        "false",
        "null",
        "42",
        "-7.5e-3",
        "\"a string\"",
        r#"{"s":"he said \"hi\" \\ path C:\\dir\\"}"#,
        "[\"tab\\tin\", \"new\\nline\"]",
        // Not JSON: the program gets the text.
        "just words",
        "",
        " ",
        r#"{"a":1,}"#,
        "[1,]",
        "01",
        "1.",
        ".5",
        "+1",
        "-",
        "NaN",
        "Infinity",
        "{'a':1}",
        "tru",
        "nul",
        "[1] x",
        "\u{b}[1]",
        "\u{c}[1]",
        "\u{feff}[1]",
        r#""\x""#,
        r#""\u12""#,
        r#""\u12G4""#,
        "\"abc",
        r#"{"a" 1}"#,
        "[1,2",
        "\"a\tb\"",
        "\"a\nb\"",
        r#"{"a":1}{"b":2}"#,
        r#"[1 2]"#,
        "/* comment */ 1",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // Deep, up to the deepest a result may be.
    for depth in [100, 1000, 9_999, 10_000] {
        documents.push(format!("{}1{}", "[".repeat(depth), "]".repeat(depth)));
        documents.push(format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth)));
    }
    // Records whose key sequences share prefixes, repeat a key, look like indices,
    // hold `__proto__`, or are longer than the builder keeps for pinning shapes.
    let wide: String = (0..70).map(|k| format!("\"k{k}\":{k}")).collect::<Vec<_>>().join(",");
    let mixed: Vec<String> = (0..300)
        .map(|n| match n % 5 {
            0 => format!(r#"{{"a":{n},"b":1,"c":2}}"#),
            1 => format!(r#"{{"a":{n},"b":1,"d":2,"c":3}}"#),
            2 => format!(r#"{{"2":{n},"1":0,"__proto__":{{"x":1}},"a":1}}"#),
            3 => format!(r#"{{"a":{n},"a":2,"b":3,"a":4}}"#),
            _ => format!("{{{wide},\"n\":{n}}}"),
        })
        .collect();
    documents.push(format!("[{}]", mixed.join(",")));
    // Records made whole from a shape: one that is a prefix of the last, in another
    // order, one fewer key, a key too long to cache between two that are cached.
    let long_key = "k".repeat(70);
    documents.push(format!(
        r#"[{{"a":1,"b":2}},{{"a":1,"b":2,"c":3}},{{"a":1}},{{"b":2,"a":1}},{{"a":1,"b":2}},{{"x":1,"{long_key}":2,"y":3}},{{"x":1,"{long_key}":2,"y":3}},{{"x":{{"a":1,"b":2}},"y":[{{"b":2,"a":1}}]}}]"#
    ));
    // Short strings of every length a key or value is cached by its bytes, the
    // last one right at the end of the input (read there without 16 bytes to spare).
    let shorts: Vec<String> = (0..4_000)
        .map(|n| {
            let len = 1 + n % 17;
            let text: String = (0..len).map(|i| char::from(b'a' + ((n / 17 + i) % 26) as u8)).collect();
            format!(r#"{{"{text}":"{text}","k{}":"{text}"}}"#, n % 3)
        })
        .collect();
    documents.push(format!(r#"[{},"z"]"#, shorts.join(",")));
    // Large: many records with the same keys, and a long flat array.
    let records: Vec<Value> = (0..20_000)
        .map(|n| json!({ "number": n, "title": format!("Issue {n} é\"q\""), "labels": ["bug"], "open": n % 2 == 0, "ratio": n as f64 / 7.0 }))
        .collect();
    documents.push(Value::Array(records.clone()).to_string());
    // The same records pretty-printed, as many servers send them: whitespace
    // around every key, colon and comma of records read by the expected keys.
    documents.push(serde_json::to_string_pretty(&Value::Array(records[..2_000].to_vec())).unwrap());
    // Records whose next one has an expected key as a prefix, longer, escaped, or
    // a value of another type at a key's place.
    let variants: Vec<String> = (0..600)
        .map(|n| match n % 6 {
            0 | 1 => format!(r#"{{"id":{n},"name":"n{n}","tag":"t"}}"#),
            2 => format!(r#"{{"id":{n},"nam":"n{n}","tag":"t"}}"#),
            3 => format!(r#"{{"id":{n},"names":"n{n}","tag":"t"}}"#),
            4 => format!(r#"{{"id":"{n}","name":[{n}],"tag":{{"t":-0}}}}"#),
            _ => format!(r#"{{ "id" :{n} ,"names":"n{n}" , "tag" : "t" }}"#),
        })
        .collect();
    documents.push(format!("[{}]", variants.join(",")));
    // Records whose members are records, arrays and literals, read inside the
    // record they belong to until something else comes: nested past the depth
    // that is read that way, an array whose elements change kind partway
    // (after its first element, after its last), a nested record whose keys
    // change, empty ones, and whitespace inside each.
    let nested: Vec<String> = (0..900)
        .map(|n| match n % 9 {
            0..=2 => format!(
                r#"{{"id":{n},"user":{{"login":"u{n}","site":{{"a":{{"b":{{"c":{{"d":{{"e":{n}}}}}}}}}}}}},"labels":["bug","p{n}"],"ok":true,"gone":null,"off":false}}"#
            ),
            3 => format!(
                r#"{{"id":{n},"user":{{"login":"u{n}","site":[{n},"x",{{"k":[[1],true]}},null]}},"labels":["bug",{n},[]],"ok":false,"gone":null,"off":true}}"#
            ),
            4 => format!(
                r#"{{"id":{n},"user":{{"name":"u{n}","login":{{}}}},"labels":[{{"a":1}},"bug"],"ok":[ ],"gone":{{ }},"off":"x"}}"#
            ),
            5 => format!(
                r#"{{ "id" : {n} , "user" : {{ "login" : "u{n}" , "site" : [ {n} , "x" ] }} , "labels" : [ "bug" , -{n}.5e1 ] , "ok" : true , "gone" : null , "off" : false }}"#
            ),
            6 => format!(r#"{{"id":{n},"user":{{"login":"u{n}","site":[true]}},"labels":["a",false],"ok":true}}"#),
            7 => format!(r#"{{"id":{n},"user":{{"login":"u{n}","site":{{"__proto__":{{"x":1}},"1":2}}}},"labels":["\u00e9\"",{n}],"ok":1e400}}"#),
            _ => format!(r#"{{"id":{n},"user":{{"login":"u{n}"}},"labels":["bug"],"user":{{"login":"again"}}}}"#),
        })
        .collect();
    documents.push(format!("[{}]", nested.join(",")));
    documents
        .push(format!("[{}]", (0..100_000).map(|n| (n * 7919 % 100_003).to_string()).collect::<Vec<_>>().join(",")));
    documents
}

/// A tool per shape a result can take, each answering with `documents()[i]`.
fn tools(documents: Arc<Vec<String>>) -> Arc<dyn ToolHost> {
    let any = json!({ "type": "object" });
    let tool = |name: &str| ToolDefinition::new(name, "Answers with a test document.", any.clone());
    let pick = |documents: &Arc<Vec<String>>, args: &serde_json::Map<String, Value>| {
        documents[args["i"].as_u64().expect("an index") as usize].clone()
    };
    let (d1, d2, d3, d4, d5) = (documents.clone(), documents.clone(), documents.clone(), documents.clone(), documents);
    Arc::new(
        InProcessTools::new()
            // `{"content":[{"type":"text","text":...}],"isError":false}`
            .with_tool("docs", tool("text"), move |args| {
                let text = pick(&d1, &args);
                async move { Ok(ToolResult::text(text)) }
            })
            // The block's keys the other way round.
            .with_tool("docs", tool("text_last"), move |args| {
                let text = pick(&d2, &args);
                async move {
                    let mut result = ToolResult::text("");
                    let mut block = serde_json::Map::new();
                    block.insert("text".into(), Value::String(text));
                    block.insert("type".into(), json!("text"));
                    result.content = vec![Value::Object(block)];
                    Ok(result)
                }
            })
            // Two blocks: the value is the content array itself.
            .with_tool("docs", tool("two_blocks"), move |args| {
                let text = pick(&d3, &args);
                async move {
                    let mut result = ToolResult::text(text);
                    result.content.push(json!({ "type": "text", "text": "second" }));
                    Ok(result)
                }
            })
            // A block that is not text but carries a `text` field: the content array again.
            .with_tool("docs", tool("not_text"), move |args| {
                let text = pick(&d4, &args);
                async move {
                    let mut result = ToolResult::text("");
                    result.content = vec![json!({ "type": "resource", "text": text })];
                    Ok(result)
                }
            })
            // Structured content wins over the text block.
            .with_tool("docs", tool("structured"), move |args| {
                let text = pick(&d5, &args);
                async move {
                    let mut result = ToolResult::text(text);
                    result.structured_content = Some(json!({ "structured": [1, -0.0, "x"] }));
                    Ok(result)
                }
            }),
    )
}

/// The program: for each document and shape, what the call gave against what
/// `JSON.parse` (or the text, when it is not JSON) gives.
fn program(documents: &[String]) -> String {
    let literal = serde_json::to_string(documents).expect("strings serialise");
    format!(
        r#"const DOCS = {literal};
function same(a0, b0, path0, out) {{
  // Iterative: a program's own recursion 10,000 levels deep overflows the guest's stack.
  const stack = [[a0, b0, path0]];
  while (stack.length > 0 && out.length <= 5) {{
    const [a, b, path] = stack.pop();
    if (typeof a !== typeof b) {{ out.push(`${{path}}: ${{typeof a}} vs ${{typeof b}}`); continue; }}
    if (a === null || typeof a !== 'object') {{
      if (!Object.is(a, b)) out.push(`${{path}}: ${{String(a).slice(0, 40)}} vs ${{String(b).slice(0, 40)}}`);
      continue;
    }}
    if (Array.isArray(a) !== Array.isArray(b)) {{ out.push(`${{path}}: array vs not`); continue; }}
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {{ out.push(`${{path}}: prototypes differ`); continue; }}
    if (!Object.isExtensible(a)) {{ out.push(`${{path}}: not extensible`); continue; }}
    const ka = Reflect.ownKeys(a), kb = Reflect.ownKeys(b);
    if (ka.join('\u0001') !== kb.join('\u0001')) {{ out.push(`${{path}}: keys ${{ka.slice(0, 8)}} vs ${{kb.slice(0, 8)}}`); continue; }}
    for (const k of ka) {{
      const da = Object.getOwnPropertyDescriptor(a, k), db = Object.getOwnPropertyDescriptor(b, k);
      const at = path.length < 80 ? `${{path}}.${{String(k)}}` : path;
      for (const f of ['writable', 'enumerable', 'configurable']) if (da[f] !== db[f]) out.push(`${{at}}: ${{f}}`);
      stack.push([da.value, db.value, at]);
    }}
  }}
}}
const out = [];
let checked = 0;
for (let i = 0; i < DOCS.length; i++) {{
  let expected;
  try {{ expected = JSON.parse(DOCS[i]); }} catch {{ expected = DOCS[i]; }}
  same(await tools.docs.text({{ i }}), expected, `text[${{i}}]`, out);
  same(await tools.docs.text_last({{ i }}), expected, `text_last[${{i}}]`, out);
  same(await tools.docs.two_blocks({{ i }}), [{{ type: 'text', text: DOCS[i] }}, {{ type: 'text', text: 'second' }}], `two_blocks[${{i}}]`, out);
  same(await tools.docs.not_text({{ i }}), [{{ type: 'resource', text: DOCS[i] }}], `not_text[${{i}}]`, out);
  same(await tools.docs.structured({{ i }}), {{ structured: [1, -0, 'x'] }}, `structured[${{i}}]`, out);
  checked += 5;
  if (out.length > 5) break;
}}
console.log(JSON.stringify({{ checked, differences: out }}));
"#
    )
}

fn policy() -> ExecutionPolicy {
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_secs(60);
    policy.limits.tool_calls = 10_000;
    policy
}

async fn run(source: &str, policy: &ExecutionPolicy, tools: Arc<dyn ToolHost>) -> RunOutcome {
    javascript().await.run("results.js", source, policy, tools, &RunControl::new()).await.expect("the run starts")
}

#[tokio::test]
async fn every_shape_of_result_gives_the_values_json_parse_gives() {
    let documents = documents();
    let count = documents.len();
    let outcome = run(&program(&documents), &policy(), tools(Arc::new(documents))).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    let report: Value = serde_json::from_str(stdout(&outcome).trim()).expect("the program prints its report");
    assert_eq!(report["differences"], json!([]), "{report}");
    assert_eq!(report["checked"], json!(count * 5));
}

/// A server may send nesting no parser should follow to the end (QuickJS's
/// `JSON.parse` overflows the guest's stack, a trap, past about 20,000 levels):
/// a text nested deeper than 10,000 levels is handed to the program as text,
/// however it goes on, in every shape, and nothing traps.
#[tokio::test]
async fn a_million_open_brackets_are_handed_over_as_text_without_a_crash() {
    let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let texts = Arc::new(vec![
        "[".repeat(1_000_000),
        deep(1_000_000),
        deep(10_001),
        // Invalid early (a lone surrogate), so the builder stops before the depth does.
        format!("[\"\\ud800\",{}", "{\"a\":[".repeat(500_000)),
    ]);
    let source = r#"for (const i of [0, 1, 2, 3]) {
  const value = await tools.docs.text({ i });
  const last = await tools.docs.text_last({ i });
  const [block] = await tools.docs.not_text({ i });
  console.log(typeof value, value.length, last === value, block.text === value);
}
console.log(JSON.stringify(await tools.docs.structured({ i: 0 })));
"#;
    let outcome = run(source, &policy(), tools(texts)).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    assert_eq!(
        stdout(&outcome),
        "string 1000000 true true\nstring 2000000 true true\nstring 20002 true true\nstring 3000010 true true\n\
         {\"structured\":[1,0,\"x\"]}\n"
    );
}

/// Materialising a result counts against the run's memory like anything else:
/// past the cap the run ends with the memory limit, not a crash.
#[tokio::test]
async fn a_result_too_large_for_the_memory_cap_ends_the_run_at_the_memory_limit() {
    let records: Vec<Value> =
        (0..200_000).map(|n| json!({ "n": n, "s": format!("record {n}"), "tags": ["a", "b"] })).collect();
    let texts = Arc::new(vec![Value::Array(records).to_string()]);
    let mut policy = policy();
    policy.limits.memory_bytes = 32 << 20;
    policy.limits.result_bytes = 64 << 20;
    let source = "const value = await tools.docs.text({ i: 0 }); console.log(value.length);";
    let outcome = run(source, &policy, tools(texts)).await;
    assert_eq!(outcome.limit(), Some(LimitKind::Memory), "{outcome:?}");
}
