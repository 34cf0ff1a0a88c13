// stratago play: the page. It draws what the server sends and sends the player's requests;
// the server checks every move. No build step: plain JavaScript and SVG.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const FILES = "abcdefghij";
const GO_LETTERS = "ABCDEFGHJKLMNOPQRST";
// A piece's Red letter (B bomb ... M flag) -> the label players know.
const LABEL = { B: "B", C: "S", D: "2", E: "3", F: "4", G: "5", H: "6", I: "7", J: "8", K: "9", L: "10", M: "F", "?": "" };
const SIDES = ["Red", "Blue"];
const GO_SIDES = ["Black", "White"];

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";

const app = {
  hello: null, setupInfo: null, frames: [], index: 0, flipped: false, side: 0,
  selected: null, placement: null, pick: null, replay: null,
};
window.stratago = app; // read by the browser tests

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// --- connection -----------------------------------------------------------------------------

const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
// Milliseconds from each request to the view where the person acts again (the agent's answer included).
app.latencies = [];
function send(request) { app.sentAt = performance.now(); socket.send(JSON.stringify(request)); }

socket.onclose = () => { setStatus("Disconnected: reload the page to play again."); document.body.dataset.phase = "closed"; };
socket.onmessage = (event) => {
  const msg = JSON.parse(event.data);
  if (msg.type === "hello") onHello(msg);
  else if (msg.type === "setup") onSetup(msg);
  else if (msg.type === "state") onState(msg);
  else if (msg.type === "thinking") $("thinking").hidden = false;
  else if (msg.type === "error") {
    $("message").textContent = msg.message;
    if (document.body.dataset.phase === "setup") $("setup-panel").hidden = false;  // a refused setup
  }
  else if (msg.type === "replay") onReplay(msg);
};

function setStatus(text) { $("status").textContent = text; }

function onHello(msg) {
  app.hello = msg;
  $("title").textContent = msg.mode === "replay" ? `replay of ${msg.name}` : `${msg.name} against ${msg.agent}`;
  const names = msg.game === "go" ? GO_SIDES : SIDES;
  $("side").innerHTML = names.map((n, i) => `<option value="${i}">${n}</option>`).join("");
  const go = msg.game === "go";
  $("pass").hidden = !go; $("undo").hidden = !go;
  if (msg.mode === "replay") {
    for (const id of ["side-label", "new", "resign", "pass", "undo"]) $(id).hidden = true;
    $("view-label").hidden = go;
  }
}

// --- live games ------------------------------------------------------------------------------

function onSetup(msg) {
  app.setupInfo = msg;
  app.side = msg.you;
  app.frames = []; app.index = 0; app.live = null;
  for (const id of ["moves", "info", "attack", "message"]) $(id).innerHTML = "";
  app.placement = Array(40).fill(null);
  app.pick = null;
  $("banner").hidden = true;
  $("setup-panel").hidden = false;
  const saved = $("saved");
  saved.hidden = msg.setups.length === 0;
  saved.innerHTML = `<option value="">Saved setups…</option>` +
    msg.setups.map((s, i) => `<option value="${i}">setup ${i + 1}</option>`).join("");
  document.body.dataset.phase = "setup";
  setStatus("Set up your pieces.");
  drawSetup();
}

function onState(msg) {
  if (app.sentAt !== undefined && (msg.to_move === msg.you || msg.phase === "over")) {
    app.latencies.push(performance.now() - app.sentAt);
    app.sentAt = undefined;
  }
  $("thinking").hidden = true;
  $("message").textContent = msg.phase === "play" && msg.to_move === msg.you ? "" : $("message").textContent;
  app.side = msg.you;
  app.live = msg;
  if (msg.phase !== "setup") $("setup-panel").hidden = true;
  // Keep one frame per position for stepping back and forward; the live frame is the last.
  const n = msg.moves.length;
  while (app.frames.length && app.frames[app.frames.length - 1].moves.length >= n) app.frames.pop();
  if (msg.phase !== "setup") app.frames.push(msg);
  app.index = app.frames.length - 1;
  app.selected = null;
  document.body.dataset.phase = msg.phase;
  document.body.dataset.toMove = msg.to_move === null ? "" : String(msg.to_move);
  $("download").hidden = msg.phase !== "over";
  $("banner").hidden = msg.phase !== "over";
  if (msg.phase === "over") {
    $("banner").textContent = msg.game === "go" ? goResultText(msg) : msg.result.text;
  }
  if (msg.phase === "setup") { drawSetup(); return; }
  setStatus(statusText(msg));
  render();
}

