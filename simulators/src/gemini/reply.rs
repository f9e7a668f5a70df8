//! The demo brain's stage 2: the reply from the command results and the facts the
//! product put in the prompt. The product gives each result a factual `summary` in the client's words; the
//! brain tells them, adds what an administrator would ask next (which time suits, a
//! goodbye), greets only at the start of a conversation, and answers small talk itself.
//! It never says more than the results hold: what it does not know it says so and
//! offers a person. It speaks as the system instruction tells it (prompts v3): on «ты»,
//! with an emoji, or without its own greeting when the product adds the salon's.

use super::words::normalised;
use serde_json::Value;

/// What the product told stage 2 about the salon and the client (prompts v2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Facts {
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    /// «02.12 (среда) с 09:00 до 21:00» per day.
    hours: Vec<String>,
    /// The client's visits, as listed; `None` when not told.
    bookings: Option<String>,
    /// «Title — price, duration» lines.
    services: Vec<String>,
    /// What the owner wrote about the salon, a line each.
    owner: Vec<String>,
}

impl Facts {
    fn read(input: &str) -> Facts {
        let mut facts = Facts::default();
        let known = |value: &str| {
            let value = value.trim();
            (!value.is_empty() && value != "неизвестно").then(|| value.to_owned())
        };
        let mut in_services = false;
        let mut in_owner = false;
        for line in input.lines() {
            if in_owner {
                match line.strip_prefix("- ") {
                    Some(item) if item.trim() != "нет" => {
                        facts.owner.push(item.trim().to_owned())
                    }
                    Some(_) => {}
                    None => in_owner = false,
                }
                if in_owner {
                    continue;
                }
            }
            if let Some(v) = line.strip_prefix("Адрес:") {
                facts.address = known(v);
            } else if let Some(v) = line.strip_prefix("Телефон:") {
                facts.phone = known(v);
            } else if let Some(v) = line.strip_prefix("Почта:") {
                facts.email = known(v);
            } else if let Some(v) = line.strip_prefix("Часы работы:") {
                facts.hours = known(v)
                    .map(|h| h.split("; ").map(str::to_owned).collect())
                    .unwrap_or_default();
            } else if let Some(v) = line.strip_prefix("Записи клиента:") {
                facts.bookings = Some(v.trim().to_owned());
            } else if line.starts_with("Ещё о салоне") {
                in_owner = true;
            } else if line.starts_with("Услуги, о которых") {
                in_services = true;
            } else if in_services && let Some(item) = line.strip_prefix("- ") {
                facts.services.push(item.trim().to_owned());
            }
        }
        facts
    }
}

/// How the system instruction tells the brain to speak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Speaking {
    /// On «ты».
    ty: bool,
    /// An emoji is welcome.
    emoji: bool,
    /// The product puts the salon's greeting before the reply: none of its own.
    no_greeting: bool,
}

impl Speaking {
    fn read(system: &str) -> Self {
        Self {
            ty: system.contains("на «ты»"),
            emoji: system.contains("Можно одно уместное эмодзи"),
            no_greeting: system.contains("Не здоровайся"),
        }
    }
}

/// The reply to stage 2's call: the salon named in the `system` instruction (its first
/// «…»), spoken as the instruction says.
pub fn reply_as(input: &str, history: &[(String, String)], system: &str) -> String {
    let salon = system
        .split_once('«')
        .and_then(|(_, rest)| rest.split_once('»'))
        .map_or("", |(name, _)| name);
    let speaking = Speaking::read(system);
    let mut text = reply(input, history, salon);
    if speaking.no_greeting {
        text = text.trim_start_matches("Здравствуйте! ").to_owned();
    }
    if speaking.ty {
        text = on_ty(&text);
    }
    if speaking.emoji && !text.ends_with('?') {
        text.push_str(" 😊");
    }
    text
}

