// `mc/config`: the `config` block of the application's manifest (typed loosely by the SDK: any key, any value,
// plus the `file.root` mcconfig adds).
declare module "mc/config" {
  var config: { file: { root: string } } & Record<string, any>;
  export { config as default };
}
