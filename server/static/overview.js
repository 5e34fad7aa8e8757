// Live overview: render the figures, then poll the JSON endpoint and re-render.
(function () {
  "use strict";
  const POLL_MS = 3000;
  const text = JSON.parse(document.getElementById("overview-text").textContent);
  const palette = ["#1f4e79", "#b8860b", "#2e7d32", "#6a1b9a", "#b71c1c", "#00695c",
                   "#455a64", "#ad1457", "#4e342e", "#283593"];
  let arrivals = null;
  let rate = null;

  function el(tag, content, cls) {
    const node = document.createElement(tag);
    if (content !== undefined) node.textContent = content;
    if (cls) node.className = cls;
    return node;
  }

  function clock(iso, tz) {
    if (!iso) return "—";
    return new Date(iso).toLocaleTimeString("en-GB", {timeZone: tz, hour12: false});
  }

  function renderOccupancy(data) {
    for (const z of data.occupancy) {
      const cell = document.getElementById("occ-" + z.id);
      if (cell && cell.textContent !== String(z.inside)) cell.textContent = String(z.inside);
      const bar = document.getElementById("occ-bar-" + z.id);
      if (bar) bar.style.width = (z.capacity ? Math.min(100, 100 * z.inside / z.capacity) : 0) + "%";
    }
  }

  function renderGates(data) {
    const body = document.getElementById("gates");
    body.replaceChildren();
    for (const g of data.gates) {
      const row = el("tr");
      row.append(el("th", g.device), el("td", g.gate || "—"));
      const state = el("td", (g.online ? "● " : "○ ") + (g.online ? text.online : text.offline),
                       g.online ? "ok" : "bad");
      if (g.mode) state.append(" (" + g.mode + ")");
      row.firstChild.scope = "row";
      row.append(state, el("td", clock(g.last_seen, data.timezone)),
                 el("td", clock(g.last_sync, data.timezone)),
                 el("td", g.queued_scans === null ? "—" : String(g.queued_scans), "num"));
      body.append(row);
    }
  }

  function renderDenies(data) {
    const body = document.getElementById("denies");
    body.replaceChildren();
    if (!data.denies.length) {
      const row = el("tr");
      const cell = el("td", text.none, "muted");
      cell.colSpan = 2;
      row.append(cell);
      body.append(row);
    }
    for (const d of data.denies) {
      const row = el("tr");
      row.append(el("td", (text.reasons && text.reasons[d.reason]) || d.reason), el("td", String(d.count), "num"));
      body.append(row);
    }
  }

  function renderCharts(data) {
    if (typeof Chart === "undefined") return;
    const labels = data.arrivals.buckets.map((b) => clock(b, data.timezone).slice(0, 5));
    const datasets = data.arrivals.series.map((s, i) => ({
      label: s.gate, data: s.counts, backgroundColor: palette[i % palette.length], stack: "a",
    }));
    if (!arrivals) {
      arrivals = new Chart(document.getElementById("arrivals-chart"), {
        type: "bar", data: {labels, datasets},
        options: {animation: false, maintainAspectRatio: false,
                  scales: {x: {stacked: true, ticks: {maxRotation: 0, autoSkip: true}}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}},
                  plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}}},
      });
    } else {
      arrivals.data.labels = labels;
      arrivals.data.datasets = datasets;
      arrivals.update();
    }
    const minutes = data.scans_per_minute;
    const rateLabels = minutes.map((m) => clock(m.minute, data.timezone).slice(0, 5));
    const counts = minutes.map((m) => m.scans);
    document.getElementById("rate-now").textContent = String(counts.length ? counts[counts.length - 1] : 0);
    if (!rate) {
      rate = new Chart(document.getElementById("rate-chart"), {
        type: "bar",
        data: {labels: rateLabels, datasets: [{label: "scans", data: counts, backgroundColor: "#1f4e79"}]},
        options: {animation: false, maintainAspectRatio: false, plugins: {legend: {display: false}},
                  scales: {x: {ticks: {maxRotation: 0, autoSkip: true, maxTicksLimit: 8}},
                           y: {beginAtZero: true, ticks: {precision: 0}}}},
      });
    } else {
      rate.data.labels = rateLabels;
      rate.data.datasets[0].data = counts;
      rate.update();
    }
  }

  function render(data) {
    renderOccupancy(data);
    renderGates(data);
    renderDenies(data);
    renderCharts(data);
    document.getElementById("updated").textContent = clock(data.generated_at, data.timezone);
  }

  async function poll() {
    try {
      const response = await fetch(text.url, {credentials: "same-origin", cache: "no-store"});
      if (response.redirected) window.location.reload();  // signed out: show the login page
      else if (response.ok) render(await response.json());
    } catch (err) {
      // The next poll tries again; a blip in the network is not worth a page error.
    } finally {
      window.setTimeout(poll, POLL_MS);
    }
  }

  render(JSON.parse(document.getElementById("overview-data").textContent));
  window.setTimeout(poll, POLL_MS);
})();