/// The brain's own «вы» turned to «ты»: its words and the product's summaries it tells.
fn on_ty(text: &str) -> String {
    const WORDS: [(&str, &str); 34] = [
        ("Здравствуйте", "Привет"),
        ("вас", "тебя"),
        ("вам", "тебе"),
        ("вами", "тобой"),
        ("вы", "ты"),
        ("ваш", "твой"),
        ("ваша", "твоя"),
        ("ваше", "твоё"),
        ("вашу", "твою"),
        ("ваши", "твои"),
        ("вашей", "твоей"),
        ("вашего", "твоего"),
        ("ваших", "твоих"),
        ("вашим", "твоим"),
        ("Ваши", "Твои"),
        ("Ваша", "Твоя"),
        ("Вам", "Тебе"),
        ("Вас", "Тебя"),
        ("Вы", "Ты"),
        ("Подскажите", "Подскажи"),
        ("подскажите", "подскажи"),
        ("Напишите", "Напиши"),
        ("напишите", "напиши"),
        ("пишите", "пиши"),
        ("скажите", "скажи"),
        ("Уточните", "Уточни"),
        ("уточните", "уточни"),
        ("выберите", "выбери"),
        ("Выберите", "Выбери"),
        ("хотите", "хочешь"),
        ("захотите", "захочешь"),
        ("можете", "можешь"),
        ("будете", "будешь"),
        ("извините", "извини"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let turned = WORDS
            .iter()
            .find(|(from, _)| *from == word.as_str())
            .map_or(word.as_str(), |(_, to)| to);
        out.push_str(turned);
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The reply to stage 2's last user turn (the message, its results and the facts), after
/// `history` ((role, text), oldest first), as the salon named `salon`.
pub fn reply(input: &str, history: &[(String, String)], salon: &str) -> String {
    let results = results(input);
    let facts = Facts::read(input);
    let message = normalised(message(input));
    let first_reply = !history.iter().any(|(role, _)| role == "model");
    let greeting = if first_reply && greets(&message) {
        "Здравствуйте! "
    } else {
        ""
    };
    let told: Vec<String> = results.iter().filter_map(|r| told(r, &message)).collect();
    if !told.is_empty() {
        return format!("{greeting}{}", told.join(" "));
    }
    let last_said = history
        .iter()
        .rev()
        .find(|(role, _)| role == "model")
        .map(|(_, text)| text.as_str())
        .unwrap_or_default();
    if let Some(answer) = from_facts(&message, &facts, salon) {
        return format!("{greeting}{answer}");
    }
    format!(
        "{greeting}{}",
        small_talk(&message, last_said, !greeting.is_empty())
    )
}

/// The day a question is about, as the hours list names it, today when none.
fn day_asked<'h>(message: &str, hours: &'h [String]) -> Option<&'h String> {
    let weekday = [
        ("понедельник", "понедельник"),
        ("вторник", "вторник"),
        ("сред", "среда"),
        ("четверг", "четверг"),
        ("пятниц", "пятница"),
        ("суббот", "суббота"),
        ("воскресень", "воскресенье"),
    ]
    .into_iter()
    .find(|(stem, _)| message.contains(stem))
    .map(|(_, name)| name);
    match weekday {
        Some(name) => hours.iter().find(|h| h.contains(name)),
        None if message.contains("послезавтра") => hours.get(2),
        None if message.contains("завтра") => hours.get(1),
        None => hours.first(),
    }
}

/// «02.12 (среда) с 09:00 до 21:00» → («02.12 (среда)», «с 09:00 до 21:00»).
fn day_and_hours(line: &str) -> (&str, &str) {
    line.split_once(") ")
        .map_or((line, ""), |(day, hours)| (&line[..day.len() + 1], hours))
}

/// What the owner wrote on what the client asks about (parking, the entrance, payment,
/// or a line sharing a word with the question).
fn owner_fact<'f>(message: &str, facts: &'f Facts) -> Vec<&'f String> {
    const TOPICS: [(&[&str], &[&str]); 3] = [
        (&["парков", "машин", "припарк"], &["парков"]),
        (
            &["вход", "найти", "пройти", "домофон", "этаж", "подъезд"],
            &["вход", "домофон", "этаж", "подъезд"],
        ),
        (
            &["оплат", "картой", "карт", "налич", "сбп", "перевод"],
            &["оплат", "карт", "налич"],
        ),
    ];
    let lower = |line: &String| normalised(line);
    for (asked, told) in TOPICS {
        if has(message, asked) {
            return facts
                .owner
                .iter()
                .filter(|line| has(&lower(line), told))
                .collect();
        }
    }
    let stems: Vec<String> = super::words::words(message)
        .iter()
        .filter(|w| w.chars().count() >= 5)
        .map(|w| w.chars().take(5).collect())
        .collect();
    facts
        .owner
        .iter()
        .filter(|line| stems.iter().any(|stem| lower(line).contains(stem.as_str())))
        .take(1)
        .collect()
}

