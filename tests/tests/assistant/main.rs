//! Black-box tests of the assistant's parts: the real Gemini client against the Gemini
//! simulator over HTTP, with the real prompt files; the YClients booking calls against the
//! YClients simulator.

mod booking;
mod conversation;
mod gemini_client;
mod inbound;
mod lookup;
mod reminders;
mod support;
mod yclients_booking;
