//! The demo brain's stage 1: a client's message, read in the light of the conversation,
//! as commands. Like a model given the product's prompt, it reads the salon's services,
//! masters and the client's visits from the system instruction and the earlier turns
//! from the history, keeps the service, day, time and master being discussed, takes «да»
//! as accepting the one time just offered, and copies values as the client wrote them
//! («стрижку», «к Анне», «завтра»), so the product's own matching and date resolution
//! are what gets exercised.

use super::words::{self, normalised};
use serde_json::{Map, Value, json};

/// What the system instruction tells about the salon and the client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Salon {
    /// Service titles.
    pub services: Vec<String>,
    /// Masters' names.
    pub masters: Vec<String>,
    /// The client's upcoming visits.
    pub visits: Vec<Visit>,
    /// The visit the bot asked whether to cancel, waiting for the client's answer.
    pub awaiting_cancel: Option<String>,
    /// What the client usually books, most visited first.
    pub usual: Vec<UsualVisit>,
    /// The move the bot asked the client to confirm: visit number, day, time.
    pub awaiting_move: Option<(String, String, String)>,
}

/// A service the client usually books, as the prompt tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsualVisit {
    /// The service.
    pub service: String,
    /// The master, when told.
    pub staff: Option<String>,
    /// `HH:MM`.
    pub time: Option<String>,
}

impl UsualVisit {
    /// «Стрижка мужская» у мастера Дмитрий Волков, обычно в 18:00 (2 визита).
    fn read(text: &str) -> Option<UsualVisit> {
        let service = text.split_once('«')?.1.split_once('»')?.0.to_owned();
        let staff = text
            .split_once("у мастера ")
            .map(|(_, rest)| rest.split(',').next().unwrap_or(rest).trim().to_owned());
        let time = text
            .split_once("обычно в ")
            .map(|(_, rest)| rest.chars().take(5).collect::<String>());
        Some(UsualVisit {
            service,
            staff,
            time,
        })
    }
}

/// One of the client's visits as the prompt lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Its number.
    pub id: String,
    /// The service.
    pub service: String,
    /// `DD.MM`.
    pub date: String,
    /// `HH:MM`.
    pub time: String,
}

impl Salon {
    /// Reads stage 1's system instruction (the product's prompt).
    pub fn read(system: &str) -> Salon {
        let mut salon = Salon::default();
        let mut section = "";
        for line in system.lines() {
            let line = line.trim();
            if line.starts_with("Услуги") {
                section = "services";
            } else if line.starts_with("Мастера") {
                section = "masters";
            } else if line.starts_with("Команды") || line.starts_with("О чём идёт разговор")
            {
                section = "";
            } else if let Some(question) = line.strip_prefix("Ждёт ответа клиента:")
            {
                salon.awaiting_cancel = question
                    .split_once('№')
                    .map(|(_, rest)| {
                        rest.trim_start()
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect::<String>()
                    })
                    .filter(|id| !id.is_empty() && question.contains("отмен"));
                let quoted = |key: &str| {
                    question
                        .split_once(key)
                        .and_then(|(_, rest)| rest.split_once('»'))
                        .map(|(value, _)| value.to_owned())
                };
                if question.contains("перенести") {
                    salon.awaiting_move = quoted("booking «")
                        .zip(quoted("date «"))
                        .zip(quoted("time «"))
                        .map(|((id, date), time)| (id, date, time));
                }
            } else if let Some(usual) = line.strip_prefix("Обычно клиент ходит:") {
                salon.usual = usual.split(';').filter_map(UsualVisit::read).collect();
            } else if let Some(visits) = line.strip_prefix("Записи клиента:") {
                salon.visits = visits.split(';').filter_map(Visit::read).collect();
            } else if let Some(item) = line.strip_prefix("- ") {
                match section {
                    "services" => {
                        let title = item.split(" — ").next().unwrap_or(item).trim();
                        salon.services.push(title.to_owned());
                    }
                    "masters" => {
                        let name = item.split(" (").next().unwrap_or(item).trim();
                        salon.masters.push(name.to_owned());
                    }
                    _ => {}
                }
            }
        }
        salon
    }
}

