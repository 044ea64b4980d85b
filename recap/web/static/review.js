// The review page: bullets play their moment, edit and save the post, rerun with a diff.
"use strict";

(() => {
  const root = document.getElementById("review");
  const slug = root.dataset.slug;
  const player = document.getElementById("player");
  const post = document.getElementById("post");
  const status = document.getElementById("post-message");

  function say(node, text, isError) {
    node.textContent = text || "";
    node.classList.toggle("error", Boolean(isError));
  }

  // Each bullet shows its time range; clicking it plays from its start and marks its segments.
  for (const li of post.querySelectorAll("li.bullet")) {
    const start = Number(li.dataset.start), end = Number(li.dataset.end);
    const button = studio.el("button", `${studio.clock(start)}–${studio.clock(end)}`, "range");
    button.type = "button";
    button.title = "Play this moment";
    li.prepend(button);
    li.addEventListener("click", (e) => {
      if (e.target.closest("a")) return;
      play(start);
      highlight(li);
    });
  }
  for (const span of document.querySelectorAll("#transcript .time")) {
    span.textContent = studio.clock(Number(span.dataset.start));
  }
  for (const seg of document.querySelectorAll("#transcript .segment")) {
    seg.addEventListener("click", () => play(Number(seg.dataset.start)));
  }

  function play(seconds) {
    if (!player) return;
    player.currentTime = seconds;
    const started = player.play();
    if (started && started.catch) started.catch(() => {});
  }

  function highlight(li) {
    for (const node of document.querySelectorAll(".cited, li.bullet.active")) {
      node.classList.remove("cited", "active");
    }
    li.classList.add("active");
    const ids = (li.dataset.segments || "").split(" ").filter(Boolean);
    let first = null;
    for (const id of ids) {
      const seg = document.getElementById(`seg-${id}`);
      if (seg) { seg.classList.add("cited"); first = first || seg; }
    }
    if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // Edit and save.
  const editForm = document.getElementById("edit-form");
  const markdown = document.getElementById("markdown");
  document.getElementById("edit").addEventListener("click", () => {
    editForm.hidden = false; post.hidden = true; markdown.focus();
  });
  document.getElementById("cancel-edit").addEventListener("click", () => {
    editForm.hidden = true; post.hidden = false;
  });
  editForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const answer = await studio.api("PUT", `/api/episodes/${encodeURIComponent(slug)}/post`,
                                      { markdown: markdown.value });
      say(status, `saved ${answer.saved} (kept by recap write as a hand edit)`);
      setTimeout(() => window.location.reload(), 600);
    } catch (err) { say(status, err.message, true); }
  });

  document.getElementById("copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(markdown.value);
      say(status, "markdown copied");
    } catch (err) {
      markdown.hidden = false; editForm.hidden = false; post.hidden = true;
      markdown.select();
      say(status, "press Ctrl-C to copy the selected markdown");
    }
  });

  // Rerun with other settings, then show what changed.
  const rerunForm = document.getElementById("rerun-form");
  const rerunStatus = document.getElementById("rerun-status");
  const diff = document.getElementById("diff");
  rerunForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    diff.hidden = true;
    try {
      const answer = await studio.api("POST", `/api/episodes/${encodeURIComponent(slug)}/rerun`,
                                      studio.settings(rerunForm));
      say(rerunStatus, "running…");
      const end = await studio.follow(answer.run, (event) => {
        if (event.type === "stage") say(rerunStatus, `${event.stage}: ${event.status}`);
      });
      if (end.state !== "done") { say(rerunStatus, `${end.state}: ${end.error || ""}`, true); return; }
      const text = (end.result && end.result.diff) || "";
      say(rerunStatus, text ? "done; what changed in the post:" : "done; the post did not change");
      diff.replaceChildren();
      for (const line of text.split("\n")) {
        const cls = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
        diff.append(studio.el("span", line + "\n", cls));
      }
      diff.hidden = !text;
    } catch (err) { say(rerunStatus, err.message, true); }
  });
})();
