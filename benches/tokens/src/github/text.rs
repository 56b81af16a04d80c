//! Word lists and templates from which the fake GitHub writes its text: issue titles
//! and bug reports, comments, pull request titles and bodies, commit messages, file
//! paths and small unified-diff patches, all about one imaginary project, `widgets`,
//! a cross-platform GUI toolkit written in Rust.

use super::rng::SplitMix64;

/// The people of the data set: `(login, full name)`. The first [`MAINTAINERS`] are
/// the project's maintainers (members of `acme`); the rest are outside contributors.
pub(crate) const PEOPLE: [(&str, &str); 60] = [
    ("mara-lindqvist", "Mara Lindqvist"),
    ("tkobayashi", "Takeshi Kobayashi"),
    ("dvolkov", "Dmitri Volkov"),
    ("priya-raman", "Priya Raman"),
    ("jhallett", "Jonas Hallett"),
    ("oskarb", "Oskar Berg"),
    ("fernanda-reis", "Fernanda Reis"),
    ("kwame-asante", "Kwame Asante"),
    ("lhuang", "Lin Huang"),
    ("bsteinberg", "Ben Steinberg"),
    ("ayesha-q", "Ayesha Qureshi"),
    ("rmcallister", "Rory McAllister"),
    ("nrowe", "Nina Rowe"),
    ("sam-okafor", "Samuel Okafor"),
    ("elif-demir", "Elif Demir"),
    ("jpmorel", "Jean-Pierre Morel"),
    ("chloe-w", "Chloe Whitaker"),
    ("devnull42", "Alex Brandt"),
    ("mtrzaska", "Marta Trzaska"),
    ("ingridv", "Ingrid Vik"),
    ("haruto-s", "Haruto Sato"),
    ("gabe-ortiz", "Gabriel Ortiz"),
    ("nadia-k", "Nadia Karimi"),
    ("pvasquez", "Pablo Vasquez"),
    ("ollie-b", "Oliver Bennett"),
    ("zhenwei", "Zhen Wei"),
    ("klausm", "Klaus Mertens"),
    ("anya-petrova", "Anya Petrova"),
    ("rdesai", "Rohan Desai"),
    ("tomasz-g", "Tomasz Górski"),
    ("lea-fontaine", "Léa Fontaine"),
    ("marcus-j", "Marcus Johansson"),
    ("yuki-t", "Yuki Tanaka"),
    ("svenh", "Sven Halvorsen"),
    ("carla-mendes", "Carla Mendes"),
    ("benji-codes", "Benjamin Cole"),
    ("ravi-iyer", "Ravi Iyer"),
    ("emmalou", "Emma Lou Parker"),
    ("hkim", "Hyun Kim"),
    ("juanpa", "Juan Pablo Ríos"),
    ("frostbyte", "Erik Frost"),
    ("quietcoder", "Maya Singh"),
    ("noah-adler", "Noah Adler"),
    ("tess-m", "Tess Morgan"),
    ("viktor-n", "Viktor Novak"),
    ("amira-h", "Amira Haddad"),
    ("pcollins", "Patrick Collins"),
    ("danielz", "Daniel Zimmermann"),
    ("mei-lin", "Mei Lin"),
    ("georgek", "George Kuznetsov"),
    ("sofia-r", "Sofia Russo"),
    ("ethan-w", "Ethan Walsh"),
    ("kofi-m", "Kofi Mensah"),
    ("lucia-p", "Lucía Paredes"),
    ("arjun-b", "Arjun Bhatt"),
    ("hannah-s", "Hannah Schulz"),
    ("ilya-k", "Ilya Kovalenko"),
    ("zoe-f", "Zoe Fitzgerald"),
    ("mateo-d", "Mateo Duarte"),
    ("wren-t", "Wren Thompson"),
];

/// How many of [`PEOPLE`] (the first ones) are maintainers.
pub(crate) const MAINTAINERS: usize = 12;

/// `(name, color, description, one of GitHub's default labels)`.
pub(crate) const LABELS: [(&str, &str, &str, bool); 13] = [
    ("bug", "d73a4a", "Something isn't working", true),
    ("enhancement", "a2eeef", "New feature or request", true),
    ("documentation", "0075ca", "Improvements or additions to documentation", true),
    ("performance", "fbca04", "Slow paths, memory use and benchmarks", false),
    ("security", "b60205", "Security-sensitive issue or fix", false),
    ("good first issue", "7057ff", "Good for newcomers", true),
    ("question", "d876e3", "Further information is requested", true),
    ("ci", "1d76db", "Continuous integration and build tooling", false),
    ("dependencies", "0366d6", "Pull requests that update a dependency file", false),
    ("refactor", "c5def5", "Code cleanup without a change in behaviour", false),
    ("needs triage", "ededed", "Not yet looked at by a maintainer", false),
    ("duplicate", "cfd3d7", "This issue or pull request already exists", true),
    ("wontfix", "ffffff", "This will not be worked on", true),
];

/// What an issue or pull request is mainly about; its first label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bug,
    Enhancement,
    Docs,
    Question,
    Performance,
    Ci,
    Security,
    Refactor,
    Dependencies,
}

impl Kind {
    /// The label that marks this kind (`None` for a question with no label).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Bug => "bug",
            Kind::Enhancement => "enhancement",
            Kind::Docs => "documentation",
            Kind::Question => "question",
            Kind::Performance => "performance",
            Kind::Ci => "ci",
            Kind::Security => "security",
            Kind::Refactor => "refactor",
            Kind::Dependencies => "dependencies",
        }
    }

    fn branch_prefix(self) -> &'static str {
        match self {
            Kind::Bug => "fix",
            Kind::Enhancement => "feat",
            Kind::Docs => "docs",
            Kind::Question => "misc",
            Kind::Performance => "perf",
            Kind::Ci => "ci",
            Kind::Security => "security",
            Kind::Refactor => "refactor",
            Kind::Dependencies => "deps",
        }
    }
}

