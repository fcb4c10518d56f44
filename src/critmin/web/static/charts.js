// critmin dashboard charts: each <figure class="vl-chart"> holds a Vega-Lite spec (critmin.charts) as
// inert JSON; this script embeds it with Vega-Embed from /static/vendor/vega-bundle.js (served by the
// app, no CDN) and adds CSV, PNG and SVG downloads. Expressions run in Vega's CSP-safe interpreter
// (ast: true): no eval, no Function, no inline scripts (CSP script-src 'self').
"use strict";

(function () {
  const DONE = "data-embedded";
  const HIDDEN_COLUMNS = ["label", "key", "order", "_point", "x_text"];
  const PNG_SCALE = 2;

  function meta(spec) {
    return (spec && spec.usermeta && spec.usermeta.critmin) || {};
  }

  function csvField(value) {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // The columns to export: usermeta.critmin.columns when the spec names them, else every row field
  // but the chart's own helpers.
  function columnsOf(spec, rows) {
    const named = meta(spec).columns;
    if (Array.isArray(named) && named.length > 0) {
      return named;
    }
    const seen = [];
    rows.forEach(function (row) {
      Object.keys(row).forEach(function (key) {
        if (seen.indexOf(key) < 0 && HIDDEN_COLUMNS.indexOf(key) < 0) {
          seen.push(key);
        }
      });
    });
    return seen;
  }

  // The rows the chart plots (spec.datasets[usermeta.critmin.rows]), only the selected year's when
  // the chart has a year selector.
  function shownRows(spec, view) {
    const info = meta(spec);
    const rows = (spec.datasets && spec.datasets[info.rows || "rows"]) || [];
    if (!info.year_param) {
      return rows;
    }
    const year = view.signal(info.year_param);
    const fieldName = info.year_field || "year";
    return rows.filter((row) => String(row[fieldName]) === String(year));
  }

  function rowsCsv(spec, view) {
    const rows = shownRows(spec, view);
    const columns = columnsOf(spec, rows);
    const lines = [columns.map(csvField).join(",")];
    rows.forEach(function (row) {
      lines.push(columns.map((c) => csvField(row[c])).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function save(name, url) {
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function saveText(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type }));
    save(name, url);
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function fileName(spec, figure) {
    return meta(spec).file || figure.id || "chart";
  }

  function titleOf(spec) {
    const title = spec.title;
    if (title && typeof title === "object") {
      return String(title.text || "chart");
    }
    return title ? String(title) : "chart";
  }

  function button(label, what, title, action) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "vl-export";
    element.textContent = label;
    element.setAttribute("aria-label", "Download " + what + ": " + title);
    element.addEventListener("click", action);
    return element;
  }

  function toolbar(figure, spec, view) {
    const name = fileName(spec, figure);
    const title = titleOf(spec);
    const bar = document.createElement("div");
    bar.className = "vl-toolbar";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Download the chart " + title);
    bar.appendChild(
      button("CSV", "the data as CSV", title, () => saveText(name + ".csv", rowsCsv(spec, view), "text/csv"))
    );
    ["png", "svg"].forEach(function (type) {
      bar.appendChild(
        button(type.toUpperCase(), "the chart as " + type.toUpperCase(), title, function () {
          view
            .toImageURL(type, type === "png" ? PNG_SCALE : 1)
            .then((url) => save(name + "." + type, url))
            .catch((error) => console.warn("critmin: " + type + " export failed", error));
        })
      );
    });
    return bar;
  }

  // vega-embed draws the year selector (the spec's bound param) as <label><span>Year</span><select>;
  // name it for assistive technology whatever Vega's markup, and keep it keyboard-reachable.
  function labelSelectors(target, spec) {
    const title = titleOf(spec);
    target.querySelectorAll(".vega-bindings select, .vega-bindings input").forEach(function (input) {
      const bind = input.closest(".vega-bind");
      const name = bind ? bind.querySelector(".vega-bind-name") : null;
      const text = name ? name.textContent.trim() : "Year";
      input.setAttribute("aria-label", (text || "Year") + " shown in " + title);
    });
  }

  async function embedOne(figure) {
    const script = figure.querySelector("script.vl-spec");
    const target = figure.querySelector("div.vl-view");
    if (!script || !target) {
      return;
    }
    figure.setAttribute(DONE, "pending");
    const spec = JSON.parse(script.textContent);
    try {
      const result = await window.vegaEmbed(target, spec, {
        mode: "vega-lite",
        renderer: "svg",
        ast: true,
        actions: false,
        tooltip: { theme: "custom" },
        downloadFileName: fileName(spec, figure),
      });
      // The drawing takes the container's accessible name (title, source, vintage); the container
      // stops being one image so the year selector inside it stays reachable, and the marks keep
      // their own ARIA labels (value and year of each).
      const drawing = target.querySelector("svg.marks");
      if (drawing) {
        drawing.setAttribute("aria-label", target.getAttribute("aria-label") || spec.description || "");
      }
      target.removeAttribute("role");
      target.removeAttribute("aria-label");
      labelSelectors(target, spec);
      figure.insertBefore(toolbar(figure, spec, result.view), target);
      figure.setAttribute(DONE, "yes");
      figure.critminView = result.view;
    } catch (error) {
      figure.setAttribute(DONE, "failed");
      console.warn("critmin: chart " + figure.id + " not drawn", error);
    }
  }

  // Embed every chart under root (a document or an inserted fragment) not embedded yet.
  function embedAll(root) {
    if (typeof window.vegaEmbed !== "function") {
      return Promise.resolve();
    }
    const figures = Array.from((root || document).querySelectorAll("figure.vl-chart")).filter(
      (figure) => !figure.hasAttribute(DONE)
    );
    return Promise.all(figures.map(embedOne));
  }

  window.critminCharts = { embedAll: embedAll };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => embedAll(document));
  } else {
    embedAll(document);
  }
})();