impl Visit {
    /// «№ 123 — «Стрижка» 02.12 (среда) в 15:00, мастер …».
    fn read(text: &str) -> Option<Visit> {
        let id: String = text
            .split_once('№')?
            .1
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let service = text.split_once('«')?.1.split_once('»')?.0.to_owned();
        let tokens = words::words(text);
        let date = tokens
            .iter()
            .find(|w| w.contains('.') && w.chars().all(|c| c.is_ascii_digit() || c == '.'))?
            .to_string();
        let time = tokens.iter().find(|w| w.contains(':'))?.to_string();
        (!id.is_empty()).then_some(Visit {
            id,
            service,
            date,
            time,
        })
    }
}

/// What the conversation is about so far.
#[derive(Debug, Clone, Default, PartialEq)]
struct Frame {
    service: Option<String>,
    date: Option<String>,
    time: Option<String>,
    staff: Option<String>,
    /// The visit being moved, cancelled or confirmed.
    booking: Option<String>,
    topic: Topic,
    /// Times the bot offered last.
    offered: Vec<String>,
    /// The bot's last words.
    said: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Topic {
    #[default]
    Nothing,
    Prices,
    Booking,
    Booked,
    Moving,
    Cancelling,
    Schedule,
}

impl Frame {
    /// Takes in what a client turn asked for.
    fn absorb(&mut self, commands: &[Value]) {
        for command in commands {
            let param = |key: &str| command["params"][key].as_str().map(str::to_owned);
            let topic = match command["command"].as_str().unwrap_or_default() {
                "SHOW_PRICES" => {
                    if let Some(category) = param("category") {
                        self.service = Some(category);
                    }
                    Topic::Prices
                }
                "SEARCH_SLOTS" | "CREATE_BOOKING" => Topic::Booking,
                "RESCHEDULE_BOOKING" => Topic::Moving,
                "CANCEL_BOOKING" => Topic::Cancelling,
                "CHECK_STAFF_SCHEDULE" => Topic::Schedule,
                _ => continue,
            };
            if let Some(booking) = param("booking") {
                self.booking = Some(booking);
            }
            self.topic = topic;
            for (key, slot) in [
                ("service", &mut self.service),
                ("date", &mut self.date),
                ("time", &mut self.time),
                ("staff", &mut self.staff),
            ] {
                if let Some(value) = param(key) {
                    *slot = Some(value);
                }
            }
        }
    }

