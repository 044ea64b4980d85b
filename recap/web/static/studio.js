// Shared helpers for the studio's pages (plain JS, no build step, no dependencies).
"use strict";

const studio = {
  csrf: document.querySelector('meta[name="csrf-token"]').content,

  // JSON request to the studio's API; rejects with the server's one-line message.
  async api(method, url, body) {
    const init = { method, headers: { "X-CSRF-Token": studio.csrf } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return data;
  },

  // The form's settings fields, without empty ones.
  settings(form) {
    const out = {};
    for (const name of ["llm_base_url", "llm_model", "whisper_model", "prompts", "format", "template"]) {
      const field = form.elements[name];
      if (field && field.value.trim()) out[name] = field.value.trim();
    }
    return out;
  },

  clock(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
  },

  // Element with text content only: untrusted text never becomes HTML.
  el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  },

  // Follow a run's server-sent events; `on(event)` for each, resolves with the `end` event.
  follow(runId, on) {
    return new Promise((resolve) => {
      const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
      source.onmessage = (message) => {
        const event = JSON.parse(message.data);
        on(event);
        if (event.type === "end") { source.close(); resolve(event); }
      };
    });
  },
};