/// `(what users call it, its type or module, its source file)`.
const COMPONENTS: [(&str, &str, &str); 30] = [
    ("Button", "Button", "src/widgets/button.rs"),
    ("Slider", "Slider", "src/widgets/slider.rs"),
    ("TextInput", "TextInput", "src/widgets/text_input.rs"),
    ("Table", "Table", "src/widgets/table.rs"),
    ("TreeView", "TreeView", "src/widgets/tree_view.rs"),
    ("Dropdown", "Dropdown", "src/widgets/dropdown.rs"),
    ("DatePicker", "DatePicker", "src/widgets/date_picker.rs"),
    ("Modal", "Modal", "src/widgets/modal.rs"),
    ("Tooltip", "Tooltip", "src/widgets/tooltip.rs"),
    ("Tabs", "Tabs", "src/widgets/tabs.rs"),
    ("ScrollView", "ScrollView", "src/widgets/scroll_view.rs"),
    ("Canvas", "Canvas", "src/widgets/canvas.rs"),
    ("ProgressBar", "ProgressBar", "src/widgets/progress_bar.rs"),
    ("Checkbox", "Checkbox", "src/widgets/checkbox.rs"),
    ("ColorPicker", "ColorPicker", "src/widgets/color_picker.rs"),
    ("Menu", "Menu", "src/widgets/menu.rs"),
    ("Flex layout", "Flex", "src/layout/flex.rs"),
    ("Grid layout", "Grid", "src/layout/grid.rs"),
    ("theme loader", "ThemeLoader", "src/theme/loader.rs"),
    ("text shaping", "Shaper", "src/text/shaping.rs"),
    ("font fallback", "FontFallback", "src/text/fallback.rs"),
    ("event loop", "EventLoop", "src/event_loop.rs"),
    ("accessibility tree", "A11yTree", "src/a11y/tree.rs"),
    ("clipboard", "Clipboard", "src/platform/clipboard.rs"),
    ("wgpu backend", "WgpuRenderer", "src/render/wgpu.rs"),
    ("software renderer", "SoftwareRenderer", "src/render/software.rs"),
    ("wasm target", "WebPlatform", "src/platform/web.rs"),
    ("widgets-cli", "Cli", "cli/src/main.rs"),
    ("image loader", "ImageLoader", "src/image/decode.rs"),
    ("animation timeline", "Timeline", "src/anim/timeline.rs"),
];

const SYMPTOMS: [&str; 26] = [
    "panics",
    "renders blank",
    "flickers",
    "ignores keyboard focus",
    "leaks memory",
    "crashes the app",
    "loses its state",
    "draws outside its bounds",
    "reports the wrong size",
    "hangs",
    "jumps to the wrong position",
    "emits duplicate change events",
    "ignores the theme colours",
    "is clipped",
    "misaligns its label",
    "stops responding to clicks",
    "uses 100% CPU",
    "shows stale data",
    "rounds values incorrectly",
    "double-counts scroll deltas",
    "is not announced by screen readers",
    "draws text with the wrong kerning",
    "returns an error instead of a default",
    "blocks the UI thread",
    "fires callbacks after being dropped",
    "renders with the wrong DPI",
];

const CONDITIONS: [&str; 25] = [
    "when the range is empty",
    "after resizing the window",
    "on HiDPI displays",
    "on Wayland",
    "on macOS 15",
    "with a right-to-left locale",
    "inside a ScrollView",
    "when the theme is switched at runtime",
    "with more than 10k rows",
    "in release builds only",
    "on the wasm target",
    "after the window regains focus",
    "when the font fallback chain is empty",
    "with fractional scaling at 150%",
    "on Windows 11 with touch input",
    "when nested three levels deep",
    "after a hot reload",
    "with the software renderer",
    "when the label contains emoji",
    "while an animation is running",
    "when disabled",
    "on the first frame",
    "with an empty model",
    "after calling set_value twice",
    "under memory pressure",
];

const FEATURES: [&str; 18] = [
    "keyboard shortcuts",
    "custom cell renderers",
    "async data sources",
    "right-to-left mirroring",
    "a compact density mode",
    "virtualised rows",
    "per-widget theme overrides",
    "tooltips on disabled items",
    "smooth scrolling",
    "multi-select",
    "drag and drop",
    "a controlled mode",
    "serde support",
    "a builder API",
    "a high-contrast theme",
    "placeholder text",
    "inertial scrolling on touchpads",
    "min/max constraints",
];

const DOC_TOPICS: [&str; 14] = [
    "the layout model",
    "writing a custom widget",
    "theming and palettes",
    "the accessibility API",
    "the MSRV policy",
    "migrating from 0.x",
    "event propagation",
    "running on the web",
    "hot reload",
    "testing widgets headlessly",
    "the render backends",
    "the animation API",
    "font loading",
    "the CLI's config file",
];

const OSES: [&str; 9] = [
    "Ubuntu 24.04 (Wayland)",
    "Ubuntu 22.04 (X11)",
    "Fedora 41",
    "Arch Linux",
    "macOS 15.1 (Apple M3)",
    "macOS 14.6 (Intel)",
    "Windows 11 23H2",
    "Windows 10 22H2",
    "Chrome 131 (wasm)",
];

const BACKENDS: [&str; 4] = ["wgpu (Vulkan)", "wgpu (Metal)", "wgpu (DX12)", "software"];

const CRATES: [(&str, &str, &str); 12] = [
    ("wgpu", "23.0.1", "24.0.0"),
    ("winit", "0.30.5", "0.30.8"),
    ("serde", "1.0.210", "1.0.215"),
    ("tokio", "1.41.0", "1.42.0"),
    ("image", "0.25.4", "0.25.5"),
    ("rustybuzz", "0.18.0", "0.20.0"),
    ("accesskit", "0.16.3", "0.17.1"),
    ("taffy", "0.5.2", "0.6.1"),
    ("log", "0.4.22", "0.4.25"),
    ("thiserror", "1.0.69", "2.0.3"),
    ("clap", "4.5.20", "4.5.23"),
    ("bytemuck", "1.19.0", "1.20.0"),
];

