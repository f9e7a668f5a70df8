//! Days and times as clients write them — «сегодня», «завтра», «послезавтра», «в
//! пятницу», «в следующий вторник», «через неделю», «на выходных», «12-го», «25.12»,
//! «25 декабря», «15:00», «в 3 часа дня», «пол пятого», «без четверти пять», «в
//! полдень» — resolved against today in
//! the salon's time zone (not the server's: a Vladivostok salon's «завтра» starts seven
//! hours before Moscow's).

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("понедельник", Weekday::Mon),
    ("вторник", Weekday::Tue),
    ("сред", Weekday::Wed),
    ("четверг", Weekday::Thu),
    ("пятниц", Weekday::Fri),
    ("суббот", Weekday::Sat),
    ("воскресень", Weekday::Sun),
];

const MONTHS: [&str; 12] = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
];

/// The Russian name of a weekday, for replies («в пятницу, 25.12»).
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "понедельник",
        Weekday::Tue => "вторник",
        Weekday::Wed => "среда",
        Weekday::Thu => "четверг",
        Weekday::Fri => "пятница",
        Weekday::Sat => "суббота",
        Weekday::Sun => "воскресенье",
    }
}

/// «25.12 (пятница)».
pub fn day_text(day: NaiveDate) -> String {
    format!(
        "{:02}.{:02} ({})",
        day.day(),
        day.month(),
        weekday_name(day.weekday())
    )
}

/// The day `phrase` names, seen from `today` (the salon's local date). A weekday means
/// its next occurrence, today included; a day and month without a year means the next
/// such date, today included.
pub fn resolve_date(phrase: &str, today: NaiveDate) -> Option<NaiveDate> {
    let lower = phrase.to_lowercase().replace('ё', "е");
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '/'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&"послезавтра") {
        return today.succ_opt()?.succ_opt();
    }
    if words.contains(&"завтра") {
        return today.succ_opt();
    }
    if words.contains(&"сегодня") {
        return Some(today);
    }
    let next_week = words.iter().any(|w| w.starts_with("следующ"));
    if let Some((_, weekday)) = WEEKDAYS
        .iter()
        .find(|(stem, _)| words.iter().any(|w| w.starts_with(stem)))
    {
        return if next_week {
            // «В следующий вторник»: the Tuesday of next week.
            monday_after(today)?.checked_add_days(days(weekday.num_days_from_monday()))
        } else {
            next_weekday(today, *weekday)
        };
    }
    if let Some(day) = relative_day(&lower, &words, today, next_week) {
        return Some(day);
    }
    // 25.12, 25.12.2026, 25/12
    for word in &words {
        let parts: Vec<&str> = word.split(['.', '/']).filter(|p| !p.is_empty()).collect();
        if (2..=3).contains(&parts.len())
            && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        {
            let day = parts[0].parse().ok()?;
            let month = parts[1].parse().ok()?;
            return match parts.get(2) {
                Some(year) => {
                    let year: i32 = year.parse().ok()?;
                    NaiveDate::from_ymd_opt(if year < 100 { 2000 + year } else { year }, month, day)
                }
                None => next_date(today, month, day),
            };
        }
    }
    // 25 декабря
    let dated = words.windows(2).find_map(|pair| {
        let day: u32 = pair[0].parse().ok()?;
        let month = MONTHS
            .iter()
            // «март» is listed before «ма(й)», so «марта» finds March first.
            .position(|stem| pair[1].starts_with(stem))?;
        next_date(today, month as u32 + 1, day)
    });
    dated.or_else(|| day_of_month(&words, today))
}

fn days(n: u32) -> chrono::Days {
    chrono::Days::new(u64::from(n))
}

/// The next `weekday`, today included.
fn next_weekday(today: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let ahead = (weekday.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
    today.checked_add_days(days(ahead))
}

/// The Monday of next week.
fn monday_after(today: NaiveDate) -> Option<NaiveDate> {
    today.checked_add_days(days(7 - today.weekday().num_days_from_monday()))
}

/// Numbers written as words, as clients count days and hours.
const NUMBER_WORDS: [(&str, u32); 13] = [
    ("один", 1),
    ("два", 2),
    ("две", 2),
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

fn number_word(word: &str) -> Option<u32> {
    word.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, n)| *n)
    })
}

