//! Deterministic demo salons: Russian names, services with prices, staff, clients,
//! working schedules and records, generated from the salon id so every run (and every
//! test) sees the same data. Sizes are parameters, so a benchmark can ask for a salon
//! with 10 000 clients.

use chrono::{Days, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

/// How big a generated salon is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalonSize {
    /// Services offered.
    pub services: usize,
    /// Masters; their names are distinct for the first 128, as clients ask by name.
    pub staff: usize,
    /// Clients in the base.
    pub clients: usize,
    /// Days of schedules from the start date.
    pub schedule_days: usize,
    /// Records (visits).
    pub records: usize,
}

impl SalonSize {
    /// A small salon, the size of the demo ones.
    pub const DEMO: SalonSize = SalonSize {
        services: 12,
        staff: 4,
        clients: 40,
        schedule_days: 30,
        records: 25,
    };
}

/// A service category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// YClients id, numbered in the salon's slot (its id mod 10 000) to fit `INTEGER`.
    pub id: i64,
    /// Its title, e.g. «Ногтевой сервис».
    pub title: String,
}

/// A service with its price range and duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// YClients id, numbered in the salon's slot (its id mod 10 000) to fit `INTEGER`.
    pub id: i64,
    /// The id of the [`Category`] it is listed under.
    pub category_id: i64,
    /// Name, e.g. «Стрижка мужская».
    pub title: String,
    /// Lowest price, roubles.
    pub price_min: u32,
    /// Highest price, roubles.
    pub price_max: u32,
    /// Length in minutes; served in seconds, as YClients does.
    pub duration_minutes: u32,
    /// What it is (YClients' `comment`).
    #[serde(default)]
    pub description: String,
}

/// A master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    /// YClients id, numbered in the salon's slot (its id mod 10 000) to fit `INTEGER`.
    pub id: i64,
    /// Full name; clients ask for a master by it.
    pub name: String,
    /// What they do.
    pub specialization: String,
    /// 0–5.
    pub rating: f32,
    /// The services they do; empty = every service.
    #[serde(default)]
    pub services: Vec<i64>,
}

impl Staff {
    /// Whether this master does `service_id`.
    pub fn does(&self, service_id: i64) -> bool {
        self.services.is_empty() || self.services.contains(&service_id)
    }
}

/// A client of the salon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// YClients id, numbered in the salon's slot (its id mod 10 000) to fit `INTEGER`.
    pub id: i64,
    /// Full name.
    pub name: String,
    /// Digits, `7…`.
    pub phone: String,
    /// The visit count the clients search reports, kept apart from the records.
    pub visits: u32,
}

/// One master's working hours on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkingDay {
    /// The [`Staff`] id.
    pub staff_id: i64,
    /// The salon's local day.
    pub date: NaiveDate,
    /// Start of work.
    pub from: NaiveTime,
    /// End of work.
    pub to: NaiveTime,
}

/// A visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// YClients record id (unique across salons).
    pub id: i64,
    /// The [`Staff`] id.
    pub staff_id: i64,
    /// The [`Service`] id; it sets the visit's length.
    pub service_id: i64,
    /// The [`Client`] id.
    pub client_id: i64,
    /// The salon's local day.
    pub date: NaiveDate,
    /// Start time (salon local).
    pub time: NaiveTime,
    /// The `api_id` the booking was made with (ours tag bot-made records).
    #[serde(default)]
    pub api_id: Option<String>,
    /// 2 once the client confirmed, else 0.
    #[serde(default)]
    pub attendance: i32,
    /// Cancelled: no longer listed or bookable-over.
    #[serde(default)]
    pub deleted: bool,
}

/// A salon's services and clients by id.
#[derive(Debug)]
pub struct Lookup<'a> {
    services: std::collections::HashMap<i64, &'a Service>,
    clients: std::collections::HashMap<i64, &'a Client>,
}

/// A salon and everything in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Salon {
    /// YClients company id.
    pub id: i64,
    /// Its title, e.g. «Салон красоты «Элегант»».
    pub title: String,
    /// Contact phone.
    pub phone: String,
    /// Contact email.
    pub email: String,
    /// Address.
    pub address: String,
    /// IANA time zone.
    pub timezone_name: String,
    /// Service categories.
    pub categories: Vec<Category>,
    /// Services.
    pub services: Vec<Service>,
    /// Masters.
    pub staff: Vec<Staff>,
    /// Clients.
    pub clients: Vec<Client>,
    /// Working hours, one [`WorkingDay`] per master and day worked.
    pub schedules: Vec<WorkingDay>,
    /// Visits, cancelled ones kept (as `deleted`, their ids taken).
    pub records: Vec<Record>,
}