const FIX_SUBJECTS: [&str; 18] = [
    "panic with an empty range",
    "flicker after resize",
    "focus handling",
    "memory leak on close",
    "off-by-one in hit testing",
    "HiDPI scaling",
    "RTL layout",
    "clipboard on Wayland",
    "stale cache after a theme switch",
    "rounding of step values",
    "scroll delta accumulation",
    "screen reader labels",
    "kerning with fallback fonts",
    "crash on the first frame",
    "duplicate change events",
    "callbacks after drop",
    "clipping of nested children",
    "wrong size hint",
];

const PERF_SUBJECTS: [&str; 8] = [
    "layout of deep trees",
    "the text shaping cache",
    "rendering of large tables",
    "startup time",
    "glyph atlas uploads",
    "hit testing",
    "theme resolution",
    "image decoding",
];

const CI_SUBJECTS: [&str; 8] = [
    "cache the cargo registry",
    "run tests on macOS arm64",
    "add a wasm build job",
    "pin nightly for miri",
    "fix flaky screenshot tests",
    "check formatting and clippy",
    "upload coverage to codecov",
    "build docs on every pull request",
];

/// What an issue, pull request or comment is about: one component of `widgets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Topic {
    /// What users call it ("Slider", "theme loader").
    name: &'static str,
    /// Its type ("Slider", "ThemeLoader").
    ty: &'static str,
    /// Its source file.
    file: &'static str,
}

impl Topic {
    /// Its source file's name without directory or extension ("date_picker").
    fn stem(self) -> &'static str {
        let name = self.file.rsplit('/').next().unwrap_or(self.file);
        name.strip_suffix(".rs").unwrap_or(name)
    }
}

/// A component picked at random.
pub(crate) fn topic(rng: &mut SplitMix64) -> Topic {
    let (name, ty, file) = rng.pick(&COMPONENTS);
    Topic { name, ty, file }
}

fn version(rng: &mut SplitMix64) -> String {
    format!("1.{}.{}", rng.below(10), rng.below(5))
}

/// An issue's title for its kind.
pub(crate) fn issue_title(rng: &mut SplitMix64, kind: Kind, topic: Topic) -> String {
    let Topic { name, ty, file } = topic;
    match kind {
        Kind::Bug => format!("{name} {} {}", rng.pick(&SYMPTOMS), rng.pick(&CONDITIONS)),
        Kind::Enhancement => match rng.below(3) {
            0 => format!("Add {} to {name}", rng.pick(&FEATURES)),
            1 => format!("Support {} in {name}", rng.pick(&FEATURES)),
            _ => format!("Feature request: {} for {ty}", rng.pick(&FEATURES)),
        },
        Kind::Docs => match rng.below(3) {
            0 => format!("Document {}", rng.pick(&DOC_TOPICS)),
            1 => format!("Docs for {name} are out of date"),
            _ => format!("Broken example in the guide on {}", rng.pick(&DOC_TOPICS)),
        },
        Kind::Question => match rng.below(3) {
            0 => format!("How do I use {} with {name}?", rng.pick(&FEATURES)),
            1 => format!("Is {name} supported {}?", rng.pick(&CONDITIONS)),
            _ => format!("Question: best way to test a {ty} headlessly"),
        },
        Kind::Performance => format!("{name} is slow {}", rng.pick(&CONDITIONS)),
        Kind::Ci => format!("CI: {}", rng.pick(&CI_SUBJECTS)),
        Kind::Security => format!("{name} trusts unvalidated input from `{file}`"),
        Kind::Refactor => format!("Split `{file}` into smaller modules"),
        Kind::Dependencies => {
            let (krate, _, new) = rng.pick(&CRATES);
            format!("Upgrade {krate} to {new}")
        }
    }
}

/// An issue's body: a bug report with steps, expected and actual behaviour and the
/// environment for bugs, a short proposal for the other kinds (200 to 1,500 chars).
pub(crate) fn issue_body(rng: &mut SplitMix64, kind: Kind, title: &str, topic: Topic) -> String {
    let Topic { ty, file, .. } = topic;
    let mut body = match kind {
        Kind::Bug | Kind::Performance => bug_report(rng, title, ty, file),
        Kind::Enhancement => format!(
            "### Problem\n\nRight now there is no way to get {} without writing a wrapper \
             around `{ty}`. {}\n\n### Proposed solution\n\nAdd an option on `{ty}::builder()` \
             that enables it, off by default so nothing changes for existing users.\n\n\
             ### Alternatives considered\n\n{}",
            rng.pick(&FEATURES),
            rng.pick(&MOTIVATIONS),
            rng.pick(&ALTERNATIVES)
        ),
        Kind::Docs => format!(
            "The guide's page on {} {}.\n\nIt would help to have a short, complete example \
             that compiles, and a note on how `{ty}` interacts with the layout pass.",
            rng.pick(&DOC_TOPICS),
            rng.pick(&DOC_PROBLEMS)
        ),
        Kind::Question => format!(
            "I'm building an app with widgets {} on {} and I'm not sure how to approach \
             this. I tried wrapping `{ty}` in a custom widget but the events never reach \
             my handler.\n\n```rust\nlet w = {ty}::new().on_change(|v| println!(\"{{v:?}}\"));\n```\n\n\
             Is there a recommended pattern? Thanks!",
            version(rng),
            rng.pick(&OSES)
        ),
        Kind::Ci => format!(
            "Our CI currently takes about {} minutes per run. {}\n\nProposal: {}.",
            rng.range(12, 45),
            rng.pick(&CI_PAINS),
            rng.pick(&CI_SUBJECTS)
        ),
        Kind::Security => format!(
            "`{ty}` reads sizes from untrusted input in `{file}` and allocates before \
             validating them. A crafted file can make the process allocate several \
             gigabytes.\n\nSuggested fix: check the declared size against a limit before \
             allocating, and return an error instead of panicking.\n\n(Reported privately \
             first; the maintainers asked for a public issue once the fix was ready.)"
        ),
        Kind::Refactor => format!(
            "`{file}` has grown past {} lines and mixes event handling, layout and \
             painting. Splitting it would make reviews easier and let us test layout \
             without a window.\n\nPlan:\n- move painting into `paint.rs`\n- move hit \
             testing into `hit.rs`\n- keep the public API unchanged",
            rng.range(900, 2400)
        ),
        Kind::Dependencies => {
            let (krate, old, new) = rng.pick(&CRATES);
            format!(
                "{krate} {new} is out and fixes several issues we work around today. \
                 We are still on {old}.\n\nThings to check when upgrading:\n- the changelog's \
                 breaking changes\n- our MSRV (currently 1.{})\n- the wasm build",
                rng.range(75, 83)
            )
        }
    };
    if body.len() < 200 {
        body.push_str("\n\n");
        body.push_str(rng.pick(&MOTIVATIONS));
    }
    body
}

