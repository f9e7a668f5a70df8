//! Black-box tests of the assistant's parts: the real Gemini client against the Gemini
//! simulator over HTTP, with the real prompt files.

mod gemini_client;
