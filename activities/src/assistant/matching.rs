//! Matching what a client wrote («на стрижку», «к Анне», «маникюр с покрытием») against
//! the salon's synced services and masters. Russian inflects names and nouns, so both
//! sides are reduced to rough stems (endings cut) and compared word by word; the best
//! candidate wins when it is clearly best, otherwise the caller gets the close ones to
//! ask the client about. The salon's synonyms ([`Synonyms`]) read the client's words as
//! the salon's; the client's phrase is compared both as written and as read, the better
//! counting, against the titles as the salon wrote them.

use super::synonyms::Synonyms;

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

/// Children, for children's services: these words exactly.
const CHILDREN: &[&str] = &[
    "сын",
    "сына",
    "сыну",
    "сыном",
    "сыночка",
    "сыночку",
    "дочь",
    "дочка",
    "дочке",
    "дочку",
    "дочки",
    "дочери",
    "доче",
    "ребенок",
    "ребенка",
    "ребенку",
    "малыш",
    "малыша",
    "малышу",
    "детей",
    "детям",
    "деток",
    "мальчика",
    "мальчику",
    "девочке",
    "девочку",
    "девочки",
];

/// Short forms of first names (their stem) and the name they stand for.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("дим", "дмитрий"),
    ("маш", "мария"),
    ("ан", "анна"),
    ("ол", "ольга"),
    ("лен", "елена"),
    ("тан", "татьяна"),
    ("ир", "ирина"),
    ("свет", "светлана"),
    ("наташ", "наталья"),
    ("кат", "екатерина"),
    ("юл", "юлия"),
    ("наст", "анастасия"),
    ("сереж", "сергей"),
    ("паш", "павел"),
    ("леш", "алексей"),
];
/// Endings a short name takes («Маша», «к Маше», «Машу», «с Машей»).
const SHORT_NAME_ENDINGS: [&str; 9] = ["а", "я", "е", "у", "ю", "ой", "ей", "и", "ы"];

/// What a client's word stands for: itself, or the words salons use for it.
fn as_listed(word: &str, words: &Synonyms) -> String {
    let lower = word.to_lowercase().replace('ё', "е");
    if CHILDREN.contains(&lower.as_str()) {
        return "детская".to_owned();
    }
    let short_name = SHORT_NAMES.iter().find(|(stem, _)| {
        lower
            .strip_prefix(stem)
            .is_some_and(|ending| SHORT_NAME_ENDINGS.contains(&ending))
    });
    if let Some((_, name)) = short_name {
        return (*name).to_owned();
    }
    words.listed(&lower).map_or(lower.clone(), str::to_owned)
}

/// The meaningful stems of a phrase, its words read through `words`.
fn stems(phrase: &str, words: &Synonyms) -> Vec<String> {
    phrase
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .flat_map(|w| w.split('-'))
        .filter(|w| !w.is_empty())
        .filter(|w| !NOISE.contains(&w.to_lowercase().as_str()))
        .map(|w| as_listed(w, words))
        .flat_map(|w| {
            w.split(|c: char| c.is_whitespace() || c == '-')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|w| stem(&w))
        .collect()
}

/// A phrase's stems as written and as read through the synonyms.
struct Read {
    written: Vec<String>,
    listed: Vec<String>,
}

impl Read {
    fn new(phrase: &str, words: &Synonyms) -> Self {
        Self {
            written: stems(phrase, &Synonyms::default()),
            listed: stems(phrase, words),
        }
    }

    /// The pairings compared: the client's words read and as written, each against the
    /// salon's title as written (a title read through the synonyms would gain words —
    /// «Стрижка бороды» as «моделирование бороды» — and tie with titles it is not).
    fn pairs<'a>(query: &'a Read, candidate: &'a Read) -> [(&'a [String], &'a [String]); 2] {
        [
            (&query.listed, &candidate.written),
            (&query.written, &candidate.written),
        ]
    }
}