/// «Через неделю», «через 3 дня», «через день», «на выходных», «на этой / следующей
/// неделе», «в начале / в конце недели»: a range is read as its first day (the search
/// for free time goes on from there to the nearest day that has some).
fn relative_day(
    lower: &str,
    words: &[&str],
    today: NaiveDate,
    next_week: bool,
) -> Option<NaiveDate> {
    if let Some(at) = words.iter().position(|w| *w == "через") {
        let (count, unit) = match (words.get(at + 1), words.get(at + 2)) {
            (Some(n), Some(unit)) if number_word(n).is_some() => (number_word(n)?, *unit),
            (Some(unit), _) => (1, *unit),
            _ => return None,
        };
        return if unit.starts_with("недел") {
            today.checked_add_days(days(7 * count))
        } else if unit.starts_with("дн") || unit.starts_with("день") {
            // «Через день» is the day after tomorrow.
            today.checked_add_days(days(if count == 1 { 2 } else { count }))
        } else {
            None
        };
    }
    if lower.contains("выходн") {
        let saturday = next_weekday(today, Weekday::Sat)?;
        return if next_week {
            monday_after(today)?.checked_add_days(days(5))
        } else if today.weekday() == Weekday::Sun {
            Some(today)
        } else {
            Some(saturday)
        };
    }
    if lower.contains("начале недел") || lower.contains("начале следующей недел")
    {
        return if next_week || today.weekday().num_days_from_monday() > 1 {
            monday_after(today)
        } else {
            Some(today)
        };
    }
    if lower.contains("конце недел") {
        let friday = next_weekday(today, Weekday::Fri)?;
        return if next_week {
            monday_after(today)?.checked_add_days(days(4))
        } else if today.weekday().num_days_from_monday() > 4 {
            Some(today)
        } else {
            Some(friday)
        };
    }
    if words.iter().any(|w| w.starts_with("недел")) {
        return if next_week {
            monday_after(today)
        } else {
            Some(today)
        };
    }
    None
}

/// «12-го», «12 числа»: the next such day of a month, today included.
fn day_of_month(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    let day: u32 = words
        .windows(2)
        .find_map(|pair| {
            (pair[1] == "го" || pair[1].starts_with("числ"))
                .then(|| pair[0].parse().ok())
                .flatten()
        })
        .or_else(|| {
            words
                .iter()
                .find_map(|w| w.strip_suffix("го")?.parse().ok())
        })?;
    (0..13).find_map(|ahead| {
        let month0 = today.month0() + ahead;
        let year = today.year() + i32::try_from(month0 / 12).ok()?;
        let date = NaiveDate::from_ymd_opt(year, month0 % 12 + 1, day)?;
        (date >= today).then_some(date)
    })
}

fn next_date(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if this_year >= today {
        Some(this_year)
    } else {
        NaiveDate::from_ymd_opt(today.year() + 1, month, day)
    }
}

