//! Prompts live in versioned files (`activities/prompts/v1/…`), compiled into the binary:
//! a prompt change is a reviewed diff of text, and the version is recorded with each
//! call's token usage. Templates use `{{name}}` placeholders; rendering fails on a
//! placeholder nobody filled, so a renamed variable cannot ship an unfilled prompt.

use std::collections::BTreeMap;

/// The newest prompt set, used unless `ASSISTANT_PROMPT_VERSION` names another.
pub const VERSION: &str = "v3";

/// Stage 1's system instruction (newest set): the salon's context and the command set.
pub const STAGE1_SYSTEM: &str = include_str!("../../prompts/v3/stage1.md");
/// Stage 1's response schema (Gemini's OpenAPI subset); v3 kept v2's.
pub const STAGE1_SCHEMA: &str = include_str!("../../prompts/v2/stage1-schema.json");
/// Stage 2's system instruction: how to write the reply.
pub const STAGE2_SYSTEM: &str = include_str!("../../prompts/v3/stage2.md");
/// Stage 2's last user turn: the message, the command results and the facts.
pub const STAGE2_INPUT: &str = include_str!("../../prompts/v3/stage2-input.md");

/// One version of the prompts, all four files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptSet {
    /// Its directory name under `activities/prompts/`.
    pub version: &'static str,
    /// Stage 1's system instruction.
    pub stage1_system: &'static str,
    /// Stage 1's response schema.
    pub stage1_schema: &'static str,
    /// Stage 2's system instruction.
    pub stage2_system: &'static str,
    /// Stage 2's last user turn.
    pub stage2_input: &'static str,
}

/// Every prompt set compiled in, oldest first: v1, the first (kept to compare with); v2,
/// the conversation rules carried over from the original and the salon's facts for stage 2;
/// v3, the owner's voice (greeting, «вы» or «ты», emoji) and facts, and salon questions
/// (parking, the entrance, payment) kept from a person.
pub const SETS: [PromptSet; 3] = [
    PromptSet {
        version: "v1",
        stage1_system: include_str!("../../prompts/v1/stage1.md"),
        stage1_schema: include_str!("../../prompts/v1/stage1-schema.json"),
        stage2_system: include_str!("../../prompts/v1/stage2.md"),
        stage2_input: include_str!("../../prompts/v1/stage2-input.md"),
    },
    PromptSet {
        version: "v2",
        stage1_system: include_str!("../../prompts/v2/stage1.md"),
        stage1_schema: STAGE1_SCHEMA,
        stage2_system: include_str!("../../prompts/v2/stage2.md"),
        stage2_input: include_str!("../../prompts/v2/stage2-input.md"),
    },
    PromptSet {
        version: "v3",
        stage1_system: STAGE1_SYSTEM,
        stage1_schema: STAGE1_SCHEMA,
        stage2_system: STAGE2_SYSTEM,
        stage2_input: STAGE2_INPUT,
    },
];

impl PromptSet {
    /// The set named `version`.
    pub fn named(version: &str) -> Option<&'static PromptSet> {
        SETS.iter().find(|set| set.version == version.trim())
    }

    /// The newest set.
    pub fn current() -> &'static PromptSet {
        // VERSION names one of SETS (a test holds it to that).
        Self::named(VERSION).unwrap_or(&SETS[SETS.len() - 1])
    }

    /// Stage 1's response schema as JSON.
    pub fn schema(&self) -> serde_json::Value {
        serde_json::from_str(self.stage1_schema).unwrap_or_else(|_| serde_json::json!({}))
    }
}

/// The versions compiled in, for an error message.
pub fn versions() -> String {
    SETS.iter()
        .map(|s| s.version)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A placeholder left unfilled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("prompt placeholder {{{{{0}}}}} has no value")]
pub struct MissingValue(pub String);

/// Fills `{{name}}` placeholders of `template` from `values`.
pub fn render(template: &str, values: &BTreeMap<&str, String>) -> Result<String, MissingValue> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = after[..end].trim();
        let value = values
            .get(name)
            .ok_or_else(|| MissingValue(name.to_owned()))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Stage 1's response schema as JSON.
pub fn stage1_schema() -> serde_json::Value {
    // The file is part of the binary and checked by a test; it cannot be invalid here.
    serde_json::from_str(STAGE1_SCHEMA).unwrap_or_else(|_| serde_json::json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(template: &str) -> Vec<String> {
        template
            .split("{{")
            .skip(1)
            .filter_map(|part| {
                part.split_once("}}")
                    .map(|(name, _)| name.trim().to_owned())
            })
            .collect()
    }

    #[test]
    fn rendering_fills_every_placeholder_or_names_the_missing_one() {
        let values = BTreeMap::from([("salon_name", "Роза".to_owned())]);
        assert_eq!(
            render("Салон «{{salon_name}}»", &values).unwrap(),
            "Салон «Роза»"
        );
        assert_eq!(
            render("{{salon_name}} {{today}}", &values),
            Err(MissingValue("today".into()))
        );
    }

    #[test]
    fn the_prompt_files_use_only_known_placeholders_and_the_schema_parses() {
        let stage1 = placeholders(STAGE1_SYSTEM);
        for name in [
            "salon_name",
            "today",
            "weekday",
            "timezone",
            "client_name",
            "bookings",
            "usual",
            "services",
            "staff",
            "discussed",
        ] {
            assert!(stage1.iter().any(|p| p == name), "stage 1 lacks {name}");
        }
        assert_eq!(
            placeholders(STAGE2_SYSTEM),
            [
                "salon_name",
                "client_name",
                "address_rule",
                "emoji_rule",
                "greeting_rule"
            ]
        );
        assert_eq!(
            placeholders(STAGE2_INPUT),
            [
                "message",
                "results",
                "today",
                "weekday",
                "salon_address",
                "salon_phone",
                "salon_email",
                "salon_hours",
                "salon_facts",
                "client",
                "bookings",
                "services_named"
            ]
        );
        let v1 = PromptSet::named("v1").unwrap();
        assert_eq!(placeholders(v1.stage2_input), ["message", "results"]);
        let schema: serde_json::Value = serde_json::from_str(STAGE1_SCHEMA).unwrap();
        let commands = &schema["properties"]["commands"]["items"]["properties"]["command"]["enum"];
        assert_eq!(commands.as_array().map(Vec::len), Some(9));
    }

    #[test]
    fn every_set_is_found_by_its_version_and_the_current_one_is_the_newest() {
        assert_eq!(PromptSet::current().version, VERSION);
        for set in SETS {
            assert_eq!(PromptSet::named(set.version), Some(&set));
            assert_ne!(set.schema(), serde_json::json!({}), "{}", set.version);
        }
        assert_eq!(PromptSet::named("v0"), None);
    }
}
