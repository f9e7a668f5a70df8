//! Stage 1's commands run against the salon: the read-only lookups, booking, changes
//! to the client's own visits, and the two that change the conversation itself (the
//! client's name, handoff to a person).

use super::context::SalonContext;
use crate::acts::conversation::booking::{Booker, Wanted, create_booking};
use crate::acts::conversation::changes::{cancel_booking, confirm_booking, reschedule_booking};
use crate::acts::conversation::lookup::{
    CommandResult, Salon, search_slots, show_prices, staff_schedule,
};
use crate::assistant::commands::{Command, Problem};
use crate::clients::yclients::YClients;
use crate::db::conversations;
use crate::db::events::{self, EventType, NewEvent};
use crate::domain::{ClientAddress, SalonId};
use serde_json::json;
use sqlx::PgPool;

/// Who the turn is for and how its side effects are keyed.
#[derive(Debug, Clone, Copy)]
pub struct TurnOf<'a> {
    /// Whose YClients company the commands act in and whose conversation they touch.
    pub salon_id: SalonId,
    /// The client's number, digits.
    pub phone: &'a str,
    /// The client's name as known.
    pub client_name: &'a str,
    /// Unique per workflow step and the same on every retry of it: bookings made by the
    /// turn carry it as their `api_id`.
    pub step: &'a str,
    /// What the assistant may do.
    pub limits: super::AssistantLimits,
    /// The visit whose cancellation the client has just said yes to.
    pub confirmed_cancel: Option<i64>,
    /// The visit whose move the client has just said yes to.
    pub confirmed_move: Option<i64>,
    /// What the client usually books.
    pub usual: &'a [crate::assistant::usual::Usual],
    /// The salon's services, most booked first.
    pub most_booked: &'a [i64],
}

/// Whether the command changes a visit (and counts against a turn's changes).
pub fn changes_a_visit(command: &Command) -> bool {
    matches!(
        command,
        Command::CreateBooking { .. }
            | Command::CancelBooking { .. }
            | Command::RescheduleBooking { .. }
            | Command::ConfirmBooking { .. }
    )
}

/// The answer for a change past the turn's limit.
pub fn too_many_changes(command: &Command, limit: usize) -> CommandResult {
    CommandResult::ask(
        command.name(),
        format!(
            "За одно сообщение я делаю не больше {limit} изменений записей — остальное, пожалуйста, следующим сообщением."
        ),
    )
}

/// The answer for a command stage 1 could not fill in: the question to ask, worded for
/// the client — when stage 2 is away it is sent as it is.
pub fn problem_result(problem: &Problem) -> CommandResult {
    CommandResult::ask(&problem.command, question_for(problem))
}

/// What to ask the client for what `problem` lacks.
fn question_for(problem: &Problem) -> String {
    let wanted: Vec<&str> = problem
        .missing
        .iter()
        .filter_map(|field| match field.as_str() {
            "service" => Some("какую услугу"),
            "date" => Some("на какой день"),
            "time" => Some("на какое время"),
            "staff" => Some("к какому мастеру"),
            _ => None,
        })
        .collect();
    let command = problem.command.trim().to_ascii_uppercase();
    let missing = |field: &str| problem.missing.iter().any(|m| m == field);
    match command.as_str() {
        "SAVE_CLIENT_NAME" if missing("name") => {
            "Подскажите, пожалуйста, как к вам обращаться?".to_owned()
        }
        "CREATE_BOOKING" if !wanted.is_empty() => {
            format!("Подскажите, пожалуйста, {} вас записать?", listed(&wanted))
        }
        "RESCHEDULE_BOOKING" if !wanted.is_empty() => {
            format!(
                "Подскажите, пожалуйста, {} перенести запись?",
                listed(&wanted)
            )
        }
        "CHECK_STAFF_SCHEDULE" if missing("staff") => {
            "Подскажите, пожалуйста, какой мастер вас интересует?".to_owned()
        }
        _ => "Подскажите, пожалуйста, чем могу помочь: записать вас, перенести или \
              отменить визит, рассказать о ценах или свободном времени?"
            .to_owned(),
    }
}

/// «a», «a и b», «a, b и c».
fn listed(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} и {last}", rest.join(", ")),
    }
}

/// What a client whose number WhatsApp hides is told when they ask to book, move or
/// cancel a visit (sent as it is when stage 2 is away).
const NUMBER_HIDDEN: &str = "WhatsApp не показывает нам ваш номер телефона, а записи в \
    салоне ведутся по номеру. Напишите, пожалуйста, с номера, который виден в WhatsApp, \
    или позвоните в салон. О ценах и свободном времени могу рассказать и здесь.";

