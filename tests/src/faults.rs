//! Rows of the fault-injection report: a scenario that passed records what it broke,
//! what it checked and what it saw; `scripts/fault-report` turns the rows of a full run
//! into `docs/fault-injection.md`.

use serde::Serialize;

/// One scenario's line in the report.
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    /// Sort key and file name, e.g. `sync-yclients-slow`.
    pub id: &'a str,
    /// What broke, and when.
    pub fault: &'a str,
    /// What was asserted (nothing lost, nothing doubled, …).
    pub checked: &'a str,
    /// What this run measured.
    pub observed: String,
}

/// Writes `row` to `$TEST_OUTPUT_DIR/faults/<id>.json`; call it after the assertions.
pub fn record(row: &Row<'_>) {
    let path = crate::output_dir("faults").join(format!("{}.json", row.id));
    let json = serde_json::to_string_pretty(row).expect("a row is JSON");
    std::fs::write(&path, json).expect("write the fault report row");
}
