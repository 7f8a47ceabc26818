// `timer`, typed as the SDK types it (an id is a number there; treat it as opaque).
declare module "timer" {
  type TimerID = number;
  type TimerCallback = (id: TimerID) => void;
  var Timer: {
    set: (callback: TimerCallback, interval?: number, repeat?: number | boolean) => TimerID;
    repeat: (callback: TimerCallback, interval?: number) => TimerID;
    schedule: (id: TimerID, interval?: number, repeat?: number | boolean) => void;
    clear: (id: TimerID | undefined) => void;
    delay: (ms: number) => void;
  };
  export { Timer as default };
}