function statusText(msg) {
  const names = msg.game === "go" ? GO_SIDES : SIDES;
  if (msg.phase === "over") return "Game over.";
  if (msg.phase === "deploy") return "The agent is placing its pieces.";
  const who = msg.to_move === msg.you ? "Your move" : "Agent's move";
  return `${who} (${names[msg.to_move]}).`;
}

function goResultText(msg) {
  const r = msg.result;
  const winner = r.winner === null ? "Draw" : `${GO_SIDES[r.winner]} wins`;
  const you = r.winner === null ? "" : r.winner === msg.you ? " — you win" : " — the agent wins";
  return `${winner}: ${r.text} (${r.how})${you}`;
}

function current() { return app.replay ? app.replay.frames[app.index] : app.frames[app.index]; }
function atLive() { return !app.replay && app.index === app.frames.length - 1; }

function render() {
  const frame = current();
  if (!frame) return;
  const game = app.replay ? app.replay.game : frame.game;
  if (game === "go") drawGo(frame); else drawStratego(frame);
  drawSide(frame);
  drawMoves();
}

// --- Stratego board --------------------------------------------------------------------------

function sqIndex(name) { return (parseInt(name.slice(1), 10) - 1) * 10 + FILES.indexOf(name[0]); }
function sqName(i) { return FILES[i % 10] + (Math.floor(i / 10) + 1); }
// Screen position of a square (Red's frame): the bottom side is the player's, unless flipped.
function sqXY(i) {
  const bottom = app.side ^ (app.flipped ? 1 : 0);
  const f = i % 10, r = Math.floor(i / 10);
  return bottom === 0 ? [f, 9 - r] : [9 - f, r];
}
function setupSquare(k) { const own = (3 - Math.floor(k / 10)) * 10 + (k % 10); return app.side === 0 ? own : 99 - own; }

function strategoGrid(svg) {
  svg.setAttribute("viewBox", "-0.6 -0.1 10.7 10.7");
  svg.innerHTML = "";
  const lakes = new Set([42, 43, 46, 47, 52, 53, 56, 57]);
  const home = new Set(app.placement ? [...Array(40).keys()].map(setupSquare) : []);
  for (let i = 0; i < 100; i++) {
    const [x, y] = sqXY(i);
    const cls = lakes.has(i) ? "lake" : home.has(i) ? "sq home" : "sq";
    el("rect", { x, y, width: 1, height: 1, class: cls, "data-sq": sqName(i) }, svg);
  }
  for (let k = 0; k < 10; k++) {  // coordinates
    const file = app.side ^ (app.flipped ? 1 : 0) ? 9 - k : k;
    el("text", { x: k + 0.5, y: 10.3, class: "coord" }, svg).textContent = FILES[file];
    const rank = app.side ^ (app.flipped ? 1 : 0) ? k + 1 : 10 - k;
    el("text", { x: -0.3, y: k + 0.5, class: "coord" }, svg).textContent = rank;
  }
}

function drawPiece(svg, i, cell, extra = "") {
  const [x, y] = sqXY(i);
  const g = el("g", { class: `piece side${cell.side} ${extra}`, "data-sq": sqName(i), "data-piece": cell.piece }, svg);
  el("rect", { x: x + 0.08, y: y + 0.08, width: 0.84, height: 0.84, rx: 0.1 }, g);
  el("text", { x: x + 0.5, y: y + 0.52, "font-size": cell.piece === "L" ? 0.38 : 0.46 }, g).textContent = LABEL[cell.piece] ?? "";
  if (cell.piece !== "?" && cell.side === app.side && cell.revealed)  // the enemy knows this piece
    el("circle", { cx: x + 0.82, cy: y + 0.18, r: 0.07, class: "known" }, g);
  const title = el("title", {}, g);
  title.textContent = cell.piece === "?" ? "unknown piece" + (cell.moved ? " (has moved)" : "") : pieceName(cell.piece);
  return g;
}