/// A fact line as a sentence.
fn sentence(line: &str) -> String {
    let line = line.trim();
    match line.ends_with(['.', '!', '?']) {
        true => line.to_owned(),
        false => format!("{line}."),
    }
}

/// The answer to a question about the salon or the client's visits, from the facts.
fn from_facts(message: &str, facts: &Facts, salon: &str) -> Option<String> {
    let owner: Vec<String> = owner_fact(message, facts)
        .into_iter()
        .map(|line| sentence(line))
        .collect();
    if has(
        message,
        &[
            "где ",
            "где?",
            "адрес",
            "как добраться",
            "находитесь",
            "филиал",
        ],
    ) {
        // How to find the door goes with the address.
        let how: String = match owner.is_empty() {
            false => owner.iter().map(|line| format!(" {line}")).collect(),
            true => facts
                .owner
                .iter()
                .filter(|line| has(&normalised(line), &["вход", "домофон", "этаж", "подъезд"]))
                .map(|line| format!(" {}", sentence(line)))
                .collect(),
        };
        return Some(match &facts.address {
            Some(address) => format!("Мы находимся по адресу: {address}.{how}"),
            None if !owner.is_empty() => how.trim().to_owned(),
            None => "Точного адреса у меня нет — уточню у администратора.".to_owned(),
        });
    }
    if !owner.is_empty() {
        return Some(owner.join(" "));
    }
    if has(message, &["почт", "email", "e-mail", "имейл"]) {
        return facts.email.as_ref().map(|e| format!("Наша почта: {e}."));
    }
    if has(message, &["телефон", "позвонить", "номер салона"]) {
        return facts
            .phone
            .as_ref()
            .map(|p| format!("Телефон салона: {p}."));
    }
    let about_hours = has(
        message,
        &[
            "до скольки",
            "во сколько вы",
            "часы работы",
            "работаете",
            "открываетесь",
            "закрываетесь",
            "открыты",
        ],
    );
    if about_hours && !facts.hours.is_empty() {
        return Some(match day_asked(message, &facts.hours) {
            Some(line) => {
                let (day, hours) = day_and_hours(line);
                format!("{day} мы работаем {hours}.")
            }
            None => "В этот день салон не работает.".to_owned(),
        });
    }
    let about_visits = has(
        message,
        &[
            "мои записи",
            "моя запись",
            "на когда я",
            "есть запись",
            "я записан",
            "во сколько там",
            "к какому мастеру",
        ],
    );
    if about_visits && let Some(bookings) = &facts.bookings {
        return Some(if bookings == "нет" {
            "У вас нет предстоящих записей — могу записать вас.".to_owned()
        } else {
            let listed: Vec<&str> = bookings
                .split("; ")
                .map(|visit| visit.split_once(" — ").map_or(visit, |(_, rest)| rest))
                .collect();
            format!("Ваши записи: {}.", listed.join("; "))
        });
    }
    let about_service = has(
        message,
        &[
            "что такое",
            "длится",
            "по времени",
            "как долго",
            "отличается",
            "делаете",
            "есть ли у вас",
            "стрижете",
            "делают",
        ],
    );
    if about_service {
        return match facts.services.as_slice() {
            [] if has(message, &["делаете", "делают", "есть ли у вас"]) => Some(
                "К сожалению, такой услуги у нас нет. Могу рассказать, что мы делаем, и о ценах."
                    .to_owned(),
            ),
            [] => None,
            [one, two, ..] if has(message, &["отличается", "разница"]) => {
                let told = |line: &str| {
                    let (title, about) = line.split_once(" — ").unwrap_or((line, ""));
                    format!("«{title}»: {about}")
                };
                Some(format!("{}. {}.", told(one), told(two)))
            }
            [one, ..] => {
                let (title, about) = one.split_once(" — ").unwrap_or((one, ""));
                Some(format!("У нас это «{title}»: {about}."))
            }
        };
    }
    if has(message, &["вы кто", "ты кто", "кто вы", "кто это"]) {
        return Some(format!(
            "Я виртуальный администратор салона «{salon}»: записываю, переношу и отменяю \
             визиты, подсказываю цены и свободное время."
        ));
    }
    None
}

