// device/network in the SDK's Linux simulator (`mcconfig -p lin`): it has no Wi-Fi station (the SDK's
// embedded:network/interface/wifi exists for boards only) and runs on the desktop's network, which is already up.
// Same surface as network.ts, so the app's code is the same on every platform.
import type { NetworkOptions, NetworkStatus, NetworkEvents } from "./network";

export type { NetworkOptions, NetworkStatus, NetworkEvents };

export function joinNetwork(options: NetworkOptions, _events: NetworkEvents = {}): Promise<NetworkStatus> {
  trace("network: the SDK simulator runs on the desktop's network (no Wi-Fi to join)\n");
  return Promise.resolve({ address: "127.0.0.1", ssid: options?.ssid ?? "", attempts: 0 });
}

