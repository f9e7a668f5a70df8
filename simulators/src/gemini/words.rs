//! How salon clients write, read by the demo brain: typos folded, days («завтра»,
//! «в пятницу», «25.12»), times («в 3», «пол пятого», «на 5 вечера», «15-30»), and the
//! salon's services and masters found in a message by the words of their names (the
//! product resolves them; the brain only copies what the client said).

/// A message in lower case with `ё` as `е` and common misspellings folded.
pub fn normalised(text: &str) -> String {
    let mut lower = text.to_lowercase().replace('ё', "е");
    for (typo, word) in TYPOS {
        lower = replace_word(&lower, typo, word);
    }
    lower
}

const TYPOS: [(&str, &str); 12] = [
    ("завтро", "завтра"),
    ("зафтра", "завтра"),
    ("завра", "завтра"),
    ("послезавтро", "послезавтра"),
    ("седня", "сегодня"),
    ("сегодні", "сегодня"),
    ("маникур", "маникюр"),
    ("маникюрчик", "маникюр"),
    ("педикур", "педикюр"),
    ("стрижечку", "стрижку"),
    ("здраствуйте", "здравствуйте"),
    ("скока", "сколько"),
];

fn replace_word(text: &str, from: &str, to: &str) -> String {
    if !words(text).contains(&from) {
        return text.to_owned();
    }
    text.split(' ')
        .map(|part| {
            let trimmed = part.trim_matches(|c: char| !c.is_alphanumeric());
            if trimmed == from {
                part.replace(from, to)
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a text (letters, digits, `:`, `.`, `-` inside).
pub fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '.' || c == '-'))
        .map(|w| w.trim_matches(['.', '-', ':']))
        .filter(|w| !w.is_empty())
        .collect()
}

const DATE_WORDS: [&str; 3] = ["сегодня", "послезавтра", "завтра"];
const WEEKDAYS: [(&str, &str); 7] = [
    ("понедельник", "в понедельник"),
    ("вторник", "во вторник"),
    ("сред", "в среду"),
    ("четверг", "в четверг"),
    ("пятниц", "в пятницу"),
    ("суббот", "в субботу"),
    ("воскресень", "в воскресенье"),
];
const MONTHS: [&str; 12] = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "мая",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
];

/// The day the client names, as they name it.
pub fn date(lower: &str) -> Option<String> {
    let tokens = words(lower);
    for word in DATE_WORDS {
        if tokens.contains(&word) {
            return Some(word.to_owned());
        }
    }
    if tokens.contains(&"выходных") || tokens.contains(&"выходные") {
        return Some("в субботу".to_owned());
    }
    for (stem, phrase) in WEEKDAYS {
        if tokens.iter().any(|w| w.starts_with(stem)) {
            return Some(phrase.to_owned());
        }
    }
    // «25 декабря»
    if let Some(pair) = tokens.windows(2).find(|pair| {
        pair[0].parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
            && MONTHS.iter().any(|m| pair[1].starts_with(m))
    }) {
        return Some(format!("{} {}", pair[0], pair[1]));
    }
    // 25.12 or 25.12.2026
    tokens.into_iter().find_map(|w| {
        let parts: Vec<&str> = w.split('.').collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        (numeric && (2..=3).contains(&parts.len())).then(|| w.to_owned())
    })
}

const HOUR_WORDS: [(&str, u32); 12] = [
    ("час", 1),
    ("два", 2),
    ("три", 3),
    ("четыре", 4),
    ("пять", 5),
    ("шесть", 6),
    ("семь", 7),
    ("восемь", 8),
    ("девять", 9),
    ("десять", 10),
    ("одиннадцать", 11),
    ("двенадцать", 12),
];
/// «пол пятого» = half past four: the hour before the ordinal.
const ORDINALS: [(&str, u32); 12] = [
    ("первого", 12),
    ("второго", 1),
    ("третьего", 2),
    ("четвертого", 3),
    ("пятого", 4),
    ("шестого", 5),
    ("седьмого", 6),
    ("восьмого", 7),
    ("девятого", 8),
    ("десятого", 9),
    ("одиннадцатого", 10),
    ("двенадцатого", 11),
];

