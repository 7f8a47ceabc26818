declare module "timer" {
  export type TimerID = object;
  export type TimerCallback = (id: TimerID) => void;
  const Timer: {
    set(callback: TimerCallback, interval?: number, repeat?: number): TimerID;
    repeat(callback: TimerCallback, interval: number): TimerID;
    schedule(id: TimerID, interval: number, repeat?: number): void;
    clear(id: TimerID | undefined): void;
    delay(ms: number): void;
  };
  export default Timer;
}