const MOTIVATIONS: [&str; 6] = [
    "This comes up in almost every app we build with widgets.",
    "Several people asked about this on the forum last month.",
    "We currently maintain a fork only for this.",
    "It would make the examples in the guide much shorter.",
    "Other toolkits (GTK, Qt, egui) all offer this out of the box.",
    "Happy to send a PR if the maintainers agree on the approach.",
];

const ALTERNATIVES: [&str; 4] = [
    "Wrapping the widget in a custom one works but loses accessibility information.",
    "A global setting on the theme, but that is too coarse for mixed layouts.",
    "Doing it in user code with a timer, which is fragile and burns CPU.",
    "None that don't require forking the crate.",
];

const DOC_PROBLEMS: [&str; 5] = [
    "still shows the 0.x API that was removed in 1.0",
    "links to an example that no longer exists",
    "does not mention that this only works on the main thread",
    "has a code sample that does not compile",
    "contradicts the API docs on docs.rs",
];

const CI_PAINS: [&str; 4] = [
    "Most of that is rebuilding dependencies from scratch.",
    "The macOS job fails intermittently on screenshot comparisons.",
    "We never test the wasm target, and it broke twice last quarter.",
    "Contributors often forget to run clippy locally.",
];

const STEPS: [&str; 12] = [
    "Put it inside a `ScrollView` with `ScrollView::new().vertical(true)`",
    "Resize the window to about half its width",
    "Switch the theme with `app.set_theme(Theme::dark())`",
    "Press Tab until the widget has focus",
    "Call `set_value(0.0)` from a timer callback",
    "Scroll to the bottom and back up quickly",
    "Drag the window to a second monitor with a different scale factor",
    "Enable `RUST_LOG=widgets=trace` and watch the output",
    "Close the window while the animation is still running",
    "Paste text containing emoji from the clipboard",
    "Run `cargo run --release --example gallery`",
    "Open the modal twice in a row",
];

const LOGS: [&str; 4] = [
    "thread 'main' panicked at src/layout/flex.rs:412:17:\nattempt to subtract with overflow\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    "[2024-05-02T10:11:12Z WARN  widgets::render] surface lost, recreating swapchain\n[2024-05-02T10:11:12Z WARN  widgets::render] surface lost, recreating swapchain\n[2024-05-02T10:11:13Z ERROR widgets::render] frame dropped: Timeout",
    "thread 'main' panicked at src/text/shaping.rs:88:45:\ncalled `Option::unwrap()` on a `None` value\nstack backtrace:\n   0: rust_begin_unwind\n   1: core::panicking::panic_fmt\n   2: widgets::text::shaping::Shaper::shape_run",
    "error[E0277]: the trait bound `MyModel: widgets::Model` is not satisfied\n  --> src/main.rs:14:23\n   |\n14 |     let table = Table::new(model);\n   |                 ---------- ^^^^^ the trait `widgets::Model` is not implemented",
];

fn bug_report(rng: &mut SplitMix64, title: &str, ty: &str, file: &str) -> String {
    let mut body = String::with_capacity(1200);
    body.push_str("### Description\n\n");
    body.push_str(title);
    body.push_str(". ");
    body.push_str(match rng.below(4) {
        0 => "It started after upgrading from the previous minor release.",
        1 => "It happens every time for me, not intermittently.",
        2 => "I could only reproduce it in a larger app at first, but the steps below are minimal.",
        _ => "This is a regression; it worked in 1.2.",
    });
    body.push_str("\n\n### Steps to reproduce\n\n");
    body.push_str(&format!("1. Create a `{ty}` with `{ty}::new()` and add it to a `Flex` column\n"));
    let steps = rng.range(1, 3);
    for n in 0..steps {
        body.push_str(&format!("{}. {}\n", n + 2, rng.pick(&STEPS)));
    }
    body.push_str("\n### Expected behavior\n\n");
    body.push_str(match rng.below(3) {
        0 => "The widget keeps its state and redraws once.",
        1 => "No panic; the call is ignored or returns an error.",
        _ => "The same result as on the other platforms.",
    });
    body.push_str("\n\n### Actual behavior\n\n");
    body.push_str(&format!("See the title. The problem seems to come from `{file}`."));
    if rng.chance(0.5) {
        body.push_str("\n\n```\n");
        body.push_str(rng.pick(&LOGS));
        body.push_str("\n```");
    }
    body.push_str(&format!(
        "\n\n### Environment\n\n- widgets version: {}\n- OS: {}\n- Rust: 1.{}.0\n- Backend: {}",
        version(rng),
        rng.pick(&OSES),
        rng.range(75, 83),
        rng.pick(&BACKENDS)
    ));
    if rng.chance(0.3) {
        body.push_str("\n\n### Additional context\n\n");
        body.push_str(rng.pick(&MOTIVATIONS));
    }
    body
}