/// A stem without its fleeting vowel: «Павел» → «Павлу», «Лев» → «Льву», «Пётр» →
/// «Петра» lose the `е`/`о` before the last consonant when inflected.
fn without_fleeting_vowel(stem: &str) -> Option<String> {
    let chars: Vec<char> = stem.chars().collect();
    let n = chars.len();
    (n >= 3 && matches!(chars[n - 2], 'е' | 'о'))
        .then(|| chars[..n - 2].iter().chain(&chars[n - 1..]).collect())
}

fn same_word(a: &str, b: &str, typos: bool) -> bool {
    // A stem may still be one letter off (стриж-к/стриж-ек); a shared start of four
    // letters, or equality for short words, counts as the same word.
    if a == b {
        return true;
    }
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if common >= 4 && common + 2 >= a_len.min(b_len) {
        return true;
    }
    // A short stem cut one letter too far («Марие» → «мар», «Мария» → «мари»).
    if common >= 3 && common == a_len.min(b_len) && a_len.abs_diff(b_len) == 1 {
        return true;
    }
    without_fleeting_vowel(a).is_some_and(|a| a == b)
        || without_fleeting_vowel(b).is_some_and(|b| b == a)
        || (typos && typo_of(a, b))
}

/// Whether one stem is the other with a typo («педекюр», «окрашевание»): one letter
/// wrong, missing, extra or swapped in stems of 7 to 10 letters, two from 11, never the
/// first letter — so «мелирование» stays apart from «моделирование», and short words,
/// where one letter makes another word, are left to the rules above.
fn typo_of(a: &str, b: &str) -> bool {
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    let allowed = match a_len.min(b_len) {
        0..7 => return false,
        7..11 => 1,
        _ => 2,
    };
    a_len.abs_diff(b_len) <= allowed
        && a.chars().next() == b.chars().next()
        && strsim::damerau_levenshtein(a, b) <= allowed
}

/// How well `query` names `candidate`: the share of the query's words found in the
/// candidate, nudged up when the candidate has no words the query lacks.
pub fn score(query: &str, candidate: &str, words: &Synonyms) -> f64 {
    let (query, candidate) = (Read::new(query, words), Read::new(candidate, words));
    Read::pairs(&query, &candidate)
        .into_iter()
        .map(|(q, c)| score_stems(q, c, words.forgives_typos()))
        .fold(0.0, f64::max)
}

fn score_stems(query: &[String], candidate: &[String], typos: bool) -> f64 {
    if query.is_empty() || candidate.is_empty() {
        return 0.0;
    }
    let found = query
        .iter()
        .filter(|q| candidate.iter().any(|c| same_word(q, c, typos)))
        .count();
    let covered = candidate
        .iter()
        .filter(|c| query.iter().any(|q| same_word(q, c, typos)))
        .count();
    let score =
        found as f64 / query.len() as f64 * 0.8 + covered as f64 / candidate.len() as f64 * 0.2;
    // «без покрытия» is the opposite of «с покрытием»: a candidate saying «без» what the
    // client did not is not what they asked for.
    if negates_stems(candidate, query, typos) {
        return score * 0.7;
    }
    score
}

/// Whether `name` says «без» something `text` asks for without «без» («Маникюр без
/// покрытия» for «а с покрытием?»).
pub fn negates(name: &str, text: &str, words: &Synonyms) -> bool {
    let (text, name) = (Read::new(text, words), Read::new(name, words));
    Read::pairs(&text, &name)
        .into_iter()
        .any(|(text, name)| negates_stems(name, text, words.forgives_typos()))
}

fn negates_stems(name: &[String], text: &[String], typos: bool) -> bool {
    let without = stem("без");
    name.iter()
        .position(|w| *w == without)
        .and_then(|at| name.get(at + 1))
        .is_some_and(|negated| {
            !text.contains(&without) && text.iter().any(|t| same_word(t, negated, typos))
        })
}

