//! Stage 1's answer, `{"commands": [{"command": NAME, "params": {…}}]}`, parsed into typed
//! commands. A command missing what it needs is kept as a [`Problem`], so stage 2 can ask
//! the client for exactly that instead of the whole turn failing.

use serde::{Deserialize, Serialize};

/// What stage 1 may ask the system to do (the original assistant's command set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Command {
    /// Free times for a service, a day, a master.
    SearchSlots {
        /// As the client named it.
        service: Option<String>,
        /// A date or a word such as «завтра».
        date: Option<String>,
        /// «утром», «после 18», …
        time_preference: Option<String>,
        /// As the client named them.
        staff: Option<String>,
    },
    /// Book a visit.
    CreateBooking {
        /// As the client named it.
        service: String,
        /// A date or a word such as «завтра».
        date: String,
        /// `HH:MM`.
        time: String,
        /// As the client named them; any master when absent.
        staff: Option<String>,
    },
    /// Cancel one of the client's bookings.
    CancelBooking {
        /// Which one, when the client has several.
        booking: Option<String>,
    },
    /// Move one of the client's bookings.
    RescheduleBooking {
        /// Which one, when the client has several.
        booking: Option<String>,
        /// The new day.
        date: String,
        /// The new time, `HH:MM`.
        time: String,
    },
    /// When a master works.
    CheckStaffSchedule {
        /// As the client named them.
        staff: String,
        /// A day; the next days when absent.
        date: Option<String>,
    },
    /// Prices, of one category or all.
    ShowPrices {
        /// As the client named it.
        category: Option<String>,
    },
    /// The client told their name.
    SaveClientName {
        /// The name.
        name: String,
    },
    /// The client confirms a visit.
    ConfirmBooking {
        /// Which one, when the client has several.
        booking: Option<String>,
    },
    /// A person from the salon should take over.
    HandoffToHuman {
        /// Why, in the model's words, for the owner's notice; a stock reason when absent.
        reason: Option<String>,
    },
}

impl Command {
    /// The command's name as stage 1 writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SearchSlots { .. } => "SEARCH_SLOTS",
            Self::CreateBooking { .. } => "CREATE_BOOKING",
            Self::CancelBooking { .. } => "CANCEL_BOOKING",
            Self::RescheduleBooking { .. } => "RESCHEDULE_BOOKING",
            Self::CheckStaffSchedule { .. } => "CHECK_STAFF_SCHEDULE",
            Self::ShowPrices { .. } => "SHOW_PRICES",
            Self::SaveClientName { .. } => "SAVE_CLIENT_NAME",
            Self::ConfirmBooking { .. } => "CONFIRM_BOOKING",
            Self::HandoffToHuman { .. } => "HANDOFF_TO_HUMAN",
        }
    }
}

/// A command stage 1 named that cannot run as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The command's name as written.
    pub command: String,
    /// What is wrong, for stage 2 («не указано время»).
    pub missing: Vec<String>,
}

/// One entry of stage 1's list: a runnable command or what it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Ready to run.
    Command(Command),
    /// Cannot run: unknown, or missing parameters.
    Problem(Problem),
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    commands: Vec<RawCommand>,
}

#[derive(Debug, Deserialize)]
struct RawCommand {
    command: String,
    #[serde(default)]
    params: Params,
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    service: Option<String>,
    date: Option<String>,
    time: Option<String>,
    time_preference: Option<String>,
    staff: Option<String>,
    booking: Option<String>,
    category: Option<String>,
    name: Option<String>,
    reason: Option<String>,
}

/// Stage 1's text was not the JSON the schema promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stage 1 answered something that is not its command JSON: {0}")]
pub struct NotCommands(pub String);

/// Parses stage 1's answer.
pub fn parse(text: &str) -> Result<Vec<Parsed>, NotCommands> {
    let answer: Answer =
        serde_json::from_str(text.trim()).map_err(|e| NotCommands(e.to_string()))?;
    Ok(answer.commands.into_iter().map(RawCommand::parse).collect())
}

