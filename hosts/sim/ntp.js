// `embedded:network/ntp/client` for the simulator, with the surface and the timing of the SDK's ECMA-419 NTP client
// (examples/io/udp/ntp): new NTP({ servers, socket: { io }, dns: { io, ... } }) throws "invalid" without a server,
// a socket or a dns; getTime(callback) throws "in use" while a request is under way and calls back once, with
// (null, milliseconds since 1970 in whole seconds) or (Error) after five unanswered tries two seconds apart per
// server; close() ends a request without a call back.
// The simulator's time server (sim/host-device.js) answers for every name with the host's time, or, started with
// `device: { timeServer: "down" }`, never answers (a board behind a firewall that drops NTP, or with no route).
// No datagram is sent: the simulator's UDP is not used.
import { call, listen, unlisten } from "sim:bridge";

let nextId = 1;

export default class NTP {
  #servers;
  #request;

  constructor(options) {
    const { servers, socket, dns, target } = options ?? {};
    if (!servers?.length || !socket || !dns) throw new Error("invalid");
    if (target !== undefined) this.target = target;
    this.#servers = servers.map(String);
  }

  getTime(callback) {
    if (this.#request !== undefined) throw new Error("in use");
    const id = nextId++;
    this.#request = id;
    listen("ntp", id, ({ ms }) => {
      unlisten("ntp", id);
      if (this.#request !== id) return;
      this.#request = undefined;
      if (typeof ms === "number") callback(null, ms);
      else callback(new Error());
    });
    call("ntp.get", { id, servers: this.#servers });
  }

  close() {
    const id = this.#request;
    if (id === undefined) return;
    this.#request = undefined;
    unlisten("ntp", id);
    call("ntp.cancel", { id });
  }
}
