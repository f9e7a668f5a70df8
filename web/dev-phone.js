// The simulator's phone page: lists sessions, "scans" a waiting one, and chats as a
// client through the /dev/whatsapp control API.
(function () {
  "use strict";
  const el = (id) => document.getElementById(id);
  const STATUS = { awaiting_link: "ждёт подключения", connected: "подключена", connecting: "подключается", logged_out: "отключена" };
  const sent = [];

  function showError(message) {
    el("error").textContent = message || "";
    el("error").hidden = !message;
  }

  async function call(path, body) {
    const response = await fetch(path, body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
    return data;
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function refreshSessions() {
    try {
      const sessions = await call("/dev/whatsapp/sessions");
      const tbody = el("sessions");
      tbody.replaceChildren();
      const select = el("chat-session");
      const chosen = select.value;
      select.replaceChildren();
      sessions.forEach((s) => {
        const tr = document.createElement("tr");
        tr.dataset.session = s.session_id;
        tr.append(cell(s.session_id), cell(STATUS[s.status] || s.status),
          cell(s.pairing_code ? s.pairing_code.code + " для +" + s.pairing_code.phone : (s.qr ? "QR показан" : (s.phone ? "+" + s.phone : "—"))));
        const actions = document.createElement("td");
        const button = document.createElement("button");
        if (s.status === "awaiting_link") {
          button.textContent = "Сканировать";
          button.className = "scan";
          button.onclick = () => call("/dev/whatsapp/" + s.session_id + "/link", {
            phone: s.pairing_code ? s.pairing_code.phone : el("owner-phone").value,
          }).then(refreshSessions).catch((e) => showError(e.message));
        } else if (s.status === "connected") {
          button.textContent = "Отвязать";
          button.onclick = () => call("/dev/whatsapp/" + s.session_id + "/logout", {})
            .then(refreshSessions).catch((e) => showError(e.message));
        }
        if (button.textContent) actions.append(button);
        tr.append(actions);
        tbody.append(tr);
        if (s.status === "connected") {
          const option = document.createElement("option");
          option.value = option.textContent = s.session_id;
          select.append(option);
        }
      });
      if (chosen) select.value = chosen;
      showError("");
    } catch (e) { showError(e.message); }
  }

  async function refreshChat() {
    const session = el("chat-session").value;
    if (!session) return;
    try {
      const client = el("client-phone").value.replace(/\D/g, "");
      const outbox = await call("/dev/whatsapp/" + session + "/outbox");
      const replies = outbox.filter((m) => m.kind === "text" && m.to === client)
        .map((m) => ({ who: "bot", text: m.text, at: m.at_ms }));
      const mine = sent.filter((m) => m.session === session && m.client === client);
      const chat = el("chat");
      chat.replaceChildren();
      mine.concat(replies).sort((a, b) => a.at - b.at).forEach((m) => {
        const li = document.createElement("li");
        li.className = m.who;
        li.textContent = (m.who === "bot" ? "Бот: " : "Клиент: ") + m.text;
        chat.append(li);
      });
    } catch (e) { showError(e.message); }
  }

  el("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const session = el("chat-session").value;
    const text = el("client-text").value.trim();
    if (!session || !text) return;
    try {
      await call("/dev/whatsapp/" + session + "/incoming", { from: el("client-phone").value, text: text });
      sent.push({ session: session, client: el("client-phone").value.replace(/\D/g, ""), who: "client", text: text, at: Date.now() });
      el("client-text").value = "";
      refreshChat();
    } catch (e) { showError(e.message); }
  });

  // A file as base64 (the control API takes media that way).
  function base64Of(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  async function sendMedia(body, shown) {
    const session = el("chat-session").value;
    if (!session) return;
    body.from = el("client-phone").value;
    await call("/dev/whatsapp/" + session + "/incoming", body);
    sent.push({ session: session, client: el("client-phone").value.replace(/\D/g, ""), who: "client", text: shown, at: Date.now() });
    refreshChat();
  }

  el("send-voice").addEventListener("click", async () => {
    try {
      const sample = await fetch("/dev/phone/voice-note.ogg");
      if (!sample.ok) throw new Error("HTTP " + sample.status);
      const data = base64Of(await sample.arrayBuffer());
      await sendMedia({ voice: { mime: "audio/ogg; codecs=opus", data_base64: data, seconds: 6 } }, "🎤 голосовое сообщение");
    } catch (e) { showError(e.message); }
  });

  el("client-photo").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    try {
      const caption = el("client-text").value.trim();
      const body = { image: { mime: file.type || "image/jpeg", data_base64: base64Of(await file.arrayBuffer()) } };
      if (caption) body.caption = caption;
      await sendMedia(body, "📷 фото" + (caption ? ": " + caption : ""));
      el("client-text").value = "";
    } catch (e) { showError(e.message); }
  });

  refreshSessions();
  setInterval(refreshSessions, 2000);
  setInterval(refreshChat, 1500);
})();