function pieceName(letter) {
  const names = { B: "bomb", C: "spy", D: "scout", E: "miner", F: "sergeant", G: "lieutenant", H: "captain",
    I: "major", J: "colonel", K: "general", L: "marshal", M: "flag" };
  return names[letter] || "piece";
}

function visibleCell(cell, frame) {
  // Replays show the game as the chosen side saw it, or every piece.
  if (!app.replay || !cell) return cell;
  const view = $("view").value;
  if (view === "all" || String(cell.side) === view || cell.revealed) return cell;
  return { side: cell.side, piece: "?", moved: cell.moved };
}

function drawStratego(frame) {
  const svg = $("board");
  app.placement = null;
  strategoGrid(svg);
  if (frame.last) {
    for (const [sq, cls] of [[frame.last.from, "lastfrom"], [frame.last.to, "lastto"]]) {
      const [x, y] = sqXY(sqIndex(sq));
      el("rect", { x: x + 0.04, y: y + 0.04, width: 0.92, height: 0.92, class: cls }, svg);
    }
  }
  frame.board.forEach((cell, i) => {
    cell = visibleCell(cell, frame);
    if (cell) drawPiece(svg, i, cell, app.selected === sqName(i) ? "selected" : "");
  });
  if (atLive() && frame.phase === "play" && frame.to_move === frame.you && app.selected) {
    const from = app.selected;
    for (const to of frame.legal[from] || []) {
      const [x, y] = sqXY(sqIndex(to));
      const attack = frame.board[sqIndex(to)] !== null;
      const mark = attack ? el("rect", { x: x + 0.1, y: y + 0.1, width: 0.8, height: 0.8, rx: 0.1, class: "dest attack" }, svg)
        : el("circle", { cx: x + 0.5, cy: y + 0.5, r: 0.16, class: "dest" }, svg);
      mark.setAttribute("data-sq", to);
      mark.addEventListener("click", (e) => { e.stopPropagation(); send({ type: "move", from, to }); app.selected = null; });
    }
    for (const [to, why] of Object.entries((frame.refused || {})[from] || {})) {
      const [x, y] = sqXY(sqIndex(to));
      const g = el("g", { class: "refused", "data-sq": to }, svg);
      el("line", { x1: x + 0.3, y1: y + 0.3, x2: x + 0.7, y2: y + 0.7 }, g);
      el("line", { x1: x + 0.7, y1: y + 0.3, x2: x + 0.3, y2: y + 0.7 }, g);
      el("rect", { x, y, width: 1, height: 1, class: "hit" }, g);
      el("title", {}, g).textContent = why;
      g.addEventListener("click", (e) => { e.stopPropagation(); $("message").textContent = `Not allowed: ${why}.`; });
    }
  }
  svg.onpointerdown = null;
  svg.onclick = (e) => {
    const target = e.target.closest("[data-sq]");
    if (!target || !atLive()) return;
    const sq = target.getAttribute("data-sq");
    const f = current();
    if (f.phase !== "play" || f.to_move !== f.you) return;
    if (app.selected && (f.legal[app.selected] || []).includes(sq)) { send({ type: "move", from: app.selected, to: sq }); app.selected = null; }
    else if (f.legal[sq] || (f.refused || {})[sq]) { app.selected = app.selected === sq ? null : sq; render(); }
    else if (app.selected) { app.selected = null; render(); }
  };
}

// --- Stratego setup editor -------------------------------------------------------------------

function remaining() {
  const left = { ...app.setupInfo.pieces };
  for (const p of app.placement) if (p) left[p] -= 1;
  return left;
}

