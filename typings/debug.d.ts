declare module "debug" {
  var Debug: {
    /** Collects garbage now; `enable` turns collection on or off. */
    gc: (enable?: boolean) => void;
  };
  export { Debug as default };
}
