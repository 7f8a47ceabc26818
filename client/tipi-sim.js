// tipi-sim: run the TIPI app (apps/tipi) as a simulated device, for the CLI (`tipi serve`, `--link sim`) and the
// tests. The device listens on 127.0.0.1 (an ephemeral port unless one is given) and is driven over that link.

import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { Simulator } from "../sim/simulator.js";
import { readManifest, ROOT } from "../sim/loader.js";
import { TipiError } from "./tipi-client.js";

export const MANIFEST = "apps/tipi/manifest.json";

/** The `config.tipi` defaults of the app's manifest (modules/tipi/manifest.json). */
export function manifestDefaults() {
  return { ...readManifest(MANIFEST).config.tipi };
}

/**
 * Read a CA certificate file for the device: PEM (its first CERTIFICATE block) or DER, checked to be a certificate.
 * Returns { der, format: "PEM" | "DER", file (absolute), subject, text (a line saying what was loaded) }. A file
 * that is missing or holds no certificate throws TipiError TIPI_CA naming the path.
 */
export function loadCA(file) {
  const full = path.resolve(file);
  let bytes;
  try {
    bytes = readFileSync(full);
  } catch (error) {
    throw new TipiError("TIPI_CA", `--ca ${file}: ${error.code === "ENOENT" ? "no such file" : error.code ?? error.message} (${full})`);
  }
  const text = bytes.toString("latin1");
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  let der;
  let format;
  if (blocks.length) {
    der = Buffer.from(blocks[0][1].replace(/\s+/g, ""), "base64");
    format = "PEM";
  } else if (/-----BEGIN ([A-Z0-9 ]+)-----/.test(text)) {
    const kind = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)[1];
    throw new TipiError("TIPI_CA", `--ca ${file}: a PEM file with no CERTIFICATE in it (it holds a ${kind}) (${full})`);
  } else {
    der = bytes;
    format = "DER";
  }
  let certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (error) {
    throw new TipiError("TIPI_CA", `--ca ${file}: not a certificate in PEM or DER (${error.message}) (${full})`);
  }
  const subject = certificate.subject.split("\n").join(", ");
  const notes = [];
  if (format === "PEM") notes.push(blocks.length > 1 ? `PEM, the first of its ${blocks.length} certificates, converted to DER` : "PEM, converted to DER");
  else notes.push("DER");
  if (!certificate.ca) notes.push("note: not a CA certificate: the device verifies a server against the CA that issued it");
  return { der, format, file: full, subject, text: `${subject} from ${file} (${notes.join("; ")})` };
}

/** Lines of the device log that mean it could not start serving. */
const START_FAILURE = /^(XS abort: |tipi: cannot listen on |tipi: cannot open the UART |tipi: no UART)/;

/**
 * Start the app in the simulator. options.tipi overrides `config.tipi` key by key (port 0 by default: any free
 * port); options.ca is a CA file (PEM or DER) to trust instead of the app's (loadCA reads it: a bad one throws
 * TIPI_CA before anything starts); options.hosts adds names to the simulated DNS; options.onTrace sees each device
 * log line. Resolves { sim, port, link, trust, close() }, trust saying which CA the device trusts. A device that
 * cannot start serving (its port in use) rejects with TipiError TIPI_DEVICE and the device's own words.
 */
export async function startDevice({ tipi = {}, ca, hosts, onTrace, startTimeout = 15000 } = {}) {
  const defaults = manifestDefaults();
  const caResource = tipi.caResource ?? defaults.caResource ?? "ca.der";
  let trust;
  let tmp;
  const resources = {};
  if (ca) {
    const loaded = loadCA(ca);
    trust = loaded.text;
    if (loaded.format === "DER") resources[caResource] = loaded.file;
    else {
      tmp = mkdtempSync(path.join(os.tmpdir(), "tipi-ca-"));
      resources[caResource] = path.join(tmp, caResource);
      writeFileSync(resources[caResource], loaded.der);
    }
  } else {
    const bundled = readManifest(MANIFEST).resources.get(caResource);
    trust = bundled
      ? `the app's own CA, ${path.relative(ROOT, bundled)} (no --ca given: the repository's test CA, for its test servers only)`
      : `no CA (the app has no resource "${caResource}" and no --ca was given: every open fails)`;
  }
  const removeTmp = () => { if (tmp) rmSync(tmp, { recursive: true, force: true }); };

  // Ready once the listener is bound (onListening gives its port) and the device has said it serves (with its CA).
  let port;
  let serving = false;
  let failure;
  let settle;
  const outcome = new Promise((resolve) => { settle = resolve; });
  const listening = (bound) => {
    port = bound;
    if (serving) settle({ port });
  };
  const served = () => {
    serving = true;
    if (port !== undefined) settle({ port });
  };
  let sim;
  try {
    sim = await Simulator.start({
      manifest: MANIFEST,
      config: { tipi: { port: 0, ...tipi } },
      resources,
      hosts,
      onTrace: (line) => {
        if (failure !== undefined) return; // what follows a failure to start (its stack, its end) is noise
        if (START_FAILURE.test(line)) {
          failure = line; // said once, by the error below
          settle({ failure });
          return;
        }
        onTrace?.(line);
        if (!serving && line.startsWith("tipi: serving ")) served();
      },
      onListening: (port) => listening(port),
    });
  } catch (error) {
    removeTmp();
    throw new TipiError("TIPI_DEVICE", `the simulated device could not start: ${error.message}`);
  }
  sim.launch("main");
  let timer;
  const result = await Promise.race([
    outcome,
    new Promise((resolve) => { timer = setTimeout(() => resolve({ failure: `nothing after ${startTimeout} ms` }), startTimeout); }),
  ]);
  clearTimeout(timer);
  if (result.failure) {
    await sim.close();
    removeTmp();
    const busy = /EADDRINUSE/.test(result.failure) ? " (the port is in use: another tipi serve?)" : "";
    throw new TipiError("TIPI_DEVICE", `the simulated device could not start: ${result.failure.replace(/^tipi: /, "")}${busy}`);
  }
  return {
    sim,
    port: result.port,
    link: `127.0.0.1:${result.port}`,
    trust,
    close: async () => {
      await sim.close();
      removeTmp();
    },
  };
}
