// `time`, the SDK's clock module (modules/base/time): on esp32 `set` sets the system clock (seconds since 1970),
// which `Date` then reads; the SDK's Linux simulator keeps the desktop's clock and ignores `set`.
declare module "time" {
  var Time: {
    /** Sets the device clock, in whole seconds since 1970-01-01 UTC. */
    set: (seconds: number) => void;
    timezone: number;
    dst: number;
    /** Milliseconds on a monotonic counter (not the date). */
    ticks: number;
    delta(start: number, end?: number): number;
    readonly microseconds?: number;
  };
  export { Time as default };
}
