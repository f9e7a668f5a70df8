//! What the conversation is about, kept by the workflow from turn to turn and shown to
//! stage 1: the visit being discussed (service, master, day, time), the times just
//! offered, the visit just booked, and a cancellation or a move that waits for the
//! client's yes.
//!
//! It is built from the commands' results (what the salon's data resolved), not from
//! the model's words, so «да» or «в 12» after an offer is read against what was really
//! offered, and a cancellation runs only after the client said yes to that very visit.

use crate::acts::conversation::lookup::CommandResult;
use crate::assistant::dates::day_text;
use chrono::{DateTime, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The conversation's subject, as of the last turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discussed {
    /// The service, as the salon calls it.
    pub service: Option<String>,
    /// The master, when one was named.
    pub staff: Option<String>,
    /// The day.
    pub date: Option<NaiveDate>,
    /// The time, `HH:MM`.
    pub time: Option<String>,
    /// Times offered last (on `date`).
    #[serde(default)]
    pub offered: Vec<String>,
    /// The visit booked or moved last.
    pub booked: Option<i64>,
    /// A cancellation the client was asked to confirm at the last turn.
    pub awaiting: Option<Awaiting>,
}

/// A question about one visit, waiting for the client's yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Awaiting {
    /// The visit.
    pub record_id: i64,
    /// How the client was told of it («Стрижка» 02.12 (среда) в 15:00 (№ 5)).
    pub visit: String,
    /// What a yes does.
    #[serde(default)]
    pub question: Question,
}

/// What the client was asked about a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Question {
    /// «Отменить?»
    #[default]
    Cancel,
    /// «Перенести на … в …?» (day `DD.MM`, time `HH:MM`).
    Move {
        /// The new day.
        date: String,
        /// The new time.
        time: String,
    },
    /// A reminder: «ок», «👍», «да» confirm the visit.
    Confirm,
}

/// The `data` of a cancellation that waits for a yes.
pub fn confirm_cancel_data(record_id: i64, visit: &str) -> Value {
    serde_json::json!({ "confirm": "cancel", "record_id": record_id, "visit": visit })
}

/// The `data` of a move that waits for a yes.
pub fn confirm_move_data(record_id: i64, visit: &str, date: &str, time: &str) -> Value {
    serde_json::json!({
        "confirm": "move", "record_id": record_id, "visit": visit, "date": date, "time": time,
    })
}