/// Runs one command.
pub async fn run(
    db: &PgPool,
    yclients: &dyn YClients,
    salon: &SalonContext,
    turn: TurnOf<'_>,
    index: usize,
    command: &Command,
) -> anyhow::Result<CommandResult> {
    let at = Salon {
        db,
        yclients,
        salon_id: turn.salon_id,
        company_id: salon.company_id,
        today: salon.today,
        now: salon.now,
        catalog: &salon.catalog,
        horizon_days: turn.limits.booking_horizon_days,
        usual: turn.usual,
        most_booked: turn.most_booked,
    };
    let zone = salon.zone;
    let number_hidden = ClientAddress::parse(turn.phone).is_ok_and(|a| a.phone().is_none());
    if changes_a_visit(command) && number_hidden {
        // YClients keys visits by phone, and WhatsApp hides this client's.
        return Ok(CommandResult::ask(command.name(), NUMBER_HIDDEN.to_owned()));
    }
    match command {
        Command::SearchSlots {
            service,
            date,
            time_preference,
            staff,
        } => {
            search_slots(
                at,
                service.as_deref(),
                date.as_deref(),
                time_preference.as_deref(),
                staff.as_deref(),
            )
            .await
        }
        Command::CreateBooking {
            service,
            date,
            time,
            staff,
        } => {
            let booker = Booker {
                phone: turn.phone.to_owned(),
                name: turn.client_name.to_owned(),
                max_upcoming: turn.limits.upcoming_bookings_per_client,
            };
            let wanted = Wanted {
                service,
                date,
                time,
                staff: staff.as_deref(),
            };
            // Two bookings in one turn need two ids.
            let api_id = if index == 0 {
                turn.step.to_owned()
            } else {
                format!("{}-{index}", turn.step)
            };
            create_booking(at, zone, &booker, wanted, &api_id).await
        }
        Command::CancelBooking { booking } => {
            cancel_booking(
                at,
                zone,
                turn.phone,
                booking.as_deref(),
                turn.confirmed_cancel,
            )
            .await
        }
        Command::RescheduleBooking {
            booking,
            date,
            time,
        } => {
            reschedule_booking(
                at,
                zone,
                turn.phone,
                booking.as_deref(),
                date,
                time,
                turn.confirmed_move,
            )
            .await
        }
        Command::ConfirmBooking { booking } => {
            confirm_booking(at, zone, turn.phone, booking.as_deref()).await
        }
        Command::CheckStaffSchedule { staff, date } => {
            staff_schedule(at, staff, date.as_deref()).await
        }
        Command::ShowPrices { category } => Ok(show_prices(&salon.catalog, category.as_deref())),
        Command::SaveClientName { name } => {
            let name = name.trim();
            conversations::save_name(db, turn.salon_id, turn.phone, name).await?;
            Ok(CommandResult {
                command: command.name().to_owned(),
                ok: true,
                summary: format!("Запомнила, вас зовут {name}."),
                data: json!({ "name": name }),
            })
        }
        Command::HandoffToHuman { reason } => {
            let reason = reason.as_deref().unwrap_or("клиент просит администратора");
            let mut tx = db.begin().await?;
            if conversations::hand_off(&mut *tx, turn.salon_id, turn.phone, reason).await? {
                let masked = ClientAddress::parse(turn.phone)
                    .map(|p| p.masked())
                    .unwrap_or_default();
                events::record(
                    &mut *tx,
                    &NewEvent {
                        salon_id: turn.salon_id,
                        event_type: EventType::HandoffRequested,
                        data: json!({ "client": masked, "phone": turn.phone, "reason": reason }),
                        dedup_key: Some(format!("handoff/{}", turn.step)),
                    },
                )
                .await?;
            }
            tx.commit().await?;
            Ok(CommandResult {
                command: command.name().to_owned(),
                ok: true,
                summary: "Передала ваш вопрос администратору салона: он ответит вам здесь же."
                    .to_owned(),
                data: json!({ "handoff": true }),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(command: &str, missing: &[&str]) -> String {
        problem_result(&Problem {
            command: command.to_owned(),
            missing: missing.iter().map(|m| (*m).to_owned()).collect(),
        })
        .summary
    }

    #[test]
    fn a_command_missing_something_asks_the_client_in_the_clients_words() {
        assert_eq!(
            asked("CREATE_BOOKING", &["time"]),
            "Подскажите, пожалуйста, на какое время вас записать?"
        );
        assert_eq!(
            asked("CREATE_BOOKING", &["service", "date", "time"]),
            "Подскажите, пожалуйста, какую услугу, на какой день и на какое время вас записать?"
        );
        assert_eq!(
            asked("RESCHEDULE_BOOKING", &["date", "time"]),
            "Подскажите, пожалуйста, на какой день и на какое время перенести запись?"
        );
        assert_eq!(
            asked("SAVE_CLIENT_NAME", &["name"]),
            "Подскажите, пожалуйста, как к вам обращаться?"
        );
        assert!(asked("CHECK_STAFF_SCHEDULE", &["staff"]).contains("мастер"));
        assert!(asked("DANCE", &["known command"]).contains("чем могу помочь"));
    }

    #[test]
    fn nothing_the_client_may_be_sent_talks_about_the_client_or_field_names() {
        let problems: [(&str, &[&str]); 6] = [
            ("CREATE_BOOKING", &["service", "date", "time"]),
            ("RESCHEDULE_BOOKING", &["date", "time"]),
            ("SAVE_CLIENT_NAME", &["name"]),
            ("CHECK_STAFF_SCHEDULE", &["staff"]),
            ("DANCE", &["known command"]),
            ("CREATE_BOOKING", &[]),
        ];
        let texts = problems
            .iter()
            .map(|(command, missing)| asked(command, missing))
            .chain([NUMBER_HIDDEN.to_owned()]);
        for text in texts {
            for internal in ["клиент", "не хватает", "time", "date", "service", "staff"]
            {
                assert!(!text.contains(internal), "{text:?} says {internal:?}");
            }
        }
    }
}
