//! Matching what a client wrote («на стрижку», «к Анне», «маникюр с покрытием») against
//! the salon's synced services and masters. Russian inflects names and nouns, so both
//! sides are reduced to rough stems (endings cut) and compared word by word; the best
//! candidate wins when it is clearly best, otherwise the caller gets the close ones to
//! ask the client about.

/// Words that carry no meaning for matching («к Анне», «мастер Ольга», «на стрижку»).
const NOISE: [&str; 14] = [
    "к",
    "ко",
    "у",
    "на",
    "в",
    "во",
    "с",
    "со",
    "и",
    "мастер",
    "мастеру",
    "мастера",
    "услуга",
    "услугу",
];

/// Endings cut from a word, longest first.
const ENDINGS: [&str; 34] = [
    "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ией", "ьей", "ой", "ей", "ий", "ый",
    "ая", "яя", "ое", "ее", "ую", "юю", "ые", "ие", "ых", "их", "ом", "ем", "ам", "ям", "ах", "ях",
    "а", "я", "у", "ю",
];
/// Single vowels cut after the list above (`ы`, `и`, `е`, `о`, `ь`).
const SHORT_ENDINGS: [char; 5] = ['ы', 'и', 'е', 'о', 'ь'];

/// A word reduced to its rough stem: lower case, `ё` → `е`, ending cut (never below
/// three letters, so short names stay recognisable).
pub fn stem(word: &str) -> String {
    let word: String = word.to_lowercase().replace('ё', "е");
    let letters = word.chars().count();
    for ending in ENDINGS {
        if let Some(base) = word.strip_suffix(ending)
            && base.chars().count() >= 3
        {
            return base.to_owned();
        }
    }
    match word.chars().last() {
        Some(last) if SHORT_ENDINGS.contains(&last) && letters > 3 => {
            word.chars().take(letters - 1).collect()
        }
        _ => word,
    }
}

/// The meaningful stems of a phrase.
pub fn stems(phrase: &str) -> Vec<String> {
    phrase
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| !NOISE.contains(&w.to_lowercase().as_str()))
        .map(stem)
        .collect()
}

fn same_word(a: &str, b: &str) -> bool {
    // A stem may still be one letter off (стриж-к/стриж-ек); a shared start of four
    // letters, or equality for short words, counts as the same word.
    if a == b {
        return true;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common >= 4 && common + 2 >= a.chars().count().min(b.chars().count())
}

/// How well `query` names `candidate`: the share of the query's words found in the
/// candidate, nudged up when the candidate has no words the query lacks.
pub fn score(query: &str, candidate: &str) -> f64 {
    let (query, candidate) = (stems(query), stems(candidate));
    if query.is_empty() || candidate.is_empty() {
        return 0.0;
    }
    let found = query
        .iter()
        .filter(|q| candidate.iter().any(|c| same_word(q, c)))
        .count();
    let covered = candidate
        .iter()
        .filter(|c| query.iter().any(|q| same_word(q, c)))
        .count();
    found as f64 / query.len() as f64 * 0.8 + covered as f64 / candidate.len() as f64 * 0.2
}

/// Scores at or below this do not count as a match (half the query's words found).
pub const MIN_SCORE: f64 = 0.5;

/// What matching found.
#[derive(Debug, Clone, PartialEq)]
pub enum Match<T> {
    /// One candidate is clearly meant.
    One(T),
    /// Several fit about equally: ask which.
    Several(Vec<T>),
    /// Nothing fits.
    None,
}

/// Finds the candidate `query` names; `name` gives each candidate's name.
pub fn best<T: Clone>(query: &str, candidates: &[T], name: impl Fn(&T) -> &str) -> Match<T> {
    let mut scored: Vec<(f64, &T)> = candidates
        .iter()
        .map(|c| (score(query, name(c)), c))
        // More than half of what the client wrote must be found: «к Светлане Ивановой»
        // is not Светлана Петрова.
        .filter(|(s, _)| *s > MIN_SCORE)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    match scored.as_slice() {
        [] => Match::None,
        [(_, only)] => Match::One((*only).clone()),
        [(top, first), (second, _), ..] if top - second >= 0.15 => Match::One((*first).clone()),
        [(top, _), ..] => Match::Several(
            scored
                .iter()
                .take_while(|(s, _)| top - s < 0.15)
                .map(|(_, c)| (*c).clone())
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: [&str; 6] = [
        "Стрижка женская",
        "Стрижка мужская",
        "Маникюр классический",
        "Маникюр с покрытием гель-лак",
        "Окрашивание волос",
        "Педикюр",
    ];
    const STAFF: [&str; 3] = ["Анна Смирнова", "Мария Иванова", "Ольга Петрова"];

    fn find(query: &str, names: &[&'static str]) -> Match<&'static str> {
        best(query, names, |n| n)
    }

    #[test]
    fn inflected_names_of_masters_are_found() {
        assert_eq!(find("к Анне", &STAFF), Match::One("Анна Смирнова"));
        assert_eq!(find("у Марии", &STAFF), Match::One("Мария Иванова"));
        assert_eq!(find("мастер Ольга", &STAFF), Match::One("Ольга Петрова"));
        assert_eq!(
            find("к Ольге Петровой", &STAFF),
            Match::One("Ольга Петрова")
        );
        assert_eq!(find("к Светлане", &STAFF), Match::None);
        assert_eq!(find("к Марии Смирновой", &STAFF), Match::None);
    }

    #[test]
    fn inflected_services_are_found_or_the_close_ones_offered() {
        assert_eq!(find("педикюр", &SERVICES), Match::One("Педикюр"));
        assert_eq!(
            find("на окрашивание", &SERVICES),
            Match::One("Окрашивание волос")
        );
        assert_eq!(
            find("мужскую стрижку", &SERVICES),
            Match::One("Стрижка мужская")
        );
        assert_eq!(
            find("на стрижке мужской", &SERVICES),
            Match::One("Стрижка мужская")
        );
        assert_eq!(
            find("маникюр с покрытием", &SERVICES),
            Match::One("Маникюр с покрытием гель-лак")
        );
        assert_eq!(
            find("стрижку", &SERVICES),
            Match::Several(vec!["Стрижка женская", "Стрижка мужская"])
        );
        assert_eq!(find("массаж", &SERVICES), Match::None);
    }

    #[test]
    fn stems_cut_endings_but_keep_short_words() {
        assert_eq!(stem("стрижку"), "стрижк");
        assert_eq!(stem("Стрижка"), "стрижк");
        assert_eq!(stem("Анне"), "анн");
        assert_eq!(stem("Ёлка"), "елк");
        assert_eq!(stem("лак"), "лак");
    }
}
