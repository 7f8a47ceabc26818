// The ECMA-419 modules device code imports, declared as the Moddable SDK 8.2.3 types them (its typings/embedded_io,
// mapped by examples/manifest_typings.json): only the names the SDK declares, no wider than the SDK's shapes, so
// `npm run typecheck` refuses what the SDK's mcconfig build refuses. There is no buffer type here: ECMA-419 buffers
// are the global `ByteBuffer` (typings/global.d.ts). test/support/typings-vs-sdk.js checks the names.
declare module "embedded:io/_common" {
  /** A GPIO pin: a number in the SDK's typing. */
  export type PinSpecifier = number;
  /** A port (a UART or I2C unit, ...): a number in the SDK's typing. */
  export type PortSpecifier = number;
}
