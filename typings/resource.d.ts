// `Resource`, as the SDK types it: a host buffer (bytes in flash), not an ArrayBuffer. Where an ArrayBuffer is
// wanted, `.slice(0)` copies it into one.
declare module "Resource" {
  interface ResourceBytes extends HostBuffer {
    slice(begin: number, end?: number): ArrayBuffer;
    slice(begin: number, end?: number, copy?: boolean): HostBuffer;
  }
  export interface ResourceConstructor {
    new (name: string): ResourceBytes;
    exists(name: string): boolean;
  }
  const Resource: ResourceConstructor;
  export { Resource as default };
}
