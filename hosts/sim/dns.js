// `embedded:network/dns/resolver/udp` for the simulator, as the SDK's resolver behaves on a board:
// new Resolver({ servers, socket: { io: UDP } }).resolve({ host, onResolved(host, address), onError(host) }).
// - `localhost` is rewritten to 127.0.0.1 before anything else, so it is answered onResolved("127.0.0.1", "127.0.0.1");
// - requests are served by one repeating timer per resolver, started by the first request at once and then every
//   second: a dotted IPv4 host is answered as itself on that timer's next run (at once when the resolver was idle,
//   up to a second later when it was already ticking), never inside resolve();
// - a name is asked on each run of the timer, five tries per server, then onError(host); here the parent answers
//   from the simulator's host table (`localhost` and the names the simulator was started with: the machine has no
//   other DNS), a few milliseconds after the question, and a name it does not hold is answered "no such name",
//   which ends the request with onError(host) as a name server's answer does on a board.
// - resolve() without a host or without a callback throws; callbacks are called with the resolver as `this`.
import { call, listen, unlisten } from "sim:bridge";
import Timer from "timer";

const rules = call("rules").header;

function isDottedAddress(host) {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((part) => String(parseInt(part, 10)) === part);
}

export default class Resolver {
  #servers;
  #UDP;
  #timer;
  #requests = [];

  constructor(options) {
    this.#servers = options.servers.slice();
    this.#UDP = options.socket;
  }

  close() {
    for (const request of this.#requests) if (request.query) unlisten("dns", request.query);
    if (this.#timer) Timer.clear(this.#timer);
    this.#requests = [];
    this.#timer = this.#UDP = undefined;
  }

  resolve(options) {
    let { host } = options;
    const { onResolved, onError } = options;
    if (!host || (!onResolved && !onError) || !this.#UDP) throw new Error();
    host = host.toString();
    if (host === "localhost" && rules.dnsLocalhostRewritten) host = "127.0.0.1";
    const request = { state: 0, host, onResolved, onError, isAddress: isDottedAddress(host), query: undefined };
    if (request.isAddress && !rules.dnsTaskTimer) {
      onResolved?.call(this, host, host); // rule off: a literal answered inside resolve()
      return;
    }
    this.#requests.push(request);
    this.#timer ??= Timer.set(() => this.#task(), 0, 1000);
  }

  #remove(request) {
    const i = this.#requests.indexOf(request);
    if (i >= 0) this.#requests.splice(i, 1);
    if (request.query) unlisten("dns", request.query);
    if (!this.#requests.length && this.#timer) {
      Timer.clear(this.#timer);
      this.#timer = undefined;
    }
  }

  #task() {
    for (const request of this.#requests.slice()) {
      if (request.isAddress) {
        this.#remove(request);
        request.onResolved?.call(this, request.host, request.host);
        continue;
      }
      request.state += 1;
      if (request.state === this.#servers.length * 5) {
        this.#remove(request);
        request.onError?.call(this, request.host);
        continue;
      }
      if (request.query === undefined) this.#ask(request);
    }
  }

  #ask(request) {
    const id = call("dns.resolve", { host: request.host }).header.id;
    request.query = id;
    listen("dns", id, (event) => {
      if (!this.#requests.includes(request)) return;
      this.#remove(request);
      if (event.address) request.onResolved?.call(this, request.host, event.address);
      else request.onError?.call(this, request.host);
    });
  }
}