/// A comment on an issue or pull request about `topic`. `others` names someone else
/// in the thread and `pull` a pull request number that may be mentioned.
pub(crate) fn comment_body(rng: &mut SplitMix64, topic: Topic, others: &str, issue: u64, pull: u64) -> String {
    let Topic { ty, file, .. } = topic;
    match rng.below(14) {
        0 => format!("I can reproduce this on {} with widgets {}.", rng.pick(&OSES), version(rng)),
        1 => format!("Same here, {} with the {} backend.", rng.pick(&OSES), rng.pick(&BACKENDS)),
        2 => "Thanks for the report! Could you share a minimal reproduction? A small `main.rs` \
              that shows the problem is enough."
            .to_string(),
        3 => format!("This looks like a duplicate of #{}.", issue.saturating_sub(rng.range(1, 400)).max(1)),
        4 => format!(
            "I had a look: the problem is in `{ty}::layout` in `{file}`. The cached size is not \
             invalidated when the scale factor changes, so the next frame uses the old one."
        ),
        5 => format!("Any update on this? It's blocking our upgrade to {}.", version(rng)),
        6 => "+1, we hit this in production as well.".to_string(),
        7 => format!("A fix is in #{pull}; it should land in the next release."),
        8 => format!(
            "Workaround until this is fixed: call `ctx.request_layout()` after changing the \
             value, or wrap the `{ty}` in a `Container` with a fixed size."
        ),
        9 => format!("Here is a backtrace with `RUST_BACKTRACE=1`:\n\n```\n{}\n```", rng.pick(&LOGS)),
        10 => format!("@{others} could you take a look? You touched this code last."),
        11 => "I'd like to work on this if nobody else is. Any pointers on where to start?".to_string(),
        12 => format!(
            "Confirmed on main. I bisected it to the change that introduced the new layout \
             cache; reverting that commit makes the problem go away. {}",
            rng.pick(&MOTIVATIONS)
        ),
        _ => format!("Still happening on {}.", version(rng)),
    }
}

/// A pull request's title for its kind.
pub(crate) fn pull_title(rng: &mut SplitMix64, kind: Kind, topic: Topic) -> String {
    let Topic { name, ty, file } = topic;
    let lower = name.to_lowercase();
    match kind {
        Kind::Bug => format!("Fix {lower} {}", rng.pick(&FIX_SUBJECTS)),
        Kind::Enhancement => format!("Add {} to {name}", rng.pick(&FEATURES)),
        Kind::Docs => format!("docs: explain {}", rng.pick(&DOC_TOPICS)),
        Kind::Question => format!("Add an example for {ty}"),
        Kind::Performance => format!("Speed up {}", rng.pick(&PERF_SUBJECTS)),
        Kind::Ci => format!("ci: {}", rng.pick(&CI_SUBJECTS)),
        Kind::Security => format!("Validate sizes in {lower} before allocating"),
        Kind::Refactor => format!("Refactor `{file}` into smaller modules"),
        Kind::Dependencies => {
            let (krate, old, new) = rng.pick(&CRATES);
            format!("Bump {krate} from {old} to {new}")
        }
    }
}

/// A pull request's description.
pub(crate) fn pull_body(rng: &mut SplitMix64, kind: Kind, title: &str, fixes: Option<u64>) -> String {
    let mut body = String::from("## Summary\n\n");
    body.push_str(title);
    body.push_str(match kind {
        Kind::Bug => ". The cached layout was reused after the inputs changed; it is now invalidated.",
        Kind::Dependencies => ". No API changes affect us; the lockfile is updated.",
        Kind::Docs => ". Examples were checked with `cargo test --doc`.",
        _ => ".",
    });
    if let Some(n) = fixes {
        body.push_str(&format!("\n\nFixes #{n}"));
    }
    body.push_str("\n\n## Testing\n\n");
    body.push_str(match rng.below(3) {
        0 => "- [x] `cargo test --all-features`\n- [x] tried the gallery example on Linux and macOS",
        1 => "- [x] new unit test\n- [x] `cargo clippy --all-targets`",
        _ => "- [x] existing tests pass\n- [ ] not tested on Windows",
    });
    body
}

/// A short branch name for a pull request's head, from its title.
pub(crate) fn branch_name(kind: Kind, title: &str, number: u64) -> String {
    let mut slug = String::new();
    for word in title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).skip(1).take(5) {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    format!("{}/{slug}-{}", kind.branch_prefix(), number % 1000)
}

/// A review's text for its state.
pub(crate) fn review_body(rng: &mut SplitMix64, state: &str) -> String {
    match state {
        "APPROVED" => (rng.pick(&[
            "LGTM, thanks!",
            "Looks good to me.",
            "",
            "Nice, thanks for the tests.",
            "Approving; one nit inline but not blocking.",
        ]))
        .to_string(),
        "CHANGES_REQUESTED" => (rng.pick(&[
            "This needs a test for the empty case before we can merge.",
            "The public API change needs a CHANGELOG entry and a deprecation first.",
            "I think this breaks the wasm build; see the inline comments.",
        ]))
        .to_string(),
        _ => (rng.pick(&[
            "A few questions inline.",
            "",
            "Left some comments.",
            "Not a full review yet, just a first pass.",
        ]))
        .to_string(),
    }
}

/// An inline review comment.
pub(crate) fn review_comment_body(rng: &mut SplitMix64) -> String {
    (rng.pick(&[
        "Could this be `saturating_sub`? The width can be smaller than the padding.",
        "nit: this allocation happens every frame; can we reuse the buffer?",
        "Why is this `pub`? It looks like an implementation detail.",
        "This changes behaviour for existing users; please put it behind an option.",
        "Can you add a test for this branch?",
        "I'd rather not unwrap here; the theme file comes from the user.",
        "Does this still work when the scale factor changes at runtime?",
        "Small thing: the doc comment says the opposite of what the code does.",
    ]))
    .to_string()
}

/// An ordinary commit's message (subject line, sometimes a body).
pub(crate) fn commit_message(rng: &mut SplitMix64, topic: Topic) -> String {
    let Topic { name, ty, file } = topic;
    let lower = name.to_lowercase();
    match rng.below(9) {
        0 | 1 => format!("Fix {lower} {}", rng.pick(&FIX_SUBJECTS)),
        2 => format!("Add tests for {ty}"),
        3 => format!("Refactor {lower} internals"),
        4 => format!("docs: explain {}", rng.pick(&DOC_TOPICS)),
        5 => {
            let (krate, old, new) = rng.pick(&CRATES);
            format!("Bump {krate} from {old} to {new}")
        }
        6 => format!("Speed up {}", rng.pick(&PERF_SUBJECTS)),
        7 => format!("Tidy up `{file}`\n\nNo functional change."),
        _ => format!("ci: {}", rng.pick(&CI_SUBJECTS)),
    }
}

