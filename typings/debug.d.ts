declare module "debug" {
  const Debug: { gc(enable?: boolean): void };
  export default Debug;
}