/// The share of `name`'s words that `text` has (a service named inside a longer
/// question: «сколько длится окрашивание волос?» names «Окрашивание волос» fully).
pub fn share_named(name: &str, text: &str, words: &Synonyms) -> f64 {
    let (text, name) = (Read::new(text, words), Read::new(name, words));
    Read::pairs(&text, &name)
        .into_iter()
        .map(|(text, name)| {
            if name.is_empty() {
                return 0.0;
            }
            let found = name
                .iter()
                .filter(|n| text.iter().any(|t| same_word(n, t, words.forgives_typos())))
                .count();
            found as f64 / name.len() as f64
        })
        .fold(0.0, f64::max)
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

/// Whether `asked` are the words of `title`, no more and no fewer (each maybe inflected
/// or misspelt).
fn names_exactly(asked: &[String], title: &[String], typos: bool) -> bool {
    !asked.is_empty()
        && asked.len() == title.len()
        && asked
            .iter()
            .all(|a| title.iter().any(|t| same_word(a, t, typos)))
        && title
            .iter()
            .all(|t| asked.iter().any(|a| same_word(a, t, typos)))
}

/// Finds the candidate `query` names; `name` gives each candidate's name, `words` the
/// salon's synonyms (none for masters' names).
pub fn best<T: Clone>(
    query: &str,
    candidates: &[T],
    name: impl Fn(&T) -> &str,
    words: &Synonyms,
) -> Match<T> {
    // A candidate named exactly as asked is meant, even when longer names contain it
    // («педикюр», or «педекюр», is Педикюр, not Маникюр и педикюр).
    let asked = Read::new(query, words);
    let exact: Vec<&T> = candidates
        .iter()
        .filter(|c| {
            let title = Read::new(name(c), words);
            Read::pairs(&asked, &title)
                .into_iter()
                .any(|(asked, title)| names_exactly(asked, title, words.forgives_typos()))
        })
        .collect();
    if let [only] = exact.as_slice() {
        return Match::One((*only).clone());
    }
    let mut scored: Vec<(f64, &T)> = candidates
        .iter()
        .map(|c| (score(query, name(c), words), c))
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
        best(query, names, |n| n, &Synonyms::common())
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
        // A common misspelling of the dative.
        assert_eq!(find("к Марие", &STAFF), Match::One("Мария Иванова"));
    }

    #[test]
    fn every_first_name_is_found_in_the_dative_and_the_genitive() {
        let masters = [
            ("Анна Иванова", "к Анне", "у Анны"),
            ("Мария Смирнова", "к Марии", "у Марии"),
            ("Елена Кузнецова", "к Елене", "у Елены"),
            ("Ольга Попова", "к Ольге", "у Ольги"),
            ("Наталья Васильева", "к Наталье", "у Натальи"),
            ("Ирина Петрова", "к Ирине", "у Ирины"),
            ("Светлана Соколова", "к Светлане", "у Светланы"),
            ("Татьяна Михайлова", "к Татьяне", "у Татьяны"),
            ("Дмитрий Новиков", "к Дмитрию", "у Дмитрия"),
            ("Алексей Фёдоров", "к Алексею", "у Алексея"),
            ("Сергей Морозов", "к Сергею", "у Сергея"),
            ("Андрей Волков", "к Андрею", "у Андрея"),
            ("Павел Лебедев", "к Павлу", "у Павла"),
            ("Игорь Козлов", "к Игорю", "у Игоря"),
            ("Максим Егоров", "к Максиму", "у Максима"),
            ("Олег Орлов", "к Олегу", "у Олега"),
        ];
        let names: Vec<&str> = masters.iter().map(|(name, _, _)| *name).collect();
        for (name, dative, genitive) in masters {
            assert_eq!(
                best(dative, &names, |n| n, &Synonyms::common()),
                Match::One(name),
                "{dative}"
            );
            assert_eq!(
                best(genitive, &names, |n| n, &Synonyms::common()),
                Match::One(name),
                "{genitive}"
            );
        }
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
    fn clients_words_for_services_and_short_names_are_understood() {
        let services = [
            "Стрижка женская",
            "Стрижка детская",
            "Маникюр без покрытия",
            "Маникюр с покрытием гель-лак",
            "Маникюр и педикюр",
            "Педикюр",
            "Окрашивание волос",
            "Укладка",
            "Стрижка и укладка",
            "Коррекция бровей",
            "Наращивание ресниц",
        ];
        let find = |query| best(query, &services, |s| s, &Synonyms::common());
        assert_eq!(
            find("маникюр с покрытием"),
            Match::One("Маникюр с покрытием гель-лак")
        );
        assert_eq!(find("шеллак"), Match::One("Маникюр с покрытием гель-лак"));
        assert_eq!(find("педикюр"), Match::One("Педикюр"));
        assert_eq!(find("укладку"), Match::One("Укладка"));
        assert_eq!(find("покрасить волосы"), Match::One("Окрашивание волос"));
        assert_eq!(find("подстричь сына"), Match::One("Стрижка детская"));
        assert_eq!(find("брови оформить"), Match::One("Коррекция бровей"));
        assert_eq!(find("нарастить ресницы"), Match::One("Наращивание ресниц"));
        let staff = [
            "Анна Петрова",
            "Мария Иванова",
            "Дмитрий Волков",
            "Ольга Кузнецова",
        ];
        assert_eq!(
            best("к Диме", &staff, |s| s, &Synonyms::default()),
            Match::One("Дмитрий Волков")
        );
        assert_eq!(
            best("к Маше", &staff, |s| s, &Synonyms::default()),
            Match::One("Мария Иванова")
        );
        assert_eq!(
            best("к Оле", &staff, |s| s, &Synonyms::default()),
            Match::One("Ольга Кузнецова")
        );
        assert_eq!(
            best("к Ирине", &staff, |s| s, &Synonyms::default()),
            Match::None
        );
    }

    #[test]
    fn a_salons_own_synonyms_are_read_and_can_only_help() {
        let services = [
            "Восстановление волос",
            "Стрижка бороды",
            "Стрижка мужская",
            "Коррекция бровей",
        ];
        let own = Synonyms::new([("ботокс", "восстановление волос")]);
        assert_eq!(
            best("на ботокс", &services, |s| s, &Synonyms::common()),
            Match::None
        );
        assert_eq!(
            best("на ботокс", &services, |s| s, &own),
            Match::One("Восстановление волос")
        );
        // The common «борода» is «Моделирование бороды»; this salon's title is read as
        // written.
        assert_eq!(
            best("бороду подровнять", &services, |s| s, &Synonyms::common()),
            Match::One("Стрижка бороды")
        );
        assert!(share_named("Восстановление волос", "сколько стоит ботокс?", &own) >= 1.0);
        assert!(negates(
            "Маникюр без покрытия",
            "а с шеллаком?",
            &Synonyms::new([("шеллак", "покрытие")])
        ));
    }

    #[test]
    fn typos_in_long_service_words_are_forgiven_and_names_kept_apart() {
        let find = |query| best(query, &SERVICES, |s| s, &Synonyms::common());
        assert_eq!(find("педекюр"), Match::One("Педикюр"));
        assert_eq!(
            best(
                "на педекюр",
                &["Педикюр", "Маникюр и педикюр"],
                |s| s,
                &Synonyms::common()
            ),
            Match::One("Педикюр")
        );
        assert_eq!(find("на окрашевание"), Match::One("Окрашивание волос"));
        assert_eq!(find("мужскую стришку"), Match::One("Стрижка мужская"));
        assert_eq!(
            find("маникур класический"),
            Match::One("Маникюр классический")
        );
        // A title read through a synonym does not gain words: «моделирование» is the
        // brows, not the beard.
        assert_eq!(
            best(
                "моделирование",
                &["Моделирование бровей", "Стрижка бороды"],
                |s| s,
                &Synonyms::common()
            ),
            Match::One("Моделирование бровей")
        );
        // Masters' names are read as written: one letter makes another person.
        let staff = ["Ангелина Орлова", "Ирина Белова"];
        assert_eq!(
            best("к Анжелине", &staff, |s| s, &Synonyms::default()),
            Match::None
        );
        let staff = ["Марина Орлова", "Ирина Белова"];
        assert_eq!(
            best("к Карине", &staff, |s| s, &Synonyms::default()),
            Match::None
        );
        assert_eq!(
            best("к Арине", &staff, |s| s, &Synonyms::default()),
            Match::None
        );
        assert_eq!(
            best("к Марине Орловой", &staff, |s| s, &Synonyms::default()),
            Match::One("Марина Орлова")
        );
    }

    /// The pairs the stems were weighed on against Snowball's Russian stemmer
    /// (`rust-stemmers`; README, "What the code reads"): a client's word and a title's.
    #[test]
    fn a_clients_forms_of_a_word_are_the_same_word_and_other_words_are_not() {
        let same = [
            ("Анне", "Анна"),
            ("Анны", "Анна"),
            ("Марии", "Мария"),
            ("Марие", "Мария"),
            ("Павлу", "Павел"),
            ("Павла", "Павел"),
            ("Петра", "Пётр"),
            ("Ольге", "Ольга"),
            ("Ольги", "Ольга"),
            ("Наталье", "Наталья"),
            ("Натальи", "Наталья"),
            ("Алексею", "Алексей"),
            ("Алексея", "Алексей"),
            ("Игорю", "Игорь"),
            ("Игоря", "Игорь"),
            ("Светлане", "Светлана"),
            ("Дмитрию", "Дмитрий"),
            ("Татьяне", "Татьяна"),
            ("Сергею", "Сергей"),
            ("Андрею", "Андрей"),
            ("Максиму", "Максим"),
            ("Олегу", "Олег"),
            ("Елене", "Елена"),
            ("Ирине", "Ирина"),
            ("Ивановой", "Иванова"),
            ("Петровой", "Петрова"),
            ("Смирновой", "Смирнова"),
            ("Волкову", "Волков"),
            ("Лебедеву", "Лебедев"),
            ("стрижку", "Стрижка"),
            ("стрижке", "Стрижка"),
            ("стрижечку", "Стрижка"),
            ("стрижек", "Стрижка"),
            ("мужскую", "мужская"),
            ("детскую", "детская"),
            ("окрашиванием", "Окрашивание"),
            ("окрашивания", "Окрашивание"),
            ("покрытием", "покрытие"),
            ("покрытия", "покрытие"),
            ("бровей", "брови"),
            ("бровки", "брови"),
            ("ресниц", "ресницы"),
            ("ресничек", "ресницы"),
            ("укладку", "Укладка"),
            ("укладочку", "Укладка"),
            ("педикюра", "Педикюр"),
            ("маникюрчик", "Маникюр"),
            ("маникюра", "Маникюр"),
            ("бороды", "борода"),
            ("бороду", "борода"),
            ("волосам", "волос"),
            ("волосы", "волос"),
            ("чистку", "Чистка"),
            ("лица", "лицо"),
            ("массажа", "Массаж"),
            ("коррекцию", "Коррекция"),
            ("шугаринга", "Шугаринг"),
            ("депиляцию", "Депиляция"),
            ("кончики", "кончиков"),
            ("маникур", "Маникюр"),
            ("педекюр", "Педикюр"),
            ("окрашевание", "Окрашивание"),
            ("стрижку", "Стришка"),
            ("Марине", "Марина"),
        ];
        for (said, listed) in same {
            assert!(
                same_word(&stem(said), &stem(listed), true),
                "{said} / {listed}"
            );
        }
        let apart = [
            ("Ирина", "Арина"),
            ("Маникюр", "Педикюр"),
            ("Анна", "Алла"),
            ("Укладка", "Кладка"),
            ("мужская", "женская"),
            ("детская", "женская"),
            ("Олег", "Ольга"),
            ("Павел", "Паша"),
            ("коррекция", "окрашивание"),
            ("волос", "голос"),
            ("бровей", "ресниц"),
            ("Карина", "Марина"),
            ("мелирование", "моделирование"),
        ];
        for (said, listed) in apart {
            assert!(
                !same_word(&stem(said), &stem(listed), true),
                "{said} / {listed}"
            );
        }
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