fn text_of(data: &Value, key: &str) -> Option<String> {
    data[key]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn date_of(data: &Value) -> Option<NaiveDate> {
    data["date"].as_str().and_then(|d| d.parse().ok())
}

/// Day and `HH:MM` of an RFC 3339 instant, in the offset it was written with (the salon's).
fn day_and_time(data: &Value) -> Option<(NaiveDate, String)> {
    let at = DateTime::parse_from_rfc3339(data["datetime"].as_str()?).ok()?;
    Some((at.date_naive(), at.format("%H:%M").to_string()))
}

fn times_of(data: &Value, key: &str) -> Vec<String> {
    data[key]
        .as_array()
        .map(|times| {
            times
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Discussed {
    /// The subject after a turn whose commands gave `results`. An offer and a question
    /// last one turn: whatever the client says next answers them or moves on.
    pub fn after(&self, results: &[CommandResult]) -> Discussed {
        let mut next = Discussed {
            awaiting: None,
            ..self.clone()
        };
        for result in results {
            let data = &result.data;
            match (result.command.as_str(), result.ok) {
                ("SEARCH_SLOTS", true) => {
                    next.service = text_of(data, "service").or(next.service);
                    next.staff = text_of(data, "staff").or(next.staff);
                    next.date = date_of(data).or(next.date);
                    next.offered = times_of(data, "times");
                }
                ("CREATE_BOOKING" | "RESCHEDULE_BOOKING", true) => {
                    next.service = text_of(data, "service").or(next.service);
                    next.staff = text_of(data, "staff").or(next.staff);
                    if let Some((date, time)) = day_and_time(data) {
                        next.date = Some(date);
                        next.time = Some(time);
                    }
                    next.booked = data["record_id"].as_i64().or(next.booked);
                    next.offered.clear();
                }
                ("CREATE_BOOKING" | "RESCHEDULE_BOOKING", false) if data["taken"] == true => {
                    next.date = date_of(data).or(next.date);
                    next.offered = times_of(data, "alternatives");
                }
                ("CANCEL_BOOKING", true) => next = Discussed::default(),
                ("CANCEL_BOOKING", false) if data["confirm"] == "cancel" => {
                    if let (Some(record_id), Some(visit)) =
                        (data["record_id"].as_i64(), text_of(data, "visit"))
                    {
                        next.awaiting = Some(Awaiting {
                            record_id,
                            visit,
                            question: Question::Cancel,
                        });
                    }
                }
                ("RESCHEDULE_BOOKING", false) if data["confirm"] == "move" => {
                    if let (Some(record_id), Some(visit), Some(date), Some(time)) = (
                        data["record_id"].as_i64(),
                        text_of(data, "visit"),
                        text_of(data, "date"),
                        text_of(data, "time"),
                    ) {
                        next.awaiting = Some(Awaiting {
                            record_id,
                            visit,
                            question: Question::Move { date, time },
                        });
                    }
                }
                _ => {}
            }
        }
        next
    }

    /// For stage 1's prompt.
    pub fn text(&self) -> String {
        let mut lines = Vec::new();
        let subject: Vec<String> = [
            self.service.as_ref().map(|s| format!("услуга «{s}»")),
            self.staff.as_ref().map(|s| format!("мастер {s}")),
            self.date.map(|d| format!("день {}", day_text(d))),
            self.time.as_ref().map(|t| format!("время {t}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !subject.is_empty() {
            lines.push(format!("Обсуждается: {}.", subject.join(", ")));
        }
        if let Some(id) = self.booked {
            lines.push(format!("Последняя сделанная запись: № {id}."));
        }
        if !self.offered.is_empty() {
            lines.push(format!(
                "Клиенту только что предложено время: {}.",
                self.offered.join(", ")
            ));
        }
        if let Some(Awaiting {
            record_id,
            visit,
            question,
        }) = &self.awaiting
        {
            lines.push(match question {
                Question::Cancel => format!(
                    "Ждёт ответа клиента: отменить запись № {record_id} — {visit}? Согласие — CANCEL_BOOKING с booking «{record_id}»; отказ или другое — без отмены."
                ),
                Question::Move { date, time } => format!(
                    "Ждёт ответа клиента: перенести запись № {record_id} — {visit} на {date} в {time}? Согласие — RESCHEDULE_BOOKING с booking «{record_id}», date «{date}», time «{time}»; отказ или другое — без переноса."
                ),
                Question::Confirm => format!(
                    "Ждёт ответа клиента: напоминание о записи № {record_id} — {visit}. «Да», «ок», «👍», «приду» — CONFIRM_BOOKING с booking «{record_id}»."
                ),
            });
        }
        if lines.is_empty() {
            "ничего".to_owned()
        } else {
            lines.join("\n")
        }
    }
}

/// Words that agree to what was just asked («да», «давайте», «отменяйте», 👍).
const YES: [&str; 21] = [
    "да",
    "давай",
    "давайте",
    "ок",
    "окей",
    "ok",
    "ага",
    "угу",
    "конечно",
    "хорошо",
    "верно",
    "подтверждаю",
    "отменяйте",
    "отменяй",
    "отмените",
    "отменить",
    "отмена",
    "переносите",
    "перенесите",
    "подходит",
    "согласна",
];

/// What refuses («нет», «не надо», «передумала», «оставьте»): parts of words.
const NO: [&str; 6] = [
    "не надо",
    "не нужно",
    "не отменя",
    "не переноси",
    "передумал",
    "остав",
];

/// Whether the client's `messages` say yes to the question just asked, and not no: a
/// cancellation runs only on that, whatever the model made of the words.
pub fn says_yes(messages: &[String]) -> bool {
    let text = messages.join(" ").to_lowercase().replace('ё', "е");
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '👍')
        .filter(|w| !w.is_empty())
        .collect();
    let no = words.contains(&"нет") || NO.iter().any(|part| text.contains(part));
    let yes = text.contains('👍')
        || words
            .iter()
            .any(|w| YES.contains(w) || w.starts_with("согласен"));
    yes && !no
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acts::conversation::lookup::CommandResult;
    use serde_json::json;

    fn result(command: &str, ok: bool, data: Value) -> CommandResult {
        CommandResult {
            command: command.to_owned(),
            ok,
            summary: String::new(),
            data,
        }
    }

    #[test]
    fn offered_times_are_kept_for_one_turn_and_a_booking_fixes_the_visit() {
        let offer = result(
            "SEARCH_SLOTS",
            true,
            json!({ "service": "Маникюр", "staff": null, "date": "2026-12-02", "times": ["10:00", "12:00"] }),
        );
        let offered = Discussed::default().after(&[offer]);
        assert_eq!(offered.service.as_deref(), Some("Маникюр"));
        assert_eq!(offered.offered, ["10:00", "12:00"]);
        assert!(
            offered.text().contains("10:00, 12:00"),
            "{}",
            offered.text()
        );

        let booked = offered.after(&[result(
            "CREATE_BOOKING",
            true,
            json!({ "record_id": 7, "service": "Маникюр", "staff": "Мария", "datetime": "2026-12-02T12:00:00+03:00" }),
        )]);
        assert_eq!(booked.time.as_deref(), Some("12:00"));
        assert_eq!(booked.date, "2026-12-02".parse().ok());
        assert_eq!(booked.staff.as_deref(), Some("Мария"));
        assert_eq!(booked.booked, Some(7));
        assert!(booked.offered.is_empty());
        let text = booked.text();
        assert!(
            text.contains("«Маникюр»") && text.contains("Мария") && text.contains("№ 7"),
            "{text}"
        );
        // A turn of talk keeps the subject.
        assert_eq!(booked.after(&[]), booked);
    }

    #[test]
    fn a_cancellation_waits_one_turn_for_a_yes_and_a_done_one_clears_the_subject() {
        let asked = Discussed::default().after(&[result(
            "CANCEL_BOOKING",
            false,
            confirm_cancel_data(5, "«Педикюр» 05.12 (суббота) в 16:00 (№ 5)"),
        )]);
        assert_eq!(asked.awaiting.as_ref().map(|a| a.record_id), Some(5));
        assert!(asked.text().contains("Ждёт ответа клиента"));
        assert_eq!(
            asked.after(&[]).awaiting,
            None,
            "only the next turn answers it"
        );
        let done = asked.after(&[result("CANCEL_BOOKING", true, json!({ "record_id": 5 }))]);
        assert_eq!(done, Discussed::default());
        assert_eq!(done.text(), "ничего");

        let move_asked = Discussed::default().after(&[result(
            "RESCHEDULE_BOOKING",
            false,
            confirm_move_data(
                5,
                "«Педикюр» 05.12 (суббота) в 16:00 (№ 5)",
                "03.12",
                "16:00",
            ),
        )]);
        let awaiting = move_asked.awaiting.clone().unwrap();
        assert_eq!(
            awaiting.question,
            Question::Move {
                date: "03.12".into(),
                time: "16:00".into()
            }
        );
        assert!(
            move_asked.text().contains("перенести запись № 5")
                && move_asked.text().contains("03.12"),
            "{}",
            move_asked.text()
        );
    }

    #[test]
    fn only_a_yes_confirms() {
        let yes = |text: &str| says_yes(&[text.to_owned()]);
        for text in [
            "да",
            "Да, отменяйте",
            "да пожалуйста",
            "👍",
            "Ок",
            "конечно",
            "отмените",
            "согласен",
        ] {
            assert!(yes(text), "{text}");
        }
        for text in [
            "нет",
            "Нет, не надо",
            "не отменяйте",
            "передумала, оставьте",
            "а сколько стоит маникюр?",
            "в 15:00",
            "да нет, не надо",
            "",
        ] {
            assert!(!yes(text), "{text}");
        }
    }
}
