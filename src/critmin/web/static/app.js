// critmin dashboard script: the scenario builder posts its JSON to the API, polls the job and shows
// the server-rendered result fragment. Loaded with `defer`; no inline scripts (CSP script-src 'self').
"use strict";

(function () {
  const POLL_MS = 400;
  const MAX_POLLS = 1500;

  function field(form, name) {
    const element = form.elements.namedItem(name);
    return element && "value" in element ? String(element.value).trim() : "";
  }

  // The same document critmin.web.routes.pages.scenario_document builds from the form.
  function scenarioDocument(form) {
    const shipped = field(form, "shipped");
    if (shipped) {
      return { shipped: shipped };
    }
    const exporter = field(form, "exporter").toUpperCase();
    const commodity = field(form, "commodity");
    const event = {
      type: "export_restriction",
      exporter: exporter,
      commodity: commodity,
      fraction: Number(field(form, "fraction")),
      duration_days: parseInt(field(form, "duration_days") || "365", 10),
    };
    const targets = field(form, "targets")
      .split(/[\s,]+/)
      .map((t) => t.trim().toUpperCase())
      .filter((t) => t.length > 0);
    if (targets.length > 0) {
      event.targets = targets;
    }
    const spec = { name: exporter + " restricts " + commodity + " exports", events: [event] };
    const year = field(form, "year");
    if (year) {
      spec.year = parseInt(year, 10);
    }
    return { spec: spec };
  }

  function say(message, progress) {
    const text = document.getElementById("run-message");
    const bar = document.getElementById("run-progress");
    if (text) {
      text.textContent = message;
    }
    if (bar && typeof progress === "number") {
      bar.value = progress;
      bar.textContent = Math.round(progress * 100) + "%";
    }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function detail(response) {
    try {
      const body = await response.json();
      return body.detail || response.statusText;
    } catch (error) {
      return response.statusText;
    }
  }

  async function run(form) {
    const button = form.querySelector("button[type=submit]");
    const output = document.getElementById("scenario-output");
    if (button) {
      button.disabled = true;
    }
    say("Submitting…", 0);
    try {
      const submitted = await fetch("/api/scenarios/runs", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(scenarioDocument(form)),
      });
      if (!submitted.ok) {
        say("Not run: " + (await detail(submitted)), 0);
        return;
      }
      const job = (await submitted.json()).job;
      let status = null;
      for (let i = 0; i < MAX_POLLS; i += 1) {
        const polled = await fetch("/api/jobs/" + encodeURIComponent(job), { headers: { Accept: "application/json" } });
        if (!polled.ok) {
          say("Lost the job: " + (await detail(polled)), 0);
          return;
        }
        status = await polled.json();
        say(status.status + (status.message ? ": " + status.message : ""), status.progress);
        if (status.status === "done" || status.status === "failed") {
          break;
        }
        await sleep(POLL_MS);
      }
      if (!status || status.status !== "done") {
        say("Failed: " + ((status && status.error) || "the job did not finish"), status ? status.progress : 0);
        return;
      }
      const fragment = await fetch("/fragments/scenario/" + encodeURIComponent(job), { headers: { Accept: "text/html" } });
      if (output) {
        output.innerHTML = await fragment.text();
        const heading = output.querySelector("h2");
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
      }
      say("Done.", 1);
    } catch (error) {
      say("Failed: " + error, 0);
    } finally {
      if (button) {
        button.disabled = false;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("scenario-form");
    if (!form || !window.fetch) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run(form);
    });
  });
})();