function drawSetup() {
  const svg = $("board");
  strategoGrid(svg);
  app.placement.forEach((p, k) => { if (p) drawPiece(svg, setupSquare(k), { side: app.side, piece: p }, app.pick && app.pick.from === k ? "selected" : ""); });
  const tray = $("tray");
  tray.innerHTML = "";
  for (const [letter, n] of Object.entries(remaining())) {
    if (n <= 0) continue;
    const div = document.createElement("div");
    div.className = `tray-piece side${app.side}` + (app.pick && app.pick.letter === letter && app.pick.from === null ? " selected" : "");
    div.dataset.piece = letter;
    div.title = pieceName(letter);
    div.innerHTML = `${LABEL[letter]}<small>×${n}</small>`;
    div.addEventListener("pointerdown", (e) => startDrag(e, letter, null));
    tray.appendChild(div);
  }
  const letters = app.placement.map((p) => p || "A").join("");
  if (document.activeElement !== $("letters")) $("letters").value = letters;
  const done = Object.values(remaining()).every((n) => n === 0);
  $("start").disabled = !done;
  svg.onpointerdown = (e) => {
    const sq = e.target.closest("[data-sq]");
    if (!sq) return;
    const k = homeIndex(sq.getAttribute("data-sq"));
    if (k === null) return;
    if (app.placement[k] && !app.pick) startDrag(e, app.placement[k], k);
  };
  svg.onclick = null;
}

function homeIndex(name) {
  const i = sqIndex(name);
  for (let k = 0; k < 40; k++) if (setupSquare(k) === i) return k;
  return null;
}

// A piece picked up from the tray (from = null) or from a square; dropped on the square released over,
// or, after a click without a drag, on the next square clicked.
function startDrag(e, letter, from) {
  e.preventDefault();
  app.pick = { letter, from, x: e.clientX, y: e.clientY };
  const up = (ev) => {
    document.removeEventListener("pointerup", up);
    const moved = Math.hypot(ev.clientX - app.pick.x, ev.clientY - app.pick.y) > 5;
    const target = document.elementFromPoint(ev.clientX, ev.clientY);
    const sq = target && target.closest ? target.closest("#board [data-sq]") : null;
    if (sq && (moved || from === null || homeIndex(sq.getAttribute("data-sq")) !== from)) drop(sq.getAttribute("data-sq"));
    else if (!moved) { drawSetup(); armClickDrop(); return; }
    else app.pick = null;
    drawSetup();
  };
  document.addEventListener("pointerup", up);
}

function armClickDrop() {
  $("board").onclick = (e) => {
    const sq = e.target.closest("[data-sq]");
    if (sq && app.pick) { drop(sq.getAttribute("data-sq")); drawSetup(); }
  };
}

function drop(name) {
  const k = homeIndex(name);
  const pick = app.pick;
  app.pick = null;
  if (k === null || !pick) return;
  const there = app.placement[k];
  if (pick.from !== null) app.placement[pick.from] = there;  // swap two placed pieces
  app.placement[k] = pick.letter;
}

function randomSetup() {
  const all = [];
  for (const [letter, n] of Object.entries(app.setupInfo.pieces)) for (let i = 0; i < n; i++) all.push(letter);
  while (all.length < 40) all.push(null);
  for (let i = all.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [all[i], all[j]] = [all[j], all[i]]; }
  app.placement = all;
  drawSetup();
}

function loadLetters(text) {
  text = text.trim();
  if (text.length !== 40) { $("message").textContent = `A setup has 40 letters, got ${text.length}.`; return; }
  const letters = [...text.toUpperCase()];
  const bad = letters.find((c) => c !== "A" && !(c in app.setupInfo.names));
  if (bad) { $("message").textContent = `A setup uses the letters A (empty) to M, not ${bad}.`; return; }
  app.placement = letters.map((c) => (c === "A" ? null : c));
  $("message").textContent = "";
  drawSetup();
}

// --- Go board -----------------------------------------------------------------------------------

function goXY(row, col, size) {
  return app.flipped ? [size - 1 - col, row] : [col, size - 1 - row];
}
function vertex(row, col) { return GO_LETTERS[col] + (row + 1); }

