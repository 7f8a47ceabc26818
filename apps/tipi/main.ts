// The TIPI TLS extension as an app: serve it on the link chosen by tipi/server, configured by the manifest's
// `config.tipi` block (defaults in modules/tipi/manifest.json).
import config from "mc/config";
import { startTipiServer, type TipiConfig } from "tipi/server";

startTipiServer(config.tipi as TipiConfig);
