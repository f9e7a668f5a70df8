-- A client whose number WhatsApp hides is known by their LID (`<digits>@lid`), which
-- is longer than a phone number; and each message keeps the chat and sender as WhatsApp
-- named them, for receipts and for ops.
ALTER TABLE inbound_messages ALTER COLUMN client_phone TYPE VARCHAR(40);
ALTER TABLE conversations ALTER COLUMN client_phone TYPE VARCHAR(40);
ALTER TABLE inbound_messages ADD COLUMN chat_jid TEXT;
ALTER TABLE inbound_messages ADD COLUMN sender_jid TEXT;
