// Shared DOM helpers for the page scripts (ES module): element lookup, HTML escaping, section colours,
// the m:ss time format, drop-zone wiring for uploads, progress bars and small line charts. One definition of each,
// here.

// The element with this id (or null).
export const $ = (id) => document.getElementById(id);

// Text made safe to put into innerHTML (text and double-quoted attribute values); null and undefined become "".
export const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// Music sections are labelled A, B, C…: each letter has its colour on every page (timelines, waveform, legend).
export const SECTION_COLORS = ["#4f46e5", "#0891b2", "#16a34a", "#ca8a04", "#dc2626", "#9333ea", "#db2777", "#475569"];
export const sectionColor = (label) => SECTION_COLORS[(label.charCodeAt(0) - 65) % SECTION_COLORS.length];

// Seconds as m:ss ("" when unknown).
export const mmss = (s) => (s == null ? "" : `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`);

// Upload drop zone: files dropped on `zone` or chosen in the file `input` go to `onFile`, one call per file;
// the zone has the class "over" while something is dragged over it.
export function bindDropZone(zone, input, onFile) {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    [...e.dataTransfer.files].forEach(onFile);
  });
  input.addEventListener("change", (e) => [...e.target.files].forEach(onFile));
}

// A <div class="progress"><div class="bar"></div></div> showing `percent` (0-100) in `state` (styles key on data-state).
export function setProgress(progress, percent, state) {
  progress.setAttribute("aria-valuenow", percent);
  progress.dataset.state = state;
  progress.querySelector(".bar").style.width = `${percent}%`;
}

// Curves of the same length (`series`: [{ name, values, cls }]) as a small inline SVG (no library): one polyline
// each on a shared vertical scale, stretched to the width; the legend below names them (its swatches take the
// lines' classes, styled in segue.css). `label` is what a screen reader says (and a tooltip): say what it shows.
export function lineChart(series, { label, height = 40 } = {}) {
  const all = series.flatMap((s) => s.values);
  const n = Math.max(2, ...series.map((s) => s.values.length));
  let lo = Infinity, hi = -Infinity;
  for (const v of all) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const span = hi > lo ? hi - lo : 1;
  const y = (v) => (height - 2 - ((v - lo) / span) * (height - 4)).toFixed(1);
  const line = (s) => `<polyline class="${esc(s.cls)}" points="${s.values.map((v, i) => `${((1000 * i) / (n - 1)).toFixed(0)},${y(v)}`).join(" ")}"/>`;
  return `<figure class="line-chart" tabindex="0" role="img" aria-label="${esc(label)}" title="${esc(label)}">
      <svg viewBox="0 0 1000 ${height}" preserveAspectRatio="none" width="100%" height="${height}" aria-hidden="true">${series.map(line).join("")}</svg>
      <figcaption class="small" aria-hidden="true">${series.map((s) => `<span class="swatch ${esc(s.cls)}"></span>${esc(s.name)}`).join(" ")}</figcaption>
    </figure>`;
}