/// The time `phrase` names: «15:00», «15.30», «в 15», «в 3 часа дня», «в 7 вечера», «в
/// три», «в полдень», «пол пятого», «четверть пятого», «без четверти пять». Hours 1–7
/// without «утра» are afternoon, as people mean them for salon visits.
pub fn resolve_time(phrase: &str) -> Option<NaiveTime> {
    let lower = phrase.to_lowercase().replace('ё', "е");
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '.'))
        .filter(|w| !w.is_empty())
        .collect();
    for word in &words {
        if let Some((h, m)) = word.split_once([':', '.'])
            && let (Ok(h), Ok(m)) = (h.parse::<u32>(), m.parse::<u32>())
        {
            return NaiveTime::from_hms_opt(h, m, 0);
        }
    }
    if words
        .iter()
        .any(|w| w.starts_with("полдень") || *w == "полудня")
    {
        return NaiveTime::from_hms_opt(12, 0, 0);
    }
    let (hour, minute) = match spoken(&words) {
        Some(said) => said,
        None => (
            words
                .iter()
                .find_map(|w| number_word(w))
                .or_else(|| words.contains(&"час").then_some(1))?,
            0,
        ),
    };
    let morning = lower.contains("утра");
    let afternoon = lower.contains("дня") || lower.contains("вечера");
    let hour = match hour {
        0 => 12,
        1..=7 if !morning => hour + 12,
        8..=11 if afternoon => hour + 12,
        _ => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// Hours in the genitive, as in «пол пятого» (half past four).
const ORDINALS: [(&str, u32); 12] = [
    ("первого", 1),
    ("второго", 2),
    ("третьего", 3),
    ("четвертого", 4),
    ("пятого", 5),
    ("шестого", 6),
    ("седьмого", 7),
    ("восьмого", 8),
    ("девятого", 9),
    ("десятого", 10),
    ("одиннадцатого", 11),
    ("двенадцатого", 12),
];

/// Minutes in the genitive, as in «без четверти пять».
const MINUTES_BEFORE: [(&str, u32); 5] = [
    ("четверти", 15),
    ("пятнадцати", 15),
    ("десяти", 10),
    ("пяти", 5),
    ("двадцати", 20),
];

fn ordinal(word: &str) -> Option<u32> {
    ORDINALS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, n)| *n)
        .or_else(|| word.parse().ok())
}

