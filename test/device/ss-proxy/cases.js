// The codec cases test/device/ss-proxy/proxy.ts runs first, in this order (alone with config.only "serial"):
// test/ss-serial.test.js expects exactly these, test/ss-proxy.test.js these and then its own.
export const SERIAL_CASES = [
  "golden-streamtype-lws_sspc_txp_tx-LPCSCLI_SENDING_INITIAL_TX",
  "golden-create-result-ok-lws_ssproxy_txp_proxy_can_write-REPORTING_OK",
  "golden-create-result-fail-lws_ssproxy_txp_proxy_can_write-REPORTING_FAIL",
  "golden-connstate-lws_ss_serialize_state",
  "golden-onward-connect-and-destroying",
  "golden-tx-payload-lws_sspc_txp_tx-TX_PAYLOAD",
  "golden-rx-payload-payload-at-offset-19",
  "golden-metadata-name-length-name-value",
  "frame-bounds-need-more-vs-bad",
];
