//! How the bot speaks for this salon, from the owner's settings: «вы» or «ты», emoji or
//! not, the owner's own greeting on the first reply, and the facts they wrote about the
//! salon. Stage 2 is told the rules; what must hold whatever the model writes is applied
//! to its text here — no emoji when the owner wants none, and the owner's greeting, word
//! for word, before the first reply (the model being told not to greet then).

use crate::db::settings::{Address, SalonSettings, Tone};

/// What stage 2 is told and what its reply gets, for one salon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Voice {
    /// «вы» or «ты», emoji or not.
    pub tone: Tone,
    /// The owner's greeting, put before the first reply to a client.
    pub welcome: Option<String>,
    /// The owner's facts, one a line.
    pub facts: Option<String>,
}

impl Voice {
    /// The salon's voice by its settings.
    pub fn of(settings: &SalonSettings) -> Self {
        Self {
            tone: settings.tone,
            welcome: settings.welcome_text.clone(),
            facts: settings.facts.clone(),
        }
    }

    /// Stage 2's rule on addressing the client.
    pub fn address_rule(&self) -> &'static str {
        match self.tone.address {
            Address::Vy => "на «вы»",
            Address::Ty => "на «ты» (тепло и уважительно, без фамильярности)",
        }
    }

    /// Stage 2's rule on emoji.
    pub fn emoji_rule(&self) -> &'static str {
        match self.tone.emoji {
            true => "Можно одно уместное эмодзи.",
            false => "Без эмодзи.",
        }
    }

    /// Stage 2's rule on greeting.
    pub fn greeting_rule(&self) -> &'static str {
        match self.welcome {
            Some(_) => {
                "Не здоровайся: приветствие салона система сама поставит перед первым ответом."
            }
            None => {
                "Здоровайся только в первом ответе разговора (по времени суток), дальше — без \
                 приветствий."
            }
        }
    }

    /// The owner's facts as the prompt lists them: «- …» lines, «- нет» when none.
    pub fn facts_text(&self) -> String {
        let lines: Vec<String> = self
            .facts
            .iter()
            .flat_map(|facts| facts.lines())
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let bare = ["- ", "• ", "* "]
                    .iter()
                    .find_map(|bullet| line.strip_prefix(bullet))
                    .unwrap_or(line);
                format!("- {}", bare.trim())
            })
            .collect();
        match lines.is_empty() {
            true => "- нет".to_owned(),
            false => lines.join("\n"),
        }
    }

    /// The model's `reply` as the client gets it: without emoji unless the owner allows
    /// them, and after the owner's greeting when it is the `first` reply to this client.
    pub fn dress(&self, reply: &str, first: bool) -> String {
        let welcome = self
            .welcome
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty());
        let text = match self.tone.emoji {
            true => reply.trim().to_owned(),
            false => without_emoji(reply),
        };
        let Some(welcome) = welcome else {
            return text;
        };
        // The model was told not to greet; if it did anyway (or repeated the owner's
        // line, with or without its emoji), the owner's words replace its own.
        let said = comparable(&text);
        let owner = comparable(welcome);
        let rest = match said.starts_with(&owner) {
            true => after_sentences(&text, welcome_sentences(welcome)),
            false if first => without_greeting(&text),
            false => return text,
        };
        match (first, rest.is_empty()) {
            (true, true) => welcome.to_owned(),
            (true, false) => format!("{welcome}\n{rest}"),
            (false, _) => rest,
        }
    }

    /// The client is told their handoff went unanswered and the bot is back.
    pub fn handoff_expired(&self) -> &'static str {
        match self.tone.address {
            Address::Vy => {
                "Администратор пока не смог ответить — извините за ожидание. Я снова на связи: \
                 запишу, перенесу или отменю визит и подскажу цены. Если вопрос для человека, \
                 администратор ответит вам здесь, как только освободится."
            }
            Address::Ty => {
                "Администратор пока не смог ответить — извини за ожидание. Я снова на связи: \
                 запишу, перенесу или отменю визит и подскажу цены. Если вопрос для человека, \
                 администратор ответит тебе здесь, как только освободится."
            }
        }
    }
}

/// Whether `c` is drawn as a picture: emoji, their joiners and variation selectors, the
/// flag letters. Text symbols clients read as text (₽, «», —, №, ✓, ★, ☎, ✉, arrows,
/// circled numbers) are not.
fn is_emoji(c: char) -> bool {
    let code = u32::from(c);
    let text_symbol = matches!(code,
        0x2605 | 0x260E | 0x2709 | 0x2713..=0x2717 | 0x2776..=0x2793 | 0x2794 | 0x2798..=0x27AF
        | 0x27B1..=0x27BE
    );
    !text_symbol
        && matches!(code,
            0x1F000..=0x1FAFF   // pictographs, emoticons, transport, flags, symbols
            | 0x2600..=0x27BF   // miscellaneous symbols and dingbats (☀ ✂ ✨ ❤)
            | 0x231A..=0x231B | 0x2328 | 0x23CF | 0x23E9..=0x23FA // ⌚ ⌛ ⏰ ⏳
            | 0x25AA..=0x25AB | 0x25B6 | 0x25C0 | 0x25FB..=0x25FE
            | 0x203C | 0x2049 | 0x2934..=0x2935 | 0x3030 | 0x303D | 0x3297 | 0x3299
            | 0x2B05..=0x2B07 | 0x2B1B..=0x2B1C | 0x2B50 | 0x2B55
            | 0xFE0E..=0xFE0F   // variation selectors
            | 0x200D            // zero-width joiner
            | 0x20E3            // keycap
            | 0xE0020..=0xE007F // tag characters
        )
}

