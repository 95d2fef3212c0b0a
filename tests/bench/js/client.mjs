// The official Phoenix JavaScript client (npm `phoenix` 1.8 with `ws` as its
// WebSocket) as one benchmark client process of the side-by-side harness
// (go run ./tests/bench). The orchestrator installs the packages into a
// cache folder, copies this file beside them and runs
//
//   node --expose-gc client.mjs --workload=W3 --url=ws://127.0.0.1:4000/socket --n=200000 --inflight=64 ...
//
// It writes JSON lines on stdout in the format of tests/bench/internal/benchfmt:
// {"phase":"ready"} (W5) and, last, the result object. CPU is process.cpuUsage()
// (getrusage), memory is VmHWM and the RSS after global.gc().
import { Socket } from "phoenix";
import WebSocket from "ws";
import fs from "node:fs";

function parseArgs(argv) {
  const a = { workload: "", url: "ws://127.0.0.1:4000/socket", n: 1000, size: 100, inflight: 64, sockets: 100, deadline: 60000 };
  for (const arg of argv) {
    const m = /^--?([a-z]+)=(.*)$/.exec(arg);
    if (!m) throw new Error(`bad argument ${arg}: want --name=value`);
    const [, k, v] = m;
    if (!(k in a)) throw new Error(`unknown flag --${k}`);
    a[k] = k === "workload" || k === "url" ? v : k === "deadline" ? parseDuration(v) : Number(v);
  }
  return a;
}