/// A parameter given with something in it.
fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl RawCommand {
    fn parse(self) -> Parsed {
        let p = self.params;
        let (service, date, time) = (given(p.service), given(p.date), given(p.time));
        let (staff, booking) = (given(p.staff), given(p.booking));
        let mut missing = Vec::new();
        let mut need = |value: &Option<String>, name: &'static str| {
            if value.is_none() {
                missing.push(name.to_owned());
            }
        };
        let command = match self.command.trim().to_ascii_uppercase().as_str() {
            "SEARCH_SLOTS" => Command::SearchSlots {
                service,
                date,
                time_preference: given(p.time_preference),
                staff,
            },
            "CREATE_BOOKING" => {
                need(&service, "service");
                need(&date, "date");
                need(&time, "time");
                Command::CreateBooking {
                    service: service.unwrap_or_default(),
                    date: date.unwrap_or_default(),
                    time: time.unwrap_or_default(),
                    staff,
                }
            }
            "CANCEL_BOOKING" => Command::CancelBooking { booking },
            "RESCHEDULE_BOOKING" => {
                need(&date, "date");
                need(&time, "time");
                Command::RescheduleBooking {
                    booking,
                    date: date.unwrap_or_default(),
                    time: time.unwrap_or_default(),
                }
            }
            "CHECK_STAFF_SCHEDULE" => {
                need(&staff, "staff");
                Command::CheckStaffSchedule {
                    staff: staff.unwrap_or_default(),
                    date,
                }
            }
            "SHOW_PRICES" => Command::ShowPrices {
                category: given(p.category),
            },
            "SAVE_CLIENT_NAME" => {
                let name = given(p.name);
                need(&name, "name");
                Command::SaveClientName {
                    name: name.unwrap_or_default(),
                }
            }
            "CONFIRM_BOOKING" => Command::ConfirmBooking { booking },
            "HANDOFF_TO_HUMAN" => Command::HandoffToHuman {
                reason: given(p.reason),
            },
            _ => {
                return Parsed::Problem(Problem {
                    command: self.command,
                    missing: vec!["known command".to_owned()],
                });
            }
        };
        if missing.is_empty() {
            Parsed::Command(command)
        } else {
            Parsed::Problem(Problem {
                command: command.name().to_owned(),
                missing,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_parameters() {
        let text = r#"{"commands":[
            {"command":"CREATE_BOOKING","params":{"service":"стрижку","date":"завтра","time":"15:00","staff":"к Анне"}},
            {"command":"SHOW_PRICES","params":{}},
            {"command":"save_client_name","params":{"name":" Ольга "}}
        ]}"#;
        assert_eq!(
            parse(text).unwrap(),
            vec![
                Parsed::Command(Command::CreateBooking {
                    service: "стрижку".into(),
                    date: "завтра".into(),
                    time: "15:00".into(),
                    staff: Some("к Анне".into()),
                }),
                Parsed::Command(Command::ShowPrices { category: None }),
                Parsed::Command(Command::SaveClientName {
                    name: "Ольга".into()
                }),
            ]
        );
    }

    #[test]
    fn incomplete_or_unknown_commands_become_problems_and_junk_is_an_error() {
        let text = r#"{"commands":[
            {"command":"CREATE_BOOKING","params":{"service":"маникюр","time":""}},
            {"command":"DANCE"}
        ]}"#;
        assert_eq!(
            parse(text).unwrap(),
            vec![
                Parsed::Problem(Problem {
                    command: "CREATE_BOOKING".into(),
                    missing: vec!["date".to_owned(), "time".to_owned()],
                }),
                Parsed::Problem(Problem {
                    command: "DANCE".into(),
                    missing: vec!["known command".to_owned()],
                }),
            ]
        );
        assert_eq!(parse(r#"{"commands":[]}"#).unwrap(), vec![]);
        assert!(parse("Конечно! Записываю вас").is_err());
    }

    #[test]
    fn commands_serialise_with_their_name_as_the_tag() {
        let command = Command::CancelBooking { booking: None };
        let json = serde_json::to_value(&command).unwrap();
        assert_eq!(json["command"], "CANCEL_BOOKING");
        assert_eq!(serde_json::from_value::<Command>(json).unwrap(), command);
    }
}
