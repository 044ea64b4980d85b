// The start page: start a draft, watch it work, list the episodes.
"use strict";

(() => {
  const form = document.getElementById("start-form");
  const message = document.getElementById("message");
  const progress = document.getElementById("progress");
  const stages = document.getElementById("stages");
  const entries = document.getElementById("entries");
  const plan = document.getElementById("plan");
  const STAGES = ["fetch", "transcribe", "chunk", "notes", "write"];
  let runId = null;
  let planSource = null;

  function say(text, isError) {
    message.hidden = !text;
    message.textContent = text || "";
    message.classList.toggle("error", Boolean(isError));
  }

  function resetProgress(title) {
    progress.hidden = false;
    document.getElementById("progress-title").textContent = title;
    document.getElementById("progress-end").textContent = "";
    document.getElementById("open-review").hidden = true;
    document.getElementById("cancel").hidden = false;
    stages.replaceChildren();
    entries.replaceChildren();
    for (const name of STAGES) {
      const li = studio.el("li", null, "stage pending");
      li.dataset.stage = name;
      li.append(studio.el("span", name, "name"), studio.el("span", "waiting", "status"));
      const bar = document.createElement("progress");
      bar.max = 1; bar.value = 0;
      li.append(bar);
      stages.append(li);
    }
  }

  function onEvent(event) {
    if (event.type === "stage" || event.type === "progress") {
      const li = stages.querySelector(`li[data-stage="${event.stage}"]`);
      if (!li) return;
      if (event.type === "stage") {
        li.className = `stage ${event.status}`;
        li.querySelector(".status").textContent = event.detail ? `${event.status}: ${event.detail}` : event.status;
        if (event.status !== "running") { li.querySelector("progress").value = 1; refreshEpisodes(); }
      } else if (event.total) {
        const bar = li.querySelector("progress");
        bar.value = Math.min(1, event.done / event.total);
        li.querySelector(".status").textContent = `${Math.round(100 * bar.value)}%`;
      }
    } else if (event.type === "episode") {
      const link = document.getElementById("open-review");
      link.href = `/episodes/${encodeURIComponent(event.slug)}`;
      link.hidden = false;
    } else if (event.type === "entry") {
      let li = entries.querySelector(`li[data-index="${event.index}"]`);
      if (!li) { li = studio.el("li"); li.dataset.index = event.index; entries.append(li); }
      li.textContent = `${event.title}: ${event.status}${event.stage ? " (" + event.stage + ")" : ""}${event.error ? " — " + event.error : ""}`;
    } else if (event.type === "message") {
      say(event.text, false);
    } else if (event.type === "end") {
      document.getElementById("cancel").hidden = true;
      const end = document.getElementById("progress-end");
      end.textContent = event.state === "done" ? "Done." : `${event.state}: ${event.error || ""}`;
      end.className = `end ${event.state}`;
      refreshEpisodes();
    }
  }

  async function follow(id, title) {
    runId = id;
    resetProgress(title);
    await studio.follow(id, onEvent);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    say("");
    plan.hidden = true;
    const file = document.getElementById("file").files[0];
    try {
      if (file) {
        const data = new FormData();
        data.append("file", file);
        data.append("wait", "false");
        for (const [k, v] of Object.entries(studio.settings(form))) data.append(k, v);
        say(`uploading ${file.name}…`);
        const answer = await studio.api("POST", "/api/uploads", data);
        say("");
        await follow(answer.run, file.name);
        return;
      }
      const source = form.elements.source.value.trim();
      say("looking at the link…");
      const answer = await studio.api("POST", "/api/runs", { source, wait: false, ...studio.settings(form) });
      say("");
      if (answer.plan) { showPlan(answer.plan, source); return; }
      await follow(answer.run, source);
    } catch (err) {
      say(err.message, true);
    }
  });

  function showPlan(data, source) {
    planSource = source;
    plan.hidden = false;
    const rows = document.getElementById("plan-rows");
    rows.replaceChildren();
    data.entries.forEach((item, n) => {
      const tr = document.createElement("tr");
      for (const value of [n + 1, item.title, item.date || "-",
                           item.duration ? studio.clock(item.duration) : "unknown", item.todo]) {
        tr.append(studio.el("td", value));
      }
      rows.append(tr);
    });
    const todo = data.entries.filter((e) => e.todo !== "done").length;
    document.getElementById("plan-summary").textContent =
      `${data.title}: ${data.entries.length} episodes (${todo} to do), ` +
      `${studio.clock(data.audio_seconds)} of audio known` +
      (data.unknown_durations ? ` + ${data.unknown_durations} of unknown length` : "") +
      (data.prompt_tokens ? `, about ${data.prompt_tokens.toLocaleString()} prompt tokens` : "") +
      (data.remarks && data.remarks.length ? `; ${data.remarks.join("; ")}` : "");
  }

  document.getElementById("plan-start").addEventListener("click", async () => {
    try {
      const answer = await studio.api("POST", "/api/batches", { source: planSource, ...studio.settings(form) });
      plan.hidden = true;
      await follow(answer.run, planSource);
    } catch (err) { say(err.message, true); }
  });

  document.getElementById("cancel").addEventListener("click", async () => {
    if (!runId) return;
    try { await studio.api("POST", `/api/runs/${encodeURIComponent(runId)}/cancel`); }
    catch (err) { say(err.message, true); }
  });

  async function refreshEpisodes() {
    let list;
    try { list = await studio.api("GET", "/api/episodes"); } catch (err) { return; }
    const body = document.querySelector("#episodes tbody");
    body.replaceChildren();
    if (!list.length) {
      const tr = document.createElement("tr");
      const td = studio.el("td", "No episodes yet.");
      td.colSpan = 7; tr.append(td); body.append(tr);
    }
    for (const ep of list) {
      const tr = document.createElement("tr");
      tr.dataset.slug = ep.slug;
      const first = document.createElement("td");
      const link = studio.el("a", ep.title);
      link.href = `/episodes/${encodeURIComponent(ep.slug)}`;
      first.append(link, studio.el("div", ep.slug, "slug"));
      tr.append(first);
      for (const stage of ep.stages) tr.append(studio.el("td", stage.state, `state state-${stage.state}`));
      tr.append(studio.el("td", ep.error || "", "error"));
      body.append(tr);
    }
  }

  // The list is refreshed when a stage ends (not on a timer: each refresh fingerprints every
  // episode's artifacts, as `recap status` does).
})();
