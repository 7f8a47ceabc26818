// Node side of `embedded:io/socket/tcp` and `embedded:io/socket/listener`: real sockets on Node `net`; and of
// `embedded:io/serial`, a pty or serial device opened by path and carried by the same Connection. Simulator only:
// a listener or a TCP given a `path` uses a filesystem unix socket.
// Received bytes wait here until the device reads them; past RX_HIGH unread bytes the socket is paused, so a slow
// device pushes back on its peer through TCP itself. The writable space reported to the device is a fixed send
// buffer (SEND_SPACE, what the SDK's Linux simulator reports) less the bytes Node has not yet flushed.
// A peer close, reset or refusal reaches the device as onError() only after the bytes that came before it were
// read: nothing is dropped.

import fs from "node:fs";
import net from "node:net";
import { openSerialPort } from "./serial-port.js";

export const SEND_SPACE = 1536;
const RX_HIGH = 16 * 1024;
const RX_LOW = 4 * 1024;

class Connection {
  rx = [];
  rxBytes = 0;
  unflushed = 0;
  connected = false;
  failed = false; // peer closed or error: reported once the rx bytes are drained
  adopted = true;
  closedByDevice = false;
  dirty = { readable: false, writable: false, error: false };

  constructor(sim, id, socket) {
    this.sim = sim;
    this.id = id;
    this.socket = socket;
    socket.on("data", (chunk) => {
      this.rx.push(chunk);
      this.rxBytes += chunk.length;
      if (this.rxBytes >= RX_HIGH) socket.pause();
      this.dirty.readable = true;
      this.notify();
    });
    socket.on("end", () => this.fail());
    socket.on("error", () => this.fail());
    socket.on("close", () => {
      this.fail();
      if (this.closedByDevice || this.rxBytes === 0) sim.release(this);
    });
    sim.hold(this);
  }

  dispose() { this.socket.destroy(); }

  fail() {
    if (this.failed) return;
    this.failed = true;
    if (this.rxBytes === 0 || !this.sim.rules.tcpErrorAfterBytes) { // rule off: the close ahead of unread bytes
      this.dirty.error = true;
      this.notify();
    }
  }

  notify() {
    if (!this.adopted || this.closedByDevice) return;
    this.sim.post(`tcp:${this.id}`, () => this.event());
  }

  event() {
    if (this.closedByDevice) return null;
    const e = { k: "tcp", id: this.id };
    let any = false;
    if (this.dirty.readable && this.rxBytes > 0) { e.readable = this.rxBytes; any = true; }
    if (this.dirty.writable && this.connected && !this.failed) { e.writable = SEND_SPACE - this.unflushed; any = true; }
    if (this.dirty.error) { e.error = true; any = true; }
    this.dirty.readable = this.dirty.writable = this.dirty.error = false;
    return any ? e : null;
  }

  read(count) {
    if (count > this.rxBytes) throw new Error("invalid");
    let out;
    if (this.rx[0].length === count) out = this.rx.shift();
    else if (this.rx[0].length > count) {
      out = this.rx[0].subarray(0, count);
      this.rx[0] = this.rx[0].subarray(count);
    } else {
      out = Buffer.allocUnsafe(count);
      let at = 0;
      while (at < count) {
        const head = this.rx[0];
        const n = Math.min(head.length, count - at);
        head.copy(out, at, 0, n);
        at += n;
        if (n === head.length) this.rx.shift();
        else this.rx[0] = head.subarray(n);
      }
    }
    this.rxBytes -= count;
    if (this.rxBytes <= RX_LOW && this.socket.isPaused() && !this.failed) this.socket.resume();
    if (this.rxBytes === 0 && this.failed) {
      this.dirty.error = true;
      this.notify();
      if (this.socket.destroyed) this.sim.release(this);
    }
    return out;
  }

  write(bytes) {
    if (this.failed || this.closedByDevice) return; // the SDK ignores a write after an error
    const n = bytes.length;
    this.unflushed += n;
    this.socket.write(Buffer.from(bytes), () => {
      this.unflushed -= n;
      this.dirty.writable = true;
      this.notify();
    });
  }

