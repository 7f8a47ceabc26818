// The TIPI TLS extension as an app: serve it on the link the manifest picks for the platform (`tipi/link`: a UART
// on esp32, a TCP listener in the simulator), configured by the manifest's `config.tipi` block (defaults in
// modules/tipi/manifest.json).
import config from "mc/config";
import { startTipiLink } from "tipi/link";

startTipiLink(config.tipi as Parameters<typeof startTipiLink>[0]);