/// The hour and minute of a time said the old way: «пол пятого» / «полпятого» /
/// «половина пятого» (4:30), «четверть пятого» (4:15), «без четверти пять» (4:45).
fn spoken(words: &[&str]) -> Option<(u32, u32)> {
    for (at, word) in words.iter().enumerate() {
        let next = words.get(at + 1).copied();
        let half_of = match *word {
            "пол" | "половина" | "половину" => next.and_then(ordinal),
            _ => word.strip_prefix("пол").and_then(|rest| {
                ORDINALS
                    .iter()
                    .find(|(name, _)| *name == rest)
                    .map(|(_, n)| *n)
            }),
        };
        if let Some(of) = half_of {
            return Some((of - 1, 30));
        }
        if *word == "четверть"
            && let Some(of) = next.and_then(ordinal)
        {
            return Some((of - 1, 15));
        }
        if *word == "без"
            && let Some((_, before)) =
                next.and_then(|m| MINUTES_BEFORE.iter().find(|(w, _)| *w == m))
            && let Some(hour) = words
                .get(at + 2)
                .and_then(|h| number_word(h).or((*h == "час").then_some(1)))
        {
            return Some((hour - 1, 60 - before));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn relative_days_resolve_from_the_salons_today() {
        let thursday = d(2026, 12, 24);
        assert_eq!(resolve_date("сегодня", thursday), Some(thursday));
        assert_eq!(resolve_date("завтра", thursday), Some(d(2026, 12, 25)));
        assert_eq!(resolve_date("послезавтра", thursday), Some(d(2026, 12, 26)));
        assert_eq!(resolve_date("в пятницу", thursday), Some(d(2026, 12, 25)));
        assert_eq!(resolve_date("во вторник", thursday), Some(d(2026, 12, 29)));
        assert_eq!(resolve_date("в четверг", thursday), Some(thursday));
        assert_eq!(resolve_date("25.12", thursday), Some(d(2026, 12, 25)));
        assert_eq!(resolve_date("10.01", thursday), Some(d(2027, 1, 10)));
        assert_eq!(resolve_date("3 января", thursday), Some(d(2027, 1, 3)));
        assert_eq!(resolve_date("31 декабря", thursday), Some(d(2026, 12, 31)));
        assert_eq!(resolve_date("5 мая", thursday), Some(d(2027, 5, 5)));
        assert_eq!(resolve_date("5 марта", thursday), Some(d(2027, 3, 5)));
        assert_eq!(resolve_date("когда-нибудь", thursday), None);
        assert_eq!(resolve_date("31.02", thursday), None);
    }

    #[test]
    fn times_resolve_as_people_mean_them() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(resolve_time("15:00"), t(15, 0));
        assert_eq!(resolve_time("9.30"), t(9, 30));
        assert_eq!(resolve_time("в 15"), t(15, 0));
        assert_eq!(resolve_time("в 3 часа дня"), t(15, 0));
        assert_eq!(resolve_time("в 7 вечера"), t(19, 0));
        assert_eq!(resolve_time("в 10 утра"), t(10, 0));
        assert_eq!(resolve_time("в 5"), t(17, 0));
        assert_eq!(resolve_time("25:00"), None);
        assert_eq!(resolve_time("вечером"), None);
        assert_eq!(resolve_time("в три"), t(15, 0));
        assert_eq!(resolve_time("в час дня"), t(13, 0));
        assert_eq!(resolve_time("в одиннадцать"), t(11, 0));
        assert_eq!(resolve_time("в полдень"), t(12, 0));
        assert_eq!(resolve_time("пол пятого"), t(16, 30));
        assert_eq!(resolve_time("полпятого"), t(16, 30));
        assert_eq!(resolve_time("половина десятого утра"), t(9, 30));
        assert_eq!(resolve_time("пол первого"), t(12, 30));
        assert_eq!(resolve_time("четверть шестого"), t(17, 15));
        assert_eq!(resolve_time("без четверти пять"), t(16, 45));
        assert_eq!(resolve_time("без пятнадцати девять"), t(8, 45));
        assert_eq!(resolve_time("без десяти час"), t(12, 50));
        assert_eq!(resolve_time("в 10 утра"), t(10, 0));
    }

    #[test]
    fn ranges_and_counted_days_resolve_to_their_first_day() {
        let thursday = d(2026, 12, 24);
        let monday = d(2026, 12, 21);
        assert_eq!(
            resolve_date("в эту субботу", thursday),
            Some(d(2026, 12, 26))
        );
        assert_eq!(
            resolve_date("в следующий вторник", thursday),
            Some(d(2026, 12, 29))
        );
        assert_eq!(
            resolve_date("в следующий вторник", monday),
            Some(d(2026, 12, 29))
        );
        assert_eq!(resolve_date("во вторник", monday), Some(d(2026, 12, 22)));
        assert_eq!(
            resolve_date("через неделю", thursday),
            Some(d(2026, 12, 31))
        );
        assert_eq!(
            resolve_date("через две недели", thursday),
            Some(d(2027, 1, 7))
        );
        assert_eq!(resolve_date("через 3 дня", thursday), Some(d(2026, 12, 27)));
        assert_eq!(resolve_date("через день", thursday), Some(d(2026, 12, 26)));
        assert_eq!(resolve_date("на выходных", thursday), Some(d(2026, 12, 26)));
        assert_eq!(
            resolve_date("в выходные", d(2026, 12, 27)),
            Some(d(2026, 12, 27))
        );
        assert_eq!(
            resolve_date("на следующих выходных", thursday),
            Some(d(2027, 1, 2))
        );
        assert_eq!(resolve_date("на этой неделе", thursday), Some(thursday));
        assert_eq!(
            resolve_date("на следующей неделе", thursday),
            Some(d(2026, 12, 28))
        );
        assert_eq!(
            resolve_date("в начале недели", thursday),
            Some(d(2026, 12, 28))
        );
        assert_eq!(resolve_date("в начале недели", monday), Some(monday));
        assert_eq!(
            resolve_date("в конце недели", monday),
            Some(d(2026, 12, 25))
        );
        assert_eq!(resolve_date("12-го", thursday), Some(d(2027, 1, 12)));
        assert_eq!(resolve_date("28 числа", thursday), Some(d(2026, 12, 28)));
        assert_eq!(resolve_date("12/01", thursday), Some(d(2027, 1, 12)));
        assert_eq!(resolve_date("31-го", d(2027, 2, 1)), Some(d(2027, 3, 31)));
    }
}