/// An hour as meant in a salon: 1–7 without «утра» is afternoon; «вечера», «дня» too.
fn meant(hour: u32, lower: &str) -> u32 {
    let morning = lower.contains("утра") || lower.contains("утром");
    let afternoon = lower.contains("вечера") || lower.contains("дня") || lower.contains("вечером");
    if hour < 12 && (afternoon || (hour <= 7 && !morning)) {
        hour + 12
    } else {
        hour
    }
}

/// The time the client names, as `HH:MM`.
pub fn time(lower: &str) -> Option<String> {
    let tokens = words(lower);
    // 15:00, 9:30, 15.30, 15-30
    if let Some(t) = tokens.iter().find_map(|w| {
        let (h, m) = w.split_once([':', '.', '-'])?;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        // «10.12» is a date; «15.30» can only be a time.
        let time_like = !w.contains('.') || m > 12;
        (h < 24 && m < 60 && time_like).then(|| format!("{h:02}:{m:02}"))
    }) {
        return Some(t);
    }
    // «пол пятого», «полпятого», «половина пятого»
    for (i, word) in tokens.iter().enumerate() {
        let ordinal = if let Some(rest) = word.strip_prefix("пол").filter(|r| r.len() > 4) {
            Some(rest)
        } else if *word == "пол" || *word == "половина" || *word == "половине" {
            tokens.get(i + 1).copied()
        } else {
            None
        };
        if let Some((_, hour)) = ordinal.and_then(|o| ORDINALS.iter().find(|(name, _)| *name == o))
        {
            return Some(format!("{:02}:30", meant(*hour, lower)));
        }
    }
    // «в 15», «в 3 часа дня», «на 5 вечера», «к 12», «часов в 6», «в пять», «9 утра»;
    // not «не в 15» nor «в 11 не смогу».
    let negated = |at: usize| {
        (at > 0 && tokens[at - 1] == "не")
            || (at > 1 && tokens[at - 2] == "не")
            || tokens.get(at + 2).is_some_and(|w| *w == "не")
            || tokens
                .get(at + 3)
                .is_some_and(|w| *w == "не" && tokens[at + 2].starts_with("час"))
    };
    let hour_of = |word: &str| {
        word.parse::<u32>().ok().or_else(|| {
            HOUR_WORDS
                .iter()
                .find(|(name, _)| *name == word)
                .map(|(_, h)| *h)
        })
    };
    let found = tokens.windows(2).enumerate().find_map(|(at, pair)| {
        let hour = if ["в", "на", "к", "около", "часов", "часа"].contains(&pair[0])
        {
            hour_of(pair[1])?
        } else if ["утра", "вечера", "дня", "часов", "часа"].contains(&pair[1])
        {
            pair[0].parse::<u32>().ok()?
        } else {
            return None;
        };
        if negated(at) {
            return None;
        }
        let hour = meant(hour, lower);
        (8..=22).contains(&hour).then(|| format!("{hour:02}:00"))
    });
    found.or_else(|| {
        // A bare hour as the whole message: «15», «в 3?».
        match tokens.as_slice() {
            [only] => only
                .parse::<u32>()
                .ok()
                .map(|h| meant(h, lower))
                .filter(|h| (8..=22).contains(h))
                .map(|h| format!("{h:02}:00")),
            _ => None,
        }
    })
}

/// «утром», «днём», «вечером», «после 18».
pub fn time_preference(lower: &str) -> Option<String> {
    if let Some(found) = [
        "утром",
        "днем",
        "вечером",
        "после обеда",
        "с утра",
        "пораньше",
        "попозже",
    ]
    .into_iter()
    .find(|w| lower.contains(w))
    {
        return Some(found.to_owned());
    }
    let tokens = words(lower);
    tokens.windows(2).find_map(|pair| {
        (pair[0] == "после").then(|| {
            let hour = pair[1].parse::<u32>().ok()?;
            Some(format!("после {}", meant(hour, lower)))
        })?
    })
}

/// A word's rough stem for comparing names: its first letters.
fn root(word: &str) -> String {
    let letters: Vec<char> = word.chars().collect();
    let keep = match letters.len() {
        0..=4 => letters.len().saturating_sub(1).max(3),
        5..=6 => 4,
        _ => 5,
    };
    letters.into_iter().take(keep).collect()
}

