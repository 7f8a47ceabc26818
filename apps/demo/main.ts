// apps/demo: the demo alone (the module `demo`, apps/demo/demo.ts), configured by the manifest's `config.demo`.
// The device app at the repository root runs the same demo after joining the network and setting the clock.
import config from "mc/config";
import { runDemo, type DemoConfig } from "demo";

runDemo(config.demo as DemoConfig);
