//! The figures of one bench run: [`Results`] collects each metric's value from every run, then
//! gives them as `target/bench/results.json` and as a table on stdout.
//!
//! A metric is recorded once per run under a dotted name (`edge.event_added_ms.p50`); its
//! figure is the [`Summary`] of those values: `{"value": median, "unit", "min", "max"}`. The
//! JSON file is one object mapping metric names, sorted, to figures and nothing else, so tools
//! can read it without knowing this crate. The table keeps the order metrics were first
//! recorded in, which follows the suites.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::stats::Summary;

/// Every metric's values so far.
#[derive(Debug, Default)]
pub(crate) struct Results {
    metrics: Vec<Metric>,
}

/// One figure of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Figure {
    pub(crate) value: f64,
    pub(crate) unit: String,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

#[derive(Debug)]
struct Metric {
    name: String,
    unit: String,
    values: Vec<f64>,
}

impl Results {
    /// Records one run's value of metric `name`. A metric keeps the unit it was first recorded
    /// with; values that are not finite numbers are dropped (JSON cannot hold them).
    pub(crate) fn record(&mut self, name: &str, unit: &str, value: f64) {
        let index = match self.metrics.iter().position(|m| m.name == name) {
            Some(index) => index,
            None => {
                self.metrics.push(Metric {
                    name: name.to_owned(),
                    unit: unit.to_owned(),
                    values: Vec::new(),
                });
                self.metrics.len() - 1
            }
        };
        let metric = &mut self.metrics[index];
        assert_eq!(metric.unit, unit, "metric {name} recorded in two units");
        if value.is_finite() {
            metric.values.push(value);
        }
    }

    /// The figure of every metric that has a value, by name.
    pub(crate) fn figures(&self) -> BTreeMap<String, Figure> {
        self.metrics
            .iter()
            .filter_map(|metric| {
                let summary = Summary::of(&metric.values)?;
                let figure = Figure {
                    value: summary.median,
                    unit: metric.unit.clone(),
                    min: summary.min,
                    max: summary.max,
                };
                Some((metric.name.clone(), figure))
            })
            .collect()
    }

    /// `results.json`'s text.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.figures()).expect("figures serialise")
    }

    /// Writes `results.json` to `path`, creating its folder.
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, self.to_json() + "\n")
            .with_context(|| format!("writing {}", path.display()))
    }

    /// A plain-text table: name, median, min, max, unit and number of runs.
    pub(crate) fn table(&self) -> String {
        let figures = self.figures();
        let width = self.metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
        let mut out = format!(
            "{:width$}  {:>12} {:>12} {:>12}  {:<8} runs\n",
            "metric", "median", "min", "max", "unit"
        );
        for metric in &self.metrics {
            let Some(figure) = figures.get(&metric.name) else {
                continue;
            };
            out.push_str(&format!(
                "{:width$}  {:>12} {:>12} {:>12}  {:<8} {}\n",
                metric.name,
                number(figure.value),
                number(figure.min),
                number(figure.max),
                figure.unit,
                metric.values.len()
            ));
        }
        out
    }
}

/// A number for the table: integers as such, others with three decimals (or four significant
/// digits when small).
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else if value.abs() >= 0.1 {
        format!("{value:.3}")
    } else {
        format!("{value:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_median_min_and_max_of_the_runs() {
        let mut results = Results::default();
        for value in [1.5, 0.5, 9.0, 1.0, 2.0] {
            results.record("edge.event_added_ms.p50", "ms", value);
        }
        results.record("edge.streams_1000.errors", "count", 0.0);
        results.record("edge.first_event_added_ms.p50", "ms", f64::NAN);
        let figures = results.figures();
        assert_eq!(
            figures["edge.event_added_ms.p50"],
            Figure {
                value: 1.5,
                unit: "ms".into(),
                min: 0.5,
                max: 9.0
            }
        );
        assert_eq!(figures["edge.streams_1000.errors"].value, 0.0);
        assert!(
            !figures.contains_key("edge.first_event_added_ms.p50"),
            "a metric without a finite value has no figure"
        );
    }

    #[test]
    fn json_maps_names_to_value_unit_min_max() {
        let mut results = Results::default();
        results.record("widget.bundle_gzip_bytes", "bytes", 61234.0);
        results.record("mcp.read_query_ms.p50", "ms", 0.25);
        results.record("mcp.read_query_ms.p50", "ms", 0.75);
        let json: serde_json::Value = serde_json::from_str(&results.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "mcp.read_query_ms.p50": {"value": 0.5, "unit": "ms", "min": 0.25, "max": 0.75},
                "widget.bundle_gzip_bytes": {"value": 61234.0, "unit": "bytes", "min": 61234.0, "max": 61234.0},
            })
        );
    }

    #[test]
    fn write_creates_the_folder() {
        let dir = std::env::temp_dir().join(format!("pchat-bench-results-{}", std::process::id()));
        let path = dir.join("bench/results.json");
        let mut results = Results::default();
        results.record("a", "ms", 1.0);
        results.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"a\""), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn table_lists_metrics_in_recording_order() {
        let mut results = Results::default();
        results.record("z.first", "ms", 1.25);
        results.record("a.second", "count", 3.0);
        let table = results.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[1].starts_with("z.first") && lines[1].contains("1.250"));
        assert!(lines[2].starts_with("a.second") && lines[2].contains(" 3 "));
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(1.23456), "1.235");
        assert_eq!(number(0.01234), "0.0123");
    }
}
