// `Resource` for the simulator: the manifest's `resources` (plus any the simulator was started with), read from
// disk by the parent. As on a board, `new Resource(name)` throws when there is no such resource; here it returns
// the bytes as an ArrayBuffer (a board gives a read-only host buffer over flash).
import { call } from "sim:bridge";

export default class Resource {
  constructor(name) {
    if (typeof name !== "string") throw new TypeError("Resource: name required");
    return call("resource.get", { name }).payload ?? new ArrayBuffer(0);
  }
  static exists(name) { return call("resource.exists", { name }).header.exists === true; }
}
