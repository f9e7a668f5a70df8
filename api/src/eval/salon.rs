//! The corpus salon as the YClients simulator holds it, for the day of the run: ids for
//! every service, master and client, working days from the masters' hours and days off,
//! and the visits. Each conversation with a known client gets a copy of that client of
//! its own (its own number and visits), so one conversation's cancellation cannot change
//! what another sees; between conversations the book goes back to how it started.

use super::corpus::{Corpus, VisitSpec, offset};
use ai_admin_simulators::yclients::SimState;
use ai_admin_simulators::yclients::seed::{
    Category, Client, Record, Salon, Service, Staff, WorkingDay,
};
use anyhow::Context as _;
use chrono::{Days, NaiveDate, NaiveTime};
use std::collections::HashMap;

/// Days of working schedules from the day of the run.
const SCHEDULE_DAYS: u64 = 35;

/// The simulator salon and the ids the corpus's keys got.
#[derive(Debug, Clone)]
pub struct Built {
    /// The salon as it starts.
    pub salon: Salon,
    /// Service key → YClients id.
    pub services: HashMap<String, i64>,
    /// Master key → YClients id.
    pub staff: HashMap<String, i64>,
    /// Per conversation (by index): the client's number and their visits' record ids in
    /// the order of `salon.toml`.
    pub clients: Vec<Option<KnownClient>>,
    /// The day of the run, in the salon's zone.
    pub today: NaiveDate,
}

/// A conversation's copy of a known client.
#[derive(Debug, Clone)]
pub struct KnownClient {
    /// The copy's own number, `7917…`: the conversation writes from it.
    pub phone: String,
    /// Record ids of `visits`, in order.
    pub visits: Vec<i64>,
}

fn time(text: &str) -> anyhow::Result<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").with_context(|| format!("{text:?} is not HH:MM"))
}

