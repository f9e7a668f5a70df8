//! The corpus as data: `eval/salon.toml` (the salon every conversation talks to) and
//! `eval/conversations/*.toml` (the conversations and what each turn should do), read
//! and checked for references that point nowhere. The format is described in
//! `eval/README.md`.

use anyhow::{Context as _, bail, ensure};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// The corpus salon.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalonFile {
    /// Its title in YClients: the name the bot gives the salon.
    pub title: String,
    /// Street address.
    pub address: String,
    /// Contact phone.
    pub phone: String,
    /// Contact email.
    pub email: String,
    /// IANA zone, e.g. `Europe/Moscow`; the run's day and `HH:MM` times are local to it.
    pub timezone: String,
    /// Category names; every service's `category` must be one of them.
    pub categories: Vec<String>,
    /// The `[[service]]` tables; their YClients ids are given in this order.
    #[serde(rename = "service")]
    pub services: Vec<ServiceSpec>,
    /// The `[[staff]]` tables; their YClients ids are given in this order.
    #[serde(rename = "staff")]
    pub staff: Vec<StaffSpec>,
    /// Other clients' visits that make times busy.
    #[serde(rename = "busy", default)]
    pub busy: Vec<VisitSpec>,
    /// Clients the salon knows.
    #[serde(rename = "client", default)]
    pub clients: Vec<ClientSpec>,
}

/// A service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// How the corpus names it.
    pub key: String,
    /// Its title in YClients.
    pub title: String,
    /// Its category's name.
    pub category: String,
    /// Lowest and highest price, roubles.
    pub price: [u32; 2],
    /// How long it takes, minutes.
    pub minutes: u32,
    /// What it is (its description in YClients).
    #[serde(default)]
    pub about: Option<String>,
}

/// A master.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSpec {
    /// How the corpus names them.
    pub key: String,
    /// Full name, as YClients lists them and clients name them.
    pub name: String,
    /// What they do.
    pub specialization: String,
    /// Service keys they do.
    pub services: Vec<String>,
    /// Working hours, `["10:00", "20:00"]`.
    pub hours: [String; 2],
    /// Days off, as offsets.
    #[serde(default)]
    pub off: Vec<String>,
}

/// A visit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitSpec {
    /// A `[[staff]]` key.
    pub staff: String,
    /// A `[[service]]` key.
    pub service: String,
    /// Offset from the day of the run.
    pub day: String,
    /// `HH:MM`.
    pub time: String,
}

/// A client the salon knows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// How conversations name them.
    pub key: String,
    /// Full name, as the salon's client base has it.
    pub name: String,
    /// Digits; unused in a run, where each conversation's copy gets a number of its own.
    pub phone: String,
    /// Past and upcoming visits, in the order conversations index them.
    #[serde(default)]
    pub visits: Vec<VisitSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationFile {
    #[serde(rename = "conversation", default)]
    conversations: Vec<Conversation>,
}

/// One conversation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    /// Unique in the corpus; names the conversation in the report and its message ids.
    pub id: String,
    /// What it is about.
    #[serde(default)]
    pub about: String,
    /// A known client's key; a new number when absent.
    #[serde(default)]
    pub client: Option<String>,
    /// The name set in WhatsApp.
    #[serde(default)]
    pub push_name: Option<String>,
    /// How the owner set the bot to speak while this conversation plays (the defaults:
    /// «вы», no emoji, the bot's own greeting, no facts of the owner's).
    #[serde(default)]
    pub settings: Option<OwnerVoice>,
    /// The turns.
    #[serde(rename = "turn")]
    pub turns: Vec<TurnSpec>,
    /// The file it came from (set on load).
    #[serde(skip)]
    pub file: String,
}

/// The owner's console settings a conversation plays under.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerVoice {
    /// The greeting before the bot's first reply.
    #[serde(default)]
    pub welcome_text: Option<String>,
    /// «вы» or «ты».
    #[serde(default)]
    pub address: Option<String>,
    /// Emoji allowed.
    #[serde(default)]
    pub emoji: bool,
    /// The salon's facts, a line each.
    #[serde(default)]
    pub facts: Option<String>,
}

impl OwnerVoice {
    /// As the console stores them.
    pub fn settings(&self) -> anyhow::Result<ai_admin_activities::db::settings::SalonSettings> {
        use ai_admin_activities::db::settings::{Address, SalonSettings, Tone};
        let address = match self.address.as_deref() {
            None | Some("вы") => Address::Vy,
            Some("ты") => Address::Ty,
            Some(other) => anyhow::bail!("settings.address: «{other}» — «вы» или «ты»"),
        };
        Ok(SalonSettings {
            welcome_text: self.welcome_text.clone(),
            tone: Tone {
                address,
                emoji: self.emoji,
            },
            facts: self.facts.clone(),
            ..SalonSettings::default()
        })
    }
}

