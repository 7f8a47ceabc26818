// `embedded:network/interface/wifi` for the simulator, as the SDK's esp32 Wi-Fi station (modules/io/wifi/esp32)
// behaves: connect({ SSID, password }) throws "SSID required" without an SSID and "already connecting" while an
// attempt is under way; the outcome arrives later as onChanged("connection") (and onChanged("address") once an
// IPv4 address is assigned), called with the WiFi object as `this`; `connection` reads 200 disconnected,
// 300 connecting, 400 associated, 500 associated with an address; disconnect() drops the attempt or the link
// without a callback. A board gives no reason for a failed join: it is only "connection" falling back to 200.
// The simulator's access point (sim/host-device.js) accepts any SSID by default; started with
// `device: { wifi: "no-ap" }` (nothing answers: the attempt ends after a few seconds) or `"wrong-password"` (refused
// at once) every join fails.
import { call, listen, unlisten } from "sim:bridge";

let nextId = 1;

export default class WiFi {
  #id = nextId++;
  #onChanged;
  #connecting = false;
  #connected = false;
  #address;
  #ssid;
  #attempt = 0;
  #closed = false;

  constructor(options = {}) {
    this.#onChanged = options.onChanged;
    listen("wifi", this.#id, (event) => this.#event(event));
  }

  get connection() {
    if (this.#connected && this.#address) return 500;
    if (this.#connected) return 400;
    return this.#connecting ? 300 : 200;
  }
  get address() { return this.#address; }
  get SSID() { return this.#connected ? this.#ssid : undefined; }
  get RSSI() { return this.#connected ? -55 : undefined; }

  connect(options) {
    if (this.#closed) throw new Error("closed");
    if (this.#connecting) throw new Error("already connecting");
    if (!options || options.SSID === undefined) throw new Error("SSID required");
    this.#ssid = String(options.SSID);
    this.#connecting = true;
    this.#attempt++;
    call("wifi.connect", { id: this.#id, attempt: this.#attempt, ssid: this.#ssid, password: options.password === undefined ? undefined : String(options.password) });
  }

  disconnect() {
    this.#attempt++;
    call("wifi.cancel", { id: this.#id });
    this.#connecting = this.#connected = false;
    this.#address = undefined;
  }

  configure(options) {
    if (options?.hostname !== undefined && typeof options.hostname !== "string") throw new Error("set hostname failed");
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    call("wifi.cancel", { id: this.#id });
    unlisten("wifi", this.#id);
  }

  #event({ attempt, connection, address }) {
    if (this.#closed || attempt !== this.#attempt) return;
    const before = this.connection;
    const hadAddress = this.#address !== undefined;
    this.#connecting = false;
    this.#connected = connection >= 400;
    this.#address = connection >= 500 ? address : undefined;
    if (this.connection !== before) this.#onChanged?.call(this, "connection");
    if (!hadAddress && this.#address !== undefined && !this.#closed) this.#onChanged?.call(this, "address");
  }
}
