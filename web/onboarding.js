// Onboarding page: keeps the token out of the address bar, then shows where the
// salon's onboarding stands by polling /marketplace/api/progress.
(function () {
  "use strict";

  const params = new URLSearchParams(window.location.search);
  const token = params.get("token") || sessionStorage.getItem("aiAdminToken");
  if (params.get("token")) {
    sessionStorage.setItem("aiAdminToken", token);
    // The token stays in this tab only; bookmarks and screenshots do not carry it.
    history.replaceState(null, "", window.location.pathname);
  }

  const STEP_ORDER = ["whatsapp", "activating", "syncing", "ready"];
  const STEP_OF_WORKFLOW = {
    waiting_for_whatsapp: "whatsapp",
    whatsapp_connected: "activating",
  };
  const STATUS_TEXT = {
    waiting_for_whatsapp: "Ожидаем подключения WhatsApp салона.",
    whatsapp_connected: "WhatsApp подключён. Активируем интеграцию…",
  };

  const el = (id) => document.getElementById(id);

  function showError(message) {
    const box = el("error");
    box.textContent = message;
    box.hidden = !message;
  }

  function render(data) {
    const progress = data.progress;
    const link = el("workflow-link");
    if (data.workflow_url) {
      link.href = data.workflow_url;
      link.hidden = false;
    }
    if (!progress) {
      el("status-text").textContent = "Подключение ещё не начато. Откройте приложение из маркетплейса YClients.";
      return;
    }
    const current = STEP_OF_WORKFLOW[progress.step] || "whatsapp";
    const currentIndex = STEP_ORDER.indexOf(current);
    document.querySelectorAll("#steps li").forEach((li) => {
      const index = STEP_ORDER.indexOf(li.dataset.step);
      li.classList.toggle("done", index < currentIndex);
      li.classList.toggle("current", index === currentIndex && progress.status !== "expired");
      li.classList.toggle("failed", index === currentIndex && progress.status === "expired");
    });
    el("progress-fill").style.width = progress.percent + "%";
    document.querySelector(".bar").setAttribute("aria-valuenow", String(progress.percent));
    el("status-text").textContent =
      progress.status === "expired"
        ? "Время подключения истекло. Откройте приложение из маркетплейса YClients ещё раз."
        : STATUS_TEXT[progress.step] || "Подключение продолжается…";
  }

  async function poll() {
    if (!token) {
      showError("Ссылка подключения неполная. Откройте приложение из маркетплейса YClients ещё раз.");
      return;
    }
    try {
      const response = await fetch("/marketplace/api/progress", {
        headers: { Authorization: "Bearer " + token },
      });
      const data = await response.json().catch(() => ({}));
      if (response.status === 401) {
        showError(data.error || "Ссылка подключения недействительна.");
        return; // A new link is needed; polling cannot fix that.
      }
      if (!response.ok) {
        showError(data.error || "Сервис временно недоступен, пробуем снова…");
      } else {
        showError("");
        render(data);
      }
    } catch (_) {
      showError("Нет связи с сервером, пробуем снова…");
    }
    setTimeout(poll, 3000);
  }

  poll();
})();