/// Client words for services that name them by other words.
const SERVICE_WORDS: [&str; 16] = [
    "подстри",
    "постри",
    "покрас",
    "маник",
    "ноготоч",
    "ногт",
    "шеллак",
    "шелак",
    "педик",
    "оформ",
    "нараст",
    "почист",
    "уложить",
    "стрич",
    "гель",
    "лак",
];
/// Words that qualify a service («с покрытием», «мужскую», «для сына»).
const QUALIFIERS: [&str; 13] = [
    "с",
    "без",
    "и",
    "для",
    "мужск",
    "женск",
    "детск",
    "сын",
    "сына",
    "дочк",
    "ребен",
    "малыш",
    "покрыт",
];

/// Words saying the service is for a child.
const CHILD_WORDS: [&str; 9] = [
    "сын",
    "дочк",
    "дочь",
    "доче",
    "ребен",
    "малыш",
    "детям",
    "детей",
    "мальчик",
];

/// The words of the message that name a service of `titles`, as the client wrote them;
/// «для ребенка» added when a child is mentioned apart from them («сына надо подстричь»).
pub fn service(lower: &str, titles: &[String]) -> Option<String> {
    let phrase = if titles.is_empty() {
        after_na(lower)?
    } else {
        service_words(lower, titles)?
    };
    let child = |text: &str| {
        words(text)
            .iter()
            .any(|w| CHILD_WORDS.iter().any(|c| w.starts_with(c)))
    };
    if child(lower) && !child(&phrase) && !phrase.contains("детск") {
        return Some(format!("{phrase} для ребенка"));
    }
    Some(phrase)
}

/// Without the salon's list: the words after «на» up to a day, a time or a master
/// («на стрижку», «на маникюр с покрытием»).
fn after_na(lower: &str) -> Option<String> {
    let tokens = words(lower);
    let stop = |w: &str| {
        DATE_WORDS.contains(&w)
            || ["в", "во", "к", "у", "на", "и", "а", "пожалуйста", "можно"].contains(&w)
            || w.chars().next().is_some_and(|c| c.is_ascii_digit())
            || WEEKDAYS.iter().any(|(stem, _)| w.starts_with(stem))
    };
    let start = tokens.iter().position(|w| *w == "на")? + 1;
    let phrase: Vec<&str> = tokens[start..]
        .iter()
        .take_while(|w| !stop(w))
        .take(3)
        .copied()
        .collect();
    (!phrase.is_empty()).then(|| phrase.join(" "))
}

fn service_words(lower: &str, titles: &[String]) -> Option<String> {
    let roots: Vec<String> = titles
        .iter()
        .flat_map(|t| {
            words(&t.to_lowercase())
                .into_iter()
                .map(root)
                .collect::<Vec<_>>()
        })
        .filter(|r| r.chars().count() >= 4)
        .collect();
    let title_words: Vec<String> = titles
        .iter()
        .flat_map(|t| {
            words(&t.to_lowercase())
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let tokens = words(lower);
    let names_service = |w: &str| {
        w.chars().count() >= 4
            && (roots.contains(&root(w))
                || SERVICE_WORDS.iter().any(|s| w.starts_with(s))
                || title_words.iter().any(|t| misspelt(w, t)))
    };
    let first = tokens.iter().position(|w| names_service(w))?;
    let last = tokens.iter().rposition(|w| names_service(w))?;
    // The span of service words, with qualifiers around and between them.
    let qualifies = |w: &str| {
        if w.chars().count() <= 3 {
            QUALIFIERS.contains(&w)
        } else {
            QUALIFIERS
                .iter()
                .any(|q| q.chars().count() > 3 && w.starts_with(q))
        }
    };
    let mut start = first;
    while start > 0 && qualifies(tokens[start - 1]) && tokens[start - 1] != "и" {
        start -= 1;
    }
    let mut end = last;
    while end + 1 < tokens.len() && qualifies(tokens[end + 1]) {
        end += 1;
    }
    let phrase: Vec<&str> = tokens[start..=end]
        .iter()
        .copied()
        .filter(|w| !DATE_WORDS.contains(w) && w.parse::<u32>().is_err())
        .collect();
    // A trailing «с»/«и»/«для» qualifies nothing.
    let phrase: Vec<&str> = phrase
        .into_iter()
        .rev()
        .skip_while(|w| ["с", "и", "для", "без"].contains(w))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!phrase.is_empty()).then(|| phrase.join(" "))
}

/// Whether `word` is `title_word` with one letter wrong, missing or extra («педекюр»), as
/// a model reads a typo; long words only, first letter kept.
fn misspelt(word: &str, title_word: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (word.chars().collect(), title_word.chars().collect());
    if a.len().min(b.len()) < 6 || a.first() != b.first() || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // One edit: skip the first difference on the longer side (or on both) and compare.
    let Some(at) = a.iter().zip(&b).position(|(x, y)| x != y) else {
        return true;
    };
    let rest = |x: &[char], y: &[char]| x == y;
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Equal => rest(&a[at + 1..], &b[at + 1..]),
        std::cmp::Ordering::Greater => rest(&a[at + 1..], &b[at..]),
        std::cmp::Ordering::Less => rest(&a[at..], &b[at + 1..]),
    }
}

