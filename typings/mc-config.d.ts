// `mc/config`: the `config` block of the application's manifest.
declare module "mc/config" {
  const config: Record<string, unknown>;
  export default config;
}
