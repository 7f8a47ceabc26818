// The TIPI TLS extension as an app: serve it on the link the manifest picks for the platform (`device/link`, from
// hosts/esp32/manifest.json: a UART on esp32, a TCP listener in the simulators), configured by the manifest's
// `config.tipi` block (defaults in modules/tipi/manifest.json).
import config from "mc/config";
import { startTipiLink } from "device/link";

startTipiLink(config.tipi as Parameters<typeof startTipiLink>[0]);