/// `today` moved by a `"+N"` offset.
pub fn day(today: NaiveDate, text: &str) -> anyhow::Result<NaiveDate> {
    let days = offset(text)?;
    let moved = if days >= 0 {
        today.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    moved.with_context(|| format!("{text} from {today} is out of range"))
}

/// The number conversation `n` writes from when the salon has never seen it.
pub fn new_client_phone(n: usize) -> String {
    format!("7918{n:04}000")
}

fn known_client_phone(n: usize, client: usize) -> String {
    format!("7917{n:04}{client:03}")
}

/// Builds salon `id` from the corpus for `today`.
pub fn build(corpus: &Corpus, id: i64, today: NaiveDate) -> anyhow::Result<Built> {
    let spec = &corpus.salon;
    // Ids fit PostgreSQL's INTEGER: the salon's slot, then the item's number.
    let slot = id.rem_euclid(10_000);
    let categories: Vec<Category> = spec
        .categories
        .iter()
        .enumerate()
        .map(|(i, title)| Category {
            id: slot * 100 + i as i64 + 1,
            title: title.clone(),
        })
        .collect();
    let mut service_ids = HashMap::new();
    let mut services = Vec::new();
    for (i, service) in spec.services.iter().enumerate() {
        let category = categories
            .iter()
            .find(|c| c.title == service.category)
            .with_context(|| format!("{}: unknown category {}", service.key, service.category))?;
        let id = slot * 10_000 + i as i64 + 1;
        service_ids.insert(service.key.clone(), id);
        services.push(Service {
            id,
            category_id: category.id,
            title: service.title.clone(),
            price_min: service.price[0],
            price_max: service.price[1],
            duration_minutes: service.minutes,
            description: service.about.clone().unwrap_or_default(),
        });
    }
    let mut staff_ids = HashMap::new();
    let mut staff = Vec::new();
    let mut schedules = Vec::new();
    for (i, master) in spec.staff.iter().enumerate() {
        let id = slot * 1_000 + i as i64 + 1;
        staff_ids.insert(master.key.clone(), id);
        staff.push(Staff {
            id,
            name: master.name.clone(),
            specialization: master.specialization.clone(),
            rating: 5.0,
            services: master
                .services
                .iter()
                .map(|key| service_ids.get(key).copied())
                .collect::<Option<Vec<_>>>()
                .with_context(|| format!("{}: an unknown service", master.key))?,
        });
        let off: Vec<NaiveDate> = master
            .off
            .iter()
            .map(|d| day(today, d))
            .collect::<anyhow::Result<_>>()?;
        let (from, to) = (time(&master.hours[0])?, time(&master.hours[1])?);
        for n in 0..SCHEDULE_DAYS {
            let date = today + Days::new(n);
            if !off.contains(&date) {
                schedules.push(WorkingDay {
                    staff_id: id,
                    date,
                    from,
                    to,
                });
            }
        }
    }
    let mut clients = Vec::new();
    let mut records = Vec::new();
    let mut record = |visit: &VisitSpec, client_id: i64| -> anyhow::Result<i64> {
        let id = 1_000_000_000 + slot * 100_000 + records.len() as i64 + 1;
        records.push(Record {
            id,
            staff_id: *staff_ids
                .get(&visit.staff)
                .with_context(|| format!("unknown staff {}", visit.staff))?,
            service_id: *service_ids
                .get(&visit.service)
                .with_context(|| format!("unknown service {}", visit.service))?,
            client_id,
            date: day(today, &visit.day)?,
            time: time(&visit.time)?,
            api_id: None,
            attendance: 0,
            deleted: false,
        });
        Ok(id)
    };
    // Other clients' visits: one client holds them all.
    let others = slot * 100_000 + 1;
    clients.push(Client {
        id: others,
        name: "Другой клиент".to_owned(),
        phone: "79000000000".to_owned(),
        visits: 10,
    });
    for visit in &spec.busy {
        record(visit, others)?;
    }
    let mut known = Vec::new();
    for (n, conversation) in corpus.conversations.iter().enumerate() {
        let Some(key) = &conversation.client else {
            known.push(None);
            continue;
        };
        let (index, spec) = spec
            .clients
            .iter()
            .enumerate()
            .find(|(_, c)| &c.key == key)
            .with_context(|| format!("{}: unknown client {key}", conversation.id))?;
        let client_id = slot * 100_000 + clients.len() as i64 + 1;
        let phone = known_client_phone(n, index);
        clients.push(Client {
            id: client_id,
            name: spec.name.clone(),
            phone: phone.clone(),
            visits: spec.visits.len() as u32,
        });
        let visits = spec
            .visits
            .iter()
            .map(|visit| record(visit, client_id))
            .collect::<anyhow::Result<Vec<_>>>()?;
        known.push(Some(KnownClient { phone, visits }));
    }
    Ok(Built {
        salon: Salon {
            id,
            title: spec.title.clone(),
            phone: spec.phone.clone(),
            email: spec.email.clone(),
            address: spec.address.clone(),
            timezone_name: spec.timezone.clone(),
            categories,
            services,
            staff,
            clients,
            schedules,
            records,
        },
        services: service_ids,
        staff: staff_ids,
        clients: known,
        today,
    })
}

/// Puts the salon's book back as it started: visits of the corpus restored, visits made
/// since cancelled (their ids stay taken, as in YClients).
pub fn reset(state: &SimState, built: &Built) {
    let initial: HashMap<i64, &Record> = built.salon.records.iter().map(|r| (r.id, r)).collect();
    state.update_salon(built.salon.id, |salon| {
        for record in &mut salon.records {
            match initial.get(&record.id) {
                Some(start) => *record = (*start).clone(),
                None => record.deleted = true,
            }
        }
        salon.schedules.clone_from(&built.salon.schedules);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_corpus_salon_builds_with_a_copy_of_each_known_client_per_conversation() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../eval");
        let corpus = Corpus::load(&dir).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let built = build(&corpus, 700_001_234, today).unwrap();
        assert_eq!(built.salon.services.len(), corpus.salon.services.len());
        let copies: Vec<&KnownClient> = built.clients.iter().flatten().collect();
        let phones: std::collections::HashSet<&str> =
            copies.iter().map(|c| c.phone.as_str()).collect();
        assert_eq!(phones.len(), copies.len(), "every copy has its own number");
        // Ольга is off on +2 and +3.
        let olga = built.staff["olga"];
        let works = |d: &str| {
            let date = day(today, d).unwrap();
            built
                .salon
                .schedules
                .iter()
                .any(|s| s.staff_id == olga && s.date == date)
        };
        assert!(works("+1") && !works("+2") && !works("+3") && works("+4"));
    }
}