/// One turn and what should happen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSpec {
    /// The messages sent together.
    #[serde(default)]
    pub say: Vec<String>,
    /// A voice note nobody can make out follows them.
    #[serde(default)]
    pub voice: bool,
    /// A voice note saying this follows them (the shipped sample when these are its
    /// words; else a recording only the simulated model hears as them).
    #[serde(default)]
    pub voice_says: Option<String>,
    /// Stage 1's commands (what `--llm oracle` answers).
    pub expect: Vec<ExpectedCommand>,
    /// Other command lists as right.
    #[serde(default)]
    pub also: Vec<Vec<ExpectedCommand>>,
    /// A visit booked.
    #[serde(default)]
    pub booked: Option<Booked>,
    /// A visit moved.
    #[serde(default)]
    pub moved: Option<Moved>,
    /// A visit cancelled.
    #[serde(default)]
    pub cancelled: Option<VisitRef>,
    /// A visit confirmed.
    #[serde(default)]
    pub confirmed: Option<VisitRef>,
    /// What the reply holds and must not hold.
    #[serde(default)]
    pub reply: ReplySpec,
    /// The bot must not answer.
    #[serde(default)]
    pub silent: bool,
    /// The bot reacts to the message (❤️ or 👍) and writes nothing.
    #[serde(default)]
    pub reaction: bool,
    /// The report row it counts in; by default its first expected command, or `chat`.
    #[serde(default)]
    pub intent: Option<String>,
    /// Why the turn is here.
    #[serde(default)]
    pub note: Option<String>,
}

/// A command stage 1 should produce, with the parameters that matter.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct ExpectedCommand {
    /// Its name.
    pub command: String,
    /// Parameters as a model writes them.
    #[serde(flatten)]
    pub params: BTreeMap<String, String>,
}

/// One or several service keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Keys {
    /// One.
    One(String),
    /// Any of these.
    Any(Vec<String>),
}

impl Keys {
    /// Every key.
    pub fn all(&self) -> Vec<&str> {
        match self {
            Self::One(key) => vec![key.as_str()],
            Self::Any(keys) => keys.iter().map(String::as_str).collect(),
        }
    }
}

/// `booked = {…}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booked {
    /// Service key(s).
    pub service: Keys,
    /// Offset from the day of the run, e.g. `"+1"`.
    pub day: String,
    /// `HH:MM`.
    pub time: String,
    /// A `[[staff]]` key; any master is right when absent.
    #[serde(default)]
    pub staff: Option<String>,
}

/// Which visit: an index into the client's visits, or `"booked"` for the one booked
/// earlier in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Visit {
    /// `visits[i]` of the client.
    Index(usize),
    /// `"booked"`.
    Named(String),
}

/// `moved = {…}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    /// The client's visit that moves.
    pub visit: Visit,
    /// New day offset.
    pub day: String,
    /// New time, `HH:MM`.
    pub time: String,
}

/// `cancelled = {…}` / `confirmed = {…}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitRef {
    /// The client's visit cancelled or confirmed.
    pub visit: Visit,
}

/// `reply.has` / `reply.lacks`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    /// Each must be there (`a|b`: either).
    #[serde(default)]
    pub has: Vec<String>,
    /// None may be there.
    #[serde(default)]
    pub lacks: Vec<String>,
}

/// The corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// `salon.toml`: the salon every conversation talks to.
    pub salon: SalonFile,
    /// Every conversation, by file then order.
    pub conversations: Vec<Conversation>,
}

/// The nine commands stage 1 may name.
pub const COMMANDS: [&str; 9] = [
    "SEARCH_SLOTS",
    "CREATE_BOOKING",
    "CANCEL_BOOKING",
    "RESCHEDULE_BOOKING",
    "CHECK_STAFF_SCHEDULE",
    "SHOW_PRICES",
    "SAVE_CLIENT_NAME",
    "CONFIRM_BOOKING",
    "HANDOFF_TO_HUMAN",
];
const PARAMS: [&str; 9] = [
    "service",
    "date",
    "time",
    "time_preference",
    "staff",
    "booking",
    "category",
    "name",
    "reason",
];

