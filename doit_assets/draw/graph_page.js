// The asset graph page of `doit assets graph --format html`.
// Draws the graph (laid out in Python, doit_assets/layout.py) as SVG, then wires
// the legend, the asset list, the details panel and zooming. No network access:
// everything it needs is in this file and the JSON above it.
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const NODE_H = 46; // px; a layout row is ROW px, so rows leave 16 px between nodes
  const ROW = 62;
  const GAP_X = 92; // between columns, where the edges run
  const PAD = 32;
  const MIN_W = 132;
  const MAX_W = 300;
  const TEXT_X = 12;
  const ZOOMS = [0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2];
  const HINT = "Click an asset to see why it is in its state, its paths and its history.";
  const FALLBACK_REASON = { fresh: "up to date", source: "a source: read, never made" };

  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const nodes = data.nodes;
  const byKey = new Map(nodes.map((n) => [n.asset, n]));
  const downstream = new Map(nodes.map((n) => [n.asset, []]));
  for (const e of data.edges) downstream.get(e.from).push(e.to);

  const canvas = document.getElementById("canvas");
  const svg = document.getElementById("graph");
  const list = document.getElementById("asset-list");
  const details = document.getElementById("details");
  const filterInput = document.getElementById("filter");

  const view = { selected: null, filter: "", states: new Set(), scale: 1 };
  const groups = new Map(); // asset -> <g>
  const boxes = new Map(); // asset -> {x, y, w}: its rectangle in the drawing
  const items = new Map(); // asset -> <li>
  const edgePaths = []; // [{from, to, path}]
  let width = 0;
  let height = 0;

  // -- small DOM helpers ---------------------------------------------------

  function svgEl(tag, attrs, parent) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (parent) parent.appendChild(el);
    return el;
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") el.className = v;
      else if (k === "onclick") el.addEventListener("click", v);
      else el.setAttribute(k, v);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  // the same text conventions as the command line tables (views.py)
  function pad2(n) {
    return String(n).padStart(2, "0");
  }
  function when(iso) {
    if (!iso) return "-";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return (
      `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
    );
  }
  function took(seconds) {
    if (seconds === null || seconds === undefined) return "-";
    if (seconds < 60) return `${seconds.toFixed(2)}s`;
    const s = Math.floor(seconds);
    return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  }
  function size(bytes) {
    if (bytes === null || bytes === undefined) return "-";
    let value = bytes;
    for (const unit of ["B", "KiB", "MiB", "GiB"]) {
      if (value < 1024 || unit === "GiB") {
        return unit === "B" ? `${Math.floor(value)} B` : `${value.toFixed(1)} ${unit}`;
      }
      value /= 1024;
    }
    return `${bytes} B`;
  }
  function firstLine(text) {
    return (text || "").trim().split("\n")[0] || "";
  }
  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }
  function matStatus(mat) {
    return mat.kind === "source" ? "observed" : mat.status;
  }

  // -- drawing -------------------------------------------------------------

  function fitText(textEl, text, maxWidth) {
    // Long keys lose their middle, not their end: "warehouse/…/orders_by_day".
    textEl.textContent = text;
    if (textEl.getComputedTextLength() <= maxWidth) return;
    let keep = text.length - 1;
    while (keep > 4) {
      const head = Math.ceil(keep * 0.4);
      textEl.textContent = `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
      if (textEl.getComputedTextLength() <= maxWidth) return;
      keep -= Math.max(1, Math.floor(keep / 12));
    }
  }

  function subtitle(node) {
    return node.age ? `${node.state} · ${node.age} ago` : node.state;
  }

  function drawNodes(layerOf) {
    const layer = svgEl("g", { class: "nodes" }, svg);
    for (const node of nodes) {
      const g = svgEl("g", {
        class: `asset state-${node.state}`,
        "data-asset": node.asset,
        "data-state": node.state,
        tabindex: "0",
        role: "button",
      }, layer);
      const tip = svgEl("title", {}, g);
      tip.textContent = `${node.asset}\n${node.state}${node.reason ? `: ${node.reason}` : ""}`;
      svgEl("rect", { class: "halo", x: -4, y: -4, rx: 10, height: NODE_H + 8 }, g);
      svgEl("rect", { class: "box", rx: 7, height: NODE_H }, g);
      const key = svgEl("text", { class: "key", x: TEXT_X, y: 20 }, g);
      key.textContent = node.asset;
      svgEl("circle", { class: "mark", cx: TEXT_X + 3.5, cy: 32.5, r: 3.5 }, g);
      const sub = svgEl("text", { class: "sub", x: TEXT_X + 12, y: 36.5 }, g);
      sub.textContent = subtitle(node);
      groups.set(node.asset, g);
    }
    // measure everything in one go (one layout), then size the columns
    const columns = new Array(Math.max(data.layers, 0)).fill(MIN_W);
    for (const node of nodes) {
      const g = groups.get(node.asset);
      const key = g.querySelector(".key");
      const sub = g.querySelector(".sub");
      const wanted = Math.max(key.getComputedTextLength(), sub.getComputedTextLength() + 12);
      const l = layerOf(node.asset);
      columns[l] = Math.min(MAX_W, Math.max(columns[l], Math.ceil(wanted) + 2 * TEXT_X));
    }
    for (const node of nodes) {
      const g = groups.get(node.asset);
      const w = columns[layerOf(node.asset)];
      fitText(g.querySelector(".key"), node.asset, w - 2 * TEXT_X);
      fitText(g.querySelector(".sub"), subtitle(node), w - 2 * TEXT_X - 12);
      g.querySelector(".box").setAttribute("width", w);
      g.querySelector(".halo").setAttribute("width", w + 8);
    }
    return columns;
  }

  function drawEdges(edgeLayer, columnX, columns) {
    const center = (y) => PAD + y * ROW + NODE_H / 2;
    for (const edge of data.edges) {
      const [fromLayer, fromY] = data.positions[edge.from];
      const [toLayer, toY] = data.positions[edge.to];
      const points = [[columnX[fromLayer] + columns[fromLayer], center(fromY)]];
      for (const [l, y] of edge.bends) {
        // through the column the edge crosses, level, between its nodes
        points.push([columnX[l], center(y)], [columnX[l] + columns[l], center(y)]);
      }
      points.push([columnX[toLayer] - 1.5, center(toY)]);
      let d = `M${points[0][0]},${points[0][1]}`;
      for (let i = 1; i < points.length; i++) {
        const [x0, y0] = points[i - 1];
        const [x1, y1] = points[i];
        if (i % 2 === 0) {
          d += ` L${x1},${y1}`; // the straight run through a column
        } else {
          const mid = (x1 - x0) / 2;
          d += ` C${x0 + mid},${y0} ${x1 - mid},${y1} ${x1},${y1}`;
        }
      }
      const path = svgEl("path", {
        class: "edge",
        d,
        "marker-end": "url(#arrow)",
        "data-from": edge.from,
        "data-to": edge.to,
      }, edgeLayer);
      edgePaths.push({ from: edge.from, to: edge.to, path });
    }
  }

  function arrowMarker(defs, id, cls) {
    const marker = svgEl("marker", {
      id,
      viewBox: "0 0 10 10",
      refX: 10,
      refY: 5,
      markerWidth: 9,
      markerHeight: 9,
      markerUnits: "userSpaceOnUse",
      orient: "auto",
    }, defs);
    svgEl("path", { class: cls, d: "M0,1 L10,5 L0,9 z" }, marker);
  }

  function draw() {
    if (!nodes.length) {
      document.getElementById("empty").hidden = false;
      svg.setAttribute("width", 0);
      svg.setAttribute("height", 0);
      return;
    }
    const defs = svgEl("defs", {}, svg);
    arrowMarker(defs, "arrow", "arrow");
    arrowMarker(defs, "arrow-lit", "arrow lit");
    const edgeLayer = svgEl("g", { class: "edges" }, svg);
    const layerOf = (key) => data.positions[key][0];
    const columns = drawNodes(layerOf);
    const columnX = [];
    let x = PAD;
    for (const w of columns) {
      columnX.push(x);
      x += w + GAP_X;
    }
    let bottom = 0;
    for (const node of nodes) {
      const [l, y] = data.positions[node.asset];
      const top = PAD + y * ROW;
      bottom = Math.max(bottom, top + NODE_H);
      groups.get(node.asset).setAttribute("transform", `translate(${columnX[l]},${top})`);
      boxes.set(node.asset, { x: columnX[l], y: top, w: columns[l] });
    }
    drawEdges(edgeLayer, columnX, columns);
    width = Math.ceil(x - GAP_X + PAD);
    height = Math.ceil(bottom + PAD);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  }

  // -- legend, summary, list -----------------------------------------------

  function counts() {
    const count = new Map(data.states.map((s) => [s, 0]));
    for (const n of nodes) count.set(n.state, (count.get(n.state) || 0) + 1);
    return count;
  }

  function drawLegend() {
    const legend = document.getElementById("legend");
    for (const [state, n] of counts()) {
      const chip = h(
        "li",
        {
          class: `chip state-${state}${n ? "" : " empty"}`,
          "data-state": state,
          "data-count": String(n),
          title: `Show only ${state} assets (click again to show all)`,
          tabindex: "0",
          role: "button",
        },
        h("span", { class: "swatch" }),
        state,
        h("b", {}, String(n)),
      );
      const toggle = () => {
        if (view.states.has(state)) view.states.delete(state);
        else view.states.add(state);
        chip.classList.toggle("on", view.states.has(state));
        refresh();
      };
      chip.addEventListener("click", toggle);
      chip.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          toggle();
        }
      });
      legend.appendChild(chip);
    }
    const count = counts();
    const toRun = ["stale", "missing", "failed", "blocked"].filter((s) => count.get(s));
    const pending = toRun.reduce((sum, s) => sum + count.get(s), 0);
    let summary = `${plural(nodes.length, "asset")}, ${plural(data.edges.length, "dependency").replace("dependencys", "dependencies")}`;
    if (!nodes.length) summary = "No assets selected";
    else if (pending) summary += ` · ${pending} to run (${toRun.map((s) => `${count.get(s)} ${s}`).join(", ")})`;
    else if (count.get("fresh")) summary += " · everything is fresh";
    document.getElementById("summary").textContent = summary;
  }

  function drawList() {
    for (const node of nodes) {
      const li = h(
        "li",
        { class: `item state-${node.state}`, "data-asset": node.asset, title: node.reason || node.state },
        h("span", { class: "swatch" }),
        h("span", { class: "name" }, node.asset),
        h("span", { class: "what" }, node.state),
      );
      li.addEventListener("click", () => select(node.asset, true));
      items.set(node.asset, li);
      list.appendChild(li);
    }
  }

  // -- selection and filtering ---------------------------------------------

  function walk(start, next) {
    const seen = new Set();
    const todo = [start];
    while (todo.length) {
      for (const other of next(todo.pop())) {
        if (!seen.has(other)) {
          seen.add(other);
          todo.push(other);
        }
      }
    }
    return seen;
  }

  function matches(node) {
    if (view.states.size && !view.states.has(node.state)) return false;
    const hay = [node.asset, node.state, node.kind, node.group || "", ...(node.tags || [])]
      .join(" ")
      .toLowerCase();
    return view.filter
      .toLowerCase()
      .split(/\s+/)
      .every((word) => hay.includes(word));
  }

  function refresh() {
    let related = null;
    if (view.selected) {
      const up = walk(view.selected, (k) => byKey.get(k).deps.filter((d) => byKey.has(d)));
      const down = walk(view.selected, (k) => downstream.get(k));
      related = new Set([view.selected, ...up, ...down]);
    }
    const filtering = view.filter.trim() !== "" || view.states.size > 0;
    for (const node of nodes) {
      const shown = !filtering || matches(node);
      const near = !related || related.has(node.asset);
      const g = groups.get(node.asset);
      if (g) {
        g.classList.toggle("dim", !(shown && near));
        g.classList.toggle("selected", node.asset === view.selected);
      }
      items.get(node.asset).classList.toggle("hidden", !shown);
      items.get(node.asset).classList.toggle("selected", node.asset === view.selected);
    }
    for (const { from, to, path } of edgePaths) {
      const lit = related !== null && related.has(from) && related.has(to);
      const dim = (related !== null && !lit) || (filtering && !(matches(byKey.get(from)) && matches(byKey.get(to))));
      path.classList.toggle("lit", lit);
      path.classList.toggle("dim", dim);
      path.setAttribute("marker-end", lit ? "url(#arrow-lit)" : "url(#arrow)");
    }
  }

  function select(key, reveal) {
    view.selected = key && byKey.has(key) ? key : null;
    refresh();
    showDetails();
    try {
      const here = location.pathname + location.search;
      const hash = view.selected ? `#asset=${encodeURIComponent(view.selected)}` : "";
      history.replaceState(null, "", here + hash);
    } catch (err) {
      // some browsers refuse replaceState on file: pages; the page works without
    }
    if (view.selected && reveal) {
      revealNode(view.selected);
      items.get(view.selected).scrollIntoView({ block: "nearest" });
    }
  }

  function revealNode(key) {
    // scroll the graph so that the node is in sight, if it is not yet
    const box = boxes.get(key);
    if (!box) return;
    const s = view.scale;
    const origin = svg.getBoundingClientRect();
    const frame = canvas.getBoundingClientRect();
    const left = origin.left - frame.left + box.x * s;
    const top = origin.top - frame.top + box.y * s;
    const inside =
      left >= 0 && left + box.w * s <= canvas.clientWidth &&
      top >= 0 && top + NODE_H * s <= canvas.clientHeight;
    if (!inside) {
      canvas.scrollLeft += left + (box.w * s) / 2 - canvas.clientWidth / 2;
      canvas.scrollTop += top + (NODE_H * s) / 2 - canvas.clientHeight / 2;
    }
  }

  function link(key) {
    return h("a", { class: "link", href: `#asset=${encodeURIComponent(key)}`, onclick: (e) => {
      e.preventDefault();
      select(key, true);
    } }, key);
  }

  function fact(label, ...value) {
    return [h("dt", {}, label), h("dd", {}, ...value)];
  }

  function showDetails() {
    details.textContent = "";
    const node = view.selected && byKey.get(view.selected);
    if (!node) {
      details.className = "details idle";
      if (nodes.length) details.append(h("p", { class: "none" }, HINT));
      return;
    }
    details.className = "details";
    const reason = node.reason || FALLBACK_REASON[node.state] || "";
    const facts = [fact("kind", node.kind)];
    if (node.group) facts.push(fact("group", node.group));
    if (node.tags && node.tags.length) {
      facts.push(fact("tags", node.tags.map((t) => h("span", { class: "tag" }, t))));
    }
    if (node.paths && node.paths.length) {
      facts.push(fact(node.paths.length > 1 ? "paths" : "path",
        node.paths.map((p, i) => [i ? h("br") : null, h("code", {}, p)])));
    }
    if (node.transform) facts.push(fact("transform", h("pre", {}, node.transform)));
    if (node.age || node.max_age) {
      const age = node.age ? `${node.age} since last made` : "never made";
      facts.push(fact("age", node.max_age ? `${age} (max ${node.max_age})` : age));
    }
    const deps = node.deps.filter((d) => byKey.has(d));
    if (deps.length) facts.push(fact("depends on", deps.map((d, i) => [i ? ", " : null, link(d)])));
    const users = downstream.get(node.asset);
    if (users.length) facts.push(fact("used by", users.map((d, i) => [i ? ", " : null, link(d)])));

    const close = h("button", { class: "close", type: "button", title: "Close (Esc)", "aria-label": "Close" }, "×");
    close.addEventListener("click", () => select(null));
    const parts = [
      h("div", { class: "details-head" }, h("h2", {}, node.asset), close),
      h("p", { class: "status" },
        h("span", { class: `badge state-${node.state}` }, node.state), reason),
      node.description ? h("p", { class: "description" }, node.description) : null,
      h("dl", { class: "facts" }, facts.flat()),
      node.checks && node.checks.length ? h("h3", {}, "Checks") : null,
      node.checks && node.checks.length ? checkList(node.checks) : null,
      h("h3", {}, "Last materialization"),
      lastMaterialization(node.last_materialization),
      lastAttempt(node),
      h("h3", {}, "History"),
      historyTable(node.history || []),
    ];
    details.append(...parts.filter(Boolean));
    details.scrollTop = 0;
  }

  function lastMaterialization(mat) {
    if (!mat) return h("p", { class: "none" }, "never");
    const facts = [
      fact("when", when(mat.ended_at)),
      fact("status", `${matStatus(mat)} · #${mat.id} in run ${mat.run_id}`),
    ];
    if (mat.kind !== "source") facts.push(fact("took", took(mat.duration_s)));
    for (const out of mat.outputs || []) {
      facts.push(fact("output", h("code", {}, out.path), `  ${(out.md5 || "-").slice(0, 12)}  ${size(out.size)}`));
    }
    if (mat.error) facts.push(fact("error", h("span", { class: "error" }, firstLine(mat.error))));
    facts.push(logFacts(mat));
    return h("dl", { class: "facts" }, facts.flat());
  }

  function logFacts(mat) {
    // what the transform reported, and of a failure its log and last lines of stderr
    const facts = [];
    const reported = mat.reported_metadata || {};
    if (Object.keys(reported).length) {
      facts.push(fact("metadata", h("code", {}, JSON.stringify(reported))));
    }
    if (mat.status !== "success" && mat.log) facts.push(fact("log", h("code", {}, mat.log)));
    if (mat.status !== "success" && mat.stderr_tail) {
      facts.push(fact("stderr", h("pre", { class: "stderr" }, mat.stderr_tail)));
    }
    return facts.flat();
  }

  function lastAttempt(node) {
    // a failure after the last success: what went wrong, as `doit assets show` says
    const latest = (node.history || [])[0];
    const last = node.last_materialization;
    if (!latest || latest.status === "success" || (last && last.id === latest.id)) return null;
    return h("dl", { class: "facts" }, [
      fact("last attempt", `${latest.status} ${when(latest.ended_at)} · #${latest.id} in run ${latest.run_id}`),
      latest.error ? fact("error", h("span", { class: "error" }, firstLine(latest.error))) : [],
      logFacts(latest),
    ].flat());
  }

  function checkList(checks) {
    // each declared check; a failing one with its latest message
    return h("dl", { class: "facts" }, checks.map((check) => {
      const kind = check.blocking ? "blocking" : "warning";
      const last = check.last;
      const said = last && last.message ? `: ${firstLine(last.message)}` : "";
      const result = !last ? "not run yet"
        : last.passed ? `passed (#${last.materialization_id})${said}`
        : h("span", { class: "error" }, `failed (#${last.materialization_id})${said}`);
      return fact(check.check, h("code", {}, check.definition), ` (${kind}) · `, result);
    }).flat());
  }

  function historyTable(history) {
    if (!history.length) return h("p", { class: "none" }, "nothing recorded");
    return h("table", { class: "history" },
      h("thead", {}, h("tr", {},
        h("th", { class: "num" }, "ID"), h("th", {}, "Status"),
        h("th", {}, "Finished"), h("th", { class: "num" }, "Took"))),
      h("tbody", {}, history.map((mat) => h("tr",
        { class: mat.status === "success" ? "" : mat.status, title: firstLine(mat.error) },
        h("td", { class: "num" }, `#${mat.id}`),
        h("td", {}, matStatus(mat)),
        h("td", {}, when(mat.ended_at)),
        h("td", { class: "num" }, mat.kind === "source" ? "-" : took(mat.duration_s))))),
    );
  }

  // -- zoom and pan --------------------------------------------------------

  function zoom(scale, anchorX, anchorY) {
    const old = view.scale;
    scale = Math.min(2, Math.max(0.1, scale));
    const ax = anchorX === undefined ? canvas.clientWidth / 2 : anchorX;
    const ay = anchorY === undefined ? canvas.clientHeight / 2 : anchorY;
    const gx = (canvas.scrollLeft + ax) / old;
    const gy = (canvas.scrollTop + ay) / old;
    view.scale = scale;
    svg.setAttribute("width", Math.round(width * scale));
    svg.setAttribute("height", Math.round(height * scale));
    canvas.scrollLeft = gx * scale - ax;
    canvas.scrollTop = gy * scale - ay;
    document.getElementById("zoom-reset").textContent = `${Math.round(scale * 100)}%`;
  }

  function fitScale() {
    if (!width || !height) return 1;
    return Math.min(1, canvas.clientWidth / width, canvas.clientHeight / height);
  }

  function step(direction) {
    const next = direction > 0
      ? ZOOMS.find((z) => z > view.scale + 0.001)
      : [...ZOOMS].reverse().find((z) => z < view.scale - 0.001);
    zoom(next === undefined ? view.scale : next);
  }

  function wire() {
    document.getElementById("zoom-in").addEventListener("click", () => step(1));
    document.getElementById("zoom-out").addEventListener("click", () => step(-1));
    document.getElementById("zoom-reset").addEventListener("click", () => zoom(1));
    document.getElementById("zoom-fit").addEventListener("click", () => zoom(fitScale()));
    canvas.addEventListener("wheel", (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      zoom(view.scale * Math.exp(-e.deltaY / 300), e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });

    // drag the background to pan; a click on it clears the selection
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || e.target.closest(".asset")) return;
      // a press on the scroll bars is the browser's, not a drag
      if (e.target === canvas && (e.offsetX >= canvas.clientWidth || e.offsetY >= canvas.clientHeight)) return;
      drag = { x: e.clientX, y: e.clientY, left: canvas.scrollLeft, top: canvas.scrollTop, moved: false };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      canvas.scrollLeft = drag.left - dx;
      canvas.scrollTop = drag.top - dy;
    });
    canvas.addEventListener("pointerup", () => {
      if (drag && !drag.moved) select(null);
      drag = null;
    });

    svg.addEventListener("click", (e) => {
      const g = e.target.closest(".asset");
      if (g) select(g.dataset.asset, false);
    });
    svg.addEventListener("keydown", (e) => {
      const g = e.target.closest(".asset");
      if (g && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        select(g.dataset.asset, false);
      }
    });
    filterInput.addEventListener("input", () => {
      view.filter = filterInput.value;
      refresh();
    });
    document.addEventListener("keydown", (e) => {
      const typing = e.target === filterInput;
      if (e.key === "Escape") {
        if (typing && filterInput.value) {
          filterInput.value = "";
          view.filter = "";
          refresh();
        } else {
          select(null);
        }
        return;
      }
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      const actions = {
        "/": () => filterInput.focus(),
        "+": () => step(1),
        "=": () => step(1),
        "-": () => step(-1),
        "0": () => zoom(1),
        f: () => zoom(fitScale()),
      };
      if (actions[e.key]) {
        e.preventDefault();
        actions[e.key]();
      }
    });
    window.addEventListener("hashchange", fromHash);
  }

  function fromHash() {
    const match = /^#asset=(.*)$/.exec(location.hash);
    if (match) {
      let key = null;
      try {
        key = decodeURIComponent(match[1]);
      } catch (err) {
        return;
      }
      if (key !== view.selected) select(key, true);
    }
  }

  draw();
  drawLegend();
  drawList();
  wire();
  zoom(Math.max(0.5, fitScale()), 0, 0);
  canvas.scrollLeft = 0;
  canvas.scrollTop = 0;
  showDetails();
  fromHash();
  document.body.dataset.rendered = String(svg.querySelectorAll("g.asset").length);
})();