/// A file a change of this kind touches. The first file of a change to code is its
/// topic's own source file.
pub(crate) fn changed_path(rng: &mut SplitMix64, kind: Kind, topic: Topic, first: bool) -> &'static str {
    const OTHER: [&str; 14] = [
        "src/lib.rs",
        "src/widget.rs",
        "src/theme/palette.rs",
        "src/layout/mod.rs",
        "tests/layout.rs",
        "tests/widgets.rs",
        "examples/gallery.rs",
        "benches/layout.rs",
        "CHANGELOG.md",
        "README.md",
        "docs/guide/layout.md",
        "docs/guide/theming.md",
        "Cargo.toml",
        "Cargo.lock",
    ];
    match kind {
        Kind::Docs => rng.pick(&[
            "README.md",
            "docs/guide/layout.md",
            "docs/guide/theming.md",
            "docs/guide/widgets.md",
            "CHANGELOG.md",
            "examples/gallery.rs",
        ]),
        Kind::Ci => rng.pick(&[".github/workflows/ci.yml", ".github/workflows/release.yml", "Cargo.toml"]),
        Kind::Dependencies => rng.pick(&["Cargo.toml", "Cargo.lock", "cli/Cargo.toml"]),
        _ if first => topic.file,
        _ if rng.chance(0.4) => rng.pick(&COMPONENTS).2,
        _ => rng.pick(&OTHER),
    }
}

/// One hunk of a diff: a section header, three lines of context, the lines removed
/// and added, three more lines of context. `{Ty}` and `{snake}` name the topic's type and file;
/// `{crate}`, `{old}`, `{new}`, `{sum1}` and `{sum2}` a dependency bump.
struct Hunk {
    section: &'static str,
    before: [&'static str; 3],
    removed: &'static [&'static str],
    added: &'static [&'static str],
    after: [&'static str; 3],
}

const RUST_HUNKS: [Hunk; 10] = [
    Hunk {
        section: "fn layout(&mut self, ctx: &mut LayoutCtx, bc: &BoxConstraints) -> Size {",
        before: [
            "        let padding = self.style.padding;",
            "        let min = bc.min();",
            "        let max = bc.max();",
        ],
        removed: &["        let inner = max.width - padding * 2.0;"],
        added: &[
            "        if self.range.is_empty() {",
            "            return bc.constrain(Size::ZERO);",
            "        }",
            "        let inner = (max.width - padding * 2.0).max(0.0);",
        ],
        after: [
            "        let thumb = self.thumb_size(inner);",
            "        self.cached_size = Some(Size::new(max.width, thumb.height.max(min.height)));",
            "        self.cached_size.unwrap_or_default()",
        ],
    },
    Hunk {
        section: "fn event(&mut self, ctx: &mut EventCtx, event: &Event) {",
        before: [
            "        match event {",
            "            Event::WindowResized(size) => {",
            "                self.viewport = *size;",
        ],
        removed: &["                ctx.request_paint();"],
        added: &[
            "                // The cached size depends on the viewport; drop it.",
            "                self.cached_size = None;",
            "                ctx.request_layout();",
        ],
        after: [
            "            }",
            "            Event::ScaleFactorChanged(scale) => {",
            "                self.scale = *scale;",
        ],
    },
    Hunk {
        section: "fn event(&mut self, ctx: &mut EventCtx, event: &Event) {",
        before: [
            "            Event::KeyDown(key) => match key.code {",
            "                KeyCode::Enter | KeyCode::Space => self.activate(ctx),",
            "                KeyCode::Escape => ctx.resign_focus(),",
        ],
        removed: &["                _ => {}"],
        added: &[
            "                KeyCode::Tab if key.mods.shift() => ctx.focus_prev(),",
            "                KeyCode::Tab => ctx.focus_next(),",
            "                _ => return,",
        ],
        after: [
            "            },",
            "            Event::FocusChanged(focused) => {",
            "                self.focused = *focused;",
        ],
    },
    Hunk {
        section: "impl Drop for {Ty} {",
        before: [
            "    fn drop(&mut self) {",
            "        if let Some(timer) = self.timer.take() {",
            "            timer.cancel();",
        ],
        removed: &[],
        added: &[
            "        }",
            "        // Callbacks may still be queued on the event loop: make them no-ops.",
            "        self.alive.store(false, Ordering::Release);",
            "        self.callbacks.clear();",
        ],
        after: ["    }", "}", ""],
    },
    Hunk {
        section: "pub fn set_value(&mut self, value: f64) {",
        before: [
            "        let value = value.clamp(self.min, self.max);",
            "        let steps = ((value - self.min) / self.step).round();",
            "        let snapped = self.min + steps * self.step;",
        ],
        removed: &["        if snapped != self.value {"],
        added: &[
            "        // Compare whole steps, not floats: 0.1 + 0.2 != 0.3.",
            "        if steps as i64 != self.value_steps() {",
        ],
        after: ["            self.value = snapped;", "            self.emit_change();", "        }"],
    },
    Hunk {
        section: "pub fn load(path: &Path) -> Result<Theme, ThemeError> {",
        before: [
            "        let text = fs::read_to_string(path)",
            "            .map_err(|source| ThemeError::Read { path: path.to_owned(), source })?;",
            "        let raw: RawTheme = toml::from_str(&text)",
        ],
        removed: &["            .unwrap();"],
        added: &["            .map_err(|source| ThemeError::Parse { path: path.to_owned(), source })?;"],
        after: [
            "        let palette = Palette::resolve(&raw.colors)?;",
            "        Ok(Theme { palette, fonts: raw.fonts, spacing: raw.spacing })",
            "    }",
        ],
    },
    Hunk {
        section: "fn decode(&self, bytes: &[u8]) -> Result<Image, DecodeError> {",
        before: [
            "        let header = Header::parse(bytes)?;",
            "        let width = header.width as usize;",
            "        let height = header.height as usize;",
        ],
        removed: &["        let mut pixels = vec![0u8; width * height * 4];"],
        added: &[
            "        let len = width",
            "            .checked_mul(height)",
            "            .and_then(|n| n.checked_mul(4))",
            "            .filter(|&n| n <= MAX_IMAGE_BYTES)",
            "            .ok_or(DecodeError::TooLarge { width, height })?;",
            "        let mut pixels = vec![0u8; len];",
        ],
        after: [
            "        self.inflate(&bytes[header.len..], &mut pixels)?;",
            "        Ok(Image::from_rgba(width, height, pixels))",
            "    }",
        ],
    },
    Hunk {
        section: "fn shape(&mut self, text: &str, font: &Font) -> ShapedRun {",
        before: [
            "        let key = CacheKey::new(text, font.id(), self.scale);",
            "        if let Some(run) = self.cache.get(&key) {",
            "            return run.clone();",
        ],
        removed: &["        }", "        let run = self.shaper.shape(text, font);"],
        added: &[
            "        }",
            "        let mut buffer = std::mem::take(&mut self.buffer);",
            "        buffer.clear();",
            "        let run = self.shaper.shape_into(text, font, &mut buffer);",
            "        self.buffer = buffer;",
        ],
        after: ["        self.cache.insert(key, run.clone());", "        run", "    }"],
    },
    Hunk {
        section: "mod tests {",
        before: ["    use super::*;", "", "    #[test]"],
        removed: &[],
        added: &[
            "    fn an_empty_{snake}_fills_its_constraints() {",
            "        let mut harness = Harness::new({Ty}::new());",
            "        let size = harness.layout(BoxConstraints::tight(Size::new(200.0, 40.0)));",
            "        assert_eq!(size, Size::new(200.0, 40.0));",
            "    }",
            "",
            "    #[test]",
        ],
        after: [
            "    fn it_redraws_once_per_change() {",
            "        let mut harness = Harness::new({Ty}::new());",
            "        harness.send(Event::MouseDown(Point::new(10.0, 10.0)));",
        ],
    },
    Hunk {
        section: "fn accessibility(&self, node: &mut a11y::Node) {",
        before: [
            "        node.set_role(self.role());",
            "        node.set_bounds(self.bounds);",
            "        node.set_value(self.value_text());",
        ],
        removed: &["        node.set_name(\"\");"],
        added: &[
            "        node.set_name(self.label.as_deref().unwrap_or_default());",
            "        if self.disabled {",
            "            node.set_disabled();",
            "        }",
        ],
        after: ["        for child in &self.children {", "            node.push_child(child.a11y_id());", "        }"],
    },
];

