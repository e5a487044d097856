//! Summaries of measurements: percentiles of one run's samples, and the median, minimum and
//! maximum of a metric over several runs ([`Summary`]).
//!
//! Percentiles use the nearest-rank method: the p-th percentile of n sorted samples is the one
//! at rank ceil(p / 100 * n), counting from 1, so it is always a value that was measured and
//! p99 of fewer than 100 samples is the largest one. The median of an even number of values is
//! the mean of the two middle ones. NaN never enters a summary: callers record only numbers.

/// The median, minimum and maximum of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Summary {
    /// Summarises `values`; `None` when there are none.
    pub(crate) fn of(values: &[f64]) -> Option<Self> {
        let sorted = sorted(values);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Self {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// The `p`-th percentile (0 < p <= 100) of `samples` by nearest rank; `None` when empty.
pub(crate) fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    let sorted = sorted(samples);
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_the_middle_and_the_ends() {
        let check = |values: &[f64], median: f64, min: f64, max: f64| {
            assert_eq!(
                Summary::of(values),
                Some(Summary { median, min, max }),
                "{values:?}"
            );
        };
        check(&[3.0, 1.0, 2.0, 5.0, 4.0], 3.0, 1.0, 5.0);
        check(&[7.0], 7.0, 7.0, 7.0);
        check(&[4.0, 1.0, 3.0, 2.0], 2.5, 1.0, 4.0);
        check(&[-1.0, 10.0, 0.5, 0.5, 9.0], 0.5, -1.0, 10.0);
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let hundred: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let check = |samples: &[f64], p: f64, want: f64| {
            assert_eq!(percentile(samples, p), Some(want), "p{p} of {samples:?}");
        };
        check(&hundred, 50.0, 50.0);
        check(&hundred, 99.0, 99.0);
        check(&hundred, 100.0, 100.0);
        check(&hundred, 1.0, 1.0);
        check(&hundred, 0.1, 1.0);
        check(&[5.0, 1.0, 3.0], 50.0, 3.0);
        check(&[5.0, 1.0, 3.0], 99.0, 5.0);
        check(&[2.0, 1.0], 50.0, 1.0);
        check(&[42.0], 99.0, 42.0);
        assert_eq!(percentile(&[], 50.0), None);
    }
}
