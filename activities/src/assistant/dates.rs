//! Days and times as clients write them — «сегодня», «завтра», «послезавтра», «в
//! пятницу», «25.12», «25 декабря», «15:00», «в 3 часа дня» — resolved against today in
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
    if let Some((_, weekday)) = WEEKDAYS
        .iter()
        .find(|(stem, _)| words.iter().any(|w| w.starts_with(stem)))
    {
        let ahead =
            (weekday.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
        return today.checked_add_days(chrono::Days::new(u64::from(ahead)));
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
    words.windows(2).find_map(|pair| {
        let day: u32 = pair[0].parse().ok()?;
        let month = MONTHS
            .iter()
            // «март» is listed before «ма(й)», so «марта» finds March first.
            .position(|stem| pair[1].starts_with(stem))?;
        next_date(today, month as u32 + 1, day)
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

/// The time `phrase` names: «15:00», «15.30», «в 15», «в 3 часа дня», «в 7 вечера».
/// Hours 1–7 without «утра» are afternoon, as people mean them for salon visits.
pub fn resolve_time(phrase: &str) -> Option<NaiveTime> {
    let lower = phrase.to_lowercase();
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
    let hour: u32 = words.iter().find_map(|w| w.parse().ok())?;
    let morning = lower.contains("утра");
    let afternoon = lower.contains("дня") || lower.contains("вечера");
    let hour = match hour {
        1..=7 if !morning => hour + 12,
        8..=11 if afternoon => hour + 12,
        _ => hour,
    };
    NaiveTime::from_hms_opt(hour, 0, 0)
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
    }
}