const MD_HUNKS: [Hunk; 3] = [
    Hunk {
        section: "## Layout",
        before: ["", "Widgets are laid out in two passes: constraints go down, sizes come up.", ""],
        removed: &["See the [old layout docs](https://docs.rs/widgets/0.9/widgets/layout/) for details."],
        added: &[
            "```rust",
            "let column = Flex::column()",
            "    .with_child({Ty}::new())",
            "    .with_child(Button::new(\"Apply\"));",
            "```",
        ],
        after: ["", "### Constraints", ""],
    },
    Hunk {
        section: "## [Unreleased]",
        before: ["", "### Fixed", ""],
        removed: &[],
        added: &[
            "- `{Ty}` keeps its state when the theme changes at runtime.",
            "- `{Ty}` no longer panics when its range is empty.",
        ],
        after: ["- `TreeView` keeps its selection after a hot reload.", "", "### Added"],
    },
    Hunk {
        section: "## Colours",
        before: ["", "A theme is a TOML file with a `[colors]` table:", ""],
        removed: &["Colours must be given as `#rrggbb`."],
        added: &[
            "Colours may be given as `#rrggbb`, `#rrggbbaa` or a palette name such as",
            "`accent` or `surface.raised`.",
        ],
        after: ["", "```toml", "[colors]"],
    },
];

const TOML_HUNKS: [Hunk; 2] = [
    Hunk {
        section: "[dependencies]",
        before: [
            "accesskit = \"0.17.1\"",
            "bytemuck = { version = \"1.20\", features = [\"derive\"] }",
            "log = \"0.4.25\"",
        ],
        removed: &["{crate} = \"{old}\""],
        added: &["{crate} = \"{new}\""],
        after: [
            "raw-window-handle = \"0.6\"",
            "serde = { version = \"1.0.215\", features = [\"derive\"], optional = true }",
            "taffy = \"0.6.1\"",
        ],
    },
    Hunk {
        section: "",
        before: ["", "[[package]]", "name = \"{crate}\""],
        removed: &["version = \"{old}\"", "checksum = \"{sum1}\""],
        added: &["version = \"{new}\"", "checksum = \"{sum2}\""],
        after: ["dependencies = [", " \"log\",", "]"],
    },
];

const CI_HUNKS: [Hunk; 2] = [
    Hunk {
        section: "jobs:",
        before: ["  test:", "    runs-on: ${{ matrix.os }}", "    steps:"],
        removed: &["      - uses: actions/checkout@v3"],
        added: &["      - uses: actions/checkout@v4", "      - uses: Swatinem/rust-cache@v2"],
        after: [
            "      - run: cargo test --all-features --locked",
            "      - run: cargo clippy --all-targets -- -D warnings",
            "",
        ],
    },
    Hunk {
        section: "jobs:",
        before: ["  test:", "    strategy:", "      matrix:"],
        removed: &["        os: [ubuntu-latest, windows-latest]"],
        added: &["        os: [ubuntu-latest, macos-14, windows-latest]", "        toolchain: [stable, \"1.80\"]"],
        after: ["    runs-on: ${{ matrix.os }}", "    steps:", "      - uses: actions/checkout@v4"],
    },
];