const CATEGORIES: [&str; 4] = [
    "Парикмахерские услуги",
    "Ногтевой сервис",
    "Косметология",
    "Брови и ресницы",
];
const SERVICES: [(usize, &str, u32, u32); 12] = [
    (0, "Стрижка мужская", 1200, 60),
    (0, "Стрижка женская", 1800, 60),
    (0, "Окрашивание волос", 4500, 120),
    (0, "Укладка", 1500, 45),
    (1, "Маникюр с покрытием гель-лак", 2200, 90),
    (1, "Педикюр", 2800, 90),
    (1, "Снятие покрытия", 500, 30),
    (2, "Чистка лица", 3500, 75),
    (2, "Массаж лица", 2500, 45),
    (3, "Коррекция бровей", 800, 30),
    (3, "Окрашивание бровей", 700, 30),
    (3, "Наращивание ресниц", 3000, 120),
];
/// First and last names by gender, so a generated «Ирина» is never «Ирина Волков».
const WOMEN: ([&str; 8], [&str; 8]) = (
    [
        "Анна",
        "Мария",
        "Елена",
        "Ольга",
        "Наталья",
        "Ирина",
        "Светлана",
        "Татьяна",
    ],
    [
        "Иванова",
        "Смирнова",
        "Кузнецова",
        "Попова",
        "Васильева",
        "Петрова",
        "Соколова",
        "Михайлова",
    ],
);
const MEN: ([&str; 8], [&str; 8]) = (
    [
        "Дмитрий",
        "Алексей",
        "Сергей",
        "Андрей",
        "Павел",
        "Игорь",
        "Максим",
        "Олег",
    ],
    [
        "Новиков",
        "Фёдоров",
        "Морозов",
        "Волков",
        "Лебедев",
        "Козлов",
        "Егоров",
        "Орлов",
    ],
);
const SPECIALIZATIONS: [&str; 4] = [
    "Парикмахер-стилист",
    "Мастер маникюра",
    "Косметолог",
    "Бровист",
];

/// Ids of a salon's items. YClients ids fit PostgreSQL's `INTEGER` (the spec's column
/// type), so each salon gets a slot (its id modulo 10 000) and items are numbered inside
/// it; records, unique across salons in YClients, get their own range above 10⁹.
struct Ids {
    slot: i64,
}

impl Ids {
    fn new(salon_id: i64) -> Self {
        Self {
            slot: salon_id.rem_euclid(10_000),
        }
    }

    fn category(&self, i: usize) -> i64 {
        self.slot * 100 + i as i64 + 1
    }

    fn service(&self, i: usize) -> i64 {
        self.slot * 10_000 + i as i64 + 1
    }

    fn staff(&self, i: usize) -> i64 {
        self.slot * 1_000 + i as i64 + 1
    }

    fn client(&self, i: usize) -> i64 {
        self.slot * 100_000 + i as i64 + 1
    }

    fn record(&self, i: usize) -> i64 {
        1_000_000_000 + self.slot * 100_000 + i as i64 + 1
    }
}

/// A tiny deterministic generator (splitmix64): the simulator needs repeatable data,
/// not good randomness.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A random full name whose first and last names agree in gender.
    fn person_name(&mut self) -> String {
        let (first, last) = if self.below(3) == 0 { MEN } else { WOMEN };
        format!(
            "{} {}",
            first[self.below(first.len())],
            last[self.below(last.len())]
        )
    }
}

/// How many distinct staff names there are before they repeat.
const STAFF_NAMES: usize = 2 * 8 * 8;

/// The name of the `i`-th master counted from `first`: distinct within a salon for up
/// to [`STAFF_NAMES`] masters, since a client asks for a master by name.
fn staff_name(first: usize, i: usize) -> String {
    let n = (first + i * 9) % STAFF_NAMES;
    let (names, k) = if n.is_multiple_of(2) {
        (WOMEN, n / 2)
    } else {
        (MEN, n / 2)
    };
    let name = format!("{} {}", names.0[k % 8], names.1[k / 8]);
    if i < STAFF_NAMES {
        name
    } else {
        format!("{name} {}", i / STAFF_NAMES + 1)
    }
}

/// The zone of a salon whose `timezone_name` is not a zone name (as YClients falls back).
pub const DEFAULT_ZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow;

