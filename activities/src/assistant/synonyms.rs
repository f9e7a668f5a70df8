//! How a salon's clients name its services when they do not use the salon's titles:
//! a verb for the service («подстричь» — стрижка), slang («маник», «ноготочки»), a brand
//! for a kind («шеллак» is a gel polish). Each salon has its own table
//! (`service_synonyms`, [`crate::db::synonyms`]): seeded with [`COMMON`] by its services
//! sync and edited by the owner, because one salon's «борода» is «Моделирование бороды»
//! and another's «Стрижка бороды».

/// The common synonyms every salon starts with: a client word starting with the first
/// stands for the words of the second.
pub const COMMON: &[(&str, &str)] = &[
    ("подстри", "стрижка"),
    ("постри", "стрижка"),
    ("стричь", "стрижка"),
    ("стричс", "стрижка"),
    ("подровн", "стрижка"),
    ("покрас", "окрашивание"),
    ("маник", "маникюр"),
    ("ноготоч", "маникюр"),
    ("ногти", "маникюр"),
    ("ногтей", "маникюр"),
    ("шеллак", "гель-лак"),
    ("шелак", "гель-лак"),
    ("гелев", "гель-лак"),
    ("педик", "педикюр"),
    ("оформ", "коррекция"),
    ("нарасти", "наращивание"),
    ("почист", "чистка"),
    ("уложить", "укладка"),
    ("бород", "моделирование бороды"),
    ("побри", "бритье"),
    ("машинк", "стрижка машинкой"),
];

/// One row: a client word's start and the salon's words it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonym {
    /// The start of the client's word, lower case, `ё` as `е`.
    pub said: String,
    /// The salon's words.
    pub stands_for: String,
}

/// How a kind of name is read: a salon's services through its synonyms (longest `said`
/// first, so «шеллак» is read before «ш…») with typos in long words forgiven; masters'
/// names ([`Synonyms::default`]) as written, since «Ангелина» and «Анжелина» are two
/// people, not a typo.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Synonyms {
    rows: Vec<Synonym>,
    typos: bool,
}

impl Synonyms {
    /// A salon's table of `rows` (`said`, `stands_for`), normalised; blank rows are left
    /// out.
    pub fn new<S: AsRef<str>>(rows: impl IntoIterator<Item = (S, S)>) -> Self {
        let mut rows: Vec<Synonym> = rows
            .into_iter()
            .map(|(said, stands_for)| Synonym {
                said: normalised(said.as_ref()),
                stands_for: normalised(stands_for.as_ref()),
            })
            .filter(|s| s.said.chars().count() >= 2 && !s.stands_for.is_empty())
            .collect();
        rows.sort_by(|a, b| {
            b.said
                .chars()
                .count()
                .cmp(&a.said.chars().count())
                .then_with(|| a.said.cmp(&b.said))
        });
        rows.dedup_by(|a, b| a.said == b.said);
        Self { rows, typos: true }
    }

    /// The common table, for a salon whose own is not read (the eval's judge, tests).
    pub fn common() -> Self {
        Self::new(COMMON.iter().copied())
    }

    /// The rows, longest `said` first.
    pub fn rows(&self) -> &[Synonym] {
        &self.rows
    }

    /// Whether a word one or two letters off counts as the same word.
    pub fn forgives_typos(&self) -> bool {
        self.typos
    }

    /// What a client's `word` (lower case, `ё` as `е`) stands for, when a row says.
    pub fn listed(&self, word: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|s| word.starts_with(&s.said))
            .map(|s| s.stands_for.as_str())
    }
}

/// Lower case, `ё` as `е`, single spaces: how matching reads a word or a title.
pub fn normalised(text: &str) -> String {
    text.to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_start_wins_and_rows_are_normalised() {
        let words = Synonyms::new([
            ("шу", "шугаринг"),
            ("Шеллак", "гель-лак"),
            ("  ", "x"),
            ("ш", "x"),
        ]);
        assert_eq!(words.rows().len(), 2);
        assert_eq!(words.listed("шеллаком"), Some("гель-лак"));
        assert_eq!(words.listed("шугар"), Some("шугаринг"));
        assert_eq!(words.listed("маникюр"), None);
        let words = Synonyms::new([("бровки", "Коррекция  БРОВЕЙ")]);
        assert_eq!(words.listed("бровки"), Some("коррекция бровей"));
    }

    #[test]
    fn the_common_table_has_no_start_twice() {
        let common = Synonyms::common();
        assert_eq!(common.rows().len(), COMMON.len());
    }
}
