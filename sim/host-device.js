// Node side of the board's own services: its clock (`time`, and the date the certificate verifier checks against),
// its Wi-Fi station (`embedded:network/interface/wifi`) and the time servers its NTP client asks
// (`embedded:network/ntp/client`). The device side is hosts/sim/time.js, wifi.js, ntp.js.
//
// Simulator option `device` (all optional):
//   clock       "set" (default: the host's time, as if SNTP had run), "unset" (starts at 1970-01-01 plus the time
//               since the simulator started, as a board's clock does until SNTP sets it), or a date (ms or ISO)
//   timeServer  "up" (default: every NTP server name answers with the host's time) or "down" (none answers)
//   ntpTryMs    the NTP client's wait per try (default 2000, the SDK's; five tries per server)
//   wifi        "up" (default: any SSID joins), "no-ap" (no access point answers), "wrong-password" (refused), or
//               { ssid, password }: only that network joins (another SSID: no-ap; another password: refused)

const JOIN_MS = { associate: 30, address: 60, refused: 200, noAp: 3000 };

export function installDevice(sim, options = {}) {
  const { clock = "set", timeServer = "up", ntpTryMs = 2000, wifi = "up" } = options;
  let offset = 0;
  if (clock === "unset") offset = -Date.now();
  else if (clock !== "set") {
    const at = typeof clock === "number" ? clock : Date.parse(clock);
    if (!Number.isFinite(at)) throw new Error(`simulator: device.clock must be "set", "unset" or a date (got ${clock})`);
    offset = at - Date.now();
  }
  if (timeServer !== "up" && timeServer !== "down") throw new Error(`simulator: device.timeServer must be "up" or "down"`);

  /** The device clock, in ms since 1970: what `Date` reads in device code and the verifier checks dates against. */
  sim.deviceNow = () => Date.now() + offset;

  sim.op("clock.get", () => [{ offset }]);
  sim.op("clock.set", ({ ms }) => {
    offset = ms - Date.now();
    return [{ offset }];
  });

  // A pending request keeps the device busy (not idle) until its answer is delivered or it is cancelled.
  const pending = new Map(); // "kind:id" -> { timers, dispose }
  function schedule(key, steps) {
    cancel(key);
    const entry = { timers: [], dispose: () => entry.timers.forEach(clearTimeout) };
    pending.set(key, entry);
    sim.hold(entry);
    steps.forEach(({ after, event, last }, i) => {
      entry.timers.push(setTimeout(() => {
        sim.post(`${key}:${i}`, () => {
          if (last) {
            pending.delete(key);
            sim.release(entry);
          }
          return event;
        });
      }, after));
    });
  }
  function cancel(key) {
    const entry = pending.get(key);
    if (!entry) return;
    entry.dispose();
    pending.delete(key);
    sim.release(entry);
  }

  sim.op("ntp.get", ({ id, servers }) => {
    const after = timeServer === "up" ? 5 : servers.length * 5 * ntpTryMs;
    const ms = timeServer === "up" ? Math.floor(Date.now() / 1000) * 1000 : undefined;
    schedule(`ntp:${id}`, [{ after, event: { k: "ntp", id, ms }, last: true }]);
  });
  sim.op("ntp.cancel", ({ id }) => { cancel(`ntp:${id}`); });

  function joinOutcome(ssid, password) {
    if (wifi === "up" || wifi === "no-ap" || wifi === "wrong-password") return wifi;
    if (wifi && typeof wifi === "object") {
      if (ssid !== wifi.ssid) return "no-ap";
      return (password ?? "") === (wifi.password ?? "") ? "up" : "wrong-password";
    }
    throw new Error(`simulator: device.wifi must be "up", "no-ap", "wrong-password" or { ssid, password }`);
  }
  let lastOctet = 50;
  sim.op("wifi.connect", ({ id, attempt, ssid, password }) => {
    const outcome = joinOutcome(ssid, password);
    const event = (connection, extra = {}) => ({ k: "wifi", id, attempt, connection, ...extra });
    if (outcome === "up") {
      schedule(`wifi:${id}`, [
        { after: JOIN_MS.associate, event: event(400) },
        { after: JOIN_MS.address, event: event(500, { address: `192.168.4.${lastOctet++}` }), last: true },
      ]);
    } else {
      schedule(`wifi:${id}`, [{ after: outcome === "no-ap" ? JOIN_MS.noAp : JOIN_MS.refused, event: event(200), last: true }]);
    }
  });
  sim.op("wifi.cancel", ({ id }) => { cancel(`wifi:${id}`); });
}