const NEW_RUST_FILE: [&str; 21] = [
    "//! Hit testing for {Ty}.",
    "",
    "use crate::geometry::{Point, Rect};",
    "",
    "/// The part of a {Ty} under a point.",
    "#[derive(Debug, Clone, Copy, PartialEq, Eq)]",
    "pub enum Hit {",
    "    Thumb,",
    "    Track,",
    "    Outside,",
    "}",
    "",
    "pub fn hit(bounds: Rect, thumb: Rect, p: Point) -> Hit {",
    "    if thumb.contains(p) {",
    "        Hit::Thumb",
    "    } else if bounds.contains(p) {",
    "        Hit::Track",
    "    } else {",
    "        Hit::Outside",
    "    }",
    "}",
];

const NEW_MD_FILE: [&str; 9] = [
    "# Writing a custom widget",
    "",
    "A widget implements `Widget`: `event`, `update`, `layout` and `paint`.",
    "",
    "```rust",
    "struct Counter { count: u32 }",
    "```",
    "",
    "See `examples/custom_widget.rs` for the complete program.",
];

/// A diff of `path` for a change about `topic`: `(status, additions, deletions,
/// patch)`, with `status` as GitHub writes it (added, modified or removed).
pub(crate) fn patch(rng: &mut SplitMix64, path: &str, topic: Topic) -> (&'static str, u64, u64, String) {
    let (crate_name, old, new) = rng.pick(&CRATES);
    let (sum1, sum2) = (rng.hex(64), rng.hex(64));
    let fill = |line: &str| -> String {
        line.replace("{Ty}", topic.ty)
            .replace("{snake}", topic.stem())
            .replace("{crate}", crate_name)
            .replace("{old}", old)
            .replace("{new}", new)
            .replace("{sum1}", &sum1)
            .replace("{sum2}", &sum2)
    };
    let (hunks, whole_file): (&[Hunk], &[&str]) = if path.ends_with(".md") {
        (&MD_HUNKS, &NEW_MD_FILE)
    } else if path.ends_with(".toml") || path.ends_with(".lock") {
        (if path.ends_with(".lock") { &TOML_HUNKS[1..] } else { &TOML_HUNKS[..1] }, &[])
    } else if path.ends_with(".yml") {
        (&CI_HUNKS, &[])
    } else {
        (&RUST_HUNKS, &NEW_RUST_FILE)
    };
    let roll = rng.below(100);
    if !whole_file.is_empty() && roll < 10 {
        let n = whole_file.len() as u64;
        let (status, sign, header) = if roll < 8 {
            ("added", '+', format!("@@ -0,0 +1,{n} @@"))
        } else {
            ("removed", '-', format!("@@ -1,{n} +0,0 @@"))
        };
        let mut out = header;
        for line in whole_file {
            out.push('\n');
            out.push(sign);
            out.push_str(&fill(line));
        }
        return if sign == '+' { (status, n, 0, out) } else { (status, 0, n, out) };
    }
    let count = if hunks.len() > 1 && rng.chance(0.35) { 2 } else { 1 };
    let first = rng.below(hunks.len() as u64) as usize;
    let (mut adds, mut dels) = (0u64, 0u64);
    let mut start = rng.range(8, 120);
    let mut out = String::new();
    for k in 0..count {
        let hunk = &hunks[(first + k) % hunks.len()];
        let (removed, added) = (hunk.removed.len() as u64, hunk.added.len() as u64);
        let new_start = start + adds - dels;
        if k > 0 {
            out.push('\n');
        }
        out.push_str(&format!("@@ -{start},{} +{new_start},{} @@", 6 + removed, 6 + added));
        if !hunk.section.is_empty() {
            out.push(' ');
            out.push_str(&fill(hunk.section));
        }
        let lines = hunk
            .before
            .iter()
            .map(|l| (' ', l))
            .chain(hunk.removed.iter().map(|l| ('-', l)))
            .chain(hunk.added.iter().map(|l| ('+', l)))
            .chain(hunk.after.iter().map(|l| (' ', l)));
        for (sign, line) in lines {
            out.push('\n');
            out.push(sign);
            out.push_str(&fill(line));
        }
        adds += added;
        dels += removed;
        start += 6 + removed + rng.range(20, 140);
    }
    ("modified", adds, dels, out)
}

/// A release's name and the lead paragraph of its notes.
pub(crate) fn release_intro(rng: &mut SplitMix64) -> &'static str {
    rng.pick(&[
        "This release focuses on layout correctness and accessibility.",
        "Mostly bug fixes, plus a faster text shaping cache.",
        "New widgets and a round of performance work on large tables.",
        "Stability release: fixes for HiDPI, Wayland and the wasm target.",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bug_reports_are_between_200_and_1500_characters_and_have_the_sections() {
        for i in 0..500 {
            let mut rng = SplitMix64::derive(1, 99, i);
            let t = topic(&mut rng);
            let title = issue_title(&mut rng, Kind::Bug, t);
            let body = issue_body(&mut rng, Kind::Bug, &title, t);
            assert!((200..=1500).contains(&body.len()), "{} chars: {body}", body.len());
            for section in ["### Steps to reproduce", "### Expected behavior", "### Actual behavior", "### Environment"]
            {
                assert!(body.contains(section));
            }
        }
    }

    #[test]
    fn patches_count_their_added_and_removed_lines() {
        for i in 0..300 {
            let mut rng = SplitMix64::derive(2, 99, i);
            let t = topic(&mut rng);
            let kind = [Kind::Bug, Kind::Docs, Kind::Ci, Kind::Dependencies][i as usize % 4];
            let path = changed_path(&mut rng, kind, t, i % 3 == 0);
            let (_, adds, dels, patch) = patch(&mut rng, path, t);
            for placeholder in ["{Ty}", "{snake}", "{crate}", "{old}", "{new}", "{sum1}", "{sum2}"] {
                assert!(!patch.contains(placeholder), "unfilled {placeholder}: {patch}");
            }
            assert_eq!(patch.lines().filter(|l| l.starts_with('+')).count() as u64, adds);
            assert_eq!(patch.lines().filter(|l| l.starts_with('-')).count() as u64, dels);
        }
    }

    #[test]
    fn logins_are_unique() {
        let mut logins: Vec<&str> = PEOPLE.iter().map(|p| p.0).collect();
        logins.sort();
        logins.dedup();
        assert_eq!(logins.len(), PEOPLE.len());
    }
}
