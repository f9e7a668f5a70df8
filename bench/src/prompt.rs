//! The size of stage 1's prompt for the bench salon (300 services, 50 masters): typical
//! turns of a 20-turn conversation rendered with the product's own prompt code, against
//! the same turns with the whole catalog listed. Tokens are counted as the eval and the
//! Gemini simulator count them (characters / 4) and, for Russian text on a real
//! tokenizer, pessimistically (characters / 3). Needs no services.

use super::sync::BENCH_SALON;
use ai_admin_activities::acts::conversation::context::{
    SalonContext, Stage1Turn, stage1_prompt_with,
};
use ai_admin_activities::acts::conversation::discussed::Discussed;
use ai_admin_activities::assistant::catalog::{Catalog, ServiceInfo, StaffInfo};
use ai_admin_activities::assistant::prompts::PromptSet;
use ai_admin_activities::clients::llm::{Prompt, Turn};
use ai_admin_simulators::yclients::Salon;
use chrono::{NaiveDate, NaiveTime};

/// The budget this bench holds stage 1 to, in tokens as the eval counts them.
pub const STAGE1_TOKEN_BUDGET: usize = 2_000;

/// The turns measured: what the client says and what was said before.
const TURNS: [&str; 6] = [
    "Здравствуйте! Сколько стоит мужская стрижка?",
    "хочу записаться на маникюр с покрытием завтра после 18",
    "а к Анне можно?",
    "да",
    "перенесите мою запись на пятницу",
    "где вы находитесь?",
];

/// The bench salon's catalog as the product loads it.
fn bench_catalog() -> Catalog {
    let start = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
    let salon = Salon::generate(1, "Бенч", "Europe/Moscow", BENCH_SALON, start);
    let category = |id: i64| {
        salon
            .categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
    };
    Catalog {
        services: salon
            .services
            .iter()
            .map(|s| ServiceInfo {
                yclients_id: s.id,
                title: s.title.clone(),
                category: category(s.category_id),
                price_min: Some(f64::from(s.price_min)),
                price_max: Some(f64::from(s.price_max)),
                duration: i32::try_from(s.duration_minutes).ok(),
                description: None,
            })
            .collect(),
        staff: salon
            .staff
            .iter()
            .map(|m| StaffInfo {
                yclients_id: m.id,
                name: m.name.clone(),
                specialization: Some(m.specialization.clone()),
                services: vec![],
            })
            .collect(),
        words: ai_admin_activities::assistant::synonyms::Synonyms::common(),
    }
}

/// Characters a model reads of `prompt`.
fn chars(prompt: &Prompt) -> usize {
    prompt.system.chars().count()
        + prompt
            .turns
            .iter()
            .map(|t| t.text.chars().count())
            .sum::<usize>()
}

/// A conversation of 20 turns before the one measured.
fn history() -> Vec<Turn> {
    (0..10)
        .flat_map(|n| {
            [
                Turn::user(format!("Вопрос клиента номер {n} о записи на завтра")),
                Turn::model(format!(
                    "Ответ администратора номер {n}: свободно в 10:00, 12:30 и 15:00."
                )),
            ]
        })
        .collect()
}

/// Measures and prints (a benchmark's figures go to stdout); fails when a turn is over
/// [`STAGE1_TOKEN_BUDGET`].
#[allow(clippy::print_stdout)]
pub fn run() -> anyhow::Result<()> {
    let catalog = bench_catalog();
    let salon = SalonContext {
        company_id: 1,
        title: "Бенч".to_owned(),
        zone: ai_admin_activities::domain::DEFAULT_ZONE,
        today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        now: NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default(),
        catalog: catalog.clone(),
    };
    let set = PromptSet::current();
    let history = history();
    let visits = "№ 101 — «Стрижка мужская» 04.12 (пятница) в 15:00, мастер Анна Смирнова";
    let discussed = Discussed {
        service: catalog.services.first().map(|s| s.title.clone()),
        ..Discussed::default()
    };
    println!(
        "stage-1 prompt, bench salon: {} services, {} masters, {} turns of history, prompts {}",
        catalog.services.len(),
        catalog.staff.len(),
        history.len(),
        set.version
    );
    println!(
        "{:<60} {:>8} {:>10} {:>10}",
        "turn", "chars", "tokens/4", "tokens/3"
    );
    let mut worst = 0;
    for said in TURNS {
        let messages = vec![said.to_owned()];
        let turn = Stage1Turn {
            client_name: Some("Ольга"),
            visits,
            usual: "«Стрижка мужская» у мастера Анна Смирнова, обычно в 15:00 (4 визита)",
            history: &history,
            messages: &messages,
            discussed: &discussed,
        };
        let prompt = stage1_prompt_with(set, &salon, &turn)?;
        let n = chars(&prompt);
        worst = worst.max(n / 4);
        println!("{said:<60} {n:>8} {:>10} {:>10}", n / 4, n / 3);
    }
    // The same salon listed whole, for comparison.
    let whole: usize = catalog
        .services
        .iter()
        .map(|s| {
            format!("- {} — {}\n", s.title, s.price_text())
                .chars()
                .count()
        })
        .sum::<usize>()
        + catalog
            .staff
            .iter()
            .map(|m| m.name.chars().count() + 4)
            .sum::<usize>();
    println!(
        "the whole catalog alone would be {} chars (~{} tokens) in every stage-1 prompt",
        whole,
        whole / 4
    );
    println!("stage-1 budget: {worst} of {STAGE1_TOKEN_BUDGET} tokens at most");
    anyhow::ensure!(
        worst <= STAGE1_TOKEN_BUDGET,
        "stage 1 is over its budget: {worst} > {STAGE1_TOKEN_BUDGET} tokens"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bench_salons_stage1_prompt_stays_within_its_budget() {
        super::run().unwrap();
    }
}
