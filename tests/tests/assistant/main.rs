//! Black-box tests of the assistant's parts: the real Gemini client against the Gemini
//! simulator over HTTP, with the real prompt files; the YClients booking calls against the
//! YClients simulator.

mod booking;
mod conversation;
mod inbound;
mod llm_clients;
mod lookup;
mod media;
mod providers;
mod reminders;
mod support;
mod yclients_booking;
