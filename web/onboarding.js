// Onboarding page: links the salon's WhatsApp (QR code or pairing code) over the live
// channel (/marketplace/ws) and shows every onboarding step as it happens. When the
// socket is down it reconnects with backoff and meanwhile polls the REST status.
(function () {
  "use strict";

  const params = new URLSearchParams(window.location.search);
  const token = params.get("token") || sessionStorage.getItem("aiAdminToken");
  if (params.get("token")) {
    sessionStorage.setItem("aiAdminToken", token);
    // The token stays in this tab only; bookmarks and screenshots do not carry it.
    history.replaceState(null, "", window.location.pathname);
  }

  const root = document.getElementById("onboarding");
  const sessionId = "company_" + root.dataset.salonId;
  const el = (id) => document.getElementById(id);

  // Steps of every workflow, in the order the owner sees them.
  const STEP_ORDER = ["linked", "activating", "syncing", "ready"];
  const STEP_OF = {
    waiting_for_whatsapp: "linked",
    whatsapp_connected: "activating",
    activating: "activating",
    activated: "syncing",
    syncing: "syncing",
    synced: "ready",
    welcome: "ready",
    ready: "ready",
  };
  const FATAL_ERRORS = ["invalid_token", "missing_token", "unknown_salon", "token_expired"];

  let socket = null;
  let failures = 0;
  let finished = false; // no reconnects once the link can no longer work
  let connected = false;
  let pollTimer = null;
  let qrTimer = null;
  let pairingTimer = null;
  let errorTimer = null;
  let highestPercent = 0; // parts of the sync finish in any order: the bar only grows
  // An installed salon (active, frozen) is ready; linking its WhatsApp again (after a
  // logout on the phone) does not activate anything again.
  let installed = false;
  let frozen = false; // installed, but the subscription is paused: the bot is silent

  function showError(message, sticky) {
    const box = el("error");
    box.textContent = message || "";
    box.hidden = !message;
    clearTimeout(errorTimer);
    if (message && !sticky) errorTimer = setTimeout(() => showError(""), 8000);
  }

  function showNotice(message) {
    el("connection-notice").textContent = message || "";
    el("connection-notice").hidden = !message;
  }

  function stopForGood(message) {
    finished = true;
    root.dataset.state = "failed";
    stopPolling();
    showError(message, true);
    if (socket) socket.close();
  }

  // --- progress ---------------------------------------------------------------
  // The first sync reports its own 0–100; on the page it fills the 60–90 stretch.
  function onboardingScale(progress) {
    if (progress.workflow !== "sync") return progress;
    return Object.assign({}, progress, {
      step: "syncing",
      status: "in_progress",
      percent: 60 + Math.round((progress.percent || 0) * 0.3),
    });
  }

  function showActivationFailure(reason) {
    el("activation-failed").hidden = false;
    el("activation-error").textContent = reason || "";
    el("activation-retry").disabled = false;
  }

  function renderProgress(raw) {
    if (!raw) return;
    const progress = onboardingScale(raw);
    const current = STEP_OF[progress.step] || "linked";
    let index = STEP_ORDER.indexOf(current);
    const done = progress.step === "ready" && progress.status === "completed";
    if (done) index = STEP_ORDER.length;
    document.querySelectorAll("#steps li").forEach((li) => {
      const i = STEP_ORDER.indexOf(li.dataset.step);
      const failed = i === index && (progress.status === "failed" || progress.status === "expired");
      li.classList.toggle("done", i < index);
      li.classList.toggle("current", i === index && !failed);
      li.classList.toggle("failed", failed);
    });
    highestPercent = Math.max(highestPercent, progress.percent || 0);
    el("progress-fill").style.width = highestPercent + "%";
    document.querySelector(".bar").setAttribute("aria-valuenow", String(highestPercent));
    el("progress-detail").textContent = progress.detail || "";
    if (progress.status === "expired") {
      stopForGood("Время подключения истекло. Откройте приложение из маркетплейса YClients ещё раз.");
    }
    if (progress.step === "activating" && progress.status === "failed") {
      showActivationFailure(progress.detail);
    } else if (progress.step !== "activating" || progress.status === "in_progress") {
      el("activation-failed").hidden = true;
    }
    if (done) showReady();
  }

  // Ready, unless the salon's WhatsApp needs linking again first.
  function showReady() {
    el("connected-panel").hidden = true;
    const relink = installed && !connected;
    root.dataset.state = relink ? "relink" : "ready";
    el("ready-panel").hidden = relink;
    el("relink-panel").hidden = !relink;
    el("ready-title").textContent = frozen
      ? "Подключено — подписка приостановлена"
      : "Готово — бот работает ✓";
  }

  async function retryActivation() {
    el("activation-retry").disabled = true;
    el("activation-failed").hidden = true;
    renderProgress({ step: "activating", percent: 35, status: "in_progress" });
    try {
      const response = await fetch("/marketplace/activate", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: token }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.status === 401) { stopForGood(body.error || "Ссылка подключения недействительна."); return; }
      if (!response.ok && response.status !== 202) showActivationFailure(body.message || body.error);
    } catch (_) {
      showActivationFailure("Нет связи с сервером, попробуйте ещё раз");
    }
  }

  // --- linking ----------------------------------------------------------------
  function countdown(spanId, seconds, onZero, previous) {
    clearInterval(previous);
    let left = Math.max(0, Math.round(seconds));
    el(spanId).textContent = String(left);
    const timer = setInterval(() => {
      left -= 1;
      el(spanId).textContent = String(Math.max(0, left));
      if (left <= 0) {
        clearInterval(timer);
        if (onZero) onZero();
      }
    }, 1000);
    return timer;
  }

  function send(event, data) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ event: event, data: data || {} }));
      return true;
    }
    return false;
  }

  function showQr(data) {
    const img = el("qr-image");
    img.src = data.qr;
    img.hidden = false;
    el("qr-placeholder").hidden = true;
    // The server pushes the next code itself; ask only if none came in time.
    qrTimer = countdown("qr-countdown", data.expiresIn, () => {
      setTimeout(() => { if (!connected && !send("request-qr")) requestQrByRest(); }, 2000);
    }, qrTimer);
  }

  function showPairingCode(data) {
    el("pairing-result").hidden = false;
    el("pairing-code").textContent = data.code;
    el("pairing-submit").disabled = false;
    pairingTimer = countdown("pairing-countdown", data.expiresIn, null, pairingTimer);
  }

  function showConnected(phone) {
    if (connected) return;
    connected = true;
    root.dataset.state = "connected";
    clearInterval(qrTimer);
    clearInterval(pairingTimer);
    el("link-panel").hidden = true;
    el("connected-panel").hidden = false;
    el("connected-phone").textContent = phone ? "+" + phone : "";
    if (installed) renderProgress({ step: "ready", percent: 100, status: "completed" });
    else renderProgress({ step: "whatsapp_connected", percent: 25, status: "in_progress" });
  }

  function showLinking() {
    connected = false;
    root.dataset.state = installed ? "relink" : "linking";
    el("link-panel").hidden = false;
    el("connected-panel").hidden = true;
    if (installed) showReady();
  }

  // WhatsApp stopped the session; the service starts it again when WhatsApp allows.
  function showSuspended(data) {
    const why = {
      replaced: "WhatsApp открыт на другом устройстве с теми же ключами",
      banned: "WhatsApp временно ограничил номер",
      outdated: "WhatsApp просит обновить клиент",
      connect_failure: "WhatsApp отказал в подключении",
      logged_out: "устройство отвязано в WhatsApp",
    }[data.reason] || "WhatsApp остановил сессию";
    const until = data.until ? " до " + new Date(data.until * 1000).toLocaleString("ru-RU") : "";
    const next = data.reason === "logged_out"
      ? " Подключите WhatsApp заново."
      : " Подключение восстановится само" + until + ".";
    showError(why + "." + next, true);
  }

  function selectTab(which) {
    const qr = which === "qr";
    el("tab-qr").setAttribute("aria-selected", String(qr));
    el("tab-code").setAttribute("aria-selected", String(!qr));
    el("panel-qr").hidden = !qr;
    el("panel-code").hidden = qr;
  }

  // --- live channel -------------------------------------------------------------
  function onFrame(frame) {
    const data = frame.data || {};
    switch (frame.event) {
      case "qr-update": showQr(data); break;
      case "pairing-code": showPairingCode(data); break;
      case "whatsapp-connected": showConnected(data.phone); break;
      case "whatsapp-logged-out": showLinking(); send("request-qr"); break;
      case "whatsapp-suspended": showSuspended(data); break;
      case "progress": renderProgress(data); break;
      case "error":
        el("pairing-submit").disabled = false;
        if (FATAL_ERRORS.indexOf(data.code) >= 0) stopForGood(data.message);
        else showError(data.message);
        break;
      default: break;
    }
  }

  function connect() {
    if (finished) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + window.location.host + "/marketplace/ws");
    socket.onopen = () => {
      socket.send(JSON.stringify({ event: "auth", data: { token: token } }));
      failures = 0;
      showNotice("");
      stopPolling();
    };
    socket.onmessage = (message) => {
      try { onFrame(JSON.parse(message.data)); } catch (_) { /* ignore a malformed frame */ }
    };
    socket.onclose = (event) => {
      socket = null;
      if (finished) return;
      if (event.code === 4401) {
        stopForGood(el("error").textContent || "Ссылка подключения недействительна.");
        return;
      }
      failures += 1;
      showNotice(failures >= 3
        ? "Не удаётся связаться с сервером (возможно, слишком много попыток). Проверяем статус каждые 3 секунды…"
        : "Связь с сервером потеряна, переподключаемся…");
      startPolling();
      setTimeout(connect, Math.min(15000, 1000 * Math.pow(2, failures - 1)));
    };
  }

  // --- REST fallback ------------------------------------------------------------
  async function api(path, options) {
    const response = await fetch(path, Object.assign({
      headers: { Authorization: "Bearer " + token },
    }, options || {}));
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      stopForGood(body.error || "Ссылка подключения недействительна.");
      throw new Error("unauthorized");
    }
    if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
    return body;
  }

  async function requestQrByRest() {
    try { showQr({ qr: (await api("/marketplace/api/qr", { method: "POST" })).qr, expiresIn: 20 }); }
    catch (_) { /* the next poll or reconnect tries again */ }
  }

  async function loadProgress() {
    try {
      const body = await api("/marketplace/api/progress");
      frozen = body.integration_status === "frozen";
      installed = body.integration_status === "active" || frozen;
      if (body.whatsapp_connected) showConnected();
      else if (installed) showLinking();
      renderProgress(body.progress);
      renderLocations(body.locations || []);
    } catch (_) { /* shown by api() when it matters */ }
  }

  // A multi-location grant: the other salons YClients listed, each connected on its own
  // page (its own WhatsApp number), entered with this page's token.
  function renderLocations(locations) {
    const box = el("locations-panel");
    if (!locations.length) { box.hidden = true; return; }
    el("locations").replaceChildren(...locations.map((location) => {
      const li = document.createElement("li");
      const name = location.title || ("Салон " + location.salon_id);
      const installed = location.integration_status === "active" || location.integration_status === "frozen";
      if (location.theirs && !installed) {
        // Started from its own card already: continue here.
        const link = document.createElement("a");
        link.href = "/auth/yclients/location?token=" + encodeURIComponent(token) +
          "&salon_id=" + encodeURIComponent(location.salon_id);
        link.textContent = name + " — продолжить подключение";
        li.append(link);
      } else if (installed) {
        li.textContent = name + " — подключён, переключайтесь в консоли салона";
      } else {
        li.textContent = name + " — откройте AI Admin из карточки этого филиала в YClients";
      }
      return li;
    }));
    box.hidden = false;
  }

  async function poll() {
    try {
      const status = await api("/marketplace/api/status/" + sessionId);
      if (status.connected) showConnected();
      await loadProgress();
    } catch (_) { /* keep polling */ }
  }

  function startPolling() {
    if (!pollTimer && !finished) pollTimer = setInterval(poll, 3000);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  // --- wiring -------------------------------------------------------------------
  el("activation-retry").addEventListener("click", retryActivation);
  el("tab-qr").addEventListener("click", () => selectTab("qr"));
  el("tab-code").addEventListener("click", () => selectTab("code"));
  el("qr-refresh").addEventListener("click", () => { if (!send("request-qr")) requestQrByRest(); });
  el("pairing-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const phone = el("phone").value.trim();
    if (!/^[+\d\s()-]{10,20}$/.test(phone)) {
      showError("Введите номер в международном формате, например 79001234567");
      return;
    }
    el("pairing-submit").disabled = true;
    if (!send("request-pairing-code", { phoneNumber: phone })) {
      el("pairing-submit").disabled = false;
      showError("Нет связи с сервером, попробуйте через несколько секунд");
    }
  });
  el("pairing-copy").addEventListener("click", async () => {
    const code = el("pairing-code").textContent;
    try { await navigator.clipboard.writeText(code); el("pairing-copy").textContent = "Скопировано ✓"; }
    catch (_) {
      const range = document.createRange();
      range.selectNodeContents(el("pairing-code"));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    }
  });

  if (!token) {
    stopForGood("Ссылка подключения неполная. Откройте приложение из маркетплейса YClients ещё раз.");
    return;
  }
  loadProgress();
  connect();
})();