fn has(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// `message` has one of these as a whole word.
fn says(message: &str, options: &[&str]) -> bool {
    super::words::words(message)
        .iter()
        .any(|w| options.contains(w))
}

fn greets(message: &str) -> bool {
    has(
        message,
        &[
            "здравств",
            "привет",
            "добрый",
            "доброе",
            "добрый вечер",
            "хай",
        ],
    )
}

/// The one time to offer when the client asked for the earliest or the latest.
fn one_time(result: &Value, message: &str) -> Option<String> {
    let times: Vec<&str> = result["data"]["times"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let time = if has(
        message,
        &["самое раннее", "ближайш", "как можно раньше", "пораньше"],
    ) {
        times.first()?
    } else if has(
        message,
        &["самое позднее", "попозже", "последн", "как можно позже"],
    ) {
        times.last()?
    } else {
        return None;
    };
    let date = result["data"]["date"].as_str()?;
    let (_, month_day) = date.split_once('-')?;
    let (month, day) = month_day.split_once('-')?;
    let service = result["data"]["service"].as_str().unwrap_or("визит");
    let who = result["data"]["staff"]
        .as_str()
        .map(|s| format!(" у мастера {s}"))
        .unwrap_or_default();
    Some(format!(
        "Свободное время на «{service}»{who} {day}.{month}: {time}. Записать вас?"
    ))
}

/// One result as the client hears it.
fn told(result: &Value, message: &str) -> Option<String> {
    let summary = result.get("summary").and_then(Value::as_str)?.trim();
    if summary.is_empty() {
        return None;
    }
    let ok = result["ok"].as_bool().unwrap_or(false);
    if ok
        && result["command"] == "SEARCH_SLOTS"
        && let Some(offer) = one_time(result, message)
    {
        return Some(offer);
    }
    let next = match (result["command"].as_str().unwrap_or_default(), ok) {
        ("SEARCH_SLOTS", true) => " На какое время вас записать?",
        ("CREATE_BOOKING", true) => " Ждём вас!",
        ("RESCHEDULE_BOOKING", true) => " Ждём вас в новое время!",
        ("CANCEL_BOOKING", true) => " Если захотите записаться снова — напишите.",
        ("CONFIRM_BOOKING", true) => " Ждём вас!",
        _ => "",
    };
    // The product's summaries keep record numbers for the model; a client needs none.
    let summary = without_record_number(summary);
    Some(format!("{summary}{next}"))
}

/// «… Номер записи 123.» dropped.
fn without_record_number(summary: &str) -> String {
    match summary.find(" Номер записи") {
        Some(at) => {
            let rest = &summary[at + 1..];
            let end = rest.find('.').map_or(rest.len(), |e| e + 1);
            format!("{}{}", &summary[..at], &rest[end..])
        }
        None => summary.to_owned(),
    }
}

/// The answer when no command ran.
fn small_talk(message: &str, last_said: &str, greeted: bool) -> String {
    if message.contains("[голосовое") || message.contains("[аудио") {
        return "К сожалению, я не могу прослушать голосовое сообщение — напишите, пожалуйста, \
                текстом, и я сразу помогу."
            .to_owned();
    }
    if message.trim_start().starts_with('[') {
        return "Вложение я открыть не могу — напишите, пожалуйста, текстом, что вас интересует."
            .to_owned();
    }
    if has(message, &["спасибо", "благодар", "спс"]) {
        return "Пожалуйста! Будем рады видеть вас.".to_owned();
    }
    if has(
        message,
        &["до свидания", "до встречи", "всего доброго", "хорошего дня"],
    ) || says(message, &["пока"])
    {
        return "До встречи! Хорошего дня.".to_owned();
    }
    if last_said.contains("Записала вас")
        && (message.contains('👍')
            || says(
                message,
                &["да", "ок", "хорошо", "отлично", "супер", "понял", "поняла"],
            ))
    {
        return "Отлично, ждём вас!".to_owned();
    }
    if says(message, &["бот", "робот"]) || has(message, &["ты человек", "вы человек", "нейросет"])
    {
        return "Я виртуальный администратор салона: записываю, переношу и отменяю визиты, \
                подсказываю цены и свободное время. Если нужен человек — напишите, позову \
                администратора."
            .to_owned();
    }
    if has(
        message,
        &[
            "где ",
            "адрес",
            "как добраться",
            "до скольки",
            "во сколько",
            "часы работы",
            "телефон",
            "парковк",
            "что такое",
            "сколько длится",
            "как долго",
        ],
    ) {
        return "Точно подскажет администратор салона — могу позвать его в этот чат. А записать \
                вас, подобрать время или рассказать о ценах могу сама."
            .to_owned();
    }
    if message.contains('👍') || says(message, &["ок", "понятно", "хорошо", "ясно"])
    {
        return "Хорошо! Если будут вопросы — пишите.".to_owned();
    }
    // A question the facts do not answer: a model told never to invent offers a person.
    if message.contains('?') {
        return "Точно подскажет администратор салона — могу позвать его в этот чат. А записать \
                вас, подобрать время или рассказать о ценах могу сама."
            .to_owned();
    }
    if greeted {
        return "Чем могу помочь: записать вас, подобрать время или рассказать о ценах?".to_owned();
    }
    "Подскажите, пожалуйста, чем могу помочь: записать вас, подобрать свободное время или \
     рассказать о ценах?"
        .to_owned()
}

/// The JSON array inside the ```json fence, if any.
fn results(input: &str) -> Vec<Value> {
    let Some(start) = input.find("```json") else {
        return Vec::new();
    };
    let body = &input[start + "```json".len()..];
    let body = body.split("```").next().unwrap_or_default();
    match serde_json::from_str::<Value>(body.trim()) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// The client's message: what follows the first line, up to the results.
fn message(input: &str) -> &str {
    let after = input
        .split_once("Сообщение клиента:\n")
        .or_else(|| input.split_once('\n'))
        .map_or(input, |(_, rest)| rest);
    let text = after.split("```").next().unwrap_or(after);
    text.split("\n\nРезультаты команд").next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(message: &str, results: &str) -> String {
        format!(
            "Сообщение клиента:\n{message}\n\nРезультаты команд (JSON):\n```json\n{results}\n```"
        )
    }

    #[test]
    fn results_are_told_with_what_comes_next_and_a_greeting_only_at_the_start() {
        let booked = input(
            "Запишите на стрижку",
            r#"[{"command":"CREATE_BOOKING","ok":true,"summary":"Записала вас на 25.12 в 15:00. Номер записи 123."}]"#,
        );
        assert_eq!(
            reply(&booked, &[], "Роза"),
            "Записала вас на 25.12 в 15:00. Ждём вас!"
        );
        let hello = input("Добрый день!", "[]");
        assert!(reply(&hello, &[], "Роза").starts_with("Здравствуйте"));
        let later = [("model".to_owned(), "Цены: …".to_owned())];
        assert!(!reply(&hello, &later, "Роза").contains("Здравствуйте"));
    }

    #[test]
    fn small_talk_is_answered_and_unknown_facts_go_to_a_person() {
        let voice = input("[голосовое сообщение]", "[]");
        assert!(reply(&voice, &[], "Роза").contains("текстом"));
        let thanks = input("спасибо!", "[]");
        assert!(reply(&thanks, &[], "Роза").starts_with("Пожалуйста"));
        let address = input("где вы находитесь?", "[]");
        assert!(reply(&address, &[], "Роза").contains("администратор"));
        let facts = format!(
            "{}\n\nСведения о салоне (сегодня 01.12.2026, вторник):\nАдрес: Москва, ул. Профсоюзная, 12\nТелефон: +74951234567\nПочта: неизвестно\nЧасы работы: 01.12 (вторник) с 09:00 до 21:00; 02.12 (среда) с 10:00 до 20:00\nЗаписи клиента: № 7 — «Педикюр» 02.12 (среда) в 15:00, мастер Мария\nУслуги, о которых идёт речь:\n- Окрашивание волос — от 4500 до 7000 ₽, 120 мин (2 часа)",
            input("где вы?", "[]")
        );
        let answer = |question: &str| reply(&facts.replace("где вы?", question), &[], "Роза");
        assert!(answer("где вы?").contains("Профсоюзная"));
        assert!(answer("до скольки вы завтра работаете?").contains("до 20:00"));
        assert!(answer("покажите мои записи").contains("15:00"));
        assert!(answer("сколько длится окрашивание?").contains("2 часа"));
        let after = [(
            "model".to_owned(),
            "Записала вас на 25.12 в 15:00.".to_owned(),
        )];
        assert_eq!(
            reply(&input("Да", "[]"), &after, "Роза"),
            "Отлично, ждём вас!"
        );
    }

    #[test]
    fn it_speaks_as_the_instruction_says_and_tells_the_owners_facts() {
        let facts = format!(
            "{}\n\nСведения о салоне (сегодня 01.12.2026, вторник):\nАдрес: Москва, ул. Профсоюзная, 12\nЧасы работы: неизвестно\nЕщё о салоне (со слов владельца):\n- Парковка во дворе, бесплатно\n- Вход со двора, домофон 12\n- Оплата картой или наличными\nКлиент: новый\nЗаписи клиента: нет\nУслуги, о которых идёт речь:\n",
            input("QUESTION", "[]")
        );
        let v2 = "Ты — администратор салона красоты «Роза». на «вы»";
        let answer = |question: &str| reply_as(&facts.replace("QUESTION", question), &[], v2);
        assert_eq!(answer("а парковка есть?"), "Парковка во дворе, бесплатно.");
        assert!(answer("как вас найти?").contains("домофон 12"));
        assert!(answer("где вы?").contains("Профсоюзная") && answer("где вы?").contains("домофон"));
        assert!(answer("картой можно?").contains("картой"));
        let booked = input(
            "привет, запиши на стрижку",
            r#"[{"command":"CREATE_BOOKING","ok":true,"summary":"Записала вас на 25.12 в 15:00."}]"#,
        );
        let ty = "Салон «Роза». на «ты» (тепло). Можно одно уместное эмодзи. Не здоровайся: …";
        assert_eq!(
            reply_as(&booked, &[], ty),
            "Записала тебя на 25.12 в 15:00. Ждём тебя! 😊"
        );
        assert!(reply_as(&booked, &[], v2).starts_with("Здравствуйте! Записала вас"));
    }
}
