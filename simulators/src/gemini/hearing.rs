//! The simulated speech recognition: the shipped sample voice note
//! (`simulators/assets/voice-note.ogg`, six seconds of Russian) is heard as what it
//! says; a "recording" that is UTF-8 text starting with [`SPOKEN`] is heard as the
//! rest of its text, so tests and the eval can make a client say anything; any other
//! audio is silence (an empty transcript, as a model that made nothing out answers).

/// The sample voice note: an Ogg/Opus file, as WhatsApp sends voice notes.
pub const VOICE_NOTE: &[u8] = include_bytes!("../../assets/voice-note.ogg");

/// Its MIME type, as WhatsApp names it.
pub const VOICE_NOTE_MIME: &str = "audio/ogg; codecs=opus";

/// Its length, in whole seconds.
pub const VOICE_NOTE_SECONDS: u32 = 6;

/// What the sample says.
pub const VOICE_NOTE_TRANSCRIPT: &str =
    "Здравствуйте! Запишите меня, пожалуйста, на маникюр завтра в 15:00.";

/// How a scripted "recording" begins: `SPOKEN:Добрый день` is heard as «Добрый день».
pub const SPOKEN: &str = "SPOKEN:";

/// What the simulated model hears in `audio`.
pub fn transcript(audio: &[u8]) -> String {
    if audio == VOICE_NOTE {
        return VOICE_NOTE_TRANSCRIPT.to_owned();
    }
    std::str::from_utf8(audio)
        .ok()
        .and_then(|text| text.strip_prefix(SPOKEN))
        .map(|words| words.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_says_its_transcript_and_noise_says_nothing() {
        assert!(VOICE_NOTE.starts_with(b"OggS"));
        assert_eq!(transcript(VOICE_NOTE), VOICE_NOTE_TRANSCRIPT);
        assert_eq!(transcript(b"SPOKEN: \xd0\xb4\xd0\xb0"), "да");
        assert_eq!(transcript(&VOICE_NOTE[..100]), "");
        assert_eq!(transcript(&[0xff, 0xfe, 0x00]), "");
    }
}