/// `text` without emoji, the spaces they leave behind folded; as it was when it has none.
pub fn without_emoji(text: &str) -> String {
    if !text.chars().any(is_emoji) {
        return text.trim().to_owned();
    }
    let kept: String = text.chars().filter(|c| !is_emoji(*c)).collect();
    let lines: Vec<String> = kept
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.join("\n").trim().to_owned()
}

/// For comparing greetings: lower case, letters and digits only, single spaces.
fn comparable(text: &str) -> String {
    text.to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many sentences the owner's greeting has.
fn welcome_sentences(welcome: &str) -> usize {
    let ends = sentence_ends(welcome);
    let unfinished = ends
        .last()
        .is_none_or(|end| !welcome[*end..].trim().is_empty());
    ends.len() + usize::from(unfinished)
}

/// Byte offsets just past each sentence's end mark in `text`.
fn sentence_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next_is_end = chars
            .peek()
            .is_some_and(|(_, n)| matches!(n, '!' | '.' | '?'));
        if matches!(c, '!' | '.' | '?' | '\n') && !next_is_end {
            ends.push(at + c.len_utf8());
        }
    }
    ends
}

/// `text` after its first `n` sentences, trimmed.
fn after_sentences(text: &str, n: usize) -> String {
    match sentence_ends(text).get(n - 1) {
        Some(end) => text[*end..].trim().to_owned(),
        None => String::new(),
    }
}

/// `text` without a greeting sentence at its start («Здравствуйте!», «Добрый день, …!»).
fn without_greeting(text: &str) -> String {
    const GREETINGS: [&str; 6] = [
        "здравствуй",
        "добрый день",
        "добрый вечер",
        "доброе утро",
        "доброго",
        "привет",
    ];
    let lower = text.trim_start().to_lowercase();
    if !GREETINGS.iter().any(|g| lower.starts_with(g)) {
        return text.trim().to_owned();
    }
    let rest = after_sentences(text.trim_start(), 1);
    match rest.is_empty() {
        true => text.trim().to_owned(),
        false => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(address: Address, emoji: bool, welcome: Option<&str>) -> Voice {
        Voice {
            tone: Tone { address, emoji },
            welcome: welcome.map(str::to_owned),
            facts: None,
        }
    }

    #[test]
    fn emoji_go_unless_the_owner_allows_them_and_text_symbols_stay() {
        let plain = voice(Address::Vy, false, None);
        assert_eq!(
            plain.dress("Записала вас ✨ на 15:00 — 2200 ₽ 💅🏻", false),
            "Записала вас на 15:00 — 2200 ₽"
        );
        assert_eq!(plain.dress("Ждём вас! ❤️", false), "Ждём вас!");
        assert_eq!(plain.dress("«Маникюр», № 7", false), "«Маникюр», № 7");
        assert_eq!(
            plain.dress("⏰ В 15:00 ✓ ☎ +7 495 ★  5", false),
            "В 15:00 ✓ ☎ +7 495 ★ 5"
        );
        let lively = voice(Address::Vy, true, None);
        assert_eq!(lively.dress("Ждём вас! ❤️", false), "Ждём вас! ❤️");
    }

    #[test]
    fn the_owners_greeting_opens_the_first_reply_only_and_once() {
        let v = voice(Address::Ty, false, Some("Привет! Это салон «Лилия» 🌸"));
        assert_eq!(
            v.dress("Свободно в 10:00 и 12:00.", true),
            "Привет! Это салон «Лилия» 🌸\nСвободно в 10:00 и 12:00."
        );
        assert_eq!(v.dress("Свободно в 10:00.", false), "Свободно в 10:00.");
        assert_eq!(
            v.dress("Привет! Это салон «Лилия» 🌸\nЧем помочь?", true),
            "Привет! Это салон «Лилия» 🌸\nЧем помочь?"
        );
        // Repeated without its emoji, or a greeting of the model's own: the owner's once.
        assert_eq!(
            v.dress("Привет! Это салон «Лилия». Чем помочь?", true),
            "Привет! Это салон «Лилия» 🌸\nЧем помочь?"
        );
        assert_eq!(
            v.dress("Здравствуйте! Свободно в 10:00.", true),
            "Привет! Это салон «Лилия» 🌸\nСвободно в 10:00."
        );
        assert_eq!(
            v.dress("Добрый день!!! Свободно в 10:00.", false),
            "Добрый день!!! Свободно в 10:00."
        );
        assert!(v.greeting_rule().starts_with("Не здоровайся"));
        assert!(
            voice(Address::Vy, false, None)
                .greeting_rule()
                .starts_with("Здоровайся")
        );
    }

    #[test]
    fn the_owners_facts_are_listed_a_line_each() {
        let v = Voice {
            facts: Some("Парковка во дворе\n\n- Вход с торца, домофон 12  \n-10% в будни\n".into()),
            ..Voice::default()
        };
        assert_eq!(
            v.facts_text(),
            "- Парковка во дворе\n- Вход с торца, домофон 12\n- -10% в будни"
        );
        assert_eq!(Voice::default().facts_text(), "- нет");
    }

    #[test]
    fn the_rules_follow_the_tone() {
        let ty = voice(Address::Ty, true, None);
        assert!(ty.address_rule().contains("«ты»"));
        assert!(ty.emoji_rule().starts_with("Можно"));
        assert!(ty.handoff_expired().contains("тебе"));
        let vy = voice(Address::Vy, false, None);
        assert_eq!(vy.address_rule(), "на «вы»");
        assert!(vy.handoff_expired().contains("вам"));
    }
}
