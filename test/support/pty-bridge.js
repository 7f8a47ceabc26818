// Node side of the serial tests: a pty whose slave side a simulated device opens by path (as a board opens its
// UART; the SDK's Linux serial opens a path the same way), and whose master side is served on a TCP port on
// 127.0.0.1 for the other end of the test. A small python3 program holds the pty (python3 is on every machine this
// project runs on, CI's included: without it these tests fail, they never skip).
import { spawn } from "node:child_process";
import readline from "node:readline";

const BRIDGE = `
import os, select, socket, sys, tty
master, slave = os.openpty()
tty.setraw(slave)
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
print(os.ttyname(slave), server.getsockname()[1], flush=True)
s, _ = server.accept()
while True:
    r, _, _ = select.select([master, s, sys.stdin], [], [])
    if sys.stdin in r and not os.read(sys.stdin.fileno(), 1): break
    if master in r:
        try: data = os.read(master, 65536)
        except OSError: break
        if data: s.sendall(data)
    if s in r:
        data = s.recv(65536)
        if not data: break
        os.write(master, data)
`;

/**
 * The first line `child` prints on stdout that matches `pattern`, as its match. Stdout arrives in chunks that need
 * not end at a line (PYTHONUNBUFFERED=1 splits a print into several writes): lines are reassembled first. Fails when
 * the child exits, or no such line came within `ms`.
 */
export function lineFrom(child, pattern, ms = 10000) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const seen = [];
    const finish = (error, match) => {
      clearTimeout(timer);
      lines.off("line", onLine);
      child.off("exit", onExit);
      lines.close();
      if (error) reject(error);
      else resolve(match);
    };
    const onLine = (line) => {
      seen.push(line);
      const match = pattern.exec(line);
      if (match) finish(null, match);
    };
    const onExit = (code, signal) => finish(new Error(`the bridge exited (${signal ?? code}) before printing a line matching ${pattern}; it printed ${JSON.stringify(seen)}`));
    const timer = setTimeout(() => finish(new Error(`the bridge printed no line matching ${pattern} within ${ms} ms; it printed ${JSON.stringify(seen)}`)), ms);
    lines.on("line", onLine);
    child.once("exit", onExit);
  });
}

/** Start the bridge: resolves { device (the pty's path), port (its master side on TCP), close() }. */
export async function startPtyBridge() {
  const child = spawn("python3", ["-c", BRIDGE], { stdio: ["pipe", "pipe", "inherit"] });
  const close = () => {
    child.stdin.end();
    child.kill();
  };
  try {
    const [, device, port] = await lineFrom(child, /^(\/dev\/\S+) (\d+)$/);
    return { device, port: Number(port), child, close };
  } catch (error) {
    close();
    throw error;
  }
}
