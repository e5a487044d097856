//! What the bench reads from and asks of the operating system: the open-file limit, a
//! process's peak memory, and a one-line description of the machine (Linux `/proc`).

use anyhow::Context;

/// Raises this process's soft limit on open files to at least `want` (up to the hard limit);
/// children started afterwards inherit it. Returns the soft limit now in force.
pub(crate) fn raise_open_files(want: u64) -> anyhow::Result<u64> {
    rlimit::increase_nofile_limit(want).context("raising RLIMIT_NOFILE")
}

/// The peak resident set size (`VmHWM`) of process `pid`, in MiB.
pub(crate) fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    status_kib(&status(pid)?, "VmHWM")
        .map(|kib| kib as f64 / 1024.0)
        .context("no VmHWM in /proc/<pid>/status")
}

/// `/proc/<pid>/status`.
fn status(pid: u32) -> anyhow::Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))
}

/// What a process holds resident, by kind (`/proc/<pid>/status`), in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Resident {
    /// `VmRSS`: all of it.
    pub(crate) total: u64,
    /// `RssAnon`: private pages (for wasmtime: heaps, fiber stacks, written guest memory).
    pub(crate) anon: u64,
    /// `RssFile`: mapped files (the runtime's own binary and libraries).
    pub(crate) file: u64,
    /// `RssShmem`: shared memory (for wasmtime: the guest's initial memory image, a memfd
    /// that every instance maps and that counts once per instance that touched a page).
    pub(crate) shmem: u64,
}

/// What process `pid` holds resident now.
pub(crate) fn resident(pid: u32) -> anyhow::Result<Resident> {
    let status = status(pid)?;
    let kib = |key| status_kib(&status, key).with_context(|| format!("no {key} for {pid}"));
    Ok(Resident {
        total: kib("VmRSS")?,
        anon: kib("RssAnon")?,
        file: kib("RssFile")?,
        shmem: kib("RssShmem")?,
    })
}

/// The CPU time (user + system, all threads) process `pid` has used, in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    stat_cpu_ticks(&stat)
        .map(|ticks| ticks as f64 / CLOCK_TICKS_PER_SECOND)
        .context("no CPU times in /proc/<pid>/stat")
}

/// `USER_HZ`, the unit of the CPU times in `/proc/<pid>/stat`: 100 on every Linux the bench
/// runs on (the kernel fixes it for user space).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The machine, as `README.md` states it: cores, memory and CPU model.
pub(crate) fn describe_machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| status_kib(&info, "MemTotal"))
        .map_or(0.0, |kib| kib as f64 / 1024.0 / 1024.0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {memory_gib:.1} GiB, {cpu}")
}

/// The value in kB of a `Key:   123 kB` line of a `/proc` file.
fn status_kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_lines() {
        let status = "Name:\twasmtime\nVmPeak:\t  900 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(51234));
        assert_eq!(status_kib(status, "VmHW"), None);
        assert_eq!(status_kib("", "VmHWM"), None);
    }

    #[test]
    fn reads_cpu_ticks_after_the_command_name() {
        let stat =
            "4242 (wasm time) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 9 0 100 0 0";
        assert_eq!(stat_cpu_ticks(stat), Some(175));
        assert_eq!(stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn own_peak_rss_is_positive() {
        assert!(peak_rss_mib(std::process::id()).unwrap() > 0.0);
    }
}