    /// Takes in what the bot answered.
    fn heard(&mut self, reply: &str) {
        self.said = reply.to_owned();
        let tokens = words::words(reply);
        self.offered = tokens
            .iter()
            .filter(|w| w.len() == 5 && w.as_bytes()[2] == b':')
            .map(|w| w.to_string())
            .collect();
        if reply.contains("Записала вас") {
            self.topic = Topic::Booked;
            self.offered.clear();
        } else if reply.contains("Перенесла")
            || reply.contains("Отменила")
            || reply.contains("Отменить")
            || reply.contains("Перенести вашу")
        {
            self.topic = Topic::Nothing;
            self.offered.clear();
        }
        // The service and day the bot named are the ones being discussed.
        if let Some(title) = reply
            .split_once('«')
            .and_then(|(_, rest)| rest.split_once('»'))
            .map(|(title, _)| title.to_owned())
            && matches!(self.topic, Topic::Booking)
        {
            self.service = Some(title);
        }
        if matches!(self.topic, Topic::Booking)
            && let Some(day) = tokens
                .iter()
                .find(|w| w.len() == 5 && w.as_bytes()[2] == b'.')
        {
            self.date = Some(day.to_string());
        }
    }
}

fn has(lower: &str, words: &[&str]) -> bool {
    words.iter().any(|w| lower.contains(w))
}

fn is_word(lower: &str, options: &[&str]) -> bool {
    words::words(lower).iter().any(|w| options.contains(w))
}

const HANDOFF: [&str; 18] = [
    "администратор",
    "живого",
    "человек",
    "оператор",
    "менеджер",
    "жалоб",
    "пожаловаться",
    "безобраз",
    "ужасн",
    "отвратительн",
    "отслоил",
    "испортил",
    "недовольн",
    "верните деньги",
    "претензи",
    "никто не отвечает",
    "это как вообще",
    "нормальные?",
];
const SCHEDULE: [&str; 11] = [
    "когда работает",
    "работает ли",
    "работает завтра",
    "работает сегодня",
    "график",
    "расписание",
    "в какие дни",
    "работает в",
    "выходной у",
    "работает?",
    "со скольки",
];
const FACTS: [&str; 17] = [
    "сколько длится",
    "длится",
    "как долго",
    "что такое",
    "что входит",
    "по времени",
    "отличается",
    "сколько времени",
    "адрес",
    "где вы",
    "парковк",
    "оплат",
    "картой",
    "наличн",
    "где вход",
    "как вас найти",
    "как пройти",
];
const MY_VISITS: [&str; 6] = [
    "мои записи",
    "моя запись",
    "на когда я",
    "у меня есть запись",
    "я записан",
    "во сколько там",
];
const PRICES: [&str; 9] = [
    "цен",
    "сколько стоит",
    "сколько стоят",
    "стоимост",
    "прайс",
    "почем",
    "скок",
    "сколько будет",
    "по чем",
];
const BOOK: [&str; 9] = [
    "запиш",
    "записат",
    "записаться",
    "хочу на",
    "можно на",
    "хочу к",
    "забронир",
    "хочу сделать",
    "нужна запись",
];
const FREE: [&str; 8] = [
    "свобод",
    "окошк",
    "окно",
    "есть время",
    "когда можно",
    "есть места",
    "есть запись",
    "можно?",
];
const MOVE: [&str; 9] = [
    "перенес",
    "перенест",
    "перезапис",
    "передвин",
    "сдвин",
    "другое время",
    "не получается в",
    "не успеваю",
    "поменять время",
];
const ACCEPT: [&str; 14] = [
    "да",
    "давай",
    "давайте",
    "подходит",
    "ок",
    "окей",
    "ok",
    "хорошо",
    "годится",
    "идет",
    "согласна",
    "согласен",
    "записывайте",
    "устраивает",
];

/// Stage 1's answer for the client's latest words, after `history` ((role, text),
/// oldest first), with the salon as `system` describes it.
pub fn commands(message: &str, history: &[(String, String)], system: &str) -> Value {
    let salon = Salon::read(system);
    let mut frame = Frame::default();
    for (role, text) in history {
        if role == "model" {
            frame.heard(text);
        } else {
            let earlier = interpret(text, &frame, &salon);
            frame.absorb(&earlier);
        }
    }
    json!({ "commands": interpret(message, &frame, &salon) })
}

fn command(name: &str, params: Map<String, Value>) -> Value {
    json!({ "command": name, "params": params })
}

fn put(params: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        params.insert(key.to_owned(), Value::String(value));
    }
}

