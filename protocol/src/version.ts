/**
 * Protocol version spoken over the agent WebSocket, as "MAJOR.MINOR".
 * A minor bump only adds optional fields or message types; peers tolerate it.
 * A major bump is a breaking change; peers refuse each other with a clear error.
 */
export const PROTOCOL_VERSION = '1.3';

/** Version of the Berth release these packages belong to. */
export const BERTH_VERSION = '0.1.0';

export interface ProtocolCompatibility {
  compatible: boolean;
  reason?: string;
}

export function protocolMajor(version: string): number | null {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  return match ? Number(match[1]) : null;
}

export function checkProtocolCompatibility(
  local: string,
  remote: string,
  remoteRole: 'agent' | 'control plane',
): ProtocolCompatibility {
  const localMajor = protocolMajor(local);
  const remoteMajor = protocolMajor(remote);
  if (remoteMajor === null) {
    return {
      compatible: false,
      reason: `the ${remoteRole} sent an unreadable protocol version "${remote}"; expected MAJOR.MINOR`,
    };
  }
  if (localMajor !== remoteMajor) {
    const self = remoteRole === 'agent' ? 'control plane' : 'agent';
    return {
      compatible: false,
      reason:
        `protocol major version mismatch: ${self} speaks ${local}, ${remoteRole} speaks ${remote}; ` +
        `upgrade the older side so both share major version ${Math.max(localMajor ?? 0, remoteMajor)}`,
    };
  }
  return { compatible: true };
}

/**
 * Whether a peer speaking `version` ("1.2", "1.10", "2.0") speaks at least `minimum`: what a
 * side checks before it sends a message type that a minor version added.
 */
export function protocolAtLeast(version: string, minimum: string): boolean {
  const have = /^(\d+)\.(\d+)/.exec(version);
  const need = /^(\d+)\.(\d+)$/.exec(minimum);
  if (!have || !need) return false;
  const [major, minor] = [Number(have[1]), Number(have[2])];
  const [needMajor, needMinor] = [Number(need[1]), Number(need[2])];
  return major > needMajor || (major === needMajor && minor >= needMinor);
}
