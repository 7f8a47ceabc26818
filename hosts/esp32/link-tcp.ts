// device/link in the simulators (ours, and the SDK's Linux one): the host's link is a TCP listener on
// `config.tipi.address:port` instead of a UART (modules/tipi/tcp-link.ts does the work; `npx tipi` connects to it).
export { startTipiLink } from "tipi/tcp-link";
