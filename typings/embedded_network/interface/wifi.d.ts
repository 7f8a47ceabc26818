// `embedded:network/interface/wifi`, the SDK's ECMA-419 Wi-Fi station (modules/io/wifi/esp32 on a board).
// `connection` is a number: 200 disconnected, 300 connecting, 400 associated (no IPv4 address yet),
// 500 associated with an address. `onChanged` names the property that changed; it is called with the WiFi
// object as `this`. `connect()` throws while an attempt is under way; `disconnect()` ends it.
declare module "embedded:network/interface/wifi" {
  import type { PortSpecifier } from "embedded:io/_common";
  export type WiFiChangedProperty = "connection" | "address";
  export interface WiFiConstructorOptions {
    port?: PortSpecifier;
    onChanged?: (property: WiFiChangedProperty) => void;
  }
  export interface WiFiConnectOptions {
    SSID: string;
    password?: string;
  }
  export interface WiFiConfigureOptions {
    hostname?: string;
  }
  class WiFi {
    constructor(options: WiFiConstructorOptions);
    close(): void;
    connect(options: WiFiConnectOptions): void;
    disconnect(): void;
    configure(options: WiFiConfigureOptions): void;
    readonly connection: number;
    readonly address: string | undefined;
    readonly SSID: string | undefined;
    readonly RSSI: number | undefined;
  }
  export default WiFi;
}
