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
            .map(|line| format!("- {}", line.trim_start_matches(['-', '•', ' '])))
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
        // The owner's words stay as written, emoji and all, wherever the model repeated them.
        const MARK: char = '\u{0}';
        let repeated = welcome.filter(|w| reply.contains(w));
        let marked = match repeated {
            Some(w) => reply.replacen(w, &MARK.to_string(), 1),
            None => reply.to_owned(),
        };
        let text = match self.tone.emoji {
            true => marked.trim().to_owned(),
            false => without_emoji(&marked),
        };
        match (welcome, repeated, first) {
            (Some(w), Some(_), _) => text.replacen(MARK, w, 1),
            (Some(w), None, true) => format!("{w}\n{text}"),
            _ => text,
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
/// flag letters. Text symbols clients read as text (₽, «», —, №) are not.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF   // pictographs, emoticons, transport, flags, symbols
        | 0x2600..=0x27BF   // miscellaneous symbols and dingbats (☀ ✂ ✨ ❤)
        | 0x2B00..=0x2BFF   // stars and arrows drawn as emoji (⭐ ⬆)
        | 0xFE0E..=0xFE0F   // variation selectors
        | 0x200D            // zero-width joiner
        | 0x20E3            // keycap
        | 0xE0020..=0xE007F // tag characters
    )
}

/// `text` without emoji, the spaces they leave behind folded.
pub fn without_emoji(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !is_emoji(*c)).collect();
    let lines: Vec<String> = kept
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.join("\n").trim().to_owned()
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
            v.dress("Привет! Это салон «Лилия» 🌸\nЧем помочь?", true)
                .matches("Привет")
                .count(),
            1
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
            facts: Some("Парковка во дворе\n\n- Вход с торца, домофон 12  \n".into()),
            ..Voice::default()
        };
        assert_eq!(
            v.facts_text(),
            "- Парковка во дворе\n- Вход с торца, домофон 12"
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