/// Short forms of first names and the full name's start.
const SHORT_NAMES: [(&str, &str); 8] = [
    ("дим", "дмит"),
    ("маш", "мари"),
    ("ань", "анн"),
    ("аня", "анн"),
    ("оль", "ольг"),
    ("оля", "ольг"),
    ("лен", "елен"),
    ("наташ", "натал"),
];

/// The words naming one of `masters` («к Анне», «у Маши», «Ольга»), as written.
pub fn staff(lower: &str, masters: &[String]) -> Option<String> {
    let names: Vec<String> = masters
        .iter()
        .flat_map(|m| {
            words(&m.to_lowercase())
                .into_iter()
                .map(root)
                .collect::<Vec<_>>()
        })
        .collect();
    let tokens = words(lower);
    let is_name = |w: &str| {
        let r = root(w);
        w.chars().count() >= 3
            && (names.contains(&r)
                || SHORT_NAMES.iter().any(|(short, full)| {
                    w.starts_with(short) && names.iter().any(|n| n.starts_with(full))
                }))
    };
    let at = tokens.iter().position(|w| is_name(w))?;
    let mut phrase = Vec::new();
    if at > 0 && ["к", "у", "мастер", "мастеру", "мастера", "с"].contains(&tokens[at - 1])
    {
        phrase.push(tokens[at - 1]);
    }
    phrase.push(tokens[at]);
    if tokens.get(at + 1).is_some_and(|w| is_name(w)) {
        phrase.push(tokens[at + 1]);
    }
    Some(phrase.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_clients_write_them() {
        for (said, meant) in [
            ("в 15:00", "15:00"),
            ("в 3", "15:00"),
            ("давайте в 3 часа дня", "15:00"),
            ("пол пятого", "16:30"),
            ("полпятого можно?", "16:30"),
            ("9 утра ок", "09:00"),
            ("не в 10, а в 11", "11:00"),
            ("на 5 вечера", "17:00"),
            ("в 10 утра", "10:00"),
            ("в 16-30", "16:30"),
            ("в пять", "17:00"),
            ("15", "15:00"),
        ] {
            assert_eq!(time(&normalised(said)).as_deref(), Some(meant), "{said}");
        }
        assert_eq!(time("завтра"), None);
        assert_eq!(time("на 25.12"), None);
        assert_eq!(time("только не в 15, попозже"), None);
        assert_eq!(time("в 11 не смогу"), None);
    }

    #[test]
    fn days_services_and_masters_are_found_in_the_clients_words() {
        assert_eq!(
            date(&normalised("на завтро можно?")).as_deref(),
            Some("завтра")
        );
        assert_eq!(date("25 декабря").as_deref(), Some("25 декабря"));
        assert_eq!(date("в пятницу вечером").as_deref(), Some("в пятницу"));
        let titles = vec![
            "Маникюр с покрытием гель-лак".to_owned(),
            "Стрижка женская".to_owned(),
            "Стрижка детская".to_owned(),
        ];
        assert_eq!(
            service("хочу на маникюр с покрытием завтра", &titles).as_deref(),
            Some("маникюр с покрытием")
        );
        assert_eq!(
            service("скок стоит стрижка?", &titles).as_deref(),
            Some("стрижка")
        );
        assert_eq!(
            service("сына подстричь", &titles).as_deref(),
            Some("сына подстричь")
        );
        assert_eq!(service("здравствуйте", &titles), None);
        let masters = vec!["Анна Петрова".to_owned(), "Дмитрий Волков".to_owned()];
        assert_eq!(staff("можно к анне?", &masters).as_deref(), Some("к анне"));
        assert_eq!(
            staff("к диме на стрижку", &masters).as_deref(),
            Some("к диме")
        );
        assert_eq!(staff("на стрижку", &masters), None);
    }
}
