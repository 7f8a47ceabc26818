// `embedded:io/socket/udp` for the simulator: present so that device code can pass it to the DNS resolver as the
// SDK wants; the simulated resolver answers from the simulator's host table and never sends a datagram. Opening a
// UDP socket for anything else is refused with an error rather than faked.
export default class UDP {
  constructor() {
    throw new Error("udp: not available in the simulator");
  }
}
