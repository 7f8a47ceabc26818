// `timer`, as the SDK types it: a timer is an opaque Timer object (not a number); `repeat` flags are numbers.
declare module "timer" {
  export type TimerCallback = (timer: Timer) => void;
  class Timer {
    private constructor();
    /** Once after `interval` ms (default 0), then every `repeat` ms when given. */
    static set: (callback: TimerCallback, interval?: number, repeat?: number) => Timer;
    static repeat: (callback: TimerCallback, interval: number) => Timer;
    static schedule: (timer: Timer, interval?: number, repeat?: number) => void;
    static clear: (timer: Timer | undefined | null) => void;
    static delay: (milliseconds: number) => void;
    // Nominal: only what set/repeat return is a Timer.
    private brand: boolean;
  }
  export { Timer as default };
}