/// One message's commands, given what came before.
fn interpret(message: &str, frame: &Frame, salon: &Salon) -> Vec<Value> {
    let lower = normalised(message);
    let mut out = Vec::new();
    if lower.trim_start().starts_with('[') {
        // A voice note or a photo: nothing to act on in its words.
        return out;
    }
    if let Some(name) = introduced_name(message) {
        let mut params = Map::new();
        params.insert("name".into(), Value::String(name));
        out.push(command("SAVE_CLIENT_NAME", params));
    }
    let date = words::date(&lower);
    let same_time = has(
        &lower,
        &["это же время", "то же время", "тоже время", "в то же"],
    );
    let time = words::time(&lower);
    let staff = words::staff(&lower, &salon.masters)
        .map(|phrase| as_written(message, &phrase))
        .or_else(|| capitalised_master(message));
    let service = words::service(&lower, &salon.services).map(|s| clarified(&s, frame));
    // «Как обычно», «к той же, что в прошлый раз»: what the client usually books.
    let as_usual = has(
        &lower,
        &[
            "как обычно",
            "как всегда",
            "прошлый раз",
            "к той же",
            "к тому же",
        ],
    );
    let usual = salon.usual.first().filter(|_| as_usual);
    let service = service.or_else(|| usual.map(|u| u.service.clone()));
    let staff = staff.or_else(|| usual.and_then(|u| u.staff.clone()));
    let usual_time = salon.usual.first().and_then(|u| u.time.clone());
    let preference = words::time_preference(&lower);
    if has(&lower, &HANDOFF) {
        let mut params = Map::new();
        put(&mut params, "reason", Some(message.trim().to_owned()));
        out.push(command("HANDOFF_TO_HUMAN", params));
        return out;
    }
    if let Some(visit) = &salon.awaiting_cancel {
        // The bot asked whether to cancel this visit.
        if has(
            &lower,
            &["нет", "не надо", "не отменя", "передумал", "остав"],
        ) {
            return out;
        }
        if accepts(&lower) || has(&lower, &["отмен"]) {
            let mut params = Map::new();
            put(&mut params, "booking", Some(visit.clone()));
            out.push(command("CANCEL_BOOKING", params));
            return out;
        }
    }
    if let Some((visit, date, time)) = &salon.awaiting_move {
        // The bot asked whether to move this visit there.
        if has(
            &lower,
            &["нет", "не надо", "не переноси", "передумал", "остав"],
        ) {
            return out;
        }
        if accepts(&lower) || has(&lower, &["перенос", "перенес"]) {
            let mut params = Map::new();
            put(&mut params, "booking", Some(visit.clone()));
            put(&mut params, "date", Some(date.clone()));
            put(&mut params, "time", Some(time.clone()));
            out.push(command("RESCHEDULE_BOOKING", params));
            return out;
        }
    }
    if has(&lower, &["отмен", "не приду", "не смогу прийти"])
        || (frame.topic == Topic::Cancelling && service.is_some())
    {
        let mut params = Map::new();
        let booking = which_visit(&lower, salon, service.as_deref());
        put(&mut params, "booking", booking);
        out.push(command("CANCEL_BOOKING", params));
        return out;
    }
    let reminded = frame.said.contains("напомина") || frame.said.contains("Подтвердите");
    if has(
        &lower,
        &[
            "подтвержда",
            "приду",
            "буду обязательно",
            "обязательно буду",
            "все в силе",
        ],
    ) || (reminded && accepts(&lower))
    {
        let mut params = Map::new();
        put(
            &mut params,
            "booking",
            which_visit(&lower, salon, service.as_deref()),
        );
        out.push(command("CONFIRM_BOOKING", params));
        return out;
    }
    if has(&lower, &MOVE) || (frame.topic == Topic::Moving && (date.is_some() || time.is_some())) {
        out.push(reschedule(
            &lower,
            frame,
            salon,
            date,
            time,
            service.as_deref(),
        ));
        return out;
    }
    let schedule = has(&lower, &SCHEDULE)
        || (frame.topic == Topic::Schedule
            && service.is_none()
            && time.is_none()
            && (date.is_some() || staff.is_some()));
    if schedule {
        let mut params = Map::new();
        put(&mut params, "staff", staff.or_else(|| frame.staff.clone()));
        put(
            &mut params,
            "date",
            date.or_else(|| {
                (frame.topic == Topic::Schedule)
                    .then(|| frame.date.clone())
                    .flatten()
            }),
        );
        out.push(command("CHECK_STAFF_SCHEDULE", params));
        return out;
    }
    if has(&lower, &FACTS) || has(&lower, &["до завтра", "до встречи", "до свидания"])
    {
        return out;
    }
    let discussing = matches!(frame.topic, Topic::Booking);
    let has_when = date.is_some() || time.is_some() || preference.is_some();
    if has(&lower, &MY_VISITS) {
        return out;
    }
    let price_asked = has(&lower, &PRICES)
        || (is_word(&lower, &["сколько", "скок"]) && !has_when && !lower.contains("во сколько"))
        || has(&lower, &["что есть из", "какие услуги", "что вы делаете"]);
    if price_asked {
        let mut params = Map::new();
        let category = service
            .clone()
            .or_else(|| category_named(&lower))
            .or_else(|| {
                (is_word(&lower, &["это", "она", "он"]))
                    .then(|| frame.service.clone())
                    .flatten()
            })
            .or_else(|| unknown_service(&lower));
        put(&mut params, "category", category);
        out.push(command("SHOW_PRICES", params));
        return out;
    }
    if has(&lower, &MY_VISITS) {
        return out;
    }
    // What the client says now, filled in from the booking being discussed.
    let keep =
        |now: &Option<String>, before: &Option<String>| now.clone().or_else(|| before.clone());
    let booking = (has(&lower, &BOOK) || (as_usual && frame.topic != Topic::Booking))
        && !has(&lower, &["записи", "запись есть"]);
    let free = has(&lower, &FREE) || (lower.contains("есть?") && (has_when || discussing));
    if booking || free {
        let carried = discussing || booking || frame.topic == Topic::Prices;
        let service = keep(&service, if carried { &frame.service } else { &None });
        let date = if discussing {
            keep(&date, &frame.date)
        } else {
            date
        };
        let staff = if discussing {
            keep(&staff, &frame.staff)
        } else {
            staff
        };
        let time = time.or_else(|| same_time.then(|| frame.time.clone()).flatten());
        out.push(book_or_search(service, date, time, staff, preference));
        return out;
    }
    if frame.topic == Topic::Booked && service.is_none() {
        if time.is_some() {
            // «а можно не в 10, а в 11?» right after booking: move that visit.
            let date = date.or_else(|| frame.date.clone());
            out.push(reschedule(&lower, frame, salon, date, time, None));
        }
        // «да», «спасибо», «👍» after a booking is made: nothing more to do.
        return out;
    }
    let follows = discussing
        || (frame.topic == Topic::Prices && has_when)
        || (frame.topic == Topic::Schedule && time.is_some())
        || (frame.topic == Topic::Booked && service.is_some());
    if follows {
        let chosen = time
            .clone()
            .or_else(|| picked(&lower, frame, usual_time.as_deref()));
        let chosen = chosen.or_else(|| {
            // A new day keeps the time the client asked for, and so does the answer to
            // «which service?».
            let answers_which = service.is_some() && frame.said.contains("какую услугу");
            (same_time || answers_which || (date.is_some() && preference.is_none()))
                .then(|| frame.time.clone())
                .flatten()
        });
        if chosen.is_some()
            || date.is_some()
            || staff.is_some()
            || service.is_some()
            || preference.is_some()
        {
            let service = keep(&service, &frame.service);
            let date = keep(&date, &frame.date);
            let staff = keep(&staff, &frame.staff);
            out.push(book_or_search(service, date, chosen, staff, preference));
            return out;
        }
    }
    if frame.topic == Topic::Prices && service.is_some() {
        let mut params = Map::new();
        put(&mut params, "category", service);
        out.push(command("SHOW_PRICES", params));
        return out;
    }
    if service.is_some() && has_when {
        out.push(book_or_search(service, date, time, staff, preference));
    }
    out
}

