// The owner's console. Holds its session token in sessionStorage (YClients may open
// the console in a frame, where cookies do not work) and reads everything from
// /console/api/*. A one-time code in the URL is traded for a session and dropped from
// the address bar at once.
(function () {
  "use strict";

  const TOKEN_KEY = "ai-admin-console-token";
  // The live channel says when to read again; the slow refresh only covers a socket
  // that is down.
  const REFRESH_MS = 30000;
  const root = document.getElementById("console");
  const $ = (id) => document.getElementById(id);
  let openConversation = null;
  // Times are shown in the salon's own zone, wherever the owner's browser is.
  let salonZone;
  let phoneShown = false;

  const STATUS_NAMES = {
    active: "Работает", frozen: "Приостановлена (нет оплаты)", activating: "Активируется",
    pending_whatsapp: "Ждёт WhatsApp", activation_failed: "Активация не удалась",
    uninstalled: "Приложение отключено",
  };
  const WHATSAPP_NAMES = {
    connected: "Подключён", connecting: "Подключается…", awaiting_link: "Ждёт привязки телефона",
    logged_out: "Отключён на телефоне", suspended: "Остановлен WhatsApp",
  };
  const STATE_NAMES = {
    handoff: "ждёт администратора", salon: "отвечает салон", booked: "записан",
    moved: "перенесено", cancelled: "отменено", asked: "бот ответил", new: "новый",
  };
  const FROM_NAMES = { client: "клиент", bot: "бот", salon: "администратор" };
  const PART_NAMES = {
    services: "услуги", staff: "мастера", clients: "клиенты", visits: "визиты",
    schedules: "расписание", schedules_today: "расписание на сегодня", company: "салон",
    bookings: "записи",
  };
  const RESULT_ROWS = [
    ["messages_answered", "Отвечено сообщений"],
    ["median_answer_seconds", "Медиана ответа, с"],
    ["bookings", "Записей ботом"],
    ["bookings_value", "На сумму, ₽"],
    ["moves", "Переносов"],
    ["cancellations", "Отмен"],
    ["reminders_sent", "Напоминаний"],
    ["reminders_confirmed", "Подтверждено визитов"],
    ["handoffs", "Передано администратору"],
  ];

  function when(at) {
    if (!at) return "—";
    return new Date(at).toLocaleString("ru-RU", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: salonZone });
  }

  function text(el, value) { el.textContent = value == null ? "" : String(value); return el; }

  function reenter(detail) {
    sessionStorage.removeItem(TOKEN_KEY);
    root.dataset.state = "reenter";
    $("reenter").hidden = false;
    if (detail) text($("reenter-detail"), detail);
    $("tabs").hidden = true;
    $("logout").hidden = true;
    document.querySelectorAll(".tab").forEach((tab) => { tab.hidden = true; });
  }

  async function api(path, options) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) { reenter(); throw new Error("no session"); }
    const init = Object.assign({ headers: {} }, options || {});
    init.headers = Object.assign({ Authorization: "Bearer " + token }, init.headers);
    const response = await fetch(path, init);
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) { reenter(body.error); throw new Error("session over"); }
    if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
    return body;
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    const code = params.get("code");
    if (code) {
      // The code works once: drop it from the address bar before anything else.
      history.replaceState(null, "", location.pathname);
      const response = await fetch("/console/api/session", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: code }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) { reenter(body.error); return; }
      sessionStorage.setItem(TOKEN_KEY, body.token);
    }
    if (!sessionStorage.getItem(TOKEN_KEY)) { reenter(); return; }
    $("tabs").hidden = false;
    $("logout").hidden = false;
    showTab("status");
    await refresh();
    await loadLocations().catch(() => {});
    root.dataset.state = "ready";
    // One refresh at a time: the next is planned when this one is over.
    const again = () => setTimeout(() => {
      const read = root.dataset.live === "on" ? Promise.resolve() : refresh();
      read.catch(() => {}).finally(again);
    }, REFRESH_MS);
    again();
    listen();
  }

  // The live channel (/marketplace/ws, the console's session as the auth frame): a
  // `conversation` event means something changed; read again, one read at a time.
  let reading = null;
  let readAgain = false;
  function readSoon() {
    if (reading) { readAgain = true; return; }
    reading = refresh().catch(() => {}).finally(() => {
      reading = null;
      if (readAgain) { readAgain = false; readSoon(); }
    });
  }

  let retryMs = 2000;
  function listen() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token || root.dataset.state === "reenter") return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/marketplace/ws");
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ event: "auth", data: { token: token } }));
    });
    let opened = 0;
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (_) { return; }
      if (frame.event === "conversation") {
        if (!opened) opened = Date.now();
        root.dataset.live = "on";
        readSoon();
      } else if (frame.event.startsWith("whatsapp-")) {
        refresh(true).catch(() => {});
      }
    });
    socket.addEventListener("close", (event) => {
      root.dataset.live = "off";
      // A socket that lived a while starts the backoff afresh; one that keeps dropping
      // waits longer each time (the server allows a few connections a minute per
      // address), with jitter so tabs do not reconnect in step.
      if (opened && Date.now() - opened > 60000) retryMs = 2000;
      // A refused session: the read shows the re-enter screen, and listen() then stops.
      if (event.code === 4401) readSoon();
      setTimeout(listen, retryMs + Math.random() * 1000);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }

  function showTab(name) {
    document.querySelectorAll("#tabs button").forEach((button) => {
      button.setAttribute("aria-selected", String(button.dataset.tab === name));
    });
    document.querySelectorAll(".tab").forEach((tab) => { tab.hidden = tab.id !== "tab-" + name; });
  }

  // The status and results change slowly: read every fifth refresh (and after a save).
  let refreshes = 0;
  async function refresh(withOverview) {
    const overviewDue = withOverview || refreshes % 5 === 0;
    refreshes += 1;
    const [overview, list, handoffs] = await Promise.all([
      overviewDue ? api("/console/api/overview") : null,
      api("/console/api/conversations"), api("/console/api/handoffs"),
    ]);
    if (overview) renderOverview(overview);
    renderList($("conversation-list"), list.conversations, $("conversations-empty"));
    renderHandoffs(handoffs.clients);
    if (openConversation != null) await loadTranscript(openConversation);
  }

  // An owner with several locations switches between them: a session of the chosen
  // salon replaces this one, and the page starts over with it.
  async function loadLocations() {
    const answer = await api("/console/api/salons");
    const salons = answer.salons || [];
    if (salons.length < 2) return;
    const select = $("locations");
    select.replaceChildren(...salons.map((salon) => {
      const option = document.createElement("option");
      option.value = String(salon.salon_id);
      option.selected = !!salon.current;
      return text(option, salon.title || ("Салон " + salon.salon_id));
    }));
    $("locations-box").hidden = false;
    select.onchange = async () => {
      const switched = await api("/console/api/salons/" + encodeURIComponent(select.value) + "/session", { method: "POST" });
      sessionStorage.setItem(TOKEN_KEY, switched.token);
      location.reload();
    };
  }

  const SUBSCRIPTION_NAMES = { trial: "Пробный период", paid: "Оплачена", unpaid: "Не оплачена" };

  function renderSubscription(subscription) {
    if (!subscription) { text($("status-subscription"), "—"); return; }
    const amount = subscription.price ? Number(subscription.price).toLocaleString("ru-RU") : "";
    const currency = subscription.currency === "RUB" ? "₽" : (subscription.currency || "");
    const price = amount ? " · " + amount + " " + currency + " в месяц" : "";
    const until = subscription.state === "paid" ? " до " + when(subscription.paid_until)
      : subscription.state === "trial" ? " до " + when(subscription.trial_ends_at) : "";
    text($("status-subscription"), (SUBSCRIPTION_NAMES[subscription.state] || subscription.state) + until + " · тариф «" + subscription.tariff + "»" + price)
      .className = subscription.state === "unpaid" ? "problem" : "ok";
  }

  function renderOverview(overview) {
    salonZone = overview.salon.timezone || undefined;
    text($("salon-title"), overview.salon.title);
    document.title = "AI Admin — " + overview.salon.title;
    const integration = overview.salon.integration_status;
    text($("status-integration"), STATUS_NAMES[integration] || integration).className = integration === "active" ? "ok" : "problem";
    const wa = overview.whatsapp;
    const phone = wa.phone ? " · +" + wa.phone : "";
    text($("status-whatsapp"), (WHATSAPP_NAMES[wa.status] || wa.status) + phone).className = wa.status === "connected" ? "ok" : "problem";
    $("relink").hidden = wa.status === "connected" || wa.status === "connecting";
    text($("status-last-answer"), when(wa.last_answer_at));
    const botText = !overview.bot_enabled ? "Выключен" : overview.bot_answering_now ? "Отвечает" : "Вне часов работы";
    text($("status-bot"), botText).className = overview.bot_answering_now ? "ok" : "problem";
    const llm = overview.llm;
    const llmText = llm.state === "ok" ? "Отвечает" : llm.state === "problem" ? "Недоступна" + (llm.detail ? ": " + llm.detail : "") : "Нет данных";
    text($("status-llm"), llmText).className = llm.state === "problem" ? "problem" : llm.state === "ok" ? "ok" : "";
    text($("status-last-sync"), when(overview.sync.last_at));
    const next = $("status-next-syncs");
    next.replaceChildren(...overview.sync.next.slice(0, 4).map((sync) => {
      const li = document.createElement("li");
      return text(li, (PART_NAMES[sync.part] || sync.part) + ": " + (sync.paused ? "на паузе" : when(sync.next_at)));
    }));
    renderResults(overview.results);
    renderSubscription(overview.subscription);
  }

  function renderResults(results) {
    const body = document.querySelector("#results tbody");
    body.replaceChildren(...RESULT_ROWS.map(([key, name]) => {
      const tr = document.createElement("tr");
      tr.dataset.key = key;
      const cells = [name].concat(["today", "week", "month"].map((period) => {
        const value = results[period][key];
        return value == null ? "—" : key === "median_answer_seconds" ? value.toFixed(1) : Math.round(value).toLocaleString("ru-RU");
      }));
      cells.forEach((cell) => tr.appendChild(text(document.createElement("td"), cell)));
      return tr;
    }));
    $("results-chart").replaceChildren(chart(results));
  }

  // A small bar chart of the 30 days' main figures, drawn as SVG (no chart library).
  function chart(results) {
    const NS = "http://www.w3.org/2000/svg";
    const keys = [["messages_answered", "ответы"], ["bookings", "записи"], ["moves", "переносы"], ["cancellations", "отмены"], ["handoffs", "передачи"]];
    const max = Math.max(1, ...keys.map(([key]) => results.month[key] || 0));
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 500 170");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Итоги за 30 дней");
    keys.forEach(([key, label], i) => {
      const value = results.month[key] || 0;
      const height = Math.round((value / max) * 120);
      const bar = document.createElementNS(NS, "rect");
      bar.setAttribute("x", String(20 + i * 95)); bar.setAttribute("width", "60");
      bar.setAttribute("y", String(135 - height)); bar.setAttribute("height", String(height));
      bar.setAttribute("fill", "#1f9d55");
      const caption = document.createElementNS(NS, "text");
      caption.setAttribute("x", String(50 + i * 95)); caption.setAttribute("y", "155");
      caption.setAttribute("text-anchor", "middle"); caption.setAttribute("font-size", "13");
      caption.textContent = label;
      const number = document.createElementNS(NS, "text");
      number.setAttribute("x", String(50 + i * 95)); number.setAttribute("y", String(130 - height));
      number.setAttribute("text-anchor", "middle"); number.setAttribute("font-size", "13");
      number.textContent = String(value);
      svg.append(bar, caption, number);
    });
    return svg;
  }

  function renderList(list, conversations, empty) {
    empty.hidden = conversations.length > 0;
    list.replaceChildren(...conversations.map((c) => {
      const li = document.createElement("li");
      li.dataset.id = c.id;
      li.dataset.state = c.state;
      if (c.id === openConversation) li.className = "open";
      const who = text(document.createElement("div"), (c.name || "Клиент") + " · " + c.phone_masked);
      who.className = "who";
      const state = text(document.createElement("span"), STATE_NAMES[c.state] || c.state);
      state.className = "state " + c.state;
      who.appendChild(state);
      const last = text(document.createElement("div"), (c.last_from ? FROM_NAMES[c.last_from] + ": " : "") + (c.last_message || ""));
      last.className = "last";
      li.append(who, last);
      li.addEventListener("click", () => { phoneShown = false; openChat(c.id); });
      return li;
    }));
  }

  function renderHandoffs(clients) {
    const count = $("handoff-count");
    count.hidden = clients.length === 0;
    text(count, clients.length);
    $("handoffs-empty").hidden = clients.length > 0;
    $("handoff-list").replaceChildren(...clients.map((client) => {
      const li = document.createElement("li");
      li.dataset.id = client.id;
      const who = text(document.createElement("div"), (client.client_name || "Клиент") + " · ждёт с " + when(client.since));
      who.className = "who";
      const why = text(document.createElement("div"), client.reason || "");
      why.className = "last";
      li.append(who, why);
      li.addEventListener("click", () => { showTab("conversations"); openChat(client.id); });
      return li;
    }));
  }

  async function openChat(id) {
    openConversation = id;
    $("chat-pane").hidden = false;
    document.querySelectorAll("#conversation-list li").forEach((li) => {
      li.classList.toggle("open", Number(li.dataset.id) === id);
    });
    await loadTranscript(id);
  }

  async function loadTranscript(id) {
    const chat = await api("/console/api/conversations/" + id);
    if (openConversation !== id) return;
    $("chat-pane").dataset.id = id;
    text($("chat-name"), chat.name || "Клиент");
    text($("chat-phone"), phoneShown ? "+" + chat.phone : chat.phone_masked + " (показать)");
    $("chat-phone").onclick = () => { phoneShown = true; text($("chat-phone"), "+" + chat.phone); };
    text($("chat-state"), STATE_NAMES[chat.state] || chat.state).className = "state " + chat.state;
    $("release").hidden = !(chat.state === "handoff" || chat.state === "salon");
    const transcript = $("transcript");
    const atBottom = transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 10;
    transcript.replaceChildren(...chat.messages.map((message) => {
      const li = text(document.createElement("li"), message.text);
      li.className = message.from;
      const meta = text(document.createElement("span"), FROM_NAMES[message.from] + " · " + when(message.at) + (message.pending ? " · не отправлено" : ""));
      meta.className = "meta";
      li.appendChild(meta);
      if (message.commands && message.commands.length) {
        const commands = document.createElement("ul");
        commands.className = "commands";
        message.commands.forEach((command) => {
          const item = text(document.createElement("li"), command.command + ": " + (command.summary || ""));
          if (!command.ok) item.className = "failed";
          commands.appendChild(item);
        });
        li.appendChild(commands);
      }
      return li;
    }));
    if (atBottom) transcript.scrollTop = transcript.scrollHeight;
  }

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // One key per message typed: a resend after a failure cannot send it twice.
  let pendingKey = null;
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = $("reply-text");
    const message = field.value.trim();
    if (!message || openConversation == null) return;
    pendingKey = pendingKey || newKey();
    $("reply-error").hidden = true;
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("/console/api/conversations/" + openConversation + "/reply", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": pendingKey },
        body: JSON.stringify({ text: message }),
      });
      field.value = "";
      pendingKey = null;
      await refresh();
    } catch (error) {
      text($("reply-error"), error.message).hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  $("reply-text").addEventListener("input", () => { pendingKey = null; });

  $("release").addEventListener("click", async () => {
    if (openConversation == null) return;
    await api("/console/api/conversations/" + openConversation + "/release", { method: "POST" });
    await refresh();
  });

  // Settings: filled from the API when the tab opens; the reminders and the synonyms
  // are sent only when edited (so saving the bot's switch keeps the deployment's
  // reminder times and the seeded synonyms as they are).
  let loaded = { reminders: "", synonyms: "" };
  async function loadSettings() {
    const { settings } = await api("/console/api/settings");
    $("set-bot-enabled").checked = settings.bot_enabled;
    $("set-off-reply").value = settings.off_reply || "";
    const hours = settings.answer_hours;
    $("set-hours-on").checked = hours != null;
    document.querySelectorAll("#set-days input").forEach((box) => {
      box.checked = hours != null && (hours.days.length === 0 || hours.days.includes(Number(box.value)));
    });
    if (hours) { $("set-from").value = hours.from; $("set-to").value = hours.to; }
    $("set-outside-reply").value = settings.outside_hours_reply || "";
    $("set-reminders").value = settings.reminder_offsets.join(", ");
    $("set-welcome").value = settings.welcome_text || "";
    $(settings.tone.address === "ты" ? "set-address-ty" : "set-address-vy").checked = true;
    $("set-emoji").checked = settings.tone.emoji;
    $("set-facts").value = settings.facts || "";
    $("set-synonyms").value = settings.synonyms.map((s) => s.said + " = " + s.stands_for).join("\n");
    loaded = { reminders: $("set-reminders").value, synonyms: $("set-synonyms").value };
  }

  $("settings-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("settings-saved").hidden = true;
    $("settings-error").hidden = true;
    const days = Array.from(document.querySelectorAll("#set-days input:checked"), (box) => Number(box.value));
    if ($("set-hours-on").checked && days.length === 0) {
      text($("settings-error"), "Отметьте дни, когда бот отвечает").hidden = false;
      return;
    }
    const lines = $("set-synonyms").value.split("\n").map((line) => line.trim()).filter(Boolean);
    const odd = lines.find((line) => line.split("=").length !== 2);
    if (odd) {
      text($("settings-error"), "Синонимы: «" + odd + "» — нужно «слово = услуга»").hidden = false;
      return;
    }
    const synonyms = lines.map((line) => line.split("="))
      .map(([said, standsFor]) => ({ said: said.trim(), stands_for: standsFor.trim() }));
    const body = {
      bot_enabled: $("set-bot-enabled").checked,
      off_reply: $("set-off-reply").value,
      answer_hours: $("set-hours-on").checked ? { days: days, from: $("set-from").value, to: $("set-to").value } : null,
      outside_hours_reply: $("set-outside-reply").value,
      welcome_text: $("set-welcome").value,
      tone: { address: $("set-address-ty").checked ? "ты" : "вы", emoji: $("set-emoji").checked },
      facts: $("set-facts").value,
    };
    if ($("set-reminders").value !== loaded.reminders) {
      const offsets = $("set-reminders").value.split(",").map((item) => item.trim()).filter(Boolean);
      body.reminder_offsets = offsets.length ? offsets : null;
    }
    if ($("set-synonyms").value !== loaded.synonyms) body.synonyms = synonyms;
    try {
      await api("/console/api/settings", {
        method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      $("settings-saved").hidden = false;
      await loadSettings();
      await refresh(true);
    } catch (error) {
      text($("settings-error"), error.message).hidden = false;
    }
  });

  $("relink").addEventListener("click", async () => {
    const link = await api("/console/api/whatsapp/link", { method: "POST" });
    location.assign(link.url);
  });

  $("logout").addEventListener("click", async () => {
    await api("/console/api/session", { method: "DELETE" }).catch(() => {});
    reenter("Вы вышли. Чтобы вернуться, откройте AI Admin из личного кабинета YClients.");
  });

  document.querySelectorAll("#tabs button").forEach((button) => {
    button.addEventListener("click", () => {
      showTab(button.dataset.tab);
      if (button.dataset.tab === "settings") loadSettings().catch(() => {});
    });
  });

  start().catch((error) => {
    if (root.dataset.state !== "reenter") { root.dataset.state = "error"; text($("salon-title"), "Ошибка: " + error.message); }
  });
})();
