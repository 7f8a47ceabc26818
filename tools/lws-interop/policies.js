// The example policies of libwebsockets' own source tree, loaded unchanged by our policy parser (ss/policy, in XS):
// the JSON files, and the policies its minimal examples embed in C as a string (read out of the C text: the string
// literals of `default_ss_policy` joined, with the `#if defined(...)` / `#if !defined(...)` / `#else` / `#endif`
// lines taken as a default build takes them, nothing defined). Endpoints are not remapped: only loading is checked.
// Used by run.js when the lws source tree is at hand (DIR/src, or --lws-src).
import fs from "node:fs";
import path from "node:path";

/** The policies peers.md names (their paths in lws' tree); `c`: embedded in C as `default_ss_policy`. */
export const EXAMPLE_POLICIES = [
  { file: "minimal-examples/client/hello_world-policy/example-policy.json" },
  { file: "minimal-examples/client/http-post/example-policy.json" },
  { file: "minimal-examples-lowlevel/secure-streams/minimal-secure-streams-sigv4/policy.json" },
  { file: "minimal-examples-lowlevel/secure-streams/minimal-secure-streams/minimal-secure-streams.c", c: true },
  { file: "minimal-examples-lowlevel/secure-streams/minimal-secure-streams-mqtt/minimal-secure-streams-mqtt.c", c: true },
  { file: "minimal-examples-lowlevel/secure-streams/minimal-secure-streams-metadata/minimal-secure-streams.c", c: true },
  { file: "minimal-examples-lowlevel/secure-streams/minimal-secure-streams-stress/minimal-secure-streams.c", c: true },
  { file: "minimal-examples-lowlevel/secure-streams/minimal-secure-streams-threads/minimal-secure-streams-threads.c", c: true },
];

/** The C text from `name =` to the `;` that ends it, preprocessor lines applied with nothing defined. */
function initializer(source, name) {
  const start = source.indexOf(`${name} =`);
  if (start < 0) throw new Error(`no "${name} =" in the file`);
  const kept = [];
  const taking = []; // one entry per open #if: is its current branch taken?
  for (const line of source.slice(start + name.length + 2).split("\n")) {
    const directive = /^\s*#\s*(if|ifdef|ifndef|else|endif|elif)\b\s*(.*)$/.exec(line);
    if (directive) {
      const [, word, rest] = directive;
      if (word === "if" || word === "ifdef" || word === "ifndef") {
        // nothing is defined: `defined(X)` / `#ifdef X` are false, `!defined(X)` / `#ifndef X` true
        const negated = word === "ifndef" || /^!\s*defined/.test(rest.trim());
        taking.push(negated);
      } else if (word === "else") taking.push(!taking.pop());
      else if (word === "elif") throw new Error("#elif is not handled");
      else taking.pop();
      continue;
    }
    if (taking.every(Boolean)) kept.push(line);
    if (taking.every(Boolean) && /;\s*$/.test(stripStrings(line))) break;
  }
  return kept.join("\n");
}

/** A line with its string literals emptied and its comments removed (to find the `;` that ends the initializer). */
function stripStrings(line) {
  return line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\/\*.*?\*\//g, "").replace(/\/\/.*$/, "");
}

/** The C string literals of `text`, joined and unescaped (comments between them skipped). */
function joinLiterals(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("/*", i)) {
      i = text.indexOf("*/", i + 2) + 1;
      continue;
    }
    if (text.startsWith("//", i)) {
      i = text.indexOf("\n", i);
      if (i < 0) break;
      continue;
    }
    if (text[i] !== '"') continue;
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text[i] !== "\\") {
        out += text[i];
        continue;
      }
      const e = text[++i];
      out += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e; // \" \\ \/ and the rest as themselves
    }
  }
  return out;
}

/** Each example policy's text: [{ file, text } | { file, error }]. */
export function readExamplePolicies(srcDir) {
  return EXAMPLE_POLICIES.map(({ file, c }) => {
    try {
      const source = fs.readFileSync(path.join(srcDir, file), "utf8");
      return { file, text: c ? joinLiterals(initializer(source, "default_ss_policy")) : source };
    } catch (error) {
      return { file, error: error.message };
    }
  });
}
