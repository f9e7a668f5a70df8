//! Thanks and goodbyes. A client who writes only «спасибо!» or «до встречи» gets a
//! reaction on their message, as a person at the salon's phone would answer, not
//! another text to read — and the turn costs no model call.

/// The reaction to thanks.
pub const THANKS: &str = "❤️";
/// The reaction to a goodbye, or an «ок, спасибо».
pub const GOODBYE: &str = "👍";

/// Words that thank.
const THANKING: [&str; 8] = [
    "спасибо",
    "спасибки",
    "спс",
    "благодарю",
    "благодарим",
    "спасиб",
    "thanks",
    "thank",
];

/// Words that say goodbye.
const PARTING: [&str; 5] = ["свидания", "встречи", "пока", "доброго", "связи"];

/// Words that may go with them without asking anything.
const WITH: [&str; 23] = [
    "большое",
    "огромное",
    "вам",
    "тебе",
    "вы",
    "до",
    "всего",
    "хорошего",
    "дня",
    "вечера",
    "завтра",
    "ок",
    "окей",
    "хорошо",
    "отлично",
    "супер",
    "понятно",
    "ясно",
    "понял",
    "поняла",
    "подумаю",
    "учту",
    "you",
];

/// The reaction `messages` get when they only thank or say goodbye; `None` when they
/// ask or tell anything else (then the turn is answered as usual).
pub fn reaction_for(messages: &[String]) -> Option<&'static str> {
    let text = messages.join(" ").to_lowercase().replace('ё', "е");
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let thanking = words.iter().any(|w| THANKING.contains(w));
    let parting = words.iter().any(|w| PARTING.contains(w));
    let only_courtesy = words
        .iter()
        .all(|w| THANKING.contains(w) || PARTING.contains(w) || WITH.contains(w));
    match (only_courtesy, thanking, parting) {
        (true, true, _) => Some(THANKS),
        (true, false, true) => Some(GOODBYE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaction(text: &str) -> Option<&'static str> {
        reaction_for(&[text.to_owned()])
    }

    #[test]
    fn thanks_and_goodbyes_get_a_reaction_and_anything_else_an_answer() {
        for text in [
            "спасибо",
            "Спасибо большое!",
            "спс",
            "спасибо 🙏",
            "Благодарю",
            "ок, спасибо",
            "спасибо, до встречи",
        ] {
            assert_eq!(reaction(text), Some(THANKS), "{text}");
        }
        for text in ["До свидания!", "до завтра, пока", "всего доброго"]
        {
            assert_eq!(reaction(text), Some(GOODBYE), "{text}");
        }
        for text in [
            "ок",
            "👍",
            "да",
            "спасибо, а на завтра можно?",
            "спасибо, не надо",
            "спасибо, отмените запись",
            "до 18 работаете?",
            "",
        ] {
            assert_eq!(reaction(text), None, "{text}");
        }
        assert_eq!(
            reaction_for(&["Спасибо".to_owned(), "до встречи".to_owned()]),
            Some(THANKS)
        );
    }
}