  close() {
    this.closedByDevice = true;
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.sim.release(this);
  }
}

class Listening {
  queue = [];
  constructor(sim, id, server) {
    this.sim = sim;
    this.id = id;
    this.server = server;
    sim.hold(this);
  }
  dispose() { this.server.close(); for (const c of this.queue) c.dispose(); }
}

export function installNet(sim) {
  let nextId = 1;
  const connections = new Map();
  const listeners = new Map();
  const connection = (id) => {
    const c = connections.get(id);
    if (!c) throw new Error("invalid socket");
    return c;
  };

  sim.op("tcp.connect", ({ address, port, path, nodelay }) => {
    const id = nextId++;
    const socket = path !== undefined ? net.connect({ path }) : net.connect({ host: address, port, noDelay: !!nodelay });
    const c = new Connection(sim, id, socket);
    socket.on("connect", () => {
      c.connected = true;
      c.dirty.writable = true;
      c.notify();
    });
    connections.set(id, c);
    return [{ id }];
  });

  sim.op("serial.open", ({ device }) => {
    const id = nextId++;
    const c = new Connection(sim, id, openSerialPort(device));
    c.adopted = false; // the device-side Serial takes it over as its stream
    c.connected = true;
    connections.set(id, c);
    return [{ id }];
  });

  sim.op("tcp.adopt", ({ id, nodelay }) => {
    const c = connection(id);
    c.adopted = true;
    c.socket.setNoDelay(!!nodelay);
    c.dirty.writable = true;
    c.dirty.readable = c.rxBytes > 0;
    if (c.failed && c.rxBytes === 0) c.dirty.error = true;
    c.notify();
  });

  sim.op("tcp.read", ({ id, count }) => [{}, connection(id).read(count)]);
  sim.op("tcp.write", ({ id }, payload) => { connection(id).write(payload ?? Buffer.alloc(0)); });
  sim.op("tcp.close", ({ id }) => {
    const c = connections.get(id);
    if (!c) return;
    connections.delete(id);
    c.close();
  });

  sim.op("listener.open", ({ port, address, path }) => new Promise((resolve, reject) => {
    const id = nextId++;
    const server = net.createServer({ pauseOnConnect: false });
    const l = new Listening(sim, id, server);
    server.on("connection", (socket) => {
      const cid = nextId++;
      const c = new Connection(sim, cid, socket);
      c.adopted = false;
      c.connected = true;
      connections.set(cid, c);
      l.queue.push(c);
      sim.post(`listener:${id}`, () => (listeners.has(id) && l.queue.length ? { k: "listener", id, readable: l.queue.length } : null));
    });
    server.on("error", (error) => {
      sim.release(l);
      reject(new Error(`listener: ${error.code ?? error.message}`));
    });
    if (path !== undefined) {
      // a unix socket (simulator only): a socket file left by an earlier listener is replaced, as lws does
      try { if (fs.statSync(path).isSocket()) fs.unlinkSync(path); } catch { /* none there */ }
      server.listen(path, () => {
        listeners.set(id, l);
        resolve([{ id, port: 0 }]);
      });
      return;
    }
    server.listen(port, address, () => {
      listeners.set(id, l);
      const bound = server.address().port;
      sim.onListening?.(bound);
      resolve([{ id, port: bound }]);
    });
  }));

  sim.op("listener.accept", ({ id }) => {
    const l = listeners.get(id);
    const c = l?.queue.shift();
    if (!c) throw new Error("invalid");
    return [{ socket: c.id, address: c.socket.remoteAddress?.replace(/^::ffff:/, ""), port: c.socket.remotePort }];
  });

  sim.op("listener.close", ({ id }) => {
    const l = listeners.get(id);
    if (!l) return;
    listeners.delete(id);
    l.server.close();
    for (const c of l.queue) c.dispose();
    sim.release(l);
  });
}