function drawGo(frame) {
  const size = app.replay ? app.replay.size : frame.size;
  const svg = $("board");
  svg.innerHTML = "";
  svg.setAttribute("viewBox", `-1.2 -1.2 ${size + 1.4} ${size + 1.4}`);
  el("rect", { x: -1, y: -1, width: size + 1, height: size + 1, class: "go-bg" }, svg);
  for (let k = 0; k < size; k++) {
    el("line", { x1: 0, y1: k, x2: size - 1, y2: k, class: "go-line" }, svg);
    el("line", { x1: k, y1: 0, x2: k, y2: size - 1, class: "go-line" }, svg);
    const col = app.flipped ? size - 1 - k : k, row = app.flipped ? k : size - 1 - k;
    el("text", { x: k, y: size - 0.25, class: "coord" }, svg).textContent = GO_LETTERS[col];
    el("text", { x: k, y: -0.75, class: "coord" }, svg).textContent = GO_LETTERS[col];
    el("text", { x: -0.8, y: k, class: "coord" }, svg).textContent = row + 1;
    el("text", { x: size - 0.2, y: k, class: "coord" }, svg).textContent = row + 1;
  }
  const lo = size >= 13 ? 3 : 2, mid = (size - 1) / 2;
  const stars = size >= 7 ? [lo, size - 1 - lo] : [];
  if (size % 2 === 1 && size >= 9) stars.push(mid);
  for (const r of stars) for (const c of stars)
    if (size >= 13 || (r === mid) === (c === mid)) el("circle", { cx: c, cy: r, r: 0.09, class: "go-star" }, svg);
  const legal = new Set(atLive() && frame.phase === "play" && frame.to_move === frame.you ? frame.legal : []);
  const dead = new Set(frame.result && frame.result.dead ? frame.result.dead : []);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const [x, y] = goXY(row, col, size);
      const v = vertex(row, col);
      const stone = frame.stones[row * size + col];
      if (stone !== 0) {
        el("circle", { cx: x, cy: y, r: 0.47, class: `stone ${stone > 0 ? "black" : "white"}`, "data-stone": v }, svg);
        if (frame.last === v)
          el("circle", { cx: x, cy: y, r: 0.2, class: "mark", stroke: stone > 0 ? "#fff" : "#111" }, svg);
        if (dead.has(v)) {
          el("line", { x1: x - 0.25, y1: y - 0.25, x2: x + 0.25, y2: y + 0.25, class: "dead" }, svg);
          el("line", { x1: x + 0.25, y1: y - 0.25, x2: x - 0.25, y2: y + 0.25, class: "dead" }, svg);
        }
      } else if (legal.has(v)) {
        const hit = el("rect", { x: x - 0.5, y: y - 0.5, width: 1, height: 1, class: "hit point", "data-point": v }, svg);
        el("circle", { cx: x, cy: y, r: 0.45, class: `stone ghost ${frame.you === 0 ? "black" : "white"}` }, svg);
        hit.addEventListener("click", () => send({ type: "move", point: v }));
      }
    }
  }
  svg.onclick = null; svg.onpointerdown = null;
}

// --- side panel, move list, navigation --------------------------------------------------------

function drawSide(frame) {
  const info = $("info");
  const game = app.replay ? app.replay.game : frame.game;
  if (game === "go") {
    const komi = app.replay ? app.replay.komi : frame.komi;
    info.innerHTML = `Komi ${komi} · captures: Black ${frame.captures[0]}, White ${frame.captures[1]}`;
    $("attack").textContent = "";
  } else {
    const tray = (side) => `<span class="captured">${frame.captured[side]
      .map((p) => `<span class="side${side}" title="${pieceName(p)}">${LABEL[p]}</span>`).join("")}</span>`;
    info.innerHTML = `Captured Red: ${tray(0)}<br>Captured Blue: ${tray(1)}`;
    const a = frame.attack;
    $("attack").textContent = a ? `Attack on ${a.square}: ${SIDES[a.attacker.side]} ${pieceName(a.attacker.piece)} (${LABEL[a.attacker.piece]})`
      + ` against ${SIDES[a.defender.side]} ${pieceName(a.defender.piece)} (${LABEL[a.defender.piece]}): ${a.result}.` : "";
  }
  const frames = app.replay ? app.replay.frames : app.frames;
  $("slider").max = Math.max(0, frames.length - 1);
  $("slider").value = app.index;
}

