// Simulator runtime, evaluated once in the XS worker before any device code.
// It owns: the bridge to the Node parent (calls and events, one codec), the compartment that device code runs in
// (module loading by name through the parent), the Moddable globals that plain XS lacks, and the abort rule:
// an exception escaping a device callback ends the simulator, as it ends the SDK's simulator (and reboots a board).
//
// Message layout, both directions:  [header length: u16 BE][header: JSON, UTF-8][payload: the rest, raw bytes]
// Parent -> worker events carry { k: kind, id, ... }; worker -> parent calls carry { op, ... }.
// A call's reply whose header has `error` makes the call throw an Error with that message.
(function () {
  "use strict";
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  function encode(header, payload) {
    const head = encoder.encode(JSON.stringify(header));
    const size = payload ? payload.byteLength : 0;
    const bytes = new Uint8Array(2 + head.length + size);
    bytes[0] = head.length >> 8;
    bytes[1] = head.length & 0xff;
    bytes.set(head, 2);
    if (size) bytes.set(ArrayBuffer.isView(payload)
      ? new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
      : new Uint8Array(payload), 2 + head.length);
    return bytes.buffer;
  }

  function decode(buffer) {
    const bytes = new Uint8Array(buffer);
    const length = (bytes[0] << 8) | bytes[1];
    const header = JSON.parse(decoder.decode(bytes.subarray(2, 2 + length)));
    const payload = bytes.length > 2 + length ? buffer.slice(2 + length) : undefined;
    return { header, payload };
  }

  /** Synchronous call to the parent. Returns { header, payload }. */
  function call(op, header, payload) {
    const request = encode(header ? Object.assign({ op }, header) : { op }, payload);
    const reply = decode(issueCommand(request));
    if (reply.header.error !== undefined) throw new Error(reply.header.error);
    return reply;
  }

  const listeners = new Map(); // "kind/id" -> handler(header, payload)
  function listen(kind, id, handler) { listeners.set(`${kind}/${id}`, handler); }
  function unlisten(kind, id) { listeners.delete(`${kind}/${id}`); }

  function trace(...args) {
    let text = "";
    for (const arg of args) text += String(arg);
    call("trace", { text });
  }

  // Moddable runtime extras that plain XS lacks.
  if (!String.fromArrayBuffer) {
    String.fromArrayBuffer = function (buffer) { return decoder.decode(new Uint8Array(buffer)); };
  }
  if (!ArrayBuffer.fromString) {
    ArrayBuffer.fromString = function (string) { return encoder.encode(String(string)).buffer; };
  }

  // The device's clock (hosts/sim/time.js sets it; sim/host-device.js keeps the same offset for the certificate
  // verifier): what device code reads through `Date` is the host's time plus this offset. The simulator may start
  // it near 1970, as a board's clock starts before SNTP sets it.
  let clockOffset;
  const HostDate = Date;
  const deviceNow = () => {
    if (clockOffset === undefined) clockOffset = call("clock.get").header.offset;
    return HostDate.now() + clockOffset;
  };
  function setClockOffset(offset) { clockOffset = offset; }
  // Date as device code sees it: `new Date()`, `Date.now()` and `Date()` read the device clock; the rest is Date's.
  function DeviceDate(...args) {
    if (!new.target) return String(new HostDate(deviceNow()));
    return Reflect.construct(HostDate, args.length ? args : [deviceNow()], new.target);
  }
  DeviceDate.prototype = HostDate.prototype;
  DeviceDate.now = () => deviceNow();
  DeviceDate.parse = HostDate.parse;
  DeviceDate.UTC = HostDate.UTC;

  const bridge = Object.freeze({ call, listen, unlisten, trace, gc: globalThis.gc, setClockOffset, hostNow: () => HostDate.now() });

  // Module loading: names are resolved by the parent from the manifests (see sim/loader.js).
  function resolveHook(specifier, referrer) {
    if (specifier === "sim:bridge") return specifier;
    if (!specifier.startsWith("./") && !specifier.startsWith("../")) return call("resolve", { specifier }).header.name;
    const parts = referrer.split("/");
    parts.pop();
    for (const part of specifier.split("/")) {
      if (part === "..") parts.pop();
      else if (part !== ".") parts.push(part);
    }
    return parts.join("/");
  }
  function loadNowHook(specifier) {
    if (specifier === "sim:bridge") return { namespace: bridge };
    const { header, payload } = call("load", { specifier });
    if (header.namespace === "config") return { namespace: { default: header.config } };
    return { source: new ModuleSource(String.fromArrayBuffer(payload)) };
  }
  const device = new Compartment({
    globals: { trace, Date: DeviceDate },
    resolveHook,
    loadNowHook,
  });

  function abort(error) {
    const message = error && error.stack ? `${error}\n${error.stack}` : String(error);
    return encode({ abort: message });
  }

  globalThis.handleCommand = function (buffer) {
    let header, payload;
    try {
      ({ header, payload } = decode(buffer));
    } catch (error) {
      return abort(`simulator: bad event: ${error}`);
    }
    try {
      if (header.k === "start") {
        device.importNow(resolveHook(header.module, ""));
        return encode({ ok: true });
      }
      if (header.k === "eval") {
        // Test and benchmark hook: run code with the device compartment's module namespaces at hand.
        // `gc()` collects; `meter()` returns the compute used since its last call (XS's deterministic meter).
        const run = device.evaluate(`(function (importNow, gc, meter) { ${header.source} })`);
        const result = run((name) => device.importNow(resolveHook(name, "")), globalThis.gc,
          () => resetMeter(currentMeterLimit(), 0));
        return encode({ ok: true, result: result === undefined ? null : result });
      }
      const handler = listeners.get(`${header.k}/${header.id}`);
      if (handler) handler(header, payload);
      return encode({ ok: true });
    } catch (error) {
      return abort(error);
    }
  };
})();
