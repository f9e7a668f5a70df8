//! The evaluation's figures: per intent, how many turns got their commands, entities,
//! side effects and reply right; every failed turn with its reasons; tokens per turn,
//! the cost of 1 000 conversations at the model's list price, and latency. Printed as a
//! table and written as JSON (the same figures) for CI and for comparing runs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One judged turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurnResult {
    /// The conversation's `id` in the corpus.
    pub conversation: String,
    /// 1-based.
    pub turn: usize,
    /// Its report row.
    pub intent: String,
    /// What the client sent.
    pub said: String,
    /// What the bot answered.
    pub reply: Option<String>,
    /// What stage 1 produced.
    pub produced: String,
    /// The command names match `expect` or one of `also`, order and repeats ignored.
    pub commands: bool,
    /// The matched expectation's parameters mean the same; false when commands are wrong.
    pub entities: bool,
    /// YClients changed as expected.
    pub effects: bool,
    /// Reply checks passed.
    pub reply_ok: bool,
    /// What failed, each led by its check (`commands:`, `entities:`, …); empty when right.
    pub reasons: Vec<String>,
    /// Tokens of both stages (prompt + output).
    pub tokens: u32,
    /// Prompt tokens of both stages.
    pub prompt_tokens: u32,
    /// Output tokens of both stages.
    pub output_tokens: u32,
    /// Last message received → reply sent, ms.
    pub latency_ms: u64,
}

impl TurnResult {
    /// All four hold.
    pub fn right(&self) -> bool {
        self.commands && self.entities && self.effects && self.reply_ok
    }
}

/// One row of the table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Turns.
    pub turns: usize,
    /// Turns whose command names were right.
    pub commands: usize,
    /// Turns whose commands and parameters were both right.
    pub entities: usize,
    /// Turns that changed YClients as expected (or left it alone).
    pub effects: usize,
    /// Turns whose reply passed its checks.
    pub replies: usize,
    /// Right on all counts.
    pub right: usize,
}

impl Row {
    fn add(&mut self, turn: &TurnResult) {
        self.turns += 1;
        self.commands += usize::from(turn.commands);
        self.entities += usize::from(turn.commands && turn.entities);
        self.effects += usize::from(turn.effects);
        self.replies += usize::from(turn.reply_ok);
        self.right += usize::from(turn.right());
    }
}

/// List prices, US dollars per million tokens (input, output).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Per million prompt tokens.
    pub input: f64,
    /// Per million output tokens.
    pub output: f64,
}

/// The list price of `model` (Google's paid tier, text, prompts up to 200k tokens).
pub fn list_price(model: &str) -> Option<Price> {
    let model = model.to_ascii_lowercase();
    let price = |input, output| Some(Price { input, output });
    if model.contains("2.5-flash-lite") {
        price(0.10, 0.40)
    } else if model.contains("2.5-flash") {
        price(0.30, 2.50)
    } else if model.contains("2.5-pro") {
        price(1.25, 10.0)
    } else if model.contains("2.0-flash-lite") {
        price(0.075, 0.30)
    } else if model.contains("2.0-flash") {
        price(0.10, 0.40)
    } else {
        None
    }
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `simulator`, `oracle`, `gemini`.
    pub llm: String,
    /// The model configured.
    pub model: String,
    /// The prompt set.
    pub prompt_version: String,
    /// Conversations played.
    pub conversations: usize,
    /// One row per `intent`, sorted by name.
    pub intents: BTreeMap<String, Row>,
    /// Every turn in one row (the table's **all**).
    pub total: Row,
    /// Every turn.
    pub turns: Vec<TurnResult>,
    /// Tokens per turn, median.
    pub tokens_p50: u32,
    /// Tokens per turn, 95th percentile.
    pub tokens_p95: u32,
    /// Dollars per 1 000 conversations at the model's list price (none when unknown).
    pub cost_per_1000_conversations: Option<f64>,
    /// Latency median, ms.
    pub latency_p50_ms: u64,
    /// Latency 99th percentile, ms.
    pub latency_p99_ms: u64,
    /// The conversation debounce in effect (part of every latency), ms.
    pub debounce_ms: u64,
}

fn quantile<T: Copy + Ord + Default>(values: &[T], q: f64) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return T::default();
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

impl Report {
    /// Sums `turns` up.
    pub fn new(
        llm: &str,
        model: &str,
        prompt_version: &str,
        conversations: usize,
        turns: Vec<TurnResult>,
        debounce_ms: u64,
    ) -> Report {
        let mut intents: BTreeMap<String, Row> = BTreeMap::new();
        let mut total = Row::default();
        for turn in &turns {
            intents.entry(turn.intent.clone()).or_default().add(turn);
            total.add(turn);
        }
        let tokens: Vec<u32> = turns.iter().map(|t| t.tokens).collect();
        let latencies: Vec<u64> = turns.iter().map(|t| t.latency_ms).collect();
        let cost = list_price(model).map(|price| {
            let input: f64 = turns.iter().map(|t| f64::from(t.prompt_tokens)).sum();
            let output: f64 = turns.iter().map(|t| f64::from(t.output_tokens)).sum();
            let per_conversation =
                (input * price.input + output * price.output) / 1e6 / conversations.max(1) as f64;
            per_conversation * 1000.0
        });
        Report {
            llm: llm.to_owned(),
            model: model.to_owned(),
            prompt_version: prompt_version.to_owned(),
            conversations,
            intents,
            total,
            tokens_p50: quantile(&tokens, 0.5),
            tokens_p95: quantile(&tokens, 0.95),
            cost_per_1000_conversations: cost,
            latency_p50_ms: quantile(&latencies, 0.5),
            latency_p99_ms: quantile(&latencies, 0.99),
            debounce_ms,
            turns,
        }
    }