impl Corpus {
    /// Reads `dir/salon.toml` and `dir/conversations/*.toml`.
    pub fn load(dir: &Path) -> anyhow::Result<Corpus> {
        let salon_path = dir.join("salon.toml");
        let salon: SalonFile = toml::from_str(
            &std::fs::read_to_string(&salon_path)
                .with_context(|| format!("Failed to read {}", salon_path.display()))?,
        )
        .with_context(|| format!("{} is not a corpus salon", salon_path.display()))?;
        let mut files: Vec<_> = std::fs::read_dir(dir.join("conversations"))
            .with_context(|| format!("Failed to list {}/conversations", dir.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let mut conversations = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("Failed to read {}", path.display()))?;
            let file: ConversationFile = toml::from_str(&text)
                .with_context(|| format!("{} is not a corpus file", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            conversations.extend(file.conversations.into_iter().map(|mut c| {
                c.file = name.clone();
                c
            }));
        }
        let corpus = Corpus {
            salon,
            conversations,
        };
        corpus.check()?;
        Ok(corpus)
    }

    /// Every reference points somewhere and every command is known.
    fn check(&self) -> anyhow::Result<()> {
        let services: HashSet<&str> = self.salon.services.iter().map(|s| s.key.as_str()).collect();
        let staff: HashSet<&str> = self.salon.staff.iter().map(|s| s.key.as_str()).collect();
        for master in &self.salon.staff {
            for service in &master.services {
                ensure!(
                    services.contains(service.as_str()),
                    "salon.toml: {} does an unknown service {service}",
                    master.key
                );
            }
        }
        let visits = self
            .salon
            .busy
            .iter()
            .chain(self.salon.clients.iter().flat_map(|c| &c.visits));
        for visit in visits {
            ensure!(
                services.contains(visit.service.as_str()) && staff.contains(visit.staff.as_str()),
                "salon.toml: a visit names {} / {}, not in the salon",
                visit.service,
                visit.staff
            );
        }
        let mut ids = HashSet::new();
        for conversation in &self.conversations {
            let at = format!("{}: {}", conversation.file, conversation.id);
            if let Some(voice) = &conversation.settings {
                voice.settings().with_context(|| at.clone())?;
            }
            ensure!(
                ids.insert(conversation.id.as_str()),
                "{at}: the id is used twice"
            );
            ensure!(!conversation.turns.is_empty(), "{at}: no turns");
            let client = match &conversation.client {
                Some(key) => Some(
                    self.salon
                        .clients
                        .iter()
                        .find(|c| &c.key == key)
                        .with_context(|| format!("{at}: no client {key} in salon.toml"))?,
                ),
                None => None,
            };
            for (n, turn) in conversation.turns.iter().enumerate() {
                let at = format!("{at}, turn {}", n + 1);
                ensure!(
                    !turn.say.is_empty() || turn.voice || turn.voice_says.is_some(),
                    "{at}: the client says nothing"
                );
                for command in turn.expect.iter().chain(turn.also.iter().flatten()) {
                    ensure!(
                        COMMANDS.contains(&command.command.as_str()),
                        "{at}: unknown command {}",
                        command.command
                    );
                    for param in command.params.keys() {
                        ensure!(
                            PARAMS.contains(&param.as_str()),
                            "{at}: unknown parameter {param}"
                        );
                    }
                }
                let effects = [
                    turn.booked.is_some(),
                    turn.moved.is_some(),
                    turn.cancelled.is_some(),
                    turn.confirmed.is_some(),
                ];
                ensure!(
                    effects.iter().filter(|e| **e).count() <= 1,
                    "{at}: more than one effect"
                );
                if let Some(booked) = &turn.booked {
                    for key in booked.service.all() {
                        ensure!(services.contains(key), "{at}: unknown service {key}");
                    }
                    if let Some(key) = &booked.staff {
                        ensure!(staff.contains(key.as_str()), "{at}: unknown staff {key}");
                    }
                    offset(&booked.day).with_context(|| at.clone())?;
                }
                let refs = [
                    turn.moved.as_ref().map(|m| &m.visit),
                    turn.cancelled.as_ref().map(|v| &v.visit),
                    turn.confirmed.as_ref().map(|v| &v.visit),
                ];
                for visit in refs.into_iter().flatten() {
                    match visit {
                        Visit::Index(i) => ensure!(
                            client.is_some_and(|c| *i < c.visits.len()),
                            "{at}: the client has no visit {i}"
                        ),
                        Visit::Named(name) if name == "booked" => {}
                        Visit::Named(name) => bail!("{at}: unknown visit {name:?}"),
                    }
                }
            }
        }
        Ok(())
    }

    /// Client turns in all.
    pub fn turns(&self) -> usize {
        self.conversations.iter().map(|c| c.turns.len()).sum()
    }
}

/// `"+1"`, `"-28"`, `"0"` as days.
pub fn offset(day: &str) -> anyhow::Result<i64> {
    day.trim()
        .trim_start_matches('+')
        .parse()
        .with_context(|| format!("{day:?} is not a day offset such as \"+1\""))
}

impl TurnSpec {
    /// This turn with its placeholders filled for a run: `{+N}` in a parameter is the
    /// date N days from `today` (`DD.MM`, as a model reading the prompt writes it), a
    /// `booking` of `#i` the record number of the client's visit `i` (`#booked`: the
    /// visit booked earlier in the conversation).
    pub fn concrete(
        &self,
        today: chrono::NaiveDate,
        visits: &[i64],
        booked: Option<i64>,
    ) -> TurnSpec {
        let fill = |commands: &[ExpectedCommand]| -> Vec<ExpectedCommand> {
            commands
                .iter()
                .map(|c| ExpectedCommand {
                    command: c.command.clone(),
                    params: c
                        .params
                        .iter()
                        .map(|(key, value)| (key.clone(), filled(value, today, visits, booked)))
                        .collect(),
                })
                .collect()
        };
        let mut turn = self.clone();
        turn.expect = fill(&self.expect);
        turn.also = self.also.iter().map(|list| fill(list)).collect();
        turn
    }

    /// The report row: `intent` if set, else the first expected command, else `chat`.
    pub fn intent(&self) -> String {
        self.intent.clone().unwrap_or_else(|| {
            self.expect
                .first()
                .map_or_else(|| "chat".to_owned(), |c| c.command.clone())
        })
    }
}

fn filled(value: &str, today: chrono::NaiveDate, visits: &[i64], booked: Option<i64>) -> String {
    if let Some(which) = value.strip_prefix('#') {
        let id = match which {
            "booked" => booked,
            index => index
                .parse::<usize>()
                .ok()
                .and_then(|i| visits.get(i).copied()),
        };
        return id.map_or_else(|| value.to_owned(), |id| id.to_string());
    }
    dated(value, today)
}

/// `text` with each `{+N}` as the date N days from `today`, `DD.MM`.
pub fn dated(text: &str, today: chrono::NaiveDate) -> String {
    let mut out = text.to_owned();
    while let Some(start) = out.find("{+") {
        let Some(end) = out[start..].find('}') else {
            break;
        };
        let days: u64 = out[start + 2..start + end].parse().unwrap_or(0);
        let date = today + chrono::Days::new(days);
        out.replace_range(start..start + end + 1, &date.format("%d.%m").to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_the_runs_dates_and_record_numbers() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
        assert_eq!(filled("{+5}", today, &[], None), "04.01");
        assert_eq!(filled("#1", today, &[11, 22], None), "22");
        assert_eq!(filled("#booked", today, &[], Some(7)), "7");
        assert_eq!(filled("завтра", today, &[], None), "завтра");
    }

    #[test]
    fn the_repositorys_corpus_loads_and_is_big_enough() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../eval");
        let corpus = Corpus::load(&dir).unwrap();
        assert!(
            corpus.conversations.len() >= 60,
            "{}",
            corpus.conversations.len()
        );
        assert!(corpus.turns() >= 200, "{}", corpus.turns());
    }

    #[test]
    fn a_turn_reads_with_its_checks() {
        let text = r#"
            [[conversation]]
            id = "x"
            [[conversation.turn]]
            say = ["в 15"]
            expect = [{ command = "CREATE_BOOKING", service = "маникюр", date = "завтра", time = "15:00" }]
            booked = { service = ["manicure-gel", "manicure-plain"], day = "+1", time = "15:00" }
            reply.has = ["15:00"]
            [[conversation.turn]]
            say = ["перенесите"]
            expect = []
            moved = { visit = "booked", day = "+2", time = "15:00" }
        "#;
        let file: ConversationFile = toml::from_str(text).unwrap();
        let turn = &file.conversations[0].turns[0];
        assert_eq!(turn.expect[0].params["time"], "15:00");
        assert_eq!(
            turn.booked.as_ref().unwrap().service.all(),
            ["manicure-gel", "manicure-plain"]
        );
        assert_eq!(turn.reply.has, ["15:00"]);
        assert_eq!(
            file.conversations[0].turns[1].moved.as_ref().unwrap().visit,
            Visit::Named("booked".into())
        );
        assert_eq!(offset("+2").unwrap(), 2);
        assert_eq!(offset("-28").unwrap(), -28);
    }
}
