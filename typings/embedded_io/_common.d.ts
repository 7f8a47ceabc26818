// Ambient declarations for the ECMA-419 modules device code imports, written to match the shapes of the Moddable
// SDK's typings (typings/embedded_io in the SDK) and what its implementations accept (../shared/moddable-platform.md).
declare module "embedded:io/_common" {
  export type Buffer = ArrayBuffer | ArrayBufferView;
}
