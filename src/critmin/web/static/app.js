// critmin dashboard script: every table downloads as CSV; the scenario builder and the partnership
// page's studies post to the server, poll their job and show the server-rendered result fragment.
// Loaded with `defer` after charts.js; no inline scripts (CSP script-src 'self').
"use strict";

(function () {
  const POLL_MS = 400;
  const MAX_POLLS = 1500;
  const CODES_BY_SPACES = /^([A-Za-z]{3}\s+)+[A-Za-z]{3}$/;

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
    const exporter = field(form, "exporter");
    const commodity = field(form, "commodity");
    const event = {
      type: "export_restriction",
      exporter: exporter,
      commodity: commodity,
      fraction: Number(field(form, "fraction")),
      duration_days: parseInt(field(form, "duration_days") || "365", 10),
    };
    // Countries (codes or names, which may hold spaces) separated by commas or semicolons;
    // "JPN USA" (codes separated by spaces) is split too. The server resolves the names.
    const targets = field(form, "targets")
      .split(/[,;]+/)
      .flatMap((t) => (CODES_BY_SPACES.test(t.trim()) ? t.trim().split(/\s+/) : [t.trim()]))
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
        enhance(output);
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

  // --- tables as CSV -------------------------------------------------------------------------

  function csvField(text) {
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // The table's header and rows; numbers as their exact value (data-value), not as displayed.
  function tableCsv(table) {
    const lines = [];
    const head = Array.from(table.querySelectorAll("thead th")).map((th) => csvField(th.textContent.trim()));
    lines.push(head.join(","));
    table.querySelectorAll("tbody tr").forEach(function (row) {
      const cells = Array.from(row.querySelectorAll("td"));
      if (cells.length !== head.length) {
        return;
      }
      lines.push(
        cells
          .map((td) => csvField(td.hasAttribute("data-value") ? td.getAttribute("data-value") : td.textContent.trim()))
          .join(",")
      );
    });
    return lines.join("\r\n") + "\r\n";
  }

  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function addTableDownloads(root) {
    root.querySelectorAll("figure.table[data-download]").forEach(function (figure) {
      const table = figure.querySelector("table");
      if (!table || figure.querySelector("button.download")) {
        return;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "download";
      button.textContent = "Download CSV";
      const caption = table.querySelector("caption");
      button.setAttribute("aria-label", "Download as CSV: " + (caption ? caption.textContent : "table"));
      button.addEventListener("click", () => download(figure.getAttribute("data-download"), tableCsv(table), "text/csv"));
      figure.appendChild(button);
    });
  }

  function enhance(root) {
    addTableDownloads(root);
    if (window.critminCharts) {
      window.critminCharts.embedAll(root);
    }
  }

  // --- the partnership page's studies (jobs) -------------------------------------------------

  async function study(box) {
    const form = box.querySelector("form.study-start");
    const bar = box.querySelector("progress");
    const message = box.querySelector(".study-message");
    const output = box.querySelector(".study-output");
    function show(text, progress) {
      if (message) {
        message.textContent = text;
      }
      if (bar && typeof progress === "number") {
        bar.value = progress;
      }
    }
    try {
      const started = await fetch("/fragments/study", { method: "POST", body: new FormData(form) });
      if (!started.ok) {
        show("Not started: " + (await detail(started)), 0);
        return;
      }
      const job = await started.json();
      form.hidden = true;
      let status = null;
      for (let i = 0; i < MAX_POLLS; i += 1) {
        const polled = await fetch(job.status_url, { headers: { Accept: "application/json" } });
        if (!polled.ok) {
          show("Lost the job: " + (await detail(polled)), 0);
          return;
        }
        status = await polled.json();
        show(status.status + (status.message ? ": " + status.message : ""), status.progress);
        if (status.status === "done" || status.status === "failed") {
          break;
        }
        await sleep(POLL_MS);
      }
      const fragment = await fetch(job.fragment_url, { headers: { Accept: "text/html" } });
      if (output) {
        output.innerHTML = await fragment.text();
        enhance(output);
      }
      show(status && status.status === "done" ? "Done." : "Failed.", status ? status.progress : 0);
    } catch (error) {
      show("Failed: " + error, 0);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    addTableDownloads(document);
    if (!window.fetch) {
      return;
    }
    document.querySelectorAll(".study.deferred").forEach(function (box) {
      study(box);
    });
    const form = document.getElementById("scenario-form");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run(form);
    });
  });
})();
