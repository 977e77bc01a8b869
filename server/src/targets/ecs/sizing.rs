//! Fargate task sizes: only some CPU/memory pairs exist. Checked before any
//! AWS call, so a bad pair is a form error, not an AWS refusal mid-deploy.

use std::fmt;

/// A valid Fargate size: CPU units (1024 = 1 vCPU) and memory in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSize {
    cpu: u32,
    memory_mb: u32,
}

/// Per CPU size: the smallest and largest memory and the step between them (MiB).
/// From the AWS documentation of task CPU and memory for Fargate (Linux).
const SIZES: [(u32, u32, u32, u32); 7] = [
    (256, 512, 2048, 512), // 512, 1024, 2048 are listed; 1536 is not (handled below)
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

impl TaskSize {
    /// Validates a pair; the refusal lists what this CPU size allows.
    pub fn parse(cpu: u32, memory_mb: u32) -> Result<Self, String> {
        let Some(&(_, min, max, step)) = SIZES.iter().find(|(c, ..)| *c == cpu) else {
            let cpus: Vec<String> = SIZES.iter().map(|(c, ..)| c.to_string()).collect();
            return Err(format!("Fargate has no {cpu}-unit CPU size; use one of {} (1024 = 1 vCPU).", cpus.join(", ")));
        };
        let fits = (min..=max).contains(&memory_mb)
            && (memory_mb - min).is_multiple_of(step)
            && !(cpu == 256 && memory_mb == 1536);
        if !fits {
            let allowed = if cpu == 256 {
                "512, 1024 or 2048 MiB".to_owned()
            } else {
                format!("{min} to {max} MiB in steps of {step}")
            };
            return Err(format!("{memory_mb} MiB doesn't fit a {cpu}-unit Fargate task; it takes {allowed}."));
        }
        Ok(Self { cpu, memory_mb })
    }

    pub fn cpu(self) -> u32 {
        self.cpu
    }

    pub fn memory_mb(self) -> u32 {
        self.memory_mb
    }

    pub fn vcpus(self) -> f64 {
        f64::from(self.cpu) / 1024.0
    }

    pub fn memory_gb(self) -> f64 {
        f64::from(self.memory_mb) / 1024.0
    }
}

impl fmt::Display for TaskSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} vCPU / {} GB", self.vcpus(), self.memory_gb())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_pairs_are_accepted() {
        for (cpu, memory) in
            [(256, 512), (256, 2048), (512, 4096), (1024, 3072), (4096, 30720), (8192, 20480), (16384, 122880)]
        {
            assert!(TaskSize::parse(cpu, memory).is_ok(), "{cpu}/{memory}");
        }
    }

    #[test]
    fn other_pairs_are_refused_with_what_fits() {
        assert!(TaskSize::parse(256, 1536).unwrap_err().contains("512, 1024 or 2048 MiB"));
        assert!(TaskSize::parse(256, 4096).is_err());
        assert!(TaskSize::parse(1024, 1024).unwrap_err().contains("2048 to 8192 MiB in steps of 1024"));
        assert!(TaskSize::parse(8192, 18432).is_err(), "8 vCPU steps by 4 GB");
        assert!(TaskSize::parse(300, 512).unwrap_err().contains("no 300-unit CPU size"));
    }

    #[test]
    fn shown_in_vcpus_and_gb() {
        assert_eq!(TaskSize::parse(512, 1024).unwrap().to_string(), "0.5 vCPU / 1 GB");
    }
}
