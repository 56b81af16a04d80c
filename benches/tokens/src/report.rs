//! The report: a Markdown table for people (and the README), JSON for
//! benchmark suites, and an SVG bar chart.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::run::{Report, reduction};

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// A percentage to one decimal, rounded down: 99.96% shows as 99.9%, never 100.0%.
fn percent(fraction: f64) -> String {
    format!("{:.1}%", (fraction * 1000.0).floor() / 10.0)
}

/// The Markdown table: one row per scenario, then the suite's total. Without
/// `timing` every figure in it is deterministic (the README shows that one).
pub fn table(report: &Report, timing: bool) -> String {
    let mut out = String::from(
        "| scenario | direct tokens | code-mode tokens | reduction | cl100k: direct → code | model calls: direct → code | tool calls | tool result bytes |",
    );
    out.push_str(if timing { " wall: direct → code | answers |\n" } else { " answers |\n" });
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|");
    out.push_str(if timing { "---:|:-:|\n" } else { ":-:|\n" });
    for s in &report.scenarios {
        let _ = write!(
            out,
            "| {} | {} | {} | **{}** | {} → {} | {} → {} | {} | {} |",
            s.title,
            thousands(s.direct.tokens.o200k),
            thousands(s.code.tokens.o200k),
            percent(s.reduction()),
            thousands(s.direct.tokens.cl100k),
            thousands(s.code.tokens.cl100k),
            s.direct.model_calls,
            s.code.model_calls,
            s.code.upstream_calls,
            bytes(s.direct.bytes_from_tools),
        );
        if timing {
            let _ = write!(out, " {:.2} s → {:.2} s |", s.direct.wall_ms / 1000.0, s.code.wall_ms / 1000.0);
        }
        let _ = writeln!(out, " {} |", if s.verified { "✓" } else { "✗" });
    }
    let (direct, code) = report.totals();
    let _ = write!(
        out,
        "| **suite** | **{}** | **{}** | **{}** | {} → {} | | | |",
        thousands(direct.o200k),
        thousands(code.o200k),
        percent(reduction(direct.o200k, code.o200k)),
        thousands(direct.cl100k),
        thousands(code.cl100k),
    );
    if timing {
        out.push_str(" |");
    }
    let _ = writeln!(out, " {} |", if report.scenarios.iter().all(|s| s.verified) { "✓" } else { "✗" });
    out
}

/// What went wrong, one line each: answers that differ, mode errors, gaps in the fake GitHub.
pub fn problems(report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    for s in &report.scenarios {
        for (mode, m) in [("direct", &s.direct), ("code", &s.code)] {
            if let Some(error) = &m.error {
                problems.push(format!("{} ({mode}): {error}", s.name));
            } else if m.answer.as_ref() != Some(&s.expected) {
                problems.push(format!(
                    "{} ({mode}): the answer {} differs from the independent answer {}",
                    s.name,
                    m.answer.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                    s.expected
                ));
            }
        }
    }
    for request in &report.unserved {
        problems.push(format!("the fake GitHub could not serve {request}"));
    }
    problems
}

/// Why the chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

/// A grouped bar chart, direct against code mode per scenario, on a log scale
/// (the figures span three orders of magnitude), as SVG text.
pub fn svg(report: &Report) -> Result<String, ChartError> {
    let fail = |error: &dyn std::fmt::Display| ChartError(error.to_string());
    let mut svg = String::new();
    let rows = report.scenarios.len().max(1);
    let height = 120 + rows as u32 * 46;
    {
        let root = SVGBackend::with_string(&mut svg, (960, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let max = report.scenarios.iter().map(|s| s.direct.tokens.o200k.max(s.code.tokens.o200k)).max().unwrap_or(10);
        let top = 10f64.powf((max as f64).log10().ceil().max(1.0) + 0.3);
        let mut chart = ChartBuilder::on(&root)
            .caption("Tokens through the model's context (o200k, log scale)", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(300)
            .build_cartesian_2d((100f64..top).log_scale(), 0f64..rows as f64)
            .map_err(|e| fail(&e))?;
        let names: Vec<String> = report.scenarios.iter().map(|s| s.title.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows * 2 + 1)
            .y_label_formatter(&|y| {
                let row = y.floor() as usize;
                let centre = (y - y.floor() - 0.5).abs() < 0.01;
                if centre && row < names.len() { names[rows - 1 - row].clone() } else { String::new() }
            })
            .x_label_formatter(&|x| thousands(x.round() as u64))
            .x_desc("tokens")
            .draw()
            .map_err(|e| fail(&e))?;
        let direct_colour = RGBColor(0xd9, 0x5f, 0x02);
        let code_colour = RGBColor(0x1b, 0x9e, 0x77);
        let bars = |code: bool| {
            report.scenarios.iter().enumerate().map(move |(i, s)| {
                let row = (rows - 1 - i) as f64;
                let (tokens, lo, colour) = if code {
                    (s.code.tokens.o200k, row + 0.15, code_colour)
                } else {
                    (s.direct.tokens.o200k, row + 0.5, direct_colour)
                };
                Rectangle::new([(100.0, lo), ((tokens as f64).max(100.0), lo + 0.33)], colour.filled())
            })
        };
        chart
            .draw_series(bars(false))
            .map_err(|e| fail(&e))?
            .label("direct tool calls")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], direct_colour.filled()));
        chart
            .draw_series(bars(true))
            .map_err(|e| fail(&e))?
            .label("Sluice code mode")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], code_colour.filled()));
        let labels = report.scenarios.iter().enumerate().flat_map(|(i, s)| {
            let row = (rows - 1 - i) as f64;
            [
                Text::new(
                    format!(" {}", thousands(s.direct.tokens.o200k)),
                    ((s.direct.tokens.o200k as f64).max(100.0), row + 0.78),
                    ("sans-serif", 12),
                ),
                Text::new(
                    format!(" {} ({} less)", thousands(s.code.tokens.o200k), percent(s.reduction())),
                    ((s.code.tokens.o200k as f64).max(100.0), row + 0.43),
                    ("sans-serif", 12),
                ),
            ]
        });
        chart.draw_series(labels).map_err(|e| fail(&e))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}