    /// Share of turns right, percent.
    pub fn percent(&self) -> f64 {
        percent(self.total.right, self.total.turns)
    }

    /// The table, the failures, the figures, and the last line scripts read.
    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "eval: {} conversations, {} turns; --llm {} (model {}), prompts {}\n\n",
            self.conversations, self.total.turns, self.llm, self.model, self.prompt_version
        ));
        out.push_str(&self.table());
        let failed: Vec<&TurnResult> = self.turns.iter().filter(|t| !t.right()).collect();
        if !failed.is_empty() {
            out.push_str(&format!("\nfailed turns ({}):\n", failed.len()));
            for turn in failed {
                out.push_str(&format!(
                    "- {} #{} «{}»\n",
                    turn.conversation, turn.turn, turn.said
                ));
                for reason in &turn.reasons {
                    out.push_str(&format!("    {reason}\n"));
                }
                if let Some(reply) = &turn.reply {
                    out.push_str(&format!("    replied: {}\n", one_line(reply)));
                }
            }
        }
        out.push_str(&format!(
            "\ntokens per turn: p50 {}, p95 {}; cost per 1 000 conversations: {}\n",
            self.tokens_p50,
            self.tokens_p95,
            self.cost_per_1000_conversations.map_or_else(
                || format!("unknown (no list price for {})", self.model),
                |c| format!("${c:.2} at {}'s list price", self.model)
            )
        ));
        out.push_str(&format!(
            "latency, last message → reply sent (debounce {} ms included): p50 {} ms, p99 {} ms\n",
            self.debounce_ms, self.latency_p50_ms, self.latency_p99_ms
        ));
        out.push_str(&format!(
            "eval: {}/{} turns right ({:.1} %)\n",
            self.total.right,
            self.total.turns,
            self.percent()
        ));
        out
    }

    /// The per-intent table (Markdown, so the README can hold it as it is).
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| intent | turns | commands | entities | effects | reply | right |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
        );
        let row = |name: &str, r: &Row| {
            format!(
                "| {name} | {} | {} | {} | {} | {} | {} |\n",
                r.turns,
                share(r.commands, r.turns),
                share(r.entities, r.turns),
                share(r.effects, r.turns),
                share(r.replies, r.turns),
                share(r.right, r.turns)
            )
        };
        for (name, r) in &self.intents {
            out.push_str(&row(name, r));
        }
        out.push_str(&row("**all**", &self.total));
        out
    }

    /// Per intent, this run's share right beside `other`'s.
    pub fn compared(&self, other: &Report) -> String {
        let mut out = format!(
            "| intent | {} right | {} right | change |\n|---|---:|---:|---:|\n",
            other.prompt_version, self.prompt_version
        );
        let names: std::collections::BTreeSet<&String> =
            self.intents.keys().chain(other.intents.keys()).collect();
        let line = |name: &str, a: Option<&Row>, b: Option<&Row>| {
            let pa = a.map_or(0.0, |r| percent(r.right, r.turns));
            let pb = b.map_or(0.0, |r| percent(r.right, r.turns));
            format!("| {name} | {pa:.0} % | {pb:.0} % | {:+.0} |\n", pb - pa)
        };
        for name in names {
            out.push_str(&line(name, other.intents.get(name), self.intents.get(name)));
        }
        out.push_str(&line("**all**", Some(&other.total), Some(&self.total)));
        out
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn share(part: usize, whole: usize) -> String {
    format!("{part} ({:.0} %)", percent(part, whole))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(intent: &str, right: bool, tokens: u32) -> TurnResult {
        TurnResult {
            conversation: "c".into(),
            turn: 1,
            intent: intent.into(),
            said: "да".into(),
            reply: Some("Хорошо".into()),
            produced: "none".into(),
            commands: true,
            entities: true,
            effects: right,
            reply_ok: true,
            reasons: if right {
                vec![]
            } else {
                vec!["effects: x".into()]
            },
            tokens,
            prompt_tokens: tokens - 10,
            output_tokens: 10,
            latency_ms: 100,
        }
    }

    #[test]
    fn the_report_sums_per_intent_and_ends_with_the_line_scripts_read() {
        let report = Report::new(
            "oracle",
            "gemini-2.5-flash",
            "v1",
            2,
            vec![
                turn("chat", true, 1000),
                turn("CREATE_BOOKING", false, 2000),
                turn("chat", true, 1500),
            ],
            500,
        );
        assert_eq!(report.total.right, 2);
        assert_eq!(report.intents["chat"].right, 2);
        assert_eq!(report.tokens_p50, 1500);
        let text = report.text();
        assert!(text.ends_with("eval: 2/3 turns right (66.7 %)\n"), "{text}");
        assert!(text.contains("effects: x"));
        // 4470 prompt tokens at $0.30/M and 30 output at $2.50/M over 2 conversations.
        let cost = report.cost_per_1000_conversations.unwrap();
        assert!((cost - (4470.0 * 0.30 + 30.0 * 2.50) / 1e6 / 2.0 * 1000.0).abs() < 1e-9);
    }
}
