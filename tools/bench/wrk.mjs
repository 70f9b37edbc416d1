// Parses the text report of `wrk --latency` (wrk 4.1).
const UNIT_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** @returns {{rps:number, requests:number, latencyMs:{p50:number,p75:number,p90:number,p99:number}, errors:number, non2xx:number, socketErrors:object}} */
export function parseWrk(out) {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`unreadable wrk output:\n${out.slice(-1500)}`);
  const latencyMs = {};
  for (const p of [50, 75, 90, 99]) {
    const m = new RegExp(`^\\s+${p}(?:\\.0+)?%\\s+(\\S+)`, 'm').exec(out);
    latencyMs[`p${p}`] = m ? toMs(m[1]) : NaN;
  }
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = se
    ? { connect: +se[1], read: +se[2], write: +se[3], timeout: +se[4] }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const errors = non2xx + Object.values(socketErrors).reduce((a, b) => a + b, 0);
  return { rps, requests, latencyMs, errors, non2xx, socketErrors };
}