impl Salon {
    /// The salon's time zone.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone_name.parse().unwrap_or(DEFAULT_ZONE)
    }

    /// Builds a salon of `size` whose schedules start on `start`.
    pub fn generate(
        id: i64,
        title: &str,
        timezone_name: &str,
        size: SalonSize,
        start: NaiveDate,
    ) -> Salon {
        let mut seq = Sequence(id as u64);
        let ids = Ids::new(id);
        let categories: Vec<Category> = CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, name)| Category {
                id: ids.category(i),
                title: (*name).to_owned(),
            })
            .collect();
        let services = (0..size.services)
            .map(|i| {
                let (category, name, price, minutes) = SERVICES[i % SERVICES.len()];
                let round = i / SERVICES.len();
                Service {
                    id: ids.service(i),
                    category_id: categories[category].id,
                    title: if round == 0 {
                        name.to_owned()
                    } else {
                        format!("{name} (вариант {})", round + 1)
                    },
                    price_min: price,
                    price_max: price + 500 * (i as u32 % 3),
                    duration_minutes: minutes,
                    description: String::new(),
                }
            })
            .collect::<Vec<_>>();
        let first_staff = seq.below(STAFF_NAMES);
        let staff = (0..size.staff)
            .map(|i| Staff {
                id: ids.staff(i),
                name: staff_name(first_staff, i),
                specialization: SPECIALIZATIONS[i % SPECIALIZATIONS.len()].to_owned(),
                rating: 4.0 + (seq.below(11) as f32) / 10.0,
                services: Vec::new(),
            })
            .collect::<Vec<_>>();
        let clients = (0..size.clients)
            .map(|i| Client {
                id: ids.client(i),
                name: seq.person_name(),
                phone: format!("79{:09}", (id as u64 * 7919 + i as u64) % 1_000_000_000),
                visits: seq.below(20) as u32,
            })
            .collect::<Vec<_>>();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default();
        let eight_pm = NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default();
        let nine_pm = NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default();
        let schedules = (0..size.schedule_days)
            .flat_map(|day| {
                let date = start + Days::new(day as u64);
                staff
                    .iter()
                    .enumerate()
                    // Each master has one day off in four, on a different day.
                    .filter(move |(i, _)| day % 4 != i % 4)
                    .map(move |(i, master)| WorkingDay {
                        staff_id: master.id,
                        date,
                        from: if i % 2 == 0 { nine } else { ten },
                        to: if i % 2 == 0 { eight_pm } else { nine_pm },
                    })
            })
            .collect::<Vec<_>>();
        let records = if schedules.is_empty() || services.is_empty() || clients.is_empty() {
            Vec::new()
        } else {
            (0..size.records)
                .map(|i| {
                    let day = &schedules[seq.below(schedules.len())];
                    Record {
                        id: ids.record(i),
                        staff_id: day.staff_id,
                        service_id: services[seq.below(services.len())].id,
                        client_id: clients[seq.below(clients.len())].id,
                        date: day.date,
                        time: day.from + chrono::Duration::hours(seq.below(8) as i64),
                        api_id: None,
                        attendance: 0,
                        deleted: false,
                    }
                })
                .collect()
        };
        Salon {
            id,
            title: title.to_owned(),
            phone: format!("7495{:07}", id % 10_000_000),
            email: format!("salon{id}@example.ru"),
            address: format!("г. Москва, ул. Тверская, д. {}", id % 100 + 1),
            timezone_name: timezone_name.to_owned(),
            categories,
            services,
            staff,
            clients,
            schedules,
            records,
        }
    }

    /// The demo salons the simulator starts with; 962302 is the salon of the original spec.
    pub fn demo_salons(start: NaiveDate) -> Vec<Salon> {
        [
            (962302, "Салон красоты «Элегант»", "Europe/Moscow"),
            (962303, "Барбершоп «Борода»", "Europe/Samara"),
            (962304, "Студия маникюра «Лак и Лоск»", "Asia/Yekaterinburg"),
        ]
        .into_iter()
        .map(|(id, title, zone)| Salon::generate(id, title, zone, SalonSize::DEMO, start))
        .collect()
    }

    /// A service category as YClients lists it.
    pub fn category_json(category: &Category) -> serde_json::Value {
        serde_json::json!({ "id": category.id, "title": category.title })
    }

    /// A service as YClients lists it (duration in seconds).
    pub fn service_json(&self, service: &Service) -> serde_json::Value {
        let staff: Vec<serde_json::Value> = self
            .staff
            .iter()
            .filter(|m| m.does(service.id))
            .map(|m| serde_json::json!({ "id": m.id, "seance_length": service.duration_minutes * 60 }))
            .collect();
        serde_json::json!({
            "id": service.id,
            "title": service.title,
            "category_id": service.category_id,
            "price_min": service.price_min,
            "price_max": service.price_max,
            "duration": service.duration_minutes * 60,
            "comment": service.description,
            "active": 1,
            "staff": staff,
        })
    }

    /// A master as YClients lists them.
    pub fn staff_json(staff: &Staff) -> serde_json::Value {
        serde_json::json!({
            "id": staff.id,
            "name": staff.name,
            "specialization": staff.specialization,
            "avatar": "",
            "rating": staff.rating,
            "hidden": 0,
            "fired": 0,
        })
    }

    /// A client as the clients search returns them.
    pub fn client_json(client: &Client) -> serde_json::Value {
        serde_json::json!({
            "id": client.id,
            "name": client.name,
            "phone": format!("+{}", client.phone),
            "email": "",
            "visits": client.visits,
        })
    }

    /// One master's working day.
    pub fn working_day_json(day: &WorkingDay) -> serde_json::Value {
        serde_json::json!({
            "staff_id": day.staff_id,
            "date": day.date.format("%Y-%m-%d").to_string(),
            "slots": [{ "from": day.from.format("%H:%M").to_string(), "to": day.to.format("%H:%M").to_string() }],
            "busy_intervals": [],
        })
    }

    /// Services and clients by id, for rendering many records.
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            services: self.services.iter().map(|s| (s.id, s)).collect(),
            clients: self.clients.iter().map(|c| (c.id, c)).collect(),
        }
    }

    /// A record with its service, client and local time with the salon's offset.
    pub fn record_json(&self, record: &Record, lookup: &Lookup<'_>) -> serde_json::Value {
        let service = lookup.services.get(&record.service_id).copied();
        let client = lookup.clients.get(&record.client_id).copied();
        let zone = self.zone();
        let local = record.date.and_time(record.time);
        let datetime = local
            .and_local_timezone(zone)
            .earliest()
            .map(|at| at.to_rfc3339())
            .unwrap_or_else(|| local.format("%Y-%m-%dT%H:%M:%S").to_string());
        serde_json::json!({
            "id": record.id,
            "company_id": self.id,
            "staff_id": record.staff_id,
            "services": service.map(|s| vec![serde_json::json!({ "id": s.id, "title": s.title, "cost": s.price_min })]).unwrap_or_default(),
            "client": client.map(|c| serde_json::json!({ "id": c.id, "name": c.name, "phone": format!("+{}", c.phone) })),
            "datetime": datetime,
            "seance_length": service.map_or(3600, |s| s.duration_minutes * 60),
            "attendance": record.attendance,
            "confirmed": 1,
            "deleted": record.deleted,
            "comment": "",
            "api_id": record.api_id.clone().unwrap_or_default(),
        })
    }

    /// The `data` of `GET /api/v1/company/{id}`.
    pub fn company_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "title": self.title,
            "public_title": self.title,
            "country": "Россия",
            "city": "Москва",
            "timezone_name": self.timezone_name,
            "address": self.address,
            "phone": self.phone,
            "phones": [self.phone],
            "email": self.email,
            "active": 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn generation_is_deterministic_and_sized() {
        let size = SalonSize {
            services: 30,
            staff: 5,
            clients: 1000,
            schedule_days: 30,
            records: 200,
        };
        let a = Salon::generate(42, "Тест", "Europe/Moscow", size, start());
        let b = Salon::generate(42, "Тест", "Europe/Moscow", size, start());
        assert_eq!(a, b);
        assert_eq!(a.services.len(), 30);
        assert_eq!(a.clients.len(), 1000);
        assert_eq!(a.records.len(), 200);
        let mut ids: Vec<_> = a.services.iter().map(|s| s.title.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 30, "service names are distinct");
        let mut names: Vec<_> = a.staff.iter().map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 5, "staff names are distinct");
        assert!(
            a.records
                .iter()
                .all(|r| a.staff.iter().any(|s| s.id == r.staff_id))
        );
    }

    #[test]
    fn demo_salons_include_the_spec_salon() {
        let salons = Salon::demo_salons(start());
        assert!(salons.iter().any(|s| s.id == 962302));
        assert!(
            salons
                .iter()
                .all(|s| !s.services.is_empty() && !s.clients.is_empty())
        );
    }
}
