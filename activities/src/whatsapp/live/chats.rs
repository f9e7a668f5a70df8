//! The chat each client last wrote from, per session. whatsapp-rust remaps a message
//! to a phone number's chat onto the client's LID chat itself, but not receipts,
//! "typing…" or reactions: those must name the chat the message arrived in. A client we
//! know by phone may write from their LID chat, so the chat is remembered here as
//! received; after a restart, until the client writes again, the address's own chat is
//! used (a phone's, or a LID's). Each chat's disappearing-message timer is kept the
//! same way, as the client's latest message carried it, for the replies.

use crate::domain::{ClientAddress, SessionId};
use std::collections::HashMap;
use std::sync::Mutex;
use whatsapp_rust::Jid;

/// Chats remembered at most; beyond, the book starts over (the fallback is right for
/// most clients, so forgetting costs little).
const CAPACITY: usize = 50_000;

/// Where each client's chat is.
#[derive(Debug, Default)]
pub(super) struct ChatBook {
    chats: Mutex<HashMap<(SessionId, ClientAddress), Chat>>,
}

/// What is known of one client's chat.
#[derive(Debug, Clone)]
struct Chat {
    jid: Jid,
    /// Disappearing-message timer, seconds.
    expiration: Option<u32>,
}

impl ChatBook {
    /// `address` wrote in `chat`, whose disappearing timer was `expiration`.
    pub(super) fn learn(
        &self,
        session: SessionId,
        address: &ClientAddress,
        chat: &Jid,
        expiration: Option<u32>,
    ) {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        if chats.len() >= CAPACITY && !chats.contains_key(&(session, address.clone())) {
            chats.clear();
        }
        let chat = Chat {
            jid: chat.clone(),
            expiration,
        };
        chats.insert((session, address.clone()), chat);
    }

    /// The chat to send receipts, typing and reactions to.
    pub(super) fn chat_of(&self, session: SessionId, address: &ClientAddress) -> Jid {
        let chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        chats
            .get(&(session, address.clone()))
            .map(|chat| chat.jid.clone())
            .unwrap_or_else(|| address_jid(address))
    }

    /// The chat's disappearing-message timer (seconds), when it has one.
    pub(super) fn expiration_of(&self, session: SessionId, address: &ClientAddress) -> Option<u32> {
        let chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        chats
            .get(&(session, address.clone()))
            .and_then(|chat| chat.expiration)
    }

    /// Forgets a session's chats (its store was wiped).
    pub(super) fn forget(&self, session: SessionId) {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        chats.retain(|(owner, _), _| *owner != session);
    }
}

/// The address's own chat: the phone's, or the LID's.
pub(super) fn address_jid(address: &ClientAddress) -> Jid {
    match address {
        ClientAddress::Phone(phone) => Jid::pn(phone.as_str()),
        ClientAddress::Lid(user) => Jid::lid(user.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PhoneNumber, SalonId};

    #[test]
    fn a_client_is_answered_in_the_chat_they_wrote_from() {
        let book = ChatBook::default();
        let session = SessionId::for_salon(SalonId::new(1).unwrap());
        let phone = ClientAddress::from(PhoneNumber::from_digits("79001234567").unwrap());
        assert_eq!(book.chat_of(session, &phone), Jid::pn("79001234567"));
        book.learn(session, &phone, &Jid::lid("100200300"), Some(86_400));
        assert_eq!(book.chat_of(session, &phone), Jid::lid("100200300"));
        assert_eq!(book.expiration_of(session, &phone), Some(86_400));
        book.learn(session, &phone, &Jid::lid("100200300"), None);
        assert_eq!(
            book.expiration_of(session, &phone),
            None,
            "timer turned off"
        );
        let lid = ClientAddress::lid("555").unwrap();
        assert_eq!(book.chat_of(session, &lid), Jid::lid("555"));
        book.forget(session);
        assert_eq!(book.chat_of(session, &phone), Jid::pn("79001234567"));
    }
}
