//! Stage 1's commands run against the salon: the read-only lookups, booking, changes
//! to the client's own visits, and the two that change the conversation itself (the
//! client's name, handoff to a person).

use super::context::SalonContext;
use crate::assistant::booking::{Booker, Wanted, create_booking};
use crate::assistant::changes::{cancel_booking, confirm_booking, reschedule_booking};
use crate::assistant::commands::{Command, Problem};
use crate::assistant::lookup::{CommandResult, Salon, search_slots, show_prices, staff_schedule};
use crate::db::conversations;
use crate::db::events::{self, EventType, NewEvent};
use crate::domain::{ClientAddress, SalonId};
use crate::yclients::YClients;
use serde_json::json;
use sqlx::PgPool;

/// Who the turn is for and how its side effects are keyed.
#[derive(Debug, Clone, Copy)]
pub struct TurnOf<'a> {
    /// The salon.
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

/// The answer for a command stage 1 could not fill in.
pub fn problem_result(problem: &Problem) -> CommandResult {
    let missing = if problem.missing.is_empty() {
        "команда неизвестна".to_owned()
    } else {
        format!("не хватает: {}", problem.missing.join(", "))
    };
    CommandResult::ask(
        &problem.command,
        format!("Уточните, пожалуйста, у клиента ({missing})."),
    )
}

/// What the assistant is told when a client whose number WhatsApp hides asks to book,
/// move or cancel a visit.
const NUMBER_HIDDEN: &str = "WhatsApp скрывает номер этого клиента, а запись в салоне \
    ведётся по номеру телефона: попросите клиента написать с номера, открытого в WhatsApp, \
    или позвонить в салон; о свободном времени и ценах можно отвечать как обычно.";

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
        catalog: &salon.catalog,
        horizon_days: turn.limits.booking_horizon_days,
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
            cancel_booking(at, zone, turn.phone, booking.as_deref()).await
        }
        Command::RescheduleBooking {
            booking,
            date,
            time,
        } => reschedule_booking(at, zone, turn.phone, booking.as_deref(), date, time).await,
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
