//! What the figures came from: the machine (cores, CPU model, memory), how busy it was, and
//! when.

use std::fmt;

/// The machine a report ran on.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// Cores available to this process.
    pub cores: usize,
    /// `model name` of `/proc/cpuinfo`, or `unknown`.
    pub cpu: String,
    /// `MemTotal` of `/proc/meminfo` in GiB, when known.
    pub memory_gib: Option<f64>,
    /// The operating system and architecture, e.g. `linux x86_64`.
    pub os: String,
}

impl Machine {
    /// The machine this process runs on.
    pub fn current() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = field(&cpuinfo, "model name")
            .unwrap_or("unknown")
            .to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_gib = field(&meminfo, "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / (1024.0 * 1024.0));
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            memory_gib,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cores, {}", self.cores, self.cpu)?;
        if let Some(gib) = self.memory_gib {
            write!(f, ", {gib:.0} GiB")?;
        }
        write!(f, ", {}", self.os)
    }
}

/// The value of `name: value` in a `/proc` text file.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// The 1, 5 and 15 minute load averages of `/proc/loadavg`, when known.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().ok());
    Some([parts.next()??, parts.next()??, parts.next()??])
}

/// Now as `YYYY-MM-DD HH:MM UTC`.
pub fn now_utc() -> String {
    let now = dfinery::Datetime::now().to_string();
    format!("{} {} UTC", &now[..10], &now[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_a_utc_minute() {
        let now = now_utc();
        assert_eq!(now.len(), "2024-06-24 06:01 UTC".len(), "{now}");
        assert!(now.ends_with(" UTC") && now.as_bytes()[10] == b' ', "{now}");
    }

    #[test]
    fn proc_fields_are_found_by_name() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC\nMemTotal:  1024 kB\n";
        assert_eq!(field(text, "model name"), Some("AMD EPYC"));
        assert_eq!(field(text, "MemTotal"), Some("1024 kB"));
        assert_eq!(field(text, "missing"), None);
    }
}