// parseDuration reads a Go duration such as "1m0s", "30s", "1.5s", "500ms" into milliseconds.
function parseDuration(s) {
  const units = { h: 3600000, m: 60000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
  let ms = 0, rest = s;
  const re = /^([0-9.]+)(h|ms|m|s|us|µs|ns)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new Error(`bad duration ${s}`);
    ms += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return ms;
}

const args = parseArgs(process.argv.slice(2));
function pkgVersion(name) {
  try {
    const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(fs.readFileSync(url, "utf8")).version;
  } catch {
    return "?";
  }
}
const version = `phoenix ${pkgVersion("phoenix")} + ws ${pkgVersion("ws")}, node ${process.version}`;
const result = {
  workload: args.workload, client: "js", ok: false, version, n: args.n, count: 0,
  wall_s: 0, cpu_user_s: 0, cpu_sys_s: 0, vmhwm_bytes: 0, rss_base_bytes: 0, rss_settled_bytes: 0,
  goroutines_base: -1, goroutines: -1,
};
const notes = [];

function line(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function procStatus(field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function settledRSS() {
  if (typeof global.gc === "function") {
    global.gc();
    global.gc();
  }
  return process.memoryUsage().rss;
}

function startMemory() {
  result.rss_base_bytes = settledRSS();
}

function finishMemory() {
  result.rss_settled_bytes = settledRSS();
  result.vmhwm_bytes = procStatus("VmHWM");
}

function now() {
  return performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms precision
}

function startMeter() {
  return { t0: now(), cpu0: process.cpuUsage() };
}

function stopMeter(m) {
  const cpu = process.cpuUsage(m.cpu0);
  result.wall_s = (now() - m.t0) / 1000;
  result.cpu_user_s = cpu.user / 1e6;
  result.cpu_sys_s = cpu.system / 1e6;
  if (result.wall_s > 0) result.rate_per_s = result.count / result.wall_s;
}

let finished = false;
function finish(err) {
  if (finished) return;
  finished = true;
  if (!err && result.count < result.n) err = `completed ${result.count} of ${result.n}`;
  result.ok = !err;
  if (err) result.error = String(err);
  if (notes.length > 0) result.notes = notes.join("; ");
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
}

let meter = null;
let onDeadline = () => {};
setTimeout(() => {
  if (meter) stopMeter(meter);
  onDeadline();
  result.vmhwm_bytes = procStatus("VmHWM"); // no settled RSS: the process is still busy
  finish(`deadline ${args.deadline} ms: completed ${result.count} of ${result.n}`);
}, args.deadline);

function newSocket() {
  return new Socket(args.url, { transport: WebSocket, params: { token: "good" } });
}

// connect opens a socket and resolves once it is open.
function connect(socket) {
  return new Promise((resolve) => {
    socket.onOpen(() => resolve());
    socket.connect();
  });
}

// joinOnce joins a channel and resolves on ok (rejects on error or timeout).
function joinOnce(ch) {
  return new Promise((resolve, reject) => {
    ch.join()
      .receive("ok", () => resolve())
      .receive("error", (e) => reject(new Error(`join ${ch.topic}: error ${JSON.stringify(e)}`)))
      .receive("timeout", () => reject(new Error(`join ${ch.topic}: timeout`)));
  });
}

// W1: join n topics on one socket.
async function w1() {
  const socket = newSocket();
  await connect(socket);
  startMemory();
  meter = startMeter();
  let timeouts = 0;
  onDeadline = () => { if (timeouts > 0) notes.push(`${timeouts} join timeouts (the client retries them)`); };
  await new Promise((resolve, reject) => {
    // Joins go in chunks, yielding to the event loop between them, so that
    // replies and the deadline timer are handled while the loop runs
    // (phoenix.js scans every channel of the socket at each join).
    const chunk = 1000;
    const joinFrom = (start) => {
      for (let i = start; i < Math.min(start + chunk, args.n); i++) {
        socket.channel(`room:w1:${i}`).join()
          .receive("ok", () => { if (++result.count === args.n) resolve(); })
          .receive("error", (e) => reject(new Error(`join room:w1:${i}: ${JSON.stringify(e)}`)))
          .receive("timeout", () => { timeouts++; });
      }
      if (start + chunk < args.n) setImmediate(() => joinFrom(start + chunk));
    };
    joinFrom(0);
  });
  stopMeter(meter);
  finishMemory();
  onDeadline();
}

// W2: one topic floods n events; the handler decodes each into a struct.
async function w2() {
  const socket = newSocket();
  await connect(socket);
  const ch = socket.channel("chat:w2");
  await joinOnce(ch);
  let short = 0;
  const events = [];
  ch.on("flood", (p) => {
    const ev = { i: p.i, body: p.body }; // the "struct"
    if (typeof ev.body !== "string" || ev.body.length < args.size) short++;
    result.count++;
    events.length = 0;
    events.push(ev);
  });
  startMemory();
  meter = startMeter();
  await new Promise((resolve, reject) => {
    ch.push("flood", { n: args.n, size: args.size }, args.deadline)
      .receive("ok", () => resolve())
      .receive("error", (e) => reject(new Error(`flood: error ${JSON.stringify(e)}`)))
      .receive("timeout", () => reject(new Error("flood: timeout")));
  });
  stopMeter(meter);
  finishMemory();
  if (short > 0) notes.push(`${short} events had a body shorter than ${args.size} bytes`);
}

// W3: n echo calls, `inflight` at a time.
async function w3() {
  const socket = newSocket();
  await connect(socket);
  const ch = socket.channel("room:w3");
  await joinOnce(ch);
  const body = "x".repeat(args.size);
  const lat = new Float64Array(args.n);
  let sent = 0;
  startMemory();
  meter = startMeter();
  await new Promise((resolve, reject) => {
    const sendOne = () => {
      const i = sent++;
      const t = performance.now();
      ch.push("echo", { body })
        .receive("ok", (resp) => {
          lat[i] = (performance.now() - t) * 1000;
          if (typeof resp.body !== "string" || resp.body.length !== args.size) {
            reject(new Error(`echo reply with a bad body`));
            return;
          }
          result.count++;
          if (sent < args.n) sendOne();
          else if (result.count === args.n) resolve();
        })
        .receive("error", (e) => reject(new Error(`echo: error ${JSON.stringify(e)}`)))
        .receive("timeout", () => reject(new Error("echo: timeout")));
    };
    for (let k = 0; k < Math.min(args.inflight, args.n); k++) sendOne();
  });
  stopMeter(meter);
  finishMemory();
  const sorted = lat.slice(0, result.count).sort();
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  result.lat_p50_us = Math.round(q(50));
  result.lat_p99_us = Math.round(q(99));
  result.lat_max_us = Math.round(sorted[sorted.length - 1]);
}

// W4: n sockets, one topic each.
async function w4() {
  startMemory();
  meter = startMeter();
  const sockets = [];
  await Promise.all(Array.from({ length: args.n }, async (_, i) => {
    const socket = newSocket();
    sockets.push(socket);
    await connect(socket);
    await joinOnce(socket.channel(`room:w4:${i}`));
    result.count++;
  }));
  stopMeter(meter);
  finishMemory();
}

// W5: n sessions (channels with an event handler) over `sockets` sockets;
// once all are joined, report "ready"; the orchestrator kills and restarts
// the server; measure until every channel has rejoined.
async function w5() {
  const nSockets = Math.min(args.sockets, args.n);
  const joined = new Uint8Array(args.n);
  const rejoined = new Uint8Array(args.n);
  let joinedCount = 0;
  let armed = false;
  let inflight = 0, peak = 0;
  let resolveInitial, resolveRecovered;
  const initial = new Promise((r) => { resolveInitial = r; });
  const recovered = new Promise((r) => { resolveRecovered = r; });
  let events = 0;
  const sockets = [];
  for (let s = 0; s < nSockets; s++) {
    const socket = newSocket();
    sockets.push(socket);
    // Count joins in flight: every phx_join pushed and not yet answered.
    const pending = new Set();
    const push = socket.push.bind(socket);
    socket.push = (data, channel) => {
      if (data.event === "phx_join") {
        pending.add(data.ref);
        inflight++;
        if (inflight > peak) peak = inflight;
      }
      push(data, channel);
    };
    socket.onMessage((msg) => {
      if (msg.event === "phx_reply" && pending.delete(msg.ref)) inflight--;
    });
    socket.onClose(() => {
      inflight -= pending.size;
      pending.clear();
    });
    socket.connect();
    for (let t = s; t < args.n; t += nSockets) {
      const ch = socket.channel(`room:w5:${t}`);
      ch.on("flood", () => { events++; }); // the subscriber
      ch.join().receive("ok", () => {
        if (!joined[t]) {
          joined[t] = 1;
          if (++joinedCount === args.n) resolveInitial();
        } else if (armed && !rejoined[t]) {
          rejoined[t] = 1;
          if (++result.count === args.n) resolveRecovered();
        }
      });
    }
  }
  await initial;
  startMemory();
  peak = inflight;
  meter = startMeter();
  armed = true;
  const killed = readKilled();
  line({ phase: "ready" });
  const killedNs = await killed;
  await recovered;
  stopMeter(meter);
  result.wall_s = (now() - Number(killedNs) / 1e6) / 1000;
  if (result.wall_s > 0) result.rate_per_s = result.count / result.wall_s;
  result.peak_in_flight = peak;
  finishMemory();
}

// readKilled resolves with the nanoseconds of the orchestrator's "killed <ns>" stdin line.
function readKilled() {
  return new Promise((resolve, reject) => {
    let buf = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d) => {
      buf += d;
      const i = buf.indexOf("\n");
      if (i < 0) return;
      const m = /^killed (\d+)$/.exec(buf.slice(0, i).trim());
      if (!m) reject(new Error(`bad stdin line ${buf.slice(0, i)}`));
      else resolve(BigInt(m[1]));
    });
    process.stdin.on("end", () => reject(new Error("stdin closed before the kill")));
  });
}

const workloads = { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5 };
const run = workloads[args.workload];
if (!run) {
  process.stderr.write(`client.mjs: unknown workload ${args.workload}\n`);
  process.exit(2);
}
run().then(() => finish(null), (err) => {
  if (meter && result.wall_s === 0) stopMeter(meter);
  finish(err && err.message ? err.message : String(err));
});
