//! A monthly cost estimate per app: Fargate vCPU-hours and GB-hours for its
//! tasks, plus its share of the shared load balancer. The prices are a table
//! in the configuration; the defaults are us-east-1 on-demand, Linux/x86.

use serde::{Deserialize, Serialize};

use super::sizing::TaskSize;

/// Hours in the month AWS's calculator uses.
pub const HOURS_PER_MONTH: f64 = 730.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    pub region: String,
    /// When these prices were taken (shown beside every estimate).
    pub as_of: String,
    pub vcpu_hour: f64,
    pub gb_hour: f64,
    /// The load balancer's hourly charge, split across the apps sharing it.
    pub alb_hour: f64,
    /// One load-balancer capacity unit per hour (an estimate assumes one LCU).
    pub lcu_hour: f64,
}

impl Default for PriceTable {
    /// us-east-1, on-demand, Linux/x86, as published in June 2026.
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            as_of: "2026-06".into(),
            vcpu_hour: 0.04048,
            gb_hour: 0.004445,
            alb_hour: 0.0225,
            lcu_hour: 0.008,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostEstimate {
    pub compute_month: f64,
    pub load_balancer_share_month: f64,
    pub total_month: f64,
    pub prices_as_of: String,
    pub region: String,
}

impl PriceTable {
    /// `tasks` tasks of `size` running all month; the load balancer shared by `apps_on_alb` apps.
    pub fn estimate(&self, size: TaskSize, tasks: u32, apps_on_alb: u32) -> CostEstimate {
        let per_task_hour = size.vcpus() * self.vcpu_hour + size.memory_gb() * self.gb_hour;
        let compute = per_task_hour * f64::from(tasks) * HOURS_PER_MONTH;
        let alb = (self.alb_hour + self.lcu_hour) * HOURS_PER_MONTH / f64::from(apps_on_alb.max(1));
        CostEstimate {
            compute_month: round_cents(compute),
            load_balancer_share_month: round_cents(alb),
            total_month: round_cents(compute + alb),
            prices_as_of: self.as_of.clone(),
            region: self.region.clone(),
        }
    }
}

fn round_cents(dollars: f64) -> f64 {
    (dollars * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_vcpu_four_gb_all_month() {
        // 1 vCPU × 0.04048 + 4 GB × 0.004445 = 0.05826 $/h → 42.53 $/month.
        let estimate = PriceTable::default().estimate(TaskSize::parse(1024, 4096).unwrap(), 1, 1);
        assert_eq!(estimate.compute_month, 42.53);
        assert_eq!(estimate.load_balancer_share_month, 22.27);
        assert_eq!(estimate.total_month, 64.79);
        assert_eq!(estimate.prices_as_of, "2026-06");
    }

    #[test]
    fn tasks_multiply_and_the_load_balancer_is_shared() {
        let size = TaskSize::parse(256, 512).unwrap();
        let one = PriceTable::default().estimate(size, 1, 4);
        let three = PriceTable::default().estimate(size, 3, 4);
        assert!((three.compute_month - 3.0 * one.compute_month).abs() < 0.02);
        assert_eq!(one.load_balancer_share_month, 5.57);
    }
}