function moveText(m, game) {
  if (game === "go") return m;
  return m.attack ? `${m.move} (${LABEL[m.attack.attacker.piece]}×${LABEL[m.attack.defender.piece]})` : m.move;
}

function drawMoves() {
  const list = $("moves");
  const game = app.replay ? app.replay.game : (current() || {}).game;
  const moves = app.replay ? app.replay.moves : (app.live ? app.live.moves : []);
  const shown = app.replay ? app.index : (current() ? current().moves.length : 0);
  list.innerHTML = "";
  moves.forEach((m, i) => {
    const li = document.createElement("li");
    li.textContent = moveText(m, game);
    if (i === shown - 1) li.className = "current";
    li.addEventListener("click", () => goTo(frameOfMove(i + 1)));
    list.appendChild(li);
  });
  const cur = list.querySelector(".current");
  if (cur) cur.scrollIntoView({ block: "nearest" });
}

function frameOfMove(n) {
  if (app.replay) return n;
  const k = app.frames.findIndex((f) => f.moves.length >= n);
  return k < 0 ? app.frames.length - 1 : k;
}

function goTo(i) {
  const frames = app.replay ? app.replay.frames : app.frames;
  if (!frames.length) return;
  app.index = Math.max(0, Math.min(frames.length - 1, i));
  app.selected = null;
  render();
}

function onReplay(msg) {
  app.replay = msg;
  app.side = 0;
  app.index = 0;
  document.body.dataset.phase = "replay";
  const result = msg.end ? ` · ${msg.end}` : "";
  setStatus(`${msg.players.filter(Boolean).join(" vs ") || "saved game"}${result}`);
  render();
}

// --- buttons ------------------------------------------------------------------------------------

$("first").onclick = () => goTo(0);
$("back").onclick = () => goTo(app.index - 1);
$("forward").onclick = () => goTo(app.index + 1);
$("last").onclick = () => goTo(Infinity);
$("slider").oninput = (e) => goTo(Number(e.target.value));
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT") return;
  if (e.key === "ArrowLeft") goTo(app.index - 1);
  if (e.key === "ArrowRight") goTo(app.index + 1);
});
$("flip").onclick = () => { app.flipped = !app.flipped; if (document.body.dataset.phase === "setup") drawSetup(); else render(); };
$("view").onchange = () => render();
$("banner").onclick = () => { $("banner").hidden = true; };
$("new").onclick = () => { $("message").textContent = ""; send({ type: "new", side: Number($("side").value) }); };
$("resign").onclick = () => { if (confirm("Resign this game?")) send({ type: "resign" }); };
$("pass").onclick = () => send({ type: "pass" });
$("undo").onclick = () => send({ type: "undo" });
$("randomise").onclick = randomSetup;
$("clear").onclick = () => { app.placement = Array(40).fill(null); drawSetup(); };
$("saved").onchange = (e) => { if (e.target.value !== "") loadLetters(app.setupInfo.setups[Number(e.target.value)]); };
$("load").onclick = () => loadLetters($("letters").value);
$("copy").onclick = () => {
  const text = app.placement.map((p) => p || "A").join("");
  $("letters").value = text;
  if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => $("letters").select());
  else $("letters").select();
};
$("start").onclick = () => { $("message").textContent = ""; $("setup-panel").hidden = true; send({ type: "setup", setup: app.placement.map((p) => p || "A").join("") }); };
$("download").onclick = () => {
  const frame = app.live;
  if (!frame) return;
  const [text, type, name] = frame.game === "go"
    ? [frame.sgf, "application/x-go-sgf", "game.sgf"]
    : [JSON.stringify(frame.record, null, 1), "application/json", "game.json"];
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);  // revoking at once may cancel the download
};
