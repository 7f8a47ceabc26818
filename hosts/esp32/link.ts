// device/link on a board: the host's link is a UART (`embedded:io/serial`), serving the TIPI TLS extension
// (modules/tipi/uart-link.ts does the work). Pins and baud rate: `config.tipi.serial` ({ port, receive, transmit,
// baud }; README, "Flashing an ESP32", shows the wiring). A file of its own, because mcconfig gives a source file one
// module name only: a second name for uart-link.ts in a manifest would be dropped without a word.
export { startTipiLink } from "tipi/uart-link";