/// A qualifier answering «какую услугу: A, B?» («с покрытием») as the option it picks,
/// or with the service being discussed («мужскую» → «стрижку мужскую»).
fn clarified(phrase: &str, frame: &Frame) -> String {
    let options: Vec<&str> = frame
        .said
        .split_once("какую услугу:")
        .map(|(_, rest)| rest.split('?').next().unwrap_or(rest))
        .map(|list| list.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let said: Vec<String> = words::words(phrase)
        .iter()
        .filter(|w| w.chars().count() > 3)
        .map(|w| w.chars().take(5).collect())
        .collect();
    let fitting: Vec<&&str> = options
        .iter()
        .filter(|option| {
            let lower = normalised(option);
            !said.is_empty()
                && said.iter().all(|w| lower.contains(w.as_str()))
                && lower.contains("без") == phrase.contains("без")
        })
        .collect();
    let only_qualifiers = words::words(phrase).iter().all(|w| {
        [
            "с",
            "без",
            "покрытием",
            "покрытия",
            "мужская",
            "мужскую",
            "женская",
            "женскую",
            "детская",
            "детскую",
        ]
        .contains(w)
    });
    match (fitting.as_slice(), &frame.service) {
        ([one], _) => (**one).to_owned(),
        ([], Some(service)) if only_qualifiers && !options.is_empty() => {
            format!("{service} {phrase}")
        }
        // «с покрытием» after the bot offered «Маникюр без покрытия»: the same kind of
        // service, as qualified now.
        ([], Some(service)) if only_qualifiers => {
            let kind = service.split_whitespace().next().unwrap_or(service);
            format!("{kind} {phrase}")
        }
        _ => phrase.to_owned(),
    }
}

/// A category of the salon's list («из косметологии», «ногтевой сервис»).
fn category_named(lower: &str) -> Option<String> {
    [
        ("косметолог", "косметология"),
        ("ногтев", "ногтевой сервис"),
        ("парикмахер", "парикмахерские услуги"),
        ("детск", "детские услуги"),
    ]
    .into_iter()
    .find(|(stem, _)| lower.contains(stem))
    .map(|(_, category)| category.to_owned())
}

/// The thing asked about when it is none of the salon's services («ботокс делаете?»).
fn unknown_service(lower: &str) -> Option<String> {
    const NOT_IT: &[&str] = &[
        "пришлите",
        "скиньте",
        "киньте",
        "отправьте",
        "покажите",
        "напишите",
        "дайте",
        "можете",
        "сколько",
        "стоит",
        "стоят",
        "стоимость",
        "делают",
        "делаете",
        "делаешь",
        "есть",
        "цена",
        "цены",
        "почем",
        "прайс",
        "скажите",
        "подскажите",
        "пожалуйста",
        "здравствуйте",
        "привет",
        "добрый",
        "день",
        "вечер",
        "можно",
        "будет",
        "какая",
        "какие",
    ];
    words::words(lower)
        .into_iter()
        .find(|w| w.chars().count() >= 4 && !NOT_IT.contains(w) && w.parse::<u32>().is_err())
        .map(str::to_owned)
}

/// Book when service, day and time are known; otherwise look for free times.
fn book_or_search(
    service: Option<String>,
    date: Option<String>,
    time: Option<String>,
    staff: Option<String>,
    preference: Option<String>,
) -> Value {
    let mut params = Map::new();
    // A time without a day is a booking that asks for the day.
    let complete = service.is_some() && time.is_some();
    put(&mut params, "service", service);
    put(&mut params, "date", date);
    put(&mut params, "staff", staff);
    if complete {
        put(&mut params, "time", time);
        command("CREATE_BOOKING", params)
    } else {
        put(&mut params, "time_preference", preference);
        command("SEARCH_SLOTS", params)
    }
}

fn accepts(lower: &str) -> bool {
    lower.contains('👍') || is_word(lower, &ACCEPT)
}

/// The offered time the client accepts or points at; «да» to several times is the one
/// they usually come at, when it is among them.
fn picked(lower: &str, frame: &Frame, usual_time: Option<&str>) -> Option<String> {
    let offered = frame.offered.as_slice();
    if has(lower, &["первый", "первое", "самое раннее", "пораньше"])
    {
        return offered.first().cloned();
    }
    if has(lower, &["последн", "самое позднее", "попозже"]) {
        return offered.last().cloned();
    }
    match offered {
        [only] if accepts(lower) => Some(only.clone()),
        several if accepts(lower) => usual_time
            .filter(|usual| several.iter().any(|t| t == usual))
            .map(str::to_owned),
        _ => None,
    }
}

/// Which of the client's visits they mean, when they have several and name its service.
fn which_visit(lower: &str, salon: &Salon, service: Option<&str>) -> Option<String> {
    if salon.visits.len() < 2 {
        return None;
    }
    let service = service?;
    let start: String = service.chars().take(5).collect();
    let named: Vec<&Visit> = salon
        .visits
        .iter()
        .filter(|v| normalised(&v.service).contains(start.as_str()))
        .collect();
    match named.as_slice() {
        [one] if !lower.is_empty() => Some(one.id.clone()),
        _ => None,
    }
}

fn reschedule(
    lower: &str,
    frame: &Frame,
    salon: &Salon,
    date: Option<String>,
    time: Option<String>,
    service: Option<&str>,
) -> Value {
    let mut params = Map::new();
    let booking = which_visit(lower, salon, service).or_else(|| {
        (frame.topic == Topic::Moving)
            .then(|| frame.booking.clone())
            .flatten()
    });
    let visit = match (&booking, salon.visits.as_slice()) {
        (Some(id), visits) => visits.iter().find(|v| &v.id == id),
        (None, [only]) => Some(only),
        _ => None,
    };
    let same_time = has(
        lower,
        &["то же время", "тоже время", "в это же время", "в то же"],
    );
    let day_later = has(lower, &["на день позже", "на следующий день"]);
    let time = time
        .or_else(|| same_time.then(|| visit.map(|v| v.time.clone())).flatten())
        .or_else(|| {
            (frame.topic == Topic::Moving)
                .then(|| frame.time.clone())
                .flatten()
        })
        .or_else(|| day_later.then(|| visit.map(|v| v.time.clone())).flatten());
    let date = date
        .or_else(|| {
            day_later
                .then(|| visit.and_then(|v| next_day(&v.date)))
                .flatten()
        })
        .or_else(|| {
            (frame.topic == Topic::Moving)
                .then(|| frame.date.clone())
                .flatten()
        })
        // «в 17», «давайте позже»: the same day as the visit.
        .or_else(|| {
            (time.is_some() || has(lower, &["позже", "раньше"]))
                .then(|| visit.map(|v| v.date.clone()))
                .flatten()
        });
    put(&mut params, "booking", booking);
    put(&mut params, "date", date);
    put(&mut params, "time", time);
    command("RESCHEDULE_BOOKING", params)
}

/// The day after `DD.MM` (the year does not matter to the product: it takes the next).
fn next_day(date: &str) -> Option<String> {
    let (day, month) = date.split_once('.')?;
    let (day, month): (u32, u32) = (day.parse().ok()?, month.parse().ok()?);
    let this = chrono::NaiveDate::from_ymd_opt(2028, month, day)?;
    let next = this.succ_opt()?;
    Some(next.format("%d.%m").to_string())
}

/// `phrase` (found in the lower-cased message) as the client wrote it.
fn as_written(message: &str, phrase: &str) -> String {
    let plain = message.to_lowercase().replace('ё', "е");
    match plain.find(phrase) {
        Some(at)
            if plain.len() == message.len()
                && message.is_char_boundary(at)
                && message.is_char_boundary(at + phrase.len()) =>
        {
            message[at..at + phrase.len()].to_owned()
        }
        _ => phrase.to_owned(),
    }
}

/// «к Анне», «у Марии», «мастер Ольга»: a capitalised word after those, for a prompt
/// whose masters the brain could not read.
fn capitalised_master(message: &str) -> Option<String> {
    let tokens = words::words(message);
    tokens.windows(2).find_map(|pair| {
        let lead = pair[0].to_lowercase();
        let capital = pair[1].chars().next().is_some_and(char::is_uppercase);
        (capital && ["к", "у", "мастер", "мастеру", "мастера"].contains(&lead.as_str()))
            .then(|| format!("{} {}", pair[0], pair[1]))
    })
}

/// «меня зовут Ольга», «это Оксана», «я Ира» at the start.
fn introduced_name(message: &str) -> Option<String> {
    let tokens = words::words(message);
    let lower: Vec<String> = tokens.iter().map(|w| w.to_lowercase()).collect();
    let at = lower
        .windows(2)
        .position(|p| p[0] == "меня" && p[1] == "зовут")
        .map(|at| at + 2)
        .or_else(|| {
            // «меня Света зовут»
            lower
                .windows(3)
                .position(|p| p[0] == "меня" && p[2] == "зовут")
                .map(|at| at + 1)
        })
        .or_else(|| {
            // «я Катя», «привет, это Оксана»: near the start, a capitalised name.
            (0..lower.len().min(3)).find_map(|at| {
                let named = (lower[at] == "это" || lower[at] == "я")
                    && tokens
                        .get(at + 1)
                        .and_then(|w| w.chars().next())
                        .is_some_and(char::is_uppercase);
                named.then_some(at + 1)
            })
        })?;
    tokens.get(at).map(|name| {
        let mut chars = name.chars();
        chars
            .next()
            .map(|first| {
                first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = "Сегодня 01.12.2026 (вторник).\nЗаписи клиента: № 501 — «Окрашивание волос» 05.12 (суббота) в 12:00, мастер Анна Смирнова\n\nУслуги салона (название — цена):\n- Стрижка женская — от 1800 до 2300 ₽\n- Маникюр с покрытием гель-лак — 2200 ₽\n- Окрашивание волос — от 4500 до 7000 ₽\n\nМастера:\n- Анна Смирнова (Парикмахер-стилист)\n- Мария Иванова (Мастер маникюра)\n\nКоманды:\n- SEARCH_SLOTS …";

    fn first(message: &str, history: &[(&str, &str)]) -> Value {
        let history: Vec<(String, String)> = history
            .iter()
            .map(|(r, t)| ((*r).to_owned(), (*t).to_owned()))
            .collect();
        commands(message, &history, SYSTEM)["commands"][0].clone()
    }

    #[test]
    fn the_salon_and_the_clients_visits_are_read_from_the_prompt() {
        let salon = Salon::read(SYSTEM);
        assert_eq!(salon.services.len(), 3);
        assert_eq!(salon.masters, ["Анна Смирнова", "Мария Иванова"]);
        assert_eq!(
            salon.visits,
            [Visit {
                id: "501".into(),
                service: "Окрашивание волос".into(),
                date: "05.12".into(),
                time: "12:00".into()
            }]
        );
    }

    #[test]
    fn a_request_with_everything_books_and_one_without_a_time_searches() {
        assert_eq!(
            first("Запишите меня на стрижку завтра в 15:00 к Анне", &[]),
            json!({ "command": "CREATE_BOOKING", "params": {
                "service": "стрижку", "date": "завтра", "time": "15:00", "staff": "к Анне" } })
        );
        assert_eq!(
            first("Хочу записаться на маникюр с покрытием в пятницу", &[])["command"],
            "SEARCH_SLOTS"
        );
    }

    #[test]
    fn the_answer_to_which_service_keeps_the_day_and_time_asked_for() {
        let history = [
            ("user", "🎤 Запишите меня на маникюр завтра в 15:00"),
            (
                "model",
                "Уточните, пожалуйста, какую услугу: Маникюр без покрытия, Маникюр с покрытием гель-лак?",
            ),
        ];
        let answer = first("с покрытием", &history);
        assert_eq!(answer["command"], "CREATE_BOOKING", "{answer}");
        assert_eq!(answer["params"]["time"], "15:00", "{answer}");
    }

    #[test]
    fn the_demo_conversation_is_followed_turn_by_turn() {
        let offered =
            "Свободное время на «Маникюр с покрытием гель-лак» 02.12 (среда): 09:00, 09:30, 10:00.";
        let history = [
            ("user", "Хочу записаться на маникюр с покрытием завтра"),
            ("model", offered),
        ];
        assert_eq!(
            first("В 15:00", &history),
            json!({ "command": "CREATE_BOOKING", "params": {
                "service": "Маникюр с покрытием гель-лак", "date": "02.12", "time": "15:00" } })
        );
        let booked = [
            ("user", "Хочу записаться на маникюр с покрытием завтра"),
            ("model", offered),
            ("user", "В 15:00"),
            (
                "model",
                "Записала вас на «Маникюр с покрытием гель-лак» к мастеру Мария Иванова на 02.12 (среда) в 15:00.",
            ),
        ];
        assert_eq!(commands("Да", &[], SYSTEM)["commands"], json!([]));
        let history: Vec<(String, String)> = booked
            .iter()
            .map(|(r, t)| ((*r).into(), (*t).into()))
            .collect();
        assert_eq!(commands("Да", &history, SYSTEM)["commands"], json!([]));
        assert_eq!(
            first(
                "а маникюр?",
                &[("user", "Сколько стоит стрижка?"), ("model", "Цены: …")]
            ),
            json!({ "command": "SHOW_PRICES", "params": { "category": "маникюр" } })
        );
    }

    #[test]
    fn yes_takes_the_one_time_offered_and_a_reschedule_keeps_the_time_when_asked() {
        let history = [
            ("user", "хочу на стрижку завтра"),
            (
                "model",
                "Ближайшее свободное время на «Стрижка женская» 02.12 (среда): 17:00. Записать вас?",
            ),
        ];
        assert_eq!(first("да", &history)["params"]["time"], "17:00");
        assert_eq!(
            first("перенесите на день позже на то же время", &[]),
            json!({ "command": "RESCHEDULE_BOOKING", "params": { "date": "06.12", "time": "12:00" } })
        );
        assert_eq!(
            first("Отмените мою запись", &[])["command"],
            "CANCEL_BOOKING"
        );
        assert_eq!(
            first("Позовите администратора", &[])["command"],
            "HANDOFF_TO_HUMAN"
        );
        assert_eq!(
            first("Меня зовут ольга", &[]),
            json!({ "command": "SAVE_CLIENT_NAME", "params": { "name": "Ольга" } })
        );
        assert_eq!(
            commands("Здравствуйте!", &[], SYSTEM),
            json!({ "commands": [] })
        );
    }
}
